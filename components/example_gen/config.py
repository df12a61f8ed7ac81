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
import fnmatch
import hashlib
import json
import os
import posixpath
import re
from collections.abc import Iterator
from typing import Any

from tfxkit import fs
from tfxkit.errors import DataError
from tfxkit.paths import is_inside, real_path

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
    if not isinstance(name, str) or not _SPLIT_NAME.fullmatch(name):  # whole string: no "\n"
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
        check_pattern(pattern, f"{where}.pattern")
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


def check_pattern(pattern: str, where: str) -> str:
    """Return `pattern` if it is a glob that stays inside input_base; raise DataError for an
    absolute pattern or one whose `..` leads out (`../x/*.csv`, `sub/../../x`). Symlinks that
    lead out are caught on the real paths of the matched files (`match_input_files`)."""
    fix = ("patterns must be relative and stay inside it (e.g. 'train/*.csv'). Copy the files "
           "under input_base, or set input_base to a folder that holds every split.")
    if os.path.isabs(pattern):
        raise DataError(f"{where} {pattern!r} is an absolute path, so it leaves input_base; {fix}")
    normalized = posixpath.normpath(pattern.replace(os.sep, "/"))
    if normalized == ".." or normalized.startswith("../"):
        raise DataError(f"{where} {pattern!r} leaves input_base; {fix}")
    return pattern


@dataclasses.dataclass
class InputFiles:
    """The files an ExampleGen reads, as matched and as they really are.

    Attributes:
        files: split name -> matched paths (under input_base, sorted, one per real file).
        real: matched path -> its real path (symlinks resolved).
        outside: matched path -> real path, for files outside input_base that were read
            because the user opted in with follow_symlinks=True (recorded in lineage).
        skipped_loops: folders not entered again because a symlink led back to an ancestor.
    """

    files: dict[str, list[str]]
    real: dict[str, str] = dataclasses.field(default_factory=dict)
    outside: dict[str, str] = dataclasses.field(default_factory=dict)
    skipped_loops: list[str] = dataclasses.field(default_factory=list)


_MAGIC = re.compile(r"[*?[]")


def _names(folder: str) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError:  # unreadable, vanished, or a symlink loop (ELOOP)
        return []


def _glob(folder: str, parts: list[str], ancestors: frozenset[str],
          loops: list[str]) -> Iterator[str]:
    """Like `glob.glob(os.path.join(folder, *parts), recursive=True)` without hidden names, but
    `**` never re-enters a folder a symlink leads back to (so a symlink loop ends)."""
    if not parts:
        return
    part, rest = parts[0], parts[1:]
    if part == "**":
        rest = rest or ["*"]
        yield from _glob(folder, rest, ancestors, loops)  # `**` as zero folders
        for name in _names(folder):
            sub = os.path.join(folder, name)
            if name.startswith(".") or not os.path.isdir(sub):
                continue
            real = os.path.realpath(sub)
            if real in ancestors:
                loops.append(sub)
                continue
            yield from _glob(sub, parts, ancestors | {real}, loops)
        return
    if _MAGIC.search(part):
        names = [n for n in _names(folder) if fnmatch.fnmatchcase(n, part)
                 and (part.startswith(".") or not n.startswith("."))]
    else:
        names = [part] if os.path.lexists(os.path.join(folder, part)) else []
    for name in names:
        path = os.path.join(folder, name)
        if not rest:
            yield path
        elif os.path.isdir(path):
            yield from _glob(path, rest, ancestors, loops)


def check_input_base(input_base: str) -> None:
    """Raise DataError unless local `input_base` is an existing directory (an object-store URI
    passes unless a KFP launcher mount shows it missing). Called when a run starts, before any
    node runs, and again when the files are matched."""
    if fs.is_object_store(input_base):
        mounted = fs.local_path(input_base)
        if mounted is None:
            return
        input_base = mounted
    if not input_base or not os.path.exists(input_base):
        raise DataError(f"ExampleGen input_base: directory {input_base!r} does not exist. Pass "
                        f"input_base= the folder holding your data files.")
    if not os.path.isdir(input_base):
        raise DataError(f"ExampleGen input_base: expected a directory, found the file "
                        f"{input_base!r}. Pass its folder, {os.path.dirname(input_base)!r}.")


