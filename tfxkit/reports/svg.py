"""Small SVG pictures drawn without graphviz or matplotlib: DAGs, line charts and bar charts.

Every function takes plain data and returns an `<svg>` element as a string, to embed in an
HTML page or a notebook output. Layout is deliberately simple (layered DAG, linear axes) so
the pictures read well for the dozen nodes and handful of series a pipeline has.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

from tfxkit.reports.htmlkit import esc

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
STATE_COLORS = {
    "ran": "#c8e6c9", "complete": "#c8e6c9", "cached": "#bbdefb", "reused": "#eeeeee",
    "failed": "#ffcdd2", "canceled": "#ffe0b2", "abandoned": "#ffe0b2", "running": "#fff9c4",
    "skipped": "#f5f5f5", "artifact": "#e8eaf6", "execution": "#fffde7",
}
_FONT = "font-family='sans-serif' font-size='12'"


def _open_chart(width: float, height: float, title: str = "", title_y: int = 16) -> list[str]:
    """The opening `<svg>` tag of a chart, and its bold centred title when there is one."""
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
             f"viewBox='0 0 {width} {height}' {_FONT}>"]
    if title:
        parts.append(f"<text x='{width / 2}' y='{title_y}' text-anchor='middle' "
                     f"font-weight='bold'>{esc(title)}</text>")
    return parts


def _no_data(parts: list[str], width: float, height: float) -> str:
    """The chart opened in `parts`, closed with a centred "no data"."""
    parts.append(f"<text x='{width / 2}' y='{height / 2}' text-anchor='middle'>no data</text>"
                 f"</svg>")
    return "".join(parts)


@dataclasses.dataclass
class DagNode:
    """A box in a DAG picture.

    Attributes:
        id: unique key, used by edges.
        title: first line (bold).
        subtitle: second line (e.g. outcome and time).
        kind: colour key: an outcome ("ran", "cached", "failed", "reused", ...), or
            "artifact" / "execution" for lineage graphs.
        tooltip: text shown when hovering the box.
        dashed: draw the border dashed (nodes outside the run, e.g. reused upstream).
    """

    id: str
    title: str
    subtitle: str = ""
    kind: str = "ran"
    tooltip: str = ""
    dashed: bool = False


def _layout(nodes: Sequence[DagNode], edges: Sequence[tuple[str, str]]
            ) -> tuple[list[list[str]], list[list[str]]]:
    """(layers, edge chains): nodes grouped by longest path from a source, with a virtual
    waypoint in every layer a long edge crosses (so it runs beside the boxes, not behind them),
    each layer ordered by its parents' positions to limit crossings. A chain lists the node ids
    and waypoints one edge passes through, source first."""
    ids = [n.id for n in nodes]
    known = set(ids)
    edges = [(a, b) for a, b in dict.fromkeys(edges) if a in known and b in known and a != b]
    parents: dict[str, list[str]] = {i: [] for i in ids}
    for source, target in edges:
        parents[target].append(source)
    depth: dict[str, int] = {}

    def level(node: str, seen: frozenset[str]) -> int:
        if node not in depth:
            ups = [p for p in parents[node] if p not in seen]  # a cycle never loops forever
            depth[node] = 1 + max((level(p, seen | {node}) for p in ups), default=-1)
        return depth[node]

    for node in ids:
        level(node, frozenset())
    layers: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for node in ids:
        layers[depth[node]].append(node)
    chains = []
    up: dict[str, list[str]] = {i: [] for i in ids}
    for source, target in edges:
        chain = [source]
        for row in range(depth[source] + 1, depth[target]):
            waypoint = f"{_WAYPOINT}{source}>{target}>{row}"
            layers[row].append(waypoint)
            up[waypoint] = [chain[-1]]
            chain.append(waypoint)
        if depth[target] <= depth[source]:  # only in a cycle: draw it, never loop
            chains.append([source, target])
            continue
        up[target].append(chain[-1])
        chains.append([*chain, target])
    position: dict[str, float] = {}
    for layer in layers:
        first = {node: index - (len(layer) - 1) / 2 for index, node in enumerate(layer)}

        def barycenter(node: str, first: dict[str, float] = first) -> float:
            placed = [position[p] for p in up[node] if p in position]
            return sum(placed) / len(placed) if placed else first[node]

        layer.sort(key=barycenter)
        for index, node in enumerate(layer):
            position[node] = index - (len(layer) - 1) / 2
    return layers, chains


_WAYPOINT = "\x00"


def dag_svg(nodes: Sequence[DagNode], edges: Sequence[tuple[str, str]],
            node_width: int = 180, node_height: int = 44) -> str:
    """An SVG picture of a DAG, top to bottom, one row per layer.

    Takes the boxes and the (source id, target id) edges; edges naming unknown nodes are ignored.
    Returns the `<svg>` element as a string.
    """
    if not nodes:
        return "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'></svg>"
    gap_x, gap_y, margin, lane = 24, 40, 12, 16
    layers, chains = _layout(nodes, edges)

    def slot(item: str) -> float:
        return lane if item.startswith(_WAYPOINT) else node_width

    rows = [sum(slot(i) for i in layer) + (len(layer) - 1) * gap_x for layer in layers]
    width = margin * 2 + max(rows)
    height = margin * 2 + len(layers) * node_height + (len(layers) - 1) * gap_y
    centers: dict[str, tuple[float, float]] = {}
    for row, layer in enumerate(layers):
        x = (width - rows[row]) / 2
        for item in layer:
            centers[item] = (x + slot(item) / 2, margin + row * (node_height + gap_y)
                             + node_height / 2)
            x += slot(item) + gap_x
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width:.0f}' height='{height:.0f}' "
             f"viewBox='0 0 {width:.0f} {height:.0f}' {_FONT}>",
             "<defs><marker id='tfxkit-arrow' viewBox='0 0 10 10' refX='10' refY='5' "
             "markerWidth='7' markerHeight='7' orient='auto-start-reverse'>"
             "<path d='M0,0 L10,5 L0,10 z' fill='#666'/></marker></defs>"]
    half = node_height / 2
    for chain in chains:
        points = [centers[item] for item in chain]
        (x, y), path = points[0], []
        y += half
        for index, (x2, y2) in enumerate(points[1:], start=1):
            # A waypoint is passed through from its top to its bottom edge.
            top = y2 - half
            bend = max(12.0, (top - y) / 2)
            path.append(f"C{x:.1f},{y + bend:.1f} {x2:.1f},{top - bend:.1f} {x2:.1f},{top:.1f}")
            if index < len(points) - 1:
                path.append(f"L{x2:.1f},{y2 + half:.1f}")
            x, y = x2, y2 + half
        x0, y0 = points[0]
        parts.append(f"<path d='M{x0:.1f},{y0 + half:.1f} {' '.join(path)}' fill='none' "
                     f"stroke='#666' stroke-width='1.3' marker-end='url(#tfxkit-arrow)'/>")
    for node in nodes:
        x, y = centers[node.id]
        fill = STATE_COLORS.get(node.kind.lower(), "#ffffff")
        dash = " stroke-dasharray='5,3'" if node.dashed else ""
        radius = 14 if node.kind == "artifact" else 5
        parts.append(f"<g><title>{esc(node.tooltip or node.title)}</title>"
                     f"<rect x='{x - node_width / 2:.1f}' y='{y - half:.1f}' width='{node_width}' "
                     f"height='{node_height}' rx='{radius}' fill='{fill}' stroke='#555'{dash}/>")
        title_y = y - 3 if node.subtitle else y + 4
        parts.append(f"<text x='{x:.1f}' y='{title_y:.1f}' text-anchor='middle' "
                     f"font-weight='bold'>{esc(_clip(node.title, node_width))}</text>")
        if node.subtitle:
            parts.append(f"<text x='{x:.1f}' y='{y + 13:.1f}' text-anchor='middle' "
                         f"fill='#333'>{esc(_clip(node.subtitle, node_width))}</text>")
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _clip(text: str, width: int) -> str:
    limit = max(4, int(width / 7))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round tick values covering [low, high]."""
    if high <= low:
        return [low]
    raw = (high - low) / count
    step = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * step:
            step *= factor
            break
    first = math.ceil(low / step) * step
    return [round(first + i * step, 12) for i in range(int((high - first) / step) + 1)]


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def line_chart_svg(series: Mapping[str, Sequence[tuple[float, float]]], title: str = "",
                   x_label: str = "", y_label: str = "", width: int = 420,
                   height: int = 260) -> str:
    """An SVG line chart: one coloured line with point markers per series, and a legend.

    Takes series name -> (x, y) points. Returns the `<svg>` element as a string.
    """
    points = [p for values in series.values() for p in values if math.isfinite(p[1])]
    left, right, top, bottom = 56, 12, 28 if title else 12, 44
    parts = _open_chart(width, height, title)
    if not points:
        return _no_data(parts, width, height)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x_low, x_high = min(xs), max(xs)
    y_low, y_high = min(ys), max(ys)
    if x_high == x_low:
        x_low, x_high = x_low - 1, x_high + 1
    if y_high == y_low:
        pad = abs(y_low) * 0.1 or 1.0
        y_low, y_high = y_low - pad, y_high + pad
    plot_w, plot_h = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + (x - x_low) / (x_high - x_low) * plot_w

    def sy(y: float) -> float:
        return top + plot_h - (y - y_low) / (y_high - y_low) * plot_h

    parts.append(f"<rect x='{left}' y='{top}' width='{plot_w}' height='{plot_h}' fill='none' "
                 f"stroke='#999'/>")
    for tick in _ticks(y_low, y_high):
        parts.append(f"<line x1='{left}' x2='{left + plot_w}' y1='{sy(tick):.1f}' "
                     f"y2='{sy(tick):.1f}' stroke='#eee'/><text x='{left - 4}' "
                     f"y='{sy(tick) + 4:.1f}' text-anchor='end'>{_fmt(tick)}</text>")
    for tick in _ticks(x_low, x_high):
        parts.append(f"<text x='{sx(tick):.1f}' y='{top + plot_h + 14}' text-anchor='middle'>"
                     f"{_fmt(tick)}</text>")
    if x_label:
        parts.append(f"<text x='{left + plot_w / 2}' y='{height - 18}' text-anchor='middle'>"
                     f"{esc(x_label)}</text>")
    if y_label:
        parts.append(f"<text x='12' y='{top + plot_h / 2}' text-anchor='middle' "
                     f"transform='rotate(-90 12 {top + plot_h / 2})'>{esc(y_label)}</text>")
    for index, (name, values) in enumerate(series.items()):
        color = PALETTE[index % len(PALETTE)]
        finite = sorted(p for p in values if math.isfinite(p[1]))
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in finite)
        parts.append(f"<polyline points='{path}' fill='none' stroke='{color}' stroke-width='2'/>")
        for x, y in finite:
            parts.append(f"<circle cx='{sx(x):.1f}' cy='{sy(y):.1f}' r='2.5' fill='{color}'>"
                         f"<title>{esc(name)}: {_fmt(x)}, {_fmt(y)}</title></circle>")
        legend_x = left + 8 + index * (plot_w - 16) / max(1, len(series))
        parts.append(f"<rect x='{legend_x:.1f}' y='{height - 12}' width='10' height='10' "
                     f"fill='{color}'/><text x='{legend_x + 14:.1f}' y='{height - 3}'>"
                     f"{esc(name)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def bar_chart_svg(categories: Sequence[str], series: Mapping[str, Sequence[float | None]],
                  title: str = "", width: int = 520, height: int = 280) -> str:
    """An SVG grouped bar chart: one group per category, one coloured bar per series.

    Takes category labels and series name -> one value per category (None: no bar). Bars start
    at zero (or at the smallest value when values are negative). Returns the `<svg>` string.
    """
    values = [v for vals in series.values() for v in vals if v is not None and math.isfinite(v)]
    left, right, top, bottom = 56, 12, 28 if title else 12, 58
    parts = _open_chart(width, height, title)
    if not values or not categories:
        return _no_data(parts, width, height)
    low, high = min(0.0, *values), max(0.0, *values)
    if high == low:
        high = low + 1
    plot_w, plot_h = width - left - right, height - top - bottom

    def sy(y: float) -> float:
        return top + plot_h - (y - low) / (high - low) * plot_h

    for tick in _ticks(low, high):
        parts.append(f"<line x1='{left}' x2='{left + plot_w}' y1='{sy(tick):.1f}' "
                     f"y2='{sy(tick):.1f}' stroke='#eee'/><text x='{left - 4}' "
                     f"y='{sy(tick) + 4:.1f}' text-anchor='end'>{_fmt(tick)}</text>")
    group_w = plot_w / len(categories)
    bar_w = group_w * 0.8 / max(1, len(series))
    for c, category in enumerate(categories):
        x0 = left + c * group_w + group_w * 0.1
        for s, (name, vals) in enumerate(series.items()):
            value = vals[c] if c < len(vals) else None
            if value is None or not math.isfinite(value):
                continue
            y_top, y_base = sy(max(value, 0.0)), sy(min(value, 0.0))
            parts.append(f"<rect x='{x0 + s * bar_w:.1f}' y='{y_top:.1f}' width='{bar_w:.1f}' "
                         f"height='{max(0.5, y_base - y_top):.1f}' "
                         f"fill='{PALETTE[s % len(PALETTE)]}'><title>{esc(name)} / "
                         f"{esc(category)}: {_fmt(value)}</title></rect>")
        parts.append(f"<text x='{left + (c + 0.5) * group_w:.1f}' y='{top + plot_h + 14}' "
                     f"text-anchor='middle'>{esc(_clip(category, int(group_w)))}</text>")
    parts.append(f"<line x1='{left}' x2='{left + plot_w}' y1='{sy(0):.1f}' y2='{sy(0):.1f}' "
                 f"stroke='#555'/>")
    for s, name in enumerate(series):
        legend_x = left + 8 + s * (plot_w - 16) / max(1, len(series))
        parts.append(f"<rect x='{legend_x:.1f}' y='{height - 14}' width='10' height='10' "
                     f"fill='{PALETTE[s % len(PALETTE)]}'/><text x='{legend_x + 14:.1f}' "
                     f"y='{height - 5}'>{esc(_clip(name, int(plot_w / max(1, len(series)))))}"
                     f"</text>")
    parts.append("</svg>")
    return "".join(parts)


