"""Idle workers import the heavy modules of the nodes that come next, while earlier nodes run;
never for a fully cached run, nor for heavy nodes that will be cache hits.

The "heavy" module here is a light test module (tests/resources/preimport_target.py) named by
a component's `PREIMPORTS`; it logs each import (process and time) to a file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.resources.preimport_probe import Probe
from tests.resources.tiny_pipelines import count_rows, make_examples
from tfxkit import Pipeline
from tfxkit.components import (
    CsvExampleGen,
    Evaluator,
    ExampleValidator,
    Pusher,
    SchemaGen,
    StatisticsGen,
    Trainer,
    Transform,
)
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter
from tfxkit.runners.local.preimport import CpuMeter
from tfxkit.runners.local.workers import (
    PREIMPORT_ENV,
    node_modules,
    preimport_enabled,
    preimport_modules,
)


@pytest.fixture()
def import_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "imports.log"
    monkeypatch.setenv("TFXKIT_TEST_PREIMPORT_LOG", str(log))
    monkeypatch.setenv(PREIMPORT_ENV, "1")  # whatever the machine's load
    return log


def _pipeline(root: Path, sleep: float = 0.0, count_sleep: float = 0.0) -> Pipeline:
    gen = make_examples(root=str(root), sleep=sleep)
    probe = Probe(examples=gen.outputs["examples"])
    counted = count_rows(examples=gen.outputs["examples"], root=str(root), sleep=count_sleep)
    return Pipeline(pipeline_name="preimport", pipeline_root=str(root / "out"),
                    components=[gen, probe, counted])


def _run(pipeline: Pipeline) -> dict[str, str]:
    result = LocalDagRunner(workers=2, hooks=SilentReporter()).run(pipeline)
    return {node: result.outcome(node) for node in ("make_examples", "Probe", "count_rows")}


def _imports(log: Path) -> list[tuple[int, float]]:
    if not log.exists():
        return []
    return [(int(p), float(t)) for p, t in (line.split() for line in log.read_text().splitlines())]


def _ended(root: Path, event: str) -> float:
    for line in (root / "events.log").read_text().splitlines():
        stamp, text = line.split(" ", 1)
        if text == event:
            return float(stamp)
    raise AssertionError(f"no {event!r} in events.log")


def test_idle_worker_imports_while_the_upstream_node_runs(tmp_path: Path, import_log: Path
                                                          ) -> None:
    assert _run(_pipeline(tmp_path, sleep=3.0)) == {
        "make_examples": "ran", "Probe": "ran", "count_rows": "ran"}
    imports = _imports(import_log)
    assert len(imports) == 1  # one worker imported it, once
    pid, imported_at = imports[0]
    assert imported_at < _ended(tmp_path, "end make_examples")  # overlapped the upstream node
    probe = json.loads(next((tmp_path / "out" / "Probe").glob("model/*/probe.json")).read_text())
    assert probe["pid"] == pid  # the probe ran in the worker that had imported it
    assert probe["preimported_at"] == pytest.approx(imported_at, abs=1e-5)


def test_fully_cached_run_preimports_nothing(tmp_path: Path, import_log: Path) -> None:
    _run(_pipeline(tmp_path))
    first = _imports(import_log)
    assert _run(_pipeline(tmp_path)) == {
        "make_examples": "cached", "Probe": "cached", "count_rows": "cached"}
    assert _imports(import_log) == first


def test_no_preimport_for_heavy_nodes_that_will_be_cache_hits(tmp_path: Path, import_log: Path
                                                              ) -> None:
    """Only count_rows changes: it runs, the Probe (not downstream of it) stays cached."""
    _run(_pipeline(tmp_path))
    first = _imports(import_log)
    assert _run(_pipeline(tmp_path, count_sleep=0.5)) == {
        "make_examples": "cached", "Probe": "cached", "count_rows": "ran"}
    assert _imports(import_log) == first


def test_preimport_can_be_turned_off(tmp_path: Path, import_log: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PREIMPORT_ENV, "0")
    _run(_pipeline(tmp_path, sleep=0.5))
    assert _imports(import_log) == []
    probe = json.loads(next((tmp_path / "out" / "Probe").glob("model/*/probe.json")).read_text())
    assert probe["preimported_at"] is None


def _penguin_like(root: Path) -> dict[str, object]:
    gen = CsvExampleGen(input_base=str(root))
    stats = StatisticsGen(examples=gen.outputs["examples"])
    schema = SchemaGen(statistics=stats.outputs["statistics"])
    validator = ExampleValidator(statistics=stats.outputs["statistics"],
                                 schema=schema.outputs["schema"])
    transform = Transform(examples=gen.outputs["examples"], schema=schema.outputs["schema"],
                          module_file=str(root / "module.py"))
    trainer = Trainer(examples=transform.outputs["transformed_examples"],
                      transform_graph=transform.outputs["transform_graph"],
                      schema=schema.outputs["schema"], module_file=str(root / "module.py"))
    evaluator = Evaluator(examples=gen.outputs["examples"], model=trainer.outputs["model"],
                          eval_config={"model_specs": [{"label_key": "species"}]})
    pusher = Pusher(model=trainer.outputs["model"], model_blessing=evaluator.outputs["blessing"],
                    push_destination={"filesystem": {"base_directory": str(root / "serving")}})
    nodes = [gen, stats, schema, validator, transform, trainer, evaluator, pusher]
    pipeline = Pipeline(pipeline_name="p", pipeline_root=str(root / "out"), components=nodes)
    return {"pipeline": pipeline, **{type(n).__name__: n for n in nodes}}


def test_modules_of_the_standard_nodes_that_will_run(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PREIMPORT_ENV, "1")
    (tmp_path / "module.py").write_text("def preprocessing_fn(inputs):\n    return inputs\n"
                                        "def run_fn(fn_args):\n    pass\n")
    p = _penguin_like(tmp_path)
    pipeline = p["pipeline"]
    assert isinstance(pipeline, Pipeline)
    nodes = pipeline.components
    # SchemaGen, ExampleValidator and Pusher import no TensorFlow: nothing to pre-import
    assert [n.id for n in nodes if not node_modules(n)] == [
        "CsvExampleGen", "SchemaGen", "ExampleValidator", "Pusher"]
    # ExampleGen running: everything after it will run; modules in the order nodes come
    assert preimport_modules(pipeline, nodes[1:], {"CsvExampleGen"}) == (
        "tensorflow", "tensorflow_data_validation", "tensorflow_transform",
        "tensorflow_transform.beam", "tf_keras", "tfx_bsl.public.tfxio",
        "tensorflow_model_analysis")
    # a Trainer reading a TransformGraph: its run_fn opens it with TFT
    assert node_modules(p["Trainer"]) == (
        "tensorflow", "tf_keras", "tfx_bsl.public.tfxio", "tensorflow_transform")
    # ExampleValidator running alone: Transform, Trainer, Evaluator are not downstream of it
    assert preimport_modules(pipeline, nodes[4:], {"ExampleValidator"}) == ()
    assert preimport_modules(pipeline, nodes[6:], set()) == ()  # nothing runs: cached run
    # a node with with_env variables is left alone (they may change how TF loads)
    evaluator = p["Evaluator"]
    evaluator.with_env(TF_CPP_MIN_LOG_LEVEL="0")  # type: ignore[attr-defined]
    assert preimport_modules(pipeline, nodes[6:], {"Trainer"}) == ()
    monkeypatch.setenv(PREIMPORT_ENV, "0")
    assert preimport_modules(pipeline, nodes[1:], {"CsvExampleGen"}) == ()



def test_by_default_only_while_a_core_is_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PREIMPORT_ENV, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.9, 0.0, 0.0))
    assert preimport_enabled()  # the running node takes one core, the other is idle
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 0.0, 0.0))
    assert not preimport_enabled()  # both cores busy: importing ahead would only compete
    monkeypatch.setenv(PREIMPORT_ENV, "1")
    assert preimport_enabled()
    monkeypatch.setenv(PREIMPORT_ENV, "0")
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert not preimport_enabled()


def test_a_cpu_reading_decides_before_the_load_average(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a CpuMeter reading, what is idle now decides, not the trailing load average: real
    /proc/stat readings while this process sleeps (the machine's other cores may be busy with
    other tests, so the count is bounded, not exact) and while every core spins."""
    monkeypatch.delenv(PREIMPORT_ENV, raising=False)
    cores = os.cpu_count() or 1
    meter = CpuMeter()
    time.sleep(0.3)
    idle = meter.idle_cores()
    assert idle is not None and 0.0 <= idle <= cores + 0.01
    assert meter.idle_cores() is None  # no time passed since the last reading: cannot tell
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(cores)]
    try:
        time.sleep(0.5)  # the children start
        meter = CpuMeter()
        time.sleep(0.5)
        busy = meter.idle_cores()
        assert busy is not None and busy < 0.5
        monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))  # stale: "idle"
        meter = CpuMeter()
        time.sleep(0.3)
        assert not preimport_enabled(meter)  # the reading says busy
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    monkeypatch.setattr(os, "getloadavg", lambda: (5.0, 0.0, 0.0))  # stale: "busy"
    assert preimport_enabled(None) is False
