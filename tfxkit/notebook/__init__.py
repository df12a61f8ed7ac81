"""Notebook support: `InteractiveContext` runs components one at a time and shows artifacts.

    from tfxkit.notebook import InteractiveContext

Importing this package loads no TensorFlow; running a component or showing an artifact imports
what that step needs.
"""

from tfxkit.notebook.context import ExecutionResult, InteractiveContext

__all__ = ["ExecutionResult", "InteractiveContext"]
