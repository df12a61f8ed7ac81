"""What a pushed or trained SavedModel takes and gives, read from the model itself, and the
conversion of raw feature values (JSON or CSV cells) into the tf.Examples its signature parses.

The Trainer's contract is a serving signature taking serialized tf.Examples with the transform
graph inside; the raw features it parses (names, types, shapes, which are required) are read from
the signature's `ParseExampleV2` op, so the server and `tfxkit predict` need no schema file. The
class names of a classifier travel with the model: the label vocabulary that
`tfxkit.recipes.tabular` writes (`label_<column>_<hash>`) is one of the SavedModel's assets.
Every function imports TensorFlow when called.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import math
import os
import re
from typing import Any

from tfxkit.errors import DataError, ExecutionError

LABEL_ASSET = re.compile(r"label_.+_[0-9a-f]{8}")
_DTYPES = {1: "float", 9: "int", 7: "string"}  # DT_FLOAT, DT_INT64, DT_STRING


@dataclasses.dataclass(frozen=True)
class Feature:
    """One raw feature the signature parses: `dtype` "float" | "int" | "string", `shape` of a
    dense feature (e.g. (1,)), `required` when dense without a default value; sparse and
    ragged features take any number of values and may be missing."""

    name: str
    dtype: str
    shape: tuple[int, ...] = ()
    required: bool = False
    varlen: bool = False

    @property
    def size(self) -> int | None:
        """Number of values a dense feature takes (None: any number)."""
        return None if self.varlen else math.prod(self.shape) if self.shape else 1


@dataclasses.dataclass
class Signature:
    """A SavedModel signature: `input_key` (the serialized-examples input, e.g. "examples"),
    `outputs` (name -> shape, -1 for unknown), `features` (raw features parsed, by name; None
    when no ParseExampleV2 op was found) and `class_names` (the label vocabulary, or None)."""

    path: str
    name: str
    input_key: str
    outputs: dict[str, tuple[int, ...]]
    features: dict[str, Feature] | None
    class_names: list[str] | None


def class_names(path: str) -> list[str] | None:
    """The class names of model folder `path`: the one `label_<column>_<hash>` asset (a
    tf.Transform vocabulary, one class per line, line i = class id i), or None."""
    assets = os.path.join(path, "assets")
    found = sorted(n for n in os.listdir(assets) if LABEL_ASSET.fullmatch(n)) \
        if os.path.isdir(assets) else []
    if len(found) != 1:
        return None
    with open(os.path.join(assets, found[0]), encoding="utf-8") as handle:
        return [line.rstrip("\n") for line in handle]


def _const(nodes: dict[str, Any], ref: str) -> Any:
    import tensorflow as tf

    node = nodes.get(ref.split(":")[0].lstrip("^"))
    if node is None or node.op != "Const":
        return None
    return tf.make_ndarray(node.attr["value"].tensor)


def _parse_ops(graph_def: Any) -> list[tuple[Any, dict[str, Any]]]:
    found = [(n, {m.name: m for m in graph_def.node}) for n in graph_def.node
             if n.op == "ParseExampleV2"]
    for function in graph_def.library.function:
        nodes = {n.name: n for n in function.node_def}
        found += [(n, nodes) for n in function.node_def if n.op == "ParseExampleV2"]
    return found


def parsed_features(graph_def: Any) -> dict[str, Feature] | None:
    """Raw features parsed by the `ParseExampleV2` ops of a signature's graph (None if none)."""
    ops = _parse_ops(graph_def)
    if not ops:
        return None
    features: dict[str, Feature] = {}
    for node, nodes in ops:
        sparse_keys = _const(nodes, node.input[2])
        dense_keys = _const(nodes, node.input[3])
        ragged_keys = _const(nodes, node.input[4])
        if sparse_keys is None or dense_keys is None or ragged_keys is None:
            continue
        dense_types = list(node.attr["Tdense"].list.type)
        shapes = node.attr["dense_shapes"].list.shape
        for index, key in enumerate(dense_keys.reshape(-1)):
            default = _const(nodes, node.input[5 + index])
            shape = tuple(d.size for d in shapes[index].dim)
            features[key.decode()] = Feature(
                key.decode(), _DTYPES.get(dense_types[index], "string"), shape,
                required=default is None or default.size == 0,
                varlen=any(d < 0 for d in shape))
        for keys, types in ((sparse_keys, node.attr["sparse_types"].list.type),
                            (ragged_keys, node.attr["ragged_value_types"].list.type)):
            for key, dtype in zip(keys.reshape(-1), types, strict=False):
                features[key.decode()] = Feature(key.decode(), _DTYPES.get(dtype, "string"),
                                                 varlen=True)
    return features


