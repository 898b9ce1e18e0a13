"""The eS-WiFi transport's silent points: registered in the family's registry and named in the spec notes,
each alternative an emulator variant that changes the model (tests/suites/test_eswifi_sensitivity.py runs
them: NON-STRICT, a FAIL under --strict); a module without the transport features gets NOT APPLICABLE.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from sockconf.emulator import build_model
from sockconf.harness.silent import registry
from sockconf.protocol.profile import load_profile
from tests.helpers import PROFILES, ROOT, run_suite

TRANSPORT_POINTS = (
    "ESWIFI-SILENT-CONNECT-NOTHING-LISTENING", "ESWIFI-SILENT-R1-MAX", "ESWIFI-SILENT-UDP-OVERSIZE",
    "ESWIFI-SILENT-UDP-SENDER", "ESWIFI-SILENT-S0-REPLY", "ESWIFI-SILENT-TLS-UNCONFIGURED",
)  # fmt: skip
SPEC = ROOT / "docs" / "spec" / "eswifi-transport.md"
PROFILE = PROFILES / "ism43362.toml"


def alternatives() -> list[Any]:
    points = registry("eswifi")
    return [
        pytest.param(point_id, choice, name, id=name)
        for point_id in TRANSPORT_POINTS
        for choice, names in points[point_id].variants.items()
        for name in names
    ]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def variant_profile(tmp: Path, name: str, overrides: dict[str, Any], features: list[str] | None = None) -> Path:
    """The ism43362 profile with ``overrides`` in its [device] table (and ``features``), as a TOML file in ``tmp``."""
    with PROFILE.open("rb") as f:
        data = tomllib.load(f)
    if features is not None:
        data["features"] = features
    device = {**data["device"], **overrides}
    tables = {k: v for k, v in device.items() if isinstance(v, dict)}
    lines = [f"name = {_toml_value(name)}", f"family = {_toml_value(data['family'])}"]
    lines += [f"features = {_toml_value(data['features'])}", "", "[device]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in device.items() if not isinstance(v, dict)]
    for table, values in tables.items():
        lines += ["", f"[device.{table}]", *(f"{k} = {_toml_value(v)}" for k, v in values.items())]
    lines += ["", "[deadlines]", *(f"{k} = {_toml_value(v)}" for k, v in data["deadlines"].items())]
    path = tmp / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_transport_points_are_registered_and_in_the_spec_notes():
    points = registry("eswifi")
    spec = SPEC.read_text(encoding="utf-8")
    for point_id in TRANSPORT_POINTS:
        point = points[point_id]
        assert set(point.variants) == set(point.choices) - {point.default}, point_id
        assert point.sources and point.cases, point_id
        assert point_id in spec, f"{point_id} is not in the spec notes"


@pytest.mark.parametrize(("point", "choice", "variant"), alternatives())
def test_each_alternative_changes_the_emulator(point, choice, variant):
    """A variant's overrides are keys the model reads: the model built with it differs from the default."""
    plain = build_model(load_profile("ism43362"))
    varied = build_model(load_profile("ism43362"), variant=[variant])
    assert _state(plain) != _state(varied), (point, choice)


def _state(model: Any) -> tuple[Any, ...]:
    return (
        model.connect_refused,
        model.udp_oversize,
        model.udp_sender_shown,
        model.s0_reply,
        model.tls_unconfigured,
        model.max_read_size,
        model.protocols,
    )


def test_a_module_without_the_transport_features_gets_not_applicable(tmp_path):
    profile = variant_profile(tmp_path, "ism43362-servers-only", {}, features=["tcp-server", "multi-accept"])
    families = ["ESWIFI-CLI", "ESWIFI-UDP", "ESWIFI-SSL", "ESWIFI-SOCK-02", "ESWIFI-SOCK-03", "ESWIFI-SET-05"]
    args = [arg for family in families for arg in ("--case", family)]
    run = run_suite("sockconf.suites.eswifi", "--profile", str(profile), *args, tmp=tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    assert run.outcomes and all(set(outs) == {"skipped"} for outs in run.outcomes.values()), run.outcomes
    assert {v for vs in run.verdicts.values() for v in vs} == {"NOT APPLICABLE"}, run.verdicts
