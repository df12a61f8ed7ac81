"""HTML fragments showing one artifact of each standard type.

`artifact_fragment(type_name, uri, facts)` returns an HTML `<div>` (no page around it) that a
notebook displays inline and `tfxkit show` wraps into a page. Data artifacts reuse the
StatisticsGen report (statistics, schema and anomalies read from their protos without
TensorFlow, drawn as inline SVG); the rest are built here: TFMA metrics tables and per-slice
bar charts, SavedModel signatures, a sample of tf.Examples, TensorBoard training curves,
blessing and push verdicts. TensorFlow and TFMA are imported inside the functions that need
them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfxkit.errors import DataError
from tfxkit.reports.htmlkit import esc, table
from tfxkit.reports.svg import hbar_chart_svg, line_chart_svg

if TYPE_CHECKING:
    from ml_metadata.metadata_store.metadata_store import MetadataStore

SAMPLE_ROWS = 10
Renderer = Callable[[str, Mapping[str, Any]], str]
_HIDDEN_PROPERTIES = ("tfxkit_file_count", "tfxkit_total_bytes")


def _data_report(type_name: str) -> Renderer:
    def render(uri: str, facts: Mapping[str, Any]) -> str:
        from tfxkit.reports import data as report

        if type_name == "ExampleStatistics":
            return report.statistics_fragment(uri, facts.get("anomalies_uri"),
                                              facts.get("sort_by") or "name")
        if type_name == "Schema":
            return report.schema_fragment(uri)
        return report.anomalies_fragment(uri)
    return render


def anomalies_of(store: MetadataStore, statistics_id: int) -> str | None:
    """The uri of the newest ExampleAnomalies artifact computed from the ExampleStatistics
    artifact `statistics_id` (by an execution that read it), or None."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    readers = {e.execution_id for e in store.get_events_by_artifact_ids([statistics_id])
               if e.type == pb.Event.INPUT}
    if not readers:
        return None
    try:
        type_id = store.get_artifact_type("ExampleAnomalies").id
    except Exception:  # no such type in this store: nothing validated these statistics
        return None
    made = [e.artifact_id for e in store.get_events_by_execution_ids(list(readers))
            if e.type == pb.Event.OUTPUT]
    found = [a for a in store.get_artifacts_by_id(made)
             if a.state == pb.Artifact.LIVE and a.type_id == type_id]
    return max(found, key=lambda a: a.id).uri if found else None


# -- examples ------------------------------------------------------------------------------------
def _split_dirs(uri: str) -> list[tuple[str, Path]]:
    splits = [(p.name[len("Split-"):], p) for p in sorted(Path(uri).glob("Split-*")) if p.is_dir()]
    return sorted(splits, key=lambda s: s[0] != "train")


def _feature_value(feature: Any) -> Any:
    kind = feature.WhichOneof("kind")
    if kind is None:
        return None
    values = list(getattr(feature, kind).value)
    if kind == "bytes_list":
        values = [v.decode("utf-8", "replace") for v in values]
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def example_rows(split_dir: Path, limit: int = SAMPLE_ROWS) -> tuple[list[str], list[list[Any]]]:
    """(feature names, first `limit` rows) of the tf.Example TFRecord files in `split_dir`
    (gzipped when the file name ends in .gz)."""
    import tensorflow as tf

    files = sorted(str(p) for p in split_dir.iterdir() if p.is_file()
                   and not p.name.startswith("."))
    rows: list[dict[str, Any]] = []
    for path in files:
        compression = "GZIP" if path.endswith(".gz") else ""
        for record in tf.data.TFRecordDataset(path, compression_type=compression).take(
                limit - len(rows)):
            example = tf.train.Example.FromString(record.numpy())
            rows.append({k: _feature_value(v) for k, v in example.features.feature.items()})
        if len(rows) >= limit:
            break
    names = sorted({k for row in rows for k in row})
    return names, [[row.get(n) for n in names] for row in rows]


def render_examples(uri: str) -> str:
    """HTML of an Examples artifact: the first rows of each split as a table."""
    splits = _split_dirs(uri)
    if not splits:
        raise DataError(f"Examples at {uri}: expected Split-<name>/ folders of TFRecord files, "
                        f"found none. Is this an Examples artifact?")
    parts = []
    for split, folder in splits:
        names, rows = example_rows(folder)
        parts.append(f"<h3>{esc(split)}: first {len(rows)} rows</h3>")
        parts.append(table(names, rows) if rows else "<p>No rows.</p>")
    return "".join(parts)


