"""The espat requirements are quoted from unchanged copies of Espressif's documents
(docs/spec/espat-sources/): every quote is its copy's own text, and each copy hashes as the catalogue records.

The catalogue's loader reads the espat documents as vendor material (no seed file), so the general
seed checks (tests/harness/test_requirements.py) do not read these copies: this module does.
"""

from __future__ import annotations

import hashlib
import tomllib

import pytest

from sockconf.harness.requirements import REQUIREMENTS_DIR, load_family
from tests.helpers import ROOT

SOURCES = ROOT / "docs" / "spec" / "espat-sources"
DATA = tomllib.loads((REQUIREMENTS_DIR / "espat.toml").read_text(encoding="utf-8"))
# Espressif's documents, each with its copy; the host drivers' facts (no copy) quote docs/host-stacks-espat.md,
# which tests/harness/test_requirements.py checks.
DOCUMENTS = {key: doc for key, doc in DATA["documents"].items() if "copy" in doc}
VENDOR = [r for r in DATA["requirement"] if r["document"] in DOCUMENTS]


@pytest.mark.parametrize("key", sorted(DOCUMENTS))
def test_each_document_names_an_unchanged_copy(key):
    doc = DOCUMENTS[key]
    copy = SOURCES / doc["copy"]
    assert copy.is_file(), f"{key}: no copy at {copy}"
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == doc["copy_sha256"], f"{key}: the copy changed"
    assert "espressif/esp-at" in doc["title"], key


def test_every_quote_is_its_documents_text():
    texts = {key: (SOURCES / doc["copy"]).read_text(encoding="utf-8") for key, doc in DOCUMENTS.items()}
    missing = [r["id"] for r in VENDOR if r["quote"] not in texts[r["document"]]]
    assert not missing, f"quotes that are not their document's text: {missing}"


def test_the_loader_reads_every_espat_requirement():
    loaded = load_family(REQUIREMENTS_DIR / "espat.toml")
    assert [r.id for r in loaded] == [r["id"] for r in DATA["requirement"]]
    assert all(r.family == "espat" and not r.source_file for r in loaded)
    assert len(VENDOR) > 200
    hosted = {r["id"] for r in DATA["requirement"]} - {r["id"] for r in VENDOR}
    assert hosted and all(i.startswith("ESPAT-HOST-") for i in hosted), hosted


def test_the_copies_carry_their_license_and_provenance():
    assert "Apache License" in (SOURCES / "LICENSE").read_text(encoding="utf-8")
    readme = (SOURCES / "README.md").read_text(encoding="utf-8")
    for doc in DOCUMENTS.values():
        assert f"`{doc['copy']}`" in readme, doc["copy"]
