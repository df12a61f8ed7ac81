"""Generated projects after issues 13, 15 and 16: `make compile` / `make deploy` push to object
storage (the Kubeflow compiler refuses a local push destination), an optional BulkInferrer step,
`make serve` / `make predict`, the Evaluator's `baseline` setting, and a README that documents
them. Each test generates a real project and drives it as a user would (make, subprocesses)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tfxkit.project import new_project

from .test_generation import SECOND_ANSWERS, run_project_tests

TEMPLATES = ["tabular-classification", "tabular-regression"]
BIN = str(Path(sys.executable).parent)
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


def make(project: Path, *argv: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`make ARGV` in the project, with this interpreter's tfxkit first on PATH."""
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run(["make", "--no-print-directory", f"PYTHON={sys.executable}", *argv],
                          cwd=project, capture_output=True, text=True, timeout=timeout, env=env)


def compiled(project: Path) -> dict[str, Any]:
    """The first YAML document of the project's pipeline.yaml."""
    return next(yaml.safe_load_all((project / "pipeline.yaml").read_text()))


def parameter_defaults(document: dict[str, Any]) -> dict[str, Any]:
    return {name: value.get("defaultValue")
            for name, value in document["root"]["inputDefinitions"]["parameters"].items()}


def images(document: dict[str, Any]) -> set[str]:
    return {executor["container"]["image"]
            for executor in document["deploymentSpec"]["executors"].values()}


@pytest.fixture(scope="module", params=TEMPLATES)
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generated project per template, shared by the tests of this module."""
    return new_project(request.param, tmp_path_factory.mktemp(request.param))


@pytest.mark.integration
def test_make_compile_pushes_to_the_bucket(project: Path) -> None:
    """Issue 13: `make compile` succeeds (before: "push_destination is the local path ...")
    with the pipeline root and the push folder in the project's bucket, as parameters."""
    answers = json.loads((project / ".tfxkit" / "answers.json").read_text())
    done = make(project, "compile")
    assert done.returncode == 0, done.stdout + done.stderr
    document = compiled(project)
    bucket = f"gs://{answers['package_name']}-ml/{answers['pipeline_name']}"
    assert document["defaultPipelineRoot"] == bucket
    defaults = parameter_defaults(document)
    assert defaults["serving_model_dir"] == f"{bucket}/serving_model"
    assert defaults["baseline"] == "latest"
    assert "bulk_inference" not in json.dumps(document["root"]["dag"]["tasks"])
    assert len(document["root"]["dag"]["tasks"]) == 8
    assert images(document) == {answers["kubeflow_image"]}
    assert str(project) not in (project / "pipeline.yaml").read_text()


@pytest.mark.integration
def test_make_compile_bucket_override(project: Path) -> None:
    done = make(project, "compile", "BUCKET=s3://acme-ml",
                "KFP_SERVING_MODEL_DIR=s3://acme-ml/models/fare")
    assert done.returncode == 0, done.stdout + done.stderr
    document = compiled(project)
    assert document["defaultPipelineRoot"].startswith("s3://acme-ml/")
    assert parameter_defaults(document)["serving_model_dir"] == "s3://acme-ml/models/fare"