def load(path: str, signature_name: str = "serving_default",
         tags: list[str] | None = None) -> tuple[Any, Any, Signature]:
    """(loaded SavedModel, the signature's function, its `Signature`) of model folder `path`.

    Raises ExecutionError when the folder holds no SavedModel, the signature is missing, or it
    does not take one tensor of serialized tf.Examples (the Trainer's contract).
    """
    import tensorflow as tf

    if not any(os.path.isfile(os.path.join(path, n))
               for n in ("saved_model.pb", "saved_model.pbtxt")):
        raise ExecutionError(f"expected a SavedModel (saved_model.pb) in {path}, found "
                             f"{'an empty or unrelated folder' if os.path.isdir(path) else 'nothing'}.")
    loaded = tf.saved_model.load(path, tags=tags)
    if signature_name not in loaded.signatures:
        raise ExecutionError(
            f"the model at {path} has no signature {signature_name!r}; it has "
            f"{', '.join(sorted(loaded.signatures)) or 'none'}. Name one of them.")
    function = loaded.signatures[signature_name]
    _, inputs = function.structured_input_signature
    if len(inputs) != 1 or next(iter(inputs.values())).dtype != tf.string:
        raise ExecutionError(
            f"signature {signature_name!r} of the model at {path} takes "
            f"{', '.join(f'{k} ({v.dtype.name})' for k, v in inputs.items())}; expected one "
            f"string tensor of serialized tf.Examples, as the Trainer's run_fn saves it.")
    outputs = {name: tuple(-1 if d is None else d for d in spec.shape.as_list())
               for name, spec in function.structured_outputs.items()}
    signature = Signature(path, signature_name, next(iter(inputs)), outputs,
                          parsed_features(function.graph.as_graph_def()), class_names(path))
    return loaded, function, signature


def _values(value: Any, feature: Feature, where: str) -> list[Any]:
    values = value if isinstance(value, list) else [value]
    if any(isinstance(v, list) for v in values):
        values = [x for v in values for x in (v if isinstance(v, list) else [v])]
    expected = {"float": "a number", "int": "an integer", "string": "a string"}[feature.dtype]
    out: list[Any] = []
    for item in values:
        if feature.dtype == "string":
            if isinstance(item, dict) and set(item) == {"b64"} and isinstance(item["b64"], str):
                try:
                    out.append(base64.b64decode(item["b64"], validate=True))
                except (binascii.Error, ValueError):
                    raise DataError(f"{where}: {item['b64']!r} is not valid base64.") from None
                continue
            if isinstance(item, str):
                out.append(item.encode("utf-8"))
                continue
        elif feature.dtype == "float":
            if isinstance(item, int | float) and not isinstance(item, bool):
                out.append(float(item))
                continue
        elif isinstance(item, int) and not isinstance(item, bool):
            out.append(item)
            continue
        raise DataError(f"{where}: expected {expected} ({feature.dtype} feature), found "
                        f"{type(item).__name__} {item!r}.")
    size = feature.size
    if size is not None and len(out) != size:
        raise DataError(f"{where}: expected {size} value{'s' if size != 1 else ''} (shape "
                        f"{list(feature.shape)}), found {len(out)}.")
    return out


def encode_example(row: dict[str, Any], features: dict[str, Feature], where: str) -> bytes:
    """Serialized tf.Example of one row of raw feature values (JSON types: numbers, strings,
    `{"b64": ...}` for bytes, lists for multi-valued features, null for missing).

    Raises DataError naming the row and feature for an unknown feature, a wrong type or count,
    or a required feature that is missing.
    """
    import tensorflow as tf

    if not isinstance(row, dict):
        raise DataError(f"{where}: expected an object of feature values such as "
                        f"{{{', '.join(repr(n) + ': ...' for n in list(features)[:3])}}}, found "
                        f"{type(row).__name__} {row!r}.")
    unknown = sorted(set(row) - set(features))
    if unknown:
        raise DataError(f"{where}: unknown feature{'s' if len(unknown) > 1 else ''} "
                        f"{', '.join(map(repr, unknown))}; the model takes "
                        f"{', '.join(sorted(features))}.")
    feature_map = {}
    for name, value in row.items():
        if value is None or value == []:
            continue
        feature = features[name]
        values = _values(value, feature, f"{where}, feature {name!r}")
        if feature.dtype == "string":
            feature_map[name] = tf.train.Feature(bytes_list=tf.train.BytesList(value=values))
        elif feature.dtype == "float":
            feature_map[name] = tf.train.Feature(float_list=tf.train.FloatList(value=values))
        else:
            feature_map[name] = tf.train.Feature(int64_list=tf.train.Int64List(value=values))
    missing = [n for n, f in features.items() if f.required and n not in feature_map]
    if missing:
        raise DataError(f"{where}: feature{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(map(repr, missing))} missing; the model requires "
                        f"{'them' if len(missing) > 1 else 'it'} (features: "
                        f"{', '.join(f'{n} ({features[n].dtype})' for n in sorted(features))}).")
    return tf.train.Example(
        features=tf.train.Features(feature=feature_map)).SerializeToString()


def csv_cell(text: str, feature: Feature, where: str) -> Any:
    """A CSV cell as the JSON-typed value of `feature` (None for an empty cell), read as TFX's
    CSV decoder reads it (`int()` / `float()` grammar). Raises DataError for text in a numeric
    column."""
    if text == "":
        return None
    if feature.dtype == "string":
        return text
    try:
        return int(text) if feature.dtype == "int" else float(text)
    except ValueError:
        raise DataError(f"{where}: expected {'an integer' if feature.dtype == 'int' else 'a number'} "
                        f"for {feature.dtype} feature {feature.name!r}, found {text!r}.") from None
