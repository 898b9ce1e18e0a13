"""Contradictions between the documents' statements (``[[contradiction]]`` in the requirement catalogues).

The data is well-formed and tied to the catalogue, the cases and the emulator. The rule they serve is
enforced by running the cases: a module that follows either statement of an unresolved contradiction is
not failed (a NON-STRICT finding quoting both, also under ``--strict``), one that follows neither FAILs
with both quoted, and one that follows the losing statement of a settled contradiction FAILs with the
contradiction named.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sockconf.core.record import CONTRADICTION_SEEN_KEY, FINDINGS_KEY
from sockconf.emulator import faults, variants
from sockconf.harness.contradictions import (
    DEFAULT_EMULATOR,
    SETTLED,
    SIDES,
    UNRESOLVED,
    Contradiction,
    ContradictionError,
    load_contradictions,
    observed,
    settled,
)
from sockconf.harness.expect import ConformanceFailure, NoAnswer
from sockconf.harness.requirements import load_catalogue
from tests.helpers import case_args, run_suite

CATALOGUE = load_catalogue()
CONTRADICTIONS = load_contradictions(catalogue=CATALOGUE)
FAMILIES = ("xbee", "eswifi")
# One profile per family: the rule does not depend on the profile, and a run of each stays short.
PROFILE = {"xbee": "xbee3-lte-m", "eswifi": "ism43362"}


def judged(resolution: str) -> list[Contradiction]:
    """The contradictions of ``resolution`` that some case judges."""
    return [c for c in CONTRADICTIONS.values() if c.resolution == resolution and c.cases]


def following(c: Contradiction, side: str) -> list[str]:
    """The faults of ``c``'s family that follow ``side`` of it."""
    return [name for name, spec in faults(c.family).items() if spec.follows == (c.id, side)]


def first_line(requirement_id: str) -> str:
    """The first line of a statement's quote: a finding that quotes the statement holds it."""
    return CATALOGUE[requirement_id].quote.strip().splitlines()[0].strip()


def run_cases(c: Contradiction, tmp_path: Path, *args: str) -> tuple[Any, dict[str, Any]]:
    """Run the cases that judge ``c`` (one profile) with ``args``; the run and its JSON report."""
    out = tmp_path / "report"
    run = run_suite(
        f"sockconf.suites.{c.family}",
        "--profile",
        PROFILE[c.family],
        "--deadline-scale",
        "0.5",
        *args,
        *case_args(c.cases),
        tmp=tmp_path,
        report_dir=out,
    )
    report = json.loads((out / "conformance.json").read_text(encoding="utf-8"))
    return run, report


# --------------------------------------------------------------------------- the data


def test_both_families_have_contradictions_of_both_kinds():
    for family in FAMILIES:
        mine = [c for c in CONTRADICTIONS.values() if c.family == family]
        assert mine, family
    assert judged(SETTLED) and judged(UNRESOLVED)


def test_each_side_quotes_statements_of_the_catalogue():
    for c in CONTRADICTIONS.values():
        for side in SIDES:
            ids = c.side(side).requirements
            assert ids and all(CATALOGUE[r].family == c.family for r in ids), (c.id, side)
        shared = set(c.a.requirements) & set(c.b.requirements)
        assert not shared, f"{c.id}: one statement on both sides: {shared}"


def test_the_cases_that_judge_a_contradiction_exist_and_verify_one_of_its_statements(cases):
    for c in CONTRADICTIONS.values():
        statements = set(c.a.requirements) | set(c.b.requirements)
        for case_id in c.cases:
            assert case_id in cases, f"{c.id} names a case the suite does not have: {case_id}"
            assert cases[case_id] & statements, f"{case_id} judges {c.id} but verifies none of its statements"


def test_each_unresolved_contradiction_a_case_judges_has_an_emulator_per_side():
    for c in judged(UNRESOLVED):
        offered = variants(c.family)
        for side in SIDES:
            emulator = c.side(side).emulator
            if emulator != DEFAULT_EMULATOR:
                assert emulator in offered, f"{c.id} side {side}: no variant {emulator!r}"
                assert offered[emulator].sides.get(c.id) == side, f"variant {emulator} does not follow {c.id} {side}"


def test_a_variant_follows_only_the_side_the_data_names_for_it():
    for family in FAMILIES:
        for name, spec in variants(family).items():
            for cid, side in spec.sides.items():
                c = CONTRADICTIONS.get(cid)
                assert c is not None and c.family == family, f"variant {name} follows an unknown contradiction {cid}"
                assert c.resolution == UNRESOLVED, f"variant {name} follows {cid}, which is settled: that is a fault"
                if name != "all-different":
                    assert c.side(side).emulator == name, f"{cid} side {side} names no variant {name}"


