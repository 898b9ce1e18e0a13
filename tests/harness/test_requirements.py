"""The requirement catalogue and the cases' ``verifies=``: every seed statement has a case, every case
verifies a requirement that exists, and every quote is the document's own text (by hash and in the seed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sockconf.core.family import families
from sockconf.harness.requirements import (
    SEEDS_DIR,
    RequirementError,
    load_catalogue,
    load_family,
    quote_hash,
    seed_text,
)
from tests.helpers import ROOT

CATALOGUE = load_catalogue()
FAMILY_PREFIXES = {name.upper() for name in families()}
# Lines of a seed that are table scaffolding (a header row or a separator), not a statement.
SCAFFOLDING = re.compile(
    r"^(Field \| Value \||-+(\|-+)*\||AT Command \| Function \||Task \| BSD \|.*|AT Command \| Response \|.*)$"
)


def test_every_case_verifies_a_known_requirement(cases: dict[str, set[str]]) -> None:
    empty = sorted(c for c, ids in cases.items() if not ids)
    unknown = sorted(f"{c}: {r}" for c, ids in cases.items() for r in ids if r not in CATALOGUE)
    assert not empty, f"cases that verify no requirement: {empty}"
    assert not unknown, f"cases that name unknown requirements: {unknown}"


def test_informative_statements_are_verified_by_no_case(cases: dict[str, set[str]]) -> None:
    used = {r for ids in cases.values() for r in ids}
    wrong = sorted(r.id for r in CATALOGUE.values() if r.informative and r.id in used)
    assert not wrong, f"statements marked informative (no case can check them) that a case claims to verify: {wrong}"


def test_every_statement_has_a_case(cases: dict[str, set[str]]) -> None:
    used = {r for ids in cases.values() for r in ids}
    gaps = sorted(r.id for r in CATALOGUE.values() if not r.informative and r.id not in used)
    assert not gaps, f"documented statements no case verifies: {gaps}"


def test_quotes_match_their_hash() -> None:
    wrong = [
        f"{r.id}: sha {r.sha}, the quote hashes to {quote_hash(r.quote)}"
        for r in CATALOGUE.values()
        if quote_hash(r.quote) != r.sha
    ]
    assert not wrong, "quotes edited without their hash (or the reverse):\n" + "\n".join(wrong)


def test_seed_quotes_occur_in_the_seed() -> None:
    seeds = [r for r in CATALOGUE.values() if r.source_file]
    assert {r.source_file for r in seeds} == {p.name for p in SEEDS_DIR.glob("*.txt")}, "a seed without requirements"
    missing = [r.id for r in seeds if r.quote not in seed_text(r)]
    assert not missing, f"quotes that are not the seed's text: {missing}"


@pytest.mark.parametrize("seed", sorted(p.name for p in SEEDS_DIR.glob("*.txt")))
def test_every_seed_line_is_in_a_requirement(seed: str) -> None:
    """Each step, field row, note, table row and sequence line of the seed belongs to some requirement."""
    quoted = {line for r in CATALOGUE.values() if r.source_file == seed for line in r.quote.split("\n")}
    lines = [line for line in (SEEDS_DIR / seed).read_text(encoding="utf-8").split("\n") if line.strip()]
    missing = [line for line in lines if line not in quoted and not SCAFFOLDING.match(line)]
    assert not missing, f"{seed}: lines no requirement quotes: {missing}"


def test_informative_entries_say_why() -> None:
    for r in CATALOGUE.values():
        if r.informative:
            assert len(r.informative) > 10, f"{r.id}: informative wants a reason"


def test_every_requirement_names_its_source() -> None:
    for r in CATALOGUE.values():
        assert r.document and r.section and r.quote, f"{r.id} lacks its document, section or quote"
        assert r.id.split("-")[0] in FAMILY_PREFIXES, f"{r.id}: an ID starts with its family"
        assert r.family == r.id.split("-")[0].lower(), f"{r.id} sits in {r.family}.toml"


def test_a_malformed_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "xbee.toml"
    bad.write_text('[documents.seed]\ntitle = "t"\n[[requirement]]\nid = "X-1"\ndocument = "seed"\n')
    with pytest.raises(RequirementError, match=r"xbee.toml: requirement #1 lacks section, quote, sha"):
        load_family(bad)
    bad.write_text("[[requirement]\n")
    with pytest.raises(RequirementError, match=r"cannot read requirements xbee\.toml"):
        load_family(bad)
    dup = tmp_path / "dup.toml"
    entry = '[[requirement]]\nid = "X-1"\ndocument = "seed"\nsection = "s"\nquote = "q"\nsha = "x"\n'
    dup.write_text('[documents.seed]\ntitle = "t"\n' + entry + entry)
    with pytest.raises(RequirementError, match="X-1 is defined twice"):
        load_catalogue(tmp_path)


# The documents that hold host stacks' facts, one fact line each: "- **<FAMILY>-HOST-<STACK>-<NAME>**: <text>".
HOST_STACKS_DOCS = ("docs/host-stacks.md", "docs/host-stacks-espat.md")
FACT_LINE = re.compile(r"^- \*\*([A-Z0-9]+-HOST-[A-Z0-9-]+)\*\*: (.+)$", re.MULTILINE)


@pytest.mark.parametrize("doc", HOST_STACKS_DOCS)
def test_host_stack_facts_are_quoted_from_docs_host_stacks_word_for_word(doc: str) -> None:
    """A host stack's facts live in its host-stacks document; the catalogue quotes each one exactly, and
    names that document in the quoting document's title."""
    facts = dict(FACT_LINE.findall((ROOT / doc).read_text(encoding="utf-8")))
    quoted = {r.id: r for r in CATALOGUE.values() if f"({doc})" in r.document}
    assert quoted, f"no requirement quotes {doc}"
    assert set(facts) == set(quoted), f"facts without a requirement or the reverse: {set(facts) ^ set(quoted)}"
    wrong = [i for i, r in quoted.items() if r.quote != facts[i]]
    assert not wrong, f"quotes that are not {doc}'s words: {wrong}"


def test_every_host_stack_requirement_quotes_a_host_stacks_document() -> None:
    hosted = {r.id for r in CATALOGUE.values() if "-HOST-" in r.id}
    quoting = {r.id for r in CATALOGUE.values() if any(f"({doc})" in r.document for doc in HOST_STACKS_DOCS)}
    assert hosted == quoting, hosted ^ quoting
