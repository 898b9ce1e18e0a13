"""The import direction of docs/architecture.md, kept true by walking every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"core", "protocol", "emulator", "drivers", "fixtures", "suites", "reports", "bench", "tests"}
# What each layer may import of ours, besides itself.
ALLOWED = {
    "protocol": set(),
    "core": {"protocol"},
    "emulator": {"protocol", "core"},
    "drivers": {"protocol", "core"},
    "fixtures": {"protocol", "core", "drivers"},
    "suites": {"protocol", "core", "fixtures"},
    "reports": {"core"},
}
# The one driver that is the emulator in process.
EXCEPTIONS = {("drivers/emulator.py", "emulator")}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


def violations(root: Path) -> list[str]:
    bad = []
    for layer, allowed in ALLOWED.items():
        for path in sorted((root / layer).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel.startswith("reports/out/"):
                continue
            for imported in sorted(imports_of(path) - allowed - {layer}):
                if (rel, imported) not in EXCEPTIONS:
                    bad.append(f"{rel} imports {imported} (a {layer} module may import {sorted(allowed) or 'nothing'})")
    return bad


def test_every_layer_imports_only_what_it_may():
    assert violations(ROOT) == []


def test_the_walk_finds_a_forbidden_import(tmp_path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "bad.py").write_text("import fixtures.plugin\nfrom core.record import case_marker\n")
    (tmp_path / "protocol").mkdir()
    (tmp_path / "protocol" / "bad.py").write_text("def f():\n    from core import family\n")
    assert violations(tmp_path) == [
        "protocol/bad.py imports core (a protocol module may import nothing)",
        "reports/bad.py imports fixtures (a reports module may import ['core'])",
    ]


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_every_layer_exists(layer):
    assert any((ROOT / layer).rglob("*.py"))
