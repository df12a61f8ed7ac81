"""A real MariaDB for ML Metadata tests: a fresh database per test, and a TCP proxy that can
cut the connection mid-run.

`TFXKIT_TEST_MYSQL_URL` (e.g. `mysql://tfxkit@127.0.0.1:33061/tfxkit_test`, password in
`TFXKIT_METADATA_PASSWORD`) names the server; `scripts/test-mariadb` starts one and prints both.
Unset: the tests that need it skip. Set but unreachable: they fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

URL_ENV = "TFXKIT_TEST_MYSQL_URL"


def base_url() -> str | None:
    """The test server's URL, or None when no server is configured."""
    return os.environ.get(URL_ENV) or None


def with_database(url: str, database: str) -> str:
    """`url` pointing at `database` instead."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + database))


def with_port(url: str, port: int) -> str:
    """`url` pointing at 127.0.0.1:`port` instead (e.g. a proxy)."""
    parts = urllib.parse.urlsplit(url)
    user = parts.username or "root"
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}@127.0.0.1:{port}"))


def sql(url: str, statement: str) -> str:
    """Run `statement` with the `mariadb` client as the URL's user; return its output."""
    parts = urllib.parse.urlsplit(url)
    client = shutil.which("mariadb") or shutil.which("mysql")
    if client is None:
        raise RuntimeError("no mariadb/mysql client installed (apt-get install mariadb-client)")
    env = {**os.environ, "MYSQL_PWD": os.environ.get("TFXKIT_METADATA_PASSWORD", "")}
    done = subprocess.run(
        [client, "--no-defaults", "--protocol=tcp", "-h", parts.hostname or "127.0.0.1",
         "-P", str(parts.port or 3306), "-u", parts.username or "root", "-N", "-B", "-e",
         statement], capture_output=True, text=True, env=env, timeout=60)
    if done.returncode:
        raise RuntimeError(f"mariadb client failed: {done.stderr}")
    return done.stdout


@pytest.fixture
def mysql_url() -> Iterator[str]:
    """URL of a fresh, empty database on the test MariaDB (dropped afterwards)."""
    url = base_url()
    if url is None:
        pytest.skip(f"{URL_ENV} is not set: no MariaDB to test against (scripts/test starts one "
                    f"when mariadb-server is installed)")
    parts = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 3306), 5):
            pass
    except OSError as exc:
        pytest.fail(f"{URL_ENV}={url} is set but the server is not reachable: {exc}")
    database = f"{parts.path.lstrip('/')}_{uuid.uuid4().hex[:10]}"
    yield with_database(url, database)
    with contextlib.suppress(Exception):
        sql(url, f"DROP DATABASE IF EXISTS `{database}`")


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target` from a separate process (ml-metadata holds the GIL
    while it waits on the database, so an in-process proxy would stall with it). `cut()` drops
    every connection and refuses new ones (a lost database); `restore()` lets them through."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.resources.tcp_proxy", target_host, str(target_port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
            cwd=str(Path(__file__).resolve().parents[2]))
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())
        self.cuts = 0

    def _say(self, command: str) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "ok"

    def cut(self) -> None:
        """Drop every open connection and refuse new ones."""
        self.cuts += 1
        self._say("cut")

    def restore(self) -> None:
        """Accept and forward connections again."""
        self._say("restore")

    def close(self) -> None:
        """Stop the proxy."""
        self.process.kill()
        self.process.wait()
