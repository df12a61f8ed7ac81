"""Locate the files of an Examples artifact's splits, with errors that say which split is missing."""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping
from typing import TypeVar

from tfxkit.errors import ExecutionError
from tfxkit.types.artifact import Artifact
from tfxkit.types.standard_artifacts import Examples

A = TypeVar("A", bound=Artifact)


def split_names(examples: Artifact) -> list[str]:
    """Split names of `examples`: its `split_names` property, else the `Split-*` folders."""
    names = examples.split_names if isinstance(examples, Examples) else []
    if names:
        return names
    return sorted(
        entry[len("Split-"):] for entry in os.listdir(examples.uri) if entry.startswith("Split-")
    ) if os.path.isdir(examples.uri) else []


def split_file_pattern(examples: Artifact, split: str, component: str, parameter: str) -> str:
    """Glob of the files of split `split` (`{uri}/Split-{split}/*`), checked to match files.

    Raises ExecutionError naming the available splits when the split is absent or empty.
    """
    available = split_names(examples)
    pattern = os.path.join(examples.uri, f"Split-{split}", "*")
    if split not in available or not glob.glob(pattern):
        raise ExecutionError(
            f"{component}: {parameter} asks for split {split!r} of Examples at {examples.uri}, "
            f"but it has {'no files there' if split in available else 'no such split'} "
            f"(splits available: {', '.join(available) or 'none'}). Use one of the available "
            f"splits in {parameter}, or produce {split!r} upstream (ExampleGen output_config)."
        )
    return pattern


def single(artifacts: Mapping[str, list[A]], key: str, component: str) -> A | None:
    """The one artifact under `key` of an input/output dict, or None when the key is absent."""
    group = artifacts.get(key) or []
    if len(group) > 1:
        raise ExecutionError(
            f"{component}: expected one {key!r} artifact, found {len(group)} "
            f"({', '.join(a.uri for a in group)}). Connect a single upstream output."
        )
    return group[0] if group else None
