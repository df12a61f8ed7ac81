"""Progress of local runs (issue 14, item 2): a live view on a terminal, plain lines elsewhere,
each with elapsed time, the node's latest log line and its log path; one vocabulary and one
clock across `tfxkit run`, `tfxkit runs` and `tfxkit report`; the summary names the report
command."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tfxkit.runners.local.reporter import latest_log_line

SLOW_PIPELINE = '''
import time
from pathlib import Path

from tfxkit import Input, Output, Parameter, Pipeline, component
from tfxkit.types.standard_artifacts import Examples, Model


@component
def make_data(examples: Output[Examples]) -> None:
    (Path(examples.uri) / "rows.txt").write_text("1 2 3")


@component
def train(examples: Input[Examples], model: Output[Model], epochs: Parameter[int] = 3) -> None:
    for epoch in range(1, epochs + 1):
        print(f"Epoch {epoch}/{epochs}")
        time.sleep(0.6)
        print(f"5/5 - 0s - loss: {1 / epoch:.4f} - accuracy: {epoch / 10:.4f}")
        time.sleep(0.6)
    (Path(model.uri) / "model.txt").write_text("fitted")


def create_pipeline(epochs: int = 3, pipeline_root: str = "out") -> Pipeline:
    data = make_data()
    return Pipeline(pipeline_name="progress", pipeline_root=pipeline_root,
                    components=[data, train(examples=data.outputs["examples"], epochs=epochs)])
'''


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "slow.py").write_text(SLOW_PIPELINE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _tfxkit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tfxkit", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def _outcomes(console: str) -> dict[str, tuple[str, str]]:
    """node -> (outcome, seconds) from the console lines of `tfxkit run`."""
    return {node: (outcome, seconds) for node, outcome, seconds in re.findall(
        r"^  (\w+)\s+(ran|cached)\s+(\d+\.\d\d) s$", console, re.M)}


def test_latest_log_line_reads_progress_bars_and_skips_colour_codes(tmp_path: Path) -> None:
    log = tmp_path / "node.log"
    assert latest_log_line(str(log)) == "" and latest_log_line(None) == ""
    log.write_bytes(b"Epoch 1/2\n1/5 [====>....] - ETA: 1s - loss: 0.9\r"
                    b"5/5 [==========] - 1s 3ms/step - loss: 0.71 - \x1b[32maccuracy\x1b[0m: 0.6\n\n")
    assert latest_log_line(str(log)) == ("5/5 [==========] - 1s 3ms/step - loss: 0.71 - "
                                         "accuracy: 0.6")
    log.write_bytes(b"x" * 20000 + b"\nEpoch 2/2\x08\x08  \n")
    assert latest_log_line(str(log)) == "Epoch 2/2"


def test_plain_progress_has_heartbeat_with_elapsed_log_and_latest_line(project: Path) -> None:
    # A process of its own: the worker's print() must reach file descriptor 1 (the node's log),
    # as in `tfxkit run`, not pytest's capture.
    script = ("import sys; from slow import create_pipeline\n"
              "from tfxkit.runners import LocalDagRunner\n"
              "from tfxkit.runners.local import ConsoleReporter\n"
              "reporter = ConsoleReporter(sys.stderr, heartbeat=0.5, "
              "report_command='tfxkit report latest x')\n"
              "assert reporter.live is False  # not a terminal: plain lines\n"
              "LocalDagRunner(workers=1, hooks=reporter).run(create_pipeline(epochs=3))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=project, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    text = done.stderr
    beats = re.findall(r"^  train\s+running\s+(\d+) s  \[(\S+)\]  ?(.*)$", text, re.M)
    assert len(beats) >= 3, text
    log = beats[0][1]
    assert re.fullmatch(r"out/train/\.logs/\d+\.log", log) and (project / log).is_file()
    assert [int(b[0]) for b in beats] == sorted(int(b[0]) for b in beats)
    assert any("loss: " in latest for _, _, latest in beats), text  # the epoch's metrics
    assert re.search(r"^  train\s+ran\s+\d+\.\d\d s$", text, re.M)
    last = text.strip().splitlines()[-1]
    assert re.fullmatch(r"tfxkit: 2 ran in \d+\.\d\d s; see it: tfxkit report latest x", last)


def test_run_runs_and_report_share_words_and_times(project: Path) -> None:
    first = _tfxkit(project, "run", "slow.py", "-p", "epochs=1")
    assert first.returncode == 0, first.stderr
    second = _tfxkit(project, "run", "slow.py", "-p", "epochs=1")
    assert second.returncode == 0, second.stderr
    assert second.stderr.strip().splitlines()[-1].endswith(
        "; see it: tfxkit report latest slow.py")
    console = [_outcomes(second.stderr), _outcomes(first.stderr)]  # newest first, as `runs`
    listing = _tfxkit(project, "runs", "slow.py")
    assert listing.returncode == 0, listing.stderr
    blocks = listing.stdout.split("run ")[1:]
    listed = [{n: (o, s) for n, o, s in re.findall(r"^  (\w+)\s+(\w+)\s+(\d+\.\d\d) s", block,
                                                   re.M)} for block in blocks]
    assert {o for o, _ in listed[0].values()} == {"cached"}
    assert {o for o, _ in listed[1].values()} == {"ran"}

    def close(a: tuple[str, str], b: tuple[str, str]) -> bool:
        """Same word; same clock (the console reads it a few ms before the store stamps it)."""
        return a[0] == b[0] and abs(float(a[1]) - float(b[1])) <= 0.015

    for run in (0, 1):
        assert set(listed[run]) == set(console[run]) == {"make_data", "train"}
        assert all(close(listed[run][n], console[run][n]) for n in listed[run]), (
            listed, console)
    report = _tfxkit(project, "report", "latest", "slow.py", "-o", "run.html")
    assert report.returncode == 0, report.stderr
    page = (project / "run.html").read_text()
    for node, (outcome, seconds) in listed[0].items():
        assert f"<td>{node}</td>" in page and f"<td>{outcome}</td><td>{seconds}</td>" in page


def test_live_view_on_a_terminal(project: Path) -> None:
    """On a pseudo-terminal, `tfxkit run` draws the running node with its elapsed time, latest
    log line and log path, then leaves only the plain outcome lines and the summary."""
    main, child = pty.openpty()
    env = {**os.environ, "COLUMNS": "160", "LINES": "40", "TERM": "xterm"}
    process = subprocess.Popen([sys.executable, "-m", "tfxkit", "run", "slow.py"], cwd=project,
                               stdin=child, stdout=child, stderr=child, env=env, close_fds=True)
    os.close(child)
    chunks = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 1.0)
        if ready:
            try:
                data = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    os.close(main)
    assert process.wait(timeout=60) == 0
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode("utf-8", "replace"))
    frames = [line.strip() for line in re.split(r"[\r\n]+", screen) if line.strip()]
    live = [f for f in frames if re.match(r"train\s+\d+\.\d s ", f)]
    assert len(live) >= 3, frames
    assert any("loss: " in f for f in live) and any("Epoch " in f for f in live)
    assert any(re.fullmatch(r"log: out/train/\.logs/\d+\.log", f) for f in frames), frames
    assert "started" not in screen  # the live view replaces the plain started lines
    assert re.search(r"^train\s+ran\s+\d+\.\d\d s$", "\n".join(frames), re.M)
    assert re.fullmatch(r"tfxkit: 2 ran in \d+\.\d\d s; see it: tfxkit report latest slow\.py",
                        frames[-1]), frames[-1]


KERAS_PIPELINE = '''
import time
from pathlib import Path

from tfxkit import Output, Pipeline, component
from tfxkit.types.standard_artifacts import Model


@component
def fit(model: Output[Model]) -> None:
    import numpy as np
    import tensorflow as tf

    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("float32")
    net = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1, "sigmoid")])
    net.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    # Keras prints an epoch's closing line (step time, loss, metrics) after the callbacks' own
    # on_epoch_end, so the pause goes where that line is the last one in the log: before the
    # next epoch starts and after the last one.
    slow = tf.keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: time.sleep(1.0) if epoch else None,
        on_train_end=lambda logs: time.sleep(1.0))
    net.fit(x, y, epochs=4, batch_size=16, callbacks=[slow])  # verbose="auto", as users do
    (Path(model.uri) / "done.txt").write_text("ok")


def create_pipeline() -> Pipeline:
    return Pipeline(pipeline_name="keras-progress", pipeline_root="out", components=[fit()])
'''


@pytest.mark.integration
def test_keras_epoch_metrics_reach_the_progress_lines(tmp_path: Path) -> None:
    (tmp_path / "keras_pipeline.py").write_text(KERAS_PIPELINE)
    script = ("import sys; from keras_pipeline import create_pipeline\n"
              "from tfxkit.runners import LocalDagRunner\n"
              "from tfxkit.runners.local import ConsoleReporter\n"
              "LocalDagRunner(workers=1, hooks=ConsoleReporter(sys.stderr, heartbeat=0.5))"
              ".run(create_pipeline())\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    beats = re.findall(r"^  fit\s+running\s+\d+ s  \[out/fit/\.logs/\d+\.log\]  (.*)$",
                       done.stderr, re.M)
    # Keras' own epoch line: its progress bar with the step time, loss and metrics.
    metrics = [line for line in beats if re.search(r"\bloss: \d+\.\d+", line)
               and re.search(r"\baccuracy: \d+\.\d+", line)]
    assert len(metrics) >= 2 and "/step" in metrics[-1], done.stderr
    assert done.stderr.strip().splitlines()[-1].endswith(
        "; see it: tfxkit report latest --metadata out/metadata.sqlite")


NOISE_TAIL = (
    "/x/.venv/lib/python3.11/site-packages/google/api_core/_python_version_support.py:273: "
    "FutureWarning: You are using a Python version (3.11.7) which Google will stop supporting\n"
    "  warnings.warn(message, FutureWarning)\n"
    "WARNING:apache_beam.io.tfrecordio:Couldn't find python-snappy so the implementation of "
    "_TFRecordUtil._masked_crc32c is not as fast as it could be.\n"
    "2026-11-30 03:10:00.123456: I tensorflow/core/framework/local_rendezvous.cc:404] Local "
    "rendezvous is aborting with status: OUT_OF_RANGE: End of sequence\n"
    "W0000 00:00:1764471000.123456   12345 gpu_device.cc:2341] Cannot dlopen some GPU "
    "libraries.\n"
    "I0000 00:00:1764471000.654321   12345 service.cc:145] XLA service initialized\n"
    "WARNING:absl:You are saving your model as an HDF5 file via `model.save()`.\n"
    "WARNING:tensorflow:From /x/reader.py:8: tf_record_iterator (from tensorflow.python.lib."
    "io.tf_record) is deprecated and will be removed in a future version.\n"
    "Instructions for updating:\n"
    "W tensorflow/core/framework/op_kernel.cc:1839] OP_REQUIRES failed\n"
    "Local rendezvous is aborting with status: OUT_OF_RANGE: End of sequence\n"
)


@pytest.mark.parametrize("noise", NOISE_TAIL.splitlines())
def test_latest_log_line_skips_each_kind_of_library_noise(tmp_path: Path, noise: str) -> None:
    """QA walkthrough: `running` lines showed `warnings.warn(message, FutureWarning)`,
    `Couldn't find python-snappy…`, `Local rendezvous is aborting…` as a node's latest line."""
    log = tmp_path / "node.log"
    log.write_text(f"Epoch 3/10\n{noise}\n")
    assert latest_log_line(str(log)) == "Epoch 3/10"


