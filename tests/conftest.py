"""Session fixtures shared across test folders.

`penguin_context`: the penguin pipeline built one component at a time with an
InteractiveContext on the notebooks' bundled data (real TFDV, TFT, TF and TFMA; about 30 s),
then run once more as a whole pipeline (all cached), so tests of the notebook context, the
reports and the CLI read the same recorded runs. Built only when an integration test asks.

Parallel runs (`scripts/test` runs pytest-xdist with `--dist loadgroup`): tests that share an
expensive session fixture go to one worker, so it is built once; a module's tests that share a
module-scoped fixture stay together; and modules holding whole-pipeline (e2e) tests are collected
first, so the longest work starts first instead of ending a worker's queue.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

# Session fixtures worth building once per test session: the tests using them share a worker.
SHARED_FIXTURE_GROUPS = {
    "penguin_context": "penguin_context",
    "penguin_model": "penguin_components",
    "penguin_transform": "penguin_components",
    "built": "serving_pipeline",
    "ran_project": "ran_project",
}


def _group(item: pytest.Item) -> str | None:
    """The xdist group of a test: its expensive session fixture's, else its module's when it uses
    a module-scoped fixture, else none (the test is scheduled on its own)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    for name in item.fixturenames:  # type: ignore[attr-defined]
        if name in SHARED_FIXTURE_GROUPS:
            return SHARED_FIXTURE_GROUPS[name]
    for name in item.fixturenames:  # type: ignore[attr-defined]
        definitions = info.name2fixturedefs.get(name) or ()
        if definitions and definitions[-1].scope in ("module", "class", "package"):
            return item.nodeid.split("::")[0]
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups into the test ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Modules with e2e tests first (stable otherwise; a module's tests stay contiguous, so
    module fixtures are built once), and each test's xdist group (see the module docstring)."""
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)

    def weight(tests: list[pytest.Item]) -> int:
        if any(t.get_closest_marker("e2e") for t in tests):
            return 0
        return 1 if any(t.get_closest_marker("integration") for t in tests) else 2

    items[:] = [t for tests in sorted(modules.values(), key=weight) for t in tests]
    for item in items:
        group = _group(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
EVAL_CONFIG: dict[str, Any] = {
    "model_specs": [{"label_key": "species"}],
    "slicing_specs": [{}, {"feature_keys": ["species"]}],
    "metrics_specs": [{"metrics": [
        {"class_name": "ExampleCount"},
        {"class_name": "MultiClassConfusionMatrixPlot"},
        {"class_name": "SparseCategoricalAccuracy",
         "threshold": {"value_threshold": {"lower_bound": 0.5}}}]}],
}


@dataclasses.dataclass
class PenguinSession:
    """The context, its components by id, and the run id of the final whole-pipeline run."""

    context: Any
    components: dict[str, Any]
    full_run_id: str

    @property
    def metadata(self) -> str:
        return str(self.context.metadata)


def penguin_components(serving: Path, **trainer_args: Any) -> list[Any]:
    """The eight standard components on the notebooks' penguin data and module file, wired as
    the notebooks wire them (Pusher to `serving`); `trainer_args` (train_args, eval_args,
    custom_config) go to the Trainer. Shared by `penguin_context` and the portable-runner run
    that is compared with it."""
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

    module = str(NOTEBOOKS / "penguin_module.py")
    gen = CsvExampleGen(input_base=str(NOTEBOOKS / "data"))
    stats = StatisticsGen(examples=gen.outputs["examples"])
    schema = SchemaGen(statistics=stats.outputs["statistics"])
    validator = ExampleValidator(statistics=stats.outputs["statistics"],
                                 schema=schema.outputs["schema"])
    transform = Transform(examples=gen.outputs["examples"], schema=schema.outputs["schema"],
                          module_file=module)
    trainer = Trainer(examples=transform.outputs["transformed_examples"],
                      transform_graph=transform.outputs["transform_graph"], module_file=module,
                      **trainer_args)
    evaluator = Evaluator(examples=gen.outputs["examples"], model=trainer.outputs["model"],
                          eval_config=EVAL_CONFIG, push_destination=str(serving))
    pusher = Pusher(model=trainer.outputs["model"], model_blessing=evaluator.outputs["blessing"],
                    push_destination=str(serving))
    return [gen, stats, schema, validator, transform, trainer, evaluator, pusher]


@pytest.fixture(scope="session")
def penguin_context(tmp_path_factory: pytest.TempPathFactory) -> PenguinSession:
    """Every standard component run once with `context.run`, then the whole pipeline (cached)."""
    from tfxkit.notebook import InteractiveContext
    from tfxkit.runners import LocalDagRunner
    from tfxkit.runners.local import SilentReporter

    root = tmp_path_factory.mktemp("penguin_context")
    context = InteractiveContext(pipeline_name="penguin", pipeline_root=root / "output",
                                 hooks=SilentReporter())
    components = penguin_components(root / "serving", train_args={"num_steps": 60},
                                    eval_args={"num_steps": 3}, custom_config={"epochs": 3})
    for component in components:
        context.run(component)
    full = LocalDagRunner(workers=0, hooks=SilentReporter()).run(context.pipeline)
    return PenguinSession(context, {c.id: c for c in components}, full.run_id)
