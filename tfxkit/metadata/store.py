"""Connecting to the ML Metadata store: a SQLite file by default, MySQL/MariaDB by URL.

    connect("pipeline_output/metadata.sqlite")
    connect("sqlite:////abs/path/metadata.sqlite")   # SQLAlchemy style: 4 slashes = absolute
    connect("mysql://user@host:3306/db")   # password from TFXKIT_METADATA_PASSWORD
    connect("out/metadata.sqlite", read_only=True)   # query an existing store, never create

Schemes are matched case-insensitively and SQLAlchemy's driver suffixes are accepted
(`MYSQL://`, `mysql+pymysql://`, `mariadb://`, `sqlite+pysqlite:///`): ml-metadata speaks to
the database with its own client, so the driver named does not matter. A password written in
the URL is refused (and never quoted back): it would land in logs, compiled pipelines and ML
Metadata.

A new SQLite store is created whole or not at all: it is built in a temporary file next to its
place and linked there once ml-metadata has written its schema, so a full disk or a killed
process never leaves a partial `metadata.sqlite`. A full disk on any store write raises
`DiskFullError` naming the store and the space left.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import os
import re
import socket
import time
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tfxkit.errors import (
    DiskFullError,
    MetadataError,
    StoreNotFoundError,
    disk_full_error,
    is_disk_full,
    shown_path,
)
from tfxkit.secrets import has_url_password, mask_secrets, mask_url

if TYPE_CHECKING:
    from ml_metadata.metadata_store import metadata_store

PASSWORD_ENV = "TFXKIT_METADATA_PASSWORD"
T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class ConnectionInfo:
    """A parsed metadata location (never holds a password)."""

    kind: str  # "sqlite" or "mysql"
    path: str = ""
    host: str = ""
    port: int = 3306
    database: str = ""
    user: str = ""

    def display(self) -> str:
        """A printable form, safe for logs."""
        if self.kind == "sqlite":
            return f"sqlite:///{self.path}"
        return f"mysql://{self.user}@{self.host}:{self.port}/{self.database}"


_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9.\-]*)(?:\+(?P<driver>[A-Za-z0-9_.\-]+))?"
                     r"://", re.ASCII)


def parse(location: str) -> ConnectionInfo:
    """Parse a SQLite path, `sqlite:///relative`, `sqlite:////absolute` or
    `mysql://user@host:port/db` into ConnectionInfo.

    Schemes are matched case-insensitively; `+driver` suffixes (`mysql+pymysql://`) are
    accepted and ignored. Raises MetadataError, quoting the location with any password masked,
    for a password inside the URL (it would end up in logs and specs), an unknown scheme or an
    incomplete MySQL URL.
    """
    location = os.fspath(location)
    match = _SCHEME.match(location)
    scheme = match.group("scheme").lower() if match else ""
    if scheme == "sqlite":
        # SQLAlchemy's convention: sqlite:///relative.db, sqlite:////absolute/path.db
        rest = location[match.end():] if match else ""
        if not rest.startswith("/"):
            raise MetadataError(
                f"SQLite metadata URL {mask_url(location)!r} lacks its third slash: expected "
                f"sqlite:///relative/path.sqlite or sqlite:////absolute/path.sqlite.")
        return ConnectionInfo("sqlite", path=str(Path(rest[1:]).absolute()))
    if scheme in ("mysql", "mariadb"):
        if has_url_password(location):
            raise MetadataError(
                f"The metadata URL {mask_url(location)!r} carries a password; expected "
                f"mysql://user@host:port/db with the password in the {PASSWORD_ENV} environment "
                f"variable, so it never lands in logs, compiled pipelines or ML Metadata."
            )
        assert match is not None
        url = urllib.parse.urlsplit("mysql://" + location[match.end():])
        database = url.path.lstrip("/")
        try:
            port = url.port or 3306
        except ValueError:
            port = 0
        if not url.hostname or not database or not port:
            raise MetadataError(
                f"Metadata URL {mask_url(location)!r} is incomplete or malformed: expected "
                f"mysql://user@host:port/database (port optional, default 3306)."
            )
        return ConnectionInfo(
            "mysql",
            host=url.hostname,
            port=port,
            database=database,
            user=urllib.parse.unquote(url.username or "root"),
        )
    if "://" in location:
        raise MetadataError(
            f"Unsupported metadata location {mask_url(location)!r}: expected a SQLite file path, "
            f"sqlite:///path or mysql://user@host:port/db."
        )
    return ConnectionInfo("sqlite", path=str(Path(location).absolute()))


def connection_config(info: ConnectionInfo, read_only: bool = False) -> Any:
    """The ml-metadata ConnectionConfig proto for `info` (password read from the environment).

    With `read_only`, a SQLite store is opened READONLY and a MySQL database is never created.
    Creates no file or folder either way (`connect` does, for a new writable SQLite store).
    """
    from ml_metadata.proto import metadata_store_pb2

    config = metadata_store_pb2.ConnectionConfig()
    if info.kind == "sqlite":
        config.sqlite.filename_uri = info.path
        modes = metadata_store_pb2.SqliteMetadataSourceConfig
        config.sqlite.connection_mode = modes.READONLY if read_only else modes.READWRITE_OPENCREATE
    else:
        config.mysql.host = info.host
        config.mysql.port = info.port
        config.mysql.database = info.database
        config.mysql.user = info.user
        config.mysql.password = os.environ.get(PASSWORD_ENV, "")
        config.mysql.skip_db_creation = read_only
    return config


RETRY_SECONDS_ENV = "TFXKIT_METADATA_RETRY_SECONDS"
DEFAULT_RETRY_SECONDS = 60.0

# Errors worth waiting out: SQLite's "database is locked" surfaces as AbortedError after MLMD's own
# busy loop; a MySQL connection that dropped surfaces as InternalError("Lost connection ...") and
# MLMD reconnects on the next call. Other InternalErrors (bad SQL, schema mismatch) are not retried.
_TRANSIENT_TEXT = re.compile(
    r"lost connection|gone away|can't connect|cannot connect|connection refused|"
    r"connection reset|broken pipe|database is locked|deadlock|lock wait timeout|"
    r"too many connections|try restarting transaction|concurrent|please retry|"
    r"timed out|timeout", re.IGNORECASE)


def retry_seconds() -> float:
    """How long store calls keep retrying transient errors: `TFXKIT_METADATA_RETRY_SECONDS`
    (default 60 s, long enough for a database restart or failover)."""
    text = os.environ.get(RETRY_SECONDS_ENV, "")
    try:
        return max(0.0, float(text)) if text else DEFAULT_RETRY_SECONDS
    except ValueError:
        raise MetadataError(
            f"{RETRY_SECONDS_ENV} must be a number of seconds, found {text!r}; e.g. "
            f"{RETRY_SECONDS_ENV}=60.") from None


def is_transient(exc: BaseException) -> bool:
    """Whether `exc`, raised by ml-metadata, is worth retrying (locked or lost database)."""
    from ml_metadata import errors as mlmd_errors

    if isinstance(exc, (MetadataError, DiskFullError)) or is_disk_full(exc):
        return False  # already retried and explained, or waiting will not free space
    text = str(exc)
    if "sqlite3" in text and "locked" not in text:
        return False  # "Cannot connect sqlite3 database: unable to open ...": a wrong path
    if isinstance(exc, (mlmd_errors.AbortedError, mlmd_errors.UnavailableError,
                        mlmd_errors.DeadlineExceededError)):
        return True
    if isinstance(exc, (mlmd_errors.InternalError, mlmd_errors.UnknownError, RuntimeError)):
        return bool(_TRANSIENT_TEXT.search(text))
    return False


def retry_transient(action: Callable[[], T], what: str, where: str = "",
                    seconds: float | None = None, first_delay: float = 0.2,
                    max_delay: float = 5.0,
                    pause: Callable[[float], None] = time.sleep) -> T:
    """Run `action`, retrying transient store errors (locked database, lost connection) with
    exponential backoff for up to `seconds` (default `retry_seconds()`); then raise MetadataError
    saying what failed, where, for how long, and what to do. `pause(seconds)` waits between
    attempts (the local runner passes one that a SIGTERM may interrupt: nothing is half-done
    between two attempts)."""
    budget = retry_seconds() if seconds is None else seconds
    began = time.monotonic()
    delay = first_delay
    attempt = 0
    while True:
        attempt += 1
        try:
            return action()
        except Exception as exc:
            if not is_transient(exc):
                raise
            waited = time.monotonic() - began
            if waited + delay > budget:
                place = f" at {where}" if where else ""
                raise MetadataError(
                    f"The ML Metadata store{place} failed while {what}: {attempt} attempt(s) over "
                    f"{waited:.1f} s, last error: {type(exc).__name__}: {exc}. Nothing of this "
                    f"step was recorded. Check that the database is up and reachable (and, for "
                    f"SQLite, not held by a stuck process), then rerun: finished nodes are reused "
                    f"from the cache. Set {RETRY_SECONDS_ENV} to wait longer "
                    f"(now {budget:g} s).") from exc
            pause(delay)
            delay = min(delay * 2, max_delay)


def retrying(action: Callable[[], T], what: str) -> T:
    """Run a store `action` that must succeed, naming `what` it does in the error if it cannot.

    Stores from `connect` already retry every call (see `retry_transient`); this adds what the
    caller was doing to their error, and retries for a plain ml-metadata store too."""
    try:
        return retry_transient(action, what)
    except MetadataError as exc:
        if f"while {what}" in str(exc):
            raise
        raise MetadataError(f"{exc} (tfxkit was {what})") from exc


class _MaskSecrets(logging.Filter):
    """Masks secrets in log records (`tfxkit.secrets.mask_secrets`): ml-metadata logs its whole
    ConnectionConfig, password included, at DEBUG level when it connects. Drops ml-metadata's
    "mlmd client <Error>: ..." lines: each is an exception tfxkit handles and explains itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("mlmd client"):
            return False
        message = record.getMessage()
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def _redact_mlmd_logs() -> None:
    """Install the masking filter on the logger ml-metadata logs to (once)."""
    absl = logging.getLogger("absl")
    if not any(isinstance(f, _MaskSecrets) for f in absl.filters):
        absl.addFilter(_MaskSecrets())


