"""The README's quickstart pipeline: two function components, run with `tfxkit run`."""

from __future__ import annotations

from pathlib import Path

from tfxkit import Input, Output, Parameter, Pipeline, component
from tfxkit.runners import LocalDagRunner
from tfxkit.types.standard_artifacts import Examples, Model


@component
def make_data(examples: Output[Examples], rows: Parameter[int] = 10) -> None:
    (Path(examples.uri) / "rows.txt").write_text("\n".join(map(str, range(rows))))

@component
def train(examples: Input[Examples], model: Output[Model]) -> None:
    rows = (Path(examples.uri) / "rows.txt").read_text().split()
    (Path(model.uri) / "mean.txt").write_text(str(sum(map(int, rows)) / len(rows)))

def create_pipeline(rows: int = 10) -> Pipeline:
    data = make_data(rows=rows)
    return Pipeline(pipeline_name="demo", pipeline_root="pipeline_output",
                    components=[data, train(examples=data.outputs["examples"])])

if __name__ == "__main__":
    LocalDagRunner().run(create_pipeline())
