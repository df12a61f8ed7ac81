"""Trainer executor: build `FnArgs`, call the user's `run_fn`, check that a model was saved."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import logging
import os
from collections.abc import Iterator
from typing import Any

from tfxkit.components._shared.examples import single, split_file_pattern
from tfxkit.components._shared.phases import current_phase, enter_phase, in_phase
from tfxkit.components._shared.schema import schema_path
from tfxkit.components._shared.tf_env import TensorFlowExecutor, libraries_not_autographed
from tfxkit.components._shared.user_code import call_user_function, user_function
from tfxkit.components.trainer.fn_args import DataAccessor, FnArgs
from tfxkit.errors import ExecutionError, UserCodeError
from tfxkit.types.artifact import Artifact

logger = logging.getLogger(__name__)

COMPONENT = "Trainer"
SERVING_DIR = "Format-Serving"
EVAL_DIR = "Format-TFMA"
HYPERPARAMETERS_FILE = "best_hyperparameters.txt"
_SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")


def _steps(args: dict[str, Any], name: str) -> int | None:
    value = args.get("num_steps")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ExecutionError(
            f"{COMPONENT}: {name}['num_steps'] must be a non-negative int, found {value!r}. "
            f"Pass e.g. {name}={{'num_steps': 100}}."
        )
    return value


def _load_hyperparameters(artifact: Artifact | None) -> dict[str, Any] | None:
    """Hyperparameters of a HyperParameters artifact (`{uri}/best_hyperparameters.txt`, JSON).

    Keras Tuner's `HyperParameters.get_config()` JSON is flattened to its `values` dict.
    """
    if artifact is None:
        return None
    path = os.path.join(artifact.uri, HYPERPARAMETERS_FILE)
    try:
        with open(path) as handle:
            data = json.load(handle)
    except (OSError, json.JSONDecodeError) as exc:
        raise ExecutionError(
            f"{COMPONENT}: expected hyperparameters as JSON at {path}: {exc}. Write a JSON "
            f"object such as {{'learning_rate': 0.01}} there (Tuner does)."
        ) from exc
    if isinstance(data, dict) and isinstance(data.get("values"), dict):
        return dict(data["values"])
    if not isinstance(data, dict):
        raise ExecutionError(
            f"{COMPONENT}: {path} must hold a JSON object of hyperparameters, found "
            f"{type(data).__name__}."
        )
    return data


def check_run_fn_signature(run_fn: Any, where: str) -> None:
    """Raise UserCodeError unless `run_fn` can be called as `run_fn(fn_args)`."""
    try:
        signature = inspect.signature(run_fn)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(None)
    except TypeError as exc:
        raise UserCodeError(
            f"{COMPONENT}: run_fn in {where} has the signature run_fn{signature} ({exc}); it "
            f"must take one argument, the FnArgs: `def run_fn(fn_args):`."
        ) from None


def _file_name(fn: Any) -> str:
    code = getattr(inspect.unwrap(fn), "__code__", None)
    return os.path.basename(code.co_filename) if code is not None else repr(fn)


def check_saved_model(serving_model_dir: str, returned: Any = None) -> None:
    """Raise ExecutionError unless `serving_model_dir` holds a SavedModel; `returned` (what
    run_fn returned) is named in the message when it is not None, e.g. an unsaved model."""
    if os.path.isdir(serving_model_dir):
        found = sorted(os.listdir(serving_model_dir))
        if any(name in found for name in _SAVED_MODEL_FILES):
            return
        what = f"a folder holding {found}" if found else "an empty folder"
    else:
        what = "nothing"
    hint = ""
    if returned is not None:
        hint = (f" run_fn returned a {type(returned).__name__}; its return value is ignored, "
                f"the model must be saved, not returned.")
    raise ExecutionError(
        f"{COMPONENT}: run_fn returned without saving a model.{hint} Expected a SavedModel "
        f"(saved_model.pb + variables/) at fn_args.serving_model_dir = {serving_model_dir}, "
        f"found {what}. Save it at the end of run_fn, e.g. "
        f"model.save(fn_args.serving_model_dir, save_format='tf', signatures={{"
        f"'serving_default': serve_tf_examples_fn}})."
    )


class Executor(TensorFlowExecutor):
    """Calls the user's `run_fn(fn_args)`; see `tfxkit.components.Trainer`."""

    def Do(
        self,
        input_dict: dict[str, list[Artifact]],
        output_dict: dict[str, list[Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        """Train: `run_fn` saves the model to `{model.uri}/Format-Serving` and logs to
        `{model_run.uri}/`; raises ExecutionError when no SavedModel was written."""
        enter_phase("setup")
        examples = single(input_dict, "examples", COMPONENT)
        model = single(output_dict, "model", COMPONENT)
        model_run = single(output_dict, "model_run", COMPONENT)
        if examples is None or model is None or model_run is None:
            raise ExecutionError(
                f"{COMPONENT}: needs input 'examples' and outputs 'model', 'model_run'; found "
                f"inputs {sorted(input_dict)} and outputs {sorted(output_dict)}."
            )
        train_args = dict(exec_properties.get("train_args") or {})
        eval_args = dict(exec_properties.get("eval_args") or {})
        train_files = [
            split_file_pattern(examples, split, COMPONENT,
                               "train_args['splits']")
            for split in train_args.get("splits") or ["train"]
        ]
        eval_files = [
            split_file_pattern(examples, split, COMPONENT,
                               "eval_args['splits']")
            for split in eval_args.get("splits") or ["eval"]
        ]
        transform_graph = single(input_dict, "transform_graph", COMPONENT)
        schema = single(input_dict, "schema", COMPONENT)
        base_model = single(input_dict, "base_model", COMPONENT)
        serving_model_dir = os.path.join(model.uri, SERVING_DIR)
        os.makedirs(model_run.uri, exist_ok=True)
        fn_args = FnArgs(
            train_files=train_files,
            eval_files=eval_files,
            train_steps=_steps(train_args, "train_args"),
            eval_steps=_steps(eval_args, "eval_args"),
            serving_model_dir=serving_model_dir,
            eval_model_dir=os.path.join(model.uri, EVAL_DIR),
            model_run_dir=model_run.uri,
            transform_output=transform_graph.uri if transform_graph is not None else None,
            schema_path=schema_path(schema) if schema is not None else None,
            base_model=(os.path.join(base_model.uri, SERVING_DIR)
                        if base_model is not None else None),
            hyperparameters=_load_hyperparameters(
                single(input_dict, "hyperparameters", COMPONENT)),
            custom_config=dict(exec_properties.get("custom_config") or {}),
            data_accessor=DataAccessor(),
        )

        with user_function(
            component=COMPONENT,
            fn_name="run_fn",
            module_file=exec_properties.get("module_file"),
            dotted_path=exec_properties.get("run_fn"),
        ) as run_fn:
            check_run_fn_signature(run_fn, _file_name(run_fn))
            _reset_keras_state()
            logger.info("Trainer: calling run_fn with %s", fn_args)
            enter_phase("work")
            # Keras' train step and TFT's serving layer traced as written, not AutoGraph-
            # rewritten on every trace (15-25 s of a 100-step penguin training; see tf_env.py)
            with libraries_not_autographed(), _saves_timed_as_export():
                returned = call_user_function(run_fn, fn_args, component=COMPONENT,
                                              what="run_fn")
        enter_phase("export")
        check_saved_model(serving_model_dir, returned)


@contextlib.contextmanager
def _saves_timed_as_export() -> Iterator[None]:
    """While run_fn runs under the runner's phase clock, count the time spent saving
    SavedModels (`tf.saved_model.save` and Keras' `model.save`, which both trace and write
    through TensorFlow's `save_and_return_nodes`) as the `export` phase, the rest as `work`."""
    if current_phase() is None:  # no clock: nothing to time
        yield
        return
    from tensorflow.python.saved_model import save as save_lib

    original = save_lib.save_and_return_nodes

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        with in_phase("export"):
            return original(*args, **kwargs)

    save_lib.save_and_return_nodes = timed
    try:
        yield
    finally:
        save_lib.save_and_return_nodes = original


def _reset_keras_state() -> None:
    """Clear Keras' global graph state (layer name counters) left by earlier trainings in
    this process, so two Trainer runs in one process build identical models."""
    import tensorflow as tf

    tf.keras.backend.clear_session()
