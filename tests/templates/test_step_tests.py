"""A generated project's step tests run their step on golden inputs (issue 20): after one
pipeline run, `make fixtures` snapshots the upstream artifacts of each tested step into
tests/fixtures/; a copy of the project without any pipeline output (a fresh clone: no
pipeline_output, no serving_model, no ML Metadata store) then passes its step tests on them,
none skipped. Before the snapshot exists, the step tests say what to run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tfxkit.project import new_project
from tfxkit.testing import read_manifest

BIN = str(Path(sys.executable).parent)
STEP_TESTS = {"ExampleValidator": "tests/test_data.py", "Transform": "tests/test_preprocessing.py",
              "Trainer": "tests/test_model.py", "Evaluator": "tests/test_evaluation.py"}


def project_pytest(project: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The project's own pytest (this interpreter, tfxkit installed), with `env` added."""
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                           *argv], cwd=project, capture_output=True, text=True, timeout=1800,
                          env={**os.environ, **env})


@pytest.mark.e2e
def test_step_tests_pass_in_a_fresh_clone_on_golden_inputs(ran_project: Path,
                                                           tmp_path: Path) -> None:
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", "")}
    made = subprocess.run(["make", "--no-print-directory", f"PYTHON={sys.executable}",
                           "fixtures", "FIXTURE_ROWS=32"], cwd=ran_project,
                          capture_output=True, text=True, timeout=600, env=env)
    assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]
    fixtures = ran_project / "tests" / "fixtures"
    for step in STEP_TESTS:
        manifest = read_manifest(fixtures, step)
        assert manifest["pipeline_name"] == "penguin-species"
        for entries in manifest["inputs"].values():
            for entry in entries:
                assert set((entry.get("sampled_rows") or {"x": 32}).values()) == {32}
    trainer = read_manifest(fixtures, "Trainer")
    assert f"Golden inputs of Trainer (run {trainer['source_run_id']}) in tests/fixtures/" \
        "Trainer:" in made.stdout
    assert set(trainer["inputs"]) == {"examples", "schema", "transform_graph"}

    clone = tmp_path / "clone"
    shutil.copytree(ran_project, clone, ignore=shutil.ignore_patterns(
        "pipeline_output", "serving_model", "__pycache__", ".pytest_cache"))
    done = project_pytest(clone, *STEP_TESTS.values(), "-k", "golden",
                          TFXKIT_REQUIRE_FIXTURES="1")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert re.search(r"\b4 passed\b", done.stdout), done.stdout[-2000:]
    assert "skipped" not in done.stdout
    # The model owner's own command (README: "test it alone"): the whole file, alone, so its
    # plain unit tests build the model before the golden-input test runs the Trainer; they must
    # get the Keras the pipeline uses (tf-keras), not Keras 3.
    alone = project_pytest(clone, "tests/test_model.py", TFXKIT_REQUIRE_FIXTURES="1")
    assert alone.returncode == 0, alone.stdout[-4000:] + alone.stderr[-4000:]
    assert "failed" not in alone.stdout and "skipped" not in alone.stdout
    assert not (clone / "pipeline_output").exists(), "no store, no pipeline output was made"
    assert not (clone / "serving_model").exists(), "nothing pushed"


def test_fresh_project_step_tests_say_what_to_run(tmp_path: Path) -> None:
    project = new_project("tabular-classification", tmp_path)
    assert (project / "tests" / "fixtures" / "README.md").is_file()
    message = ("no golden inputs for ExampleValidator in tests/fixtures/ExampleValidator/: run "
               "the pipeline once (`make run`), then `make fixtures`, and commit tests/fixtures/")
    skipped = project_pytest(project, "tests/test_data.py", "-k", "golden")
    assert skipped.returncode == 0, skipped.stdout[-3000:] + skipped.stderr[-3000:]
    assert "1 skipped" in skipped.stdout and f": {message}\n" in skipped.stdout
    required = project_pytest(project, "tests/test_data.py", "-k", "golden",
                              TFXKIT_REQUIRE_FIXTURES="1")
    assert required.returncode == 1 and "1 failed" in required.stdout
    assert message in required.stdout
    assert not (project / "pipeline_output").exists()