def test_latest_log_line_keeps_the_nodes_own_lines(tmp_path: Path) -> None:
    log = tmp_path / "node.log"
    log.write_text("reading 3 files\n" + NOISE_TAIL)
    assert latest_log_line(str(log)) == "reading 3 files"
    for own in ("WARNING:root:column age has 12 missing values", "Epoch 2/2 - loss: 0.4",
                "my_module.py line 3: a Warning about nothing", "INFO: wrote 340 examples"):
        log.write_text(f"{NOISE_TAIL}{own}\n")
        assert latest_log_line(str(log)) == own
    log.write_text(NOISE_TAIL)
    assert latest_log_line(str(log)) == ""  # only chatter: the view shows the log's path


def test_long_latest_line_is_shortened_at_a_word_boundary() -> None:
    from tfxkit.runners.local.reporter import LATEST_WIDTH, shorten

    words = "training the wide and deep model on " + "many more rows " * 20
    short = shorten(words, LATEST_WIDTH)
    assert len(short) <= LATEST_WIDTH and short.endswith("\u2026")
    assert words.startswith(short[:-1]) and words[len(short) - 1] == " "  # a whole word kept
    assert shorten("Epoch 1/2", LATEST_WIDTH) == "Epoch 1/2"
    assert shorten("x" * 300, 40) == "x" * 39 + "\u2026"  # one long word: cut inside it
    assert shorten("loss: 0.71, accuracy: 0.6, val_loss: 0.8", 30) == "loss: 0.71, accuracy: 0.6\u2026"
