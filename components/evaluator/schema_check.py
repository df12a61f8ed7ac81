"""Data-time checks of an Evaluator's eval_config: the feature names it uses (label, example
weight and slicing feature keys) must be features of the examples.

Pure Python over the EvalConfig's JSON mapping (snake_case or camelCase keys, as
`json_format.ParseDict` accepts) and a `tensorflow_metadata` Schema proto: the local runner
calls it through `Evaluator.check_against_schema` as soon as the schema exists, before Transform
and Trainer start, and the Evaluator's executor calls it again before any Beam work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tfxkit.errors import ComponentArgumentError


def _field(message: Any, name: str) -> Any:
    """`message[name]` of a JSON-mapping dict under its snake_case or lowerCamelCase key."""
    if not isinstance(message, Mapping):
        return None
    if name in message:
        return message[name]
    head, *rest = name.split("_")
    return message.get(head + "".join(part.title() for part in rest))


def schema_feature_names(schema: Any) -> list[str]:
    """Names of a Schema proto's features, sparse features and weighted features, in order."""
    names = [f.name for f in schema.feature]
    names += [f.name for f in getattr(schema, "sparse_feature", [])]
    names += [f.name for f in getattr(schema, "weighted_feature", [])]
    return list(dict.fromkeys(names))


def _slicing_keys(spec: Any, where: str) -> list[tuple[str, Any]]:
    keys = [(f"{where}.feature_keys[{i}]", key)
            for i, key in enumerate(_field(spec, "feature_keys") or [])]
    values = _field(spec, "feature_values") or {}
    if isinstance(values, Mapping):
        keys += [(f"{where}.feature_values", key) for key in values]
    return keys


def eval_config_feature_problems(eval_config: Any, features: Sequence[str]) -> list[str]:
    """One line per name in `eval_config` that is not in `features`: label keys, example weight
    keys (of every model spec) and slicing feature keys (of slicing and cross-slicing specs).

    Model specs with `preprocessing_function_names` may take labels and slices from transformed
    features, so their keys (and then slicing keys) are not checked.
    """
    if not isinstance(eval_config, Mapping):
        return []
    used: list[tuple[str, Any]] = []
    transformed = False
    for i, spec in enumerate(_field(eval_config, "model_specs") or []):
        where = f"eval_config.model_specs[{i}]"
        if _field(spec, "preprocessing_function_names"):
            transformed = True
            continue
        for name in ("label_key", "example_weight_key"):
            if _field(spec, name):
                used.append((f"{where}.{name}", _field(spec, name)))
        for name in ("label_keys", "example_weight_keys"):
            mapping = _field(spec, name) or {}
            if isinstance(mapping, Mapping):
                used += [(f"{where}.{name}[{output!r}]", key) for output, key in mapping.items()]
    if not transformed:
        for i, spec in enumerate(_field(eval_config, "slicing_specs") or []):
            used += _slicing_keys(spec, f"eval_config.slicing_specs[{i}]")
        for i, cross in enumerate(_field(eval_config, "cross_slicing_specs") or []):
            where = f"eval_config.cross_slicing_specs[{i}]"
            used += _slicing_keys(_field(cross, "baseline_spec"), f"{where}.baseline_spec")
            for j, spec in enumerate(_field(cross, "slicing_specs") or []):
                used += _slicing_keys(spec, f"{where}.slicing_specs[{j}]")
    known = set(features)
    listing = ", ".join(features) or "none"
    return [f"{where} {name!r} is not a feature of the examples (features: {listing})"
            for where, name in used if isinstance(name, str) and name not in known]


def check_eval_config_features(eval_config: Any, features: Sequence[str],
                               component: str = "Evaluator") -> None:
    """Raise ComponentArgumentError naming every feature name of `eval_config` that is not
    among `features` (see `eval_config_feature_problems`), with the fix."""
    problems = eval_config_feature_problems(eval_config, features)
    if problems:
        raise ComponentArgumentError(
            f"{component}: " + f"\n{component}: ".join(problems) + "\nUse feature names of the "
            "examples in eval_config (they are case-sensitive), or add the feature to the data."
        )


__all__ = ["check_eval_config_features", "eval_config_feature_problems", "schema_feature_names"]
