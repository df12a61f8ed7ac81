"""`run_step`: one real executor on the recorded penguin run's upstream artifacts (the session's
`penguin_context`), in a temporary folder, with the store and the pipeline's outputs untouched;
and the errors a user meets (unknown step, no store, no run, bad override, missing artifact)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tfxkit.errors import ComponentArgumentError, PipelineDefinitionError
from tfxkit.testing import StepInputsError, StepResult, run_step
from tfxkit.testing.steps import apply_overrides

from .conftest import files_state, store_state


def test_import_loads_no_tensorflow() -> None:
    code = ("import sys, tfxkit.testing, tfxkit.testing.pytest_plugin; "
            "heavy = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', "
            "'tensorflow_transform', 'tensorflow_data_validation', 'apache_beam', "
            "'tensorflow_model_analysis', 'ml_metadata')]; print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(("given", "expected"), [(None, "1"), ("0", "0")])
def test_import_sets_the_pipelines_keras_unless_the_user_chose(given: str | None,
                                                               expected: str) -> None:
    """A step's code called before run_step (a test's build_model()) must get tf-keras, as the
    pipeline's executors set it; a value the user set wins."""
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    if given is not None:
        env["TF_USE_LEGACY_KERAS"] = given
    code = "import os, tfxkit.testing; print(os.environ.get('TF_USE_LEGACY_KERAS'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env=env)
    assert done.stdout.strip() == expected


@pytest.mark.integration
def test_trainer_runs_on_the_last_transform_output(penguin_context, step_runner,
                                                   tmp_path: Path) -> None:
    pipeline = penguin_context.context.pipeline
    root = Path(pipeline.pipeline_root)
    before_store, before_files = store_state(penguin_context.metadata), files_state(root)
    result = step_runner("Trainer", pipeline=pipeline, train_steps=5,
                         custom_config={"epochs": 1})
    assert isinstance(result, StepResult) and result.source == "store"
    model = Path(result.uri("model"))
    assert model.is_relative_to(tmp_path), "outputs go to the test's folder"
    assert (model / "Format-Serving" / "saved_model.pb").is_file()
    assert result.exec_properties["train_args"]["num_steps"] == 5
    assert result.exec_properties["custom_config"]["epochs"] == 1
    transform = penguin_context.context.results["Transform"].outputs
    assert [a.uri for a in result.inputs["examples"]] == [
        a.uri for a in transform["transformed_examples"]]
    assert [a.uri for a in result.inputs["transform_graph"]] == [
        a.uri for a in transform["transform_graph"]]
    assert store_state(penguin_context.metadata) == before_store, "nothing recorded"
    assert files_state(root) == before_files, "the pipeline's outputs are untouched"


@pytest.mark.integration
def test_named_run_and_auto_mode_read_the_store(penguin_context, step_runner) -> None:
    pipeline = penguin_context.context.pipeline
    result = step_runner("SchemaGen", pipeline=pipeline, run=penguin_context.full_run_id)
    assert result.source == "store" and result.source_run_id == penguin_context.full_run_id
    assert (Path(result.uri("schema")) / "schema.pbtxt").is_file()
    stats = penguin_context.context.results["StatisticsGen"].outputs["statistics"]
    assert [a.id for a in result.inputs["statistics"]] == [a.id for a in stats]
    older = step_runner("SchemaGen", pipeline=pipeline, run="latest~1", inputs="store")
    assert older.source_run_id != penguin_context.full_run_id


def test_override_names_are_checked_against_the_component(penguin_context_pipeline) -> None:
    trainer = penguin_context_pipeline.node("Trainer")
    with pytest.raises(ComponentArgumentError, match=(
            r"'trian_steps' is not a parameter of Trainer\. Did you mean 'train_steps'\? "
            r"Valid names: custom_config, eval_args, module_file, run_fn, train_args, "
            r"eval_steps, train_steps")):
        apply_overrides(trainer, {"trian_steps": 5})
    with pytest.raises(ComponentArgumentError, match=r"parameter 'train_args' expects dict"):
        apply_overrides(trainer, {"train_args": "many"})
    transform = penguin_context_pipeline.node("Transform")
    with pytest.raises(ComponentArgumentError, match=r"'train_steps' is not a parameter of "
                                                     r"Transform"):
        apply_overrides(transform, {"train_steps": 5})
    merged = apply_overrides(trainer, {"custom_config": {"epochs": 1}, "eval_steps": 2})
    assert merged["custom_config"] == {"epochs": 1}
    assert merged["eval_args"] == {"num_steps": 2}
    assert merged["train_args"] == {"num_steps": 30}, "other parameters as the pipeline has them"


@pytest.fixture(scope="module")
def penguin_context_pipeline():
    """The penguin pipeline's wiring alone (no run): enough for the checks made before any
    input is read."""
    from tfxkit import Pipeline
    from tfxkit.components import CsvExampleGen, SchemaGen, StatisticsGen, Trainer, Transform

    from ..conftest import NOTEBOOKS

    module = str(NOTEBOOKS / "penguin_module.py")
    gen = CsvExampleGen(input_base=str(NOTEBOOKS / "data"))
    stats = StatisticsGen(examples=gen.outputs["examples"])
    schema = SchemaGen(statistics=stats.outputs["statistics"])
    transform = Transform(examples=gen.outputs["examples"], schema=schema.outputs["schema"],
                          module_file=module)
    trainer = Trainer(examples=transform.outputs["transformed_examples"],
                      transform_graph=transform.outputs["transform_graph"], module_file=module,
                      train_args={"num_steps": 30})
    return Pipeline("penguin", "/nonexistent/penguin_output",
                    [gen, stats, schema, transform, trainer])


