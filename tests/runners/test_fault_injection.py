"""Fault injection: SIGKILL a run of the full penguin pipeline (runner and its process group) at
a random moment, rerun, and check the rerun pushes the same model as an undisturbed run, that no
partial artifact was ever reused and that the killed run's executions show as ABANDONED.

Bounded: a fast variant (10 train steps, seeded deterministic training), kill times drawn within
one undisturbed run's duration, reruns in one warm process; TFXKIT_FAULT_SEEDS seeds (default
3 in the suite, about 2 minutes on 2 cores); `bench/fault_injection.py` runs the full 20.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.resources.store_checks import check_consistent
from tfxkit.cli.main import main
from tfxkit.metadata import connect

REPO = Path(__file__).resolve().parents[2]
PIPELINE = REPO / "examples" / "penguin" / "pipeline.py"
MODULE = REPO / "examples" / "penguin" / "penguin_module.py"  # seeded, deterministic
SEEDS = int(os.environ.get("TFXKIT_FAULT_SEEDS", "3"))


def arguments(root: Path) -> dict[str, object]:
    """`create_pipeline` arguments of the fast, deterministic variant under `root`."""
    return {"pipeline_root": str(root / "out"), "serving_model_dir": str(root / "serving"),
            "module_file": str(MODULE), "train_steps": 10, "eval_steps": 1,
            "accuracy_lower_bound": 0.0}


def cli_run(root: Path) -> subprocess.Popen[bytes]:
    """`tfxkit run` of the fast variant, in a session (process group) of its own."""
    params = [a for key, value in arguments(root).items() for a in ("-p", f"{key}={value}")]
    return subprocess.Popen([sys.executable, "-m", "tfxkit", "run", str(PIPELINE), *params],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def pushed_model_digest(serving: Path) -> str:
    """Digest of the newest pushed version: its file list and the trained weights (the graph
    file embeds paths, so its bytes differ between identical models)."""
    versions = sorted((p for p in serving.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
    assert versions, f"nothing pushed to {serving}"
    latest = versions[-1]
    digest = hashlib.sha256()
    for path in sorted(latest.rglob("*")):
        digest.update(str(path.relative_to(latest)).encode())
        if path.is_file() and path.parent.name == "variables":
            digest.update(path.read_bytes())
    return digest.hexdigest()


class Rerunner:
    """The warm rerun process of tests/resources/rerun_driver.py."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.resources.rerun_driver"], cwd=REPO,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def run(self, root: Path) -> dict:
        """Rerun the pipeline under `root`; return the driver's answer."""
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(arguments(root)) + "\n")
        self.process.stdin.flush()
        while True:
            line = self.process.stdout.readline()
            assert line, "the rerun process died"
            if line.startswith("RESULT "):
                return json.loads(line[len("RESULT "):])

    def close(self) -> None:
        """Stop the driver."""
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait(timeout=60)


@pytest.mark.e2e
def test_sigkill_at_random_moments_then_rerun_pushes_the_same_model(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reference = tmp_path / "reference"
    began = time.monotonic()
    undisturbed = cli_run(reference)
    _, err = undisturbed.communicate(timeout=600)
    assert undisturbed.returncode == 0, err.decode()[-3000:]
    duration = time.monotonic() - began
    expected = pushed_model_digest(reference / "serving")
    shutil.rmtree(reference / "out")

    rerunner = Rerunner()
    figures = {"seeds": 0, "killed_mid_run": 0, "abandoned_executions": 0, "reran_nodes": 0}
    try:
        for seed in range(SEEDS):
            root = tmp_path / f"seed{seed}"
            kill_after = random.Random(seed).uniform(0.5, duration)
            victim = cli_run(root)
            try:
                victim.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                os.killpg(victim.pid, signal.SIGKILL)
                victim.wait()
                figures["killed_mid_run"] += 1
            victim.stderr.close()  # type: ignore[union-attr]

            answer = rerunner.run(root)
            assert answer["ok"], f"seed {seed} (killed after {kill_after:.1f} s): {answer}"
            figures["reran_nodes"] += sum(o == "ran" for o in answer["outcomes"].values())
            assert pushed_model_digest(root / "serving") == expected, (
                f"seed {seed}: the rerun pushed a different model")
            metadata = str(root / "out" / "metadata.sqlite")
            facts = check_consistent(connect(metadata))  # no partial artifact ever reused
            figures["abandoned_executions"] += facts.abandoned
            if facts.abandoned:
                assert main(["runs", "--metadata", metadata]) == 0
                # `tfxkit runs` speaks the console's words: a killed run's leftovers are "abandoned".
                assert re.search(r"\babandoned\b", capsys.readouterr().out)
            figures["seeds"] += 1
            shutil.rmtree(root)
    finally:
        rerunner.close()
    with capsys.disabled():
        print(f"\nfault injection: {figures}")
    assert figures["seeds"] == SEEDS and figures["killed_mid_run"] >= SEEDS // 2
    assert figures["abandoned_executions"] >= 1
