"""Tiny no-TF pipeline for CLI fault tests (case fail-early/failure_output_noise)."""
from __future__ import annotations

import time
from pathlib import Path

from tfxkit import Input, Output, Parameter, Pipeline, component
from tfxkit.types.standard_artifacts import Examples, Model


@component
def make_data(examples: Output[Examples], rows: Parameter[int] = 10,
              sleep: Parameter[float] = 0.0) -> None:
    time.sleep(sleep)
    (Path(examples.uri) / "rows.txt").write_text("\n".join(map(str, range(rows))))


@component
def train(examples: Input[Examples], model: Output[Model], fail_msg: Parameter[str] = "",
          sleep: Parameter[float] = 0.0) -> None:
    time.sleep(sleep)
    if fail_msg:
        raise ValueError(fail_msg)
    rows = (Path(examples.uri) / "rows.txt").read_text().split()
    (Path(model.uri) / "mean.txt").write_text(str(sum(map(int, rows)) / len(rows)))


def create_pipeline(pipeline_root: str = "tiny_output", rows: int = 10,
                    metadata: str | None = None, fail_msg: str = "", sleep: float = 0.0,
                    name: str = "tiny") -> Pipeline:
    data = make_data(rows=rows, sleep=sleep)
    model = train(examples=data.outputs["examples"], fail_msg=fail_msg, sleep=sleep)
    return Pipeline(pipeline_name=name, pipeline_root=pipeline_root, metadata=metadata,
                    components=[data, model])