# -- models --------------------------------------------------------------------------------------
def saved_model_signatures(model_dir: str) -> list[list[str]]:
    """Rows (signature, direction, tensor name, dtype, shape) of the SavedModel in `model_dir`,
    read from `saved_model.pb` without loading the model."""
    from tensorflow.core.framework import types_pb2
    from tensorflow.core.protobuf import saved_model_pb2

    path = Path(model_dir, "saved_model.pb")
    if not path.is_file():
        raise DataError(f"No SavedModel at {model_dir}: {path} is missing.")
    saved = saved_model_pb2.SavedModel.FromString(path.read_bytes())
    rows = []
    for meta_graph in saved.meta_graphs:
        for name, signature in sorted(meta_graph.signature_def.items()):
            if name.startswith("__"):  # internal (e.g. __saved_model_init_op)
                continue
            for direction, tensors in (("input", signature.inputs), ("output", signature.outputs)):
                for key, info in sorted(tensors.items()):
                    dims = ("?" if d.size < 0 else str(d.size) for d in info.tensor_shape.dim)
                    shape = "unknown" if info.tensor_shape.unknown_rank else f"[{', '.join(dims)}]"
                    rows.append([name, direction, key, types_pb2.DataType.Name(info.dtype)
                                 .removeprefix("DT_").lower(), shape])
    return rows


def _size(folder: Path) -> str:
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return f"{total / 1e6:.2f} MB" if total >= 1e5 else f"{total / 1e3:.1f} kB"


def render_model(uri: str) -> str:
    """HTML of a Model artifact: the serving SavedModel's signatures and size."""
    serving = Path(uri, "Format-Serving")
    folder = serving if serving.is_dir() else Path(uri)
    rows = saved_model_signatures(str(folder))
    return (f"<p>SavedModel at <code>{esc(folder)}</code> ({_size(folder)}).</p><h3>Signatures</h3>"
            + table(["signature", "", "tensor", "dtype", "shape"], rows))


def render_pushed_model(uri: str, facts: Mapping[str, Any]) -> str:
    """HTML of a PushedModel artifact: whether and where it was pushed, and its signatures."""
    custom = facts.get("custom_properties", {})
    if not custom.get("pushed", Path(uri, "saved_model.pb").is_file()):
        reason = custom.get("pushed_reason", "")
        return f"<p class='bad'>Not pushed. {esc(reason)}</p>"
    body = (f"<p class='good'>Pushed as version <b>{esc(custom.get('pushed_version', '?'))}</b> to "
            f"<code>{esc(custom.get('pushed_destination', '?'))}</code>.</p>")
    if Path(uri, "saved_model.pb").is_file():
        body += "<h3>Signatures</h3>" + table(["signature", "", "tensor", "dtype", "shape"],
                                              saved_model_signatures(uri))
    return body


def render_blessing(uri: str, facts: Mapping[str, Any]) -> str:
    """HTML of a ModelBlessing artifact: the verdict, its reason and the models compared."""
    custom = facts.get("custom_properties", {})
    blessed = Path(uri, "BLESSED").exists() or custom.get("blessed") == 1
    verdict = ("<p class='good'><b>BLESSED</b></p>" if blessed
               else "<p class='bad'><b>NOT BLESSED</b></p>")
    rows = [[key, custom[key]] for key in ("blessing_reason", "current_model", "baseline_model")
            if key in custom]
    return verdict + (table(["", ""], rows) if rows else "")


# -- training logs -------------------------------------------------------------------------------
def read_scalars(log_dir: str) -> dict[str, dict[str, list[tuple[float, float]]]]:
    """TensorBoard scalars under `log_dir`: tag -> run (sub-folder, e.g. train / validation)
    -> (step, value) points, read from the event files with TensorFlow's summary iterator."""
    import tensorflow as tf

    found: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for path in sorted(Path(log_dir).rglob("events.out.tfevents.*")):
        run = str(path.parent.relative_to(log_dir)) if path.parent != Path(log_dir) else "."
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.HasField("simple_value"):
                    number = float(value.simple_value)
                elif value.HasField("tensor") and value.metadata.plugin_data.plugin_name in (
                        "scalars", ""):
                    array = tf.make_ndarray(value.tensor)
                    if array.size != 1 or array.dtype.kind not in "fiu":
                        continue
                    number = float(array.reshape(()))
                else:
                    continue
                found.setdefault(value.tag, {}).setdefault(run, []).append(
                    (float(event.step), number))
    return found


MIN_CURVE_POINTS = 3