def match_input_files(input_base: str, input_splits: tuple[InputSplit, ...],
                      follow_symlinks: bool = False, stage_dir: str | None = None) -> InputFiles:
    """Match each split's pattern under `input_base` and check every match on its real path.

    Directories, hidden files and dangling links are ignored; files reached twice (two links
    to one file, a symlink loop) are read once, by real path.

    `input_base` may be an object-store URI (`gs://`, `s3://`, `minio://`, see `tfxkit.fs`):
    under a KFP launcher mount it is matched as that local folder (same rules); otherwise the
    store is listed and, with `stage_dir`, the matched objects are copied to
    `<stage_dir>/<scheme>/<bucket>/<path>` and those local paths returned (without it, the URIs).

    Raises:
        DataError: `input_base` is missing or not a directory; a pattern leaves input_base or
            matches no file; a matched file's real path is outside input_base (a symlink leads
            out) and `follow_symlinks` is False; one file is matched by two splits. Messages name
            paths only, never file content.
    """
    if fs.is_object_store(input_base):
        mounted = fs.local_path(input_base)
        if mounted is None:
            return _match_in_store(input_base, input_splits, stage_dir)
        input_base = mounted
    check_input_base(input_base)
    base_real = real_path(input_base)
    found = InputFiles({})
    owner: dict[str, str] = {}  # real path -> split that has it
    refused: list[str] = []
    for split in input_splits:
        check_pattern(split.pattern, f"ExampleGen input split {split.name!r}: pattern")
        parts = [p for p in split.pattern.replace(os.sep, "/").split("/") if p not in ("", ".")]
        matched: list[str] = []
        for path in sorted(set(_glob(input_base, parts, frozenset({base_real}),
                                     found.skipped_loops))):
            if os.path.basename(path).startswith(".") or not os.path.isfile(path):
                continue
            real = real_path(path)
            if not is_inside(real, base_real):
                if not follow_symlinks:
                    refused.append(f"{path} -> {real}")
                    continue
                found.outside[path] = real
            if owner.get(real) == split.name:
                continue  # a second way to the same file
            if real in owner:
                first = next(p for p, r in found.real.items() if r == real)
                how = (f"{path} is matched by split {split.name!r} and" if first == path else
                       f"{path} (real path {real}) is matched by split {split.name!r} and, as "
                       f"{first},")
                raise DataError(
                    f"ExampleGen input_config: {how} by split {owner[real]!r}; a file must "
                    f"belong to one split (its rows would be in both). Narrow the patterns.")
            owner[real] = split.name
            found.real[path] = real
            matched.append(path)
        if refused:
            more = f" (and {len(refused) - 3} more)" if len(refused) > 3 else ""
            raise DataError(
                f"ExampleGen input file {'; '.join(refused[:3])}{more} is outside input_base "
                f"{input_base}"
                f"{f' (real path {base_real})' if base_real != os.path.abspath(input_base) else ''}"
                f": a symlink leads out of it. Copy the file in, or opt in with "
                f"follow_symlinks=True (the real paths are then recorded on the Examples "
                f"artifact, property 'followed_symlinks').")
        if not matched:
            present = sorted(os.listdir(input_base))[:10]
            raise DataError(
                f"ExampleGen input split {split.name!r}: pattern {split.pattern!r} matches no file"
                f" under {input_base!r} (it holds {present or 'nothing'}). Put data files there, "
                f"or set input_config={{'splits': [{{'name': ..., 'pattern': 'sub/*.csv'}}]}}.")
        found.files[split.name] = matched
    return found


