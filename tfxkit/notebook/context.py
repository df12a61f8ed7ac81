"""`InteractiveContext`: build a pipeline one component at a time in a notebook.

    context = InteractiveContext(pipeline_root="notebook_output")
    example_gen = CsvExampleGen(input_base="data")
    context.run(example_gen)
    context.show(example_gen.outputs["examples"])

Each `context.run(component)` is a partial run of the pipeline made of the component and its
upstream components, through the local runner (`only_node=component.id`, in this process): the
upstream outputs are the latest ones recorded in ML Metadata, caching works as in any run, and
every execution is recorded like one of `tfxkit run`. `context.show(...)` displays artifacts
inline with the same views as `tfxkit show`.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from tfxkit.dsl.base_component import BaseComponent
from tfxkit.dsl.pipeline import DEFAULT_METADATA_FILE, Pipeline
from tfxkit.errors import PipelineDefinitionError
from tfxkit.types.artifact import Artifact
from tfxkit.types.channel import Channel

if TYPE_CHECKING:
    from ml_metadata.metadata_store.metadata_store import MetadataStore

    from tfxkit.reports import EvaluationRecord
    from tfxkit.runners.local.reporter import RunHooks


@dataclasses.dataclass
class ExecutionResult:
    """What `InteractiveContext.run` did with one component.

    Attributes:
        component_id: the component's id.
        outcome: "ran" or "cached".
        execution_id: its ML Metadata execution.
        run_id: the run it was recorded in.
        seconds: wall time.
        outputs: output key -> published artifacts, under
            `{pipeline_root}/{component_id}/{output_key}/{execution_id}/`.
    """

    component_id: str
    outcome: str
    execution_id: int | None
    run_id: str
    seconds: float
    outputs: dict[str, list[Artifact]]

    def _repr_html_(self) -> str:
        from tfxkit.reports.htmlkit import esc, table

        rows = [[key, a.TYPE_NAME, a.id, a.uri] for key, group in sorted(self.outputs.items())
                for a in group]
        return (f"<div><b>{esc(self.component_id)}</b>: {esc(self.outcome)} in "
                f"{self.seconds:.2f} s (execution {esc(self.execution_id)}, run "
                f"<code>{esc(self.run_id)}</code>)"
                + table(["output", "type", "id", "uri"], rows) + "</div>")


Showable = Channel | Artifact | ExecutionResult | Iterable[Artifact]


class InteractiveContext:
    """Run components one at a time and look at their outputs, in a notebook.

    Args:
        pipeline_name: name under which runs are recorded in ML Metadata (default
            "interactive"); `tfxkit runs --pipeline NAME` lists them.
        pipeline_root: where outputs land, `{pipeline_root}/{component_id}/{output}/{id}/`
            (default: a new temporary folder).
        metadata: ML Metadata location: SQLite path or `mysql://user@host:port/db` (default
            `{pipeline_root}/metadata.sqlite`).
        enable_cache: reuse the outputs of an identical earlier execution (default True).
        beam_pipeline_args: Beam options for the data-heavy components.
        hooks: progress hooks (default: one line per node on stdout).

    Reusing a `pipeline_root` (and metadata) across notebook sessions picks up where the last
    session stopped: upstream outputs come from ML Metadata, not from this object.
    """

    def __init__(
        self,
        pipeline_name: str = "interactive",
        pipeline_root: str | os.PathLike[str] | None = None,
        metadata: str | os.PathLike[str] | None = None,
        enable_cache: bool = True,
        beam_pipeline_args: Iterable[str] | None = None,
        hooks: RunHooks | None = None,
    ) -> None:
        self.pipeline_root = str(Path(pipeline_root or tempfile.mkdtemp(
            prefix="tfxkit-interactive-")).absolute())
        Path(self.pipeline_root).mkdir(parents=True, exist_ok=True)
        self.pipeline_name = pipeline_name
        self.metadata = str(metadata or Path(self.pipeline_root) / DEFAULT_METADATA_FILE)
        self.enable_cache = enable_cache
        self.beam_pipeline_args = list(beam_pipeline_args or [])
        self.hooks = hooks
        self.results: dict[str, ExecutionResult] = {}
        self._components: dict[str, BaseComponent] = {}
        self._store: MetadataStore | None = None

    # -- running -----------------------------------------------------------------------------
    @property
    def store(self) -> MetadataStore:
        """The ML Metadata store this context records to."""
        if self._store is None:
            from tfxkit.metadata import connect

            self._store = connect(self.metadata)
        return self._store

    @property
    def pipeline(self) -> Pipeline:
        """A Pipeline of the components run so far, for running or compiling what the notebook
        built. Re-running a component with an id already run replaces the earlier one and
        drops the components built on the earlier one (re-run their cells to add them back)."""
        return self._pipeline(list(self._components.values()))

    def _pipeline(self, components: list[BaseComponent]) -> Pipeline:
        nodes: dict[str, BaseComponent] = {}

        def add(node: BaseComponent) -> None:
            if id(node) in {id(n) for n in nodes.values()}:
                return
            for upstream in node.upstream:
                add(upstream)
            if node.id in nodes:
                raise PipelineDefinitionError(
                    f"Two different components share the id {node.id!r}: a notebook cell "
                    f"probably re-created {node.id} after components downstream of it were "
                    f"built. Re-run the cells that build the downstream components too, or "
                    f"give the new one its own id with .with_id('...').")
            nodes[node.id] = node

        for component in components:
            add(component)
        return Pipeline(self.pipeline_name, self.pipeline_root, list(nodes.values()),
                        enable_cache=self.enable_cache, metadata=self.metadata,
                        beam_pipeline_args=self.beam_pipeline_args)

    def run(self, component: BaseComponent, enable_cache: bool | None = None) -> ExecutionResult:
        """Run `component` now, in this process, on the latest outputs of its upstream components.

        Records the execution in ML Metadata (a run of pipeline `pipeline_name`); outputs land
        under `{pipeline_root}/{component.id}/{output}/{execution_id}/`. Returns an
        ExecutionResult (shown as a table of outputs in a notebook).

        Raises:
            PipelineDefinitionError: when an upstream component has not been run yet.
            ExecutionError: when the component fails (the message says where).
        """
        from tfxkit.metadata.lineage import latest_outputs
        from tfxkit.runners.local import ConsoleReporter, LocalDagRunner

        if not isinstance(component, BaseComponent):
            raise TypeError(f"context.run() expects a component instance such as "
                            f"CsvExampleGen(...), found {type(component).__name__}.")
        pipeline = self._pipeline([component])
        for upstream in component.upstream:
            if latest_outputs(self.store, self.pipeline_name, upstream.id) is None:
                raise PipelineDefinitionError(
                    f"{component.id} reads the outputs of {upstream.id}, which has not run in "
                    f"this context (pipeline {self.pipeline_name!r}, metadata {self.metadata}). "
                    f"Run it first: context.run(<your {upstream.id} component>).")
        runner = LocalDagRunner(workers=0, hooks=self.hooks or ConsoleReporter(sys.stdout),
                                resume_command="context.run(...) for {node} again")
        result = runner.run(pipeline, only_node=component.id, enable_cache=enable_cache)
        node = result.nodes[component.id]
        self._components[component.id] = component
        # Components built on a replaced object (a re-run cell) leave the notebook's pipeline.
        self._components = {k: c for k, c in self._components.items()
                            if all(self._components.get(u.id, u) is u for u in _closure(c))}
        done = ExecutionResult(component.id, node.outcome, node.execution_id, result.run_id,
                               node.seconds, node.outputs)
        self.results[component.id] = done
        return done

    # -- looking at outputs ------------------------------------------------------------------
    def artifacts(self, item: Showable) -> list[Artifact]:
        """The artifacts `item` stands for: a channel (`component.outputs["key"]`, resolved to
        the latest published outputs of that component), an artifact, a list of artifacts, or
        an ExecutionResult (all its outputs)."""
        from tfxkit.metadata.lineage import latest_outputs

        if isinstance(item, Artifact):
            return [item]
        if isinstance(item, ExecutionResult):
            return [a for group in item.outputs.values() for a in group]
        if isinstance(item, Channel):
            if item.producer is None:
                raise PipelineDefinitionError(
                    f"{item!r} is produced by no component; show a component's output such as "
                    f"example_gen.outputs['examples'].")
            node_id = item.producer.id
            done = self.results.get(node_id)
            outputs = done.outputs if done else (latest_outputs(
                self.store, self.pipeline_name, node_id) or (None, {}))[1]
            if not outputs:
                raise PipelineDefinitionError(
                    f"{node_id} has not run in this context yet; call context.run(...) on it "
                    f"before showing its outputs.")
            return list(outputs.get(item.output_key, []))
        found = list(item)
        if not all(isinstance(a, Artifact) for a in found):
            raise TypeError(f"context.show() takes a channel, an artifact, a list of artifacts or "
                            f"the result of context.run(), found {type(item).__name__}.")
        return found

    def html(self, item: Showable) -> str:
        """The HTML that `show(item)` displays: one view per artifact (see `tfxkit.reports`)."""
        from tfxkit.reports import artifact_fragment, wrap

        return wrap("".join(artifact_fragment(a.TYPE_NAME, a.uri, a.to_dict())
                            for a in self.artifacts(item)))

    def show(self, item: Showable) -> None:
        """Display `item`'s artifacts inline: statistics (Facets), schema and anomalies tables,
        an examples sample, SavedModel signatures, training curves, TFMA metrics by slice,
        blessing and push verdicts."""
        _display(self.html(item))

    def lineage_html(self, item: Showable) -> str:
        """HTML of the lineage graph of each of `item`'s artifacts."""
        from tfxkit.metadata.lineage import lineage
        from tfxkit.reports import lineage_fragment, wrap

        parts = []
        for artifact in self.artifacts(item):
            if artifact.id is None:
                raise PipelineDefinitionError(
                    f"{artifact!r} is not recorded in ML Metadata, so it has no lineage.")
            parts.append(lineage_fragment(lineage(self.store, artifact.id)))
        return wrap("".join(parts))

    def show_lineage(self, item: Showable) -> None:
        """Display the lineage of `item`'s artifacts as a graph: every artifact and execution
        that led to it, with the parameters and code of each execution."""
        _display(self.lineage_html(item))

    def report_html(self, run_id: str = "latest") -> str:
        """HTML of a run of this context (default: the latest): DAG, outcome and timings."""
        from tfxkit.reports import run_fragment, wrap
        from tfxkit.reports.run import load_run

        return wrap(run_fragment(load_run(self.store, run_id, self.pipeline_name)))

    def show_report(self, run_id: str = "latest") -> None:
        """Display a run report of this context (default: the latest run)."""
        _display(self.report_html(run_id))

    def evaluations(self) -> list[EvaluationRecord]:
        """Every model evaluated in this context, oldest first: model, Trainer parameters,
        blessing and overall metrics (see `tfxkit.reports.compare`)."""
        from tfxkit.reports import model_evaluations

        return model_evaluations(self.store, self.pipeline_name)

    def show_comparison(self, metrics: list[str] | None = None) -> None:
        """Display every evaluated model side by side: a table and a bar chart per metric
        (all metrics, or those named in `metrics`)."""
        from tfxkit.reports import comparison_fragment, wrap

        _display(wrap(comparison_fragment(self.evaluations(), metrics)))


def _closure(node: BaseComponent) -> list[BaseComponent]:
    """`node` and every component it reads from, transitively."""
    found: dict[int, BaseComponent] = {}
    pending = [node]
    while pending:
        current = pending.pop()
        if id(current) not in found:
            found[id(current)] = current
            pending.extend(current.upstream)
    return list(found.values())


def _display(html_text: str) -> None:
    from IPython.display import HTML, display

    display(HTML(html_text))
