"""Cache keys and cache lookups.

Key of a node = SHA-256 of: component type and executor identity, tfxkit version, the installed
versions of TensorFlow, TFT, TFMA, TFDV and tfx-bsl, canonical execution parameters, ids of the
input artifacts, the user code named by parameters (`user_code=True`: the module file and every
project module it imports, see `tfxkit.dsl.user_code`), and the component's own fingerprint
(e.g. ExampleGen's input file contents).
A hit is a COMPLETE execution of the same node with the same key whose output artifacts are
LIVE and whose files are still all there, with the sizes recorded at publish time.
Each execution also records the parts of its key (`CacheKey.parts`), which
`tfxkit.metadata.explain` compares to say why a node runs or hits the cache.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tfxkit import fs
from tfxkit._version import __version__
from tfxkit.dsl.user_code import (
    combine_file_hashes,
    dynamic_imports,
    library_versions,
    locate_user_code,
    user_code_file_hashes,
)
from tfxkit.errors import shown_path
from tfxkit.metadata import record
from tfxkit.types.artifact import Artifact, ArtifactState

if TYPE_CHECKING:
    from ml_metadata.metadata_store.metadata_store import MetadataStore

    from tfxkit.dsl.base_component import BaseComponent

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=64)
def _warn_untracked_imports(path: str, mtime: float) -> None:
    """Warn once per module file version about imports the cache key cannot follow."""
    lines = dynamic_imports(path)
    if lines:
        logger.warning(
            "tfxkit cache: %s imports modules by computed names (%s); changes to those modules "
            "are not tracked by the cache key. Import them by name, or run with --no-cache "
            "after changing them.", path, ", ".join(lines[:5]))


# Custom property of an execution: the parts its cache key was made of (`CacheKey.parts`, JSON),
# so that `tfxkit run --dry-run` and `tfxkit runs --why` can say which part changed.
CACHE_KEY_PARTS = "cache_key_parts"
PARTS_VERSION = 1


@dataclasses.dataclass
class CacheKey:
    """A node's cache key and what it was made of.

    Attributes:
        key: SHA-256 hex of the key material (see the module docstring).
        code: user-code hash by parameter (`module_file`, ...), recorded as `code.<name>`.
        fingerprints: `input_data`: the component's own fingerprint when it has one (e.g.
            ExampleGen's input file contents), recorded as `fingerprint.input_data`.
        parts: JSON-ready parts of the key, recorded as `cache_key_parts`: `component`,
            `executor`, `tfxkit`, `libraries` (name -> version), `parameters` (name -> SHA-256
            of the value's canonical JSON), `inputs` (key -> {"from": "Producer.output_key",
            "ids": artifact ids}), `code` (parameter -> {"hash", "folder", "main": the module
            file's name, "files": path relative to the module's folder -> SHA-256}) and
            `fingerprint`.
    """

    key: str
    code: dict[str, str]
    fingerprints: dict[str, str]
    parts: dict[str, Any]

    def facts(self) -> dict[str, str]:
        """The custom properties an execution records about its key: `cache_key`,
        `code.<name>`, `fingerprint.<name>` and `cache_key_parts` (JSON)."""
        return {"cache_key": self.key,
                **{f"code.{name}": digest for name, digest in self.code.items()},
                **{f"fingerprint.{name}": value for name, value in self.fingerprints.items()},
                CACHE_KEY_PARTS: json.dumps(self.parts, sort_keys=True)}


def parameter_digest(value: Any) -> str:
    """SHA-256 of a parameter value's canonical JSON (sorted keys), as `CacheKey.parts` holds
    it; equal to the digest of the `param.<name>` text an execution records."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def compute_cache_key(
    node: BaseComponent,
    exec_properties: Mapping[str, Any],
    inputs: Mapping[str, list[Artifact]],
) -> CacheKey:
    """The cache key of running `node` with `exec_properties` on `inputs`, with its parts.

    The one computation behind both a run (`LocalDagRunner`) and its preview (`tfxkit run
    --dry-run`), so they never disagree. Reads the user code and the component's fingerprint
    (hashlib only; nothing heavy is imported). Raises ComponentArgumentError when a user-code
    parameter names no existing file or module.
    """
    spec = type(node).SPEC_CLASS
    code: dict[str, str] = {}
    code_parts: dict[str, dict[str, Any]] = {}
    for name, param in spec.PARAMETERS.items():
        if param.user_code and exec_properties.get(name):
            value = str(exec_properties[name])
            main = locate_user_code(value)
            _warn_untracked_imports(str(main), main.stat().st_mtime)
            files = user_code_file_hashes(value)
            code[name] = combine_file_hashes(files)
            code_parts[name] = {"hash": code[name], "folder": str(main.parent),
                                "main": main.name, "files": files}
    material = {
        "component": node.type_name,
        "executor": node.executor_identity(),
        "tfxkit": __version__,
        "libraries": library_versions(),
        "parameters": dict(exec_properties),
        "inputs": {key: [a.id for a in group] for key, group in sorted(inputs.items())},
        "user_code": code,
        "fingerprint": node.cache_fingerprint(dict(exec_properties)),
    }
    fingerprints = {"input_data": str(material["fingerprint"])} if material["fingerprint"] else {}
    text = json.dumps(material, sort_keys=True, default=str)
    sources = {key: f"{channel.producer.id}.{channel.output_key}"
               for key, channel in node.inputs.items() if channel.producer is not None}
    parts = {
        "version": PARTS_VERSION,
        "component": material["component"],
        "executor": material["executor"],
        "tfxkit": __version__,
        "libraries": library_versions().copy(),
        "parameters": {k: parameter_digest(v) for k, v in sorted(exec_properties.items())},
        "inputs": {key: {"from": sources.get(key, ""), "ids": [a.id for a in group]}
                   for key, group in sorted(inputs.items())},
        "code": code_parts,
        "fingerprint": str(material["fingerprint"] or ""),
    }
    return CacheKey(hashlib.sha256(text.encode()).hexdigest(), code, fingerprints, parts)


