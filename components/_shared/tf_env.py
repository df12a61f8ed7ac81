"""The process environment TensorFlow needs, set once for every executor that runs it.

The stack pins TensorFlow 2.16 with tf-keras 2.16: Keras 2 is used through
`TF_USE_LEGACY_KERAS=1`, which must be in the environment before TensorFlow is imported. It is
set only when unset, so a user's own value wins. Executors import TensorFlow inside `Do`, after
the executor object was constructed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from tfxkit.dsl.base_executor import BaseExecutor, ExecutorContext

TF_ENVIRONMENT = {"TF_USE_LEGACY_KERAS": "1"}


def set_tf_environment() -> None:
    """Set each of `TF_ENVIRONMENT` that the environment does not already set."""
    for name, value in TF_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


class TensorFlowExecutor(BaseExecutor):
    """Base of the executors that run TensorFlow (Transform, Trainer, Evaluator): constructing
    one sets TensorFlow's environment (`set_tf_environment`) before its `Do` imports TF."""

    def __init__(self, context: ExecutorContext | None = None) -> None:
        super().__init__(context)
        set_tf_environment()


# Libraries written for graph mode, whose code AutoGraph need not rewrite. TensorFlow 2.16's own
# do-not-convert list names `keras` but not `tf_keras` (Keras 2 under TF_USE_LEGACY_KERAS), so
# every `fit` converted Keras' whole train step (about 930 functions, 15-25 s on our machine) and
# a serving signature calling a TFT layer converted TFT and tfx-bsl (5-8 s). These libraries
# call AutoGraph themselves where they run user code (a custom layer's `call`, a loss function),
# so user code is still converted; a library line that needed conversion would raise in graph
# mode rather than compute something else.
GRAPH_MODE_LIBRARIES = ("tf_keras", "tensorflow_transform", "tfx_bsl", "tensorflow_metadata",
                        "tensorflow_model_analysis")


@contextlib.contextmanager
def libraries_not_autographed(modules: tuple[str, ...] = GRAPH_MODE_LIBRARIES) -> Iterator[None]:
    """While the block runs, AutoGraph calls the functions of `modules` as they are (a
    `DoNotConvert` rule each, as TensorFlow has for `tensorflow` and `keras`) instead of
    rewriting them; the rules are removed afterwards (functions first met inside the block stay
    unconverted: AutoGraph caches that decision). A TensorFlow without this internal list leaves
    everything as it was."""
    try:
        from tensorflow.python.autograph.core import config
    except ImportError:  # pragma: no cover - the pinned TensorFlow has it
        yield
        return
    saved = config.CONVERSION_RULES
    config.CONVERSION_RULES = (*(config.DoNotConvert(name) for name in modules), *saved)
    try:
        yield
    finally:
        config.CONVERSION_RULES = saved
