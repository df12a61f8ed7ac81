"""The push destination as a model registry: TF Serving's `<base>/<version>/` folders.

A destination is TFX's JSON shape `{"filesystem": {"base_directory": "/models/penguin"}}` or a
plain path. Versions are the integer-named folders directly under the base directory; anything
else there (hidden staging folders of pushes in flight, files) is ignored, as TF Serving does.
Pure Python: the CLI (`tfxkit models`) and the Evaluator (baseline = latest pushed version) use
it without importing TensorFlow.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from tfxkit.errors import ComponentArgumentError, ExecutionError

STAGING_PREFIX = ".tfxkit-push-"
SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")


def resolve_base_directory(destination: Any, where: str = "push_destination") -> str:
    """Base directory named by `destination` (a path, or `{"filesystem": {"base_directory": p}}`).

    Raises ComponentArgumentError for any other shape.
    """
    if isinstance(destination, os.PathLike):
        destination = os.fspath(destination)
    if isinstance(destination, str) and destination:
        return destination
    if isinstance(destination, dict):
        filesystem = destination.get("filesystem")
        base = filesystem.get("base_directory") if isinstance(filesystem, dict) else None
        if isinstance(base, str) and base:
            return base
    raise ComponentArgumentError(
        f"{where}: expected a directory path or {{'filesystem': {{'base_directory': "
        f"'/path/to/serving/models'}}}} (TFX's PushDestination JSON), found {destination!r}."
    )


def list_pushed_versions(destination: Any) -> list[dict[str, Any]]:
    """Versions pushed to `destination`, oldest first.

    Returns one dict per integer-named folder under the base directory: `version` (int),
    `path` (absolute folder path), `time` (push time: the folder's mtime, seconds since the
    epoch) and `complete` (whether it holds a SavedModel: `saved_model.pb` or `.pbtxt`; a
    folder made by hand or a half-finished copy does not). A missing base directory has no
    versions.
    """
    base = Path(resolve_base_directory(destination))
    if not base.is_dir():
        return []
    versions = []
    for entry in base.iterdir():
        if entry.name.isdigit() and entry.is_dir():
            versions.append({
                "version": int(entry.name),
                "path": str(entry.absolute()),
                "time": entry.stat().st_mtime,
                "complete": any((entry / name).is_file() for name in SAVED_MODEL_FILES),
            })
    return sorted(versions, key=lambda item: item["version"])


def latest_pushed_version(destination: Any) -> dict[str, Any] | None:
    """The highest version at `destination` (as in `list_pushed_versions`), or None if empty."""
    versions = list_pushed_versions(destination)
    return versions[-1] if versions else None


def latest_complete_version(
    destination: Any,
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(the highest version at `destination` holding a SavedModel, or None; the incomplete
    version folders above it, which were skipped), as dicts of `list_pushed_versions`.

    The Evaluator takes the first as its baseline and names the second in a warning.
    """
    versions = list_pushed_versions(destination)
    skipped: list[dict[str, Any]] = []
    for version in reversed(versions):
        if version["complete"]:
            return version, list(reversed(skipped))
        skipped.append(version)
    return None, list(reversed(skipped))


def push_directory(source: str, destination: Any, max_attempts: int = 1000) -> tuple[int, str]:
    """Copy the folder `source` to `<base>/<next version>/` atomically; return (version, path).

    The copy is made in a hidden staging folder inside the base directory, then renamed into
    place: readers (TF Serving, `list_pushed_versions`) never see a half-copied version. The
    version is claimed by that rename, which fails when a concurrent pusher took the number
    first (the folder exists and is not empty); the push then retries with the next number.
    """
    source_path = Path(source)
    if not source_path.is_dir() or not any(source_path.iterdir()):
        raise ExecutionError(
            f"Pusher: expected a model folder with files at {source}, found "
            f"{'an empty folder' if source_path.is_dir() else 'nothing'}. The Trainer's run_fn "
            f"must save the model to fn_args.serving_model_dir."
        )
    base = Path(resolve_base_directory(destination))
    base.mkdir(parents=True, exist_ok=True)
    staging = base / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
    try:
        shutil.copytree(source_path, staging)
        for _ in range(max_attempts):
            latest = latest_pushed_version(str(base))
            version = latest["version"] + 1 if latest else 1
            target = base / str(version)
            try:
                os.rename(staging, target)
            except OSError as exc:
                if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                    continue  # another pusher claimed this number first
                raise
            return version, str(target.absolute())
        raise ExecutionError(
            f"Pusher: could not claim a version under {base} after {max_attempts} attempts "
            f"(concurrent pushes keep taking the next number). Retry the push."
        )
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


__all__ = [
    "latest_complete_version",
    "latest_pushed_version",
    "list_pushed_versions",
    "push_directory",
    "resolve_base_directory",
]
