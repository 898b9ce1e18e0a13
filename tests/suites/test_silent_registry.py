"""The registry of silent points: well-formed, tied to real cases and variants, its docs page current."""

from __future__ import annotations

import re
import subprocess
import sys
import types

import pytest

from sockconf.harness.host import FamilyHost
from sockconf.harness.silent import families, registry
from tests.helpers import ROOT, SUITES

CASE_ID = re.compile(r'"((?:XBEE|ESWIFI)-[A-Z]+-\d+)"')


def _case_ids() -> set[str]:
    return {m for path in (SUITES).rglob("*.py") for m in CASE_ID.findall(path.read_text())}


def test_both_families_have_a_registry():
    assert {"eswifi", "xbee"} <= set(families())


@pytest.mark.parametrize("family", ["eswifi", "xbee"])
def test_every_point_names_real_cases_and_cites_a_source(family):
    known = _case_ids()
    for point in registry(family).values():
        assert point.id.startswith(f"{family.upper()}-SILENT-"), point.id
        assert set(point.cases) <= known, (point.id, set(point.cases) - known)
        assert point.sources and all(s.strip() for s in point.sources), point.id
        assert point.default in point.choices


def test_the_points_the_suite_must_cover_are_registered():
    xbee, eswifi = registry("xbee"), registry("eswifi")
    for pid in (
        "XBEE-SILENT-FIRST-SOCKET-ID", "XBEE-SILENT-RESET-MODEM-STATUS", "XBEE-SILENT-TLS-SOCKET-LIMIT",
        "XBEE-SILENT-LISTEN-PORT0-STATUS", "XBEE-SILENT-CLOSE-ALL-REPLY", "XBEE-SILENT-LISTENER-CLOSE-CLIENTS",
        "XBEE-SILENT-SEND-ON-LISTENER", "XBEE-SILENT-CAT1-PRESENTATION",
        "XBEE-SILENT-REPLY-ORDER", "XBEE-SILENT-REPLY-COUNT", "XBEE-SILENT-HOST-CLOSE-STATUS",
        "XBEE-SILENT-UNPROMPTED-MODEM-STATUS", "XBEE-SILENT-BAD-CHECKSUM", "XBEE-SILENT-AP1-CUT-FRAME",
        "XBEE-SILENT-UNKNOWN-FRAME-TYPE", "XBEE-SILENT-SENDTO-UNBOUND", "XBEE-SILENT-HV-CODE",
        "XBEE-SILENT-CONNECT-ON-LISTENER-STATUS", "XBEE-SILENT-AT-READ-ONLY-STATUS", "XBEE-SILENT-SENDTO-ON-TCP-STATUS",
    ):  # fmt: skip
        assert pid in xbee
    for pid in (
        "ESWIFI-SILENT-S3-PAYLOAD-TIMEOUT", "ESWIFI-SILENT-REFUSED-S3-REST", "ESWIFI-SILENT-P-FIELD1",
        "ESWIFI-SILENT-WAITING-TEXT", "ESWIFI-SILENT-MESSAGE-PLACE", "ESWIFI-SILENT-PK-UNIT",
        "ESWIFI-SILENT-R0-NO-CLIENT", "ESWIFI-SILENT-BEYOND-BACKLOG", "ESWIFI-SILENT-ERROR-TEXTS",
    ):  # fmt: skip
        assert pid in eswifi
    assert eswifi["ESWIFI-SILENT-S3-PAYLOAD-TIMEOUT"].range == (0.2, 10.0)


def test_docs_page_is_current():
    proc = subprocess.run(
        [sys.executable, "-m", "sockconf", "registry", "--check", str(ROOT / "docs" / "silent-points.md")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr


def test_a_dut_without_an_address_stops_the_run_once_naming_dut_host():
    class Mute(FamilyHost):
        address_query = "X? field 9"

        def open_session(self):
            return types.SimpleNamespace(requirement="")

        def reset(self, request):
            pass

        def dut_address(self):
            return None

        def identify(self):
            return {}

    driver = types.SimpleNamespace(dut_host=None)
    link = types.SimpleNamespace(driver=driver, host=None, identity={}, profile=types.SimpleNamespace(name="p"))
    with pytest.raises(pytest.exit.Exception, match="--dut-host") as exc:
        Mute(link).setup(request=None)  # type: ignore[arg-type]
    assert "X? field 9" in str(exc.value)
