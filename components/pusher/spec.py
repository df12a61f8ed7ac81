"""PusherSpec: a Model (and optionally its ModelBlessing) in, a PushedModel record out."""

from __future__ import annotations

from tfxkit.dsl.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter
from tfxkit.types.standard_artifacts import Model, ModelBlessing, PushedModel


class PusherSpec(ComponentSpec):
    """Inputs `model`, `model_blessing` (optional); output `pushed_model`; parameters
    `push_destination` (path or TFX PushDestination JSON) and `custom_config`."""

    PARAMETERS = {
        "push_destination": ExecutionParameter(
            type=(dict, str),
            description="where to push: a path, or {'filesystem': {'base_directory': path}}",
        ),
        "custom_config": ExecutionParameter(type=dict, optional=True,
                                            description="free-form settings"),
    }
    INPUTS = {
        "model": ChannelParameter(type=Model, description="the model to push"),
        "model_blessing": ChannelParameter(
            type=ModelBlessing, optional=True,
            description="the Evaluator's verdict; without it the model is pushed"),
    }
    OUTPUTS = {
        "pushed_model": ChannelParameter(type=PushedModel,
                                         description="record of the push (or of not pushing)"),
    }
