"""An executor that imports TensorFlow when its module is imported (to prove cached runs don't)."""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from tfxkit.dsl.base_executor import BaseExecutor


class Executor(BaseExecutor):
    """Writes TensorFlow's version into the model directory."""

    def Do(self, input_dict, output_dict, exec_properties):  # type: ignore[no-untyped-def]
        (Path(output_dict["model"][0].uri) / "tf_version.txt").write_text(tf.__version__)
