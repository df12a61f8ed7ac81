"""Locations a user gives: local paths, `gs://`, `s3://` and `minio://` object stores.

One small layer over `pyarrow.fs`, chosen because the stack already ships it: pyarrow 10.0.1 is
a pinned dependency (ExampleGen reads CSV and Parquet with it), its C++ S3 and GCS filesystems
need no further package, and it imports without TensorFlow or Beam, so the cache fingerprint of
an ExampleGen on `s3://` data is computed before any heavy import. `tf.io.gfile` needs
TensorFlow (and TF 2.16 dropped its S3 support into tensorflow-io); fsspec with s3fs/gcsfs would
be two more dependency trees for what pyarrow already does.

How a location is reached:

* a local path (or `file://`): the local file system, unchanged; callers keep their own
  symlink and inside-the-root rules for local paths (`tfxkit.paths`).
* inside a KFP container, a URI under a launcher mount (`gs://b/x` -> `/gcs/b/x`, `s3://` ->
  `/s3/`, `minio://` -> `/minio/`, as the KFP v2 launcher mounts them) is used as that local path
  when the mount folder exists (`TFXKIT_LAUNCHER_MOUNTS`, a JSON object of prefix -> folder,
  replaces the defaults, e.g. for a harness; `{}` turns mounts off).
* otherwise the store is read directly: `gs://` with GcsFileSystem (application default
  credentials), `s3://` with S3FileSystem: endpoint from `AWS_ENDPOINT_URL_S3` or
  `AWS_ENDPOINT_URL` (MinIO and other S3-compatible stores, e.g. `http://minio:9000`), keys
  from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, region from `AWS_REGION`; `minio://` is
  `s3://` with the endpoint from the same variables (KFP's in-cluster MinIO by default).

Object stores have no folders and no atomic rename: `is_dir` means "some object has this
prefix", and publication is ordered writes (see `copy_tree`'s `last`).
"""

from __future__ import annotations

import functools
import json
import os
import posixpath
import shutil
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from tfxkit.errors import DataError

if TYPE_CHECKING:
    from pyarrow import fs as pafs

__all__ = [
    "OBJECT_STORE_PREFIXES", "copy_file", "copy_tree", "delete_tree", "exists", "filesystem",
    "is_dir", "is_file", "is_object_store", "iter_chunks", "join", "launcher_mounts", "list_files",
    "listdir", "local_path", "makedirs", "mount_path", "mtime", "open_input", "read_bytes",
    "write_bytes",
]

OBJECT_STORE_PREFIXES = ("gs://", "s3://", "minio://")
DEFAULT_MOUNTS = {"gs://": "/gcs/", "minio://": "/minio/", "s3://": "/s3/"}
MOUNTS_ENV = "TFXKIT_LAUNCHER_MOUNTS"
KFP_MINIO_ENDPOINT = "http://minio-service.kubeflow:9000"


def is_object_store(location: str) -> bool:
    """Whether `location` is a `gs://`, `s3://` or `minio://` URI."""
    return isinstance(location, str) and location.startswith(OBJECT_STORE_PREFIXES)


def launcher_mounts() -> dict[str, str]:
    """URI prefix -> local folder where the KFP launcher mounts that store (`gs://` -> `/gcs/`).

    `TFXKIT_LAUNCHER_MOUNTS` (JSON object) replaces the defaults. Raises DataError when it is not
    a JSON object of strings."""
    raw = os.environ.get(MOUNTS_ENV)
    if not raw:
        return dict(DEFAULT_MOUNTS)
    try:
        mounts = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise DataError(f"{MOUNTS_ENV}: expected a JSON object such as "
                        f'{{"gs://": "/gcs/"}}, found {raw!r} ({exc}).') from None
    if not isinstance(mounts, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mounts.items()):
        raise DataError(f"{MOUNTS_ENV}: expected a JSON object of URI prefix -> folder such as "
                        f'{{"gs://": "/gcs/"}}, found {raw!r}.')
    return {k: v.rstrip("/") + "/" for k, v in mounts.items()}


def mount_path(uri: str) -> str | None:
    """The launcher's local path of `uri` (`gs://b/x` -> `/gcs/b/x`), whether or not it exists;
    None for a URI of a store with no mount."""
    for prefix, folder in launcher_mounts().items():
        if uri.startswith(prefix):
            return folder + uri[len(prefix):]
    return None


