"""Profiles: the built-in XBee profiles' deadlines, and --deadline-scale scaling every one of them."""

from __future__ import annotations

from dataclasses import fields

from sockconf.protocol.profile import Deadlines, Profile, load_profile


def test_xbee_profiles_have_a_reset_deadline():
    for name in ("xbee3-lte-m", "xbee-cat1"):
        assert load_profile(name).deadlines.reset == 15.0


def test_scaled_multiplies_every_deadline():
    d = Deadlines(reply=2.0, indication=3.0, quiet=0.25, reset=15.0)
    scaled = d.scaled(0.2)
    assert all(getattr(scaled, f.name) == getattr(d, f.name) * 0.2 for f in fields(Deadlines))
    assert scaled.reset == 3.0


def test_a_profile_without_reset_gets_the_default():
    profile = Profile.from_mapping({"name": "x", "family": "xbee", "deadlines": {"reply": 1}})
    assert profile.deadlines.reply == 1.0 and profile.deadlines.reset == Deadlines().reset