def timeline_svg(rows: Sequence[tuple[str, float, float, str]], width: int = 640) -> str:
    """An SVG Gantt chart of node timings: one bar per (label, start s, end s, kind) row, with
    start and end in seconds since the run began; the bar colour follows `kind` (outcome)."""
    label_w, right, row_h, top = 150, 60, 22, 8
    height = top * 2 + max(1, len(rows)) * row_h + 18
    end = max([r[2] for r in rows] + [1e-3])
    plot_w = width - label_w - right
    parts = _open_chart(width, height)
    for tick in _ticks(0.0, end):
        x = label_w + tick / end * plot_w
        parts.append(f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{top}' y2='{height - 18}' "
                     f"stroke='#eee'/><text x='{x:.1f}' y='{height - 4}' text-anchor='middle'>"
                     f"{_fmt(tick)} s</text>")
    for i, (label, start, stop, kind) in enumerate(rows):
        y = top + i * row_h
        x1 = label_w + start / end * plot_w
        bar = max(2.0, (stop - start) / end * plot_w)
        fill = STATE_COLORS.get(kind.lower(), "#ddd")
        parts.append(f"<text x='{label_w - 6}' y='{y + 15}' text-anchor='end'>"
                     f"{esc(_clip(label, label_w))}</text><rect x='{x1:.1f}' y='{y + 3}' "
                     f"width='{bar:.1f}' height='{row_h - 6}' fill='{fill}' stroke='#555'>"
                     f"<title>{esc(label)}: {stop - start:.2f} s ({esc(kind)})</title></rect>"
                     f"<text x='{x1 + bar + 4:.1f}' y='{y + 15}'>{stop - start:.2f} s</text>")
    parts.append("</svg>")
    return "".join(parts)


