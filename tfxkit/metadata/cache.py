"""Cache keys and cache lookups.

Key of a node = SHA-256 of: component type and executor identity, tfxkit version, the installed
versions of TensorFlow, TFT, TFMA, TFDV and tfx-bsl, canonical execution parameters, ids of the
input artifacts, the user code named by parameters (`user_code=True`: the module file and every
project module it imports, see `tfxkit.dsl.user_code`), and the component's own fingerprint
(e.g. ExampleGen's input file contents).
A hit is a COMPLETE execution of the same node with the same key whose output artifacts are
LIVE and whose files are still all there, with the sizes recorded at publish time.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tfxkit._version import __version__
from tfxkit.dsl.user_code import (
    dynamic_imports,
    library_versions,
    locate_user_code,
    user_code_hash,
)
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


def cache_key(
    node: BaseComponent,
    exec_properties: Mapping[str, Any],
    inputs: Mapping[str, list[Artifact]],
    fingerprints: dict[str, str] | None = None,
) -> tuple[str, dict[str, str]]:
    """Return (cache key, user-code hashes by parameter) for running `node` on `inputs`.

    `fingerprints`, when given, receives `input_data`: the component's own fingerprint (e.g.
    ExampleGen's input file contents) when it has one, for the run record (`tfxkit runs
    --diff`). Raises ComponentArgumentError when a user-code parameter names no existing file
    or module.
    """
    spec = type(node).SPEC_CLASS
    code = {}
    for name, param in spec.PARAMETERS.items():
        if param.user_code and exec_properties.get(name):
            value = str(exec_properties[name])
            main = locate_user_code(value)
            _warn_untracked_imports(str(main), main.stat().st_mtime)
            code[name] = user_code_hash(value)
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
    if fingerprints is not None and material["fingerprint"]:
        fingerprints["input_data"] = str(material["fingerprint"])
    text = json.dumps(material, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest(), code


def outputs_intact(artifacts: Mapping[str, list[Artifact]]) -> bool:
    """Whether every artifact is LIVE and its files match the count and size recorded at publish."""
    for group in artifacts.values():
        for artifact in group:
            if artifact.state != ArtifactState.LIVE or not os.path.exists(artifact.uri):
                return False
            expected = (artifact.get_custom_property("tfxkit_file_count"),
                        artifact.get_custom_property("tfxkit_total_bytes"))
            if None not in expected and record.files_fingerprint(artifact.uri) != expected:
                return False
    return True


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
