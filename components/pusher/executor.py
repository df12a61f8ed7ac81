"""Pusher executor: copy a blessed model to `<destination>/<version>/`, record the push."""

from __future__ import annotations

import logging
import os
import shutil
from typing import Any

from tfxkit import fs
from tfxkit.components._shared.blessing import is_blessed
from tfxkit.components._shared.examples import single
from tfxkit.components._shared.model_registry import (
    check_push_destination,
    push_directory,
    resolve_base_directory,
)
from tfxkit.dsl.base_executor import BaseExecutor
from tfxkit.errors import ExecutionError
from tfxkit.types.artifact import Artifact

logger = logging.getLogger(__name__)

SERVING_DIR = "Format-Serving"


class Executor(BaseExecutor):
    """Pushes `model` (its `Format-Serving/` SavedModel) unless `model_blessing` says
    NOT_BLESSED.

    Pushed: the SavedModel lands at `<base_directory>/<version>/` (next integer version, claimed
    atomically) and a copy at `{pushed_model.uri}/`; custom properties `pushed`=1,
    `pushed_destination` (the version folder) and `pushed_version` (int). Not blessed: nothing is
    copied, `pushed`=0 and `pushed_reason` says why; the execution still succeeds.
    """

    def Do(
        self,
        input_dict: dict[str, list[Artifact]],
        output_dict: dict[str, list[Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        """Push or skip; see the class docstring."""
        model = single(input_dict, "model", "Pusher")
        if model is None:
            raise ExecutionError("Pusher: input 'model' is empty; connect trainer.outputs['model'].")
        blessing = single(input_dict, "model_blessing", "Pusher")
        pushed_model = single(output_dict, "pushed_model", "Pusher")
        assert pushed_model is not None
        # checked at construction too; a RuntimeParameter destination is first seen here
        base = resolve_base_directory(check_push_destination(
            exec_properties.get("push_destination"), "Pusher"), "Pusher: push_destination")

        if blessing is not None and not is_blessed(blessing):
            reason = blessing.get_custom_property("blessing_reason", "")
            message = (f"model at {model.uri} is NOT_BLESSED by the Evaluator (blessing at "
                       f"{blessing.uri}{': ' + reason if reason else ''}); not pushed to {base}")
            logger.warning("Pusher: %s", message)
            pushed_model.set_custom_property("pushed", 0)
            pushed_model.set_custom_property("pushed_reason", message)
            pushed_model.set_custom_property("pushed_destination", "")
            pushed_model.set_custom_property("note", "not pushed: the model is NOT_BLESSED")
            return

        source = os.path.join(model.uri, SERVING_DIR)
        if not os.path.isdir(source):
            raise ExecutionError(
                f"Pusher: expected the serving SavedModel at {source}, found nothing. The "
                f"Trainer's run_fn must save the model to fn_args.serving_model_dir."
            )
        version, path = push_directory(source, base)
        if fs.is_object_store(base):  # pushed through a launcher mount: record the URI
            path = f"{base.rstrip('/')}/{version}"
        os.makedirs(pushed_model.uri, exist_ok=True)
        shutil.copytree(source, pushed_model.uri, dirs_exist_ok=True)
        pushed_model.set_custom_property("pushed", 1)
        pushed_model.set_custom_property("pushed_destination", path)
        pushed_model.set_custom_property("pushed_version", version)
        pushed_model.set_custom_property("note", f"pushed version {version} to {path}")
        logger.info("Pusher: pushed %s as version %d to %s", source, version, path)
