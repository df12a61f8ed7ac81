"""The push destination as a model registry: TF Serving's `<base>/<version>/` folders.

The one model-version store of tfxkit, shared by the Pusher (writes versions), the Evaluator
(baseline = latest pushed version), BulkInferrer/serving and `tfxkit models`; its public
name is `tfxkit.components.pusher.registry`.

A destination is TFX's JSON shape `{"filesystem": {"base_directory": "/models/penguin"}}` or a
plain path. Versions are the integer-named folders directly under the base directory; anything
else there (hidden staging folders of pushes in flight, files) is ignored, as TF Serving does.
Pure Python: the CLI (`tfxkit models`) and the Evaluator (baseline = latest pushed version) use
it without importing TensorFlow.

Aliases and history (`production` -> version 3) live at the destination itself, so they work
on a cluster or an object store without the pipeline's ML Metadata: every alias change is one
small JSON event file, `<base>/.tfxkit-registry/events/<seq>.json` (seq = 00000001, 00000002,
...), created whole and never rewritten. The current aliases, and the aliases at any past
moment (`aliases(destination, at=...)`), are a replay of the events in sequence order. A change
claims the next sequence number by creating that file exclusively; a concurrent change that
took the number first makes it re-read and retry, so alias moves are atomic and concurrent
promotes never lose an update (compare-and-swap on the event log). Three small functions do
every file operation on the log (`_list_event_names`, `_read_event_text`, `_create_exclusive`).
On an object store (`gs://`, `s3://`, through `tfxkit.fs`; a KFP launcher mount counts as
local) each event is one PUT, whole or absent; the store layer has no create-if-absent, so an
event name carries a random suffix (`00000007-<12 hex>.json`): two writers that claim one
number both keep their event (no update is lost) and the replay orders them by number, then
time. A conditional write (GCS `ifGenerationMatch=0`, S3 `If-None-Match: *`) in `tfxkit.fs`
would restore strict compare-and-swap there.

Event JSON: `{"format": 1, "seq", "time" (seconds since the epoch, UTC), "alias", "version"
(int, or null for a removal), "previous" (int or null), "action" ("promote" | "remove"),
"user", "host", "note"}`. TF Serving ignores the hidden folder (its version folders are
integer names).
"""

from __future__ import annotations

import dataclasses
import datetime
import errno
import getpass
import json
import os
import re
import shutil
import socket
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfxkit import fs
from tfxkit.components._shared import object_store
from tfxkit.errors import ComponentArgumentError, ExecutionError, TfxkitError

if TYPE_CHECKING:
    from ml_metadata.metadata_store.metadata_store import MetadataStore

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


def check_push_destination(destination: Any, where: str, *, for_writing: bool = True) -> Any:
    """Check a push destination when the pipeline is built; return it with its base directory
    made absolute.

    A local base directory may be missing (the Pusher creates it) but must not be a file or lie
    under a file, and (`for_writing`) its nearest existing folder must be writable. A relative
    path is resolved against the current working directory, the folder the run starts from, as
    `pipeline_root` is, and stored absolute, so the Pusher, the Evaluator's baseline lookup and
    `tfxkit models` all see the same folder whatever directory a worker runs in. Object-store
    URIs (`gs://`, `s3://`) are left to the executor. Raises ComponentArgumentError.
    """
    base = resolve_base_directory(destination, where)
    if "://" in base:
        return destination
    if "\0" in base:
        raise ComponentArgumentError(
            f"{where}: {base!r} contains a NUL character; expected a directory path.")
    absolute = os.path.abspath(os.path.expanduser(base))
    real = os.path.realpath(absolute)
    shown = absolute if real == absolute else f"{absolute} (real path {real})"
    if os.path.exists(real) and not os.path.isdir(real):
        raise ComponentArgumentError(
            f"{where}: push destination {shown} is a file; expected a directory (it is created "
            f"if missing). Fix: point base_directory at a folder, e.g. "
            f"{os.path.join(os.path.dirname(absolute), 'serving_model')!r}.")
    existing = real
    while not os.path.exists(existing):
        parent = os.path.dirname(existing)
        if parent == existing:
            break
        existing = parent
    if existing != real and not os.path.isdir(existing):
        raise ComponentArgumentError(
            f"{where}: push destination {shown} is under the file {existing}; expected a "
            f"directory (it is created if missing), which cannot be made inside a file. Fix: "
            f"choose a folder outside {existing}.")
    if for_writing and os.path.isdir(existing) and not os.access(existing, os.W_OK | os.X_OK):
        raise ComponentArgumentError(
            f"{where}: push destination {shown} cannot be written: {existing} is not writable "
            f"by this user. Fix: choose a writable folder or change its permissions.")
    if isinstance(destination, dict):
        return {**destination, "filesystem": {**destination["filesystem"],
                                               "base_directory": absolute}}
    return absolute


