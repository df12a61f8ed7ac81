"""The penguin pipeline on Beam's PortableRunner with an external SDK worker pool.

The worker pool (`apache_beam.runners.worker.worker_pool_main`) is the Fn API harness Flink,
Spark and Dataflow run: every Beam stage executes in SDK worker processes it starts, not in the
runner's process. The pipeline is the one `penguin_context` (tests/conftest.py) builds from the
same inputs (notebook data and module file, same parameters), plus a BulkInferrer; only its
`beam_pipeline_args` differ. It runs ONCE per session, in a child process with a deadline (a
portable job whose workers cannot start waits forever), and its artifacts are compared with the
local run's:

- examples: the same tf.Examples in every split, decoded, as multisets (shard files and the
  order of records across them follow the workers, and TFX promises no order either; the bytes
  of one example may differ, as protobuf writes a map, the features, in no fixed order);
- statistics: the same counts, missing counts, min, max, zeros, unique counts and top values;
  means and standard deviations up to float summation order (the in-process path and Beam add
  batches in different orders); histogram and quantile buckets, sketches merged in batch order,
  are not compared;
- schema: identical; Transform: identical raw and transformed schemas and the same transformed
  rows, z-scores up to the analyzers' float summation order;
- evaluation: the Trainer is not deterministic (random initialization), so the portable run's
  Evaluator and BulkInferrer are compared with the same executors run on DirectRunner in this
  process on the portable run's own model and examples: the same metrics and predictions.

The worker pool's processes get neither the project on `sys.path` nor its working directory, so
Transform's `preprocessing_fn` (which TFT calls on a worker to write the transform graph) only
works because the module file reaches them pickled by value.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, PenguinSession, penguin_components

POOL_START_SECONDS = 60
RUN_SECONDS = 900


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return int(s.getsockname()[1])


def portable_args(port: int) -> list[str]:
    """Beam args that run every Beam stage on the external worker pool at `port`."""
    return ["--runner=PortableRunner", "--job_endpoint=embed", "--environment_type=EXTERNAL",
            f"--environment_config=localhost:{port}"]


def _stop(process: subprocess.Popen[Any]) -> None:
    """Stop `process` and everything it started (its own session), TERM then KILL."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def worker_pool(log: Path) -> Iterator[int]:
    """An SDK worker pool in its own process group; yields its port once it accepts
    connections (at most POOL_START_SECONDS), and stops it and its workers at the end.

    The pool starts workers with `python -c ...` from PATH: the venv's bin goes first, so the
    workers run the same interpreter and packages as the pipeline. The workers get the
    environment a tfxkit container image sets (`TF_USE_LEGACY_KERAS=1`: without it TFMA on the
    workers loads the model with Keras 3 and fails), and nothing else of the pipeline's: no
    PYTHONPATH to the project, so a user module file must reach them by pickling."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               TF_USE_LEGACY_KERAS="1")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "apache_beam.runners.worker.worker_pool_main",
             f"--service_port={port}"], stdout=out, stderr=subprocess.STDOUT, env=env,
            cwd=log.parent, start_new_session=True)
    try:
        deadline = time.monotonic() + POOL_START_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"worker pool exited with {process.returncode}:\n"
                                   f"{log.read_text()[-3000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("localhost", port), 1):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"worker pool not listening on {port} after "
                                   f"{POOL_START_SECONDS} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield port
    finally:
        _stop(process)


def build_pipeline(root: Path, beam_args: list[str]) -> Any:
    """penguin_context's pipeline (same data, module file and parameters; the Trainer, which
    is not compared and runs no Beam, trains 3 steps) plus a BulkInferrer."""
    from tfxkit import Pipeline
    from tfxkit.components import BulkInferrer

    components = penguin_components(root / "serving", train_args={"num_steps": 3},
                                    eval_args={"num_steps": 1}, custom_config={"epochs": 1})
    gen, trainer = components[0], components[5]
    inferrer = BulkInferrer(examples=gen.outputs["examples"], model=trainer.outputs["model"],
                            data_spec={"example_splits": ["eval"]})
    return Pipeline(pipeline_name="penguin_portable", pipeline_root=str(root / "output"),
                    components=[*components, inferrer],
                    beam_pipeline_args=beam_args)


def run_in_child(root: str, port: str, out: str) -> None:
    """Entry point of the child process: run the pipeline, write its outputs as JSON."""
    from tfxkit.runners import LocalDagRunner
    from tfxkit.runners.local import SilentReporter

    result = LocalDagRunner(workers=0, hooks=SilentReporter()).run(
        build_pipeline(Path(root), portable_args(int(port))))
    Path(out).write_text(json.dumps({
        "outcomes": {n: r.outcome for n, r in result.nodes.items()},
        "outputs": {n: {k: [a.to_dict() for a in v] for k, v in r.outputs.items()}
                    for n, r in result.nodes.items()}}))


@pytest.fixture(scope="session")
def portable_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The pipeline run once on the portable runner; {"outcomes", "outputs", "seconds"}."""
    root = tmp_path_factory.mktemp("portable")
    out = root / "result.json"
    with worker_pool(root / "worker_pool.log") as port:
        began = time.monotonic()
        code = (f"from tests.runners.test_portable_beam import run_in_child; "
                f"run_in_child({str(root)!r}, '{port}', {str(out)!r})")
        with (root / "run.log").open("wb") as log:
            child = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        timed_out = False
        try:
            child.wait(timeout=RUN_SECONDS)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _stop(child)
        if timed_out or child.returncode != 0 or not out.exists():
            what = f"stopped after {RUN_SECONDS} s" if timed_out else f"exit {child.returncode}"
            pytest.fail(f"portable run failed ({what}):\n"
                        f"{(root / 'run.log').read_text()[-6000:]}\n--- worker pool:\n"
                        f"{(root / 'worker_pool.log').read_text()[-3000:]}")
    result = json.loads(out.read_text())
    result["seconds"] = time.monotonic() - began
    result["root"] = root
    result["pool_log"] = (root / "worker_pool.log").read_text()
    return result


