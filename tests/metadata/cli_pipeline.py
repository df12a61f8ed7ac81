"""A tiny no-TensorFlow pipeline file and a way to run the real `tfxkit` command on it, for the
store, secret and signal tests (issue 12): `make_data` -> `train`, a few ms each unless told to
sleep, fail, print secrets or fill the disk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.hostile.harness import REPO

TINY = '''"""Tiny no-TF pipeline for CLI fault tests."""
from __future__ import annotations

import os
import time
from pathlib import Path

from tfxkit import Input, Output, Parameter, Pipeline, component
from tfxkit.types.standard_artifacts import Examples, Model


@component
def make_data(examples: Output[Examples], rows: Parameter[int] = 10, sleep: Parameter[float] = 0.0,
              fill_device: Parameter[int] = 0, write_bytes: Parameter[int] = 0,
              note: Parameter[str] = "") -> None:
    time.sleep(sleep)
    (Path(examples.uri) / "rows.txt").write_text("\\n".join(map(str, range(rows))))
    if write_bytes:  # more than the device holds: the executor itself meets ENOSPC
        (Path(examples.uri) / "big.bin").write_bytes(b"x" * write_bytes)
    if fill_device:  # leave the device full after a successful executor: publishing meets it
        with open(Path(examples.uri) / "filler.bin", "wb", buffering=0) as out:
            try:
                while True:
                    out.write(b"\\0" * 4096)
            except OSError:
                pass
        try:
            with open(Path(examples.uri) / "filler2.bin", "wb", buffering=0) as out:
                while True:
                    out.write(b"\\0")
        except OSError:
            pass


@component
def train(examples: Input[Examples], model: Output[Model], fail_msg: Parameter[str] = "",
          sleep: Parameter[float] = 0.0, talk: Parameter[int] = 0,
          secret_env: Parameter[str] = "") -> None:
    if talk:  # user code printing secrets: they reach the node log
        print("connecting to MYSQL://ml:" + os.environ.get("TFXKIT_METADATA_PASSWORD", "")
              + "@db.example/meta with token " + os.environ.get("TFXKIT_KFP_TOKEN", ""),
              flush=True)
        if secret_env:
            print("the with_secret value is " + os.environ.get(secret_env, ""), flush=True)
    time.sleep(sleep)
    if fail_msg:
        raise ValueError(fail_msg)
    rows = (Path(examples.uri) / "rows.txt").read_text().split()
    (Path(model.uri) / "mean.txt").write_text(str(sum(map(int, rows)) / len(rows)))


def create_pipeline(pipeline_root: str = "tiny_output", rows: int = 10,
                    metadata: str | None = None, fail_msg: str = "", sleep: float = 0.0,
                    name: str = "tiny", talk: int = 0, fill_device: int = 0,
                    write_bytes: int = 0, note: str = "", secret_env: str = "") -> Pipeline:
    data = make_data(rows=rows, sleep=sleep, fill_device=fill_device, write_bytes=write_bytes,
                     note=note)
    trainer = train(examples=data.outputs["examples"], fail_msg=fail_msg, sleep=sleep,
                    talk=talk, secret_env=secret_env)
    if secret_env:  # a secret under a name no rule recognises: with_secret declares it
        trainer.with_secret("team-db", {"password": secret_env})
    return Pipeline(pipeline_name=name, pipeline_root=pipeline_root, metadata=metadata,
                    components=[data, trainer])
'''


def write_tiny(folder: Path) -> Path:
    """Write the tiny pipeline file into `folder` (as `tiny.py`) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny.py"
    path.write_text(TINY)
    return path


def tfxkit_env(**extra: str) -> dict[str, str]:
    """The environment for a `tfxkit` subprocess: this one, plus `extra`."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.update(extra)
    return env


def tfxkit_command(*args: str) -> list[str]:
    """argv of the `tfxkit` command with `args`."""
    return [sys.executable, "-m", "tfxkit", *args]


def run_tfxkit(*args: str, cwd: Path, env: dict[str, str] | None = None,
               timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the real `tfxkit` command with `args` in `cwd`; return what it did."""
    return subprocess.run(tfxkit_command(*args), cwd=cwd, env=env or tfxkit_env(),
                          capture_output=True, text=True, timeout=timeout)