def _located(base: str) -> str:
    """`base` as this process reaches it: an object-store URI's launcher mount when present
    (inside a KFP container), else the URI itself; local paths unchanged (`tfxkit.fs`)."""
    return (fs.local_path(base) or base) if fs.is_object_store(base) else base


def list_pushed_versions(destination: Any) -> list[dict[str, Any]]:
    """Versions pushed to `destination`, oldest first.

    Returns one dict per integer-named folder under the base directory: `version` (int),
    `path` (absolute folder path), `time` (push time: the folder's mtime, seconds since the
    epoch) and `complete` (whether it holds a SavedModel: `saved_model.pb` or `.pbtxt`; a
    folder made by hand or a half-finished copy does not). A missing base directory has no
    versions. On an object store reached directly, see `object_store.list_versions`.
    """
    located = _located(resolve_base_directory(destination))
    if fs.is_object_store(located):
        return object_store.list_versions(located)
    base = Path(located)
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
    located = _located(resolve_base_directory(destination))
    if fs.is_object_store(located):
        return object_store.push(source, located)  # ordered writes, saved_model.pb last
    base = Path(located)
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


# -- aliases and their history ---------------------------------------------------------------
REGISTRY_DIR = ".tfxkit-registry"
EVENTS_DIR = "events"
EVENT_FORMAT = 1
_ALIAS = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}", re.ASCII)
_EVENT_NAME = re.compile(r"(\d{8,})(?:-[0-9a-f]{12})?\.json", re.ASCII)
# MLMD names of the alias-change record (when a metadata store is configured)
REGISTRY_CONTEXT = "model_registry"
ALIAS_EXECUTION = "ModelAliasChange"


class RegistryError(TfxkitError, ValueError):
    """A model registry request cannot be done: a bad alias name, an unknown or incomplete
    version, a malformed event file at the destination. The message says what and how to fix."""


