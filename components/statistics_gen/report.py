"""HTML views of data artifacts (statistics, schema, anomalies) for `tfxkit show`.

`render_html(type_name, uri)` returns one HTML page as a string; the caller writes it to a file.
Statistics use TFDV's Facets renderer (`display_util.get_statistics_html`; the page loads the
Facets web component from its public URL), schema and anomalies are plain HTML tables built
from TFDV's own dataframes. Heavy libraries are imported inside the functions.
"""

from __future__ import annotations

import html
import os

from tfxkit.errors import DataError

_STYLE = ("<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
          "th{background:#f3f3f3}h2{margin-top:1.5em}</style>")


def _splits(uri: str) -> list[str]:
    names = sorted(n[len("Split-"):] for n in os.listdir(uri) if n.startswith("Split-"))
    return sorted(names, key=lambda n: n != "train")  # train first: "train vs eval"


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title>{_STYLE}</head><body><h1>{html.escape(title)}</h1>{body}</body></html>")


def render_statistics(uri: str) -> str:
    """HTML of an ExampleStatistics artifact: Facets Overview of each split (the first two
    splits side by side, e.g. train vs eval)."""
    import tensorflow_data_validation as tfdv
    from tensorflow_data_validation.utils import display_util

    splits = _splits(uri)
    stats = [tfdv.load_stats_binary(os.path.join(uri, f"Split-{s}", "FeatureStats.pb"))
             for s in splits]
    if not stats:
        raise DataError(f"ExampleStatistics at {uri}: no Split-<name>/FeatureStats.pb found.")
    parts = []
    if len(stats) >= 2:
        parts.append(f"<h2>{html.escape(splits[0])} vs {html.escape(splits[1])}</h2>")
        parts.append(display_util.get_statistics_html(stats[0], stats[1], lhs_name=splits[0],
                                                      rhs_name=splits[1]))
        rest = list(zip(splits[2:], stats[2:], strict=True))
    else:
        rest = list(zip(splits, stats, strict=True))
    for split, stat in rest:
        parts.append(f"<h2>{html.escape(split)}</h2>")
        parts.append(display_util.get_statistics_html(stat, lhs_name=split))
    return _page(f"ExampleStatistics {uri}", "".join(parts))


def render_schema(uri: str) -> str:
    """HTML of a Schema artifact: a table of features (type, presence, valency, domain) and of
    string domains."""
    import tensorflow_data_validation as tfdv
    from tensorflow_data_validation.utils import display_util

    path = os.path.join(uri, "schema.pbtxt")
    if not os.path.exists(path):
        raise DataError(f"Schema at {uri}: {path} is missing.")
    features, domains = display_util.get_schema_dataframe(tfdv.load_schema_text(path))
    body = "<h2>Features</h2>" + features.to_html()
    if len(domains):
        body += "<h2>Domains</h2>" + domains.to_html()
    return _page(f"Schema {uri}", body)


def render_anomalies(uri: str) -> str:
    """HTML of an ExampleAnomalies artifact: one table of anomalies per split."""
    from tensorflow_data_validation.utils import display_util
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    parts = []
    for split in _splits(uri):
        anomalies = anomalies_pb2.Anomalies()
        with open(os.path.join(uri, f"Split-{split}", "SchemaDiff.pb"), "rb") as f:
            anomalies.ParseFromString(f.read())
        table = display_util.get_anomalies_dataframe(anomalies)
        parts.append(f"<h2>{html.escape(split)}</h2>")
        parts.append(table.to_html() if len(table) else "<p>No anomalies found.</p>")
    return _page(f"ExampleAnomalies {uri}", "".join(parts) or "<p>No splits.</p>")


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
