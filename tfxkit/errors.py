"""Errors tfxkit raises. Every message says what was expected, what was found, where, and how
to fix it, so a user can act on it without reading tfxkit's source."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from tfxkit.secrets import mask_secrets


class TfxkitError(Exception):
    """Base of every error tfxkit raises on purpose. Its text never shows a secret: passwords
    in URLs and secret environment values are masked (`tfxkit.secrets.mask_secrets`)."""

    def __str__(self) -> str:
        return mask_secrets(super().__str__())


class ComponentDefinitionError(TfxkitError, TypeError):
    """A component class, spec or `@component` function is malformed (raised at definition)."""


class ComponentArgumentError(TfxkitError, TypeError):
    """A component was constructed with unknown, missing or mistyped arguments."""


class PipelineDefinitionError(TfxkitError, ValueError):
    """A pipeline is malformed: duplicate ids, cycles, missing upstream components, bad names."""


class ExecutionError(TfxkitError, RuntimeError):
    """A component's executor failed; the message names the component and the cause."""


class MetadataError(TfxkitError, RuntimeError):
    """The ML Metadata store could not be reached or holds something unexpected."""


class StoreNotFoundError(MetadataError):
    """A read-only command found no ML Metadata store where it was told to look (a missing
    SQLite file, a MySQL database that does not exist); nothing was created. `location` is
    where it looked, as messages show it."""

    def __init__(self, message: str, location: str = "") -> None:
        super().__init__(message)
        self.location = location


class UserCodeError(ExecutionError):
    """User code (`preprocessing_fn`, `run_fn`, ...) raised or could not be loaded; the message
    names the user's file and line and the original exception is chained as `__cause__`."""


class DataError(TfxkitError, ValueError):
    """Input data is missing or malformed, or fails validation; the message names the file,
    line or split, what was expected and found, and how to fix it."""


class DiskFullError(TfxkitError, OSError):
    """The device holding a store or an output ran out of space (ENOSPC); the message names
    the path and the space left. Nothing was half-published: rerun after freeing space."""


def human_bytes(count: float) -> str:
    """`count` bytes as `512 B`, `4 KB`, `1.5 MB`, `2.0 GB` (powers of 1024)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if count < 1024 or unit == "TB":
            return f"{count:.0f} {unit}" if unit in ("B", "KB") else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TB"


def free_space(path: str | os.PathLike[str]) -> int | None:
    """Bytes free (for this user) on the device holding `path` or its nearest existing
    parent, or None when that cannot be told."""
    folder = Path(path).absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def shown_path(path: str | os.PathLike[str]) -> str:
    """`path` as a message shows it: relative to the working directory when inside it."""
    absolute = Path(path).absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` says the disk is full: ENOSPC / EDQUOT, or SQLite's "database or disk is
    full" as ml-metadata reports it."""
    if isinstance(exc, DiskFullError):
        return True
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc).lower()
    return "database or disk is full" in text or "no space left on device" in text


def disk_full_error(path: str | os.PathLike[str], action: str = "") -> DiskFullError:
    """The DiskFullError for a write under `path` that found its device full, e.g.
    "no space left on the device holding out/metadata.sqlite (4 KB free); free space and rerun".
    `action` (e.g. "while publishing train's outputs") is added after the path."""
    free = free_space(path)
    left = f" ({human_bytes(free)} free)" if free is not None else ""
    doing = f" {action}" if action else ""
    error = DiskFullError(f"no space left on the device holding {shown_path(path)}{left}"
                          f"{doing}; free space and rerun")
    error.errno = errno.ENOSPC  # set after construction: str() stays the one-line message
    return error


class RunInterrupted(KeyboardInterrupt):
    """A run was stopped by a signal: SIGINT (Ctrl-C) or SIGTERM (what `kill`, `timeout`, CI
    systems, systemd and Kubernetes send). Running nodes were stopped, recorded CANCELED and
    published nothing; finished nodes stay published and are reused from the cache.

    A KeyboardInterrupt, so `except Exception` never swallows it and notebooks treat it as
    Ctrl-C. Its text is the one line to print, e.g. "terminated (SIGTERM); train was stopped;
    resume with: tfxkit run tiny.py --from train".

    Attributes:
        signal_number: the signal (`signal.SIGINT` or `signal.SIGTERM`).
        exit_code: what a command should exit with: 128 + the signal number (130, 143).
        stopped: ids of the nodes that were running and were stopped.
    """

    def __init__(self, message: str, signal_number: int, stopped: list[str] | None = None
                 ) -> None:
        super().__init__(message)
        self.signal_number = signal_number
        self.exit_code = 128 + signal_number
        self.stopped = list(stopped or [])

    def __str__(self) -> str:
        return mask_secrets(super().__str__())
