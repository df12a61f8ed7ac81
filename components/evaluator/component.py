"""Evaluator: compute model metrics with TFMA and bless or reject the model."""

from __future__ import annotations

from typing import Any

from tfxkit.components._shared.model_registry import check_push_destination
from tfxkit.components.evaluator.config_check import check_eval_config
from tfxkit.components.evaluator.spec import EvaluatorSpec
from tfxkit.dsl.base_component import BaseComponent, check_splits_exist
from tfxkit.dsl.component_spec import normalize_value
from tfxkit.dsl.names import check_split_name
from tfxkit.dsl.runtime_parameter import RuntimeParameter
from tfxkit.errors import ComponentArgumentError
from tfxkit.types.channel import Channel


def check_baseline_choice(baseline: Any, push_destination: Any, baseline_model: Any) -> None:
    """Check the Evaluator's `baseline` parameter when the pipeline is built: "latest" or a
    valid alias name, with a `push_destination` to look it up in and no `baseline_model`
    input competing with it. Raises ComponentArgumentError."""
    from tfxkit.components._shared.model_registry import RegistryError, check_alias_name

    if baseline == "latest":
        pass
    else:
        try:
            check_alias_name(baseline, "Evaluator: baseline")
        except RegistryError as exc:
            raise ComponentArgumentError(
                f"{exc} Use 'latest' (the default) for the highest pushed version.") from None
    if push_destination is None:
        raise ComponentArgumentError(
            f"Evaluator: baseline={baseline!r} names a version at the push destination, but "
            f"push_destination is not set. Fix: pass push_destination= (the Pusher's).")
    if baseline_model is not None:
        raise ComponentArgumentError(
            f"Evaluator: baseline={baseline!r} and a baseline_model input both name the "
            f"baseline. Fix: pass only one of them.")


class Evaluator(BaseComponent):
    """Evaluate a model with TensorFlow Model Analysis on Beam and decide its blessing.

    The eval config is TFMA's `EvalConfig` as its JSON mapping, e.g.::

        {"model_specs": [{"label_key": "species"}],
         "slicing_specs": [{}],
         "metrics_specs": [{"metrics": [{"class_name": "SparseCategoricalAccuracy",
             "threshold": {"value_threshold": {"lower_bound": 0.6},
                           "change_threshold": {"direction": "HIGHER_IS_BETTER",
                                                "absolute": -1e-10}}}]}]}

    The baseline for change thresholds is `baseline_model` if connected, else the latest
    version at `push_destination` (the Pusher's destination) holding a SavedModel, so the same
    pipeline needs no metadata resolver locally or on Kubeflow; version folders without
    `saved_model.pb` are skipped with a note naming them. Without any baseline (first push)
    change thresholds are skipped and the blessing reason says so.

    Inputs:
        examples (Examples): raw examples (the model's serving signature parses them).
        model (Model): candidate, `{uri}/Format-Serving/`.
        baseline_model (Model, optional): explicit baseline.
        schema (Schema, optional): raw schema, for typed decoding.

    Outputs:
        evaluation (ModelEvaluation): TFMA's output at `{uri}/` (`tfma.load_eval_result(uri)`);
            custom properties `overall_metrics` (JSON: metric name -> value, candidate
            model), `baseline_model` and `baseline_version` (the pushed version compared
            against).
        blessing (ModelBlessing): `{uri}/BLESSED` or `{uri}/NOT_BLESSED`; custom properties
            `blessed` (1/0), `blessing_reason` (always set: the failed metrics with value and
            threshold, or why the model is blessed, e.g. "no thresholds configured; blessed by
            default"), `current_model`, `baseline_model`, `baseline_version`.

    Parameters:
        eval_config: the EvalConfig dict above (required). Checked at construction, without
            importing TFMA: field names and value types against TFMA's EvalConfig, metric class
            names against those TFMA resolves (`metric_names.py`; custom metrics name their
            `module`), threshold keys and bounds. Feature names (label key, slices) are
            checked against the schema as soon as it exists.
        push_destination: the Pusher's destination (path or
            `{"filesystem": {"base_directory": ...}}`); a file there is refused at
            construction, and a relative path is made absolute as the Pusher does.
        example_splits: splits to evaluate on, default `["eval"]`.
        baseline: which version at `push_destination` is the baseline: "latest" (default: the
            highest complete version) or an alias, e.g. "production" (the version `tfxkit
            models promote DEST VERSION --alias production` pointed it at, read from the
            destination's alias history). An alias not set yet means no baseline (as before
            the first push; the blessing reason says so). Needs `push_destination`.
    """

    SPEC_CLASS = EvaluatorSpec
    EXECUTOR = "tfxkit.components.evaluator.executor.Executor"

    def __init__(
        self,
        *,
        examples: Channel,
        model: Channel,
        eval_config: dict[str, Any],
        baseline_model: Channel | None = None,
        push_destination: dict[str, Any] | str | RuntimeParameter | None = None,
        example_splits: list[str] | None = None,
        schema: Channel | None = None,
        baseline: str | RuntimeParameter | None = None,
    ) -> None:
        check_eval_config(normalize_value(eval_config))
        if baseline is not None and not isinstance(baseline, RuntimeParameter):
            check_baseline_choice(baseline, push_destination, baseline_model)
        if push_destination is not None and not isinstance(push_destination, RuntimeParameter):
            push_destination = check_push_destination(
                push_destination, "Evaluator (baseline lookup)", for_writing=False)
        if example_splits is not None:
            if not isinstance(example_splits, list) or not example_splits:
                raise ComponentArgumentError(
                    f"Evaluator: example_splits expects a list of split names such as ['eval'], "
                    f"found {example_splits!r}.")
            for index, split in enumerate(example_splits):
                check_split_name(split, f"Evaluator: example_splits[{index}]")
        super().__init__(
            examples=examples, model=model, eval_config=eval_config,
            baseline_model=baseline_model, push_destination=push_destination,
            example_splits=example_splits, schema=schema, baseline=baseline,
        )
        check_splits_exist("Evaluator", "example_splits", example_splits, examples, ["eval"])
        producer = examples.producer if isinstance(examples, Channel) else None
        features = producer.known_feature_names(examples.output_key) if producer else None
        if features:  # e.g. CsvExampleGen's header: check feature names before anything runs
            from tfxkit.components.evaluator.schema_check import check_eval_config_features

            check_eval_config_features(self.exec_properties.get("eval_config"), features,
                                       "Evaluator")

    def check_against_schema(self, schema: Any, exec_properties: dict[str, Any]) -> None:
        """Once the examples' schema exists (the local runner calls this before Transform and
        Trainer start): the label, example weight and slicing feature keys of `eval_config`
        must be features of the examples. Raises ComponentArgumentError naming each one and
        listing the features."""
        from tfxkit.components.evaluator.schema_check import (
            check_eval_config_features,
            schema_feature_names,
        )

        check_eval_config_features(exec_properties.get("eval_config"),
                                   schema_feature_names(schema), self.id)
