"""Invariants a metadata store must keep whatever happened to the runs that wrote it."""

from __future__ import annotations

import dataclasses
from typing import Any

from ml_metadata.proto import metadata_store_pb2 as pb

from tfxkit.metadata import record
from tfxkit.metadata.cache import execution_outputs, outputs_intact


@dataclasses.dataclass
class StoreFacts:
    """Counts of what the store holds, by execution state."""

    complete: int = 0
    cached: int = 0
    failed: int = 0
    abandoned: int = 0
    canceled: int = 0
    artifacts: int = 0


def check_consistent(store: Any) -> StoreFacts:
    """Assert the store is consistent and return what it holds.

    - no execution is left RUNNING (or NEW);
    - every COMPLETE or CACHED execution's outputs are LIVE and their files are intact;
    - FAILED and CANCELED executions published nothing (no OUTPUT events);
    - every LIVE artifact was output by a COMPLETE execution and none lives in a staging folder;
    - every input of any execution is a LIVE artifact output by a COMPLETE execution.
    """
    facts = StoreFacts()
    complete_outputs: set[int] = set()
    executions = store.get_executions()
    for execution in executions:
        state = execution.last_known_state
        name = f"execution {execution.id} ({record.custom(execution, 'node_id')})"
        assert state not in (pb.Execution.RUNNING, pb.Execution.NEW, pb.Execution.UNKNOWN), (
            f"{name} left {pb.Execution.State.Name(state)}")
        outputs = execution_outputs(store, execution.id)
        if state in (pb.Execution.COMPLETE, pb.Execution.CACHED):
            assert outputs_intact(outputs), f"{name} is {pb.Execution.State.Name(state)} but " \
                                            f"its outputs are missing or changed"
            if state == pb.Execution.COMPLETE:
                facts.complete += 1
                complete_outputs |= {a.id for group in outputs.values() for a in group
                                     if a.id is not None}
            else:
                facts.cached += 1
        else:
            assert not outputs, f"{name} ended {pb.Execution.State.Name(state)} but published " \
                                f"outputs"
            if record.custom(execution, "abandoned"):
                facts.abandoned += 1
            elif state == pb.Execution.FAILED:
                facts.failed += 1
            else:
                facts.canceled += 1
    for artifact in store.get_artifacts():
        facts.artifacts += 1
        assert ".staging" not in artifact.uri, f"artifact {artifact.id} points into staging"
        if artifact.state == pb.Artifact.LIVE:
            assert artifact.id in complete_outputs, (
                f"LIVE artifact {artifact.id} ({artifact.uri}) has no COMPLETE producer")
    ids = [e.id for e in executions]
    inputs = [e for e in store.get_events_by_execution_ids(ids) if e.type == pb.Event.INPUT]
    for event in inputs:
        assert event.artifact_id in complete_outputs, (
            f"execution {event.execution_id} read artifact {event.artifact_id}, which no "
            f"COMPLETE execution published")
    return facts