def test_unknown_step_lists_the_steps(penguin_context_pipeline, tmp_path: Path) -> None:
    with pytest.raises(PipelineDefinitionError, match=(
            r"Pipeline 'penguin' has no step 'Trainr'\. Did you mean 'Trainer'\? Steps: "
            r"CsvExampleGen, StatisticsGen, SchemaGen, Transform, Trainer\.")):
        run_step("Trainr", pipeline=penguin_context_pipeline, output_dir=tmp_path)
    assert not list(tmp_path.iterdir()), "nothing written"


def test_bad_override_is_refused_before_any_input_is_read(penguin_context_pipeline,
                                                          tmp_path: Path) -> None:
    with pytest.raises(ComponentArgumentError, match=r"'epochs' is not a parameter of Trainer"):
        run_step("Trainer", pipeline=penguin_context_pipeline, output_dir=tmp_path, epochs=1)


def test_no_store_says_how_to_get_inputs(penguin_context_pipeline, tmp_path: Path) -> None:
    missing = tmp_path / "metadata.sqlite"
    with pytest.raises(StepInputsError, match=(
            r"No ML Metadata store at .*metadata\.sqlite: pipeline 'penguin' has not run here\. "
            r"Run it first \(`tfxkit run`\), or run the step on its golden inputs: "
            r"run_step\('Trainer', inputs='fixtures'\) after `tfxkit snapshot Trainer`")):
        run_step("Trainer", pipeline=penguin_context_pipeline, metadata=str(missing),
                 inputs="store", output_dir=tmp_path / "out")
    assert not missing.exists(), "a read-only look creates no store"


def test_no_run_in_the_store(penguin_context_pipeline, tmp_path: Path) -> None:
    from tfxkit.metadata import connect

    location = str(tmp_path / "empty.sqlite")
    connect(location)  # a store where nothing has run
    with pytest.raises(StepInputsError, match=(
            r"No runs of pipeline 'penguin' are recorded in this metadata store; run the "
            r"pipeline first .* \(looking for the inputs of Trainer; metadata: .*empty\.sqlite\)")):
        run_step("Trainer", pipeline=penguin_context_pipeline, metadata=location,
                 inputs="store", output_dir=tmp_path / "out")


def test_unknown_run_id_lists_recent_runs(penguin_context, tmp_path: Path) -> None:
    with pytest.raises(StepInputsError, match=r"No run 'nope' of pipeline 'penguin' in this "
                                              r"metadata store\. Recent runs: "):
        run_step("SchemaGen", pipeline=penguin_context.context.pipeline, run="nope",
                 output_dir=tmp_path)


def test_upstream_step_that_never_ran(penguin_context, tmp_path: Path) -> None:
    from tfxkit import Pipeline
    from tfxkit.components import SchemaGen, StatisticsGen

    pipeline = penguin_context.context.pipeline
    stats = pipeline.node("StatisticsGen")
    other = StatisticsGen(examples=stats.inputs["examples"]).with_id("StatisticsGen_new")
    schema = SchemaGen(statistics=other.outputs["statistics"]).with_id("SchemaGen_new")
    grown = Pipeline(pipeline.pipeline_name, pipeline.pipeline_root,
                     [*pipeline.components, other, schema], metadata=pipeline.metadata)
    with pytest.raises(StepInputsError, match=(
            r"SchemaGen_new needs the outputs of StatisticsGen_new, but StatisticsGen_new has no "
            r"completed execution in pipeline 'penguin' .* Run it first: `tfxkit run --to "
            r"StatisticsGen_new`\.")):
        run_step("SchemaGen_new", pipeline=grown, output_dir=tmp_path)


def test_upstream_artifact_missing_on_disk(penguin_context, tmp_path: Path) -> None:
    """A copy of the store whose Transform graph points at a folder that is gone (as after
    someone deleted pipeline_output/Transform): the error names the artifact and the fix."""
    copy = tmp_path / "metadata.sqlite"
    shutil.copy(penguin_context.metadata, copy)
    graph = penguin_context.context.results["Transform"].outputs["transform_graph"][0]
    gone = tmp_path / "deleted" / "transform_graph"
    from tfxkit.metadata import connect

    store = connect(str(copy))
    [proto] = store.get_artifacts_by_id([graph.id])
    proto.uri = str(gone)
    store.put_artifacts([proto])
    del store
    with pytest.raises(StepInputsError, match=(
            rf"Transform's 'transform_graph' artifact \(id {graph.id}, TransformGraph\) is "
            rf"missing on disk: {gone} does not exist \(deleted or moved\)\. Re-run Transform")):
        run_step("Trainer", pipeline=penguin_context.context.pipeline, metadata=str(copy),
                 output_dir=tmp_path / "out")
    assert not (tmp_path / "out" / "model").exists(), "the executor never started"