def _store_full(info: ConnectionInfo, exc: BaseException) -> DiskFullError:
    """The one-line DiskFullError for a store write that found no space."""
    if info.kind == "sqlite":
        return disk_full_error(info.path)
    error = DiskFullError(f"the MySQL server holding the ML Metadata store {info.display()} "
                          f"reports a full disk or table ({exc}); free space on the server and "
                          f"rerun")
    error.errno = 28
    return error


@functools.cache
def _retrying_store_class() -> type:
    from ml_metadata import errors as mlmd_errors
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.metadata_store.pywrap.metadata_store_extension import (
        metadata_store as native,
    )
    from ml_metadata.proto import metadata_store_pb2

    class RetryingMetadataStore(metadata_store.MetadataStore):
        """An ml-metadata store whose every call (read or write) waits out transient errors.

        ml-metadata sends every call through `_call`; its own retry covers only AbortedError
        with a fixed count. Each call is one transaction, so a retried call never half-applies.
        After a transient error on a MySQL store the native connection is dropped and opened
        afresh: ml-metadata 1.16 segfaults when a call reuses a handle whose reconnect failed.
        A full disk raises DiskFullError at once (the transaction was rolled back).
        """

        _metadata_store: Any
        tfxkit_pause: Callable[[float], None] = staticmethod(time.sleep)  # between retries

        def __init__(self, config: Any, info: ConnectionInfo, read_only: bool = False) -> None:
            self._tfxkit_info = info
            self._tfxkit_where = info.display()
            self._tfxkit_reopen = config.HasField("mysql")
            self.tfxkit_read_only = read_only
            super().__init__(config, enable_upgrade_migration=not read_only)

        def _tfxkit_open(self) -> Any:
            options = metadata_store_pb2.MigrationOptions(
                enable_upgrade_migration=not self.tfxkit_read_only)
            try:
                return native.CreateMetadataStore(self._config.SerializeToString(),
                                                  options.SerializeToString())
            except RuntimeError as exc:
                raise mlmd_errors.UnavailableError(f"reconnecting failed: {exc}") from exc

        def _call(self, method_name: str, request: Any, response: Any,
                  extra_options: Any = None) -> Any:
            def once() -> Any:
                if self._metadata_store is None:
                    self._metadata_store = self._tfxkit_open()
                response.Clear()
                try:
                    return self._call_method(method_name, request, response)
                except Exception as exc:
                    if is_disk_full(exc):
                        raise _store_full(self._tfxkit_info, exc) from exc
                    if self.tfxkit_read_only and "readonly database" in str(exc):
                        raise MetadataError(
                            f"{method_name} would write to the ML Metadata store at "
                            f"{self._tfxkit_where}, which was opened read-only; open it with "
                            f"connect(location) to record runs.") from exc
                    if self._tfxkit_reopen and is_transient(exc):
                        self._metadata_store = None
                    raise

            return retry_transient(once, f"calling {method_name}", self._tfxkit_where,
                                   pause=self.tfxkit_pause)

    return RetryingMetadataStore


