"""The ModelBlessing verdict, as the Evaluator writes it and the Pusher and BulkInferrer read it.

TFX's layout: an empty marker file `{uri}/BLESSED` or `{uri}/NOT_BLESSED`, and the custom
property `blessed` (1 or 0). Pure Python.
"""

from __future__ import annotations

import os

from tfxkit.types.artifact import Artifact

BLESSED_FILE = "BLESSED"
NOT_BLESSED_FILE = "NOT_BLESSED"


def is_blessed(blessing: Artifact) -> bool:
    """Whether a ModelBlessing says BLESSED: its `blessed` property, else its marker file."""
    value = blessing.get_custom_property("blessed")
    if value is not None:
        return int(value) == 1
    return os.path.exists(os.path.join(blessing.uri, BLESSED_FILE))
