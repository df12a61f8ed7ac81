"""`Pipeline`: a named, checked DAG of components with where its artifacts and metadata live."""

from __future__ import annotations

import graphlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tfxkit.dsl.base_component import BaseComponent, check_id
from tfxkit.dsl.names import did_you_mean
from tfxkit.dsl.runtime_parameter import RuntimeParameter
from tfxkit.errors import PipelineDefinitionError

DEFAULT_METADATA_FILE = "metadata.sqlite"


def _check_root_is_not_a_file(root: str) -> None:
    """A local pipeline root may be missing (it is created) but not be, or lie under, a file."""
    if "://" in root:
        return
    path = Path(root).expanduser().absolute()
    for candidate in (path, *path.parents):
        if candidate.exists():
            if not candidate.is_dir():
                where = "is a file" if candidate == path else f"is under the file {candidate}"
                raise PipelineDefinitionError(
                    f"pipeline_root {root!r} ({path}) {where}; expected a directory (it is "
                    f"created if missing). Fix: choose a folder such as "
                    f"{str(path.parent / 'pipeline_output')!r}.")
            return


class Pipeline:
    """A pipeline: components wired by their channels, checked when it is built.

    Args:
        pipeline_name: name (letters, digits, '_' or '-'); also the ML Metadata context name.
        pipeline_root: directory (or object-store URI) under which every output lands, at
            `{pipeline_root}/{component_id}/{output_name}/{execution_id}/`.
        components: the nodes, in any order; every upstream component must be listed.
        enable_cache: reuse outputs of an identical earlier execution (default True).
        metadata: ML Metadata connection: a SQLite file path, `sqlite:///path`, or
            `mysql://user@host:port/db` (password from `TFXKIT_METADATA_PASSWORD`); default
            `{pipeline_root}/metadata.sqlite`.
        beam_pipeline_args: Beam options handed to data-heavy executors.

    Raises:
        PipelineDefinitionError: on duplicate ids, cycles, inputs from unlisted components,
            runtime parameters declared twice differently, or a pipeline_root that is a file.
    """

    def __init__(
        self,
        pipeline_name: str,
        pipeline_root: str | os.PathLike[str],
        components: Sequence[BaseComponent] | None = None,
        enable_cache: bool = True,
        metadata: str | os.PathLike[str] | None = None,
        beam_pipeline_args: Iterable[str] | None = None,
    ) -> None:
        self.pipeline_name = check_id(pipeline_name, "Pipeline name")
        if not str(pipeline_root):
            raise PipelineDefinitionError(
                "pipeline_root is empty: expected a directory such as './pipeline_output'."
            )
        self.pipeline_root = str(pipeline_root)
        _check_root_is_not_a_file(self.pipeline_root)
        self.enable_cache = bool(enable_cache)
        if metadata is None:
            metadata = str(Path(self.pipeline_root) / DEFAULT_METADATA_FILE)
        self.metadata = str(metadata)
        self.beam_pipeline_args = list(beam_pipeline_args or [])
        self.components = self._sorted(list(components or []))
        self.runtime_parameters()  # conflicting declarations fail here, not at run time

    # -- checks ------------------------------------------------------------------------------
    def _sorted(self, components: list[BaseComponent]) -> list[BaseComponent]:
        by_id: dict[str, BaseComponent] = {}
        for index, node in enumerate(components):
            if not isinstance(node, BaseComponent):
                raise PipelineDefinitionError(
                    f"Pipeline {self.pipeline_name!r}: components[{index}] is "
                    f"{type(node).__name__} {node!r}, expected a component instance (did you "
                    f"pass the class instead of calling it?)."
                )
            if node.id in by_id:
                dupes = sorted({n.id for n in components if [c.id for c in components].count(n.id) > 1})
                raise PipelineDefinitionError(
                    f"Pipeline {self.pipeline_name!r}: component ids must be unique. These ids "
                    f"appear more than once: {', '.join(dupes)}. Name each with "
                    f".with_id('...'), e.g. StatisticsGen(...).with_id('StatisticsGen_eval')."
                )
            by_id[node.id] = node
        members = {id(n) for n in components}
        sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
        for node in components:
            for key, channel in node.inputs.items():
                producer = channel.producer
                if producer is None:
                    raise PipelineDefinitionError(
                        f"Pipeline {self.pipeline_name!r}: {node.id} input {key!r} is a channel "
                        f"no component produces. Pass an output such as gen.outputs['examples']."
                    )
                if id(producer) not in members:
                    raise PipelineDefinitionError(
                        f"Pipeline {self.pipeline_name!r}: {node.id} input {key!r} comes from "
                        f"{producer.id}, which is not in the pipeline's components. Add "
                        f"{producer.id} to components=[...]."
                    )
            sorter.add(node.id, *(up.id for up in node.upstream))
        order = {n.id: i for i, n in enumerate(components)}
        try:
            sorter.prepare()
        except graphlib.CycleError as exc:
            cycle = " -> ".join(exc.args[1])
            raise PipelineDefinitionError(
                f"Pipeline {self.pipeline_name!r} has a cycle: {cycle}. A component cannot "
                f"consume (directly or indirectly) its own output; remove one of these edges."
            ) from None
        result: list[BaseComponent] = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready(), key=order.__getitem__)
            result.extend(by_id[i] for i in ready)
            sorter.done(*ready)
        return result

    # -- queries -----------------------------------------------------------------------------
    def node(self, node_id: str) -> BaseComponent:
        """The component with id `node_id`; the error lists the ids that exist."""
        for node in self.components:
            if node.id == node_id:
                return node
        ids = [n.id for n in self.components]
        raise PipelineDefinitionError(
            f"Pipeline {self.pipeline_name!r} has no component {node_id!r}."
            f"{did_you_mean(node_id, ids)} Components: {', '.join(ids)}."
        )

    def downstream(self, node_id: str) -> list[BaseComponent]:
        """`node_id` and every component that depends on it, in topological order."""
        wanted = {node_id}
        for node in self.components:
            if any(up.id in wanted for up in node.upstream):
                wanted.add(node.id)
        return [n for n in self.components if n.id in wanted]

    def upstream_closure(self, node_id: str) -> list[BaseComponent]:
        """`node_id` and every component it depends on, in topological order."""
        wanted = {node_id}
        for node in reversed(self.components):
            if node.id in wanted:
                wanted.update(up.id for up in node.upstream)
        return [n for n in self.components if n.id in wanted]

    def runtime_parameters(self) -> dict[str, RuntimeParameter]:
        """Every RuntimeParameter used by a component, by name (conflicting ones raise)."""
        found: dict[str, RuntimeParameter] = {}
        for node in self.components:
            for value in node.exec_properties.values():
                if isinstance(value, RuntimeParameter):
                    other = found.setdefault(value.name, value)
                    if other != value:
                        raise PipelineDefinitionError(
                            f"Pipeline {self.pipeline_name!r}: runtime parameter {value.name!r} "
                            f"is declared twice with different settings ({other} vs {value}); "
                            f"share one RuntimeParameter object."
                        )
        return found

    def describe(self) -> dict[str, Any]:
        """Plain-data summary (name, root, nodes with their upstream ids)."""
        return {
            "pipeline_name": self.pipeline_name,
            "pipeline_root": self.pipeline_root,
            "nodes": [{"id": n.id, "upstream": [u.id for u in n.upstream]} for n in self.components],
        }

    def __repr__(self) -> str:
        return f"Pipeline({self.pipeline_name!r}, {len(self.components)} components)"
