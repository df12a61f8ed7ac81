"""Errors tfxkit raises. Every message says what was expected, what was found, where, and how
to fix it, so a user can act on it without reading tfxkit's source."""

from __future__ import annotations


class TfxkitError(Exception):
    """Base of every error tfxkit raises on purpose."""


class ComponentDefinitionError(TfxkitError, TypeError):
    """A component class, spec or `@component` function is malformed (raised at definition)."""


class ComponentArgumentError(TfxkitError, TypeError):
    """A component was constructed with unknown, missing or mistyped arguments."""


class PipelineDefinitionError(TfxkitError, ValueError):
    """A pipeline is malformed: duplicate ids, cycles, missing upstream components, bad names."""


class ExecutionError(TfxkitError, RuntimeError):
    """A component's executor failed; the message names the component and the cause."""


class MetadataError(TfxkitError, RuntimeError):
    """The ML Metadata store could not be reached or holds something unexpected."""


class UserCodeError(ExecutionError):
    """User code (`preprocessing_fn`, `run_fn`, ...) raised or could not be loaded; the message
    names the user's file and line and the original exception is chained as `__cause__`."""


class DataError(TfxkitError, ValueError):
    """Input data is missing or malformed, or fails validation; the message names the file,
    line or split, what was expected and found, and how to fix it."""
