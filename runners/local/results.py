"""What a local run returns: a `RunResult` holding one `NodeResult` per node."""

from __future__ import annotations

import dataclasses

from tfxkit.types.artifact import Artifact


@dataclasses.dataclass
class NodeResult:
    """What happened to one node in a run.

    Attributes:
        outcome: "ran", "cached", "reused" (upstream of a partial run), "failed" or "skipped".
        seconds: wall time of the node.
        execution_id: its ML Metadata execution (None when skipped or reused).
        outputs: output key -> artifacts (published, LIVE) when it ran, hit the cache or was reused.
        error: the failure message when it failed.
    """

    outcome: str
    seconds: float = 0.0
    execution_id: int | None = None
    outputs: dict[str, list[Artifact]] = dataclasses.field(default_factory=dict)
    error: str = ""


@dataclasses.dataclass
class RunResult:
    """Outcome of `LocalDagRunner.run`: the run id and each node's NodeResult."""

    pipeline_name: str
    run_id: str
    nodes: dict[str, NodeResult]
    seconds: float = 0.0

    def outcome(self, node_id: str) -> str:
        """The outcome of node `node_id` ("ran", "cached", ...)."""
        return self.nodes[node_id].outcome

    def outputs(self, node_id: str, key: str) -> list[Artifact]:
        """Artifacts of output `key` of node `node_id` in this run."""
        return self.nodes[node_id].outputs.get(key, [])


__all__ = ["NodeResult", "RunResult"]