def _artifact(run: dict[str, Any], node: str, key: str) -> Any:
    from tfxkit.types.artifact import Artifact

    [data] = run["outputs"][node][key]
    return Artifact.from_dict(data)


def _local(penguin: PenguinSession, node: str, key: str) -> Any:
    [artifact] = penguin.context.artifacts(penguin.components[node].outputs[key])
    return artifact


def read_records(folder: str) -> list[bytes]:
    """Every record of the gzipped TFRecord files in `folder`, file by file."""
    from tfxkit.components._shared import tfrecord

    return [record for name in sorted(os.listdir(folder))
            for chunk in tfrecord.read_records(os.path.join(folder, name), verify=False)
            for record in chunk]


_WORKER = r"""
import pickle, sys
fn = pickle.loads(sys.stdin.buffer.read())
print(fn({"x": 3}))
"""


def test_module_file_functions_reach_a_fresh_worker_process(tmp_path: Path) -> None:
    """What a Beam worker does with Transform's preprocessing_fn: unpickle and call it in a
    process that cannot import the module file, nor the project modules it imports (by name,
    `import helpers`, or by value, `from steps.features import SCALE`)."""
    import cloudpickle

    from tfxkit.components._shared.user_code import user_function

    project = tmp_path / "project"
    (project / "steps").mkdir(parents=True)
    (project / "steps" / "__init__.py").write_text("")
    (project / "steps" / "features.py").write_text("SCALE = 10\n")
    (project / "steps" / "helpers.py").write_text(
        "from steps.features import SCALE\n\ndef scaled(v):\n    return v * SCALE\n")
    (project / "steps" / "transform.py").write_text(
        "from steps import helpers\nfrom steps.features import SCALE\n\n"
        "def preprocessing_fn(inputs):\n"
        "    return {'x': helpers.scaled(inputs['x']) + SCALE}\n")
    with user_function(component="Transform", fn_name="preprocessing_fn",
                       module_file=str(project / "steps" / "transform.py")) as fn:
        payload = cloudpickle.dumps(fn)
    elsewhere = tmp_path / "worker"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", _WORKER], input=payload, cwd=elsewhere,
                          env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert done.stdout.decode().strip() == "{'x': 40}"


@pytest.mark.e2e
@pytest.mark.integration
def test_every_node_ran_on_the_worker_pool(portable_run: dict[str, Any]) -> None:
    assert set(portable_run["outcomes"].values()) == {"ran"}, portable_run["outcomes"]
    # The pool started SDK workers: the Beam stages ran in processes other than the runner's.
    assert "Starting worker" in portable_run["pool_log"], portable_run["pool_log"][-2000:]
    examples = _artifact(portable_run, "CsvExampleGen", "examples")
    assert examples.get_custom_property("engine") == "beam:PortableRunner"


