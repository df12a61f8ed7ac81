"""The full penguin pipeline compiled for Kubeflow and executed task by task as the KFP launcher
would (no cluster): every task succeeds, the Pusher pushes, and the pushed model serves
predictions from raw serialized tf.Examples, as with the local runner."""

from __future__ import annotations

import importlib.util
import shutil
import sys
import time
from pathlib import Path

import pytest

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
    KubeflowDagRunner(KubeflowDagRunnerConfig(image="penguin:test", project_root=str(project))) \
        .run(pipeline, output_file=str(spec_file))
    assert time.perf_counter() - started < 5
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
