"""pytest fixtures of the step test kit.

Enable them in a project's `tests/conftest.py`:

    pytest_plugins = ["tfxkit.testing.pytest_plugin"]

then, in a step test:

    def test_model_trains(step_runner):
        result = step_runner("Trainer", inputs="fixtures", train_steps=5)
        assert (Path(result.uri("model")) / "Format-Serving" / "saved_model.pb").is_file()

`step_runner(node_id, **kwargs)` is `tfxkit.testing.run_step` with `output_dir` in the test's
own `tmp_path` (pytest cleans it up), so tests never share or leak outputs. Keyword arguments
are run_step's: `inputs=`, `run=`, `pipeline=`, `fixtures=`, overrides such as
`train_steps=5`. Errors are run_step's (a missing snapshot raises FixturesNotFoundError, whose
message says what to run); whether that skips or fails is the test suite's decision.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tfxkit.testing.steps import StepResult


@pytest.fixture
def step_runner(tmp_path: Path) -> Callable[..., StepResult]:
    """`run(node_id, **kwargs)`: run_step with outputs under this test's tmp_path
    (`<tmp_path>/<node_id>`, then `<node_id>-2`, ... for further runs in the same test)."""
    from tfxkit.testing.steps import run_step

    used: dict[str, int] = {}

    def run(node_id: str, **kwargs: Any) -> StepResult:
        used[node_id] = used.get(node_id, 0) + 1
        suffix = "" if used[node_id] == 1 else f"-{used[node_id]}"
        kwargs.setdefault("output_dir", tmp_path / f"{node_id}{suffix}")
        return run_step(node_id, **kwargs)

    return run


__all__ = ["step_runner"]
