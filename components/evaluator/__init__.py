"""Evaluator component: TFMA evaluation and model blessing."""

from tfxkit.components.evaluator.component import Evaluator

__all__ = ["Evaluator"]