def test_all_different_follows_the_other_side_of_every_unresolved_contradiction_a_case_judges():
    for family in FAMILIES:
        others = {
            c.id: next(s for s in SIDES if c.side(s).emulator != DEFAULT_EMULATOR)
            for c in judged(UNRESOLVED)
            if c.family == family
        }
        assert dict(variants(family)["all-different"].sides) == others


def test_a_fault_follows_each_losing_side_and_neither_side_a_case_judges():
    for c in judged(SETTLED):
        assert following(c, c.loser), f"no fault follows {c.id}'s losing side ({c.loser})"
    for c in judged(UNRESOLVED):
        assert following(c, "neither"), f"no fault follows neither side of {c.id}"
    for family in FAMILIES:
        for name, spec in faults(family).items():
            if spec.follows is None:
                continue
            cid, side = spec.follows
            c = CONTRADICTIONS.get(cid)
            assert c is not None and c.family == family, f"fault {name} follows an unknown contradiction {cid}"
            wanted = c.loser if c.resolution == SETTLED else "neither"
            assert side == wanted, f"fault {name} follows {cid} side {side}: a fault follows {wanted}"


DOCS = '[documents.seed]\ntitle = "t"\n'
REQS = "".join(
    f'[[requirement]]\nid = "XBEE-R{n}"\ndocument = "seed"\nsection = "s"\nquote = "q{n}"\nsha = "x"\n' for n in (1, 2)
)
SIDE_A = '[contradiction.a]\nrequirements = ["XBEE-R1"]\nbehaviour = "one"\n'
SIDE_B = '[contradiction.b]\nrequirements = ["XBEE-R2"]\nbehaviour = "two"\n'


HEAD = 'id = "XBEE-CONTRA-X"\ntitle = "t"\n'
SETTLED_OK = HEAD + 'resolution = "settled"\nwinner = "a"\nsettled_by = "s"\n'
UNRESOLVED_JUDGED = HEAD + 'resolution = "unresolved"\nsearched = "s"\ncases = ["XBEE-1"]\n'


def write(tmp_path: Path, table: str, sides: str = SIDE_A + SIDE_B) -> None:
    (tmp_path / "xbee.toml").write_text(DOCS + REQS + "[[contradiction]]\n" + table + sides)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (HEAD + 'resolution = "settled"\nwinner = "a"\n', "cites what settles it"),
        (HEAD + 'resolution = "settled"\nsettled_by = "s"\n', "names its winner"),
        (HEAD + 'resolution = "unresolved"\n', "says what was searched"),
        (HEAD + 'resolution = "maybe"\n', "resolution is 'settled' or 'unresolved'"),
        (UNRESOLVED_JUDGED, "each side names the emulator that follows it .* side a, b names none"),
        (SETTLED_OK.replace("XBEE-CONTRA", "ESWIFI-CONTRA"), "id wants XBEE-CONTRA-<NAME>"),
        (SETTLED_OK + "bug = 1\n", "unknown keys"),
    ],
)
def test_a_malformed_contradiction_is_a_clear_error(tmp_path, table, message):
    write(tmp_path, table)
    with pytest.raises(ContradictionError, match=message):
        load_contradictions(tmp_path)


def test_a_contradiction_naming_an_unknown_statement_is_a_clear_error(tmp_path):
    write(tmp_path, SETTLED_OK, SIDE_A.replace("R1", "R9") + SIDE_B)
    with pytest.raises(ContradictionError, match="side a names an unknown requirement XBEE-R9"):
        load_contradictions(tmp_path)


def test_an_unresolved_contradiction_with_an_emulator_per_side_loads(tmp_path):
    write(tmp_path, UNRESOLVED_JUDGED, SIDE_A + 'emulator = "default"\n' + SIDE_B + 'emulator = "v"\n')
    assert load_contradictions(tmp_path)["XBEE-CONTRA-X"].b.emulator == "v"
    write(tmp_path, UNRESOLVED_JUDGED, SIDE_A + 'emulator = "default"\n' + SIDE_B + 'emulator = "default"\n')
    with pytest.raises(ContradictionError, match="both sides name the emulator 'default'"):
        load_contradictions(tmp_path)


# --------------------------------------------------------------------------- the helpers cases use


class _Node:
    def __init__(self) -> None:
        self.stash = pytest.Stash()


class _Request:
    def __init__(self) -> None:
        self.node = _Node()


