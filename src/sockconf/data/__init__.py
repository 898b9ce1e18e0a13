"""What the cases and the emulator read, as package resources: profiles, requirements with the seed
documents, the registry of silent points, and the documents' bytes (``vectors``).

Every folder here is a package, so :func:`folder` finds it through :mod:`importlib.resources` in a
checkout and in an installed wheel alike. This package imports nothing of the project's.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def folder(kind: str) -> Path:
    """The folder of one kind of data (``profiles``, ``requirements``, ``silent``) as a path on disk."""
    found = files(f"{__name__}.{kind}")
    if not isinstance(found, Path):
        raise FileNotFoundError(f"sockconf's {kind} data is not a folder on disk ({found!r})")
    return found
