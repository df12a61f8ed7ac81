"""The full penguin pipeline (8 standard components) with the local runner: push, all-cached
rerun (in the same process, and from a new process that imports no TensorFlow), changed model
code judged against the pushed baseline; the pushed model serves raw tf.Examples with plain
TensorFlow."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tfxkit.cli.main import main
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "penguin"


def _load() -> object:
    import importlib.util

    spec = importlib.util.spec_from_file_location("penguin_example_pipeline",
                                                  EXAMPLE / "pipeline.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def serialized_examples(limit: int = 10) -> tuple[list[bytes], list[int]]:
    import tensorflow as tf

    with open(EXAMPLE / "data" / "penguins_processed.csv") as handle:
        rows = list(csv.DictReader(handle))[::30][:limit]
    examples, labels = [], []
    for row in rows:
        feature = {k: tf.train.Feature(float_list=tf.train.FloatList(value=[float(v)]))
                   for k, v in row.items() if k != "species"}
        examples.append(tf.train.Example(
            features=tf.train.Features(feature=feature)).SerializeToString())
        labels.append(int(row["species"]))
    return examples, labels


@pytest.mark.e2e
def test_penguin_pipeline_push_cache_and_baseline(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    example = _load()
    module = tmp_path / "penguin_module.py"
    shutil.copy(EXAMPLE / "penguin_module.py", module)
    serving = tmp_path / "serving"

    def pipeline(**overrides: object) -> object:
        return example.create_pipeline(  # type: ignore[attr-defined]
            pipeline_root=str(tmp_path / "out"), serving_model_dir=str(serving),
            module_file=str(module), **overrides)

    runner = LocalDagRunner(workers=2, hooks=SilentReporter())
    first = runner.run(pipeline())
    assert {r.outcome for r in first.nodes.values()} == {"ran"}
    [blessing] = first.outputs("Evaluator", "blessing")
    assert blessing.get_custom_property("blessed") == 1
    assert (Path(blessing.uri) / "BLESSED").exists()
    [pushed] = first.outputs("Pusher", "pushed_model")
    assert pushed.get_custom_property("pushed") == 1
    assert sorted(p.name for p in serving.iterdir() if not p.name.startswith(".")) == ["1"]

    # The pushed SavedModel, with plain TensorFlow, predicts from raw serialized tf.Examples.
    import numpy as np
    import tensorflow as tf

    loaded = tf.saved_model.load(str(serving / "1"))
    examples, labels = serialized_examples()
    logits = loaded.signatures["serving_default"](examples=tf.constant(examples))["outputs"]
    assert logits.shape == (len(examples), 3)
    assert np.mean(np.argmax(logits.numpy(), axis=1) == np.array(labels)) >= 0.6

    second = runner.run(pipeline())
    assert {r.outcome for r in second.nodes.values()} == {"cached"}
    assert_cached_rerun_from_a_fresh_process_imports_no_tensorflow(
        "-p", f"pipeline_root={tmp_path / 'out'}", "-p", f"serving_model_dir={serving}",
        "-p", f"module_file={module}")

    # Changed model code: trains, evaluates against the pushed model; a model that barely
    # trained falls below the baseline (change threshold) and is not pushed.
    module.write_text(module.read_text() + "\n# retrained with fewer steps\n")
    third = runner.run(pipeline(train_steps=1))
    assert third.outcome("Trainer") == "ran" and third.outcome("Transform") == "ran"
    assert third.outcome("CsvExampleGen") == "cached"
    [blessing] = third.outputs("Evaluator", "blessing")
    assert blessing.get_custom_property("blessed") == 0
    reason = blessing.get_custom_property("blessing_reason")
    assert "sparse_categorical_accuracy (change vs baseline)" in reason, reason
    [pushed] = third.outputs("Pusher", "pushed_model")
    assert pushed.get_custom_property("pushed") == 0
    assert sorted(p.name for p in serving.iterdir() if not p.name.startswith(".")) == ["1"]

    # A model at least as good as the baseline is blessed and pushed as version 2.
    fourth = runner.run(pipeline(train_steps=150, accuracy_max_drop=0.5))
    [blessing] = fourth.outputs("Evaluator", "blessing")
    assert blessing.get_custom_property("blessed") == 1, blessing.get_custom_property(
        "blessing_reason")
    assert sorted(p.name for p in serving.iterdir() if not p.name.startswith(".")) == ["1", "2"]

    # `tfxkit models` lists both versions with the run, metrics and data behind each.
    assert main(["models", str(serving), "--metadata", str(tmp_path / "out" / "metadata.sqlite")]) == 0
    listing = capsys.readouterr().out
    assert "version 1" in listing and "version 2" in listing
    assert listing.count("sparse_categorical_accuracy=") == 2
    assert f"run {first.run_id}" in listing and f"run {fourth.run_id}" in listing
    assert str(EXAMPLE / "data") in listing


def assert_cached_rerun_from_a_fresh_process_imports_no_tensorflow(*params: str) -> None:
    """`tfxkit run examples/penguin/pipeline.py PARAMS` in a new process, after a run with the
    same parameters: exit 0, all 8 nodes cached, and no TensorFlow, TFT, TFMA, TFDV or Beam
    module imported."""
    argv = ["run", str(EXAMPLE / "pipeline.py"), *params]
    probe = ("import sys\n"
             "from tfxkit.cli.main import main\n"
             f"code = main({argv!r})\n"
             "print(code, [m for m in sys.modules if m.split('.')[0] in ('tensorflow', "
             "'tensorflow_transform', 'tensorflow_model_analysis', 'tensorflow_data_validation',"
             " 'apache_beam')][:3])")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=300)
    assert done.stdout.strip() == "0 []", done.stderr
    assert "8 cached" in done.stderr
