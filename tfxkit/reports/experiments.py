"""Runs compared, as HTML: the `tfxkit report --compare` page and its notebook fragment.

`experiments_fragment(comparison)` takes a `tfxkit.metadata.query.Comparison` (the same rows
`tfxkit runs --compare` prints) and draws a table plus, for every metric and every changed
numeric parameter, a metric-vs-parameter chart (inline SVG: the page works offline).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tfxkit.reports.htmlkit import esc, table
from tfxkit.reports.svg import line_chart_svg

if TYPE_CHECKING:
    from tfxkit.metadata.query import Comparison

MAX_CHARTS = 24


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def experiments_fragment(comparison: Comparison) -> str:
    """HTML `<div>`: one row per run (changed parameters, metrics, blessing, pushed version)
    and a metric-vs-parameter chart per (metric, numeric changed parameter) pair (Overall
    slice metrics; at most MAX_CHARTS). A metric without a numeric parameter to plot against
    is drawn against the run order."""
    rows = comparison.rows()
    if not rows:
        return ("<p>No runs with an evaluated model yet: runs are compared on their "
                "Evaluator's metrics.</p>")
    header = [c for c in rows[0] if "@" not in c]  # Overall metrics here, slices below
    body = [[{True: "BLESSED", False: "NOT BLESSED"}.get(r[c], r[c]) if c == "blessed"
             else r[c] for c in header] for r in rows]
    slice_table = _slice_table(comparison)
    metrics = [m for m in comparison.metric_names if "@" not in m and m != "example_count"]
    numeric = [p for p in comparison.changed
               if all(_number(r.get(p)) is not None for r in rows)]
    charts = []
    for metric in metrics:
        for parameter in numeric or [""]:
            points = []
            for index, row in enumerate(reversed(rows)):  # oldest first along the run order
                y = _number(row.get(metric))
                x = _number(row.get(parameter)) if parameter else float(index + 1)
                if x is not None and y is not None:
                    points.append((x, y))
            if points:
                charts.append(line_chart_svg(
                    {metric: points}, title=f"{metric} vs {parameter or 'run'}",
                    x_label=parameter or "run (oldest first)", y_label=metric))
    changed = ", ".join(comparison.changed) or "none"
    return ("<div class='tfxkit-compare'><h2>Runs</h2>"
            + table(header, body)
            + f"<p>Changed parameters: {esc(changed)}.</p>" + slice_table
            + "<div class='charts'>" + "".join(charts[:MAX_CHARTS]) + "</div></div>")


def _slice_table(comparison: Comparison) -> str:
    """A table of the metrics per slice other than Overall: one row per (run, slice)."""
    slices = sorted({s for run in comparison.runs for s in run.metrics if s != "Overall"})
    if not slices:
        return ""
    names = sorted({m for run in comparison.runs for s in slices
                    for m in run.metrics.get(s, {})})
    rows = [[run.run_id, name, *(run.metrics.get(name, {}).get(m) for m in names)]
            for run in comparison.runs for name in slices if run.metrics.get(name)]
    return "<h3>Metrics per slice</h3>" + table(["run", "slice", *names], rows)
