"""An object-store pipeline root (`s3://`, `gs://`, `minio://`) for the `LocalDagRunner`.

TFX keeps artifacts under `pipeline_root` wherever it is and ML Metadata apart from it
(`metadata_connection_config`); so does tfxkit. With `pipeline_root="s3://bucket/prefix"`:

* executors keep local paths (TensorFlow, TFDV, TFT, TFMA and Beam as installed here cannot write
  to S3 themselves): each node writes its outputs to a local staging folder, as on a local root;
* when a node succeeds, the runner publishes each output to its store URI,
  `{pipeline_root}/{node_id}/{output_key}/{execution_id}/`: every file is copied, then the marker
  object `.tfxkit-published` is written last (`tfxkit.fs.publish_tree`), then the artifact is
  recorded LIVE in ML Metadata with its store URI, as TFX records them. An interrupted
  publication has no marker and is never taken for a cache hit or an input
  (`tfxkit.fs.is_published`, checked by the cache);
* downstream nodes read their inputs from local copies: each input artifact is downloaded once
  into a content cache keyed by its URI and its marker (a fresh marker per publication), so a
  node never downloads an unchanged input again, and an output just published moves into that
  cache instead of being downloaded back.

The local folder (staging, logs, the input cache) is
`$TFXKIT_STAGING_DIR/<scheme>/<bucket>/<prefix>` (default `$XDG_CACHE_HOME/tfxkit/pipeline-roots`,
i.e. `~/.cache/tfxkit/pipeline-roots`); it is a cache: deleting it loses nothing.
The metadata store must be given explicitly (a local SQLite file or `mysql://`): SQLite cannot
live on an object store.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfxkit import fs
from tfxkit.errors import DataError, PipelineDefinitionError
from tfxkit.types.artifact import Artifact

if TYPE_CHECKING:
    from tfxkit.dsl.pipeline import Pipeline

__all__ = ["STAGING_ENV", "RemoteRoot", "check_root_uri", "local_folder"]

STAGING_ENV = "TFXKIT_STAGING_DIR"
INPUTS_FOLDER = ".inputs"
# S3's and GCS's bucket rules, loosely: lower-case letters, digits, '.', '-', '_' (GCS), 3-63.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]")
_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")


def check_root_uri(uri: str) -> tuple[str, str, list[str]]:
    """(scheme, bucket, prefix parts) of an object-store `pipeline_root`, trailing '/' ignored.

    Raises PipelineDefinitionError for a URI that is not `<scheme>://<bucket>[/<prefix>]` with a
    valid bucket name and prefix parts that are not empty, `.` or `..` (a prefix also names the
    local staging folder, which must stay inside its base) nor hold control characters or `\\`.
    """
    scheme, _, rest = uri.partition("://")
    bucket, _, prefix = rest.rstrip("/").partition("/")
    parts = prefix.split("/") if prefix else []
    problem = ""
    if not _BUCKET.fullmatch(bucket):
        problem = (f"bucket {bucket!r} is not a bucket name (3-63 lower-case letters, digits, "
                   f"'.', '-' or '_')")
    elif _BAD_CHARS.search(prefix):
        problem = "its prefix holds a control character or '\\'"
    elif any(part in ("", ".", "..") for part in parts):
        problem = "its prefix has an empty, '.' or '..' part"
    if problem:
        raise PipelineDefinitionError(
            f"pipeline_root {uri!r}: expected {scheme}://<bucket>/<prefix> (the folder every "
            f"output lands under); {problem}. Fix: e.g. pipeline_root={scheme}://my-bucket/"
            f"pipelines/my_pipeline.")
    return scheme, bucket, parts


def local_folder(uri: str) -> Path:
    """The local folder of an object-store root (staging, logs, input cache):
    `$TFXKIT_STAGING_DIR/<scheme>/<bucket>/<prefix>`, by default under
    `$XDG_CACHE_HOME/tfxkit/pipeline-roots`. Raises PipelineDefinitionError for a root
    `check_root_uri` refuses."""
    scheme, bucket, parts = check_root_uri(uri)
    base = os.environ.get(STAGING_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "tfxkit", "pipeline-roots")
    base_path = Path(base).expanduser().absolute()
    folder = base_path.joinpath(scheme, bucket, *parts)
    resolved_base = base_path.resolve()
    if not folder.resolve().is_relative_to(resolved_base):  # a symlink inside the base
        raise PipelineDefinitionError(
            f"pipeline_root {uri!r}: its local staging folder {folder} resolves outside "
            f"{resolved_base} (a symlink?). Fix: remove that link or set {STAGING_ENV} to "
            f"another folder.")
    return folder


def _check_metadata(pipeline: Pipeline) -> None:
    from tfxkit.dsl.pipeline import DEFAULT_METADATA_FILE

    default = str(Path(pipeline.pipeline_root) / DEFAULT_METADATA_FILE)
    given = pipeline.metadata
    on_store = fs.is_object_store(given) or given.startswith(("gs:/", "s3:/", "minio:/"))
    if given != default and not on_store:
        return
    found = (f"the metadata location {given!r}, on an object store" if given != default else
             f"no metadata location (the default, {pipeline.pipeline_root}/metadata.sqlite, "
             f"would be on the store)")
    raise PipelineDefinitionError(
        f"Pipeline {pipeline.pipeline_name!r}: pipeline_root {pipeline.pipeline_root!r} is on an "
        f"object store, where ML Metadata cannot live (SQLite needs a local file; as in TFX, "
        f"the metadata connection is set apart from pipeline_root). Expected an explicit "
        f"metadata location: a local SQLite file or mysql://user@host:port/db; found {found}. "
        f"Fix: `tfxkit run ... --metadata pipeline_output/metadata.sqlite`, or "
        f"Pipeline(..., metadata='pipeline_output/metadata.sqlite').")


class RemoteRoot:
    """The object-store `pipeline_root` of a local run: output URIs, publication to the store
    and local copies of inputs (see the module docstring).

    Args:
        uri: the root, `<scheme>://<bucket>/<prefix>` (checked by `check_root_uri`).
        local_root: the local folder of staging, logs and the input cache.
    """

    def __init__(self, uri: str, local_root: Path) -> None:
        check_root_uri(uri)
        self.uri = uri.rstrip("/")
        self.local_root = local_root
        self._store_of: dict[str, str] = {}  # local copy or staging folder -> its store URI
        self._copies: dict[str, str] = {}  # store URI -> its local copy, once checked this run

    @classmethod
    def open(cls, pipeline: Pipeline) -> RemoteRoot | None:
        """The RemoteRoot of `pipeline`, or None when its root is a local folder; checked before
        anything is recorded or run.

        Raises:
            PipelineDefinitionError: the root is no valid object-store URI (or an unsupported
                scheme), or the metadata location is not given explicitly (or is on a store).
            DataError: the store cannot be reached (credentials, endpoint, no such bucket).
        """
        root = pipeline.pipeline_root
        if not fs.is_object_store(root):
            if "://" in root[:16]:  # else Path() would make a local "hdfs:" folder
                raise PipelineDefinitionError(
                    f"pipeline_root {root!r}: unsupported scheme; expected a local folder, "
                    f"gs://<bucket>/<prefix>, s3://<bucket>/<prefix> or minio://<bucket>/<prefix>.")
            return None
        local = local_folder(root)
        _check_metadata(pipeline)
        remote = cls(root, local)
        remote.check_reachable()
        return remote

    def check_reachable(self) -> None:
        """Raise DataError unless the root's bucket can be listed (credentials, endpoint)."""
        scheme, bucket, _ = check_root_uri(self.uri)
        bucket_uri = f"{scheme}://{bucket}"
        if not fs.is_dir(bucket_uri):
            raise DataError(
                f"pipeline_root {self.uri!r}: expected the bucket {bucket_uri} to exist, found "
                f"none (or these credentials may not see it). Fix: create the bucket, or check "
                f"the endpoint (AWS_ENDPOINT_URL for MinIO and other S3-compatible stores) and "
                f"credentials.")

    # -- outputs -----------------------------------------------------------------------------
    def output_uri(self, node_id: str, key: str, folder: str) -> str:
        """`{root}/{node_id}/{key}/{folder}` on the store."""
        return fs.join(self.uri, node_id, key, folder)

    def holds_outputs(self, node_id: str) -> bool:
        """Whether the store holds anything under `{root}/{node_id}/`."""
        return bool(fs.listdir(fs.join(self.uri, node_id)))

    def taken(self, uris: list[str], local: list[Path]) -> list[str]:
        """The output URIs among `uris` that already hold objects (another metadata store's
        outputs: never overwritten). Leftover local `local` paths (staging, a log) of an
        earlier use of this local folder are scratch and are removed."""
        for path in local:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists():
                path.unlink()
        return [uri for uri in uris if fs.exists(uri)]

    def publish(self, staged: Path, uri: str, artifacts: list[Artifact]) -> None:
        """Publish the staged output folder `staged` at store `uri` (files, then the marker),
        give `artifacts` that URI (custom properties naming a local copy or the staging folder
        are mapped to store URIs too), then move `staged` into the input cache, so that
        downstream nodes use it without downloading it back.

        Raises DataError when the copy fails (no marker is written then)."""
        self._store_of[str(staged)] = uri
        for artifact in artifacts:
            artifact.uri = uri
            for name, value in list(artifact.custom_properties.items()):
                if isinstance(value, str):
                    artifact.custom_properties[name] = self.store_value(value)
        marker = fs.publish_tree(str(staged), uri)
        entry = self._cache_entry(uri, marker)
        try:
            if entry.exists():
                shutil.rmtree(entry)
            entry.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staged, entry)
            self._store_of[str(entry)] = uri
        except OSError:  # only a cache: downstream nodes download it instead
            shutil.rmtree(staged, ignore_errors=True)

    def unpublish(self, uri: str) -> None:
        """Remove a publication whose recording in ML Metadata failed, as far as the store lets
        (it is never used anyway: no LIVE artifact names it)."""
        with contextlib.suppress(DataError):
            fs.delete_tree(uri)

    def store_value(self, text: str) -> str:
        """`text` with a leading local copy or staging path replaced by its store URI."""
        for local in sorted(self._store_of, key=len, reverse=True):
            if text == local or text.startswith(local + os.sep):
                return self._store_of[local] + text[len(local):].replace(os.sep, "/")
        return text

    # -- inputs ------------------------------------------------------------------------------
    def _cache_entry(self, uri: str, marker: dict[str, Any]) -> Path:
        digest = hashlib.sha256(json.dumps([uri, marker], sort_keys=True).encode()).hexdigest()
        return self.local_root / INPUTS_FOLDER / digest[:40]

    def local_inputs(self, inputs: dict[str, list[Artifact]]) -> dict[str, list[Artifact]]:
        """`inputs` as artifacts at local copies (same ids, properties and types), each
        downloaded from the store unless the input cache already holds that publication.

        Raises DataError when an input is not published (no marker: an interrupted or removed
        publication) or cannot be downloaded."""
        return {key: [self._local_copy(artifact) for artifact in group]
                for key, group in inputs.items()}

    def schema_copies(self, outputs_of: dict[str, dict[str, list[Artifact]]],
                      latest: Callable[[str], dict[str, list[Artifact]] | None]
                      ) -> tuple[dict[str, dict[str, list[Artifact]]],
                                 Callable[[str], dict[str, list[Artifact]] | None]]:
        """`outputs_of` (node id -> outputs) and `latest` (node id -> newest outputs) as the
        runner's schema checks read them, with Schema artifacts on the store at local copies,
        downloaded only when a check asks for that node's outputs. A schema that cannot be
        downloaded stays at its store URI: the check skips it and the node reading it reports
        the problem."""
        def local(outputs: dict[str, list[Artifact]] | None) -> dict[str, list[Artifact]] | None:
            if outputs is None:
                return None
            return {key: [self._schema_copy(a) for a in group] for key, group in outputs.items()}

        return _MappedOutputs(outputs_of, local), lambda node_id: local(latest(node_id))

    def _schema_copy(self, artifact: Artifact) -> Artifact:
        from tfxkit.types.standard_artifacts import Schema

        if not isinstance(artifact, Schema):
            return artifact
        try:
            return self._local_copy(artifact)
        except DataError:
            return artifact

    def _local_copy(self, artifact: Artifact) -> Artifact:
        if not fs.is_object_store(artifact.uri):
            return artifact
        if artifact.uri in self._copies:  # a publication never changes: checked once a run
            return self._copy_at(artifact, self._copies[artifact.uri])
        marker = fs.published(artifact.uri)
        if marker is None:
            raise DataError(
                f"input {artifact.TYPE_NAME} artifact {artifact.id} at {artifact.uri}: expected "
                f"a published folder (its {fs.PUBLISHED_MARKER} marker object), found none: its "
                f"publication was interrupted or removed. Fix: rerun its producer, e.g. "
                f"`tfxkit run ... --no-cache` from it.")
        entry = self._cache_entry(artifact.uri, marker)
        expected = (marker.get("files"), marker.get("bytes"))
        if not (entry.is_dir() and fs.tree_fingerprint(str(entry)) == expected):
            part = entry.with_name(f"{entry.name}.part-{uuid.uuid4().hex[:8]}")
            try:
                fs.copy_tree(artifact.uri, str(part), skip=(fs.PUBLISHED_MARKER,))
                part.mkdir(parents=True, exist_ok=True)  # an empty artifact has no files
                if fs.tree_fingerprint(str(part)) != expected:
                    raise DataError(
                        f"input {artifact.TYPE_NAME} artifact {artifact.id} at {artifact.uri}: "
                        f"expected {expected[0]} file(s), {expected[1]} bytes as published, "
                        f"found {fs.tree_fingerprint(str(part))} on the store. Fix: rerun its "
                        f"producer with --no-cache.")
                if entry.exists():
                    shutil.rmtree(entry)
                os.rename(part, entry)  # whole or not at all: a cut download is never used
            finally:
                shutil.rmtree(part, ignore_errors=True)
        self._store_of[str(entry)] = artifact.uri
        self._copies[artifact.uri] = str(entry)
        return self._copy_at(artifact, str(entry))

    @staticmethod
    def _copy_at(artifact: Artifact, path: str) -> Artifact:
        copy = Artifact.from_dict(artifact.to_dict())
        copy.uri = path
        return copy


class _MappedOutputs(dict[str, dict[str, list[Artifact]]]):
    """Node id -> outputs whose `get` passes the outputs through `local` (see
    `RemoteRoot.schema_copies`): only the outputs a schema check reads are mapped."""

    def __init__(self, outputs_of: dict[str, dict[str, list[Artifact]]],
                 local: Callable[[dict[str, list[Artifact]] | None],
                                 dict[str, list[Artifact]] | None]) -> None:
        super().__init__(outputs_of)
        self._local = local

    def get(self, key: str, default: Any = None) -> Any:
        """The outputs of node `key`, Schema artifacts at local copies."""
        return self._local(super().get(key, default))
