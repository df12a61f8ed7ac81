"""Pusher: deliver a blessed model to a TF Serving model folder."""

from __future__ import annotations

import os
from typing import Any

from tfxkit.components.pusher.registry import resolve_base_directory
from tfxkit.components.pusher.spec import PusherSpec
from tfxkit.dsl.base_component import BaseComponent
from tfxkit.dsl.runtime_parameter import RuntimeParameter
from tfxkit.errors import ComponentArgumentError
from tfxkit.types.channel import Channel


def check_push_destination(destination: Any, where: str, *, for_writing: bool = True) -> Any:
    """Check a push destination when the pipeline is built; return it with its base directory
    made absolute.

    A local base directory may be missing (the Pusher creates it) but must not be a file or lie
    under a file, and (`for_writing`) its nearest existing folder must be writable. A relative
    path is resolved against the current working directory, the folder the run starts from, as
    `pipeline_root` is, and stored absolute, so the Pusher, the Evaluator's baseline lookup and
    `tfxkit models` all see the same folder whatever directory a worker runs in. Object-store
    URIs (`gs://`, `s3://`) are left to the executor. Raises ComponentArgumentError.
    """
    base = resolve_base_directory(destination, where)
    if "://" in base:
        return destination
    if "\0" in base:
        raise ComponentArgumentError(
            f"{where}: {base!r} contains a NUL character; expected a directory path.")
    absolute = os.path.abspath(os.path.expanduser(base))
    real = os.path.realpath(absolute)
    shown = absolute if real == absolute else f"{absolute} (real path {real})"
    if os.path.exists(real) and not os.path.isdir(real):
        raise ComponentArgumentError(
            f"{where}: push destination {shown} is a file; expected a directory (it is created "
            f"if missing). Fix: point base_directory at a folder, e.g. "
            f"{os.path.join(os.path.dirname(absolute), 'serving_model')!r}.")
    existing = real
    while not os.path.exists(existing):
        parent = os.path.dirname(existing)
        if parent == existing:
            break
        existing = parent
    if existing != real and not os.path.isdir(existing):
        raise ComponentArgumentError(
            f"{where}: push destination {shown} is under the file {existing}; expected a "
            f"directory (it is created if missing), which cannot be made inside a file. Fix: "
            f"choose a folder outside {existing}.")
    if for_writing and os.path.isdir(existing) and not os.access(existing, os.W_OK | os.X_OK):
        raise ComponentArgumentError(
            f"{where}: push destination {shown} cannot be written: {existing} is not writable "
            f"by this user. Fix: choose a writable folder or change its permissions.")
    if isinstance(destination, dict):
        return {**destination, "filesystem": {**destination["filesystem"],
                                               "base_directory": absolute}}
    return absolute


class Pusher(BaseComponent):
    """Push a model that passed evaluation to a filesystem destination (TF Serving layout).

    Inputs:
        model (Model): `{uri}/Format-Serving/` SavedModel from the Trainer.
        model_blessing (ModelBlessing, optional): the Evaluator's verdict. NOT_BLESSED models
            are not pushed (the run still succeeds); without a blessing the model is pushed.

    Outputs:
        pushed_model (PushedModel): custom properties `pushed` (1/0), `pushed_destination`
            (the version folder), `pushed_version` (int), `pushed_reason` when skipped;
            `{uri}/` holds a copy of the pushed SavedModel.

    Parameters:
        push_destination: a path, or TFX's `{"filesystem": {"base_directory": path}}`. Checked
            when the pipeline is built: a file (or a path under a file) or an unwritable folder
            is refused; a relative local path is resolved against the current working directory
            (where the run starts, as `pipeline_root`) and stored absolute.
        custom_config: free-form settings (unused by the filesystem push).

    On disk: `<base_directory>/<version>/saved_model.pb`, versions 1, 2, 3, ... (next = highest
    existing + 1). A version appears only once fully copied (staged in a hidden folder, then
    renamed), and concurrent pushes get distinct versions. List them with
    `tfxkit.components.pusher.registry.list_pushed_versions(destination)`.
    """

    SPEC_CLASS = PusherSpec
    EXECUTOR = "tfxkit.components.pusher.executor.Executor"

    def __init__(
        self,
        *,
        model: Channel,
        push_destination: dict[str, Any] | str | RuntimeParameter,
        model_blessing: Channel | None = None,
        custom_config: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(push_destination, RuntimeParameter):
            push_destination = check_push_destination(push_destination, "Pusher")
        super().__init__(model=model, model_blessing=model_blessing,
                         push_destination=push_destination, custom_config=custom_config)
