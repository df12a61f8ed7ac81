"""`RunOptions`: the options of one local run, typed, and what follows from them alone.

`LocalDagRunner.run(pipeline, run_params=..., from_node=..., ...)` turns its keyword arguments
into one `RunOptions`; the run carries it (never the runner object, which several runs may
share), and `run --dry-run` (`plan.py`) reads the same selection and parameters from it.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tfxkit.dsl.runtime_parameter import RuntimeParameter
from tfxkit.errors import PipelineDefinitionError
from tfxkit.secrets import mask_secrets

if TYPE_CHECKING:
    from tfxkit.dsl.base_component import BaseComponent
    from tfxkit.dsl.pipeline import Pipeline


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """The options of one run (see `LocalDagRunner.run`).

    Attributes:
        run_params: values for RuntimeParameters, by name.
        from_node: run this node and everything downstream of it.
        to_node: run this node and everything upstream of it.
        only_node: run just this node.
        enable_cache: override the pipeline's `enable_cache` (None: keep it).
        run_id: id for the run (None: a UTC timestamp, see `new_run_id`).
    """

    run_params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    from_node: str | None = None
    to_node: str | None = None
    only_node: str | None = None
    enable_cache: bool | None = None
    run_id: str | None = None

    def select(self, pipeline: Pipeline) -> list[BaseComponent]:
        """The nodes this run executes, in topological order.

        Raises:
            PipelineDefinitionError: for unknown node ids, `only_node` with `from_node` or
                `to_node`, or a range that selects nothing.
        """
        from_node, to_node, only_node = self.from_node, self.to_node, self.only_node
        if only_node and (from_node or to_node):
            raise PipelineDefinitionError(
                "Choose either only_node or from_node/to_node, not both: --only runs a single "
                "node, --from/--to a range.")
        if only_node:
            return [pipeline.node(only_node)]
        nodes = pipeline.components
        if from_node:
            keep = {n.id for n in pipeline.downstream(pipeline.node(from_node).id)}
            nodes = [n for n in nodes if n.id in keep]
        if to_node:
            keep = {n.id for n in pipeline.upstream_closure(pipeline.node(to_node).id)}
            nodes = [n for n in nodes if n.id in keep]
        if not nodes:
            raise PipelineDefinitionError(
                f"No node is both downstream of {from_node!r} and upstream of {to_node!r}; "
                f"check the order of --from and --to.")
        return nodes

    def resolve_parameters(self, pipeline: Pipeline) -> dict[str, dict]:
        """Each node's execution properties with RuntimeParameters replaced by `run_params`
        (or their defaults), by node id.

        Raises:
            PipelineDefinitionError: for a run parameter the pipeline does not declare.
        """
        run_params = dict(self.run_params or {})
        declared = pipeline.runtime_parameters()
        unknown = sorted(set(run_params) - set(declared))
        if unknown:
            raise PipelineDefinitionError(
                f"Unknown runtime parameter(s) {', '.join(unknown)} for pipeline "
                f"{pipeline.pipeline_name!r}; declared: {', '.join(sorted(declared)) or 'none'}.")
        return {
            node.id: {k: v.resolve(run_params) if isinstance(v, RuntimeParameter) else v
                      for k, v in node.exec_properties.items()}
            for node in pipeline.components
        }

    def cache_enabled(self, pipeline: Pipeline) -> bool:
        """Whether this run uses the cache: `enable_cache`, else the pipeline's setting."""
        return pipeline.enable_cache if self.enable_cache is None else self.enable_cache

    def new_run_id(self) -> str:
        """`run_id`, or a UTC timestamp (e.g. 20260101T120000123456Z) when none was given."""
        return self.run_id or datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S%fZ")

    def resume(self, node_id: str, command: str | Callable[[str], str] | None) -> str:
        """The command that resumes this run at `node_id` with the same selection (`only_node`
        again for a run of one node, else `from_node`, keeping `to_node`); secrets masked.

        `command` is the runner's `resume_command`. The user's text is never used as a format
        template: a callable gets the node id, a string has its literal `{node}` replaced."""
        if callable(command):
            return mask_secrets(command(node_id))
        if command:
            return mask_secrets(command.replace("{node}", node_id))
        if self.only_node:
            return f"LocalDagRunner().run(pipeline, only_node={node_id!r})"
        until = f", to_node={self.to_node!r}" if self.to_node else ""
        return f"LocalDagRunner().run(pipeline, from_node={node_id!r}{until})"


__all__ = ["RunOptions"]
