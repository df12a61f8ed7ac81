"""Helpers for the hostile-input table: build a failing pipeline, call the CLI, generate a
project, and count what a failed attempt left in the store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.resources.tiny_pipelines import count_rows, make_examples
from tfxkit import Pipeline
from tfxkit.errors import TfxkitError

REPO = Path(__file__).resolve().parents[2]


def store_trace(root: Path) -> tuple[int, int]:
    """(LIVE artifacts, COMPLETE executions) in the store under `root` (0, 0 if none)."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    from tfxkit.metadata import connect

    path = root / "metadata.sqlite"
    if not path.exists():
        return 0, 0
    store = connect(str(path))
    live = sum(a.state == pb.Artifact.LIVE for a in store.get_artifacts())
    complete = sum(e.last_known_state == pb.Execution.COMPLETE for e in store.get_executions())
    return live, complete


def run(pipeline: Pipeline) -> None:
    from tfxkit.runners import LocalDagRunner
    from tfxkit.runners.local import SilentReporter

    LocalDagRunner(workers=1, hooks=SilentReporter()).run(pipeline)


def csv_pipeline(root: Path, text: bytes) -> Callable[[], None]:
    def build_and_run() -> None:
        from tfxkit.components import CsvExampleGen

        data = root / "data"
        data.mkdir(parents=True, exist_ok=True)
        (data / "data.csv").write_bytes(text)
        run(Pipeline("csv", str(root), [CsvExampleGen(input_base=str(data))]))
    return build_and_run


def cyclic(root: Path) -> Callable[[], None]:
    def build() -> None:
        from tests.resources.tiny_pipelines import measure
        from tfxkit.types import Channel
        from tfxkit.types.standard_artifacts import Examples

        gen = make_examples(root=str(root))
        a = count_rows(examples=gen.outputs["examples"], root=str(root))
        b = measure(examples=gen.outputs["examples"], root=str(root))
        # Channels are acyclic by construction; rewire by hand as a confused user might.
        a.inputs["examples"] = Channel(type=Examples, producer=b, output_key="model")
        b.inputs["examples"] = Channel(type=Examples, producer=a, output_key="schema")
        run(Pipeline("cyclic", str(root), [gen, a, b]))
    return build


def wrong_artifact_type(root: Path) -> Callable[[], None]:
    def build() -> None:
        from tests.resources.tiny_pipelines import measure

        model = measure(examples=make_examples(root=str(root)).outputs["examples"], root=str(root))
        count_rows(examples=model.outputs["model"], root=str(root))
    return build


def unknown_parameter(root: Path) -> Callable[[], None]:
    return lambda: make_examples(root=str(root), rowz=3)  # type: ignore[call-arg]


def escaping_name(name: str, root: Path) -> Callable[[], None]:
    return lambda: run(Pipeline(name, str(root), [make_examples(root=str(root))]))


def escaping_component_id(component_id: str, root: Path) -> Callable[[], None]:
    return lambda: run(Pipeline("ids", str(root),
                                [make_examples(root=str(root)).with_id(component_id)]))


def cli(*argv: str) -> Callable[[], None]:
    def call() -> None:
        from tfxkit.cli.main import main

        if main(list(argv)) != 0:
            raise TfxkitError("nonzero exit")
    return call


def bad_template_answers(root: Path, answers: dict[str, Any]) -> Callable[[], None]:
    def call() -> None:
        from tfxkit.project import new_project

        new_project("tabular-classification", root / "projects", answers=answers, init_git=False)
    return call
