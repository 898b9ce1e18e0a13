"""Emulator variants: catalogues tied to the registry of silent points, combining, conflicts, the CLI."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from sockconf.emulator import build_model, default_profile, variants
from sockconf.emulator.eswifi.faults import ESWiFiFault
from sockconf.emulator.net import Accepted, AcceptNext, Action, Close, Listen, ListenResult, SerialOut, TimerFired
from sockconf.emulator.variants import VariantError, VariantSpec, combine, merge
from sockconf.harness.silent import registry
from tests.helpers import ROOT


@pytest.mark.parametrize("family", ["eswifi", "xbee"])
def test_every_variant_takes_registered_non_default_choices(family):
    points = registry(family)
    catalogue = variants(family)
    assert "all-different" in catalogue
    for name, spec in catalogue.items():
        for point_id, choice in spec.choices.items():
            point = points[point_id]
            assert choice in point.choices and choice != point.default, (name, point_id, choice)
    # ... and every non-default choice the registry names has its variant.
    for point in points.values():
        for choice, names in point.variants.items():
            for name in names:
                assert catalogue[name].choices.get(point.id) == choice, (point.id, choice, name)


@pytest.mark.parametrize("family", ["eswifi", "xbee"])
def test_every_non_default_choice_of_every_point_has_a_variant(family):
    missing = [
        (point.id, choice)
        for point in registry(family).values()
        for choice in point.choices
        if choice != point.default and choice not in point.variants
    ]
    assert not missing, f"silent-point choices no emulator variant takes: {missing}"


# Catch-all choices whose names do not start with "other": each stands for more than one module.
CATCH_ALL = {
    "eswifi": {
        ("ESWIFI-SILENT-ERROR-TEXTS", "terse"),  # ERROR: <reason> alone, or the bare word
        ("ESWIFI-SILENT-BEYOND-BACKLOG", "refused"),  # the SYN answered with a reset, or not at all
        ("ESWIFI-SILENT-MESSAGE-PLACE", "anywhere"),  # Accepted before the reply, or between its parts
    },
    "xbee": set(),
}
# Catch-all choices still shown by one variant only, and why: the test fails once they have a second
# (then drop them here) and if any other catch-all choice is thin.
THIN = {
    # A SYN answered with a reset while the listener stays open cannot be made with the host's sockets.
    ("ESWIFI-SILENT-BEYOND-BACKLOG", "refused"),
}


@pytest.mark.parametrize("family", ["eswifi", "xbee"])
def test_a_catch_all_choice_is_shown_by_more_than_one_concrete_variant(family):
    # "other", "other-error": one variant shows one module of the many the choice stands for.
    thin = {
        (point.id, choice)
        for point in registry(family).values()
        for choice in point.choices
        if (choice.startswith("other") or (point.id, choice) in CATCH_ALL[family])
        and len(point.variants.get(choice, ())) < 2
    }
    known = {t for t in THIN if t[0].startswith(family.upper())}
    assert thin == known, (
        f"catch-all choices with fewer than two variants: {sorted(thin - known)}; now covered: {sorted(known - thin)}"
    )


@pytest.mark.parametrize("family", ["eswifi", "xbee"])
def test_all_different_takes_every_registered_variant_choice_at_once(family):
    every = variants(family)["all-different"].choices
    named = {p.id for p in registry(family).values() if p.variants}
    assert set(every) == named - BESIDE_ALL_DIFFERENT


# Points no all-different module can take alongside the contradiction sides it follows.
BESIDE_ALL_DIFFERENT = {
    "ESWIFI-SILENT-SOCKET-COUNT",  # fewer sockets than four, beside p0-4-accepted's five
}


def test_two_choices_on_one_point_conflict():
    a = VariantSpec("a", "a", {"P": "x"})
    b = VariantSpec("b", "b", {"P": "y"})
    with pytest.raises(VariantError, match="conflict on P"):
        merge([a, b])
    assert merge([a, VariantSpec("c", "c", {"Q": "z"})]).choices == {"P": "x", "Q": "z"}


def test_a_variant_may_follow_a_side_of_a_contradiction_and_two_sides_conflict():
    a = VariantSpec("a", "a", {}, sides={"C": "a"})
    assert merge([a, VariantSpec("p", "p", {"P": "x"})]).sides == {"C": "a"}
    with pytest.raises(VariantError, match="conflict on C: 'a' vs 'b'"):
        merge([a, VariantSpec("b", "b", {}, sides={"C": "b"})])
    with pytest.raises(ValueError, match="takes no silent point's choice and no contradiction's side"):
        VariantSpec("none", "", {})
    with pytest.raises(ValueError, match="side is 'a' or 'b'"):
        VariantSpec("odd", "", {}, sides={"C": "neither"})


def test_two_variants_changing_one_hook_conflict():
    class One(ESWiFiFault):
        def identity_fields(self, fields: list[str]) -> list[str]:
            return fields[:1]

    class Two(ESWiFiFault):
        def identity_fields(self, fields: list[str]) -> list[str]:
            return fields[:2]

    with pytest.raises(VariantError, match="identity_fields"):
        combine(ESWiFiFault, [VariantSpec("one", "", {"A": "1"}, (One,)), VariantSpec("two", "", {"B": "2"}, (Two,))])


def test_cooperative_hooks_on_one_method_chain():
    class Up(ESWiFiFault):
        cooperative = True

        def identity_fields(self, fields: list[str]) -> list[str]:
            return [f.upper() for f in super().identity_fields(fields)]

    class Tail(ESWiFiFault):
        cooperative = True

        def identity_fields(self, fields: list[str]) -> list[str]:
            return [*super().identity_fields(fields), "!"]

    spec = combine(
        ESWiFiFault, [VariantSpec("up", "", {"A": "1"}, (Up,)), VariantSpec("tail", "", {"B": "2"}, (Tail,))]
    )
    assert spec is not None
    assert spec.hooks().identity_fields(["x"]) == ["X", "!"]


def test_a_fault_keeps_its_bug_on_a_variant():
    profile = default_profile("eswifi")
    model = build_model(profile, fault="wrong-s3-count", variant=["lost-with-ok"])
    assert model.fault.s3_count(5) == 4  # type: ignore[attr-defined]
    assert model.lost_ok is True  # type: ignore[attr-defined]


def test_refused_s3_rest_read_as_command_lines():
    model = build_model(default_profile("eswifi"), variant=["refused-s3-rest-as-commands"])
    out = model.serial_in(b"S3=1461\r" + b"QQ\r" + b"\x00" * 1458)
    text = b"".join(a.data for a in out if isinstance(a, SerialOut))
    # The refused header, the line "QQ", then two 512-byte pieces of the NUL run (its last 434 bytes wait for CR).
    assert text.count(b"ERROR") == 4
    out = model.serial_in(b"\rP0\r")
    text = b"".join(a.data for a in out if isinstance(a, SerialOut))
    assert text.count(b"ERROR") == 1 and text.endswith(b"\r\n0\r\nOK\r\n> ")


def test_clean_model_drops_the_refused_payload():
    model = build_model(default_profile("eswifi"))
    out = model.serial_in(b"S3=1461\r" + b"QQ\r" + b"\x00" * 1458 + b"P0\r")
    text = b"".join(a.data for a in out if isinstance(a, SerialOut))
    assert text.count(b"ERROR") == 1 and text.endswith(b"\r\n0\r\nOK\r\n> ")


def _uart(actions: list[Action]) -> bytes:
    return b"".join(a.data for a in actions if isinstance(a, SerialOut))


def _listen(model: Any, backlog: int) -> Listen:
    """Configure socket 0 as the seed does (P8=backlog) and start a multi-accept server: its Listen."""
    model.serial_in(f"PK=1,3000\rP1=0\rP2=5024\rP8={backlog}\r".encode())
    (listen,) = [a for a in model.serial_in(b"P5=11\r") if isinstance(a, Listen)]
    return listen


@pytest.mark.parametrize(("variant", "answered"), [(None, True), ("s3-cut-short-silent", False)])
def test_a_cut_short_s3_is_answered_or_dropped_in_silence(variant, answered):
    model = build_model(default_profile("eswifi"), variant=[variant] if variant else [])
    assert _uart(model.serial_in(b"S3=10\rabcd")) == b""
    out = _uart(model.net_in(TimerFired("s3-payload")))
    assert out.startswith(b"\r\nERROR") if answered else out == b""
    assert _uart(model.serial_in(b"P0\r")) == b"\r\n0\r\nOK\r\n> "


@pytest.mark.parametrize(
    ("variant", "answer"), [(None, b"\r\n\r\nOK\r\n> "), ("r0-lost-without-client", b"\r\n-1\r\n> ")]
)
def test_r0_before_any_client(variant, answer):
    model = build_model(default_profile("eswifi"), variant=[variant] if variant else [])
    listen = _listen(model, backlog=6)
    model.net_in(ListenResult(listen.key))
    assert _uart(model.serial_in(b"R0\r")) == answer


@pytest.mark.parametrize(("variant", "keepalive_ms"), [(None, 3000), ("pk-seconds", 3_000_000)])
def test_pk_time_reaches_the_listener_in_its_unit(variant, keepalive_ms):
    model = build_model(default_profile("eswifi"), variant=[variant] if variant else [])
    assert _listen(model, backlog=6).keepalive_ms == keepalive_ms


def test_a_client_beyond_the_backlog_served_after_the_others():
    # With the seed's client port in Accepted, so each client is named.
    model = build_model(default_profile("eswifi"), variant=["beyond-backlog-served", "accepted-client-port"])
    listen = _listen(model, backlog=1)
    model.net_in(ListenResult(listen.key))
    for key in (11, 12, 13):  # the current client, one waiting, one beyond P8=1
        assert not any(isinstance(a, Close) for a in model.net_in(Accepted(listen.key, key, "10.0.0.9", key)))
    assert b"Accepted 10.0.0.9:12" in _uart(model.serial_in(b"P5=10\r"))
    assert b"Accepted 10.0.0.9:13" in _uart(model.serial_in(b"P5=10\r"))


def test_a_client_beyond_the_backlog_refused_leaves_the_waiting_ones_to_the_host():
    model = build_model(default_profile("eswifi"), variant=["beyond-backlog-refused", "accepted-client-port"])
    listen = _listen(model, backlog=2)
    # The host's queue holds the P8=2 waiting clients behind the current one.
    assert listen.one_at_a_time and listen.backlog == 2
    model.net_in(ListenResult(listen.key))
    assert b"Accepted" in _uart(model.net_in(Accepted(listen.key, 11, "10.0.0.9", 11)))
    out = model.serial_in(b"P5=10\r")
    assert Close(11) in out and AcceptNext(listen.key) in out
    assert b"Accepted 10.0.0.9:12" in _uart(model.net_in(Accepted(listen.key, 12, "10.0.0.9", 12)))


def test_p0_4_accepted_selects_a_fifth_socket():
    clean = build_model(default_profile("eswifi"))
    assert _uart(clean.serial_in(b"P0=4\r")).startswith(b"\r\nERROR")
    model = build_model(default_profile("eswifi"), variant=["p0-4-accepted"])
    assert _uart(model.serial_in(b"P0=4\r")) == b"\r\n\r\nOK\r\n> "
    assert _uart(model.serial_in(b"P0\r")) == b"\r\n4\r\nOK\r\n> "
    assert _uart(model.serial_in(b"P0=5\r")).startswith(b"\r\nERROR")


@pytest.mark.parametrize(
    ("variant", "answer"), [(None, b"\r\n[TCP TSK] Killed\r\nOK\r\n> "), ("p5-0-plain-ok", b"\r\n\r\nOK\r\n> ")]
)
def test_p5_0_answers_killed_or_plain_ok(variant, answer):
    model = build_model(default_profile("eswifi"), variant=[variant] if variant else [])
    listen = _listen(model, backlog=6)
    model.net_in(ListenResult(listen.key))
    assert _uart(model.serial_in(b"P5=0\r")) == answer


@pytest.mark.parametrize(("variant", "port"), [(None, 5024), ("accepted-client-port", 40000)])
def test_accepted_names_the_clients_port_or_the_servers(variant, port):
    model = build_model(default_profile("eswifi"), variant=[variant] if variant else [])
    listen = _listen(model, backlog=6)
    model.net_in(ListenResult(listen.key))
    assert b"Accepted 10.0.0.9:%d\r\n" % port in _uart(model.net_in(Accepted(listen.key, 11, "10.0.0.9", 40000)))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sockconf", "emulate", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_cli_lists_variants_and_refuses_unknown_or_conflicting_ones():
    listed = _cli("eswifi", "--list-variants", "-v")
    assert listed.returncode == 0 and "s3-timeout-long\t" in listed.stdout
    assert "ESWIFI-SILENT-S3-PAYLOAD-TIMEOUT=long" in listed.stdout
    assert "ESWIFI-CONTRA-P0-RANGE=b" in listed.stdout  # a variant that follows a side of a contradiction
    unknown = _cli("eswifi", "--variant", "no-such", "--tcp", "127.0.0.1:0")
    assert unknown.returncode == 2 and "no variant 'no-such'" in unknown.stderr
    clash = _cli("eswifi", "--variant", "s3-timeout-long", "--variant", "s3-timeout-short", "--tcp", "127.0.0.1:0")
    assert clash.returncode == 2 and "conflict" in clash.stderr and "Traceback" not in clash.stderr