def _scalar_table(scalars: Mapping[str, Mapping[str, list[tuple[float, float]]]],
                  tags: list[str]) -> str:
    """One table of the scalars in `tags`: a row per step, a column per tag and run."""
    columns = [(tag, run) for tag in tags for run in sorted(scalars[tag])]
    steps = sorted({step for tag, run in columns for step, _ in scalars[tag][run]})
    values = {(tag, run): dict(scalars[tag][run]) for tag, run in columns}
    x_label = "epoch" if all(t.startswith("epoch_") for t in tags) else "step"
    header = [x_label, *(f"{tag.removeprefix('epoch_')} ({run})" for tag, run in columns)]
    rows = [[f"{step:g}", *(values[c].get(step) for c in columns)] for step in steps]
    return table(header, rows)


def render_model_run(uri: str) -> str:
    """HTML of a ModelRun artifact: one line chart per TensorBoard scalar (train and validation
    curves together), epoch curves first. Scalars with fewer than MIN_CURVE_POINTS points (a
    one- or two-epoch run) are a table instead: a chart of one dot says nothing."""
    scalars = read_scalars(uri)
    if not scalars:
        return (f"<p>No TensorBoard scalars under <code>{esc(uri)}</code>. Add "
                f"<code>tf.keras.callbacks.TensorBoard(log_dir=fn_args.model_run_dir)</code> to "
                f"<code>model.fit</code> in run_fn to record training curves.</p>")
    tags = sorted(scalars, key=lambda t: (not t.startswith("epoch_"), t))
    short = [t for t in tags if max(len(points) for points in scalars[t].values())
             < MIN_CURVE_POINTS]
    charts = []
    for tag in (t for t in tags if t not in short):
        x_label = "epoch" if tag.startswith("epoch_") else "step"
        title = tag.removeprefix("epoch_")
        charts.append(line_chart_svg(scalars[tag], title=title, x_label=x_label))
    parts = [f"<p>TensorBoard logs at <code>{esc(uri)}</code> (open with "
             f"<code>tensorboard --logdir {esc(uri)}</code>).</p>"]
    for kind in ("epoch", "step"):
        group = [t for t in short if t.startswith("epoch_") == (kind == "epoch")]
        if group:
            parts.append(f"<h3>Training metrics by {kind}</h3>" + _scalar_table(scalars, group))
    if charts:
        parts.append("<div class='charts'>" + "".join(charts) + "</div>")
    return "".join(parts)


# -- evaluation ----------------------------------------------------------------------------------
def slice_name(slice_key: Any) -> str:
    """A TFMA slice key as text: "Overall", "species = 1", "a = x, b = y"."""
    if not slice_key:
        return "Overall"
    return ", ".join(f"{column} = {value}" for column, value in slice_key)


def _metric_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        if "doubleValue" in value:
            return float(value["doubleValue"])
        if "boundedValue" in value:
            return float(value["boundedValue"].get("value", float("nan")))
        return None
    return value if isinstance(value, int | float) else None


def evaluation_metrics(uri: str) -> list[tuple[str, dict[str, float]]]:
    """(slice name, {metric name: value}) for every slice of the TFMA result at `uri`; metrics
    of several outputs or classes are named `output/sub_key/metric`."""
    import tensorflow_model_analysis as tfma

    result = tfma.load_eval_result(uri)
    slices = []
    for slice_key, by_output in result.slicing_metrics:
        values: dict[str, float] = {}
        for output, by_sub_key in by_output.items():
            for sub_key, metrics in by_sub_key.items():
                for metric, raw in metrics.items():
                    value = _metric_value(raw)
                    if value is not None:
                        name = "/".join(p for p in (output, sub_key, metric) if p)
                        values[name] = value
        slices.append((slice_name(slice_key), values))
    return slices


def _confusion_matrices(uri: str) -> str:
    """The overall multi-class confusion matrix among the TFMA plots, as a shaded table."""
    import tensorflow_model_analysis as tfma

    parts = []
    for slice_key, by_output in tfma.load_eval_result(uri).plots or []:
        if slice_key:  # overall only: a per-class slice's matrix has a single row
            continue
        for by_sub_key in (by_output or {}).values():
            for plots in by_sub_key.values():
                matrix = plots.get("multiClassConfusionMatrixAtThresholds")
                if not matrix:
                    continue
                entries = matrix["matrices"][0].get("entries", [])
                labels = sorted({int(e.get("actualClassId", 0)) for e in entries}
                                | {int(e.get("predictedClassId", 0)) for e in entries})
                counts = {(int(e.get("actualClassId", 0)), int(e.get("predictedClassId", 0))):
                          float(e.get("numWeightedExamples", 0.0)) for e in entries}
                peak = max(counts.values(), default=1.0) or 1.0
                rows = []
                for actual in labels:
                    cells = []
                    for predicted in labels:
                        count = counts.get((actual, predicted), 0.0)
                        shade = int(255 - 155 * count / peak)
                        cells.append(f"<td style='background:rgb({shade},{shade},255)'>"
                                     f"{count:g}</td>")
                    rows.append(f"<tr><th>{actual}</th>{''.join(cells)}</tr>")
                head = "".join(f"<th>{p}</th>" for p in labels)
                parts.append(f"<h3>Confusion matrix ({esc(slice_name(slice_key))})</h3>"
                             f"<table><tr><th>actual \\ predicted</th>{head}</tr>"
                             f"{''.join(rows)}</table>")
    return "".join(parts)