def _server_listening(info: ConnectionInfo) -> bool:
    """Whether something accepts TCP connections at the MySQL host and port."""
    try:
        with socket.create_connection((info.host, info.port), timeout=5):
            return True
    except OSError:
        return False


def _open(info: ConnectionInfo, config: Any, read_only: bool = False) -> Any:
    if info.kind == "sqlite":
        _check_not_locked(info, read_only)
    try:
        return _retrying_store_class()(config, info, read_only)
    except RuntimeError as exc:
        if is_disk_full(exc):
            raise _store_full(info, exc) from exc
        # ml-metadata says only "mysql_real_connect failed" whether the server is down (worth
        # waiting for) or refused the login (not): tell them apart by whether it listens.
        if info.kind == "mysql" and not _server_listening(info):
            from ml_metadata import errors as mlmd_errors

            raise mlmd_errors.UnavailableError(
                f"nothing listens at {info.host}:{info.port}") from exc
        raise


def _check_not_locked(info: ConnectionInfo, read_only: bool) -> None:
    """Raise AbortedError ("database is locked") when another process holds the SQLite store's
    lock right now, so that `retry_transient` waits in Python, where Ctrl-C and SIGTERM are
    handled, rather than in ml-metadata's native busy loop (about 45 s per attempt, holding the
    GIL). Touches nothing: a read, or a write lock taken and released without writing."""
    import sqlite3

    from ml_metadata import errors as mlmd_errors

    uri = f"file:{urllib.parse.quote(info.path)}?mode={'ro' if read_only else 'rw'}"
    try:
        probe = sqlite3.connect(uri, uri=True, timeout=0.05, isolation_level=None)
        try:
            if read_only:
                probe.execute("SELECT count(*) FROM sqlite_master").fetchall()
            else:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
        finally:
            probe.close()
    except sqlite3.Error as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise mlmd_errors.AbortedError(f"database is locked by another process: {exc}"
                                           ) from exc
        # anything else (not a database, ...) is for ml-metadata to report


