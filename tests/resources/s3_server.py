"""A real S3-protocol server on 127.0.0.1 for object-store tests: moto's standalone server
(`python -m moto.server`, from the `moto[s3]` dev dependency), run as a subprocess so that
clients talk to it over HTTP exactly as they would to MinIO or AWS.

`s3_env(endpoint)` is the environment a process needs to reach it (endpoint override, test
keys, region); `make_bucket` creates a bucket with pyarrow (the client tfxkit itself uses).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping

import pytest


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def s3_env(endpoint: str) -> dict[str, str]:
    """Environment variables pointing S3 clients (pyarrow, boto3) at `endpoint`."""
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true"}


@contextlib.contextmanager
def running_s3_server(timeout: float = 30.0) -> Iterator[str]:
    """Start moto's S3 server on a free 127.0.0.1 port; yield its endpoint URL; stop it."""
    port = free_port()
    # werkzeug logs every request to stderr: into a file, never a pipe nobody drains (a full
    # pipe blocks the server after a few hundred requests)
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL, stderr=log)
        endpoint = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        stderr = log.read().decode(errors="replace")
                        raise RuntimeError(f"moto S3 server did not start: {stderr[-2000:]}") \
                            from None
                    time.sleep(0.2)
            yield endpoint
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def make_bucket(endpoint: str, bucket: str) -> None:
    """Create `bucket` on the server at `endpoint`."""
    from pyarrow import fs as pafs

    host = endpoint.split("://", 1)[1]
    store = pafs.S3FileSystem(endpoint_override=host, scheme="http", access_key="testing",
                              secret_key="testing", region="us-east-1",
                              allow_bucket_creation=True)
    store.create_dir(bucket)


@contextlib.contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """`values` set (None: removed) in os.environ for the block, then what was there restored."""
    saved = {key: os.environ.get(key) for key in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _session_server() -> Iterator[str]:
    with running_s3_server() as endpoint, environment(s3_env(endpoint)):
        yield endpoint


# Test modules import this fixture: one server per test session, its env set for the session.
s3_endpoint = pytest.fixture(scope="session")(_session_server)
