"""HTML views of data artifacts (statistics, schema, anomalies) for `tfxkit show` and notebooks.

`render_html(type_name, uri)` returns one self-contained HTML page as a string; the caller
writes it to a file. Everything is read from the artifact's protos (`FeatureStats.pb`,
`schema.pbtxt`, `SchemaDiff.pb`) with the `tensorflow_metadata` protobuf classes alone, and
drawn as inline SVG: no TensorFlow or TFDV import (so a page renders in about a second), no
network, no external script or style (TFDV's Facets view loads its web component from a public
URL, and shows nothing offline).

The statistics view follows Facets Overview: numeric and categorical features apart, one row
per feature with count, missing %, mean / std dev / min / median / max (numeric) or unique /
top values (categorical), a histogram or top-values chart with the splits overlaid (train vs
eval), features sortable by name, missing %, drift between the first two splits or anomalies.
Drift is the L-infinity distance TFDV uses for categorical features (largest difference of a
value's share), and for numeric features the largest difference between the two splits'
cumulative distributions read off their histograms (a Kolmogorov-Smirnov statistic).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

from tfxkit.components._shared.schema import load_schema as load_shared_schema
from tfxkit.components._shared.statistics import STATS_FILE, load_split_statistics
from tfxkit.errors import DataError
from tfxkit.reports.htmlkit import esc, page
from tfxkit.reports.svg import hbar_chart_svg, histogram_svg

TOP_K = 10
SORT_KEYS = ("name", "missing", "drift", "anomalies")

# The statistics view's own look, inside its fragment so notebooks and `tfxkit show` pages
# (which wrap fragments in their own page) show it the same.
_STATS_STYLE = ("<style>.tfxkit-stats .feature{display:flex;flex-wrap:wrap;gap:16px;"
                "align-items:flex-start;border-top:1px solid #ddd;padding:8px 0}"
                ".tfxkit-stats .facts{min-width:440px}.tfxkit-stats h3{margin:0 0 4px 0;"
                "font-size:14px}.tfxkit-stats h3 small{color:#555;font-weight:normal;"
                "margin-left:6px}.tfxkit-stats .anomaly{background:#ffebee;color:#b71c1c;"
                "border-radius:3px;padding:1px 6px;font-size:12px;font-weight:normal;"
                "margin-left:6px}.tfxkit-stats .drift{color:#555;font-size:12px;"
                "font-weight:normal;margin-left:8px}.tfxkit-stats .high{color:#b71c1c;"
                "font-weight:bold}.tfxkit-stats td.num{text-align:right}"
                ".tfxkit-stats .controls{margin:.5em 0 1em 0}</style>")

# Reorders the feature rows in the page: sorting needs no server and no external script.
_SORT_SCRIPT = """<script>
function tfxkitSort(key){
  document.querySelectorAll('.features').forEach(function(list){
    var rows=Array.prototype.slice.call(list.children);
    rows.sort(function(a,b){
      if(key==='name'){return a.dataset.name.localeCompare(b.dataset.name);}
      var d=parseFloat(b.dataset[key])-parseFloat(a.dataset[key]);
      return d!==0?d:a.dataset.name.localeCompare(b.dataset.name);
    });
    rows.forEach(function(r){list.appendChild(r);});
  });
}
</script>"""


def _splits(uri: str, file_name: str) -> list[str]:
    names = sorted(n[len("Split-"):] for n in os.listdir(uri) if n.startswith("Split-")
                   and os.path.isfile(os.path.join(uri, n, file_name)))
    return sorted(names, key=lambda n: n != "train")  # train first: "train vs eval"


def _fmt(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)


# -- reading -------------------------------------------------------------------------------------
def load_statistics(uri: str) -> dict[str, Any]:
    """split name -> `DatasetFeatureStatisticsList` of the ExampleStatistics artifact at `uri`
    (train first), parsed with the protobuf class only (`load_split_statistics`). Raises
    DataError when no split has a readable `Split-<name>/FeatureStats.pb`."""
    found = {split: load_split_statistics(uri, split)
             for split in _splits(uri, STATS_FILE)}
    if not found:
        raise DataError(f"ExampleStatistics at {uri}: expected Split-<name>/FeatureStats.pb, "
                        f"found none. Is this the `statistics` output of StatisticsGen?")
    return found


def load_schema(uri: str) -> Any:
    """The `Schema` proto in `uri`/schema.pbtxt (the components' one loader). Raises
    DataError (with the parser's line and column) when it is missing or malformed."""
    return load_shared_schema(uri, f"Schema at {uri}")


def load_anomalies(uri: str) -> dict[str, Any]:
    """split name -> `Anomalies` proto of the ExampleAnomalies artifact at `uri`."""
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    found = {}
    for split in _splits(uri, "SchemaDiff.pb"):
        with open(os.path.join(uri, f"Split-{split}", "SchemaDiff.pb"), "rb") as f:
            found[split] = anomalies_pb2.Anomalies.FromString(f.read())
    return found


def anomalous_features(anomalies: Mapping[str, Any]) -> dict[str, list[str]]:
    """feature name -> "split: short description" of every anomaly in `anomalies` (as
    `load_anomalies` returns)."""
    found: dict[str, list[str]] = {}
    for split, proto in anomalies.items():
        for name, info in proto.anomaly_info.items():
            found.setdefault(name, []).append(f"{split}: {info.short_description or 'anomaly'}")
    return found


# -- per-feature facts ---------------------------------------------------------------------------
@dataclasses.dataclass
class FeatureView:
    """One feature's statistics across splits, as the page shows it.

    Attributes:
        name: feature path ("a.b" for nested features).
        kind: "numeric" or "categorical".
        type: TFDV's type name (INT, FLOAT, STRING, BYTES, STRUCT).
        by_split: split -> that split's `FeatureNameStatistics` (absent when the split lacks it).
        num_examples: split -> examples in the split.
        drift: distance between the first two splits (0 with one split).
        anomalies: "split: description" lines from an ExampleAnomalies artifact.
    """

    name: str
    kind: str
    type: str
    by_split: dict[str, Any]
    num_examples: dict[str, int]
    drift: float = 0.0
    anomalies: list[str] = dataclasses.field(default_factory=list)

    def common(self, split: str) -> Any:
        """The split's CommonStatistics."""
        stats = self.by_split[split]
        return getattr(stats, stats.WhichOneof("stats") or "num_stats").common_stats

    def missing(self, split: str) -> float:
        """Share of the split's examples without a value (0..1)."""
        common = self.common(split)
        total = self.num_examples.get(split) or (common.num_non_missing + common.num_missing)
        return common.num_missing / total if total else 0.0

    @property
    def worst_missing(self) -> float:
        """Largest missing share over the splits."""
        return max((self.missing(s) for s in self.by_split), default=0.0)


def _feature_name(stats: Any) -> str:
    return ".".join(stats.path.step) if stats.path.step else stats.name


def _type_name(stats: Any) -> str:
    from tensorflow_metadata.proto.v0 import statistics_pb2

    return str(statistics_pb2.FeatureNameStatistics.Type.Name(stats.type))


def _standard_histogram(stats: Any) -> list[tuple[float, float, float]]:
    for histogram in stats.num_stats.histograms:
        if histogram.type == histogram.STANDARD:
            return [(b.low_value, b.high_value, b.sample_count) for b in histogram.buckets]
    return []


def _cdf(buckets: Sequence[tuple[float, float, float]], x: float) -> float:
    """Share of the histogram's samples at or below `x`, spread evenly inside each bucket."""
    total = sum(b[2] for b in buckets)
    if total <= 0:
        return 0.0
    below = 0.0
    for low, high, count in buckets:
        if x >= high:
            below += count
        elif x > low:
            below += count * (x - low) / (high - low)
    return below / total


def numeric_drift(a: Sequence[tuple[float, float, float]],
                  b: Sequence[tuple[float, float, float]]) -> float:
    """Largest difference between two histograms' cumulative distributions (0..1)."""
    edges = sorted({e for buckets in (a, b) for low, high, _ in buckets for e in (low, high)
                    if math.isfinite(e)})
    return max((abs(_cdf(a, x) - _cdf(b, x)) for x in edges), default=0.0)


def _value_shares(stats: Any) -> dict[str, float]:
    string_stats = stats.string_stats
    total = string_stats.common_stats.tot_num_values or sum(
        v.frequency for v in string_stats.top_values)
    if not total:
        return {}
    buckets = string_stats.rank_histogram.buckets
    if buckets:
        return {b.label: b.sample_count / total for b in buckets}
    return {v.value: v.frequency / total for v in string_stats.top_values}


def categorical_drift(a: Any, b: Any) -> float:
    """L-infinity distance between two categorical features' value shares (0..1), as TFDV's
    drift comparator computes it, over the values the statistics list."""
    left, right = _value_shares(a), _value_shares(b)
    return max((abs(left.get(v, 0.0) - right.get(v, 0.0)) for v in {*left, *right}),
               default=0.0)


def feature_views(statistics: Mapping[str, Any],
                  anomalies: Mapping[str, list[str]] | None = None) -> list[FeatureView]:
    """One FeatureView per feature of the first dataset of each split's statistics, with the
    drift between the first two splits and the anomalies naming it; sorted by name."""
    views: dict[str, FeatureView] = {}
    for split, stats_list in statistics.items():
        if not stats_list.datasets:
            continue
        dataset = stats_list.datasets[0]
        for stats in dataset.features:
            name = _feature_name(stats)
            view = views.get(name)
            if view is None:
                kind = "numeric" if stats.WhichOneof("stats") == "num_stats" else "categorical"
                view = views[name] = FeatureView(name, kind, _type_name(stats), {}, {})
            view.by_split[split] = stats
            view.num_examples[split] = int(dataset.num_examples)
    splits = list(statistics)
    for view in views.values():
        if len(splits) >= 2 and all(s in view.by_split for s in splits[:2]):
            a, b = (view.by_split[s] for s in splits[:2])
            if view.kind == "numeric":
                view.drift = numeric_drift(_standard_histogram(a), _standard_histogram(b))
            elif a.WhichOneof("stats") == "string_stats":
                view.drift = categorical_drift(a, b)
        view.anomalies = list((anomalies or {}).get(view.name, []))
    return sorted(views.values(), key=lambda v: v.name)


def sort_views(views: Sequence[FeatureView], by: str = "name") -> list[FeatureView]:
    """`views` ordered by `by`: "name", or largest first "missing" (%), "drift" or
    "anomalies" (features with anomalies first). Raises DataError for another key."""
    if by not in SORT_KEYS:
        raise DataError(f"Cannot sort features by {by!r}; expected one of {', '.join(SORT_KEYS)}.")
    keys = {"name": lambda v: (0.0, v.name), "missing": lambda v: (-v.worst_missing, v.name),
            "drift": lambda v: (-v.drift, v.name),
            "anomalies": lambda v: (-len(v.anomalies), v.name)}
    return sorted(views, key=keys[by])


# -- drawing -------------------------------------------------------------------------------------
def _cells(values: Sequence[object]) -> str:
    return "".join(f"<td class='num'>{esc(v)}</td>" for v in values)


def _missing_cell(view: FeatureView, split: str) -> str:
    missing = view.missing(split)
    return f"<td class='num{' high' if missing else ''}'>{missing:.1%}</td>"


def _numeric_table(view: FeatureView) -> str:
    head = ("<tr><th>split</th><th>count</th><th>missing</th><th>mean</th><th>std dev</th>"
            "<th>zeros</th><th>min</th><th>median</th><th>max</th></tr>")
    rows = []
    for split, stats in view.by_split.items():
        num = stats.num_stats
        count = num.common_stats.num_non_missing
        zeros = f"{num.num_zeros / count:.1%}" if count else "-"
        rows.append(f"<tr><td>{esc(split)}</td>" + _cells([count]) + _missing_cell(view, split)
                    + _cells([_fmt(num.mean), _fmt(num.std_dev), zeros, _fmt(num.min),
                              _fmt(num.median), _fmt(num.max)]) + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _categorical_table(view: FeatureView) -> str:
    head = ("<tr><th>split</th><th>count</th><th>missing</th><th>unique</th><th>top value</th>"
            "<th>top share</th><th>avg length</th></tr>")
    rows = []
    for split, stats in view.by_split.items():
        if stats.WhichOneof("stats") != "string_stats":  # struct / bytes without values
            count = view.common(split).num_non_missing
            rows.append(f"<tr><td>{esc(split)}</td>" + _cells([count]) + _missing_cell(
                view, split) + _cells(["-", "-", "-", "-"]) + "</tr>")
            continue
        string = stats.string_stats
        count = string.common_stats.num_non_missing
        top = string.top_values[0] if string.top_values else None
        total = string.common_stats.tot_num_values or count
        rows.append(f"<tr><td>{esc(split)}</td>" + _cells([count]) + _missing_cell(view, split)
                    + _cells([string.unique, top.value if top else "-",
                              f"{top.frequency / total:.1%}" if top and total else "-",
                              _fmt(string.avg_length)]) + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _top_values_chart(view: FeatureView) -> str:
    shares = {split: _value_shares(stats) for split, stats in view.by_split.items()
              if stats.WhichOneof("stats") == "string_stats"}
    if not any(shares.values()):
        return ""
    first = next(iter(shares.values())) or {}
    order = sorted(first, key=lambda v: -first[v])[:TOP_K]
    for other in list(shares.values())[1:]:  # values only other splits have, after
        order += [v for v in sorted(other, key=lambda v: -other[v]) if v not in order][
            :max(0, TOP_K - len(order))]
    return hbar_chart_svg(order, {split: [values.get(v) for v in order]
                                  for split, values in shares.items()},
                          title=f"top {len(order)} values (share)", width=380, percent=True)


def _feature_row(view: FeatureView) -> str:
    badge = "".join(f"<span class='anomaly' title='{esc(a)}'>anomaly: {esc(a)}</span>"
                    for a in view.anomalies)
    drift = (f"<span class='drift'>drift {view.drift:.3f}</span>"
             if len(view.by_split) >= 2 else "")
    if view.kind == "numeric":
        facts = _numeric_table(view)
        chart = histogram_svg({split: _standard_histogram(stats)
                               for split, stats in view.by_split.items()}, title="histogram")
    else:
        facts, chart = _categorical_table(view), _top_values_chart(view)
    return (f"<div class='feature' data-name='{esc(view.name)}' "
            f"data-missing='{view.worst_missing:.6f}' data-drift='{view.drift:.6f}' "
            f"data-anomalies='{len(view.anomalies)}'><div class='facts'><h3>{esc(view.name)} "
            f"<small>{esc(view.type)}</small>{drift}{badge}</h3>{facts}</div>{chart}</div>")


def statistics_fragment(uri: str, anomalies_uri: str | None = None, sort_by: str = "name"
                        ) -> str:
    """The body of the statistics view of the ExampleStatistics artifact at `uri`: a summary of
    the splits, a sort control, then numeric and categorical features. `anomalies_uri` (an
    ExampleAnomalies artifact of the same data) flags the features its anomalies name;
    `sort_by` is the initial order (one of SORT_KEYS). Raises DataError as `load_statistics`."""
    statistics = load_statistics(uri)
    flagged = anomalous_features(load_anomalies(anomalies_uri)) if anomalies_uri else {}
    views = sort_views(feature_views(statistics, flagged), sort_by)
    splits = list(statistics)
    sizes = {s: statistics[s].datasets[0].num_examples if statistics[s].datasets else 0
             for s in splits}
    counts = ", ".join(f"{esc(s)}: {n} examples" for s, n in sizes.items())
    title = " vs ".join(esc(s) for s in splits[:2]) + (
        "".join(f", {esc(s)}" for s in splits[2:]))
    options = "".join(f"<option value='{key}'{' selected' if key == sort_by else ''}>"
                      f"{label}</option>" for key, label in (
                          ("name", "name"), ("missing", "missing % (most first)"),
                          ("drift", f"drift {' vs '.join(splits[:2])} (most first)"),
                          ("anomalies", "anomalies first")))
    parts = [f"<h2>{title}</h2><p>{counts}; {len(views)} features"
             + (f", {sum(1 for v in views if v.anomalies)} with anomalies" if anomalies_uri
                else "")
             + ".</p>", f"<div class='controls'>Sort features by <select "
             f"onchange='tfxkitSort(this.value)'>{options}</select></div>"]
    for kind, heading in (("numeric", "Numeric features"), ("categorical",
                                                             "Categorical features")):
        rows = [_feature_row(v) for v in views if v.kind == kind]
        if rows:
            parts.append(f"<h2>{heading} ({len(rows)})</h2><div class='features'>"
                         + "".join(rows) + "</div>")
    return f"<div class='tfxkit-stats'>{_STATS_STYLE}{''.join(parts)}{_SORT_SCRIPT}</div>"


def render_statistics(uri: str, anomalies_uri: str | None = None, sort_by: str = "name") -> str:
    """HTML page of an ExampleStatistics artifact (see `statistics_fragment`)."""
    return page(f"ExampleStatistics {uri}", statistics_fragment(uri, anomalies_uri, sort_by))


def _domain(feature: Any) -> str:
    kind = feature.WhichOneof("domain_info")
    if kind is None:
        return "-"
    if kind == "domain":
        return f"'{feature.domain}'"
    value = getattr(feature, kind)
    if kind in ("int_domain", "float_domain"):
        low = _fmt(value.min) if value.HasField("min") else "-inf"
        high = _fmt(value.max) if value.HasField("max") else "inf"
        return f"{low}..{high}"
    if kind == "string_domain":
        return ", ".join(f"'{v}'" for v in value.value)
    return kind


def _presence(feature: Any) -> str:
    if feature.HasField("presence"):
        fraction = feature.presence.min_fraction
        return "required" if fraction >= 1.0 else f"optional (min {fraction:.0%})" if (
            fraction > 0) else "optional"
    return "optional"


def _valency(feature: Any) -> str:
    if feature.HasField("shape"):
        return "shape [" + ", ".join(str(d.size) for d in feature.shape.dim) + "]"
    if feature.HasField("value_count"):
        low, high = feature.value_count.min, feature.value_count.max
        return "single" if low == high == 1 else f"{low}..{high or ''}"
    return "-"


def schema_fragment(uri: str) -> str:
    """The body of the schema view of the Schema artifact at `uri`: a table of features (type,
    presence, valency, domain) and one of the named string domains, as TFDV's display shows."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    schema = load_schema(uri)
    rows = [f"<tr><td>{esc(f.name)}</td><td>{esc(schema_pb2.FeatureType.Name(f.type))}</td>"
            f"<td>{esc(_presence(f))}</td><td>{esc(_valency(f))}</td>"
            f"<td>{esc(_domain(f))}</td></tr>" for f in schema.feature]
    body = ("<h2>Features</h2><table><tr><th>feature</th><th>type</th><th>presence</th>"
            "<th>valency</th><th>domain</th></tr>" + "".join(rows) + "</table>")
    if schema.string_domain:
        body += ("<h2>Domains</h2><table><tr><th>domain</th><th>values</th></tr>"
                 + "".join(f"<tr><td>{esc(d.name)}</td><td>"
                           f"{esc(', '.join(repr(v) for v in d.value))}</td></tr>"
                           for d in schema.string_domain) + "</table>")
    return body


def render_schema(uri: str) -> str:
    """HTML page of a Schema artifact (see `schema_fragment`)."""
    return page(f"Schema {uri}", schema_fragment(uri))


def anomalies_fragment(uri: str) -> str:
    """The body of the anomalies view of the ExampleAnomalies artifact at `uri`: one table of
    anomalies (feature, short and long description) per split."""
    parts = []
    for split, anomalies in load_anomalies(uri).items():
        parts.append(f"<h2>{esc(split)}</h2>")
        rows = [f"<tr><td>{esc(name)}</td><td>{esc(info.short_description)}</td>"
                f"<td>{esc(info.description)}</td></tr>"
                for name, info in sorted(anomalies.anomaly_info.items())]
        if anomalies.HasField("dataset_anomaly_info"):
            info = anomalies.dataset_anomaly_info
            rows.insert(0, f"<tr><td>(dataset)</td><td>{esc(info.short_description)}</td>"
                           f"<td>{esc(info.description)}</td></tr>")
        parts.append("<table><tr><th>feature</th><th>anomaly</th><th>description</th></tr>"
                     + "".join(rows) + "</table>" if rows else "<p>No anomalies found.</p>")
    return "".join(parts) or "<p>No splits.</p>"


def render_anomalies(uri: str) -> str:
    """HTML page of an ExampleAnomalies artifact (see `anomalies_fragment`)."""
    return page(f"ExampleAnomalies {uri}", anomalies_fragment(uri))


def render_html(artifact_type_name: str, uri: str) -> str:
    """A self-contained HTML page for an artifact of type `artifact_type_name` at `uri`.

    Takes "ExampleStatistics", "Schema" or "ExampleAnomalies"; raises DataError for other
    types or missing files. Returns the page; write it to a .html file to view it.
    """
    renderers = {"ExampleStatistics": render_statistics, "Schema": render_schema,
                 "ExampleAnomalies": render_anomalies}
    renderer = renderers.get(artifact_type_name)
    if renderer is None:
        raise DataError(f"No HTML view for artifact type {artifact_type_name!r}; expected one "
                        f"of {sorted(renderers)}.")
    if not os.path.isdir(uri):
        raise DataError(f"{artifact_type_name} at {uri}: the folder does not exist.")
    return renderer(uri)
