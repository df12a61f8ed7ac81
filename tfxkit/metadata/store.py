"""Connecting to the ML Metadata store: a SQLite file by default, MySQL/MariaDB by URL.

    connect("pipeline_output/metadata.sqlite")
    connect("sqlite:////abs/path/metadata.sqlite")   # SQLAlchemy style: 4 slashes = absolute
    connect("mysql://user@host:3306/db")   # password from TFXKIT_METADATA_PASSWORD

The password never appears in a URL tfxkit stores, logs or compiles.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import re
import socket
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tfxkit.errors import MetadataError

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


def parse(location: str) -> ConnectionInfo:
    """Parse a SQLite path, `sqlite:///relative`, `sqlite:////absolute` or
    `mysql://user@host:port/db` into ConnectionInfo.

    A password written inside a mysql URL is rejected: it would end up in logs and specs.
    """
    if location.startswith("sqlite:///"):
        # SQLAlchemy's convention: sqlite:///relative.db, sqlite:////absolute/path.db
        path = location[len("sqlite:///"):]
        return ConnectionInfo("sqlite", path=str(Path(path).absolute()))
    if location.startswith(("mysql://", "mariadb://")):
        url = urllib.parse.urlsplit(location)
        if url.password:
            raise MetadataError(
                f"The metadata URL carries a password; expected mysql://user@host:port/db with the "
                f"password in the {PASSWORD_ENV} environment variable, so it never lands in logs, "
                f"compiled pipelines or ML Metadata."
            )
        database = url.path.lstrip("/")
        if not url.hostname or not database:
            raise MetadataError(
                f"Metadata URL {location!r} is incomplete: expected mysql://user@host:port/database."
            )
        return ConnectionInfo(
            "mysql",
            host=url.hostname,
            port=url.port or 3306,
            database=database,
            user=urllib.parse.unquote(url.username or "root"),
        )
    if "://" in location:
        raise MetadataError(
            f"Unsupported metadata location {location!r}: expected a SQLite file path, "
            f"sqlite:///path or mysql://user@host:port/db."
        )
    return ConnectionInfo("sqlite", path=str(Path(location).absolute()))


def connection_config(info: ConnectionInfo) -> Any:
    """The ml-metadata ConnectionConfig proto for `info` (password read from the environment)."""
    from ml_metadata.proto import metadata_store_pb2

    config = metadata_store_pb2.ConnectionConfig()
    if info.kind == "sqlite":
        Path(info.path).parent.mkdir(parents=True, exist_ok=True)
        config.sqlite.filename_uri = info.path
        config.sqlite.connection_mode = (
            metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
        )
    else:
        config.mysql.host = info.host
        config.mysql.port = info.port
        config.mysql.database = info.database
        config.mysql.user = info.user
        config.mysql.password = os.environ.get(PASSWORD_ENV, "")
        config.mysql.skip_db_creation = False
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

    if isinstance(exc, MetadataError):  # already retried and explained
        return False
    if isinstance(exc, (mlmd_errors.AbortedError, mlmd_errors.UnavailableError,
                        mlmd_errors.DeadlineExceededError)):
        return True
    if isinstance(exc, (mlmd_errors.InternalError, mlmd_errors.UnknownError, RuntimeError)):
        return bool(_TRANSIENT_TEXT.search(str(exc)))
    return False


def retry_transient(action: Callable[[], T], what: str, where: str = "",
                    seconds: float | None = None, first_delay: float = 0.2,
                    max_delay: float = 5.0) -> T:
    """Run `action`, retrying transient store errors (locked database, lost connection) with
    exponential backoff for up to `seconds` (default `retry_seconds()`); then raise MetadataError
    saying what failed, where, for how long, and what to do."""
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
            time.sleep(delay)
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


_PASSWORD_FIELD = re.compile(r'(password:\s*)"(?:[^"\\]|\\.)*"')


class _RedactPasswords(logging.Filter):
    """Blanks `password: "..."` in log records: ml-metadata logs its whole ConnectionConfig,
    password included, at DEBUG level when it connects."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "password" in message:
            record.msg, record.args = _PASSWORD_FIELD.sub(r'\1"<redacted>"', message), ()
        return True


def _redact_mlmd_logs() -> None:
    """Install the password filter on the logger ml-metadata logs to (once)."""
    absl = logging.getLogger("absl")
    if not any(isinstance(f, _RedactPasswords) for f in absl.filters):
        absl.addFilter(_RedactPasswords())


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
        """

        _metadata_store: Any

        def __init__(self, config: Any, where: str) -> None:
            self._tfxkit_where = where
            self._tfxkit_reopen = config.HasField("mysql")
            super().__init__(config, enable_upgrade_migration=True)

        def _tfxkit_open(self) -> Any:
            options = metadata_store_pb2.MigrationOptions(enable_upgrade_migration=True)
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
                    if self._tfxkit_reopen and is_transient(exc):
                        self._metadata_store = None
                    raise

            return retry_transient(once, f"calling {method_name}", self._tfxkit_where)

    return RetryingMetadataStore


def _server_listening(info: ConnectionInfo) -> bool:
    """Whether something accepts TCP connections at the MySQL host and port."""
    try:
        with socket.create_connection((info.host, info.port), timeout=5):
            return True
    except OSError:
        return False


def _open(info: ConnectionInfo, config: Any) -> Any:
    try:
        return _retrying_store_class()(config, info.display())
    except RuntimeError as exc:
        # ml-metadata says only "mysql_real_connect failed" whether the server is down (worth
        # waiting for) or refused the login (not): tell them apart by whether it listens.
        if info.kind == "mysql" and not _server_listening(info):
            from ml_metadata import errors as mlmd_errors

            raise mlmd_errors.UnavailableError(
                f"nothing listens at {info.host}:{info.port}") from exc
        raise


def connect(location: str) -> metadata_store.MetadataStore:
    """Open (creating if needed) the ML Metadata store at `location`; see module docstring."""
    info = parse(location)
    config = connection_config(info)
    _redact_mlmd_logs()
    try:
        store: metadata_store.MetadataStore = retry_transient(
            lambda: _open(info, config), "connecting", info.display())
        return store
    except MetadataError:
        raise
    except Exception as exc:
        if info.kind == "mysql":
            raise MetadataError(
                f"Could not open the ML Metadata store at {info.display()}: the server there "
                f"refused the connection ({exc}). Check the user name, the password in "
                f"{PASSWORD_ENV} (set: {'yes' if os.environ.get(PASSWORD_ENV) else 'no'}), "
                f"that the user may create and use database {info.database!r}, and that it "
                f"logs in with mysql_native_password (MySQL 8's caching_sha2_password is not "
                f"supported by ml-metadata)."
            ) from exc
        raise MetadataError(
            f"Could not open the ML Metadata store at {info.display()}: {exc}. Check that the "
            f"directory is writable and the file is an ML Metadata SQLite database."
        ) from exc
