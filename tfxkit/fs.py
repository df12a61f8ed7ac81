"""Locations a user gives: local paths, `gs://`, `s3://` and `minio://` object stores.

One small layer over `pyarrow.fs`, chosen because the stack already ships it: pyarrow 10.0.1 is
a pinned dependency (ExampleGen reads CSV and Parquet with it), its C++ S3 and GCS filesystems
need no further package, and it imports without TensorFlow or Beam, so the cache fingerprint of
an ExampleGen on `s3://` data is computed before any heavy import. `tf.io.gfile` needs
TensorFlow (and TF 2.16 dropped its S3 support into tensorflow-io); fsspec with s3fs/gcsfs would
be two more dependency trees for what pyarrow already does.

How a location is reached:

* a local path (or `file://`): the local file system, unchanged, through the standard library
  only (`os`, `open`; pyarrow is imported for object stores alone, so a local run, its cache
  fingerprints included, keeps the runner free to fork its workers); callers keep their own
  symlink and inside-the-root rules for local paths (`tfxkit.paths`).
* inside a KFP container, a URI under a launcher mount (`gs://b/x` -> `/gcs/b/x`, `s3://` ->
  `/s3/`, `minio://` -> `/minio/`, as the KFP v2 launcher mounts them) is used as that local path
  (standard library too) when the mount folder exists (`TFXKIT_LAUNCHER_MOUNTS`, a JSON
  object of prefix -> folder, replaces the defaults, e.g. for a harness; `{}` turns mounts off).
* otherwise the store is read directly: `gs://` with GcsFileSystem (application default
  credentials: `GOOGLE_APPLICATION_CREDENTIALS`, gcloud's application default credentials, or
  the GCE/GKE metadata server; checked before the first request, so that missing credentials
  are a clear DataError instead of the client's minutes of retries; `STORAGE_EMULATOR_HOST`,
  Google's variable for a local emulator such as fake-gcs-server, is the endpoint override and
  connects anonymously), `s3://` with S3FileSystem: endpoint from `AWS_ENDPOINT_URL_S3` or
  `AWS_ENDPOINT_URL` (MinIO and other S3-compatible stores, e.g. `http://minio:9000`), keys
  from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, region from `AWS_REGION`; `minio://` is
  `s3://` with the endpoint from the same variables (KFP's in-cluster MinIO by default).

Object stores have no folders and no atomic rename: `is_dir` means "some object has this
prefix", and publication is ordered writes (see `copy_tree`'s `last`). A folder published whole
(`publish_tree`) ends with a marker object, `.tfxkit-published`, written after every file:
`is_published` is true only once it is there, so a reader never takes a half-copied folder.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import posixpath
import shutil
import stat
import time
import uuid
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast

from tfxkit.errors import DataError

if TYPE_CHECKING:
    from pyarrow import fs as pafs

__all__ = [
    "OBJECT_STORE_PREFIXES", "PUBLISHED_MARKER", "copy_file", "copy_tree", "delete_tree",
    "exists", "filesystem", "is_dir", "is_file", "is_object_store", "is_published",
    "iter_chunks", "join", "launcher_mounts", "list_files", "listdir", "local_path", "makedirs",
    "mount_path", "mtime", "open_input", "publish_tree", "published", "read_bytes",
    "tree_fingerprint", "write_bytes",
]

T = TypeVar("T")
OBJECT_STORE_PREFIXES = ("gs://", "s3://", "minio://")
DEFAULT_MOUNTS = {"gs://": "/gcs/", "minio://": "/minio/", "s3://": "/s3/"}
MOUNTS_ENV = "TFXKIT_LAUNCHER_MOUNTS"
KFP_MINIO_ENDPOINT = "http://minio-service.kubeflow:9000"
PUBLISHED_MARKER = ".tfxkit-published"
GCS_EMULATOR_ENV = "STORAGE_EMULATOR_HOST"


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


@functools.lru_cache(maxsize=4)
def _on_gce(host: str, timeout: float = 1.0) -> bool:
    """Whether a GCE/GKE metadata server answers at `host` (as google-auth's `is_on_gce` asks
    it, with the Metadata-Flavor header)."""
    import urllib.request

    request = urllib.request.Request(f"http://{host}/", headers={"Metadata-Flavor": "Google"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return bool(reply.headers.get("Metadata-Flavor") == "Google")
    except Exception:  # refused, timed out, an HTTP error: no metadata server
        return False


def _gcs_credentials() -> str | None:
    """Where Google credentials come from ("" when anonymous through an emulator), or None
    when there are none: the GCS client would then retry for minutes before failing."""
    if os.environ.get(GCS_EMULATOR_ENV):
        return ""
    explicit = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if explicit:
        return explicit if os.path.isfile(explicit) else None
    config = os.environ.get("CLOUDSDK_CONFIG") or os.path.join(
        os.path.expanduser("~"), ".config", "gcloud")
    adc = os.path.join(config, "application_default_credentials.json")
    if os.path.isfile(adc):
        return adc
    host = (os.environ.get("GCE_METADATA_HOST") or os.environ.get("GCE_METADATA_IP")
            or "169.254.169.254")
    return "metadata server" if _on_gce(host) else None


def _no_gcs_credentials(location: str) -> DataError:
    explicit = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    found = (f"GOOGLE_APPLICATION_CREDENTIALS={explicit!r}, which is no file" if explicit else
             "no GOOGLE_APPLICATION_CREDENTIALS, no gcloud application default credentials and "
             "no GCE/GKE metadata server")
    return DataError(
        f"Could not reach {location}: expected Google credentials, found {found}. Fix: set "
        f"GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, run `gcloud auth "
        f"application-default login`, or for a local emulator (fake-gcs-server) set "
        f"{GCS_EMULATOR_ENV}=http://host:port.")


@functools.lru_cache(maxsize=8)
def _store(kind: str, endpoint: str | None, scheme: str, region: str | None) -> pafs.FileSystem:
    from pyarrow import fs as pafs

    if kind == "gs":
        if endpoint:  # an emulator: no credentials
            return pafs.GcsFileSystem(anonymous=True, endpoint_override=endpoint, scheme=scheme)
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
        emulator = os.environ.get(GCS_EMULATOR_ENV)
        if emulator:
            host, http = (emulator.rpartition("://")[2].rstrip("/"),
                          emulator.rpartition("://")[0] or "http")
            return _store("gs", host, http, None), rest
        if _gcs_credentials() is None:
            raise _no_gcs_credentials(location)
        return _store("gs", None, "https", None), rest
    endpoint, http = _endpoint(KFP_MINIO_ENDPOINT if scheme == "minio" else None)
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return _store("s3", endpoint, http, region), rest


class _Local:
    """The local file system (and launcher mounts) through the standard library only, so a
    local run never imports pyarrow: the runner stays fork-safe (`runners.local.workers`).

    Mirrors `pyarrow.fs.LocalFileSystem`: symlinks are followed (a broken one is absent),
    OSErrors propagate to the caller, who names the location."""

    def info(self, path: str) -> tuple[str | None, int, float | None]:
        """(kind "file"/"dir"/None when missing, size, mtime) of `path`."""
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None, 0, None
        return ("dir" if stat.S_ISDIR(st.st_mode) else "file"), st.st_size, st.st_mtime

    def entries(self, path: str, recursive: bool,
                allow_not_found: bool) -> list[tuple[str, bool, int]]:
        """(path, is_folder, size) of every entry under folder `path` (one level, or all)."""
        found: list[tuple[str, bool, int]] = []

        def walk(folder: str, above: frozenset[str]) -> None:
            above = above | {os.path.realpath(folder)}
            with os.scandir(folder) as listing:
                for entry in listing:
                    child = posixpath.join(folder, entry.name)
                    if entry.is_dir():
                        found.append((child, True, 0))
                        if recursive and os.path.realpath(child) not in above:  # symlink loop
                            walk(child, above)
                    elif entry.is_file():
                        found.append((child, False, entry.stat().st_size))

        try:
            walk(path, frozenset())
        except FileNotFoundError:
            if not allow_not_found:
                raise
        return found

    def open_read(self, path: str) -> IO[bytes]:
        return open(path, "rb")

    def open_write(self, path: str) -> IO[bytes]:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return open(path, "wb")

    def delete_tree(self, path: str) -> None:
        if os.path.isfile(path) or os.path.islink(path):
            os.remove(path)
        shutil.rmtree(path, ignore_errors=True)


# A store that does not answer in time (the AWS SDK's curl gives up after ~3 s of silence, 3
# attempts) is asked again this many times, backing off: a busy MinIO or a loaded CI machine
# stalls now and then. A refused connection or any other error is not retried here.
TIMEOUT_RETRIES = 4


def _is_timeout(exc: OSError) -> bool:
    text = str(exc)
    return "curlCode: 28" in text or "Timeout was reached" in text


def _patiently(action: Callable[[], T]) -> T:
    """`action()`, asked again (up to TIMEOUT_RETRIES times) when a store times out."""
    for attempt in range(TIMEOUT_RETRIES + 1):
        try:
            return action()
        except OSError as exc:
            if attempt == TIMEOUT_RETRIES or not _is_timeout(exc):
                raise
            time.sleep(0.5 * 2 ** attempt)
    raise AssertionError("unreachable")


class _Arrow:
    """An object store through a `pyarrow.fs` FileSystem, with `_Local`'s methods (timeouts
    retried, see `_patiently`)."""

    def __init__(self, store: pafs.FileSystem) -> None:
        self.store = store

    def info(self, path: str) -> tuple[str | None, int, float | None]:
        from pyarrow import fs as pafs

        info = _patiently(lambda: self.store.get_file_info(path))
        kind = {pafs.FileType.File: "file", pafs.FileType.Directory: "dir"}.get(info.type)
        return kind, int(info.size or 0), info.mtime.timestamp() if info.mtime else None

    def entries(self, path: str, recursive: bool,
                allow_not_found: bool) -> list[tuple[str, bool, int]]:
        from pyarrow import fs as pafs

        selector = pafs.FileSelector(path, recursive=recursive, allow_not_found=allow_not_found)
        return [(i.path, i.type == pafs.FileType.Directory, int(i.size or 0))
                for i in _patiently(lambda: self.store.get_file_info(selector))
                if i.type in (pafs.FileType.File, pafs.FileType.Directory)]

    def open_read(self, path: str) -> IO[bytes]:
        return cast("IO[bytes]", self.store.open_input_stream(path))

    def open_write(self, path: str) -> IO[bytes]:
        return cast("IO[bytes]", self.store.open_output_stream(path))

    def delete_tree(self, path: str) -> None:
        if self.info(path)[0] == "file":
            _patiently(lambda: self.store.delete_file(path))
            return
        with contextlib.suppress(FileNotFoundError):
            _patiently(lambda: self.store.delete_dir(path))


def _where(location: str) -> tuple[_Local | _Arrow, str]:
    """The backend for `location` and its path there: `_Local` (no pyarrow import) for a local
    path, a `file://` URI or a launcher-mounted URI; pyarrow for an object store."""
    local = local_path(location)
    if local is not None:
        return _Local(), os.path.abspath(local)
    store, path = filesystem(location)
    return _Arrow(store), path


def _info(location: str) -> tuple[str | None, int, float | None]:
    backend, path = _where(location)
    try:
        return backend.info(path)
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


def _relative(path: str, base: str) -> str:
    return path[len(base):].lstrip("/")


def exists(location: str) -> bool:
    """Whether a file or folder (an object or a prefix on a store) is at `location`."""
    return _info(location)[0] is not None


def is_dir(location: str) -> bool:
    """Whether `location` is a folder (on a store: a prefix holding objects, or a bucket)."""
    return _info(location)[0] == "dir"


def is_file(location: str) -> bool:
    """Whether `location` is a file (an object)."""
    return _info(location)[0] == "file"


def mtime(location: str) -> float | None:
    """Modification time of `location` (seconds since the epoch), None when unknown/missing."""
    return _info(location)[2]


def join(location: str, *parts: str) -> str:
    """`location` / parts, with '/' for URIs and os.path.join for local paths."""
    if is_object_store(location):
        return posixpath.join(location.rstrip("/"), *parts)
    return os.path.join(location, *parts)


def list_files(location: str) -> list[tuple[str, int]]:
    """Every file under folder `location`, recursively: (path relative to it with '/', size),
    sorted. Hidden names (a part starting with '.') are skipped. A missing folder has none.
    Raises DataError when `location` is a file or cannot be read."""
    backend, path = _where(location)
    try:
        entries = backend.entries(path, recursive=True, allow_not_found=True)
    except OSError as exc:
        raise _store_error(location, exc) from None
    found = []
    for entry, is_folder, size in entries:
        relative = _relative(entry, path)
        if is_folder or any(part.startswith(".") for part in relative.split("/")):
            continue
        found.append((relative, size))
    return sorted(found)


def listdir(location: str) -> list[tuple[str, bool]]:
    """The entries directly under folder `location`: (name, is_folder), sorted; [] if missing.
    Raises DataError when `location` is a file or cannot be read."""
    backend, path = _where(location)
    try:
        entries = backend.entries(path, recursive=False, allow_not_found=True)
    except OSError as exc:
        raise _store_error(location, exc) from None
    return sorted((posixpath.basename(entry.rstrip("/")), is_folder)
                  for entry, is_folder, _size in entries)


def open_input(location: str) -> IO[bytes]:
    """A binary file object reading `location` (streamed from a store). Raises DataError when
    it is missing or cannot be read."""
    backend, path = _where(location)
    try:
        return backend.open_read(path)
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
    backend, path = _where(location)

    def write() -> None:
        with backend.open_write(path) as out:
            out.write(data)

    try:
        _patiently(write)
    except OSError as exc:
        raise _store_error(location, exc) from None


def makedirs(location: str) -> None:
    """Create folder `location` and its parents (no-op on a store, where folders are prefixes)."""
    local = local_path(location)
    if local is not None:
        os.makedirs(local, exist_ok=True)


def delete_tree(location: str) -> None:
    """Remove folder `location` and everything under it (or file `location`); a missing one is
    fine."""
    backend, path = _where(location)
    try:
        backend.delete_tree(path)
    except OSError as exc:
        raise _store_error(location, exc) from None


def _copy(source: tuple[_Local | _Arrow, str], target: tuple[_Local | _Arrow, str]) -> None:
    """Copy one file, streamed; again from its start when a store times out."""
    def copy() -> None:
        with source[0].open_read(source[1]) as inp, target[0].open_write(target[1]) as out:
            while chunk := inp.read(1 << 22):
                out.write(chunk)

    _patiently(copy)


def copy_file(source: str, target: str) -> None:
    """Copy file `source` to `target` (either local or on a store), streamed."""
    try:
        _copy(_where(source), _where(target))
    except OSError as exc:
        raise _store_error(f"{source} -> {target}", exc) from None


def _check_relative(relative: str, source: str, target: str) -> str:
    """`relative` (a file's path under `source`) when it stays under `target`: an object key
    may hold any text, and `a/../../x` or `/x` written locally would leave the folder."""
    parts = relative.split("/")
    if not relative or "\0" in relative or any(p in ("", ".", "..") for p in parts):
        raise DataError(
            f"Copying {source} to {target}: the object {source.rstrip('/')}/{relative} has a "
            f"name that would leave the target folder (expected path parts without '', '.' "
            f"or '..'); nothing was copied. Remove or rename that object on the store.")
    return relative


def copy_tree(source: str, target: str, last: tuple[str, ...] = (),
              skip: tuple[str, ...] = ()) -> int:
    """Copy every file under folder `source` to folder `target` (either may be local or on a
    store); return the number of files copied. Raises DataError when `source` is missing, or
    when a file's name would leave `target` (`..` parts, as an object key may hold).

    Files named in `last` (relative paths, e.g. `saved_model.pb`) are written after all others,
    so a reader that takes their presence as "complete" never sees a half-copied folder; files
    named in `skip` are not copied. Hidden files are copied too (they are part of the tree,
    unlike in `list_files`)."""
    source_backend, source_path = _where(source)
    target_backend, target_path = _where(target)
    try:
        files = sorted(_check_relative(_relative(entry, source_path), source, target)
                       for entry, is_folder, _size
                       in source_backend.entries(source_path, recursive=True,
                                                 allow_not_found=False)
                       if not is_folder and _relative(entry, source_path) not in skip)
        files.sort(key=lambda rel: rel in last)
        for relative in files:
            _copy((source_backend, posixpath.join(source_path, relative)),
                  (target_backend, posixpath.join(target_path, relative)))
    except OSError as exc:
        raise _store_error(f"{source} -> {target}", exc) from None
    return len(files)


def tree_fingerprint(location: str) -> tuple[int, int]:
    """(file count, total bytes) of file `location` or of every file under folder `location`
    (hidden ones included, the `publish_tree` marker not): cheap evidence that published files
    are intact. A missing location has (0, 0)."""
    kind, size, _ = _info(location)
    if kind == "file":
        return 1, size
    backend, path = _where(location)
    try:
        entries = backend.entries(path, recursive=True, allow_not_found=True)
    except OSError as exc:
        raise _store_error(location, exc) from None
    sizes = [size for entry, is_folder, size in entries
             if not is_folder and _relative(entry, path) != PUBLISHED_MARKER]
    return len(sizes), sum(sizes)


def publish_tree(source: str, target: str) -> dict[str, Any]:
    """Publish folder `source` as folder `target`: copy every file, then write the marker
    object `{target}/.tfxkit-published` last (JSON: `files`, `bytes`, a unique `publication`
    id, `published_at`), so `is_published(target)` holds only for a whole copy. Return the
    marker's content. Raises DataError when `source` is missing or a copy fails (the marker is
    then not written: the partial copy is never taken as published)."""
    copy_tree(source, target, skip=(PUBLISHED_MARKER,))
    count, size = tree_fingerprint(source)
    marker = {"files": count, "bytes": size, "publication": uuid.uuid4().hex,
              "published_at": time.time()}
    write_bytes(join(target, PUBLISHED_MARKER), json.dumps(marker, sort_keys=True).encode())
    return marker


def published(location: str) -> dict[str, Any] | None:
    """The marker content of a folder published with `publish_tree`, None when the marker is
    missing or unreadable (an interrupted publication)."""
    marker = join(location, PUBLISHED_MARKER)
    try:
        if not is_file(marker):
            return None
        content = json.loads(read_bytes(marker))
    except (DataError, ValueError):
        return None
    return content if isinstance(content, dict) else None


def is_published(location: str) -> bool:
    """Whether `location` is there to be used: on a store (or its launcher mount), a folder
    whose `publish_tree` marker was written; a local path (artifacts published by rename)
    when it exists."""
    if not is_object_store(location):
        return os.path.exists(local_path(location) or location)
    return is_file(join(location, PUBLISHED_MARKER))