def cache_key(
    node: BaseComponent,
    exec_properties: Mapping[str, Any],
    inputs: Mapping[str, list[Artifact]],
    fingerprints: dict[str, str] | None = None,
) -> tuple[str, dict[str, str]]:
    """Return (cache key, user-code hashes by parameter) for running `node` on `inputs`
    (`compute_cache_key` without the parts).

    `fingerprints`, when given, receives `input_data`: the component's own fingerprint (e.g.
    ExampleGen's input file contents) when it has one, for the run record (`tfxkit runs
    --diff`). Raises ComponentArgumentError when a user-code parameter names no existing file
    or module.
    """
    computed = compute_cache_key(node, exec_properties, inputs)
    if fingerprints is not None:
        fingerprints.update(computed.fingerprints)
    return computed.key, computed.code


def outputs_problem(artifacts: Mapping[str, list[Artifact]]) -> str:
    """Why `artifacts` (output key -> artifacts) cannot be reused, in one phrase ("" when
    they can): an artifact not LIVE, its folder not published (missing), or its files not
    matching the count and size recorded at publish."""
    for key, group in artifacts.items():
        for artifact in group:
            if artifact.state != ArtifactState.LIVE:
                return f"its {key} artifact {artifact.id} is no longer LIVE"
            where = artifact.uri if fs.is_object_store(artifact.uri) else shown_path(artifact.uri)
            if not fs.is_published(artifact.uri):
                return f"its {key} folder {where} is missing"
            expected = (artifact.get_custom_property("tfxkit_file_count"),
                        artifact.get_custom_property("tfxkit_total_bytes"))
            found = record.files_fingerprint(artifact.uri) if None not in expected else None
            if found is not None and found != expected:
                return (f"its {key} folder {where} holds {found[0]} file(s), "
                        f"{found[1]} bytes; {expected[0]} file(s), {expected[1]} bytes were "
                        f"published")
    return ""


def outputs_intact(artifacts: Mapping[str, list[Artifact]]) -> bool:
    """Whether every artifact is LIVE and its files match the count and size recorded at publish
    (`outputs_problem` finds nothing)."""
    return not outputs_problem(artifacts)


def execution_outputs(store: MetadataStore, execution_id: int) -> dict[str, list[Artifact]]:
    """Output artifacts of an execution by output key, in event order."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    events = [e for e in store.get_events_by_execution_ids([execution_id])
              if e.type == pb.Event.OUTPUT]
    artifacts = record.load_artifacts(store, {e.artifact_id for e in events})
    found: dict[str, list[tuple[int, Artifact]]] = {}
    for event in events:
        steps = event.path.steps
        key = steps[0].key if steps else ""
        index = steps[1].index if len(steps) > 1 else 0
        found.setdefault(key, []).append((index, artifacts[event.artifact_id]))
    return {key: [a for _, a in sorted(pairs, key=lambda p: p[0])] for key, pairs in found.items()}


def find_cache_hit(
    store: MetadataStore, pipeline_name: str, node_id: str, key: str
) -> tuple[int, dict[str, list[Artifact]]] | None:
    """Newest (execution id, outputs) of `node_id` with cache key `key` whose outputs are intact."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    context = store.get_context_by_type_and_name(record.NODE_CONTEXT, f"{pipeline_name}.{node_id}")
    if context is None:
        return None
    candidates = [
        e for e in store.get_executions_by_context(context.id)
        if e.last_known_state == pb.Execution.COMPLETE and record.custom(e, "cache_key") == key
    ]
    for execution in sorted(candidates, key=lambda e: e.id, reverse=True):
        outputs = execution_outputs(store, execution.id)
        if outputs_intact(outputs):
            return execution.id, outputs
    return None
