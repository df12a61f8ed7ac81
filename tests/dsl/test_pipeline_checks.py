"""A pipeline is checked when it is built (issue 19 item 1): its root is not a file, and
runtime parameters declared twice differently are refused then, not when a run starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.resources.tiny_pipelines import make_examples
from tfxkit import Pipeline, RuntimeParameter
from tfxkit.errors import PipelineDefinitionError


def test_pipeline_root_that_is_a_file_or_under_one_is_refused(tmp_path: Path) -> None:
    (tmp_path / "root.txt").write_text("x")
    with pytest.raises(PipelineDefinitionError, match=r"root.txt\) is a file; expected a "
                                                      r"directory \(it is created if missing\)"):
        Pipeline("p", str(tmp_path / "root.txt"), [])
    with pytest.raises(PipelineDefinitionError, match=rf"is under the file {tmp_path}/root.txt"):
        Pipeline("p", str(tmp_path / "root.txt" / "out"), [])
    assert Pipeline("p", str(tmp_path / "new" / "out"), []).pipeline_root.endswith("out")
    assert Pipeline("p", "gs://bucket/root", []).pipeline_root == "gs://bucket/root"


def test_conflicting_runtime_parameters_fail_when_the_pipeline_is_built() -> None:
    a = make_examples(root="/tmp", rows=RuntimeParameter("rows", int, 3))
    b = make_examples(root="/tmp", rows=RuntimeParameter("rows", int, 4)).with_id("other")
    with pytest.raises(PipelineDefinitionError, match="'rows' is declared twice"):
        Pipeline("p", "/tmp/p", [a, b])
