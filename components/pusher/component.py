"""Pusher: deliver a blessed model to a TF Serving model folder."""

from __future__ import annotations

from typing import Any

from tfxkit.components._shared.model_registry import check_push_destination
from tfxkit.components.pusher.spec import PusherSpec
from tfxkit.dsl.base_component import BaseComponent
from tfxkit.dsl.runtime_parameter import RuntimeParameter
from tfxkit.types.channel import Channel


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
