"""SVG pictures: layered DAG layout with waypoints for long edges, charts with no data."""

from __future__ import annotations

import re
import xml.dom.minidom

from tfxkit.reports.svg import (
    DagNode,
    _layout,
    bar_chart_svg,
    dag_svg,
    hbar_chart_svg,
    histogram_svg,
    line_chart_svg,
    timeline_svg,
)


def _parses(svg: str) -> None:
    xml.dom.minidom.parseString(svg)


def test_dag_layers_follow_the_longest_path_and_long_edges_get_waypoints() -> None:
    nodes = [DagNode(i, i) for i in ("gen", "stats", "schema", "transform", "trainer")]
    edges = [("gen", "stats"), ("stats", "schema"), ("gen", "transform"), ("schema", "transform"),
             ("transform", "trainer")]
    layers, chains = _layout(nodes, edges)
    real = [[n for n in layer if not n.startswith("\x00")] for layer in layers]
    assert real == [["gen"], ["stats"], ["schema"], ["transform"], ["trainer"]]
    [long_edge] = [c for c in chains if c[0] == "gen" and c[-1] == "transform"]
    assert len(long_edge) == 4  # gen, a waypoint in each of the 2 layers between, transform
    svg = dag_svg(nodes, edges)
    _parses(svg)
    assert svg.count("<rect") == 5 and svg.count("marker-end") == 5


def test_dag_survives_cycles_unknown_edges_and_escapes_text() -> None:
    nodes = [DagNode("a", "<a>", "ran · 1 s", kind="failed", dashed=True), DagNode("b", "b")]
    svg = dag_svg(nodes, [("a", "b"), ("b", "a"), ("a", "missing")])
    _parses(svg)
    assert "&lt;a&gt;" in svg and "stroke-dasharray" in svg
    assert dag_svg([], []).startswith("<svg")


def test_charts_draw_series_and_say_when_there_is_no_data() -> None:
    line = line_chart_svg({"train": [(0, 1.0), (1, 0.5)], "validation": [(0, 0.9), (1, 0.7)]},
                          title="loss", x_label="epoch")
    _parses(line)
    assert line.count("<polyline") == 2 and "validation" in line
    assert "no data" in line_chart_svg({}, title="empty")
    bars = bar_chart_svg(["m1", "m2"], {"accuracy": [0.5, None], "delta": [-0.1, 0.2]})
    _parses(bars)
    assert len(re.findall(r"<rect [^>]*><title>", bars)) == 3
    assert "no data" in bar_chart_svg([], {})
    timeline = timeline_svg([("gen", 0.0, 1.5, "ran"), ("stats", 1.5, 1.5, "cached")])
    _parses(timeline)
    assert "1.50 s" in timeline


def test_horizontal_bars_zoom_around_values_draw_markers_and_keep_labels_whole() -> None:
    labels = ["Overall", "island = Torgersen, sex = FEMALE, year = 2009"]
    svg = hbar_chart_svg(labels, {"accuracy": [0.97, 1.0]}, title="accuracy", zoom=True,
                         markers={"lower bound": 0.95})
    _parses(svg)
    assert all(f">{label}</text>" in svg for label in labels)  # never clipped
    low, high = (float(x) for x in re.search(r"axis from ([\d.]+) to ([\d.]+) \(not from 0\)",
                                             svg).groups())
    assert 0.9 < low < 0.95 and 1.0 < high < 1.05
    widths = [float(w) for w in re.findall(r"<rect class='bar' x='[\d.]+' y='[\d.]+' "
                                           r"width='([\d.]+)'", svg)]
    assert len(widths) == 2 and widths[1] > 1.3 * widths[0]  # 0.97 vs 1.0 visibly apart
    assert "<line class='marker'" in svg and "lower bound: 0.95</title>" in svg
    unzoomed = hbar_chart_svg(labels, {"accuracy": [0.97, 1.0]})
    assert "not from 0" not in unzoomed
    assert "no data" in hbar_chart_svg(labels, {"accuracy": [None, None]})
    histogram = histogram_svg({"train": [(0, 1, 3), (1, 2, 1)], "eval": [(0.5, 1.5, 2)]})
    _parses(histogram)
    assert histogram.count("class='hist-bar'") == 3 and "train: [0, 1] 3 (75.0%)" in histogram
