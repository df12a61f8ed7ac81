"""SIGTERM and SIGINT during `tfxkit run` (issue 12, item 5; case
../shared/cases/trust/sigterm): a real `tfxkit` process gets a real signal while `train` runs.
Workers stop, `train` is recorded CANCELED with its real duration and publishes nothing, its
staging folder goes, one line says what happened and how to resume, the exit code is 128 +
the signal; `make_data` stays COMPLETE and the next run takes it from the cache."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.metadata.cli_pipeline import run_tfxkit, tfxkit_command, tfxkit_env, write_tiny
from tfxkit.metadata import connect
from tfxkit.metadata.lineage import list_runs

pytestmark = pytest.mark.integration


def run_and_signal(folder: Path, number: int, *extra: str, whole_group: bool = False,
                   sleep: float = 4.0) -> tuple[int, str, float]:
    """Start `tfxkit run tiny.py` (each node sleeping `sleep` s), send signal `number` once
    `train` has started (to the process, or to its whole process group as systemd does), and
    return (exit code, stderr, seconds from the signal to the exit)."""
    tiny = write_tiny(folder)
    process = subprocess.Popen(
        tfxkit_command("run", str(tiny), "-p", "pipeline_root=out", "-p", f"sleep={sleep}",
                       *extra),
        cwd=folder, env=tfxkit_env(), stderr=subprocess.PIPE, text=True,
        start_new_session=whole_group,
        # As from a terminal: SIGINT and SIGTERM at their defaults. A child inherits ignored
        # signals, and the pytest process may carry one from a library an earlier test ran
        # (the runner rightly keeps an ignored SIGINT ignored: a background job's).
        preexec_fn=_default_signals)
    assert process.stderr is not None
    lines = []
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            lines.append(line)
            if re.match(r"\s+train\s+started", line) or not line:
                break
        assert any("train" in line and "started" in line for line in lines), "".join(lines)
        time.sleep(1.0)  # train is inside its sleep
        sent = time.monotonic()
        if whole_group:
            os.killpg(process.pid, number)
        else:
            process.send_signal(number)
        rest = process.stderr.read()
        code = process.wait(timeout=60)
        return code, "".join(lines) + rest, time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _default_signals() -> None:
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_DFL)


def node_states(folder: Path) -> dict[str, tuple[str, float, str]]:
    store = connect(str(folder / "out" / "metadata.sqlite"), read_only=True)
    [run] = list_runs(store, "tiny", 1)
    return {n.node_id: (n.state, n.seconds, n.error) for n in run.nodes}


def assert_stopped_cleanly(folder: Path, code: int, stderr: str, number: int,
                           seconds: float) -> None:
    name = signal.Signals(number).name
    verb = "terminated" if number == signal.SIGTERM else "interrupted"
    assert code == 128 + number, stderr
    assert seconds < 15, f"took {seconds:.1f} s to stop"
    after = stderr[stderr.index("train") :].splitlines()
    tail = [line for line in after if line.startswith("tfxkit:")]
    assert len(tail) == 1, stderr  # one line after `train started`
    assert re.fullmatch(
        rf"tfxkit: {verb} \({name}\); train was stopped and recorded CANCELED; resume with: "
        rf"tfxkit run \S*tiny\.py -p pipeline_root=out -p sleep=\S+.* --from train", tail[0]), \
        tail[0]
    assert "Traceback" not in stderr
    states = node_states(folder)
    assert states["make_data"][0] == "COMPLETE"
    state, duration, error = states["train"]
    assert state == "CANCELED", states
    assert duration >= 0.9, f"duration {duration} is not the real one"
    assert f"stopped by {name}" in error
    assert not list((folder / "out" / "train" / ".staging").iterdir()), "staging left"
    assert not (folder / "out" / "train" / "model").exists(), "train published something"
    store = connect(str(folder / "out" / "metadata.sqlite"), read_only=True)
    assert len(store.get_artifacts()) == 1, "only make_data's Examples may be recorded"


def no_workers_left(folder: Path) -> None:
    """No process is still running in `folder` (workers were stopped with the run)."""
    time.sleep(0.5)
    left = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{pid}/cwd") == str(folder):
                left.append(pid)
        except OSError:
            continue
    assert not left, f"processes left running in {folder}: {left}"


def test_sigterm_stops_the_run_cleanly_and_the_next_run_resumes(tmp_path: Path) -> None:
    code, stderr, seconds = run_and_signal(tmp_path, signal.SIGTERM)
    assert_stopped_cleanly(tmp_path, code, stderr, signal.SIGTERM, seconds)
    no_workers_left(tmp_path)
    again = run_tfxkit("run", str(tmp_path / "tiny.py"), "-p", "pipeline_root=out", "-p",
                       "sleep=4", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert re.search(r"make_data\s+cached", again.stderr), again.stderr
    assert re.search(r"train\s+ran", again.stderr), again.stderr


def test_sigint_is_handled_like_sigterm(tmp_path: Path) -> None:
    code, stderr, seconds = run_and_signal(tmp_path, signal.SIGINT)
    assert_stopped_cleanly(tmp_path, code, stderr, signal.SIGINT, seconds)
    no_workers_left(tmp_path)


def test_sigterm_to_the_whole_process_group_cancels_not_crashes(tmp_path: Path) -> None:
    """systemd and `kill -- -PGID` signal the workers too: the node is still CANCELED by the
    runner, not FAILED as a worker killed by SIGTERM."""
    code, stderr, seconds = run_and_signal(tmp_path, signal.SIGTERM, whole_group=True)
    assert_stopped_cleanly(tmp_path, code, stderr, signal.SIGTERM, seconds)
    assert "killed by SIGTERM" not in stderr
    no_workers_left(tmp_path)


def test_sigterm_with_nodes_running_in_the_runner_process(tmp_path: Path) -> None:
    code, stderr, seconds = run_and_signal(tmp_path, signal.SIGTERM, "--workers", "0")
    assert_stopped_cleanly(tmp_path, code, stderr, signal.SIGTERM, seconds)


def test_sigterm_while_waiting_for_a_locked_store(tmp_path: Path) -> None:
    """Another process holds the store's lock: the run waits for it, and a signal then stops
    the wait at once (not after ml-metadata's native busy loop) with nothing recorded."""
    import sqlite3

    tiny = write_tiny(tmp_path)
    assert run_tfxkit("run", str(tiny), "-p", "pipeline_root=out", cwd=tmp_path).returncode == 0
    holder = sqlite3.connect(tmp_path / "out" / "metadata.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        process = subprocess.Popen(
            tfxkit_command("run", str(tiny), "-p", "pipeline_root=out", "--no-cache"),
            cwd=tmp_path, env=tfxkit_env(), stderr=subprocess.PIPE, text=True)
        time.sleep(6)  # started and waiting for the lock
        assert process.poll() is None, process.communicate()[1]
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        waited = time.monotonic() - sent
    finally:
        holder.rollback()
        holder.close()
    assert process.returncode == 143, stderr
    assert waited < 5, f"took {waited:.1f} s to stop"
    assert re.fullmatch(rf"tfxkit: terminated \(SIGTERM\); resume with: tfxkit run "
                        rf"{re.escape(str(tiny))} -p pipeline_root=out.* --from make_data",
                        stderr.strip().splitlines()[-1]), stderr
    states = node_states(tmp_path)  # the last run is still the first one: nothing recorded
    assert {s for s, _, _ in states.values()} == {"COMPLETE"}
