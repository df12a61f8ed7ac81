"""Faults inside a run: user code that hangs past its timeout, damaged artifact files."""

from __future__ import annotations

import importlib
import re
import sys
import textwrap
from pathlib import Path

import pytest

from tests.resources.store_checks import check_consistent
from tfxkit import Pipeline
from tfxkit.errors import ExecutionError
from tfxkit.metadata import connect
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter

REPO = Path(__file__).resolve().parents[2]


def test_user_code_that_hangs_is_stopped_at_its_timeout_naming_where_it_hung(
        tmp_path: Path) -> None:
    module_file = tmp_path / "hanging_steps.py"
    module_file.write_text(textwrap.dedent('''
        import time
        from pathlib import Path
        from tfxkit import Output, component
        from tfxkit.types.standard_artifacts import Model

        @component
        def hang(model: Output[Model]) -> None:
            while True:
                time.sleep(0.05)

        @component
        def steady(model: Output[Model]) -> None:
            time.sleep(1.0)
            (Path(model.uri) / "done.txt").write_text("ok")
    '''))
    sys.path.insert(0, str(tmp_path))
    try:
        steps = importlib.import_module("hanging_steps")
        pipeline = Pipeline("hangs", str(tmp_path / "out"),
                            [steps.hang().with_timeout(2), steps.steady()])
        with pytest.raises(ExecutionError) as caught:
            LocalDagRunner(workers=2, hooks=SilentReporter()).run(pipeline)
    finally:
        sys.path.remove(str(tmp_path))
    message = str(caught.value)
    assert "hang" in message and "timed out after 2 s" in message
    assert re.search(rf"{re.escape(str(module_file))}:10 in hang", message), message
    assert "steady" not in message.split("failed.", 1)[1].split("\n")[0], "only its node failed"
    facts = check_consistent(connect(str(tmp_path / "out" / "metadata.sqlite")))
    assert (facts.complete, facts.failed) == (1, 1)


@pytest.mark.integration
def test_damaged_examples_are_recomputed_or_named_by_the_reader(tmp_path: Path) -> None:
    from tfxkit.components import CsvExampleGen, StatisticsGen

    def build() -> Pipeline:
        gen = CsvExampleGen(input_base=str(REPO / "examples" / "penguin" / "data"))
        stats = StatisticsGen(examples=gen.outputs["examples"])
        return Pipeline("damaged", str(tmp_path), [gen, stats])

    runner = LocalDagRunner(workers=1, hooks=SilentReporter())
    first = runner.run(build())
    [examples] = first.outputs("CsvExampleGen", "examples")
    data = sorted(Path(examples.uri).glob("Split-train/*.gz"))[0]
    original = data.read_bytes()

    # Truncated: the cache sees the size changed, never serves it, and recomputes.
    data.write_bytes(original[: len(original) // 2])
    second = runner.run(build())
    assert second.outcome("CsvExampleGen") == "ran" and second.outcome("StatisticsGen") == "ran"

    # Corrupted in place (same size: the cache cannot tell): the reader's error names the file
    # and the artifact, and says how to recover.
    [examples] = second.outputs("CsvExampleGen", "examples")
    data = sorted(Path(examples.uri).glob("Split-train/*.gz"))[0]
    size = data.stat().st_size
    data.write_bytes(data.read_bytes()[: size // 2] + bytes(size - size // 2))
    with pytest.raises(ExecutionError) as caught:
        runner.run(build(), only_node="StatisticsGen", enable_cache=False)
    message = str(caught.value)
    assert f"Examples artifact {examples.id} at {examples.uri}" in message, message
    assert str(data) in message and "--no-cache" in message
