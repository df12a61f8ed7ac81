"""Check a TFMA EvalConfig (as its JSON-mapping dict) when the Evaluator is constructed.

Everything knowable without data is checked before anything runs, and without importing
TensorFlow or TFMA: field names (against TFMA 0.47.1's EvalConfig descriptor, stored in
`metric_names.py`), value types and enum names (`json_format.ParseDict` into a message built
from that descriptor in a private pool), metric class names (the names TFMA resolves without a
`module`, also in `metric_names.py`), custom metric modules (findable on sys.path), metric
`config` strings (JSON objects), threshold keys (naming a metric of their metrics_spec) and
bounds (lower <= upper). What needs the data (label key, slice features) is checked against the
schema by the executor.
"""

from __future__ import annotations

import base64
import difflib
import functools
import importlib.util
import json
import re
from typing import Any

from tfxkit.components.evaluator import metric_names
from tfxkit.errors import ComponentArgumentError

COMPONENT = "Evaluator"
_CUSTOM_METRIC_HELP = (
    "A custom metric is named with its module: {'class_name': 'MyMetric', 'module': "
    "'my_project.metrics'}, where my_project/metrics.py (importable where the pipeline runs) "
    "defines MyMetric as a subclass of tf_keras.metrics.Metric or tfma.metrics.Metric."
)
_COMMON = ("SparseCategoricalAccuracy", "BinaryAccuracy", "AUC", "Precision", "Recall",
           "MeanSquaredError", "MeanAbsoluteError", "ExampleCount")
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


