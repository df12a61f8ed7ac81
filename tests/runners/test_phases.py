"""Each node's time split into import / setup / work / export (components/_shared/phases.py),
recorded by the local runner on the node's execution (`phase_seconds`) for bench/penguin_e2e.py.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tfxkit import Pipeline
from tfxkit.components._shared.phases import (
    PhaseClock,
    current_phase,
    enter_phase,
    imports_timed,
    in_phase,
    phase_clock,
)
from tfxkit.dsl.base_component import BaseComponent
from tfxkit.dsl.base_executor import BaseExecutor
from tfxkit.dsl.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter
from tfxkit.metadata import record
from tfxkit.metadata.store import connect
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter
from tfxkit.runners.local.node_run import PHASE_SECONDS
from tfxkit.types.standard_artifacts import Model

SLOW_MODULE = "tfxkit_test_slow_import"


def test_clock_counts_time_into_the_phase_last_entered() -> None:
    clock = PhaseClock()
    clock.enter("setup")
    time.sleep(0.05)
    clock.enter("work")
    time.sleep(0.1)
    seconds = clock.stop()
    assert list(seconds) == ["import", "setup", "work", "export"]
    assert 0.05 <= seconds["setup"] < seconds["work"]
    assert seconds["import"] == seconds["export"] == 0.0
    with pytest.raises(ValueError, match="unknown phase 'train'; expected one of import, setup"):
        clock.enter("train")


def test_enter_phase_reports_to_the_running_clock_only() -> None:
    enter_phase("work")  # no clock: nothing happens
    assert current_phase() is None
    with phase_clock() as clock:
        clock.enter("work")
        with in_phase("export"):
            assert current_phase() == "export"
            time.sleep(0.05)
        assert current_phase() == "work"
    assert clock.stop()["export"] >= 0.05
    assert current_phase() is None


def test_imports_of_new_modules_count_as_import(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / f"{SLOW_MODULE}_a.py").write_text("import time\ntime.sleep(0.2)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, f"{SLOW_MODULE}_a", raising=False)
    with phase_clock() as clock, imports_timed(clock):
        clock.enter("work")
        __import__(f"{SLOW_MODULE}_a")  # loads: 0.2 s of import
        __import__(f"{SLOW_MODULE}_a")  # loaded: not timed
        time.sleep(0.1)
    seconds = clock.stop()
    assert 0.2 <= seconds["import"] < 0.3
    assert 0.1 <= seconds["work"] < 0.2
    import builtins

    assert builtins.__import__.__module__ == "builtins"  # restored


class PhasedSpec(ComponentSpec):
    """Spec of Phased."""

    PARAMETERS = {"module": ExecutionParameter(type=str)}
    OUTPUTS = {"model": ChannelParameter(type=Model)}


class PhasedExecutor(BaseExecutor):
    """Spends 0.1 s in setup, imports `module` (0.3 s to load), works 0.2 s, exports."""

    def Do(self, input_dict: dict[str, Any], output_dict: dict[str, Any],
           exec_properties: dict[str, Any]) -> None:
        enter_phase("setup")
        time.sleep(0.1)
        enter_phase("work")
        __import__(exec_properties["module"])
        time.sleep(0.2)
        enter_phase("export")
        (Path(output_dict["model"][0].uri) / "done.txt").write_text("ok")


class Phased(BaseComponent):
    """A node whose executor names its phases."""

    SPEC_CLASS = PhasedSpec
    EXECUTOR = "tests.runners.test_phases.PhasedExecutor"

    def __init__(self, module: str) -> None:
        super().__init__(module=module)


@pytest.mark.parametrize("workers", [0, 1])
def test_runner_records_each_nodes_phases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          workers: int) -> None:
    module = f"{SLOW_MODULE}_{workers}"
    (tmp_path / f"{module}.py").write_text("import time\ntime.sleep(0.3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, module, raising=False)
    pipeline = Pipeline(pipeline_name="phases", pipeline_root=str(tmp_path / "out"),
                        components=[Phased(module=module)])
    result = LocalDagRunner(workers=workers, hooks=SilentReporter()).run(pipeline)
    [execution] = connect(pipeline.metadata).get_executions_by_id(
        [result.nodes["Phased"].execution_id])
    seconds = json.loads(record.custom(execution, PHASE_SECONDS))
    assert list(seconds) == ["import", "setup", "work", "export"]
    assert 0.3 <= seconds["import"] < 0.6
    assert 0.1 <= seconds["setup"] < 0.3
    assert 0.2 <= seconds["work"] < 0.4  # the import's 0.3 s is not work
    assert sum(seconds.values()) <= result.nodes["Phased"].seconds
    cached = LocalDagRunner(workers=workers, hooks=SilentReporter()).run(pipeline)
    [hit] = connect(pipeline.metadata).get_executions_by_id(
        [cached.nodes["Phased"].execution_id])
    assert record.custom(hit, PHASE_SECONDS) is None  # a cache hit runs nothing