def test_observed_either_side_is_a_finding_quoting_both_and_neither_is_a_fail():
    c = judged(UNRESOLVED)[0]
    request: Any = _Request()
    observed(request, c.id, "b", "what the DUT did")
    (finding,) = request.node.stash[FINDINGS_KEY]
    assert c.id in finding and "follows (b)" in finding and "what the DUT did" in finding
    assert first_line(c.a.requirements[0]) in finding and first_line(c.b.requirements[0]) in finding
    with pytest.raises(ConformanceFailure) as failed:
        observed(request, c.id, "neither", "something else")
    assert c.id in failed.value.requirement and failed.value.actual == ["something else"]
    assert first_line(c.a.requirements[0]) in failed.value.expected[0]
    assert first_line(c.b.requirements[0]) in failed.value.expected[1]
    sides = [seen["side"] for seen in request.node.stash[CONTRADICTION_SEEN_KEY]]
    assert sides == ["b", "neither"]
    with pytest.raises(ContradictionError, match="is settled"):
        observed(request, judged(SETTLED)[0].id, "a")


def test_settled_names_the_contradiction_in_a_fail_it_applies_to():
    c = judged(SETTLED)[0]
    with pytest.raises(ConformanceFailure) as failed, settled(c.id):
        raise ConformanceFailure("r", ["x"], ["y"])
    (note,) = failed.value.__notes__
    assert c.id in note and f"settles it for ({c.winner})" in note
    with pytest.raises(ConformanceFailure) as failed, settled(c.id, when=lambda exc: False):
        raise ConformanceFailure("r")
    assert not getattr(failed.value, "__notes__", [])
    with pytest.raises(NoAnswer) as silent, settled(c.id):  # no answer gives no verdict on the point
        raise NoAnswer("r")
    assert not getattr(silent.value, "__notes__", [])


# --------------------------------------------------------------------------- the rule, shown by running the cases


@pytest.mark.parametrize(
    ("cid", "side"), [pytest.param(c.id, s, id=f"{c.id}-{s}") for c in judged(UNRESOLVED) for s in SIDES]
)
def test_a_module_following_either_statement_is_non_strict_even_under_strict(tmp_path, cid, side):
    c = CONTRADICTIONS[cid]
    emulator = c.side(side).emulator
    chosen = [] if emulator == DEFAULT_EMULATOR else ["--variant", f"{c.family}:{emulator}"]
    run, report = run_cases(c, tmp_path, "--strict", *chosen)
    items = [x for x in report["cases"] if x["case_id"] in c.cases]
    assert items, run.output[-3000:]
    failed = {x["nodeid"]: x["message"] for x in items if x["verdict"] not in ("PASS", "NON-STRICT")}
    assert not failed, f"a case fails a module that follows ({side}) of {cid}: {failed}"
    assert run.returncode == 0, run.output[-3000:]
    met = [x for x in items if any(seen["contradiction"] == cid for seen in x["contradictions"])]
    assert met, f"no case recorded {cid}"
    for x in met:
        assert {seen["side"] for seen in x["contradictions"] if seen["contradiction"] == cid} == {side}
        assert x["verdict"] == "NON-STRICT", x["nodeid"]
        (finding,) = [f for f in x["findings"] if f.startswith(cid)]
        assert f"follows ({side})" in finding
        assert first_line(c.a.requirements[0]) in finding and first_line(c.b.requirements[0]) in finding
    (entry,) = [e for e in report["contradictions"] if e["id"] == cid]
    assert set(entry["duts"][PROFILE[c.family]]["sides"]) == {side}


@pytest.mark.parametrize("cid", [c.id for c in judged(UNRESOLVED)])
def test_a_module_following_neither_statement_fails_quoting_both(tmp_path, cid):
    c = CONTRADICTIONS[cid]
    (fault,) = following(c, "neither")
    run, report = run_cases(c, tmp_path, "--fault", fault)
    assert run.returncode == 1, run.output[-3000:]
    failed = [x for x in report["cases"] if x["case_id"] in c.cases and x["verdict"] == "FAIL"]
    on_point = [x for x in failed if x["failure"]["requirement"].startswith(cid)]
    assert on_point, f"{fault}: no case FAILed on {cid}: {[x['message'] for x in failed]}"
    for x in on_point:
        expected = " ".join(x["failure"]["expected"])
        assert first_line(c.a.requirements[0]) in expected and first_line(c.b.requirements[0]) in expected


@pytest.mark.parametrize("cid", [c.id for c in judged(SETTLED)])
def test_a_module_following_the_losing_statement_fails_naming_the_contradiction(tmp_path, cid):
    c = CONTRADICTIONS[cid]
    (fault,) = following(c, c.loser)
    run, report = run_cases(c, tmp_path, "--fault", fault)
    assert run.returncode == 1, run.output[-3000:]
    failed = [x for x in report["cases"] if x["case_id"] in c.cases and x["verdict"] == "FAIL"]
    assert failed, f"{fault} (following {cid}'s losing side) FAILs none of {c.cases}:\n{run.output[-3000:]}"
    named = [x for x in failed if cid in x["failure"]["note"]]
    assert named, f"no FAIL of {fault} names {cid}: {[x['failure']['note'][:200] for x in failed]}"
    assert f"settles it for ({c.winner})" in named[0]["failure"]["note"]
