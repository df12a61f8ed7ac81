"""Benchmark: `tfxkit serve` under a bounded load from a real HTTP client.

Starts `tfxkit serve DESTINATION` on 127.0.0.1 (a free port), then for single-row and 64-row
`:predict` batches with 1 and 8 concurrent clients (httpx, one connection each) sends
`--requests` requests per client and prints p50 / p99 latency and requests/s (and rows/s).
Feature values are taken from the model's own parse spec, so any pushed tfxkit model works.

    .venv/bin/python bench/serving.py serving_model/penguin [--requests 50]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.serving.conftest import start_server  # noqa: E402


def example_row(destination: Path) -> dict[str, object]:
    """One row of plausible values for the latest version's raw features (in a subprocess, so
    this process stays free of TensorFlow)."""
    code = (
        "import json, sys\n"
        "from tfxkit.serving.batch import pushed_version\n"
        "from tfxkit.components.bulk_inferrer.saved_model import load\n"
        f"_, _, s = load(pushed_version({str(destination)!r})['path'])\n"
        "print(json.dumps({n: 'a' if f.dtype == 'string' else (1 if f.dtype == 'int' else 0.5)"
        " for n, f in s.features.items()}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_load(url: str, body: dict[str, object], clients: int, requests: int) -> list[float]:
    """Latencies (s) of `clients` threads each sending `requests` POSTs of `body`."""
    import httpx

    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []

    def client() -> None:
        with httpx.Client(timeout=60) as session:
            for _ in range(requests):
                started = time.perf_counter()
                answer = session.post(url, json=body)
                elapsed = time.perf_counter() - started
                if answer.status_code != 200:
                    errors.append(answer.text)
                with lock:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, first: {errors[0]}")
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("destination", type=Path)
    parser.add_argument("--requests", type=int, default=50, help="requests per client")
    args = parser.parse_args()
    row = example_row(args.destination)
    log = Path("/tmp") / f"tfxkit-bench-serve-{time.time_ns()}.log"
    server = start_server(args.destination.resolve(), log)
    try:
        url = f"{server.url}:predict"
        run_load(url, {"instances": [row]}, 1, 5)  # warm up
        print(f"{'batch':>6} {'clients':>8} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} "
              f"{'rows/s':>8}")
        for batch in (1, 64):
            for clients in (1, 8):
                started = time.perf_counter()
                latencies = sorted(run_load(url, {"instances": [row] * batch}, clients,
                                            args.requests))
                wall = time.perf_counter() - started
                p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
                rate = len(latencies) / wall
                print(f"{batch:>6} {clients:>8} {statistics.median(latencies) * 1e3:>8.1f} "
                      f"{p99 * 1e3:>8.1f} {rate:>8.1f} {rate * batch:>8.0f}")
    finally:
        print(f"server stopped with exit code {server.stop()}")


if __name__ == "__main__":
    main()
