"""The eS-WiFi transport's silent points: the registry agrees with the cases, and the emulator started
as each registered alternative (a profile with the point's [device] overrides) fails no case; the cases
that touch the point record the DUT's choice as a NON-STRICT finding.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from sockconf.emulator import build_model
from sockconf.protocol.profile import load_profile
from sockconf.suites.eswifi.transport import SILENT_DEFAULTS
from tests.helpers import PROFILES, ROOT, SILENT, run_suite

REGISTRY = SILENT / "eswifi-transport.toml"
SPEC = ROOT / "docs" / "spec" / "eswifi-transport.md"
PROFILE = PROFILES / "ism43362.toml"
FIELDS = {"id", "title", "documents_say", "choices", "default", "cases", "sources", "variants"}


def points() -> list[dict[str, Any]]:
    with REGISTRY.open("rb") as f:
        found: list[dict[str, Any]] = tomllib.load(f)["point"]
    return found


def alternatives() -> list[Any]:
    return [
        pytest.param(point, choice, overrides, id=f"{point['id']}={choice}")
        for point in points()
        for choice, overrides in point["variants"].items()
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


def test_registry_is_complete_and_agrees_with_the_cases():
    found = points()
    assert {p["id"] for p in found} == set(SILENT_DEFAULTS)
    spec = SPEC.read_text(encoding="utf-8")
    for point in found:
        assert set(point) == FIELDS, point["id"]
        assert point["default"] in point["choices"], point["id"]
        assert point["default"] == SILENT_DEFAULTS[point["id"]], point["id"]
        assert set(point["variants"]) == set(point["choices"]) - {point["default"]}, point["id"]
        assert point["sources"] and point["cases"], point["id"]
        assert point["id"] in spec, f"{point['id']} is not in the spec notes"


@pytest.mark.parametrize(("point", "choice", "overrides"), alternatives())
def test_each_alternative_changes_the_emulator(tmp_path, point, choice, overrides):
    """A variant's overrides are keys the model reads: the model built with them differs from the default."""
    plain = build_model(load_profile("ism43362"))
    varied = build_model(load_profile(variant_profile(tmp_path, "variant", overrides)))
    assert _state(plain) != _state(varied), (point["id"], choice)


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


@pytest.mark.parametrize(("point", "choice", "overrides"), alternatives())
def test_no_case_fails_an_alternative(tmp_path, point, choice, overrides):
    profile = variant_profile(tmp_path, f"ism43362-{choice}", overrides)
    run = run_suite("sockconf.suites.eswifi", "--profile", str(profile), tmp=tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    assert {o for outs in run.outcomes.values() for o in outs} <= {"passed", "skipped"}, run.output[-3000:]
    # The cases that touch the point saw the alternative and recorded it as a finding.
    for case_id in point["cases"]:
        assert "NON-STRICT" in run.verdicts[case_id], (case_id, run.verdicts[case_id])


def test_a_module_without_the_transport_features_gets_not_applicable(tmp_path):
    profile = variant_profile(tmp_path, "ism43362-servers-only", {}, features=["tcp-server", "multi-accept"])
    families = ["ESWIFI-CLI", "ESWIFI-UDP", "ESWIFI-SSL", "ESWIFI-SOCK-02", "ESWIFI-SOCK-03", "ESWIFI-SET-05"]
    args = [arg for family in families for arg in ("--case", family)]
    run = run_suite("sockconf.suites.eswifi", "--profile", str(profile), *args, tmp=tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    assert run.outcomes and all(set(outs) == {"skipped"} for outs in run.outcomes.values()), run.outcomes
    assert {v for vs in run.verdicts.values() for v in vs} == {"NOT APPLICABLE"}, run.verdicts
