"""mkdocs hook: let mkdocstrings find `tfxkit.components` and `tfxkit.runners`.

Those packages live in the repository's `components/` and `runners/` folders and are mapped
under `tfxkit.` by setup.py; griffe's static finder only follows top-level mappings. Before the
API pages are rendered, this builds `build/docs-api/tfxkit/`, a tree of symbolic links to
`tfxkit/*`, `components/` and `runners/`, which mkdocs.yml names in mkdocstrings' `paths`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
API_ROOT = REPO / "build" / "docs-api"


def on_startup(**kwargs: Any) -> None:
    """Bring the link tree up to date (runs before the configuration and plugins load).

    In place and idempotent, not removed and made again: two builds at once (test workers)
    each find or make the same links, where one's removal used to pull the tree from under
    the other (FileExistsError, or API pages missing)."""
    package = API_ROOT / "tfxkit"
    package.mkdir(parents=True, exist_ok=True)
    wanted = {entry.name: entry for entry in (REPO / "tfxkit").iterdir()
              if entry.name not in ("__pycache__", "components", "runners")}
    wanted.update({name: REPO / name for name in ("components", "runners")})
    for link in package.iterdir():
        if link.name not in wanted:
            _remove(link)
    for name, target in wanted.items():
        link = package / name
        if link.is_symlink() and Path(os.readlink(link)) == target:
            continue
        _remove(link)
        with contextlib.suppress(FileExistsError):  # made by a build running alongside
            link.symlink_to(target)


def _remove(path: Path) -> None:
    """Remove a link or file (or a folder left by an older tree), if still there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
