"""The import direction of docs/architecture.md, kept true by walking every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import PACKAGE

# What each layer of the sockconf package may import of the package, besides itself. Every layer
# may import the package's root (its version) and ``data`` (resources); ``cli`` is the top and may
# import any layer.
ALLOWED = {
    "data": set(),
    "protocol": set(),
    "core": {"protocol"},
    "emulator": {"protocol", "core"},
    "drivers": {"protocol", "core"},
    "harness": {"protocol", "core", "drivers"},
    "suites": {"protocol", "core", "harness"},
    "reports": {"core"},
}
EVERYONE = {"", "data"}
# The one driver that is the emulator in process.
EXCEPTIONS = {("drivers/emulator.py", "emulator")}


def _layer(dotted: str, imported: str | None = None) -> str | None:
    """The layer a dotted import names (``sockconf.core.record`` -> ``core``); None when not ours."""
    parts = dotted.split(".")
    if parts[0] != "sockconf":
        return None
    if len(parts) > 1:
        return parts[1]
    return imported or ""  # ``import sockconf`` / ``from sockconf import drivers``


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str | None] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(_layer(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "sockconf":
                found.update(_layer("sockconf", alias.name) for alias in node.names)
            else:
                found.add(_layer(node.module))
    return {f for f in found if f is not None}


def violations(package: Path) -> list[str]:
    bad = []
    for layer, allowed in ALLOWED.items():
        for path in sorted((package / layer).rglob("*.py")):
            rel = path.relative_to(package).as_posix()
            for imported in sorted(imports_of(path) - allowed - EVERYONE - {layer}):
                if (rel, imported) not in EXCEPTIONS:
                    bad.append(f"{rel} imports {imported} (a {layer} module may import {sorted(allowed) or 'nothing'})")
    return bad


def test_every_layer_imports_only_what_it_may():
    assert violations(PACKAGE) == []


def test_the_walk_finds_a_forbidden_import(tmp_path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "bad.py").write_text(
        "import sockconf.harness.plugin\nfrom sockconf.core.record import case_marker\nfrom sockconf import data\n"
    )
    (tmp_path / "protocol").mkdir()
    (tmp_path / "protocol" / "bad.py").write_text("def f():\n    from sockconf import core\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "bad.py").write_text("from sockconf.protocol.profile import load_profile\n")
    assert violations(tmp_path) == [
        "data/bad.py imports protocol (a data module may import nothing)",
        "protocol/bad.py imports core (a protocol module may import nothing)",
        "reports/bad.py imports harness (a reports module may import ['core'])",
    ]


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_every_layer_exists(layer):
    assert any((PACKAGE / layer).rglob("*.py"))


def test_every_subpackage_is_a_layer():
    """A new folder in the package gets its place in the import direction (and in docs/architecture.md)."""
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert folders == set(ALLOWED)
