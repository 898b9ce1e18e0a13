"""The ESP-AT variants and the registry of its silent points: every variant takes registered non-default
choices, every non-default choice has its variant, all-different takes them all, every point names real
cases; and a few variants' choices as the model makes them."""

from __future__ import annotations

import re

from sockconf.emulator import build_model, default_profile, variants
from sockconf.emulator.net import Accepted, Action, Listen, ListenResult, SerialOut
from sockconf.harness.silent import registry
from tests.helpers import SUITES

FAMILY = "espat"
CASE_ID = re.compile(r'"(ESPAT-[A-Z]+-\d+)"')


def _uart(actions: list[Action]) -> bytes:
    return b"".join(a.data for a in actions if isinstance(a, SerialOut))


def test_every_variant_takes_registered_non_default_choices():
    points = registry(FAMILY)
    catalogue = variants(FAMILY)
    assert "all-different" in catalogue
    for name, spec in catalogue.items():
        for point_id, choice in spec.choices.items():
            point = points[point_id]
            assert choice in point.choices and choice != point.default, (name, point_id, choice)
    for point in points.values():
        for choice, names in point.variants.items():
            for name in names:
                assert catalogue[name].choices.get(point.id) == choice, (point.id, choice, name)


def test_every_non_default_choice_has_a_variant():
    missing = [
        (p.id, c) for p in registry(FAMILY).values() for c in p.choices if c != p.default and c not in p.variants
    ]
    assert not missing, f"silent-point choices no emulator variant takes: {missing}"


def test_all_different_takes_every_point_with_a_variant():
    every = variants(FAMILY)["all-different"].choices
    assert set(every) == {p.id for p in registry(FAMILY).values() if p.variants}
    build_model(default_profile(FAMILY), variant=["all-different"])  # no two of its choices conflict


def test_every_point_names_real_cases_and_sources():
    known = {m for path in (SUITES / FAMILY).glob("*.py") for m in CASE_ID.findall(path.read_text())}
    for point in registry(FAMILY).values():
        assert point.id.startswith("ESPAT-SILENT-"), point.id
        assert set(point.cases) <= known, (point.id, set(point.cases) - known)
        assert point.sources and all(s.strip() for s in point.sources), point.id
    with_cases = [p for p in registry(FAMILY).values() if p.cases]
    assert len(with_cases) == len(registry(FAMILY)) - 1  # CWJAP-NOAP: the preflight's alone


def _server(variant: list[str]) -> tuple[object, int]:
    model = build_model(default_profile(FAMILY), host_ip="10.0.0.7", variant=variant)
    model.serial_in(b"ATE0\r\nAT+CIPMUX=1\r\nAT+CIPSERVERMAXCONN=1\r\n")
    (listen,) = [a for a in model.serial_in(b"AT+CIPSERVER=1,8080\r\n") if isinstance(a, Listen)]
    model.net_in(ListenResult(listen.key))
    return model, listen.key


def test_echo_forms():
    for variant, echo in ((None, b"AT\r\r\n"), ("echo-as-received", b"AT\r\n"), ("echo-cr-only", b"AT\r")):
        model = build_model(default_profile(FAMILY), variant=[variant] if variant else [])
        assert _uart(model.serial_in(b"AT\r\n")) == echo + b"\r\nOK\r\n"


def test_a_client_beyond_the_limit():
    clean, key = _server([])
    clean.net_in(Accepted(key, 1, "10.0.0.9", 1))  # type: ignore[attr-defined]
    assert _uart(clean.net_in(Accepted(key, 2, "10.0.0.9", 2))) == b""  # type: ignore[attr-defined]
    report, key = _server(["beyond-maxconn-report"])
    report.net_in(Accepted(key, 1, "10.0.0.9", 1))  # type: ignore[attr-defined]
    assert _uart(report.net_in(Accepted(key, 2, "10.0.0.9", 2))) == b"Have 1 Connections\r\n"  # type: ignore[attr-defined]
    pending, key = _server(["beyond-maxconn-pending"])
    pending.net_in(Accepted(key, 1, "10.0.0.9", 1))  # type: ignore[attr-defined]
    assert _uart(pending.net_in(Accepted(key, 2, "10.0.0.9", 2))) == b""  # type: ignore[attr-defined]
    assert (
        _uart(pending.serial_in(b"AT+CIPCLOSE=0\r\n")) == b"0,CLOSED\r\n\r\nOK\r\n0,CONNECT\r\n"
    )  # the freed ID, after the reply  # type: ignore[attr-defined]


def test_close_all_report_places():
    for variant, expected in (
        (None, b"0,CLOSED\r\n\r\nOK\r\n"),
        ("close-all-ok-only", b"\r\nOK\r\n"),
        ("close-all-reports-after-ok", b"\r\nOK\r\n0,CLOSED\r\n"),
    ):
        model, key = _server([variant] if variant else [])
        model.net_in(Accepted(key, 1, "10.0.0.9", 1))  # type: ignore[attr-defined]
        assert _uart(model.serial_in(b"AT+CIPCLOSE=5\r\n")) == expected, variant  # type: ignore[attr-defined]
