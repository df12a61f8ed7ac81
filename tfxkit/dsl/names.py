"""Names users give (pipeline names, component ids, parameter names, split names, environment
variable names), validated as whole strings.

Every check matches the entire string (`re.fullmatch`), so a trailing newline or an embedded
control character cannot slip past a `^...$` pattern, and the error names the first offending
character and its position: control characters (including invisible format characters such as
right-to-left overrides) and path separators are refused wherever they occur, because these
names become directory names, ML Metadata context names, Kubeflow task names and log lines.
"""

from __future__ import annotations

import difflib
import keyword
import re
import unicodedata

from tfxkit.errors import PipelineDefinitionError

ID_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,99}")
ID_RULE = ("a letter followed by up to 99 letters, digits, '_' or '-' (it names a directory "
           "under the pipeline root, so '/', '.' and spaces are not allowed)")
SPLIT_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
SPLIT_RULE = ("1 to 100 letters, digits, '_', '.' or '-', not starting with '.' or '-' (it names "
              "the folder Split-<name>)")
ENV_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ENV_RULE = "letters, digits and '_', not starting with a digit"
_SEPARATORS = {"/": "a path separator", "\\": "a path separator"}


def first_bad_character(value: str) -> str | None:
    """Describe the first control character or path separator in `value`, or None.

    Control characters are Unicode category C* (Cc controls such as newline and NUL, Cf format
    characters such as U+202E RIGHT-TO-LEFT OVERRIDE, unassigned and private-use code points).
    """
    for position, char in enumerate(value):
        if char in _SEPARATORS:
            return f"{char!r} ({_SEPARATORS[char]}) at position {position}"
        category = unicodedata.category(char)
        if category.startswith("C"):
            name = unicodedata.name(char, f"U+{ord(char):04X}")
            return f"{char!r} (control character {name}) at position {position}"
    return None


def _found(value: object, pattern: re.Pattern[str]) -> str:
    """What is wrong with `value`: its type, a control character or separator, emptiness, or
    the first character at which no string matching `pattern` can continue."""
    if not isinstance(value, str):
        return f"{type(value).__name__} {value!r}"
    bad = first_bad_character(value)
    if bad:
        return f"{value!r}, which contains {bad}"
    if not value:
        return "an empty string"
    for position, char in enumerate(value):
        # the first character that no valid name has at this position
        probe = value[:position] + char
        if not any(pattern.fullmatch(probe + tail) for tail in ("", "a", "a0", "0")):
            if pattern.fullmatch(value[:position]) and position >= 1 and char.isalnum():
                return f"{value!r}, which is too long ({len(value)} characters)"
            return f"{value!r}, which has {char!r} at position {position}"
    return f"{value!r}"


def suggest_id(value: object) -> str:
    """A valid id close to `value` (invalid characters become '_'), for the fix in messages."""
    text = re.sub(r"[^A-Za-z0-9_-]+", "_", str(value)).strip("_-") or "node"
    if not text[0].isalpha():
        text = f"n{text}"
    return text[:100]


def check_name(value: object, what: str, pattern: re.Pattern[str], rule: str,
               example: str) -> str:
    """Return `value` if the WHOLE string matches `pattern`; raise PipelineDefinitionError.

    The message says what `what` expects (`rule`), what was found (the first offending
    character and its position) and a fix (`example`).
    """
    if isinstance(value, str) and pattern.fullmatch(value) and first_bad_character(value) is None:
        return value
    raise PipelineDefinitionError(
        f"{what} {value!r} is not a valid name: expected {rule}; found {_found(value, pattern)}. "
        f"Fix: use a name such as {example!r}."
    )


def check_id(value: object, what: str) -> str:
    """Return `value` if it is safe as an id and a directory name (whole string); raise
    PipelineDefinitionError ('... is not a valid id ...') otherwise."""
    if isinstance(value, str) and ID_PATTERN.fullmatch(value):
        return value
    raise PipelineDefinitionError(
        f"{what} {value!r} is not a valid id: expected {ID_RULE}; found "
        f"{_found(value, ID_PATTERN)}. Fix: use an id such as {suggest_id(value)!r}."
    )


def check_identifier(value: object, what: str) -> str:
    """Return `value` if it is a Python identifier and not a keyword (component arguments and
    runtime parameters are keyword arguments); raise PipelineDefinitionError otherwise."""
    if isinstance(value, str) and value.isidentifier() and not keyword.iskeyword(value):
        return value
    found = _found(value, re.compile(r"[A-Za-z_]\w*"))
    example = re.sub(r"[^A-Za-z0-9_]+", "_", str(value)).strip("_") or "train_steps"
    if isinstance(value, str) and keyword.iskeyword(value):
        found, example = f"{value!r}, a Python keyword", f"{value}_"
    elif example[0].isdigit():
        example = f"p_{example}"
    raise PipelineDefinitionError(
        f"{what} {value!r} is not a valid name: expected a Python identifier (letters, digits "
        f"and '_', not starting with a digit, not a keyword); found {found}. Fix: use a name "
        f"such as {example!r}."
    )


def check_split_name(value: object, what: str) -> str:
    """Return `value` if it is a valid split name (whole string); raise otherwise."""
    return check_name(value, what, SPLIT_PATTERN, SPLIT_RULE, "eval")


def check_env_name(value: object, what: str) -> str:
    """Return `value` if it is a valid environment variable name (whole string)."""
    return check_name(value, what, ENV_PATTERN, ENV_RULE, "MY_SETTING")


__all__ = [
    "ID_PATTERN",
    "check_env_name",
    "check_id",
    "check_identifier",
    "check_name",
    "check_split_name",
    "first_bad_character",
    "suggest_id",
]


def did_you_mean(name: str, choices: list[str]) -> str:
    """" Did you mean 'X'?" for the closest of `choices` to a mistyped `name` (difflib's
    default cutoff), or "" when none is close; appended to errors that list the valid names."""
    close = difflib.get_close_matches(name, choices, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""