@pytest.mark.integration
def test_plain_compile_without_a_bucket_says_how_to_fix(project: Path) -> None:
    """The refusal the Makefile avoids: a local serving_model_dir, named with the fix."""
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run([str(Path(BIN) / "tfxkit"), "compile", "-o", "local.yaml"],
                          cwd=project, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode != 0
    assert "is the local path" in done.stderr
    assert "-p serving_model_dir=gs://" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (project / "local.yaml").exists()


@pytest.mark.integration
def test_bulk_inference_and_baseline_compile_as_parameters(project: Path) -> None:
    """Issue 15/16: the BulkInferrer step appears with bulk_inference=true; an alias baseline
    becomes the `baseline` parameter's default."""
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run([str(Path(BIN) / "tfxkit"), "compile", "-p", "bulk_inference=true",
                           "-p", "baseline=production", "-p", "serving_model_dir=gs://b/serving",
                           "-o", "bulk.yaml"],
                          cwd=project, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr
    document = next(yaml.safe_load_all((project / "bulk.yaml").read_text()))
    tasks = document["root"]["dag"]["tasks"]
    assert len(tasks) == 9
    assert set(tasks["bulkinferrer"]["dependentTasks"]) >= {"evaluator", "trainer"}
    assert parameter_defaults(document)["baseline"] == "production"


def test_make_deploy_and_predict_commands(project: Path) -> None:
    """`make -n`: deploy carries the same object-store arguments as compile; predict and serve
    use the project's serving_model_dir (read from pipeline/config.py)."""
    done = make(project, "-n", "deploy", "predict", "serve", "PORT=9123")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.replace("\\\n", " ").splitlines()
    [deploy] = [line for line in lines if line.startswith("tfxkit deploy")]
    assert "-p serving_model_dir=gs://" in deploy and "--pipeline-root gs://" in deploy
    serving = str(project / "serving_model")
    assert f'tfxkit serve "{serving}" --port 9123' in lines
    [predict] = [line for line in lines if line.startswith("tfxkit predict")]
    assert f'"{serving}"' in predict and "--input 'data/*.csv'" in predict


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.integration
def test_make_serve_answers_tf_serving_rest(project: Path) -> None:
    """`make serve` starts tfxkit serve on the push folder: before any push, TF Serving's
    model status URL answers with its error shape naming the folder."""
    (project / "serving_model").mkdir(exist_ok=True)
    port = free_port()
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", "")}
    server = subprocess.Popen(["make", "--no-print-directory", f"PYTHON={sys.executable}",
                               "serve", f"PORT={port}"], cwd=project, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    try:
        body = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and body is None:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models/serving_model",
                                       timeout=5)
            except urllib.error.HTTPError as error:
                body = json.loads(error.read())
            except OSError:
                assert server.poll() is None, server.communicate()[0]
                time.sleep(0.5)
        assert body is not None, "server did not answer"
        assert "available versions: none" in body["error"]
        assert str(project / "serving_model") in body["error"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.communicate(timeout=60)


def test_readme_documents_settings_serving_and_aliases(project: Path) -> None:
    readme = (project / "README.md").read_text()
    for field in ("drop_rows_without_label", "date_features", "date_parts", "excluded_features",
                  "baseline", "bulk_inference", "bulk_inference_splits"):
        assert f"`{field}`" in readme, field
    for command in ("tfxkit models promote", "make serve", "make predict", "BulkInferrer",
                    "-p serving_model_dir=", "make compile BUCKET="):
        assert command in readme, command
    assert "{{" not in readme and "$(BUCKET)" in readme


def test_config_defaults_keep_the_eight_steps(project: Path) -> None:
    config = (project / "steps" / "evaluation.py").read_text()  # the evaluation owner's settings
    assert 'baseline: str = "latest"' in config
    assert "bulk_inference: bool = False" in config


@pytest.mark.integration
def test_project_own_wiring_and_compile_tests_pass(project: Path) -> None:
    done = run_project_tests(project, "tests/test_pipeline.py", "tests/test_kubeflow_compile.py")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "7 passed" in done.stdout


@pytest.mark.integration
def test_second_answer_set_compiles_with_its_image_and_bucket(tmp_path: Path) -> None:
    project = new_project("tabular-classification", tmp_path, SECOND_ANSWERS)
    done = make(project, "compile")
    assert done.returncode == 0, done.stdout + done.stderr
    document = compiled(project)
    assert images(document) == {"registry.acme.io/ml/churn:1.2"}
    assert document["defaultPipelineRoot"] == "gs://churn-radar-ml/churn-radar"


def count_records(pattern: list[Path]) -> int:
    """Records in gzipped TFRecord files."""
    import tensorflow as tf

    return sum(1 for _ in tf.data.TFRecordDataset([str(p) for p in pattern],
                                                  compression_type="GZIP"))


@pytest.mark.e2e
def test_bulk_inference_run_then_make_predict(tmp_path: Path) -> None:
    """The whole pipeline with bulk_inference=true: the BulkInferrer writes one TFX
    PredictionLog per eval example with the blessed model; `make predict` then scores the
    sample data with the pushed version."""
    from tensorflow_serving.apis import prediction_log_pb2

    project = new_project("tabular-classification", tmp_path)
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run([str(Path(BIN) / "tfxkit"), "run", "-p", "bulk_inference=true"],
                          cwd=project, capture_output=True, text=True, timeout=1800, env=env)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "9 ran" in done.stdout + done.stderr
    eval_count = count_records(sorted(
        (project / "pipeline_output" / "CsvExampleGen").glob("examples/*/Split-eval/*.gz")))
    logs = sorted((project / "pipeline_output" / "BulkInferrer").glob(
        "inference_result/*/prediction_logs-*.gz"))
    assert logs and count_records(logs) == eval_count > 0
    import tensorflow as tf

    [first] = tf.data.TFRecordDataset([str(logs[0])], compression_type="GZIP").take(1)
    log = prediction_log_pb2.PredictionLog.FromString(first.numpy())
    assert log.WhichOneof("log_type") == "predict_log"
    predicted = make(project, "predict", timeout=900)
    assert predicted.returncode == 0, predicted.stdout + predicted.stderr
    [output] = list((project / "predictions").iterdir())
    rows = len((project / "data" / "penguins.csv").read_text().splitlines()) - 1
    assert count_records(sorted(output.glob("prediction_logs-*.gz"))) == rows
