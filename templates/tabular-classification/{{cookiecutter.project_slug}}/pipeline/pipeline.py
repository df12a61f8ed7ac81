"""The pipeline: the 8 standard components wired together, plus an optional BulkInferrer
(`bulk_inference` in steps/evaluation.py). Owner: {{ cookiecutter.owner_lead }} (CODEOWNERS).

Each step's code and settings live in its module in steps/ (owned by the step's owner); this
file only wires them, with the settings put together by config.py. Run it with `tfxkit run
pipeline/pipeline.py` (or `make run`)."""

from __future__ import annotations

from tfxkit import BaseComponent, Pipeline
from tfxkit.components import (
    BulkInferrer,
    CsvExampleGen,
    Evaluator,
    ExampleValidator,
    ImportSchemaGen,
    Pusher,
    SchemaGen,
    StatisticsGen,
    Trainer,
    Transform,
)

from pipeline import config as pipeline_config
from steps import data, evaluation


def create_pipeline(**overrides: object) -> Pipeline:
    """Build the pipeline; `overrides` replace settings by name (any field of
    `pipeline_config.PipelineConfig`: the lead's in config.py, each step's in its module)."""
    config = pipeline_config.load(**overrides)
    push_destination = {"filesystem": {"base_directory": config.path(config.serving_model_dir)}}

    example_gen = CsvExampleGen(input_base=config.path(config.data_root),
                                output_config=data.output_config(config))
    statistics_gen = StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen: ImportSchemaGen | SchemaGen
    if config.schema_file:
        schema_gen = ImportSchemaGen(schema_file=config.path(config.schema_file))
    else:
        schema_gen = SchemaGen(statistics=statistics_gen.outputs["statistics"],
                               infer_feature_shape=False)
    example_validator = ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"],
        fail_on_anomalies=config.fail_on_anomalies, required_features=[config.label_key],
        on_missing_required="drop" if config.drop_rows_without_label else "error")
    transform = Transform(examples=example_gen.outputs["examples"],
                          schema=schema_gen.outputs["schema"],
                          module_file=config.path("steps/preprocessing.py"),
                          custom_config=config.transform_config())
    trainer = Trainer(examples=transform.outputs["transformed_examples"],
                      transform_graph=transform.outputs["transform_graph"],
                      schema=schema_gen.outputs["schema"],
                      module_file=config.path("steps/model.py"),
                      train_args={"num_steps": config.train_steps},
                      eval_args={"num_steps": config.eval_steps},
                      custom_config=config.trainer_config())
    evaluator = Evaluator(examples=example_gen.outputs["examples"],
                          model=trainer.outputs["model"],
                          eval_config=evaluation.eval_config(config),
                          push_destination=push_destination,
                          baseline=config.baseline)
    pusher = Pusher(model=trainer.outputs["model"],
                    model_blessing=evaluator.outputs["blessing"],
                    push_destination=push_destination)
    components: list[BaseComponent] = [example_gen, statistics_gen, schema_gen,
                                       example_validator, transform, trainer, evaluator, pusher]
    if config.bulk_inference:
        # Predicts only with a blessed model (a NOT_BLESSED one is skipped, with the reason).
        components.append(BulkInferrer(
            examples=example_gen.outputs["examples"], model=trainer.outputs["model"],
            model_blessing=evaluator.outputs["blessing"],
            data_spec={"example_splits": config.bulk_inference_splits}))
    return Pipeline(
        pipeline_name=config.pipeline_name,
        pipeline_root=config.path(config.pipeline_root),
        metadata=config.path(config.metadata) if config.metadata else None,
        components=components,
        enable_cache=config.enable_cache,
        beam_pipeline_args=config.beam_pipeline_args,
    )