def _slice_value(key: Any) -> Any:
    kind = key.WhichOneof("kind")
    value = getattr(key, kind) if kind else ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _validation(uri: str) -> str:
    """The threshold verdict of a TFMA result: passed, or a table of the failed metrics."""
    import tensorflow_model_analysis as tfma

    if not any(Path(uri).glob("validations*")):
        return ""
    result = tfma.load_validation_result(uri)
    if result.validation_ok:
        return "<p class='good'>All thresholds passed.</p>"
    failures = []
    for per_slice in result.metric_validations_per_slice:
        where = slice_name(tuple((k.column, _slice_value(k))
                                 for k in per_slice.slice_key.single_slice_keys))
        for failure in per_slice.failures:
            value = failure.metric_value.double_value.value
            threshold = " ".join(str(failure.metric_threshold).split())
            failures.append([where, failure.metric_key.name, value, threshold])
    return ("<p class='bad'>Thresholds failed:</p>"
            + table(["slice", "metric", "value", "threshold"], failures))


def _metric_key(name: str) -> str:
    """A metric name compared loosely: "output/sub/sparse_categorical_accuracy" and TFMA's
    class name "SparseCategoricalAccuracy" both give "sparsecategoricalaccuracy"."""
    return name.rsplit("/", 1)[-1].replace("_", "").lower()


def metric_thresholds(uri: str) -> dict[str, dict[str, float]]:
    """Value thresholds of the eval config TFMA saved at `uri`/eval_config.json, read as JSON:
    loose metric key (see `_metric_key`) -> {"lower bound": x, "upper bound": y}, for drawing
    them on the charts. Thresholds that apply to some slices only are named with those slices."""
    import json

    try:
        config = json.loads(Path(uri, "eval_config.json").read_text()).get("evalConfig", {})
    except (OSError, ValueError):
        return {}
    found: dict[str, dict[str, float]] = {}
    for spec in config.get("metricsSpecs", []):
        for metric in spec.get("metrics", []):
            key = _metric_key(metric.get("name") or metric.get("className", ""))
            thresholds: list[tuple[Any, Any]] = (
                [({}, metric["threshold"])] if "threshold" in metric else [])
            thresholds += [(item.get("slicingSpecs", [{}]), item.get("threshold", {}))
                           for item in metric.get("perSliceThresholds", [])]
            for slicing, threshold in thresholds:
                value = threshold.get("valueThreshold", {})
                where = "" if slicing in ({}, [{}], []) else " (some slices)"
                for field, label in (("lowerBound", "lower bound"), ("upperBound",
                                                                     "upper bound")):
                    if field in value:
                        found.setdefault(key, {})[label + where] = float(value[field])
    return found


def render_evaluation(uri: str) -> str:
    """HTML of a ModelEvaluation artifact (a TFMA result): the threshold verdict, a metrics
    table with one row per slice, a bar chart per metric across slices (axis zoomed around the
    values, value thresholds drawn, full slice names), and confusion matrices when the eval
    config asked for them."""
    if not Path(uri, "eval_config.json").is_file():
        raise DataError(f"ModelEvaluation at {uri}: eval_config.json is missing; expected the "
                        f"output folder of TFMA (the Evaluator's `evaluation` output).")
    slices = evaluation_metrics(uri)
    names = sorted({m for _, values in slices for m in values})
    rows = [[name, *(values.get(m) for m in names)] for name, values in slices]
    parts = [_validation(uri), "<h3>Metrics by slice</h3>", table(["slice", *names], rows)]
    categories = [name for name, _ in slices]
    bounds = metric_thresholds(uri)
    charts = [hbar_chart_svg(categories, {metric: [values.get(metric) for _, values in slices]},
                             title=metric, zoom=True, markers=bounds.get(_metric_key(metric)))
              for metric in names if metric != "example_count"]
    if len(categories) > 1 and charts:
        parts.append("<h3>Metrics across slices</h3><div class='charts'>" + "".join(charts)
                     + "</div>")
    parts.append(_confusion_matrices(uri))
    return "".join(parts)