class UnknownAliasError(RegistryError, LookupError):
    """No version carries this alias at the destination (at the moment asked about).
    `alias` and `known` (the aliases that are set) say which; a server answers 404."""

    def __init__(self, message: str, alias: str = "", known: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.alias = alias
        self.known = known


@dataclasses.dataclass(frozen=True)
class AliasEvent:
    """One alias change at a destination (one event file; see the module docstring).

    Attributes:
        seq: position in the destination's history (1, 2, ...).
        time: when it happened, seconds since the epoch.
        alias: the alias moved or removed.
        version: the version it points to after the change; None when it was removed.
        previous: the version it pointed to before; None when it was not set.
        action: "promote" or "remove".
        user, host: who made the change, from where.
        note: free text given with the change.
    """

    seq: int
    time: float
    alias: str
    version: int | None
    previous: int | None
    action: str
    user: str = ""
    host: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The event as its JSON object (with `format`)."""
        return {"format": EVENT_FORMAT, **dataclasses.asdict(self)}


def check_alias_name(alias: Any, where: str = "alias") -> str:
    """Return `alias` if it is a valid alias name, else raise RegistryError.

    A name is a letter then up to 63 letters, digits, `_`, `-` or `.` (TF Serving's version
    labels are free strings; numbers are refused here because they read as versions).
    """
    if isinstance(alias, str) and _ALIAS.fullmatch(alias):
        return alias
    raise RegistryError(
        f"{where}: expected an alias name such as 'production' or 'canary' (a letter, then up "
        f"to 63 letters, digits, '_', '-' or '.'), found {alias!r}.")


def _registry_events_dir(destination: Any) -> str:
    """The event folder of `destination` as this process reaches it (launcher mount or URI)."""
    return fs.join(_located(resolve_base_directory(destination)), REGISTRY_DIR, EVENTS_DIR)


# The three storage operations of the event log (see the module docstring).
def _list_event_names(folder: str) -> list[str]:
    """Names of the files in `folder` ([] when it does not exist)."""
    if fs.is_object_store(folder):
        return [name for name, is_folder in fs.listdir(folder) if not is_folder]
    try:
        return os.listdir(folder)
    except FileNotFoundError:
        return []


def _read_event_text(path: str) -> str:
    if fs.is_object_store(path):
        return fs.read_bytes(path).decode("utf-8")
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _create_exclusive(path: str, text: str) -> bool:
    """Create the file `path` holding `text` whole, only if it does not exist yet; return False
    when it already exists (another writer took the name). Readers never see it half-written:
    the text is written to a private temporary file first and hard-linked into place, which
    fails if the name is taken.

    On an object store (reached without a launcher mount) one PUT writes the object whole, but
    the store layer has no create-if-absent: the name gets a unique suffix
    (`00000007-<random>.json`) so that two writers of the same number both keep their event
    (none is lost; replay orders them by number, then time)."""
    if fs.is_object_store(path):
        unique = f"{path[:-len('.json')]}-{uuid.uuid4().hex[:12]}.json"
        fs.write_bytes(unique, text.encode("utf-8"))
        return True
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, f".tmp-{uuid.uuid4().hex}")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        os.unlink(temporary)
    return True


def _parse_event(path: str, text: str) -> AliasEvent:
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return AliasEvent(
            seq=int(data["seq"]), time=float(data["time"]), alias=str(data["alias"]),
            version=None if data.get("version") is None else int(data["version"]),
            previous=None if data.get("previous") is None else int(data["previous"]),
            action=str(data.get("action", "promote")), user=str(data.get("user", "")),
            host=str(data.get("host", "")), note=str(data.get("note", "")))
    except (ValueError, KeyError, TypeError) as exc:
        raise RegistryError(
            f"alias history file {path} is not a tfxkit alias event ({exc}); expected JSON "
            f"with seq, time, alias and version. Fix: restore it from a backup, or remove it "
            f"if it was put there by hand.") from exc


def alias_events(destination: Any) -> list[AliasEvent]:
    """Every alias change recorded at `destination`, oldest (lowest `seq`) first.

    Raises RegistryError when an event file is malformed (named in the message).
    """
    folder = _registry_events_dir(destination)
    names = [n for n in _list_event_names(folder) if _EVENT_NAME.fullmatch(n)]
    events = [_parse_event(fs.join(folder, n), _read_event_text(fs.join(folder, n)))
              for n in names]
    return sorted(events, key=lambda e: (e.seq, e.time))


def _replay(events: list[AliasEvent], at: float | None = None) -> dict[str, int]:
    state: dict[str, int] = {}
    for event in events:
        if at is not None and event.time > at:
            continue
        if event.version is None:
            state.pop(event.alias, None)
        else:
            state[event.alias] = event.version
    return state


def aliases(destination: Any, at: float | None = None) -> dict[str, int]:
    """Alias -> version at `destination` now, or at time `at` (seconds since the epoch): the
    replay of the alias history up to then. Empty when no alias was ever set."""
    return dict(sorted(_replay(alias_events(destination), at).items()))


def parse_time(text: str) -> float:
    """Seconds since the epoch for an ISO 8601 time such as `2026-11-01T12:00`,
    `2026-11-01 12:00:30`, `2026-11-01` (midnight) or `2026-11-01T12:00Z` / `+02:00`. A time
    without a zone is local time, as `tfxkit models` prints times. Raises RegistryError."""
    try:
        moment = datetime.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise RegistryError(
            f"--at: expected a date and time such as 2026-11-01T12:00 (local time), "
            f"2026-11-01 or 2026-11-01T12:00Z, found {text!r}.") from exc
    return moment.timestamp()


def resolve_alias(destination: Any, alias: str, at: float | None = None) -> int:
    """The version that alias `alias` points to at `destination` (now, or at time `at`).

    For servers and scripts: TF Serving's `/v1/models/{name}/labels/{alias}` is
    `resolve_alias(base_directory, alias)`. Reads only the destination's alias history (no ML
    Metadata). Raises UnknownAliasError when the alias is not set (its message lists the aliases
    that are), RegistryError for a bad name or a malformed history.
    """
    check_alias_name(alias)
    current = aliases(destination, at)
    if alias in current:
        return current[alias]
    base = resolve_base_directory(destination)
    when = "" if at is None else (
        f" at {datetime.datetime.fromtimestamp(at).isoformat(timespec='seconds')}")
    known = ", ".join(f"{k} -> {v}" for k, v in current.items()) or "none"
    raise UnknownAliasError(
        f"no version has alias {alias!r} at {base}{when} (aliases set: {known}). Fix: "
        f"`tfxkit models promote {base} VERSION --alias {alias}`.", alias, tuple(current))


def _who() -> tuple[str, str]:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in this environment (some containers)
        user = ""
    return user, socket.gethostname()


def _change(destination: Any, alias: str, version: int | None, note: str,
            check: Any, max_attempts: int) -> AliasEvent:
    """Append one alias event after `check(current aliases)` passes, retrying on a lost race."""
    folder = _registry_events_dir(destination)
    user, host = _who()
    for _ in range(max_attempts):
        events = alias_events(destination)
        state = _replay(events)
        check(state)
        seq = events[-1].seq + 1 if events else 1
        event = AliasEvent(seq=seq, time=time.time(), alias=alias, version=version,
                           previous=state.get(alias),
                           action="promote" if version is not None else "remove",
                           user=user, host=host, note=note)
        text = json.dumps(event.to_dict(), sort_keys=True, indent=1) + "\n"
        if _create_exclusive(fs.join(folder, f"{seq:08d}.json"), text):
            return event
        # another change took this sequence number: re-read the history and check again
    raise RegistryError(
        f"could not record the change of alias {alias!r} under {folder} after {max_attempts} "
        f"attempts (other changes kept taking the next number). Retry.")


def promote(destination: Any, version: int, alias: str, note: str = "",
            max_attempts: int = 1000) -> AliasEvent:
    """Point `alias` at pushed `version` of `destination` (moving it if it points elsewhere);
    return the recorded AliasEvent.

    The version must exist and hold a SavedModel. Atomic, and safe against concurrent changes
    (see the module docstring). Raises RegistryError naming the versions there.
    """
    check_alias_name(alias)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise RegistryError(f"version: expected a pushed version number (1, 2, ...), found "
                            f"{version!r}.")
    found = {v["version"]: v for v in list_pushed_versions(destination)}
    base = resolve_base_directory(destination)
    if version not in found:
        listed = ", ".join(str(v) for v in sorted(found)) or "none (nothing pushed yet)"
        raise RegistryError(f"version {version} does not exist at {base} (versions: {listed}). "
                            f"Fix: promote one of those, or push the model first.")
    if not found[version]["complete"]:
        raise RegistryError(f"version {version} at {found[version]['path']} has no "
                            f"{SAVED_MODEL_FILES[0]}: it is not a complete model and cannot get "
                            f"an alias. Fix: remove the folder or push a model there.")
    return _change(destination, alias, version, note, lambda state: None, max_attempts)


def remove_alias(destination: Any, alias: str, version: int | None = None, note: str = "",
                 max_attempts: int = 1000) -> AliasEvent:
    """Remove `alias` at `destination` (when `version` is given, only if it points there);
    return the recorded AliasEvent. Raises UnknownAliasError when the alias is not set and
    RegistryError when it points to another version than `version`."""
    check_alias_name(alias)

    def check(state: dict[str, int]) -> None:
        if alias not in state:
            raise UnknownAliasError(
                f"alias {alias!r} is not set at {resolve_base_directory(destination)} "
                f"(aliases set: {', '.join(sorted(state)) or 'none'}); nothing to remove.",
                alias, tuple(state))
        if version is not None and state[alias] != version:
            raise RegistryError(
                f"alias {alias!r} points to version {state[alias]}, not {version}; not removed. "
                f"Fix: leave out the version to remove it wherever it points.")

    return _change(destination, alias, None, note, check, max_attempts)


def versions_at(destination: Any, at: float) -> list[dict[str, Any]]:
    """The versions of `list_pushed_versions` that were pushed by time `at` (folder time)."""
    return [v for v in list_pushed_versions(destination) if v["time"] <= at]


def record_alias_event(store: MetadataStore, destination: Any, event: AliasEvent) -> int:
    """Record an alias change in ML Metadata too; return the execution id.

    An execution of type `ModelAliasChange` (COMPLETE; custom properties alias, version,
    previous, action, seq, time, user, host, destination) in the context `model_registry`
    named by the base directory, with an INPUT event on the PushedModel artifact of that push
    when the store recorded it (so `tfxkit lineage` and queries connect the alias to its run).
    """
    from ml_metadata.proto import metadata_store_pb2 as pb

    from tfxkit.metadata import record
    from tfxkit.metadata.lineage import find_pushed_model
    from tfxkit.metadata.store import retrying

    base = resolve_base_directory(destination)
    base = base if "://" in base else os.path.abspath(base)
    context = record.get_or_create_context(store, REGISTRY_CONTEXT, base,
                                           {"base_directory": base})
    execution = pb.Execution(type_id=record.execution_type_id(store, ALIAS_EXECUTION),
                             last_known_state=pb.Execution.COMPLETE)
    facts = {**{k: v for k, v in event.to_dict().items() if v is not None},
             "destination": base, "finished_at": event.time, "started_at": event.time}
    for key, value in facts.items():
        record.set_value(execution.custom_properties[key], value)
    pairs = []
    if event.version is not None:
        pushed = find_pushed_model(store, os.path.join(base, str(event.version)))
        if pushed is not None and pushed.id is not None:
            [proto] = store.get_artifacts_by_id([pushed.id])
            step = pb.Event(type=pb.Event.INPUT)
            step.path.steps.add().key = "pushed_model"
            step.path.steps.add().index = 0
            pairs.append((proto, step))
    execution_id, _, _ = retrying(
        lambda: store.put_execution(execution, pairs, [context],
                                    reuse_context_if_already_exist=True),
        "recording an alias change")
    return int(execution_id)


__all__ = [
    "ALIAS_EXECUTION",
    "EVENTS_DIR",
    "EVENT_FORMAT",
    "REGISTRY_CONTEXT",
    "REGISTRY_DIR",
    "SAVED_MODEL_FILES",
    "STAGING_PREFIX",
    "AliasEvent",
    "RegistryError",
    "UnknownAliasError",
    "alias_events",
    "aliases",
    "check_alias_name",
    "check_push_destination",
    "latest_complete_version",
    "latest_pushed_version",
    "list_pushed_versions",
    "parse_time",
    "promote",
    "push_directory",
    "record_alias_event",
    "remove_alias",
    "resolve_alias",
    "resolve_base_directory",
    "versions_at",
]
