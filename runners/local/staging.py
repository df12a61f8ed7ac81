"""Staging, publishing and discarding a node's outputs in the local runner.

An executor writes into `{pipeline_root}/{node_id}/.staging/{folder}/{output_key}/`. Only when
it succeeds are the outputs published: renamed to `{pipeline_root}/{node_id}/{output_key}/
{folder}/` (or, on an object-store root, copied to the store with its marker object last, see
`remote_root.py`), then recorded LIVE in one transaction by the caller. When anything fails,
the staging folder is discarded and whatever was already published is taken back, so a failed
or killed run never leaves a half-written artifact that a later run could take for good.
`{folder}` is the execution id, plus the store's suffix (see `output_folder`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfxkit.types.artifact import Artifact

if TYPE_CHECKING:
    from tfxkit.dsl.base_component import BaseComponent
    from tfxkit.runners.local.remote_root import RemoteRoot


def output_folder(execution_id: int, suffix: str = "") -> str:
    """The folder name of an execution's outputs, staging and log: its id, plus the store's
    suffix when the store is newer than outputs already in the pipeline root."""
    return f"{execution_id}-{suffix}" if suffix else str(execution_id)


def staging_folder(root: Path, node_id: str, folder: str) -> Path:
    """Where the execution `folder` of `node_id` stages its outputs."""
    return root / node_id / ".staging" / folder


def holds_files(folder: Path) -> bool:
    """Whether `folder` exists and holds anything."""
    try:
        return any(folder.iterdir())
    except OSError:
        return False


def existing_paths(staging: Path, final_uris: Iterable[str], log_file: str | None
                   ) -> list[Any]:
    """Those of the staging folder, local output folders and log that already exist (another
    store's outputs, which must never be overwritten)."""
    return [path for path in [staging, *map(Path, final_uris),
                              *([Path(log_file)] if log_file else [])] if path.exists()]


def create_staging(node: BaseComponent, staging: Path, log_file: str | None
                   ) -> dict[str, list[Artifact]]:
    """Create the staging folder of `node` (one folder per output, and `.tmp`) and the log's
    folder; return one artifact per output, pointing at its staging folder.

    Raises:
        OSError: when a folder cannot be created (the caller discards the staging folder).
    """
    staged: dict[str, list[Artifact]] = {}
    for output_key, channel in node.outputs.items():
        (staging / output_key).mkdir(parents=True, exist_ok=True)
        staged[output_key] = [channel.type(uri=str(staging / output_key))]
    (staging / ".tmp").mkdir(parents=True, exist_ok=True)
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
    return staged


def reset_outputs(staging: Path, output_keys: Iterable[str]) -> None:
    """Empty the staged output folders (before a retry writes them again)."""
    for key in output_keys:
        shutil.rmtree(staging / key, ignore_errors=True)
        (staging / key).mkdir(parents=True, exist_ok=True)


def discard(staging: Path) -> None:
    """Delete a staging folder and everything in it (missing is fine)."""
    shutil.rmtree(staging, ignore_errors=True)


class Publication:
    """Publishing one execution's staged outputs, undoable until the store records them.

    Args:
        staging: the execution's staging folder.
        final_uris: output key -> where the output is published (local path or store URI).
        remote: the object-store root, when the pipeline root is one.
    """

    def __init__(self, staging: Path, final_uris: dict[str, str],
                 remote: RemoteRoot | None = None) -> None:
        self.staging = staging
        self.final_uris = final_uris
        self.remote = remote
        self.moved: list[str] = []

    def publish(self, outputs: dict[str, list[dict[str, Any]]]) -> dict[str, list[Artifact]]:
        """Move each staged output (artifacts as the executor returned them) to its final
        place and return the artifacts pointing there; the staging folder is then deleted.

        Raises:
            OSError (or the store's errors): the caller then calls `undo()`.
        """
        published: dict[str, list[Artifact]] = {}
        for key, dicts in outputs.items():
            artifacts = [Artifact.from_dict(d) for d in dicts]
            if self.remote is not None:  # copied to the store, its marker last
                self.moved.append(self.final_uris[key])
                self.remote.publish(self.staging / key, self.moved[-1], artifacts)
                published[key] = artifacts
                continue
            final = Path(self.final_uris[key])
            final.parent.mkdir(parents=True, exist_ok=True)
            os.rename(self.staging / key, final)
            self.moved.append(str(final))
            for artifact in artifacts:
                artifact.uri = str(final)
            published[key] = artifacts
        discard(self.staging)
        return published

    def undo(self) -> None:
        """Take back what was published (it was not recorded) and delete the staging folder:
        files left there would sit where a LIVE artifact belongs."""
        for path in self.moved:
            if self.remote is not None:
                self.remote.unpublish(path)
            else:
                shutil.rmtree(path, ignore_errors=True)
        discard(self.staging)


__all__ = ["Publication", "create_staging", "discard", "existing_paths", "holds_files",
           "output_folder", "reset_outputs", "staging_folder"]
