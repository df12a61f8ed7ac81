"""A small no-TensorFlow experiment pipeline for the run-comparison tests: data (an
ExampleGen-like component whose input file content is its fingerprint) -> train (user code
module + train_args hyperparameters, a Format-Serving 'SavedModel') -> evaluate (accuracy from
the hyperparameters, per-slice metrics and a blessing as the Evaluator records them) -> the
real Pusher. A few ms per node."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from tfxkit import Input, Output, Pipeline, component
from tfxkit.components import Pusher
from tfxkit.dsl.base_component import BaseComponent
from tfxkit.dsl.base_executor import BaseExecutor
from tfxkit.dsl.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter
from tfxkit.types.standard_artifacts import Examples, Model, ModelBlessing, ModelEvaluation


class DataSpec(ComponentSpec):
    """Spec of DataGen."""

    PARAMETERS = {"data_file": ExecutionParameter(type=str)}
    OUTPUTS = {"examples": ChannelParameter(type=Examples)}


class DataExecutor(BaseExecutor):
    """Copies the data file into the Examples folder."""

    def Do(self, input_dict, output_dict, exec_properties):  # type: ignore[no-untyped-def]
        shutil.copy(exec_properties["data_file"], Path(output_dict["examples"][0].uri) / "d.csv")


class DataGen(BaseComponent):
    """ExampleGen-like: its input file's content is its cache fingerprint."""

    SPEC_CLASS = DataSpec
    EXECUTOR = "tests.resources.experiment_pipeline.DataExecutor"

    def __init__(self, data_file: str) -> None:
        super().__init__(data_file=data_file)

    def cache_fingerprint(self, exec_properties: dict[str, Any]) -> str:
        """sha256 of the data file."""
        return hashlib.sha256(Path(exec_properties["data_file"]).read_bytes()).hexdigest()


class TrainSpec(ComponentSpec):
    """Spec of Train."""

    PARAMETERS = {"module_file": ExecutionParameter(type=str, user_code=True),
                  "train_args": ExecutionParameter(type=dict)}
    INPUTS = {"examples": ChannelParameter(type=Examples)}
    OUTPUTS = {"model": ChannelParameter(type=Model)}


class TrainExecutor(BaseExecutor):
    """Writes a 'SavedModel' (its hyperparameters) in TFX's Format-Serving layout."""

    def Do(self, input_dict, output_dict, exec_properties):  # type: ignore[no-untyped-def]
        serving = Path(output_dict["model"][0].uri) / "Format-Serving"
        serving.mkdir(parents=True)
        (serving / "saved_model.pb").write_text(json.dumps(exec_properties["train_args"]))


class Train(BaseComponent):
    """Trainer-like: user code module plus train_args (hyperparameters)."""

    SPEC_CLASS = TrainSpec
    EXECUTOR = "tests.resources.experiment_pipeline.TrainExecutor"

    def __init__(self, examples, module_file: str, train_args: dict) -> None:  # type: ignore[no-untyped-def]
        super().__init__(examples=examples, module_file=module_file, train_args=train_args)


@component
def evaluate(model: Input[Model], evaluation: Output[ModelEvaluation],
             blessing: Output[ModelBlessing]) -> None:
    """Evaluator-like: accuracy from the hyperparameters; blessed when >= 0.6."""
    args = json.loads((Path(model.uri) / "Format-Serving" / "saved_model.pb").read_text())
    accuracy = round(0.5 + args["num_steps"] / 1000 - abs(args["learning_rate"] - 0.05), 4)
    per_slice = {"Overall": {"accuracy": accuracy, "loss": round(1 - accuracy, 4)},
                 "island=Biscoe": {"accuracy": round(accuracy - 0.1, 4)}}
    evaluation.set_custom_property("slice_metrics", json.dumps(per_slice))
    evaluation.set_custom_property("overall_metrics", json.dumps(per_slice["Overall"]))
    blessing.set_custom_property("blessed", int(accuracy >= 0.6))
    (Path(blessing.uri) / ("BLESSED" if accuracy >= 0.6 else "NOT_BLESSED")).touch()


def experiment(root: Path, learning_rate: float, num_steps: int, data: str = "data.csv",
               module: str = "module.py", metadata: str | None = None,
               pipeline_name: str = "exp") -> Pipeline:
    """The pipeline under `root` (data files, module files, `serving/`, `out/`)."""
    gen = DataGen(data_file=str(root / data))
    train = Train(examples=gen.outputs["examples"], module_file=str(root / module),
                  train_args={"learning_rate": learning_rate, "num_steps": num_steps})
    judge = evaluate(model=train.outputs["model"])
    push = Pusher(model=train.outputs["model"], model_blessing=judge.outputs["blessing"],
                  push_destination=str(root / "serving"))
    return Pipeline(pipeline_name=pipeline_name, pipeline_root=str(root / "out"),
                    metadata=metadata or str(root / "out" / "metadata.sqlite"),
                    components=[gen, train, judge, push])


def write_inputs(root: Path) -> Path:
    """Two data files and two user modules under `root` (returned)."""
    (root / "data.csv").write_text("a,b\n1,2\n")
    (root / "data2.csv").write_text("a,b\n1,2\n3,4\n")
    (root / "module.py").write_text("def run_fn(fn_args):\n    pass\n")
    (root / "module2.py").write_text("def run_fn(fn_args):\n    return 1\n")
    return root
