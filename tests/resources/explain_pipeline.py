"""A tiny no-TF pipeline for explaining runs (`tfxkit run --dry-run`, `tfxkit runs --why`).

    make_examples -> count_rows ---------> summarize
                  -> trainer (module_file: steps/model.py, which imports steps/helper.py) -^

`write_project(folder)` writes the user code; `create_pipeline(root, project)` wires it.
"""

from __future__ import annotations

from pathlib import Path

from tests.resources.tiny_pipelines import UserCodeComponent, count_rows, make_examples
from tfxkit import Input, Output, Pipeline, component
from tfxkit.types.standard_artifacts import Model, Schema

MODEL = "from steps.helper import SCALE\n\n\ndef run_fn(fn_args):\n    return SCALE\n"
HELPER = "SCALE = 1.0\n"


def write_project(folder: Path) -> Path:
    """A project folder (pyproject.toml, steps/model.py importing steps/helper.py)."""
    (folder / "steps").mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text("[project]\nname = 'explained'\n")
    (folder / "steps" / "__init__.py").write_text("")
    (folder / "steps" / "model.py").write_text(MODEL)
    (folder / "steps" / "helper.py").write_text(HELPER)
    return folder


@component
def summarize(schema: Input[Schema], model: Input[Model], summary: Output[Model]) -> None:
    """Write the row count and the trainer's module text side by side."""
    count = (Path(schema.uri) / "count.txt").read_text()
    module = (Path(model.uri) / "module.txt").read_text()
    (Path(summary.uri) / "summary.txt").write_text(f"{count}\n{module}")


def create_pipeline(root: str, project: str, rows: int = 3, module: str = "steps/model.py",
                    enable_cache: bool = True) -> Pipeline:
    """The pipeline of the module docstring, its outputs and store under `root`."""
    gen = make_examples(root=root, rows=rows)
    counted = count_rows(examples=gen.outputs["examples"], root=root)
    trainer = UserCodeComponent(examples=gen.outputs["examples"],
                                module_file=str(Path(project) / module)).with_id("trainer")
    summary = summarize(schema=counted.outputs["schema"], model=trainer.outputs["model"])
    return Pipeline(pipeline_name="explained", pipeline_root=root,
                    components=[gen, counted, trainer, summary], enable_cache=enable_cache)