def local_path(location: str) -> str | None:
    """A local path to use for `location`: itself when local, the launcher mount of an
    object-store URI when that mount folder exists (inside a KFP container), else None (the
    store must be reached directly)."""
    if location.startswith("file://"):
        return location[len("file://"):]
    if not is_object_store(location):
        if "://" in location[:16]:
            raise DataError(f"Location {location!r}: unsupported scheme; expected a local path, "
                            f"gs://, s3:// or minio://.")
        return location
    path = mount_path(location)
    if path is None:
        return None
    prefix = next(p for p in launcher_mounts() if location.startswith(p))
    return path if os.path.isdir(launcher_mounts()[prefix]) else None


def _endpoint(default: str | None) -> tuple[str | None, str]:
    url = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or default
    if not url:
        return None, "https"
    scheme, _, host = url.rpartition("://")
    return host.rstrip("/"), scheme or "https"


@functools.lru_cache(maxsize=8)
def _store(kind: str, endpoint: str | None, scheme: str, region: str | None) -> pafs.FileSystem:
    from pyarrow import fs as pafs

    if kind == "gs":
        return pafs.GcsFileSystem()
    options: dict[str, Any] = {"scheme": scheme}
    if endpoint:
        options["endpoint_override"] = endpoint
    if region or endpoint:
        options["region"] = region or "us-east-1"  # S3-compatible stores ignore it
    return pafs.S3FileSystem(**options)


def filesystem(location: str) -> tuple[pafs.FileSystem, str]:
    """(pyarrow FileSystem, path within it) for a local path or object-store URI, used as is
    (no launcher mount; see `local_path`)."""
    from pyarrow import fs as pafs

    if not is_object_store(location):
        return pafs.LocalFileSystem(), os.path.abspath(local_path(location) or location)
    scheme, _, rest = location.partition("://")
    rest = rest.rstrip("/")
    if not rest or rest.startswith("/"):
        raise DataError(f"Location {location!r}: expected {scheme}://<bucket>/<path>.")
    if scheme == "gs":
        return _store("gs", None, "https", None), rest
    endpoint, http = _endpoint(KFP_MINIO_ENDPOINT if scheme == "minio" else None)
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return _store("s3", endpoint, http, region), rest


def _where(location: str) -> tuple[pafs.FileSystem, str]:
    local = local_path(location)
    return filesystem(local if local is not None else location)


def _info(location: str) -> Any:
    fs, path = _where(location)
    try:
        return fs.get_file_info(path)
    except OSError as exc:
        raise _store_error(location, exc) from None


def _store_error(location: str, exc: OSError) -> DataError:
    hint = ""
    if location.startswith(("s3://", "minio://")):
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        hint = (f" (S3 endpoint {endpoint or 'AWS default'}; set AWS_ENDPOINT_URL for MinIO and "
                f"other S3-compatible stores, and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)")
    elif location.startswith("gs://"):
        hint = " (Google application default credentials)"
    return DataError(f"Could not reach {location}{hint}: {exc}")


def exists(location: str) -> bool:
    """Whether a file or folder (an object or a prefix on a store) is at `location`."""
    from pyarrow import fs as pafs

    return bool(_info(location).type != pafs.FileType.NotFound)


def is_dir(location: str) -> bool:
    """Whether `location` is a folder (on a store: a prefix holding objects, or a bucket)."""
    from pyarrow import fs as pafs

    return bool(_info(location).type == pafs.FileType.Directory)


def is_file(location: str) -> bool:
    """Whether `location` is a file (an object)."""
    from pyarrow import fs as pafs

    return bool(_info(location).type == pafs.FileType.File)


def mtime(location: str) -> float | None:
    """Modification time of `location` (seconds since the epoch), None when unknown/missing."""
    info = _info(location)
    return info.mtime.timestamp() if info.mtime is not None else None


def join(location: str, *parts: str) -> str:
    """`location` / parts, with '/' for URIs and os.path.join for local paths."""
    if is_object_store(location):
        return posixpath.join(location.rstrip("/"), *parts)
    return os.path.join(location, *parts)


