"""The step test kit's own pytest fixture (`step_runner`), as a project enables it with
`pytest_plugins = ["tfxkit.testing.pytest_plugin"]` (pytest allows that only in the rootdir
conftest, so it is imported here), and a snapshot of the store to prove it unchanged."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from tfxkit.testing.pytest_plugin import step_runner

__all__ = ["files_state", "step_runner", "store_state"]


def store_state(location: str) -> dict[str, Any]:
    """Counts of everything ML Metadata holds, and the artifact ids (read-only)."""
    from tfxkit.metadata import connect

    store = connect(location, read_only=True)
    return {
        "executions": len(store.get_executions()),
        "artifacts": sorted(a.id for a in store.get_artifacts()),
        "contexts": len(store.get_contexts()),
        "events": len(store.get_events_by_execution_ids([e.id for e in store.get_executions()])),
    }


def files_state(root: Path) -> dict[str, str]:
    """Every file under `root` with its sha256 (the pipeline's outputs, byte for byte)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}
