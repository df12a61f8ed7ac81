"""The penguin pipeline on TFX 1.16's LocalDagRunner: the peer of tfxkit's examples/penguin.

The same 8 components, wired and configured as `examples/penguin/pipeline.py` wires them, on
the same CSV (`examples/penguin/data`) and the same unchanged user module
(`examples/penguin/penguin_module.py`, written TFX-style): CsvExampleGen, StatisticsGen,
SchemaGen(infer_feature_shape=True), ExampleValidator, Transform, Trainer (100 train steps,
5 eval steps, batch_size 20, learning_rate 1e-2), Evaluator (ExampleCount and
SparseCategoricalAccuracy with lower bound 0.6 and a HIGHER_IS_BETTER change threshold) and
Pusher to a filesystem destination; the same Beam args (in-memory DirectRunner, 1 worker) and
an SQLite ML Metadata store. Caching is on, so running it again on the same workdir is the
"unchanged rerun".

It runs only in the peer venv that `bench/peers/tfx/setup.sh` makes (TFX needs Python 3.10
here; TFX is never a dependency of tfxkit):

    "$(bench/peers/tfx/setup.sh --print-python)" bench/peers/tfx/penguin_pipeline.py WORKDIR

WORKDIR gets `pipeline_root/`, `metadata.sqlite` and `serving_model/`.

One difference is TFX's own: tfxkit's Evaluator looks its baseline up at `push_destination`
(none on a cold run); TFX takes a baseline only from a Resolver node, which the 8 components
do not include, so TFX evaluates without a baseline and, as on tfxkit's cold run, the change
threshold is not applied to the first model (TFMA's rubber stamp).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tfx.v1.dsl import Pipeline

# TF 2.16 ships Keras 3; the module (as TFX 1.16's own penguin examples) is Keras 2 code
# (`model.save(..., save_format="tf")`). Without this, `from tfx import v1` resolves tf.keras
# to Keras 3 (TFT sets the variable on import, too late) and the Trainer fails with "The
# `save_format` argument is deprecated in Keras 3". Set before TensorFlow is first imported.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

REPO = Path(__file__).resolve().parents[3]
PENGUIN = REPO / "examples" / "penguin"


def create_pipeline(workdir: Path, data_root: Path, module_file: Path,
                    train_steps: int = 100, eval_steps: int = 5,
                    accuracy_lower_bound: float = 0.6,
                    accuracy_max_drop: float = 1e-10) -> Pipeline:
    """The TFX pipeline: the 8 standard components as examples/penguin/pipeline.py has them."""
    import tensorflow_model_analysis as tfma
    from google.protobuf import json_format
    from tfx import v1 as tfx

    push_destination = tfx.proto.PushDestination(
        filesystem=tfx.proto.PushDestination.Filesystem(
            base_directory=str(workdir / "serving_model")))
    example_gen = tfx.components.CsvExampleGen(input_base=str(data_root))
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = tfx.components.SchemaGen(statistics=statistics_gen.outputs["statistics"],
                                          infer_feature_shape=True)
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"])
    transform = tfx.components.Transform(examples=example_gen.outputs["examples"],
                                         schema=schema_gen.outputs["schema"],
                                         module_file=str(module_file))
    trainer = tfx.components.Trainer(
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=schema_gen.outputs["schema"], module_file=str(module_file),
        train_args=tfx.proto.TrainArgs(num_steps=train_steps),
        eval_args=tfx.proto.EvalArgs(num_steps=eval_steps),
        custom_config={"batch_size": 20, "learning_rate": 1e-2})
    # The very dict tfxkit's pipeline passes, parsed by the proto's JSON mapping.
    eval_config = json_format.ParseDict({
        "model_specs": [{"signature_name": "serving_default", "label_key": "species"}],
        "slicing_specs": [{}],
        "metrics_specs": [{"metrics": [
            {"class_name": "ExampleCount"},
            {"class_name": "SparseCategoricalAccuracy",
             "threshold": {"value_threshold": {"lower_bound": accuracy_lower_bound},
                           "change_threshold": {"direction": "HIGHER_IS_BETTER",
                                                "absolute": -accuracy_max_drop}}},
        ]}],
    }, tfma.EvalConfig())
    evaluator = tfx.components.Evaluator(examples=example_gen.outputs["examples"],
                                         model=trainer.outputs["model"], eval_config=eval_config)
    pusher = tfx.components.Pusher(model=trainer.outputs["model"],
                                   model_blessing=evaluator.outputs["blessing"],
                                   push_destination=push_destination)
    return tfx.dsl.Pipeline(
        pipeline_name="penguin",
        pipeline_root=str(workdir / "pipeline_root"),
        components=[example_gen, statistics_gen, schema_gen, example_validator, transform,
                    trainer, evaluator, pusher],
        enable_cache=True,
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
            str(workdir / "metadata.sqlite")),
        beam_pipeline_args=["--direct_running_mode=in_memory", "--direct_num_workers=1"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path,
                        help="pipeline root, metadata and pushed models go here; reuse it for "
                             "the unchanged (fully cached) rerun")
    parser.add_argument("--data-root", type=Path, default=PENGUIN / "data")
    parser.add_argument("--module-file", type=Path, default=PENGUIN / "penguin_module.py")
    parser.add_argument("--train-steps", type=int, default=100)
    parser.add_argument("--eval-steps", type=int, default=5)
    args = parser.parse_args()

    from tfx import v1 as tfx

    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    tfx.orchestration.LocalDagRunner().run(create_pipeline(
        workdir, args.data_root.resolve(), args.module_file.resolve(),
        train_steps=args.train_steps, eval_steps=args.eval_steps))


if __name__ == "__main__":
    main()
