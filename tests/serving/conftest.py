"""Fixtures of the serving tests: the shared pipeline run (`pipeline_fixture.build`), and a real
`tfxkit serve` process on 127.0.0.1 over a copy of its push destination."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving.pipeline_fixture import Built, build


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The shared pipeline run (a pushed classifier with class names)."""
    return build(tmp_path_factory)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclasses.dataclass
class Server:
    """A running `tfxkit serve`: its process, URL base, destination folder and output file."""

    process: subprocess.Popen[str]
    url: str
    destination: Path
    log: Path

    def stop(self) -> int:
        """SIGTERM the server; return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def start_server(destination: Path, log: Path, *extra: str) -> Server:
    """Start `tfxkit serve destination` and wait until it answers its status URL."""
    import httpx

    port = free_port()
    handle = log.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tfxkit", "serve", str(destination), "--port", str(port),
         "--poll-seconds", "0.5", *extra],
        stdout=handle, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    name = next((extra[i + 1] for i, a in enumerate(extra) if a == "--model-name"),
                destination.name)
    url = f"http://127.0.0.1:{port}/v1/models/{name}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"tfxkit serve exited: {log.read_text()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return Server(process, url, destination, log)
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    process.kill()
    raise AssertionError(f"tfxkit serve did not answer in time: {log.read_text()}")


@pytest.fixture(scope="module")
def server(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`tfxkit serve` over a private copy of the pushed model (tests may push to it)."""
    folder = tmp_path_factory.mktemp("serve")
    destination = folder / "penguin"
    shutil.copytree(built.destination, destination)
    running = start_server(destination, folder / "serve.log")
    yield running
    running.stop()
