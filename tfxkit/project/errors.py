"""Errors of `tfxkit new` and `tfxkit update`."""

from __future__ import annotations

from tfxkit.errors import TfxkitError


class TemplateError(TfxkitError):
    """A template could not be found, rendered or applied; the message says what to do."""
