"""Why a node runs or hits the cache: its cache key's parts compared with an earlier execution.

Every execution records the parts its cache key was made of (`tfxkit.metadata.cache.CacheKey`,
custom property `cache_key_parts`): component and executor identity, tfxkit and library
versions, a digest per execution parameter, the input artifact ids per input key (with the
node and output they come from), a SHA-256 per user-code file, and the component's own
fingerprint (e.g. ExampleGen's input files). Comparing two sets of parts names what changed:
which parameter (old -> new value), which input artifact, which code file, which library.

- `recorded_key` reads what an execution recorded. Executions recorded before the parts were
  (tfxkit runs of an older version) are reconstructed from what they did record (`param.*`,
  `code.*`, `fingerprint.*`, `executor`, input events): everything but library and tfxkit
  versions and per-file code hashes, and explanations say so.
- `compare` lists the `Reason`s two keys differ.
- `explain_execution` answers `tfxkit runs --why NODE [RUN]`: why a past execution ran (compared
  with the newest earlier execution of the node that completed) or was cached.
  `tfxkit.runners.local.plan` answers the same question before a run (`tfxkit run --dry-run`).

Reads only: nothing here writes to the store or to files, and nothing imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tfxkit.dsl.names import did_you_mean
from tfxkit.errors import DataError, shown_path
from tfxkit.metadata import record
from tfxkit.metadata.cache import CACHE_KEY_PARTS, execution_outputs
from tfxkit.metadata.cache import outputs_problem as cache_outputs_problem
from tfxkit.secrets import mask_secrets

if TYPE_CHECKING:
    from ml_metadata.metadata_store.metadata_store import MetadataStore

VALUE_CHARS = 80  # parameter values longer than this are shortened in explanations


@dataclasses.dataclass
class Reason:
    """One reason for a node's verdict.

    Attributes:
        kind: `parameter`, `input`, `code`, `library`, `component`, `input data`, `new`
            (no earlier execution), `cached` (same key, outputs intact), `outputs` (same key,
            outputs no longer intact), `cache off`, `unrecorded` (an older execution that did
            not record its key's parts), `error` (the key cannot be computed), `upstream`.
        name: what changed: the parameter, input key, code file, library; "" when none.
        old, new: the values before and now (parameter values as JSON text, artifact ids,
            versions, digests), None when not applicable.
        text: the reason in one line, as `tfxkit run --dry-run` and `runs --why` print it.
    """

    kind: str
    name: str = ""
    old: Any = None
    new: Any = None
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready)."""
        return dataclasses.asdict(self)


@dataclasses.dataclass
class RecordedKey:
    """What an execution recorded about its cache key.

    Attributes:
        execution_id, run_id, node_id, state: the execution (state as ML Metadata names it).
        key: its cache key ("" when none was computed).
        parts: the key's parts (`CacheKey.parts`); for an older execution, the parts
            reconstructed from its other records (`complete` is then False).
        values: parameter values as recorded (`param.<name>` JSON text, secrets masked).
        complete: whether the execution recorded its key's parts itself.
        cache_enabled: whether caching was on for it (None: not recorded).
    """

    execution_id: int
    run_id: str
    node_id: str
    state: str
    key: str
    parts: dict[str, Any]
    values: dict[str, str]
    complete: bool
    cache_enabled: bool | None = None


def _state(execution: Any) -> str:
    from ml_metadata.proto import metadata_store_pb2 as pb

    if record.custom(execution, "abandoned"):
        return "ABANDONED"
    return str(pb.Execution.State.Name(execution.last_known_state))


def _input_ids(store: MetadataStore, execution_id: int) -> dict[str, list[int]]:
    """Input artifact ids of an execution by input key, in event order."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    found: dict[str, list[tuple[int, int]]] = {}
    for event in store.get_events_by_execution_ids([execution_id]):
        if event.type != pb.Event.INPUT:
            continue
        steps = event.path.steps
        key = steps[0].key if steps else ""
        index = steps[1].index if len(steps) > 1 else 0
        found.setdefault(key, []).append((index, event.artifact_id))
    return {key: [a for _, a in sorted(pairs)] for key, pairs in sorted(found.items())}


def recorded_key(store: MetadataStore, execution: Any) -> RecordedKey:
    """The cache key and its parts as `execution` (an ML Metadata Execution) recorded them;
    reconstructed as far as possible for an execution recorded before parts were."""
    props = {k: record.get_value(v) for k, v in execution.custom_properties.items()}
    values = {k[len("param."):]: str(v) for k, v in props.items() if k.startswith("param.")}
    text = props.get(CACHE_KEY_PARTS)
    parts: dict[str, Any] | None = None
    if text:
        try:
            parts = json.loads(text)
        except ValueError:
            parts = None
    complete = parts is not None
    if parts is None:  # an older tfxkit: rebuild what its other records say
        parts = {
            "component": props.get("component"),
            "executor": props.get("executor"),
            "parameters": {name: hashlib.sha256(value.encode()).hexdigest()
                           for name, value in sorted(values.items())},
            "inputs": {key: {"from": "", "ids": ids}
                       for key, ids in _input_ids(store, execution.id).items()},
            "code": {k[len("code."):]: {"hash": str(v)} for k, v in props.items()
                     if k.startswith("code.")},
            "fingerprint": str(props.get("fingerprint.input_data", "") or ""),
        }
    enabled = props.get("cache_enabled")
    return RecordedKey(
        execution_id=execution.id, run_id=str(props.get("run_id", "")),
        node_id=str(props.get("node_id", "")), state=_state(execution),
        key=str(props.get("cache_key", "") or ""), parts=parts, values=values,
        complete=complete, cache_enabled=None if enabled is None else bool(enabled))


# -- comparing --------------------------------------------------------------------------------
def _short(text: str) -> str:
    text = mask_secrets(text)
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS - 3] + "..."


def _code_file(folder: str | None, relative: str) -> str:
    """A user-code file as explanations show it (relative to the working directory)."""
    if not folder:
        return relative
    return shown_path(os.path.normpath(os.path.join(folder, relative)))


def _code_reasons(name: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None,
                  complete: bool) -> list[Reason]:
    if old is None or new is None:
        verb = "is new" if old is None else "is no longer set"
        return [Reason("code", name, (old or {}).get("hash"), (new or {}).get("hash"),
                       f"code {name} {verb}")]
    if old.get("hash") == new.get("hash"):
        return []
    old_files, new_files = old.get("files"), new.get("files")
    folder = new.get("folder") or old.get("folder")
    main_file = new.get("main") or old.get("main")
    if not isinstance(old_files, dict) or not isinstance(new_files, dict):
        main = _code_file(folder, main_file) if main_file else name
        why = ("which of its files changed was not recorded by this older run" if not complete
               else "which of its files changed is not recorded")
        return [Reason("code", main, old.get("hash"), new.get("hash"),
                       f"code {name} ({main} or a project module it imports) changed; {why}")]
    found = []
    for relative in [*new_files, *[r for r in old_files if r not in new_files]]:
        before, after = old_files.get(relative), new_files.get(relative)
        if before == after:
            continue
        shown = _code_file(folder, relative)
        if before is None:
            what = "is newly imported"
        elif after is None:
            what = "is no longer imported"
        else:
            what = "changed"
        role = "" if relative == main_file else " (imported)"
        found.append(Reason("code", shown, before, after, f"code {name}: {shown}{role} {what}"))
    if not found:  # same files and contents, a different path relative to the module
        found.append(Reason("code", name, old.get("hash"), new.get("hash"),
                            f"code {name} moved (its files' paths changed)"))
    return found


def _executor_reason(old: str, new: str) -> Reason:
    if "@" in old and "@" in new and old.split("@")[0] == new.split("@")[0]:
        function = new.split("@")[0]
        return Reason("code", function, old.split("@")[1][:12], new.split("@")[1][:12],
                      f"code: the source of component function {function} changed")
    return Reason("component", "executor", old, new, f"executor changed: {old} -> {new}")


_MISSING = object()


def _changed_entries(before: str | None, after: str) -> list[tuple[str, str, str]]:
    """(dotted key, old JSON, new JSON) of the entries that differ between two recorded JSON
    objects, at most 8; [] when either is not a JSON object (the whole values are shown)."""
    try:
        one, two = json.loads(before or ""), json.loads(after)
    except ValueError:
        return []
    if not isinstance(one, dict) or not isinstance(two, dict):
        return []
    found: list[tuple[str, str, str]] = []

    def walk(path: str, a: Any, b: Any) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b), key=str):
                walk(f"{path}.{key}" if path else str(key), a.get(key, _MISSING),
                     b.get(key, _MISSING))
        elif a != b:
            found.append((path, "(not set)" if a is _MISSING else json.dumps(a, sort_keys=True),
                          "(not set)" if b is _MISSING else json.dumps(b, sort_keys=True)))

    walk("", one, two)
    return found[:8]


def param_texts(exec_properties: Mapping[str, Any]) -> dict[str, str]:
    """Parameter values as JSON text, as executions record them (`param.<name>`)."""
    return {k: json.dumps(v, sort_keys=True, default=str) for k, v in exec_properties.items()}


def compare(old: RecordedKey, new_parts: Mapping[str, Any], new_values: Mapping[str, str],
            upstream_reruns: Mapping[str, str] | None = None,
            producers: Mapping[int, str] | None = None) -> list[Reason]:
    """What differs between the key `old` recorded and the key parts `new_parts` (of a node
    about to run, or of a later execution), as Reasons, in the order of the key's parts.

    Args:
        old: the earlier execution's recorded key.
        new_parts: `CacheKey.parts` (or a later `RecordedKey.parts`).
        new_values: parameter values as JSON text (`param_texts`), for display.
        upstream_reruns: input key -> producing node id, for inputs whose producer will run
            again (their new artifacts do not exist yet).
        producers: artifact id -> how to name it ("made by NODE in run R"), for input changes.
    """
    upstream_reruns = upstream_reruns or {}
    producers = producers or {}
    reasons: list[Reason] = []
    o, n = old.parts, new_parts
    if o.get("component") and o.get("component") != n.get("component"):
        reasons.append(Reason("component", "component", o.get("component"), n.get("component"),
                              f"component type changed: {o.get('component')} -> "
                              f"{n.get('component')}"))
    elif o.get("executor") and o.get("executor") != n.get("executor"):
        reasons.append(_executor_reason(str(o.get("executor")), str(n.get("executor"))))
    if o.get("tfxkit") and n.get("tfxkit") and o["tfxkit"] != n["tfxkit"]:
        reasons.append(Reason("library", "tfxkit", o["tfxkit"], n["tfxkit"],
                              f"library tfxkit {o['tfxkit']} -> {n['tfxkit']}"))
    old_libraries, new_libraries = o.get("libraries"), n.get("libraries") or {}
    if isinstance(old_libraries, dict):
        for name in sorted(set(old_libraries) | set(new_libraries)):
            before, after = old_libraries.get(name), new_libraries.get(name)
            if before != after:
                reasons.append(Reason("library", name, before, after,
                                      f"library {name} {before or 'not installed'} -> "
                                      f"{after or 'not installed'}"))
    old_params, new_params = o.get("parameters") or {}, n.get("parameters") or {}
    for name in sorted(set(old_params) | set(new_params)):
        if old_params.get(name) == new_params.get(name):
            continue
        before, after_text = old.values.get(name), new_values.get(name, "?")
        changes = _changed_entries(before, after_text) if name in old_params and \
            name in new_params else []
        if changes:  # a dict parameter (custom_config, eval_config): the entries that changed
            reasons += [Reason("parameter", f"{name}.{path}", mask_secrets(one),
                               mask_secrets(two), f"parameter {name}.{path}: {_short(one)} -> "
                                                  f"{_short(two)}")
                        for path, one, two in changes]
            continue
        if name not in old_params:
            text = f"parameter {name} is new: {_short(after_text)}"
        elif name not in new_params:
            text = f"parameter {name} was removed (was {_short(before or '?')})"
        else:
            text = f"parameter {name}: {_short(before or '?')} -> {_short(after_text)}"
        reasons.append(Reason("parameter", name, None if before is None else mask_secrets(
            before), None if name not in new_params else mask_secrets(after_text), text))
    old_inputs, new_inputs = o.get("inputs") or {}, n.get("inputs") or {}
    for key in sorted(set(old_inputs) | set(new_inputs)):
        source = (new_inputs.get(key) or {}).get("from") or (old_inputs.get(key) or {}).get(
            "from") or ""
        label = f"input {key}" + (f" ({source})" if source else "")
        if key in upstream_reruns:
            reasons.append(Reason("input", key, (old_inputs.get(key) or {}).get("ids"), None,
                                  f"{label}: {upstream_reruns[key]} will run again (a new "
                                  f"artifact)"))
            continue
        before_ids = (old_inputs.get(key) or {}).get("ids")
        after_ids = (new_inputs.get(key) or {}).get("ids")
        if before_ids == after_ids:
            continue
        made = "; ".join(producers[i] for i in after_ids or [] if i in producers)
        reasons.append(Reason("input", key, before_ids, after_ids,
                              f"{label}: artifact {_ids(before_ids)} -> {_ids(after_ids)}"
                              + (f" ({made})" if made else "")))
    old_code, new_code = o.get("code") or {}, n.get("code") or {}
    for name in sorted(set(old_code) | set(new_code)):
        reasons += _code_reasons(name, old_code.get(name), new_code.get(name), old.complete)
    if (o.get("fingerprint") or "") != (n.get("fingerprint") or ""):
        before, after = o.get("fingerprint") or "", n.get("fingerprint") or ""
        reasons.append(Reason("input data", "fingerprint", before, after,
                              f"input data changed (content fingerprint {before[:12] or 'none'}"
                              f" -> {after[:12] or 'none'})"))
    return reasons


def _ids(ids: list[int] | None) -> str:
    if not ids:
        return "none"
    return ", ".join(str(i) for i in ids)


def unexplained(old: RecordedKey) -> Reason:
    """The reason when keys differ and no recorded part does: what `old` did not record."""
    if not old.complete:
        return Reason("unrecorded", "", old.key[:12], None,
                      f"cache key differs; parts not recorded by this older run (execution "
                      f"{old.execution_id}): the difference is in what it did not record, "
                      f"tfxkit or library versions")
    return Reason("unrecorded", "", old.key[:12], None,
                  "cache key differs, but none of its recorded parts does")


def outputs_problem(store: MetadataStore, execution_id: int) -> str:
    """Why the outputs of an execution are no longer a cache hit ("" when intact): the cache's
    own check (`tfxkit.metadata.cache.outputs_problem`)."""
    return cache_outputs_problem(execution_outputs(store, execution_id))


# -- executions of a node ---------------------------------------------------------------------
def node_executions(store: MetadataStore, pipeline_name: str, node_id: str) -> list[Any]:
    """Every execution of node `node_id` of `pipeline_name`, oldest first."""
    context = store.get_context_by_type_and_name(record.NODE_CONTEXT,
                                                 f"{pipeline_name}.{node_id}")
    if context is None:
        return []
    return sorted(store.get_executions_by_context(context.id), key=lambda e: e.id)


def previous_execution(store: MetadataStore, pipeline_name: str, node_id: str,
                       before: int | None = None) -> Any:
    """The newest execution of the node that completed or was cached and computed a cache key
    (the one a changed node is compared with), with id below `before` when given; or None."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    done = (pb.Execution.COMPLETE, pb.Execution.CACHED)
    found = [e for e in node_executions(store, pipeline_name, node_id)
             if e.last_known_state in done and record.custom(e, "cache_key")
             and (before is None or e.id < before)]
    return found[-1] if found else None


def same_key_execution(store: MetadataStore, pipeline_name: str, node_id: str, key: str,
                       before: int | None = None) -> Any:
    """The newest COMPLETE execution of the node with cache key `key` (id below `before`)."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    found = [e for e in node_executions(store, pipeline_name, node_id)
             if e.last_known_state == pb.Execution.COMPLETE
             and record.custom(e, "cache_key") == key and (before is None or e.id < before)]
    return found[-1] if found else None


def artifact_producers(store: MetadataStore, artifact_ids: list[int]) -> dict[int, str]:
    """Artifact id -> "made by NODE in run R" (its first producing execution)."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    if not artifact_ids:
        return {}
    first: dict[int, int] = {}
    for event in store.get_events_by_artifact_ids(list(artifact_ids)):
        if event.type == pb.Event.OUTPUT:
            first[event.artifact_id] = min(first.get(event.artifact_id, event.execution_id),
                                           event.execution_id)
    executions = {e.id: e for e in store.get_executions_by_id(sorted(set(first.values())))}
    named = {}
    for artifact_id, execution_id in first.items():
        execution = executions.get(execution_id)
        if execution is not None:
            named[artifact_id] = (f"made by {record.custom(execution, 'node_id', '?')} in run "
                                  f"{record.custom(execution, 'run_id', '?')}")
    return named


def describe(execution: Any) -> str:
    """`execution N (run R)`."""
    return f"execution {execution.id} (run {record.custom(execution, 'run_id', '?')})"


# -- a past run -------------------------------------------------------------------------------
@dataclasses.dataclass
class Explanation:
    """Why a node ran, was cached or would run.

    Attributes:
        node_id: the node.
        verdict: `would run`, `cached` or `would fail` before a run; `ran`, `cached`,
            `failed` or `canceled` for a past execution; `reused` / `skipped` for nodes a run
            does not execute.
        reasons: the reasons, most decisive first.
        execution_id: the explained execution (past runs), the cache hit or reused execution.
        run_id: the run of `execution_id`.
        compared_with: the earlier execution the reasons compare with, or None.
        compared_run: its run.
    """

    node_id: str
    verdict: str
    reasons: list[Reason]
    execution_id: int | None = None
    run_id: str = ""
    compared_with: int | None = None
    compared_run: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready)."""
        data = dataclasses.asdict(self)
        data["reasons"] = [r.to_dict() for r in self.reasons]
        return data


def why_ran(store: MetadataStore, pipeline_name: str, node_id: str, new: RecordedKey | None,
            new_parts: Mapping[str, Any], new_values: Mapping[str, str], new_key: str,
            upstream_reruns: Mapping[str, str] | None = None,
            before: int | None = None) -> tuple[list[Reason], Any]:
    """Why a node with key `new_key` (parts `new_parts`) does not hit the cache: the reasons
    and the earlier execution they compare with (None when there is none). `new` is the
    explained execution's record (a past run; None before a run); `before` limits the search
    to executions older than it."""
    previous = previous_execution(store, pipeline_name, node_id, before)
    if previous is None:
        return [Reason("new", text=f"no earlier execution of {node_id} completed")], None
    old = recorded_key(store, previous)
    if not upstream_reruns and new_key and old.key == new_key:
        if new is not None and new.cache_enabled is False:
            return [Reason("cache off", text="caching was off for this run (--no-cache, or "
                                             "enable_cache=False)")], previous
        same = same_key_execution(store, pipeline_name, node_id, new_key, before)
        problem = outputs_problem(store, same.id) if same is not None else ""
        where = describe(same) if same is not None else describe(previous)
        if new is not None:  # a past run: the outputs may have been intact then (or restored)
            problem = problem or "they were not intact when the run looked (deleted or damaged)"
        return [Reason("outputs", "", where, None,
                       f"same cache key as {where}, but {problem or 'its outputs are not intact'}"
                       f"; its outputs cannot be reused")], previous
    ids = [i for group in (new_parts.get("inputs") or {}).values()
           for i in (group or {}).get("ids") or [] if i is not None]
    reasons = compare(old, new_parts, new_values, upstream_reruns,
                      artifact_producers(store, ids))
    return reasons or [unexplained(old)], previous


def _pipeline_node_ids(store: MetadataStore, pipeline_name: str | None) -> set[str]:
    """The ids of every node that ever executed in `pipeline_name` (its node contexts)."""
    if not pipeline_name:
        return set()
    prefix = f"{pipeline_name}."
    return {c.name[len(prefix):] for c in store.get_contexts_by_type(record.NODE_CONTEXT)
            if c.name.startswith(prefix)}


def explain_execution(store: MetadataStore, pipeline_name: str | None, node_id: str,
                      run: str = "latest") -> Explanation:
    """Why node `node_id` ran or was cached in run `run` (an id, `latest` or `latest~N`).

    A cached execution names the execution it reused; one that ran is compared with the newest
    earlier execution of the node that completed or was cached (what it could have reused).

    Raises:
        DataError: no such run, or the node has no execution in it (the message lists the
            nodes that do).
    """
    from tfxkit.metadata.query import find_run

    context = find_run(store, run, pipeline_name)
    run_id = str(record.custom(context, "run_id", context.name))
    executions = sorted(store.get_executions_by_context(context.id), key=lambda e: e.id)
    mine = [e for e in executions if record.custom(e, "node_id") == node_id]
    if not mine:
        names = list(dict.fromkeys(str(record.custom(e, "node_id", "?")) for e in executions))
        pipeline = pipeline_name or str(record.custom(context, "pipeline_name", ""))
        known = _pipeline_node_ids(store, pipeline) | set(names)
        if node_id not in known:
            raise DataError(f"No node {node_id!r} has ever executed in pipeline {pipeline!r}."
                            f"{did_you_mean(node_id, sorted(known))} Nodes of run {run_id}: "
                            f"{', '.join(names) or 'none'}.")
        raise DataError(f"Node {node_id!r} did not execute in run {run_id} (a partial run reuses "
                        f"the outputs of nodes it does not select). Nodes of that run: "
                        f"{', '.join(names) or 'none'}. Pass one of them, or another run.")
    execution = mine[-1]  # retried within the run: the last one counts
    pipeline = str(record.custom(execution, "pipeline_name", pipeline_name or ""))
    new = recorded_key(store, execution)
    if new.state == "CACHED":
        source = record.custom(execution, "cached_from")
        sources = store.get_executions_by_id([int(source)]) if source is not None else []
        where = describe(sources[0]) if sources else f"execution {source}"
        return Explanation(node_id, "cached", [Reason(
            "cached", "", None, source, f"same cache key as {where}, whose outputs were intact; "
                                        f"they were reused")],
            execution.id, run_id, int(source) if source is not None else None,
            str(record.custom(sources[0], "run_id", "")) if sources else "")
    verdict = {"COMPLETE": "ran", "FAILED": "failed", "CANCELED": "canceled",
               "ABANDONED": "canceled", "RUNNING": "running"}.get(new.state, new.state.lower())
    if not new.key:
        error = str(record.custom(execution, "error", "") or "").splitlines()
        return Explanation(node_id, verdict, [Reason(
            "error", "", None, None, "its cache key could not be computed: "
            + (error[0] if error else "no error was recorded"))], execution.id, run_id)
    reasons, previous = why_ran(store, pipeline, node_id, new, new.parts, new.values, new.key,
                                before=execution.id)
    return Explanation(node_id, verdict, reasons, execution.id, run_id,
                       previous.id if previous is not None else None,
                       str(record.custom(previous, "run_id", "")) if previous is not None
                       else "")


def explanation_lines(explanation: Explanation) -> list[str]:
    """`tfxkit runs --why`'s text: a head line, what it compares with, one line per reason."""
    head = f"{explanation.node_id} in run {explanation.run_id}: {explanation.verdict}"
    if explanation.execution_id is not None:
        head += f" (execution {explanation.execution_id})"
    lines = [head]
    if explanation.compared_with is not None and explanation.verdict != "cached":
        lines.append(f"  compared with execution {explanation.compared_with} (run "
                     f"{explanation.compared_run}), the newest earlier execution of "
                     f"{explanation.node_id} that completed:")
    lines += [f"  - {reason.text}" for reason in explanation.reasons]
    return lines


__all__ = [
    "Explanation",
    "Reason",
    "RecordedKey",
    "compare",
    "explain_execution",
    "explanation_lines",
    "outputs_problem",
    "param_texts",
    "previous_execution",
    "recorded_key",
    "unexplained",
    "why_ran",
]
