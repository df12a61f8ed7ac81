"""Session fixtures of the template tests.

`ran_project`: a generated tabular-classification project whose pipeline ran once, as a user
runs it (`tfxkit run`, 5 training steps; about a minute on 2 cores). Built once per session and
only when a test asks; tests that use it may add files to the project (golden inputs, edits of a
step they then re-run), so each states what it relies on.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tfxkit.project import new_project

FAST = ["-p", "train_steps=5", "-p", "eval_steps=2"]


def tfxkit_in(project: Path, *argv: str, timeout: float = 1200) -> subprocess.CompletedProcess[str]:
    """`tfxkit ARGV` in `project`, in its own process as a user runs it; must succeed."""
    done = subprocess.run([sys.executable, "-m", "tfxkit", *argv], cwd=project,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="session")
def ran_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated tabular-classification project whose whole pipeline ran once (5 train steps)."""
    project = new_project("tabular-classification", tmp_path_factory.mktemp("ran_project"))
    tfxkit_in(project, "run", *FAST)
    assert (project / "pipeline_output" / "metadata.sqlite").is_file()
    return project
