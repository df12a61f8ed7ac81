"""Split configuration and input-file resolution shared by the file-based ExampleGens.

Pure Python (no TensorFlow, no pyarrow): the component uses it to fingerprint input files before
anything heavy is imported, and the executor uses it to decide which rows go to which split.

The dict shapes are the JSON mapping of TFX's `example_gen_pb2.Input` and `Output` protos, as
`json_format.ParseDict` reads them (snake_case or lowerCamelCase keys)::

    input_config = {"splits": [{"name": "train", "pattern": "train/*"},
                               {"name": "eval", "pattern": "eval/*"}]}
    output_config = {"split_config": {"splits": [{"name": "train", "hash_buckets": 2},
                                                 {"name": "eval", "hash_buckets": 1}],
                                      "partition_feature_name": "user_id"}}
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import json
import os
import re
from typing import Any

from tfxkit.errors import DataError

DEFAULT_INPUT_SPLITS = ({"name": "single_split", "pattern": "*"},)
DEFAULT_OUTPUT_SPLITS = ({"name": "train", "hash_buckets": 2}, {"name": "eval", "hash_buckets": 1})
_SPLIT_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclasses.dataclass(frozen=True)
class InputSplit:
    """One input split: files under `input_base` matching glob `pattern` (e.g. "train/*.csv")."""

    name: str
    pattern: str


@dataclasses.dataclass(frozen=True)
class OutputSplit:
    """One output split receiving `hash_buckets` of the hash buckets (its share of the rows)."""

    name: str
    hash_buckets: int


@dataclasses.dataclass(frozen=True)
class SplitPlan:
    """How an ExampleGen maps input files to output splits.

    Attributes:
        input_splits: the input splits (one unless the input is already split into folders).
        output_splits: hash-bucket splits of a single input split; empty when the input splits
            are the output splits.
        partition_feature_name: column whose value is hashed instead of the whole row, so every
            row with the same value lands in the same split.
    """

    input_splits: tuple[InputSplit, ...]
    output_splits: tuple[OutputSplit, ...]
    partition_feature_name: str = ""

    @property
    def split_names(self) -> list[str]:
        """Names of the output splits, in order."""
        if self.output_splits:
            return [s.name for s in self.output_splits]
        return [s.name for s in self.input_splits]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _take(data: dict[str, Any], name: str, where: str) -> Any:
    """Read field `name` (snake_case or lowerCamelCase, like ParseDict) from `data`."""
    if name in data:
        return data[name]
    return data.get(_camel(name))


def _check_keys(data: Any, allowed: tuple[str, ...], where: str, example: str) -> dict[str, Any]:
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: expected a dict or its JSON text, found {data!r} ({exc}). "
                            f"Example: {example}") from None
    if not isinstance(data, dict):
        raise DataError(f"{where}: expected a dict, found {type(data).__name__} {data!r}. "
                        f"Example: {example}")
    known = {*allowed, *(_camel(a) for a in allowed)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise DataError(f"{where}: unknown field(s) {unknown}; expected only {list(allowed)}. "
                        f"Example: {example}")
    return data


def _check_name(name: Any, where: str) -> str:
    if not isinstance(name, str) or not _SPLIT_NAME.match(name):
        raise DataError(f"{where}: split name must be a non-empty string of letters, digits, "
                        f"'_', '-' or '.', found {name!r} (it names the folder Split-<name>).")
    return name


def parse_input_config(value: Any) -> tuple[InputSplit, ...]:
    """Parse an `input_config` dict (example_gen_pb2.Input JSON) into input splits."""
    example = '{"splits": [{"name": "train", "pattern": "train/*"}]}'
    if value in (None, {}, ""):
        return tuple(InputSplit(**s) for s in DEFAULT_INPUT_SPLITS)
    data = _check_keys(value, ("splits",), "input_config", example)
    splits = _take(data, "splits", "input_config") or []
    if not isinstance(splits, list) or not splits:
        raise DataError(f"input_config: expected a non-empty list under 'splits', found "
                        f"{splits!r}. Example: {example}")
    result = []
    for i, split in enumerate(splits):
        where = f"input_config.splits[{i}]"
        split = _check_keys(split, ("name", "pattern"), where, example)
        pattern = _take(split, "pattern", where)
        if not isinstance(pattern, str) or not pattern:
            raise DataError(f"{where}: 'pattern' must be a glob relative to input_base such as "
                            f"'train/*.csv', found {pattern!r}.")
        result.append(InputSplit(_check_name(_take(split, "name", where), where), pattern))
    _check_unique([s.name for s in result], "input_config")
    return tuple(result)


def _check_unique(names: list[str], where: str) -> None:
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DataError(f"{where}: split names must be unique, found {dupes} more than once.")


def parse_output_config(value: Any, input_splits: tuple[InputSplit, ...]) -> SplitPlan:
    """Parse an `output_config` dict (example_gen_pb2.Output JSON) against the input splits.

    A single input split with no `split_config` gets TFX's default: train:eval = 2:1 by hash.
    Several input splits are kept as they are, so `split_config` must then be absent.
    """
    example = ('{"split_config": {"splits": [{"name": "train", "hash_buckets": 2}, '
               '{"name": "eval", "hash_buckets": 1}]}}')
    data = {} if value in (None, {}, "") else _check_keys(
        value, ("split_config",), "output_config", example)
    split_config = _take(data, "split_config", "output_config") or {}
    split_config = _check_keys(split_config, ("splits", "partition_feature_name"),
                               "output_config.split_config", example) if split_config else {}
    partition = _take(split_config, "partition_feature_name", "output_config") or ""
    if not isinstance(partition, str):
        raise DataError(f"output_config.split_config.partition_feature_name must be a column "
                        f"name (str), found {partition!r}.")
    raw_splits = _take(split_config, "splits", "output_config") or []
    if len(input_splits) > 1:
        if raw_splits or partition:
            raise DataError(
                f"output_config: the input is already split into {[s.name for s in input_splits]}"
                f" by input_config, so output_config.split_config must be empty (found "
                f"{split_config}). Remove output_config, or use one input split and let "
                f"output_config split it by hash.")
        return SplitPlan(input_splits, ())
    if not raw_splits:
        raw_splits = list(DEFAULT_OUTPUT_SPLITS)
    if not isinstance(raw_splits, list):
        raise DataError(f"output_config.split_config.splits must be a list, found "
                        f"{raw_splits!r}. Example: {example}")
    splits = []
    for i, split in enumerate(raw_splits):
        where = f"output_config.split_config.splits[{i}]"
        split = _check_keys(split, ("name", "hash_buckets"), where, example)
        buckets = _take(split, "hash_buckets", where)
        if isinstance(buckets, str) and buckets.isdigit():
            buckets = int(buckets)  # the proto JSON mapping may carry integers as strings
        if isinstance(buckets, bool) or not isinstance(buckets, int) or buckets <= 0:
            raise DataError(f"{where}: 'hash_buckets' must be a positive int (this split's share"
                            f" of the rows), found {buckets!r}.")
        splits.append(OutputSplit(_check_name(_take(split, "name", where), where), buckets))
    _check_unique([s.name for s in splits], "output_config.split_config")
    return SplitPlan(input_splits, tuple(splits), partition)


def resolve_input_files(
    input_base: str, input_splits: tuple[InputSplit, ...]
) -> dict[str, list[str]]:
    """Return split name -> sorted input files matching its pattern under `input_base`.

    Raises DataError when `input_base` is missing or not a directory, or a pattern matches no
    file (directories and hidden files are ignored).
    """
    if not input_base or not os.path.exists(input_base):
        raise DataError(f"ExampleGen input_base: directory {input_base!r} does not exist. Pass "
                        f"input_base= the folder holding your data files.")
    if not os.path.isdir(input_base):
        raise DataError(f"ExampleGen input_base: expected a directory, found the file "
                        f"{input_base!r}. Pass its folder, {os.path.dirname(input_base)!r}.")
    files: dict[str, list[str]] = {}
    for split in input_splits:
        matched = sorted(
            path for path in glob.glob(os.path.join(input_base, split.pattern), recursive=True)
            if os.path.isfile(path) and not os.path.basename(path).startswith(".")
        )
        if not matched:
            present = sorted(os.listdir(input_base))[:10]
            raise DataError(
                f"ExampleGen input split {split.name!r}: pattern {split.pattern!r} matches no file"
                f" under {input_base!r} (it holds {present or 'nothing'}). Put data files there, "
                f"or set input_config={{'splits': [{{'name': ..., 'pattern': 'sub/*.csv'}}]}}.")
        files[split.name] = matched
    return files


def content_fingerprint(input_base: str, input_config: Any) -> str:
    """sha256 over every matched input file's relative name and bytes (streamed, hashlib only).

    Editing a file changes it; touching its mtime or moving `input_base` does not.
    """
    splits = parse_input_config(input_config)
    digest = hashlib.sha256()
    for split, paths in resolve_input_files(input_base, splits).items():
        for path in paths:
            digest.update(f"{split}\0{os.path.relpath(path, input_base)}\0".encode())
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
            digest.update(b"\0")
    return digest.hexdigest()