@pytest.mark.e2e
@pytest.mark.integration
def test_examples_equal_the_local_run(portable_run: dict[str, Any],
                                      penguin_context: PenguinSession) -> None:
    from tfx_bsl.coders import example_coder

    portable = _artifact(portable_run, "CsvExampleGen", "examples")
    local = _local(penguin_context, "CsvExampleGen", "examples")
    assert local.get_custom_property("engine") == "in-process"
    assert portable.split_names == local.split_names == ["train", "eval"]
    for key in ("example_counts", "feature_types"):
        assert portable.get_custom_property(key) == local.get_custom_property(key)
    decoder = example_coder.ExamplesToRecordBatchDecoder()
    for split in local.split_names:
        ours = read_records(os.path.join(portable.uri, f"Split-{split}"))
        theirs = read_records(os.path.join(local.uri, f"Split-{split}"))
        assert len(ours) == len(theirs) > 0
        # Compared decoded: tf.Example's features are a protobuf map, whose serialized order
        # is not stable across processes (the same example may have other bytes).
        rows = [sorted(map(repr, decoder.DecodeBatch(records).to_pylist()))
                for records in (ours, theirs)]
        assert rows[0] == rows[1], split


def _rerun_locally(run: dict[str, Any], node_id: str, out: Path) -> dict[str, Any]:
    """Run node `node_id`'s executor in this process on DirectRunner, on the portable run's
    own input artifacts; returns its output artifacts by key."""
    from tfxkit.dsl.base_executor import ExecutorContext

    [node] = [c for c in build_pipeline(run["root"], []).components if c.id == node_id]
    inputs = {key: [_artifact(run, channel.producer.id, channel.output_key)]
              for key, channel in node.inputs.items()}
    outputs = {key: [channel.type(uri=str(out / key))] for key, channel in node.outputs.items()}
    for key in outputs:
        (out / key).mkdir(parents=True)
    properties = dict(node.exec_properties)
    if "push_destination" in properties:  # the same (empty) baseline location, not the pushed
        properties["push_destination"] = str(out / "no_baseline")
    executor = type(node).build_executor(ExecutorContext(tmp_dir=str(out)))
    executor.Do(inputs, outputs, properties)
    return {key: artifacts[0] for key, artifacts in outputs.items()}


def _feature_stats(artifact: Any, split: str) -> Any:
    from tensorflow_metadata.proto.v0 import statistics_pb2

    stats = statistics_pb2.DatasetFeatureStatisticsList()
    with open(os.path.join(artifact.uri, f"Split-{split}", "FeatureStats.pb"), "rb") as f:
        stats.ParseFromString(f.read())
    return stats


@pytest.mark.e2e
@pytest.mark.integration
def test_statistics_and_schema_equal_the_local_run(portable_run: dict[str, Any],
                                                   penguin_context: PenguinSession) -> None:
    from google.protobuf import text_format

    portable = _artifact(portable_run, "StatisticsGen", "statistics")
    local = _local(penguin_context, "StatisticsGen", "statistics")
    assert portable.split_names == local.split_names
    for split in local.split_names:
        ours, theirs = _feature_stats(portable, split), _feature_stats(local, split)
        assert len(ours.datasets) == len(theirs.datasets) == 1
        ours_ds, theirs_ds = ours.datasets[0], theirs.datasets[0]
        assert ours_ds.num_examples == theirs_ds.num_examples > 0
        assert ours_ds.weighted_num_examples == theirs_ds.weighted_num_examples
        by_name = {f.path.step[0]: f for f in theirs_ds.features}
        assert sorted(by_name) == sorted(f.path.step[0] for f in ours_ds.features)
        for feature in ours_ds.features:
            other = by_name[feature.path.step[0]]
            assert feature.type == other.type
            if feature.HasField("num_stats"):
                a, b = feature.num_stats, other.num_stats
                # Exact: counts, missing, min, max, zeros; mean/std up to summation order.
                assert a.common_stats.num_non_missing == b.common_stats.num_non_missing
                assert a.common_stats.num_missing == b.common_stats.num_missing
                assert (a.min, a.max, a.num_zeros) == (b.min, b.max, b.num_zeros)
                assert a.mean == pytest.approx(b.mean, rel=1e-9)
                assert a.std_dev == pytest.approx(b.std_dev, rel=1e-6)
            else:
                a, b = feature.string_stats, other.string_stats
                assert a.common_stats.num_non_missing == b.common_stats.num_non_missing
                assert a.unique == b.unique
                assert [(v.value, v.frequency) for v in a.top_values] == \
                    [(v.value, v.frequency) for v in b.top_values]
    schema_file = "schema.pbtxt"
    ours_schema = _artifact(portable_run, "SchemaGen", "schema").uri
    theirs_schema = _local(penguin_context, "SchemaGen", "schema").uri
    from tensorflow_metadata.proto.v0 import schema_pb2

    def load(folder: str) -> Any:
        with open(os.path.join(folder, schema_file)) as f:
            return text_format.Parse(f.read(), schema_pb2.Schema())

    assert load(ours_schema) == load(theirs_schema)