def resolve_input_files(
    input_base: str, input_splits: tuple[InputSplit, ...], follow_symlinks: bool = False
) -> dict[str, list[str]]:
    """Return split name -> sorted input files matching its pattern under `input_base`
    (`match_input_files(...).files`; see there for the checks and the DataErrors raised)."""
    return match_input_files(input_base, input_splits, follow_symlinks).files


def content_fingerprint(input_base: str, input_config: Any,
                        follow_symlinks: bool = False) -> str:
    """sha256 over every matched input file's relative name and bytes (streamed, hashlib only).

    Editing a file changes it; touching its mtime or moving `input_base` does not. Raises the
    DataErrors of `match_input_files` (so a refused file is never read).
    """
    splits = parse_input_config(input_config)
    digest = hashlib.sha256()
    if fs.is_object_store(input_base):
        input_base = fs.local_path(input_base) or input_base
    remote = fs.is_object_store(input_base)
    for split, paths in resolve_input_files(input_base, splits, follow_symlinks).items():
        for path in paths:
            relative = (path[len(input_base.rstrip("/")) + 1:] if remote
                        else os.path.relpath(path, input_base))
            digest.update(f"{split}\0{relative}\0".encode())
            for chunk in fs.iter_chunks(path):
                digest.update(chunk)
            digest.update(b"\0")
    return digest.hexdigest()


def _matches(parts: list[str], names: list[str]) -> bool:
    """Whether the relative path `names` matches the glob `parts` (`**` = any folders)."""
    if not parts:
        return not names
    if parts[0] == "**":
        rest = parts[1:] or ["*"]
        return any(_matches(rest, names[i:]) for i in range(len(names)))
    return bool(names) and fnmatch.fnmatchcase(names[0], parts[0]) and _matches(parts[1:],
                                                                                 names[1:])


def _match_in_store(input_base: str, input_splits: tuple[InputSplit, ...],
                    stage_dir: str | None) -> InputFiles:
    """`match_input_files` on an object store: the same patterns and errors, by listing."""
    base = input_base.rstrip("/")
    listed = [relative for relative, _size in fs.list_files(base)]
    if not listed and not fs.is_dir(base):
        raise DataError(f"ExampleGen input_base: {input_base!r} holds no objects (the prefix "
                        f"does not exist or is empty). Pass input_base= the folder holding your "
                        f"data files, e.g. s3://<bucket>/<data folder>.")
    found = InputFiles({})
    owner: dict[str, str] = {}
    for split in input_splits:
        check_pattern(split.pattern, f"ExampleGen input split {split.name!r}: pattern")
        parts = [p for p in split.pattern.split("/") if p not in ("", ".")]
        matched = []
        for relative in listed:
            if not _matches(parts, relative.split("/")):
                continue
            if relative in owner:
                raise DataError(
                    f"ExampleGen input_config: {base}/{relative} is matched by split "
                    f"{split.name!r} and by split {owner[relative]!r}; a file must belong to one"
                    f" split (its rows would be in both). Narrow the patterns.")
            owner[relative] = split.name
            matched.append(relative)
        if not matched:
            present = sorted({r.split("/")[0] for r in listed})[:10]
            raise DataError(
                f"ExampleGen input split {split.name!r}: pattern {split.pattern!r} matches no file"
                f" under {input_base!r} (it holds {present or 'nothing'}). Put data files there, "
                f"or set input_config={{'splits': [{{'name': ..., 'pattern': 'sub/*.csv'}}]}}.")
        paths = []
        for relative in matched:
            uri = f"{base}/{relative}"
            if stage_dir is None:
                paths.append(uri)
                continue
            local = os.path.join(stage_dir, base.replace("://", "/", 1), relative)
            fs.copy_file(uri, local)
            found.real[local] = uri
            paths.append(local)
        found.files[split.name] = paths
    return found
