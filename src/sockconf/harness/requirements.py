"""The requirement catalogue: every statement of the vendor documents the suite checks, as data.

One TOML file per family (``sockconf/data/requirements/<family>.toml``): each ``[[requirement]]``
has a stable ID, the document it comes from (``seed``: the family's seed document, copied unchanged
into ``seeds/``; ``vendor``: the vendor guides the suite's facts come from), its section and step, the
quoted text verbatim and the first 12 hex digits of the quote's SHA-256, so an edited quote is
noticed. A statement that no case can check (a title, a bench precondition, a slip in the document)
says why in ``informative``.
Cases name the IDs they verify (``@case(..., verifies=(...))``); the report shows the coverage.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sockconf import data

REQUIREMENTS_DIR = data.folder("requirements")
SEEDS_DIR = REQUIREMENTS_DIR / "seeds"
HASH_LENGTH = 12


class RequirementError(Exception):
    """A requirement file that cannot be read or is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Requirement:
    id: str
    family: str
    document: str  # the document's title
    source_file: str  # the seed's file name under seeds/, or "" for other vendor material
    section: str
    step: str
    quote: str
    sha: str
    informative: str = ""  # why no case can verify it; "" for a statement a case must verify

    def to_data(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items()}


def quote_hash(quote: str) -> str:
    """The first 12 hex digits of the SHA-256 of ``quote`` (UTF-8)."""
    return hashlib.sha256(quote.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def _entry(path: Path, family: str, documents: dict[str, Any], raw: Any, index: int) -> Requirement:
    if not isinstance(raw, dict):
        raise RequirementError(f"{path.name}: requirement #{index + 1} is not a table")
    missing = [k for k in ("id", "document", "section", "quote", "sha") if not isinstance(raw.get(k), str)]
    if missing:
        raise RequirementError(f"{path.name}: requirement #{index + 1} lacks {', '.join(missing)}")
    doc = documents.get(raw["document"])
    if not isinstance(doc, dict) or not isinstance(doc.get("title"), str):
        raise RequirementError(f"{path.name}: {raw['id']} names an undefined document {raw['document']!r}")
    return Requirement(
        id=raw["id"],
        family=family,
        document=doc["title"],
        source_file=Path(str(doc.get("file", ""))).name,
        section=raw["section"],
        step=str(raw.get("step", "")),
        quote=raw["quote"],
        sha=raw["sha"],
        informative=str(raw.get("informative", "")),
    )


def load_family(path: Path) -> list[Requirement]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RequirementError(f"cannot read requirements {path.name}: {exc}") from None
    documents = data.get("documents", {})
    entries = data.get("requirement", [])
    if not isinstance(documents, dict) or not isinstance(entries, list):
        raise RequirementError(f"{path.name}: wants [documents.*] tables and [[requirement]] entries")
    return [_entry(path, path.stem, documents, raw, i) for i, raw in enumerate(entries)]


def load_catalogue(folder: Path = REQUIREMENTS_DIR) -> dict[str, Requirement]:
    """Every family's requirements by ID, in file order; a duplicate ID is an error."""
    out: dict[str, Requirement] = {}
    for path in sorted(folder.glob("*.toml")):
        for req in load_family(path):
            if req.id in out:
                raise RequirementError(f"{path.name}: requirement ID {req.id} is defined twice")
            out[req.id] = req
    return out


def seed_text(req: Requirement) -> str:
    """The text of the seed document ``req`` quotes ("" when it quotes other vendor material)."""
    if not req.source_file:
        return ""
    return (SEEDS_DIR / req.source_file).read_text(encoding="utf-8")
