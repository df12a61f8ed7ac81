"""Pushed model versions and their aliases: the public name of the model registry.

The registry itself lives in `tfxkit.components._shared.model_registry` (one home, shared by the
Pusher, the Evaluator's baseline lookup, serving and `tfxkit models`); this module keeps its
documented import path, `from tfxkit.components.pusher.registry import promote, aliases`.
"""

from tfxkit.components._shared import model_registry
from tfxkit.components._shared.model_registry import *  # noqa: F403 - the public names

__all__ = model_registry.__all__