def _check_sqlite_path(info: ConnectionInfo, read_only: bool) -> None:
    """Refuse at once what can never be a SQLite store: a folder, or (read-only) a missing
    file. Raises MetadataError naming the path and what to pass instead."""
    path = Path(info.path)
    if path.is_dir():
        inside = path / "metadata.sqlite"
        hint = (f"; did you mean {shown_path(inside)}?" if inside.is_file() else
                "; pass the store file, e.g. <pipeline_root>/metadata.sqlite")
        raise MetadataError(f"The ML Metadata store path {shown_path(path)} is a directory, not "
                            f"a SQLite store file{hint}")
    if read_only and not path.exists():
        raise StoreNotFoundError(f"no ML Metadata store at {shown_path(path)} (pass the pipeline "
                                 f"file or the store of an existing run)", shown_path(path))
    if read_only and not path.is_file():
        raise MetadataError(f"The ML Metadata store path {shown_path(path)} is not a regular "
                            f"file; pass a SQLite store file.")


def _create_sqlite_store(info: ConnectionInfo) -> None:
    """Create the SQLite store at `info.path` whole or not at all: ml-metadata writes its schema
    into a temporary file beside it, which is then linked into place (if no concurrent run
    created the store first). On a full disk nothing is left behind and DiskFullError says how
    much space there is."""
    from ml_metadata.metadata_store import metadata_store

    final = Path(info.path)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if is_disk_full(exc):
            raise disk_full_error(final) from exc
        raise MetadataError(f"Could not create the folder of the ML Metadata store "
                            f"{shown_path(final)}: {exc}. Check that it is writable.") from exc
    temp = final.with_name(f".{final.name}.{uuid.uuid4().hex[:12]}.creating")
    try:
        config = connection_config(dataclasses.replace(info, path=str(temp)))
        store = metadata_store.MetadataStore(config)
        del store  # closes the connection: the schema is committed
        with contextlib.suppress(FileExistsError):  # another run created it meanwhile
            os.link(temp, final)
    except Exception as exc:
        if is_disk_full(exc):
            raise disk_full_error(final) from exc
        raise MetadataError(f"Could not create the ML Metadata store at {shown_path(final)}: "
                            f"{exc}. Check that the directory is writable.") from exc
    finally:
        for leftover in (temp, temp.with_name(temp.name + "-journal")):
            with contextlib.suppress(OSError):
                leftover.unlink()


