"""Connecting to the ML Metadata store: a SQLite file by default, MySQL/MariaDB by URL.

    connect("pipeline_output/metadata.sqlite")
    connect("sqlite:////abs/path/metadata.sqlite")   # SQLAlchemy style: 4 slashes = absolute
    connect("mysql://user@host:3306/db")   # password from TFXKIT_METADATA_PASSWORD

The password never appears in a URL tfxkit stores, logs or compiles.
"""

from __future__ import annotations

import dataclasses
import os
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


def retrying(
    action: Callable[[], T], what: str, attempts: int = 6, first_delay: float = 0.2
) -> T:
    """Run `action`, retrying transient store errors (locked database, lost connection) with
    exponential backoff; raise MetadataError naming `what` when attempts run out."""
    from ml_metadata import errors as mlmd_errors

    transient = (mlmd_errors.AbortedError, mlmd_errors.UnavailableError,
                 mlmd_errors.DeadlineExceededError, mlmd_errors.InternalError)
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except transient as exc:
            if attempt == attempts:
                raise MetadataError(
                    f"ML Metadata store failed while {what} after {attempts} attempts: {exc}. "
                    f"Check that the database is reachable and not locked by another process."
                ) from exc
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def connect(location: str) -> metadata_store.MetadataStore:
    """Open (creating if needed) the ML Metadata store at `location`; see module docstring."""
    from ml_metadata.metadata_store import metadata_store

    info = parse(location)
    config = connection_config(info)
    try:
        return retrying(
            lambda: metadata_store.MetadataStore(config, enable_upgrade_migration=True),
            f"connecting to {info.display()}",
        )
    except MetadataError:
        raise
    except Exception as exc:
        raise MetadataError(
            f"Could not open the ML Metadata store at {info.display()}: {exc}. For SQLite check "
            f"the directory is writable; for MySQL check host, port, user and {PASSWORD_ENV}."
        ) from exc
