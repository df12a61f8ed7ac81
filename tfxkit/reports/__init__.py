"""Reports people would rather look at than read: HTML views of artifacts, lineage and runs.

    from tfxkit.reports import render_html, run_report_html
    page = render_html("ModelEvaluation", uri)          # a whole HTML page, as a string

`tfxkit show` and `tfxkit report` write these pages; the notebook `InteractiveContext` shows
the same fragments inline. Pictures (DAGs, curves, bar charts) are SVG drawn here, so nothing
beyond the pipeline's own stack is needed. Heavy libraries are imported only while rendering.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tfxkit.reports.artifacts import RENDERERS, anomalies_of, artifact_fragment, guess_type
from tfxkit.reports.compare import EvaluationRecord, comparison_fragment, model_evaluations
from tfxkit.reports.htmlkit import STYLE, page, wrap
from tfxkit.reports.lineage import lineage_fragment, lineage_svg
from tfxkit.reports.run import RunReport, load_run, run_fragment

if TYPE_CHECKING:
    from ml_metadata.metadata_store.metadata_store import MetadataStore

def render_html(type_name: str, uri: str, facts: Mapping[str, Any] | None = None,
                lineage: Mapping[str, Any] | None = None, anomalies_uri: str | None = None,
                sort_by: str = "name") -> str:
    """A self-contained HTML page showing the artifact of type `type_name` at `uri`.

    Every standard type has a view (statistics, schema, anomalies, examples, transform graph,
    model, training curves, evaluation, blessing, pushed model); other types list their
    properties and files. `facts` (the artifact's `to_dict()`) adds its id and properties;
    `lineage` (from `tfxkit.metadata.lineage.lineage`) adds the lineage graph; `anomalies_uri`
    (an ExampleAnomalies artifact, see `anomalies_of`) flags the statistics' features it names;
    `sort_by` orders them ("name", "missing", "drift" or "anomalies"; the page can re-sort).
    Returns the page; write it to a .html file. Raises DataError when the folder or its expected
    files are missing.
    """
    if anomalies_uri or sort_by != "name":
        facts = {**(facts or {}), "anomalies_uri": anomalies_uri, "sort_by": sort_by}
    body = artifact_fragment(type_name, uri, facts)
    if lineage is not None:
        body += lineage_fragment(lineage)
    return page(f"{type_name} {uri}", body)


def run_report_html(store: MetadataStore, run: str, pipeline_name: str | None = None) -> str:
    """A self-contained HTML page for run `run` (a run id or "latest") recorded in `store`: the
    DAG coloured by outcome, a timeline of node timings, and a table of nodes with outputs and
    errors. Raises DataError (listing recent runs) when there is no such run."""
    return run_report_page(load_run(store, run, pipeline_name))


def run_report_page(report: RunReport) -> str:
    """A self-contained HTML page of a run already read with `load_run`."""
    return page(f"Run {report.run_id} ({report.pipeline_name})", run_fragment(report))


__all__ = [
    "RENDERERS",
    "STYLE",
    "EvaluationRecord",
    "RunReport",
    "anomalies_of",
    "artifact_fragment",
    "comparison_fragment",
    "guess_type",
    "lineage_fragment",
    "lineage_svg",
    "load_run",
    "model_evaluations",
    "page",
    "render_html",
    "run_fragment",
    "run_report_html",
    "run_report_page",
    "wrap",
]
