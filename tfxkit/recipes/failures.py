"""Who is to blame when user code fails inside a recipe.

A step module (`steps/model.py`) calls recipe functions (`train_and_export`, ...). When an
exception's innermost frame outside installed libraries is in `tfxkit/recipes`, the failure
happened in tfxkit's code, not in the line of the user's module that called it: the executor
must not report a `UserCodeError` telling the user to fix that line. `recipe_failure` builds
the error to raise instead. Pure Python: nothing here imports TensorFlow.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path

from tfxkit.errors import ExecutionError, TfxkitError

_RECIPES = (str(Path(__file__).resolve().parent) + os.sep,
            str(Path(__file__).absolute().parent) + os.sep)
_LIBRARY_MARKERS = (f"{os.sep}site-packages{os.sep}", f"{os.sep}dist-packages{os.sep}",
                    f"{os.sep}lib{os.sep}python3")
# Known messages of data problems that reach a recipe, and what to do about them.
_HINTS = (
    ("label value of -1", "rows without a label reached training. Mark the label column "
     "required so ExampleValidator stops such data (the templates' ExampleValidator "
     "required_features=[label_key]), clean the data, or set drop_rows_without_label = True "
     "(a tfxkit project's steps/data.py) to drop those rows."),
)


def _is_recipe(filename: str) -> bool:
    return filename.startswith(_RECIPES)


def _is_library(filename: str) -> bool:
    return filename.startswith("<") or "__autograph_generated" in filename or any(
        marker in filename for marker in _LIBRARY_MARKERS)


def recipe_frames(exc: BaseException) -> tuple[traceback.FrameSummary, traceback.FrameSummary
                                               | None] | None:
    """(recipe frame, calling frame of the user's code or None) when the innermost frame of
    `exc` outside installed libraries is in `tfxkit/recipes`; None when it is the user's own."""
    frames = traceback.extract_tb(exc.__traceback__)
    for index in range(len(frames) - 1, -1, -1):
        frame = frames[index]
        if _is_recipe(frame.filename):
            caller = next((f for f in reversed(frames[:index])
                           if not _is_recipe(f.filename) and not _is_library(f.filename)
                           and f"{os.sep}tfxkit{os.sep}" not in f.filename
                           and f"{os.sep}components{os.sep}" not in f.filename), None)
            return frame, caller
        if not _is_library(frame.filename):
            return None
    return None


def recipe_failure(exc: BaseException, component: str, what: str) -> TfxkitError | None:
    """The error to raise for `exc`, raised while `component` ran user code (`what`, e.g.
    "run_fn"), when it failed inside a tfxkit recipe; None when the user's code is to blame.

    A TfxkitError the recipe raised on purpose (e.g. a DataError naming a column) keeps its
    class and message, prefixed with the component. Anything else becomes an ExecutionError
    naming the recipe function and the line of the user's module that called it, saying that
    the user's code is not at fault, with a hint for known data problems.
    """
    found = recipe_frames(exc)
    if found is None:
        return None
    frame, caller = found
    if isinstance(exc, TfxkitError):
        return type(exc)(f"{component}: {exc}")
    first_line = next(iter(str(exc).strip().splitlines()), "")
    called = f", called from {caller.filename}, line {caller.lineno}" if caller else ""
    hint = next((text for needle, text in _HINTS if needle in str(exc)), None)
    advice = (f"The data is at fault: {hint}" if hint else
              "Check the data this run read (ExampleValidator's anomalies: `tfxkit show "
              "<anomalies uri>`); if it is as expected, this is a tfxkit bug: report it with "
              "the full traceback (rerun with -v).")
    return ExecutionError(
        f"{component}: {what} failed inside tfxkit's recipe {Path(frame.filename).name} "
        f"({frame.name}, line {frame.lineno}){called}: {type(exc).__name__}: {first_line}\n"
        f"This is not an error in your code. {advice}")


__all__ = ["recipe_failure", "recipe_frames"]