def histogram_svg(series: Mapping[str, Sequence[tuple[float, float, float]]], title: str = "",
                  width: int = 360, height: int = 170) -> str:
    """An SVG histogram with one translucent layer per series (e.g. train and eval overlaid).

    Takes series name -> (low, high, count) buckets. Each series is drawn as fractions of its
    own total, so splits of different sizes compare. Every bucket is a `<rect
    class='hist-bar'>` whose tooltip gives its range, count and share. Returns the `<svg>`.
    """
    left, right, top, bottom = 44, 10, 24 if title else 10, 40
    parts = _open_chart(width, height, title, title_y=15)
    shares: dict[str, list[tuple[float, float, float, float]]] = {}
    for name, buckets in series.items():
        finite = [b for b in buckets if all(math.isfinite(v) for v in b)]
        total = sum(b[2] for b in finite)
        if total > 0:
            shares[name] = [(lo, hi, count, count / total) for lo, hi, count in finite]
    if not shares:
        return _no_data(parts, width, height)
    low = min(b[0] for bs in shares.values() for b in bs)
    high = max(b[1] for bs in shares.values() for b in bs)
    if high <= low:
        low, high = low - 0.5, high + 0.5
    peak = max(b[3] for bs in shares.values() for b in bs) or 1.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + (x - low) / (high - low) * plot_w

    def sy(share: float) -> float:
        return top + plot_h - share / peak * plot_h

    for tick in _ticks(0.0, peak, 3):
        parts.append(f"<line x1='{left}' x2='{left + plot_w}' y1='{sy(tick):.1f}' "
                     f"y2='{sy(tick):.1f}' stroke='#eee'/><text x='{left - 4}' "
                     f"y='{sy(tick) + 4:.1f}' text-anchor='end'>{tick * 100:.3g}%</text>")
    ticks = _ticks(low, high, 6)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 0
    for tick in ticks:  # labels as precise as the step: 2007.5 is not "2008"
        label = f"{tick:.{decimals}f}" if abs(tick) < 1e6 else _fmt(tick)
        parts.append(f"<line x1='{sx(tick):.1f}' x2='{sx(tick):.1f}' y1='{top + plot_h}' "
                     f"y2='{top + plot_h + 3}' stroke='#555'/><text x='{sx(tick):.1f}' "
                     f"y='{top + plot_h + 14}' text-anchor='middle'>{label}</text>")
    for index, (name, layer) in enumerate(shares.items()):
        color = PALETTE[index % len(PALETTE)]
        for lo, hi, count, share in layer:
            x1, x2 = sx(lo), sx(hi)
            parts.append(f"<rect class='hist-bar' x='{x1:.1f}' y='{sy(share):.1f}' "
                         f"width='{max(1.0, x2 - x1):.1f}' height='{top + plot_h - sy(share):.1f}' "
                         f"fill='{color}' fill-opacity='0.45' stroke='{color}'><title>"
                         f"{esc(name)}: [{_fmt(lo)}, {_fmt(hi)}] {count:.4g} ({share:.1%})"
                         f"</title></rect>")
        legend_x = left + index * 90
        parts.append(f"<rect x='{legend_x}' y='{height - 12}' width='10' height='10' "
                     f"fill='{color}' fill-opacity='0.6'/><text x='{legend_x + 14}' "
                     f"y='{height - 3}'>{esc(_clip(name, 80))}</text>")
    parts.append(f"<line x1='{left}' x2='{left + plot_w}' y1='{top + plot_h}' "
                 f"y2='{top + plot_h}' stroke='#555'/></svg>")
    return "".join(parts)