def connect(location: str, *, read_only: bool = False) -> metadata_store.MetadataStore:
    """Open the ML Metadata store at `location` (see module docstring).

    Args:
        location: SQLite path, `sqlite:///path` or `mysql://user@host:port/db`.
        read_only: for commands that only query (`tfxkit runs`, `lineage`, `report`, `show`,
            `models`): create nothing (no folder, no file, no MySQL database), open SQLite
            READONLY, and fail at once when there is no store there. Only a run creates a store.

    Raises:
        StoreNotFoundError: (read-only) there is no store at the location.
        MetadataError: the location is malformed, a directory, not an ML Metadata store, or
            its server stays unreachable after `retry_seconds()`.
        DiskFullError: the store's device is full (a new store is then not created at all).
    """
    info = parse(location)
    if info.kind == "sqlite":
        _check_sqlite_path(info, read_only)
        if not read_only and not Path(info.path).exists():
            _create_sqlite_store(info)
    config = connection_config(info, read_only=read_only)
    _redact_mlmd_logs()
    try:
        store: metadata_store.MetadataStore = retry_transient(
            lambda: _open(info, config, read_only), "connecting", info.display())
        return store
    except (MetadataError, DiskFullError):
        raise
    except Exception as exc:
        if info.kind == "mysql":
            missing = read_only and "unknown database" in str(exc).lower()
            if missing:
                raise StoreNotFoundError(
                    f"no ML Metadata store at {info.display()}: the server has no database "
                    f"{info.database!r} (pass the pipeline file or the store of an existing "
                    f"run)", info.display()) from exc
            raise MetadataError(
                f"Could not open the ML Metadata store at {info.display()}: the server there "
                f"refused the connection ({exc}). Check the user name, the password in "
                f"{PASSWORD_ENV} (set: {'yes' if os.environ.get(PASSWORD_ENV) else 'no'}), "
                f"that the user may create and use database {info.database!r}, and that it "
                f"logs in with mysql_native_password (MySQL 8's caching_sha2_password is not "
                f"supported by ml-metadata)."
            ) from exc
        what = ("is not an ML Metadata SQLite database (SQLite: file is not a database)"
                if "not a database" in str(exc) else f"could not be opened: {exc}")
        raise MetadataError(
            f"The ML Metadata store at {shown_path(info.path)} {what}. Check that the "
            f"path names a store a tfxkit run wrote"
            + ("" if read_only else " and that its directory is writable") + "."
        ) from exc