@functools.lru_cache(maxsize=1)
def _eval_config_class() -> Any:
    """TFMA's EvalConfig message class, built from the stored descriptor in a private pool (so
    neither TFMA nor TensorFlow is imported, and TFMA's own registration is not disturbed)."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, wrappers_pb2

    pool = descriptor_pool.DescriptorPool()
    wrappers = descriptor_pb2.FileDescriptorProto()
    wrappers_pb2.DESCRIPTOR.CopyToProto(wrappers)
    pool.Add(wrappers)
    pool.AddSerializedFile(base64.b64decode(metric_names.EVAL_CONFIG_DESCRIPTOR))
    descriptor = pool.FindMessageTypeByName("tensorflow_model_analysis.EvalConfig")
    return message_factory.GetMessageClass(descriptor)


def _error(path: str, problem: str, fix: str) -> ComponentArgumentError:
    return ComponentArgumentError(f"{COMPONENT}: {path} {problem}. {fix}")


def _close(name: str, choices: list[str], n: int = 3) -> list[str]:
    lowered = {c.lower(): c for c in choices}
    exact_case = [lowered[name.lower()]] if name.lower() in lowered else []
    close = difflib.get_close_matches(name, choices, n=n, cutoff=0.6)
    close_lower = [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=n,
                                                                 cutoff=0.6)]
    return list(dict.fromkeys(exact_case + close + close_lower))[:n]


def _check_fields(value: Any, descriptor: Any, path: str) -> None:
    """Unknown field names anywhere in `value` (a dict for message `descriptor`)."""
    if not isinstance(value, dict):
        return  # ParseDict reports the type error with its path
    fields = {f.name: f for f in descriptor.fields}
    fields.update({f.json_name: f for f in descriptor.fields})
    for key, item in value.items():
        field = fields.get(key)
        if field is None:
            names = [f.name for f in descriptor.fields]
            close = _close(str(key), names, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise _error(
                f"{path}", f"has an unknown field {key!r} (a TFMA "
                f"{descriptor.name} has: {', '.join(names)})",
                f"Fix the field name.{hint}")
        if field.message_type is None:
            continue
        child = f"{path}.{field.name}"
        if field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            if value_field.message_type is not None and isinstance(item, dict):
                for map_key, map_value in item.items():
                    _check_fields(map_value, value_field.message_type, f"{child}[{map_key!r}]")
        elif field.label == field.LABEL_REPEATED:
            if isinstance(item, list):
                for index, element in enumerate(item):
                    _check_fields(element, field.message_type, f"{child}[{index}]")
        elif not field.message_type.full_name.startswith("google.protobuf."):
            _check_fields(item, field.message_type, child)


def parse(config: dict[str, Any]) -> Any:
    """The EvalConfig message (private-pool class) for `config`; raises ComponentArgumentError
    naming the path of an unknown field, a value of the wrong type or an unknown enum name."""
    from google.protobuf import json_format

    cls = _eval_config_class()
    _check_fields(config, cls.DESCRIPTOR, "eval_config")
    try:
        return json_format.ParseDict(config, cls())
    except json_format.ParseError as exc:
        text = str(exc).splitlines()[0]
        inner = re.sub(r"^(Failed to parse \w+ field: )+", "", text).rstrip(".")
        where = re.search(r" at \"?EvalConfig\.?([^\"]*)\"?$", inner)
        path = "eval_config"
        if where:
            inner = inner[: where.start()]
            path = f"eval_config.{where.group(1)}".rstrip(".")
        raise _error(path, f"is not valid in a TFMA EvalConfig: {inner}",
                     "Values follow TFMA's EvalConfig JSON mapping (numbers for bounds, enum "
                     "names as strings, e.g. 'HIGHER_IS_BETTER').") from None


def metric_name(metric: Any) -> str:
    """The name TFMA gives a configured metric: `name` in its config, else the class's
    default name (`SparseCategoricalAccuracy` -> `sparse_categorical_accuracy`)."""
    if metric.config:
        with_name = json.loads(metric.config)
        if isinstance(with_name, dict) and isinstance(with_name.get("name"), str):
            return str(with_name["name"])
    known = metric_names.KNOWN_METRICS.get(metric.class_name)
    if known:
        return known
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", metric.class_name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()


def _check_metric(metric: Any, path: str) -> None:
    if not metric.class_name:
        raise _error(f"{path}.class_name", "is empty",
                     "Name a metric class, e.g. {'class_name': 'SparseCategoricalAccuracy'}.")
    if metric.config:
        try:
            parsed = json.loads(metric.config)
        except ValueError as exc:
            raise _error(f"{path}.config", f"{metric.config!r} is not JSON ({exc})",
                         "Pass the metric's constructor arguments as a JSON object string, e.g. "
                         "'{\"num_thresholds\": 100}'.") from None
        if not isinstance(parsed, dict):
            raise _error(f"{path}.config", f"{metric.config!r} is not a JSON object",
                         "Pass a JSON object string such as '{\"name\": \"acc\"}'.")
    name, module = metric.class_name, metric.module
    if module == metric_names.LOSSES_MODULE:
        if name not in metric_names.KERAS_LOSSES:
            close = _close(name, sorted(metric_names.KERAS_LOSSES))
            raise _error(f"{path}.class_name", f"{name!r} is not a Keras loss (module "
                         f"{module!r} names tf_keras losses)",
                         f"Close matches: {', '.join(close) or 'none'}.")
        return
    if module:
        if not _DOTTED.fullmatch(module):
            raise _error(f"{path}.module", f"{module!r} is not a dotted module path",
                         _CUSTOM_METRIC_HELP)
        if importlib.util.find_spec(module.split(".")[0]) is None:
            raise _error(f"{path}.module", f"{module!r} cannot be found: no top-level package "
                         f"{module.split('.')[0]!r} on sys.path",
                         f"Install it or run from the folder that contains it. "
                         f"{_CUSTOM_METRIC_HELP}")
        return
    if name not in metric_names.KNOWN_METRICS:
        close = _close(name, sorted(metric_names.KNOWN_METRICS))
        matches = (f"Close matches: {', '.join(close)}. " if close else
                   f"Common ones: {', '.join(_COMMON)} ({len(metric_names.KNOWN_METRICS)} in "
                   f"all, listed in tfxkit.components.evaluator.metric_names). ")
        raise _error(
            f"{path}.class_name", f"{name!r} is not a known metric (TFMA "
            f"{metric_names.TFMA_VERSION} metrics and tf_keras.metrics classes)",
            f"{matches}{_CUSTOM_METRIC_HELP}")


def _check_bounds(threshold: Any, path: str) -> None:
    if not threshold.HasField("value_threshold"):
        return
    bounds = threshold.value_threshold
    if bounds.HasField("lower_bound") and bounds.HasField("upper_bound") \
            and bounds.lower_bound.value > bounds.upper_bound.value:
        raise _error(f"{path}.value_threshold", f"has lower_bound {bounds.lower_bound.value} "
                     f"above upper_bound {bounds.upper_bound.value}, which no value can meet",
                     "Swap the bounds or drop one.")


def _thresholds_of_metric(metric: Any, path: str) -> None:
    if metric.HasField("threshold"):
        _check_bounds(metric.threshold, f"{path}.threshold")
    for index, per_slice in enumerate(metric.per_slice_thresholds):
        _check_bounds(per_slice.threshold, f"{path}.per_slice_thresholds[{index}].threshold")


def check_eval_config(config: Any) -> None:
    """Check `config` (an EvalConfig JSON-mapping dict); raise ComponentArgumentError naming
    the first problem's path (`eval_config.metrics_specs[0].metrics[1].class_name`), what was
    found, close matches and the fix."""
    if not isinstance(config, dict):
        return  # the spec reports the type
    eval_config = parse(config)
    if len(eval_config.model_specs) > 2:
        raise _error("eval_config.model_specs", f"has {len(eval_config.model_specs)} entries",
                     "Give one (the candidate) or two (the candidate and one with "
                     "is_baseline: true).")
    for index, raw_spec in enumerate(config.get("model_specs") or []):
        label_key = raw_spec.get("label_key") if isinstance(raw_spec, dict) else None
        if isinstance(label_key, str) and not label_key.strip():
            raise _error(f"eval_config.model_specs[{index}].label_key", "is empty",
                         "Name the label feature, e.g. 'species', or drop the field.")
    known_defaults = set(metric_names.KNOWN_METRICS.values()) | {"loss"}
    for spec_index, spec in enumerate(eval_config.metrics_specs):
        spec_path = f"eval_config.metrics_specs[{spec_index}]"
        configured = []
        for metric_index, metric in enumerate(spec.metrics):
            path = f"{spec_path}.metrics[{metric_index}]"
            _check_metric(metric, path)
            _thresholds_of_metric(metric, path)
            configured.append(metric_name(metric))
        for field in ("thresholds", "per_slice_thresholds", "cross_slice_thresholds"):
            for key in getattr(spec, field):
                if key in configured or key in known_defaults:
                    continue
                close = _close(key, configured + sorted(known_defaults))
                raise _error(
                    f"{spec_path}.{field}[{key!r}]",
                    f"names no metric of this metrics_spec (its metrics: "
                    f"{', '.join(configured) or 'none'})",
                    f"Use the metric's name (its config 'name', else the class's default name, "
                    f"e.g. 'sparse_categorical_accuracy'), or add the metric to metrics."
                    f"{' Close matches: ' + ', '.join(close) + '.' if close else ''}")
        for key, threshold in spec.thresholds.items():
            _check_bounds(threshold, f"{spec_path}.thresholds[{key!r}]")


__all__ = ["check_eval_config", "metric_name", "parse"]
