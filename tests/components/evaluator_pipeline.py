"""A TensorFlow-free pipeline around an Evaluator, for the runner's data-time checks: examples
and a schema written by function components, a `train` node that consumes the schema (as
Transform does) and leaves `trained.txt` in the pipeline root when it runs."""

from __future__ import annotations

from pathlib import Path

from tfxkit import Input, Output, Parameter, Pipeline, component
from tfxkit.components import Evaluator
from tfxkit.types.standard_artifacts import Examples, Model, Schema

FEATURES = ["species", "culmen_length_mm", "culmen_depth_mm", "flipper_length_mm",
            "body_mass_g"]


@component
def make_penguin_examples(examples: Output[Examples]) -> None:
    """An `eval` split folder (its contents are never read here)."""
    split = Path(examples.uri, "Split-eval")
    split.mkdir()
    (split / "data_tfrecord-00000-of-00001.gz").write_bytes(b"")
    examples.split_names = ["eval"]


@component
def write_schema(examples: Input[Examples], schema: Output[Schema]) -> None:
    """`schema.pbtxt` with the penguin features, as SchemaGen writes it."""
    text = "".join(f'feature {{ name: "{name}" type: FLOAT }}\n' for name in FEATURES)
    Path(schema.uri, "schema.pbtxt").write_text(text)


@component
def train(examples: Input[Examples], schema: Input[Schema], model: Output[Model],
          root: Parameter[str]) -> None:
    """Leaves `{root}/trained.txt`: the test asserts it never ran."""
    Path(root, "trained.txt").write_text("trained")
    Path(model.uri, "Format-Serving").mkdir()


def create_pipeline(root: str, label_key: str) -> Pipeline:
    """examples -> schema -> train -> Evaluator (label_key as given)."""
    gen = make_penguin_examples()
    schema = write_schema(examples=gen.outputs["examples"])
    trained = train(examples=gen.outputs["examples"], schema=schema.outputs["schema"], root=root)
    evaluator = Evaluator(examples=gen.outputs["examples"], model=trained.outputs["model"],
                          eval_config={"model_specs": [{"label_key": label_key}],
                                       "slicing_specs": [{}]})
    return Pipeline("schema_check", root, [gen, schema, trained, evaluator])