@pytest.mark.e2e
@pytest.mark.integration
def test_transform_outputs_equal_the_local_run(portable_run: dict[str, Any],
                                               penguin_context: PenguinSession) -> None:
    import numpy as np
    import tensorflow as tf
    import tensorflow_transform as tft

    portable = tft.TFTransformOutput(_artifact(portable_run, "Transform", "transform_graph").uri)
    local = tft.TFTransformOutput(_local(penguin_context, "Transform", "transform_graph").uri)
    assert portable.transformed_metadata.schema == local.transformed_metadata.schema
    assert portable.raw_metadata.schema == local.raw_metadata.schema
    ours = _artifact(portable_run, "Transform", "transformed_examples")
    theirs = _local(penguin_context, "Transform", "transformed_examples")
    assert ours.split_names == theirs.split_names
    spec = local.transformed_feature_spec()
    for split in theirs.split_names:
        rows = []
        for artifact in (ours, theirs):
            records = read_records(os.path.join(artifact.uri, f"Split-{split}"))
            parsed = tf.io.parse_example(tf.constant(records), spec)
            table = np.stack([parsed[k].numpy().astype(np.float64).ravel()
                              for k in sorted(spec)], axis=1)
            rows.append(table[np.lexsort(table.T[::-1])])
        # Same rows; z-scores equal up to the float order of the analyzers' sums.
        np.testing.assert_allclose(rows[0], rows[1], rtol=1e-5, atol=1e-6)


@pytest.mark.e2e
@pytest.mark.integration
def test_evaluation_and_inference_equal_direct_runner(portable_run: dict[str, Any],
                                                      tmp_path: Path) -> None:
    evaluation = _artifact(portable_run, "Evaluator", "evaluation")
    local = _rerun_locally(portable_run, "Evaluator", tmp_path / "evaluator")
    ours = json.loads(evaluation.get_custom_property("slice_metrics"))
    theirs = json.loads(local["evaluation"].get_custom_property("slice_metrics"))
    assert ours.keys() == theirs.keys() and "Overall" in ours
    for slice_name, metrics in theirs.items():
        assert ours[slice_name].keys() == metrics.keys()
        for name, value in metrics.items():
            assert ours[slice_name][name] == pytest.approx(value, rel=1e-6), (slice_name, name)
    blessing = _artifact(portable_run, "Evaluator", "blessing")
    assert blessing.get_custom_property("blessed") == local["blessing"].get_custom_property(
        "blessed")

    from tensorflow_serving.apis import prediction_log_pb2

    def predictions(folder: str) -> list[Any]:
        logs = [prediction_log_pb2.PredictionLog.FromString(r) for r in read_records(folder)]
        pairs = [(log.predict_log.request.inputs["examples"].string_val[0],
                  tuple(round(v, 5) for v in
                        log.predict_log.response.outputs["outputs"].float_val)) for log in logs]
        return sorted(pairs)

    inference = _artifact(portable_run, "BulkInferrer", "inference_result")
    local_inference = _rerun_locally(portable_run, "BulkInferrer", tmp_path / "inferrer")
    ours_predictions = predictions(inference.uri)
    assert len(ours_predictions) == json.loads(_artifact(
        portable_run, "CsvExampleGen", "examples").get_custom_property("example_counts"))["eval"]
    assert ours_predictions == predictions(local_inference["inference_result"].uri)