def hbar_chart_svg(categories: Sequence[str], series: Mapping[str, Sequence[float | None]],
                   title: str = "", width: int = 520, zoom: bool = False,
                   markers: Mapping[str, float] | None = None, percent: bool = False) -> str:
    """An SVG horizontal bar chart: one row per category, labelled in full at the left, one
    coloured bar per series in each row.

    Takes category labels and series name -> one value per category (None: no bar). With
    `zoom`, the axis spans the values (and `markers`) with a margin instead of starting at 0,
    so 0.97 and 1.0 look different; the chart then says that its axis does not start at 0.
    `markers` (label -> value, e.g. a threshold) are drawn as dashed vertical lines. `percent`
    labels values as percentages. Every bar is a `<rect class='bar'>`. Returns the `<svg>`.
    """
    markers = dict(markers or {})
    values = [v for vals in series.values() for v in vals if v is not None and math.isfinite(v)]
    label_w = min(360, 16 + 7 * max((len(c) for c in categories), default=4))
    row_h = 6 + 14 * max(1, len(series))
    top = 26 if title else 8
    legend_h = 18 if len(series) > 1 or markers else 0
    height = top + max(1, len(categories)) * row_h + 24 + legend_h + (14 if zoom else 0)
    width = max(width, label_w + 200)
    parts = _open_chart(width, height, title)
    if not values or not categories:
        return _no_data(parts, width, height)
    marked = [v for v in markers.values() if math.isfinite(v)]
    if zoom:
        low, high = min(values + marked), max(values + marked)
        pad = (high - low) * 0.15 or abs(high) * 0.05 or 1.0
        floor = low - pad
        low, high = (0.0 if low >= 0.0 > floor else floor), high + pad  # no negative axis
    else:
        low, high = min(0.0, *values, *marked), max(0.0, *values, *marked)
        if high == low:
            high = low + 1
    plot_w = width - label_w - 60
    bottom = top + len(categories) * row_h

    def sx(x: float) -> float:
        return label_w + (x - low) / (high - low) * plot_w

    def shown(value: float) -> str:
        return f"{value * 100:.4g}%" if percent else _fmt(value)

    for tick in _ticks(low, high, 4):
        parts.append(f"<line x1='{sx(tick):.1f}' x2='{sx(tick):.1f}' y1='{top}' y2='{bottom}' "
                     f"stroke='#eee'/><text x='{sx(tick):.1f}' y='{bottom + 13}' "
                     f"text-anchor='middle'>{shown(tick)}</text>")
    base = sx(0.0) if low <= 0.0 <= high else label_w
    for c, category in enumerate(categories):
        y = top + c * row_h + 3
        parts.append(f"<text x='{label_w - 6}' y='{y + row_h / 2 + 1:.1f}' text-anchor='end'>"
                     f"{esc(category)}</text>")
        for s, (name, vals) in enumerate(series.items()):
            value = vals[c] if c < len(vals) else None
            if value is None or not math.isfinite(value):
                continue
            x1, x2 = sorted((base, sx(value)))
            color = PALETTE[s % len(PALETTE)]
            parts.append(f"<rect class='bar' x='{x1:.1f}' y='{y + s * 14:.1f}' "
                         f"width='{max(1.0, x2 - x1):.1f}' height='12' fill='{color}'><title>"
                         f"{esc(name)} / {esc(category)}: {shown(value)}</title></rect>"
                         f"<text x='{max(x1, x2) + 3:.1f}' y='{y + s * 14 + 10:.1f}' "
                         f"font-size='10'>{shown(value)}</text>")
    for label, value in markers.items():
        if math.isfinite(value):
            parts.append(f"<line class='marker' x1='{sx(value):.1f}' x2='{sx(value):.1f}' "
                         f"y1='{top - 2}' y2='{bottom}' stroke='#b71c1c' stroke-width='1.5' "
                         f"stroke-dasharray='4,3'><title>{esc(label)}: {shown(value)}</title>"
                         f"</line>")
    parts.append(f"<line x1='{label_w}' x2='{label_w}' y1='{top}' y2='{bottom}' stroke='#555'/>")
    y = bottom + 28
    if zoom:
        parts.append(f"<text x='{label_w}' y='{y - 2}' fill='#555' font-size='11'>axis from "
                     f"{shown(low)} to {shown(high)} (not from 0)</text>")
        y += 14
    x = float(label_w)
    for s, name in enumerate(series if len(series) > 1 else []):
        parts.append(f"<rect x='{x:.1f}' y='{y - 10}' width='10' height='10' "
                     f"fill='{PALETTE[s % len(PALETTE)]}'/><text x='{x + 14:.1f}' y='{y - 1}'>"
                     f"{esc(name)}</text>")
        x += 24 + 7 * len(name)
    for label, value in markers.items():
        parts.append(f"<line x1='{x:.1f}' x2='{x + 14:.1f}' y1='{y - 5}' y2='{y - 5}' "
                     f"stroke='#b71c1c' stroke-dasharray='4,3'/><text x='{x + 18:.1f}' "
                     f"y='{y - 1}'>{esc(label)} {shown(value)}</text>")
        x += 40 + 7 * len(label)
    parts.append("</svg>")
    return "".join(parts)
