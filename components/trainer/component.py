"""Trainer: run the user's `run_fn(fn_args)` to train and save a serving model."""

from __future__ import annotations

from typing import Any

from tfxkit.components._shared.user_code import check_one_source
from tfxkit.components.trainer.spec import TrainerSpec
from tfxkit.dsl.base_component import BaseComponent, check_splits_exist
from tfxkit.dsl.module_check import RUN_FN, check_user_code
from tfxkit.dsl.names import check_split_name
from tfxkit.errors import ComponentArgumentError
from tfxkit.types.channel import Channel


def _check_args(name: str, args: Any, default_split: str) -> None:
    """TFX TrainArgs / EvalArgs JSON: only `num_steps` (a non-negative int) and `splits`
    (split names); checked at construction."""
    if not isinstance(args, dict):
        return  # None, a RuntimeParameter, or a type the spec reports
    unknown = sorted(set(args) - {"num_steps", "splits"})
    if unknown:
        raise ComponentArgumentError(
            f"Trainer: {name} has unknown key(s) {', '.join(map(repr, unknown))}; expected "
            f"{{'num_steps': 100, 'splits': [{default_split!r}]}} (TFX's "
            f"{'TrainArgs' if name == 'train_args' else 'EvalArgs'}).")
    steps = args.get("num_steps")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 0):
        raise ComponentArgumentError(
            f"Trainer: {name}['num_steps'] must be a non-negative int, found "
            f"{type(steps).__name__} {steps!r}. Pass e.g. {name}={{'num_steps': 100}}.")
    splits = args.get("splits")
    if splits is not None:
        if not isinstance(splits, list):
            raise ComponentArgumentError(
                f"Trainer: {name}['splits'] must be a list of split names such as "
                f"[{default_split!r}], found {type(splits).__name__} {splits!r}.")
        for index, split in enumerate(splits):
            check_split_name(split, f"Trainer: {name}['splits'][{index}]")


class Trainer(BaseComponent):
    """Train a model with user code: `run_fn(fn_args)` from a module file or dotted path.

    `fn_args` carries TFX's FnArgs names (`train_files`, `eval_files`, `train_steps`,
    `eval_steps`, `transform_output`, `schema_path`, `serving_model_dir`, `model_run_dir`,
    `hyperparameters`, `custom_config`, `data_accessor`), so TFX modules port unchanged; see
    `tfxkit.components.trainer.fn_args.FnArgs`. `run_fn` must save a SavedModel to
    `fn_args.serving_model_dir` whose default serving signature takes serialized tf.Examples
    (put the transform graph inside with `tf_transform_output.transform_features_layer()`).

    Inputs:
        examples (Examples): training data, usually Transform's `transformed_examples`.
        transform_graph (TransformGraph, optional): `fn_args.transform_output`.
        schema (Schema, optional): `fn_args.schema_path` (`{uri}/schema.pbtxt`).
        hyperparameters (HyperParameters, optional): `{uri}/best_hyperparameters.txt` (JSON)
            as the dict `fn_args.hyperparameters`.
        base_model (Model, optional): `fn_args.base_model`, to warm-start from.

    Outputs:
        model (Model): `{uri}/Format-Serving/` SavedModel (`saved_model.pb`, `variables/`).
        model_run (ModelRun): `{uri}/` TensorBoard logs and whatever run_fn writes there.

    Parameters:
        module_file: path of a .py file defining `run_fn`; or
        run_fn: its dotted path (`steps.model.run_fn`). Exactly one.
        train_args: `{"num_steps": 100}` (+ optional `"splits"`, default `["train"]`).
        eval_args: `{"num_steps": 10}` (+ optional `"splits"`, default `["eval"]`).
        custom_config: free-form dict for run_fn.

    Keras runs as tf-keras (`TF_USE_LEGACY_KERAS=1` is set in the executor unless already set).
    A run_fn that saves no model fails with a message naming the expected folder.
    """

    SPEC_CLASS = TrainerSpec
    EXECUTOR = "tfxkit.components.trainer.executor.Executor"

    def __init__(
        self,
        *,
        examples: Channel,
        module_file: str | None = None,
        run_fn: str | None = None,
        transform_graph: Channel | None = None,
        schema: Channel | None = None,
        hyperparameters: Channel | None = None,
        base_model: Channel | None = None,
        train_args: dict[str, Any] | None = None,
        eval_args: dict[str, Any] | None = None,
        custom_config: dict[str, Any] | None = None,
    ) -> None:
        check_one_source("Trainer", "run_fn", module_file, run_fn)
        check_user_code("Trainer", RUN_FN, module_file=module_file, dotted_path=run_fn)
        for name, args, default in (("train_args", train_args, "train"),
                                    ("eval_args", eval_args, "eval")):
            _check_args(name, args, default)
            splits = args.get("splits") if isinstance(args, dict) else None
            check_splits_exist("Trainer", f"{name}['splits']", splits, examples, [default])
        super().__init__(
            examples=examples, module_file=module_file, run_fn=run_fn,
            transform_graph=transform_graph, schema=schema, hyperparameters=hyperparameters,
            base_model=base_model, train_args=train_args, eval_args=eval_args,
            custom_config=custom_config,
        )
