"""The process environment TensorFlow needs, set once for every executor that runs it.

The stack pins TensorFlow 2.16 with tf-keras 2.16: Keras 2 is used through
`TF_USE_LEGACY_KERAS=1`, which must be in the environment before TensorFlow is imported. It is
set only when unset, so a user's own value wins. Executors import TensorFlow inside `Do`, after
the executor object was constructed.
"""

from __future__ import annotations

import os

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
