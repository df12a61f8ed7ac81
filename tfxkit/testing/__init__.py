"""A test kit for one pipeline step: run a component's real executor on real upstream
artifacts, alone, from a test or a notebook.

    from tfxkit.testing import run_step, snapshot_inputs

    result = run_step("Trainer", train_steps=5)   # latest upstream artifacts of the project's store
    assert (Path(result.uri("model")) / "Format-Serving" / "saved_model.pb").is_file()

    snapshot_inputs("Trainer", rows=64)           # golden inputs -> tests/fixtures/Trainer/
    run_step("Trainer", inputs="fixtures")        # ... for CI and fresh clones without a store

* `run_step` (tfxkit.testing.steps) reads the store read-only and writes only to a temporary
  output folder: the pipeline's outputs and ML Metadata stay as they were.
* `snapshot_inputs` (tfxkit.testing.fixtures; the command `tfxkit snapshot NODE`) keeps a
  small sample of a step's upstream artifacts in the project's `tests/fixtures/`.
* `tfxkit.testing.pytest_plugin` gives pytest the `step_runner` fixture
  (`pytest_plugins = ["tfxkit.testing.pytest_plugin"]` in a conftest.py).

See docs/testing.md. Importing this package imports no TensorFlow: the executors import it
when they run. It does set TensorFlow's environment the way the pipeline's executors do
(`TF_USE_LEGACY_KERAS=1`, only where unset; components/_shared/tf_env.py), so a step's own code
called in the same process before `run_step` (a test calling `build_model()`, a notebook cell)
gets the Keras the pipeline uses, not Keras 3.
"""

from __future__ import annotations

from tfxkit.components._shared.tf_env import set_tf_environment
from tfxkit.testing.fixtures import (
    DEFAULT_ROWS,
    FIXTURES_DIR,
    has_fixtures,
    read_manifest,
    snapshot_inputs,
)
from tfxkit.testing.inputs import FixturesNotFoundError, StepInputsError
from tfxkit.testing.steps import StepResult, run_step

set_tf_environment()

__all__ = [
    "DEFAULT_ROWS",
    "FIXTURES_DIR",
    "FixturesNotFoundError",
    "StepInputsError",
    "StepResult",
    "has_fixtures",
    "read_manifest",
    "run_step",
    "snapshot_inputs",
]
