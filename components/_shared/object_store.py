"""Pushed versions on an object store (`gs://`, `s3://`, `minio://`) reached directly.

The registry (`model_registry.py`) calls these when the base directory is an object-store URI with
no launcher mount (see `tfxkit.fs`). Object stores have no atomic folder rename, so a version
is published by ordered writes: the model's files are copied into `<base>/<version>/` with
`saved_model.pb` written last. A version folder without it is incomplete: readers
(`list_versions`'s `complete`, hence the Evaluator's baseline lookup) skip it, and TF Serving
finds no model there yet. The version number is claimed by a small claim object
(`<base>/<version>/.tfxkit-claim`) read back after writing: a pusher that reads another
pusher's claim moves on to the next number (S3 and GCS give read-after-write consistency; two
claims written within the same instant can still both win, which a conditional write would
close).
"""

from __future__ import annotations

import uuid
from typing import Any

from tfxkit import fs
from tfxkit.errors import ExecutionError

SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")
CLAIM = ".tfxkit-claim"


def list_versions(base: str) -> list[dict[str, Any]]:
    """The integer-named folders under `base` on the store, oldest first, as dicts like
    `registry.list_pushed_versions`: version, path (URI), time (mtime of the SavedModel, or
    None while incomplete), complete."""
    base = base.rstrip("/")
    versions = []
    for name, is_folder in fs.listdir(base):
        if not (is_folder and name.isdigit()):
            continue
        path = f"{base}/{name}"
        marker = next((f"{path}/{f}" for f in SAVED_MODEL_FILES if fs.is_file(f"{path}/{f}")),
                      None)
        versions.append({"version": int(name), "path": path,
                         "time": fs.mtime(marker) if marker else None,
                         "complete": marker is not None})
    return sorted(versions, key=lambda item: item["version"])


def push(source: str, base: str, max_attempts: int = 100) -> tuple[int, str]:
    """Copy local folder `source` to `<base>/<next version>/` on the store, `saved_model.pb`
    last; return (version, URI). Raises ExecutionError when no version can be claimed."""
    base = base.rstrip("/")
    token = uuid.uuid4().hex
    taken: set[int] = set()
    for _ in range(max_attempts):
        numbers = {v["version"] for v in list_versions(base)} | taken
        version = max(numbers, default=0) + 1
        target = f"{base}/{version}"
        fs.write_bytes(f"{target}/{CLAIM}", token.encode())
        if fs.read_bytes(f"{target}/{CLAIM}").decode() != token:
            taken.add(version)
            continue  # another pusher claimed this number first
        fs.copy_tree(source, target, last=SAVED_MODEL_FILES)
        return version, target
    raise ExecutionError(f"Pusher: could not claim a version under {base} after {max_attempts} "
                         f"attempts (concurrent pushes keep taking the next number). Retry.")
