"""The full penguin pipeline compiled for Kubeflow and executed task by task as the KFP launcher
would (no cluster): every task succeeds, the Pusher pushes, and the pushed model serves
predictions from raw serialized tf.Examples, as with the local runner."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.resources.s3_server import s3_endpoint  # noqa: F401
from tests.runners.kubeflow import kfp_harness
from tfxkit.runners import KubeflowDagRunner, KubeflowDagRunnerConfig

REPO = Path(__file__).resolve().parents[3]


def load_example(project: Path) -> object:
    spec = importlib.util.spec_from_file_location("penguin_kfp_example", project / "pipeline.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.e2e
def test_penguin_pipeline_runs_from_its_compiled_spec(tmp_path: Path) -> None:
    project = tmp_path / "project"  # stands in for the image's working directory
    shutil.copytree(REPO / "examples" / "penguin", project,
                    ignore=shutil.ignore_patterns("pipeline_output", "serving_model"))
    example = load_example(project)
    pipeline = example.create_pipeline(  # type: ignore[attr-defined]
        pipeline_root=str(project / "pipeline_output"), data_root=str(project / "data"),
        serving_model_dir=str(project / "serving_model"),
        module_file=str(project / "penguin_module.py"))
    spec_file = tmp_path / "penguin.yaml"
    started = time.perf_counter()
    KubeflowDagRunner(KubeflowDagRunnerConfig(image="penguin:test", project_root=str(project),
                                              local_push_destination=True)) \
        .run(pipeline, output_file=str(spec_file))
    assert time.perf_counter() - started < 60  # compiling executes nothing (a hang guard)
    text = spec_file.read_text()
    assert str(project) not in text and str(tmp_path) not in text

    spec, _ = kfp_harness.load(spec_file)
    assert len(spec.root.dag.tasks) == 8
    results = kfp_harness.run_pipeline(spec_file, tmp_path / "kfp_root", project,
                                       env={"PYTHONPATH": str(REPO)})
    failures = {n: r.stderr[-3000:] for n, r in results.items() if r.returncode != 0}
    assert not failures and len(results) == 8, failures
    blessing = results["evaluator"].output["artifacts"]["blessing"]["artifacts"][0]
    assert blessing["metadata"]["blessed"] == 1
    pushed = results["pusher"].output["artifacts"]["pushed_model"]["artifacts"][0]
    assert pushed["metadata"]["pushed"] == 1 and pushed["metadata"]["pushed_version"] == 1
    examples = results["csvexamplegen"].output["artifacts"]["examples"]["artifacts"][0]
    assert examples["metadata"]["split_names"] == '["train", "eval"]'

    import tensorflow as tf

    from tests.examples.test_penguin_pipeline import serialized_examples

    model = tf.saved_model.load(str(project / "serving_model" / "1"))
    rows, _labels = serialized_examples(5)
    outputs = model.signatures["serving_default"](examples=tf.constant(rows))["outputs"]
    assert outputs.shape == (5, 3)


@pytest.mark.e2e
def test_penguin_spec_with_data_and_push_on_s3_pushes_and_judges_against_the_store(
        s3_endpoint: str, tmp_path: Path) -> None:  # noqa: F811
    """The compiled spec run by the harness with input_base and the push destination on s3://
    (the real S3 server; no launcher mount, so the store is read directly): version 1 is pushed
    to the store, and a second run takes it from the store as its baseline."""
    from tests.resources.s3_server import make_bucket
    from tfxkit import fs

    make_bucket(s3_endpoint, "kfp-team")
    lines = (REPO / "examples" / "penguin" / "data" / "penguins_processed.csv").read_text() \
        .splitlines(keepends=True)
    fs.write_bytes("s3://kfp-team/data/penguins.csv", "".join(lines[:181]).encode())
    project = tmp_path / "project"
    shutil.copytree(REPO / "examples" / "penguin", project,
                    ignore=shutil.ignore_patterns("pipeline_output", "serving_model", "data"))
    spec_file = tmp_path / "penguin.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "tfxkit", "compile", "pipeline.py", "--image", "penguin:s3",
         "-o", str(spec_file), "-p", "data_root=s3://kfp-team/data", "-p",
         "serving_model_dir=s3://kfp-team/serving", "-p", "train_steps=20", "-p",
         "accuracy_lower_bound=0.0", "-p", "accuracy_max_drop=1.0"],
        cwd=project, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    env = {"PYTHONPATH": str(REPO), "TFXKIT_LAUNCHER_MOUNTS": "{}"}  # no mounts: direct reads
    for run in (1, 2):
        results = kfp_harness.run_pipeline(spec_file, tmp_path / f"root{run}", project, env=env)
        failures = {n: r.stderr[-3000:] for n, r in results.items() if r.returncode != 0}
        assert not failures and len(results) == 8, failures
        pushed = results["pusher"].output["artifacts"]["pushed_model"]["artifacts"][0]
        assert pushed["metadata"]["pushed_destination"] == f"s3://kfp-team/serving/{run}"
        blessing = results["evaluator"].output["artifacts"]["blessing"]["artifacts"][0]
        if run == 2:
            assert blessing["metadata"]["baseline_version"] == 1
            assert blessing["metadata"]["baseline_model"] == "s3://kfp-team/serving/1"
    assert [v for v, _ in fs.listdir("s3://kfp-team/serving")] == ["1", "2"]
