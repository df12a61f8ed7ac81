"""User-given local paths, resolved before they are trusted.

A path a user names (an input file, a split pattern's matches, a schema file, a data folder
given to `tfxkit compile`) is checked on its real path: symlinks resolved, `..` collapsed. A
path whose real location leaves the root it was declared under is refused with an error naming
both paths, unless the caller opted in (`follow_symlinks=True`), in which case the real path is
what gets recorded. Plain standard library; no file content is ever read or quoted here.
"""

from __future__ import annotations

import os

from tfxkit.errors import DataError

__all__ = ["is_inside", "is_uri", "real_path", "refuse_outside"]

def is_uri(path: str) -> bool:
    """Whether `path` names an object-store or remote location rather than a local path."""
    return "://" in path[:16]


def real_path(path: str) -> str:
    """`path` with every symlink resolved and `..` collapsed (absolute). A dangling link
    resolves as far as it exists; a symlink loop leaves the looping part as it is."""
    return os.path.realpath(os.path.abspath(path))


def is_inside(path: str, root: str) -> bool:
    """Whether real path `path` is `root` or under it (both already resolved)."""
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # different drives
        return False


def refuse_outside(path: str, root: str, what: str, root_name: str, fix: str,
                   follow_symlinks: bool = False) -> str:
    """Return the real path of `path`; raise DataError when it is not under the real path of
    `root` and `follow_symlinks` is False.

    Args:
        path: the path as the user gave it (or as a pattern matched it).
        root: the folder it must stay in.
        what: how the message names `path` (e.g. "ExampleGen input file").
        root_name: how the message names `root` (e.g. "input_base").
        fix: the "how to fix" sentence appended to the message.
        follow_symlinks: the user's explicit opt-in to read outside `root`.
    """
    real = real_path(path)
    root_real = real_path(root)
    if follow_symlinks or is_inside(real, root_real):
        return real
    raise DataError(f"{what} {path} -> {real} is outside {root_name} {root}"
                    f"{f' (real path {root_real})' if root_real != os.path.abspath(root) else ''}"
                    f"; {fix}")
