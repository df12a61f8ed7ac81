"""The penguin pipeline: the 8 standard components on the processed palmer penguins data.

    tfxkit run examples/penguin/pipeline.py [-p train_steps=200] [-p accuracy_lower_bound=0.9]
"""

from __future__ import annotations

from pathlib import Path

from tfxkit import Pipeline
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

HERE = Path(__file__).resolve().parent


def create_pipeline(pipeline_root: str = str(HERE / "pipeline_output"),
                    data_root: str = str(HERE / "data"),
                    serving_model_dir: str = str(HERE / "serving_model"),
                    module_file: str = str(HERE / "penguin_module.py"),
                    train_steps: int = 100, eval_steps: int = 5,
                    accuracy_lower_bound: float = 0.6,
                    accuracy_max_drop: float = 1e-10,
                    metadata: str | None = None) -> Pipeline:
    """The penguin pipeline; every argument can be set with `tfxkit run ... -p name=value`.

    The Evaluator blesses a model whose SparseCategoricalAccuracy is at least
    `accuracy_lower_bound` and not lower than the pushed model's by more than
    `accuracy_max_drop`; the Pusher pushes blessed models to `serving_model_dir/<version>/`.
    """
    push_destination = {"filesystem": {"base_directory": serving_model_dir}}
    example_gen = CsvExampleGen(input_base=data_root)
    statistics_gen = StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = SchemaGen(statistics=statistics_gen.outputs["statistics"],
                           infer_feature_shape=True)
    example_validator = ExampleValidator(statistics=statistics_gen.outputs["statistics"],
                                         schema=schema_gen.outputs["schema"])
    transform = Transform(examples=example_gen.outputs["examples"],
                          schema=schema_gen.outputs["schema"], module_file=module_file)
    trainer = Trainer(examples=transform.outputs["transformed_examples"],
                      transform_graph=transform.outputs["transform_graph"],
                      schema=schema_gen.outputs["schema"], module_file=module_file,
                      train_args={"num_steps": train_steps},
                      eval_args={"num_steps": eval_steps},
                      custom_config={"batch_size": 20, "learning_rate": 1e-2})
    evaluator = Evaluator(
        examples=example_gen.outputs["examples"], model=trainer.outputs["model"],
        push_destination=push_destination,
        eval_config={
            "model_specs": [{"signature_name": "serving_default", "label_key": "species"}],
            "slicing_specs": [{}],
            "metrics_specs": [{"metrics": [
                {"class_name": "ExampleCount"},
                {"class_name": "SparseCategoricalAccuracy",
                 "threshold": {"value_threshold": {"lower_bound": accuracy_lower_bound},
                               "change_threshold": {"direction": "HIGHER_IS_BETTER",
                                                    "absolute": -accuracy_max_drop}}},
            ]}],
        })
    pusher = Pusher(model=trainer.outputs["model"], model_blessing=evaluator.outputs["blessing"],
                    push_destination=push_destination)
    return Pipeline(
        pipeline_name="penguin",
        pipeline_root=pipeline_root,
        components=[example_gen, statistics_gen, schema_gen, example_validator, transform,
                    trainer, evaluator, pusher],
        metadata=metadata,
        beam_pipeline_args=["--direct_running_mode=in_memory", "--direct_num_workers=1"],
    )
