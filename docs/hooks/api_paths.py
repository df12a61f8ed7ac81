"""mkdocs hook: let mkdocstrings find `tfxkit.components` and `tfxkit.runners`.

Those packages live in the repository's `components/` and `runners/` folders and are mapped
under `tfxkit.` by setup.py; griffe's static finder only follows top-level mappings. Before the
API pages are rendered, this builds `build/docs-api/tfxkit/`, a tree of symbolic links to
`tfxkit/*`, `components/` and `runners/`, which mkdocs.yml names in mkdocstrings' `paths`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
API_ROOT = REPO / "build" / "docs-api"


def on_startup(**kwargs: Any) -> None:
    """Rebuild the link tree (runs before the configuration and plugins load)."""
    package = API_ROOT / "tfxkit"
    shutil.rmtree(API_ROOT, ignore_errors=True)
    package.mkdir(parents=True)
    for entry in (REPO / "tfxkit").iterdir():
        if entry.name not in ("__pycache__", "components", "runners"):
            (package / entry.name).symlink_to(entry)
    for name in ("components", "runners"):
        (package / name).symlink_to(REPO / name)
