"""Golden inputs: a small sample of a step's upstream artifacts, kept in the project's tests.

    from tfxkit.testing import snapshot_inputs
    snapshot_inputs("Trainer", rows=64)     # -> tests/fixtures/Trainer/
    # or: tfxkit snapshot Trainer --rows 64   (make fixtures in a generated project)

Layout of `tests/fixtures/<node>/`:

    manifest.json                     what is there (below), read by run_step(inputs="fixtures")
    <input key>/<index>/...           one folder per upstream artifact, its files as the
                                      artifact type lays them out (`Split-train/...`)

Examples artifacts (raw or transformed tf.Examples) are sampled: at most `rows` records per
split, spread evenly over the split (not the first rows, which are often sorted by label),
written as one TFRecord file per split, gzipped as the source was. The records are copied as
they were framed, checksums included, so no TensorFlow is needed. Any other artifact (Schema,
TransformGraph, ExampleStatistics, Model, ...) is copied whole; an artifact over `max_bytes`
is refused with the size, since golden inputs are meant to be committed.

`manifest.json` records, per input key, each artifact's type, properties and custom
properties, split names and sampled row counts, with the node, the pipeline, the source run
id, the source artifact ids and uris, and the tfxkit version, so that a reviewer sees where
the sample came from and `run_step` rebuilds the artifacts exactly.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfxkit.errors import DataError
from tfxkit.testing.inputs import (
    FixturesNotFoundError,
    StepInputsError,
    load_project_pipeline,
    node_of,
    store_inputs,
)
from tfxkit.types.artifact import Artifact, ArtifactState

if TYPE_CHECKING:
    from tfxkit.dsl.base_component import BaseComponent
    from tfxkit.dsl.pipeline import Pipeline

FIXTURES_DIR = "tests/fixtures"
MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
DEFAULT_ROWS = 64
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
# Recorded at publish for the cache's integrity check; a sample has other files.
_PUBLISH_FACTS = ("tfxkit_file_count", "tfxkit_total_bytes")


def fixtures_root(project: Path | None, fixtures: str | os.PathLike[str] | None) -> Path:
    """The golden inputs folder: `fixtures` if given, else `<project>/tests/fixtures` (the
    working folder's `tests/fixtures` outside a project)."""
    if fixtures is not None:
        return Path(fixtures).absolute()
    return ((project or Path.cwd()) / FIXTURES_DIR).absolute()


# -- TFRecord frames, copied as they are ----------------------------------------------------
def _open(path: Path) -> Any:
    with open(path, "rb") as handle:
        magic = handle.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def _frames(path: Path) -> Iterator[bytes]:
    """The records of a TFRecord file as whole frames (length, its CRC, data, data CRC)."""
    with _open(path) as handle:
        while True:
            head = handle.read(12)
            if not head:
                return
            if len(head) < 12:
                raise DataError(f"{path}: truncated TFRecord (a record header is cut short); "
                                f"re-run the step that wrote it.")
            (length,) = struct.unpack("<Q", head[:8])
            body = handle.read(length + 4)
            if len(body) < length + 4:
                raise DataError(f"{path}: truncated TFRecord (record of {length} bytes cut "
                                f"short); re-run the step that wrote it.")
            yield head + body


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def sample_split(source: Path, target: Path, rows: int) -> int:
    """Write at most `rows` records of the TFRecord files in folder `source`, spread evenly
    over them, to one file in `target`; returns the number written."""
    files = sorted(p for p in source.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        return 0
    total = sum(1 for f in files for _ in _frames(f))
    wanted = {i * total // rows for i in range(rows)} if total > rows else set(range(total))
    stem = files[0].name.split("-")[0] if "-" in files[0].name else "data_tfrecord"
    compressed = _is_gzip(files[0])
    name = f"{stem}-00000-of-00001" + (".gz" if compressed else "")
    target.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if compressed else open
    index = written = 0
    with opener(target / name, "wb") as out:
        for file in files:
            for frame in _frames(file):
                if index in wanted:
                    out.write(frame)
                    written += 1
                index += 1
    return written


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# -- snapshot ---------------------------------------------------------------------------------
def snapshot_inputs(
    node_id: str,
    *,
    rows: int = DEFAULT_ROWS,
    to: str | os.PathLike[str] | None = None,
    pipeline: Pipeline | str | os.PathLike[str] | None = None,
    run: str = "latest",
    metadata: str | None = None,
    pipeline_params: Mapping[str, Any] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Path:
    """Copy a small sample of step `node_id`'s upstream artifacts into `to/<node_id>/`.

    Args:
        node_id: the step whose inputs to keep (`"Trainer"`).
        rows: records kept per split of every Examples artifact (default 64).
        to: the golden inputs folder (default `<project>/tests/fixtures`).
        pipeline, run, metadata, pipeline_params: which pipeline, run and store, as for
            `run_step` (the store is opened read-only).
        max_bytes: the largest artifact copied whole (default 50 MB).

    Returns:
        The folder written (`to/<node_id>`), replacing an earlier snapshot of the step only
        once the new one is complete.

    Raises:
        PipelineDefinitionError: no such step (the message lists the steps).
        StepInputsError: no store, no run, an upstream step that never completed, an
            artifact missing on disk.
        DataError: an artifact larger than `max_bytes`, a damaged TFRecord file.
    """
    from tfxkit._version import __version__

    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1:
        raise ValueError(f"rows={rows!r}: expected a positive number of records per split.")
    built, project = load_project_pipeline(pipeline, pipeline_params)
    node = node_of(built, node_id)
    inputs, run_id = store_inputs(built, node, run, metadata)
    root = fixtures_root(project, to)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{node.id}-", dir=root))
    try:
        entries: dict[str, list[dict[str, Any]]] = {}
        for key, group in sorted(inputs.items()):
            entries[key] = [_copy_artifact(artifact, staging / key / str(index), rows,
                                           max_bytes, f"{node.id}'s input {key!r}")
                            for index, artifact in enumerate(group)]
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "node_id": node.id,
            "component": type(node).__name__,
            "pipeline_name": built.pipeline_name,
            "source_run_id": run_id,
            "rows_per_split": rows,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "tfxkit_version": __version__,
            "inputs": entries,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        target = root / node.id
        old = root / f".{node.id}.old"
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _copy_artifact(artifact: Artifact, target: Path, rows: int, max_bytes: int,
                   where: str) -> dict[str, Any]:
    from tfxkit.types.standard_artifacts import Examples

    source = Path(artifact.uri)
    entry: dict[str, Any] = {
        "type": artifact.TYPE_NAME,
        "path": target.relative_to(target.parents[1]).as_posix(),
        "properties": dict(artifact.properties),
        "custom_properties": {k: v for k, v in artifact.custom_properties.items()
                              if k not in _PUBLISH_FACTS},
        "source_id": artifact.id,
        "source_uri": artifact.uri,
    }
    if isinstance(artifact, Examples):
        splits = artifact.split_names or sorted(
            p.name[len("Split-"):] for p in source.iterdir() if p.name.startswith("Split-"))
        entry["split_names"] = splits
        entry["sampled_rows"] = {split: sample_split(source / f"Split-{split}",
                                                     target / f"Split-{split}", rows)
                                 for split in splits}
        return entry
    size = _folder_bytes(source) if source.is_dir() else source.stat().st_size
    if size > max_bytes:
        raise DataError(
            f"{where} ({artifact.TYPE_NAME}, {source}) is {size / 2**20:.1f} MB, over the "
            f"{max_bytes / 2**20:.0f} MB copied whole into golden inputs, which are meant to be "
            f"committed. Pass max_bytes= (or --max-mb) to copy it anyway, or make the artifact "
            f"smaller (e.g. a smaller model for tests).")
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        target.mkdir(parents=True)
        shutil.copy2(source, target / source.name)
    split_names = getattr(artifact, "split_names", None)
    if split_names:
        entry["split_names"] = list(split_names)
    return entry


# -- reading a snapshot -----------------------------------------------------------------------
def read_manifest(folder: Path, node_id: str) -> dict[str, Any]:
    """The manifest of the golden inputs of `node_id` under `folder`.

    Raises:
        FixturesNotFoundError: none there (the message names the command that makes them).
        DataError: a manifest that is not tfxkit's JSON.
    """
    path = folder / node_id / MANIFEST
    if not path.is_file():
        raise FixturesNotFoundError(
            f"No golden inputs for {node_id}: {path} does not exist. Make them where the "
            f"pipeline has run: `tfxkit run` (once), then `tfxkit snapshot {node_id}` (in a "
            f"generated project: `make fixtures`), and commit {folder}.")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"{path} is not a readable golden-inputs manifest ({exc}); re-make it "
                        f"with `tfxkit snapshot {node_id}`.") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("inputs"), dict):
        raise DataError(f"{path}: expected a JSON object with an 'inputs' table (written by "
                        f"`tfxkit snapshot {node_id}`); re-make it.")
    return manifest


def fixture_inputs(node: BaseComponent, folder: Path) -> tuple[dict[str, list[Artifact]], str]:
    """The artifacts `node` reads, rebuilt from its golden inputs under `folder`, and the run
    they were snapshotted from.

    Raises:
        FixturesNotFoundError: no snapshot of the step.
        StepInputsError: the snapshot does not fit the step any more (an input it needs is not
            in it, of another type, or its files are gone): re-make it.
    """
    from tfxkit.types.standard_artifacts import artifact_class

    manifest = read_manifest(folder, node.id)
    spec = type(node).SPEC_CLASS
    remake = f"Re-make it: `tfxkit snapshot {node.id}` where the pipeline has run."
    inputs: dict[str, list[Artifact]] = {}
    for key, channel in node.inputs.items():
        entries = manifest["inputs"].get(key)
        if not entries:
            raise StepInputsError(f"The golden inputs of {node.id} ({folder / node.id}) have no "
                                  f"{key!r} input, which the step now reads. {remake}")
        group = []
        for entry in entries:
            try:
                kind = artifact_class(entry["type"])
            except Exception as exc:
                raise StepInputsError(f"{folder / node.id / MANIFEST}: unknown artifact type "
                                      f"{entry.get('type')!r} for {key!r}. {remake}") from exc
            expected = spec.INPUTS[key].type if key in spec.INPUTS else channel.type
            if not issubclass(kind, expected):
                raise StepInputsError(
                    f"The golden inputs of {node.id} hold a {kind.TYPE_NAME} for {key!r}, "
                    f"the step expects {expected.TYPE_NAME}. {remake}")
            home = (folder / node.id).resolve()
            uri = (home / str(entry.get("path", ""))).resolve()
            if not uri.is_relative_to(home) or uri == home:
                raise StepInputsError(
                    f"{folder / node.id / MANIFEST}: input {key!r} lies at "
                    f"{entry.get('path')!r}, outside the step's golden inputs folder {home} "
                    f"(expected a path such as '{key}/0' inside it). {remake}")
            if not uri.exists():
                raise StepInputsError(f"The golden inputs of {node.id} lack {uri} (listed in "
                                      f"its manifest). {remake}")
            artifact = kind(uri=str(uri), properties=entry.get("properties") or {},
                            custom_properties=entry.get("custom_properties") or {})
            artifact.state = ArtifactState.LIVE
            group.append(artifact)
        inputs[key] = group
    return inputs, str(manifest.get("source_run_id", ""))


def has_fixtures(node_id: str, fixtures: str | os.PathLike[str] | None = None,
                 project: str | os.PathLike[str] | None = None) -> bool:
    """Whether golden inputs of `node_id` exist (in `fixtures`, default the project's
    `tests/fixtures`)."""
    from tfxkit.project.loading import find_project_root

    root = find_project_root(Path(project)) if project is not None else find_project_root()
    return (fixtures_root(root, fixtures) / node_id / MANIFEST).is_file()


__all__ = [
    "DEFAULT_ROWS",
    "FIXTURES_DIR",
    "MANIFEST",
    "fixture_inputs",
    "fixtures_root",
    "has_fixtures",
    "read_manifest",
    "sample_split",
    "snapshot_inputs",
]
