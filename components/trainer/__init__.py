"""Trainer component: train a model with the user's run_fn."""

from tfxkit.components.trainer.component import Trainer

__all__ = ["Trainer"]
