"""Checks of BulkInferrer's TFX-shaped parameters (DataSpec, ModelSpec, OutputExampleSpec as
their JSON mapping), made when the component is built, without importing TensorFlow.

The field names follow `tfx/proto/bulk_inferrer.proto`; unknown fields and wrong value types are
refused with the accepted shape, so a typo does not silently predict on every split.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from tfxkit.dsl.names import check_split_name
from tfxkit.errors import ComponentArgumentError

DATA_SPEC_FIELDS: dict[str, type] = {"example_splits": list}
MODEL_SPEC_FIELDS: dict[str, type] = {"model_signature_name": list, "tag": list}
OUTPUT_KINDS: dict[str, dict[str, type]] = {
    "predict_output": {"output_columns": list},
    "classify_output": {"label_column": str, "score_column": str},
    "regress_output": {"value_column": str},
}
PREDICT_COLUMN_FIELDS: dict[str, type] = {"output_key": str, "output_column": str}

DATA_SPEC_EXAMPLE = "{'example_splits': ['eval']}"
MODEL_SPEC_EXAMPLE = "{'model_signature_name': ['serving_default'], 'tag': ['serve']}"
OUTPUT_SPEC_EXAMPLE = ("{'output_columns_spec': [{'predict_output': {'output_columns': "
                       "[{'output_key': 'outputs', 'output_column': 'probabilities'}]}}]}")


def _fields(value: Any, fields: Mapping[str, type], where: str, example: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ComponentArgumentError(
            f"{where}: expected a dict such as {example}, found {type(value).__name__} "
            f"{value!r}.")
    for key, item in value.items():
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            raise ComponentArgumentError(
                f"{where}: unknown field {key!r}; expected "
                f"{', '.join(map(repr, fields))} (e.g. {example})."
                f"{f' Did you mean {close[0]!r}?' if close else ''}")
        expected = fields[key]
        if not isinstance(item, expected) or isinstance(item, bool):
            raise ComponentArgumentError(
                f"{where}[{key!r}]: expected {expected.__name__}, found {type(item).__name__} "
                f"{item!r} (e.g. {example}).")
        if expected is str and not item:
            raise ComponentArgumentError(f"{where}[{key!r}]: expected a column name, found ''.")
    return value


def _strings(values: list[Any], where: str) -> None:
    for index, item in enumerate(values):
        if not isinstance(item, str) or not item:
            raise ComponentArgumentError(
                f"{where}[{index}]: expected a non-empty str, found {type(item).__name__} "
                f"{item!r}.")


def check_data_spec(value: Any, where: str = "BulkInferrer: data_spec") -> None:
    """TFX DataSpec JSON: `example_splits` (split names; empty or absent = every split)."""
    if value is None:
        return
    spec = _fields(value, DATA_SPEC_FIELDS, where, DATA_SPEC_EXAMPLE)
    for index, split in enumerate(spec.get("example_splits", [])):
        check_split_name(split, f"{where}['example_splits'][{index}]")


def check_model_spec(value: Any, where: str = "BulkInferrer: model_spec") -> None:
    """TFX ModelSpec JSON: `model_signature_name` and `tag`, lists of strings. One signature
    at most: tfxkit runs one signature per inference (TFX's multi-signature MultiInference
    needs classify/regress signatures, which the Trainer's models do not export)."""
    if value is None:
        return
    spec = _fields(value, MODEL_SPEC_FIELDS, where, MODEL_SPEC_EXAMPLE)
    for key in MODEL_SPEC_FIELDS:
        _strings(spec.get(key, []), f"{where}[{key!r}]")
    if len(spec.get("model_signature_name", [])) > 1:
        raise ComponentArgumentError(
            f"{where}['model_signature_name']: expected one signature name, found "
            f"{spec['model_signature_name']!r}. Run one BulkInferrer per signature.")


def check_output_example_spec(value: Any,
                              where: str = "BulkInferrer: output_example_spec") -> None:
    """TFX OutputExampleSpec JSON: `output_columns_spec`, a list of one entry holding
    `predict_output` (`output_columns`: `output_key` -> `output_column`), `classify_output`
    (`label_column`, `score_column`) or `regress_output` (`value_column`); an optional
    `signature_name`. Output column names must differ from each other."""
    if value is None:
        return
    spec = _fields(value, {"output_columns_spec": list}, where, OUTPUT_SPEC_EXAMPLE)
    columns_spec = spec.get("output_columns_spec") or []
    if len(columns_spec) != 1:
        raise ComponentArgumentError(
            f"{where}['output_columns_spec']: expected one entry (one signature is run), found "
            f"{len(columns_spec)}. E.g. {OUTPUT_SPEC_EXAMPLE}.")
    entry = columns_spec[0]
    entry_where = f"{where}['output_columns_spec'][0]"
    _fields(entry, {"signature_name": str, **{k: dict for k in OUTPUT_KINDS}}, entry_where,
            OUTPUT_SPEC_EXAMPLE)
    kinds = [kind for kind in OUTPUT_KINDS if kind in entry]
    if len(kinds) != 1:
        raise ComponentArgumentError(
            f"{entry_where}: expected exactly one of {', '.join(OUTPUT_KINDS)}, found "
            f"{', '.join(kinds) or 'none'}. E.g. {OUTPUT_SPEC_EXAMPLE}.")
    kind = kinds[0]
    body = _fields(entry[kind], OUTPUT_KINDS[kind], f"{entry_where}[{kind!r}]",
                   OUTPUT_SPEC_EXAMPLE)
    names = [v for k, v in body.items() if k != "output_columns"]
    for index, column in enumerate(body.get("output_columns", [])):
        column_where = f"{entry_where}[{kind!r}]['output_columns'][{index}]"
        _fields(column, PREDICT_COLUMN_FIELDS, column_where, OUTPUT_SPEC_EXAMPLE)
        missing = [k for k in PREDICT_COLUMN_FIELDS if k not in column]
        if missing:
            raise ComponentArgumentError(
                f"{column_where}: missing {', '.join(map(repr, missing))}; expected "
                f"{{'output_key': 'outputs', 'output_column': 'probabilities'}}.")
        names.append(column["output_column"])
    if kind == "predict_output" and not body.get("output_columns"):
        raise ComponentArgumentError(
            f"{entry_where}['predict_output']: expected at least one of 'output_columns', "
            f"found none. E.g. {OUTPUT_SPEC_EXAMPLE}.")
    if not names:
        raise ComponentArgumentError(f"{entry_where}[{kind!r}]: names no output column.")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ComponentArgumentError(
            f"{entry_where}: output column(s) {', '.join(map(repr, repeated))} named more than "
            f"once; give each prediction its own column.")


def signature_name(model_spec: dict[str, Any] | None) -> str:
    """The signature a ModelSpec names, default `serving_default`."""
    names = (model_spec or {}).get("model_signature_name") or []
    return names[0] if names else "serving_default"


def tags(model_spec: dict[str, Any] | None) -> list[str]:
    """The SavedModel tags a ModelSpec names, default `["serve"]`."""
    return list((model_spec or {}).get("tag") or ["serve"])