def list_files(location: str) -> list[tuple[str, int]]:
    """Every file under folder `location`, recursively: (path relative to it with '/', size),
    sorted. Hidden names (a part starting with '.') are skipped. A missing folder has none."""
    from pyarrow import fs as pafs

    fs, path = _where(location)
    try:
        infos = fs.get_file_info(pafs.FileSelector(path, recursive=True, allow_not_found=True))
    except OSError as exc:
        raise _store_error(location, exc) from None
    found = []
    for info in infos:
        if info.type != pafs.FileType.File:
            continue
        relative = info.path[len(path):].lstrip("/")
        if any(part.startswith(".") for part in relative.split("/")):
            continue
        found.append((relative, int(info.size or 0)))
    return sorted(found)


def listdir(location: str) -> list[tuple[str, bool]]:
    """The entries directly under folder `location`: (name, is_folder), sorted; [] if missing."""
    from pyarrow import fs as pafs

    fs, path = _where(location)
    try:
        infos = fs.get_file_info(pafs.FileSelector(path, recursive=False, allow_not_found=True))
    except OSError as exc:
        raise _store_error(location, exc) from None
    return sorted((posixpath.basename(i.path.rstrip("/")), i.type == pafs.FileType.Directory)
                  for i in infos)


def open_input(location: str) -> IO[bytes]:
    """A binary file object reading `location` (streamed from a store)."""
    fs, path = _where(location)
    try:
        return fs.open_input_stream(path)
    except OSError as exc:
        raise _store_error(location, exc) from None


def iter_chunks(location: str, size: int = 1 << 20) -> Iterator[bytes]:
    """The bytes of file `location` in chunks of `size`."""
    with open_input(location) as stream:
        while chunk := stream.read(size):
            yield bytes(chunk)


def read_bytes(location: str) -> bytes:
    """The whole content of file `location`."""
    return b"".join(iter_chunks(location))


def write_bytes(location: str, data: bytes) -> None:
    """Write `data` to file `location` (folders created; on a store, one object PUT)."""
    fs, path = _where(location)
    try:
        if local_path(location) is not None:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        with fs.open_output_stream(path) as out:
            out.write(data)
    except OSError as exc:
        raise _store_error(location, exc) from None


def makedirs(location: str) -> None:
    """Create folder `location` and its parents (no-op on a store, where folders are prefixes)."""
    local = local_path(location)
    if local is not None:
        os.makedirs(local, exist_ok=True)


def delete_tree(location: str) -> None:
    """Remove folder `location` and everything under it; a missing one is fine."""
    local = local_path(location)
    if local is not None:
        shutil.rmtree(local, ignore_errors=True)
        return
    fs, path = filesystem(location)
    try:
        fs.delete_dir(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise _store_error(location, exc) from None


def copy_file(source: str, target: str) -> None:
    """Copy file `source` to `target` (either local or on a store), streamed."""
    target_fs, target_path = _where(target)
    try:
        if local_path(target) is not None:
            os.makedirs(os.path.dirname(target_path), exist_ok=True)
        with open_input(source) as inp, target_fs.open_output_stream(target_path) as out:
            while chunk := inp.read(1 << 22):
                out.write(chunk)
    except OSError as exc:
        raise _store_error(f"{source} -> {target}", exc) from None


def copy_tree(source: str, target: str, last: tuple[str, ...] = ()) -> int:
    """Copy every file under folder `source` to folder `target` (either may be local or on a
    store); return the number of files copied.

    Files named in `last` (relative paths, e.g. `saved_model.pb`) are written after all others,
    so a reader that takes their presence as "complete" never sees a half-copied folder. Hidden
    files are copied too (they are part of the tree, unlike in `list_files`)."""
    from pyarrow import fs as pafs

    source_fs, source_path = _where(source)
    target_fs, target_path = _where(target)
    target_local = local_path(target) is not None
    try:
        infos = source_fs.get_file_info(pafs.FileSelector(source_path, recursive=True))
        files = sorted(i.path[len(source_path):].lstrip("/") for i in infos
                       if i.type == pafs.FileType.File)
        files.sort(key=lambda rel: rel in last)
        for relative in files:
            destination = posixpath.join(target_path, relative)
            if target_local:
                os.makedirs(posixpath.dirname(destination), exist_ok=True)
            with source_fs.open_input_stream(posixpath.join(source_path, relative)) as inp, \
                    target_fs.open_output_stream(destination) as out:
                while chunk := inp.read(1 << 22):
                    out.write(chunk)
    except OSError as exc:
        raise _store_error(f"{source} -> {target}", exc) from None
    return len(files)