# -- transform -----------------------------------------------------------------------------------
def render_transform_graph(uri: str) -> str:
    """HTML of a TransformGraph artifact: the transformed features' schema."""
    from tfxkit.reports.data import schema_fragment

    folder = Path(uri, "transformed_metadata")
    if not Path(folder, "schema.pbtxt").is_file():
        raise DataError(f"TransformGraph at {uri}: transformed_metadata/schema.pbtxt is missing.")
    return ("<p>The transform graph is at <code>transform_fn/</code>; open it with "
            "<code>tft.TFTransformOutput(uri)</code>.</p><h3>Transformed features</h3>"
            + schema_fragment(str(folder)))


# -- dispatch ------------------------------------------------------------------------------------
def _listing(uri: str, limit: int = 30) -> str:
    files = sorted(p for p in Path(uri).rglob("*") if p.is_file())
    rows = [[str(p.relative_to(uri)), p.stat().st_size] for p in files[:limit]]
    more = f"<p>... and {len(files) - limit} more files.</p>" if len(files) > limit else ""
    return "<h3>Files</h3>" + table(["file", "bytes"], rows) + more


def _plain(render: Callable[[str], str]) -> Renderer:
    return lambda uri, facts: render(uri)


RENDERERS: dict[str, Renderer] = {
    "ExampleStatistics": _data_report("ExampleStatistics"),
    "Schema": _data_report("Schema"),
    "ExampleAnomalies": _data_report("ExampleAnomalies"),
    "Examples": _plain(render_examples),
    "TransformGraph": _plain(render_transform_graph),
    "Model": _plain(render_model),
    "ModelRun": _plain(render_model_run),
    "ModelEvaluation": _plain(render_evaluation),
    "ModelBlessing": render_blessing,
    "PushedModel": render_pushed_model,
}


def _properties(facts: Mapping[str, Any]) -> str:
    values = {**facts.get("properties", {}), **facts.get("custom_properties", {})}
    rows = []
    for key, value in sorted(values.items()):
        if key in _HIDDEN_PROPERTIES:
            continue
        rows.append([key, value])
    return table(["property", "value"], rows) if rows else ""


def artifact_fragment(type_name: str, uri: str, facts: Mapping[str, Any] | None = None) -> str:
    """An HTML `<div>` showing the artifact of type `type_name` at `uri`.

    `facts` is the artifact's `to_dict()` (id, properties, custom properties), when known; its
    properties are listed under the header. Types without a dedicated view (custom artifact
    types) show their properties and files. Raises DataError when the folder does not exist or
    lacks the files its type's layout promises.
    """
    facts = facts or {}
    if not os.path.isdir(uri):
        raise DataError(f"{type_name} at {uri}: the folder does not exist. Pass the uri of an "
                        f"artifact that a run published (see `tfxkit runs` / `tfxkit lineage`).")
    ident = f" #{facts['id']}" if facts.get("id") is not None else ""
    renderer = RENDERERS.get(type_name)
    content = renderer(uri, facts) if renderer else _listing(uri)
    return (f"<div class='tfxkit-artifact'><h2>{esc(type_name)}{esc(ident)}</h2>"
            f"<p class='uri'><code>{esc(uri)}</code></p>{_properties(facts)}{content}</div>")


def guess_type(uri: str) -> str | None:
    """The standard artifact type a folder's layout shows (for `tfxkit show` without a
    metadata store), or None."""
    folder = Path(uri)
    checks: list[tuple[str, Callable[[], bool]]] = [
        ("Schema", lambda: (folder / "schema.pbtxt").is_file()),
        ("ExampleStatistics", lambda: any(folder.glob("Split-*/FeatureStats.pb"))),
        ("ExampleAnomalies", lambda: any(folder.glob("Split-*/SchemaDiff.pb"))),
        ("Examples", lambda: any(folder.glob("Split-*/*.gz"))),
        ("Model", lambda: (folder / "Format-Serving" / "saved_model.pb").is_file()),
        ("TransformGraph", lambda: (folder / "transform_fn").is_dir()),
        ("ModelEvaluation", lambda: (folder / "eval_config.json").is_file()),
        ("ModelBlessing", lambda: (folder / "BLESSED").exists() or (folder / "NOT_BLESSED")
         .exists()),
        ("PushedModel", lambda: (folder / "saved_model.pb").is_file()),
        ("ModelRun", lambda: any(folder.rglob("events.out.tfevents.*"))),
    ]
    return next((name for name, check in checks if check()), None)
