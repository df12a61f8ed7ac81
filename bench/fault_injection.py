"""Benchmark of crash safety at full count: the fault-injection test (SIGKILL the penguin
pipeline's runner and its process group at a random moment, rerun, compare the pushed model)
at 20 seeds. CI runs the same test at a few seeds (TFXKIT_FAULT_SEEDS, default 5 there).

Run: `.venv/bin/python bench/fault_injection.py [--seeds 20]`. Prints the test's figures (seeds,
runs killed mid-run, abandoned executions seen, nodes rerun) and the wall time; exits with the
test's status. About 6 minutes at 20 seeds on 2 quiet cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20, help="kill/rerun rounds (default 20)")
    args = parser.parse_args()
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
         "tests/runners/test_fault_injection.py"],
        cwd=ROOT, env={**os.environ, "TFXKIT_FAULT_SEEDS": str(args.seeds)},
        capture_output=True, text=True)
    figures = [line for line in done.stdout.splitlines() if line.startswith("fault injection:")]
    print(*(figures or [done.stdout[-3000:], done.stderr[-3000:]]), sep="\n")
    print(f"seeds: {args.seeds}  wall: {time.perf_counter() - began:.1f} s  "
          f"result: {'passed' if done.returncode == 0 else f'failed (exit {done.returncode})'}")
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
