"""Evaluator executor: TFMA on Beam, then a blessing that always states its reason."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from tfxkit import fs
from tfxkit.components._shared.beam import beam_arg, is_direct_runner, make_beam_pipeline
from tfxkit.components._shared.blessing import BLESSED_FILE, NOT_BLESSED_FILE
from tfxkit.components._shared.examples import single, split_file_pattern
from tfxkit.components._shared.model_registry import (
    SAVED_MODEL_FILES,
    check_push_destination,
    latest_complete_version,
    resolve_base_directory,
)
from tfxkit.components._shared.phases import enter_phase
from tfxkit.components._shared.schema import load_schema
from tfxkit.components._shared.tf_env import TensorFlowExecutor, libraries_not_autographed
from tfxkit.components.evaluator.schema_check import (
    check_eval_config_features,
    schema_feature_names,
)
from tfxkit.errors import ExecutionError
from tfxkit.types.artifact import Artifact

logger = logging.getLogger(__name__)

COMPONENT = "Evaluator"
SERVING_DIR = "Format-Serving"
_TELEMETRY = ["tfxkit", "Evaluator"]


def parse_eval_config(config: Any) -> Any:
    """`tfma.EvalConfig` from its JSON-mapping dict; errors name the bad field."""
    import tensorflow_model_analysis as tfma
    from google.protobuf import json_format

    if not isinstance(config, dict) or not config:
        raise ExecutionError(
            f"{COMPONENT}: eval_config expects a TFMA EvalConfig as a dict, e.g. "
            f"{{'model_specs': [{{'label_key': 'species'}}], 'metrics_specs': [...]}}, found "
            f"{config!r}."
        )
    try:
        return json_format.ParseDict(config, tfma.EvalConfig())
    except json_format.ParseError as exc:
        raise ExecutionError(
            f"{COMPONENT}: eval_config is not a valid TFMA EvalConfig: {exc}. Field names and "
            f"nesting follow tensorflow_model_analysis/proto/config.proto (JSON mapping, e.g. "
            f"{{'threshold': {{'value_threshold': {{'lower_bound': 0.6}}}}}})."
        ) from exc


def _threshold_text(threshold: Any) -> str:
    from google.protobuf import text_format

    return text_format.MessageToString(threshold, as_one_line=True) or "(empty threshold)"


def _slice_text(slice_key: Any) -> str:
    parts = []
    for single_key in slice_key.single_slice_keys:
        value = single_key.WhichOneof("kind")
        parts.append(f"{single_key.column}={getattr(single_key, value) if value else ''}")
    return ", ".join(parts) or "Overall"


def _slice_name(slice_key: Any) -> str:
    """`island=Biscoe, sex=FEMALE` (text values decoded), or "Overall"."""
    parts = []
    for single_key in slice_key.single_slice_keys:
        kind = single_key.WhichOneof("kind")
        value = getattr(single_key, kind) if kind else ""
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        parts.append(f"{single_key.column}={value}")
    return ", ".join(parts) or "Overall"


def _metric_value_text(value: Any) -> str:
    if value.HasField("double_value"):
        return f"{value.double_value.value:.6g}"
    return _threshold_text(value)


def failure_reasons(validation_result: Any) -> list[str]:
    """One line per failed threshold: metric, slice, value, threshold (and TFMA's message)."""
    reasons = []
    for per_slice in validation_result.metric_validations_per_slice:
        where = (_slice_text(per_slice.slice_key) if per_slice.HasField("slice_key")
                 else "cross-slice")
        for failure in per_slice.failures:
            key = failure.metric_key
            name = key.name + (" (change vs baseline)" if key.is_diff else "")
            reasons.append(
                f"{name} on {where} = {_metric_value_text(failure.metric_value)} fails "
                f"{_threshold_text(failure.metric_threshold)}"
            )
    for missing in validation_result.missing_slices:
        reasons.append(f"slice {_threshold_text(missing)} has no examples")
    return reasons or ["TFMA reported validation_ok=false without failures"]


def overall_metrics(output_path: str, model_name: str) -> dict[str, float]:
    """Overall-slice metric values of model `model_name` ("" for a single model)."""
    return slice_metrics(output_path, model_name).get("Overall", {})


def slice_metrics(output_path: str, model_name: str) -> dict[str, dict[str, float]]:
    """Metric values of model `model_name` ("" for a single model) per slice ("Overall",
    "island=Biscoe", ...): recorded as the evaluation's `slice_metrics` so that experiment
    queries (`tfxkit runs --compare`) read them without TFMA."""
    import tensorflow_model_analysis as tfma

    by_slice: dict[str, dict[str, float]] = {}
    for metrics_for_slice in tfma.load_metrics(output_path):
        if metrics_for_slice.HasField("cross_slice_key"):
            continue  # cross-slice comparisons are not a slice's metrics
        metrics = by_slice.setdefault(_slice_name(metrics_for_slice.slice_key), {})
        for item in metrics_for_slice.metric_keys_and_values:
            key = item.key
            if key.is_diff or key.model_name != model_name or key.HasField("sub_key"):
                continue
            if item.value.HasField("double_value"):
                label = f"{key.output_name}/{key.name}" if key.output_name else key.name
                metrics[label] = item.value.double_value.value
    return by_slice


class Executor(TensorFlowExecutor):
    """Runs TFMA and writes the blessing; see `tfxkit.components.Evaluator`."""

    def Do(
        self,
        input_dict: dict[str, list[Artifact]],
        output_dict: dict[str, list[Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        """Evaluate the candidate (and baseline) on the example splits; write TFMA's output
        under evaluation.uri and `BLESSED`/`NOT_BLESSED` under blessing.uri."""
        enter_phase("setup")
        examples = single(input_dict, "examples", COMPONENT)
        model = single(input_dict, "model", COMPONENT)
        evaluation = single(output_dict, "evaluation", COMPONENT)
        blessing = single(output_dict, "blessing", COMPONENT)
        if examples is None or model is None or evaluation is None or blessing is None:
            raise ExecutionError(
                f"{COMPONENT}: needs inputs 'examples', 'model' and outputs 'evaluation', "
                f"'blessing'; found inputs {sorted(input_dict)}, outputs {sorted(output_dict)}."
            )
        import tensorflow_model_analysis as tfma

        eval_config = parse_eval_config(exec_properties.get("eval_config"))
        splits = list(exec_properties.get("example_splits") or ["eval"])
        patterns = [split_file_pattern(examples, split, COMPONENT,
                                       "example_splits") for split in splits]
        schema_artifact = single(input_dict, "schema", COMPONENT)
        schema = load_schema(schema_artifact, COMPONENT) if schema_artifact is not None else None
        # Before any model is loaded or Beam starts: names the data does not have fail now.
        features = (schema_feature_names(schema) if schema is not None
                    else _example_feature_names(patterns))
        check_eval_config_features(exec_properties.get("eval_config"), features, COMPONENT)

        candidate_path = _serving_path(model, "model")
        baseline = self._baseline(input_dict, exec_properties)
        baseline_path, baseline_source = baseline.path, baseline.source
        if baseline_path is not None and fs.is_object_store(baseline_path):
            # TFMA loads SavedModels from local folders: read the pushed version off the store
            local = os.path.join(self.context.tmp_dir or evaluation.uri, "baseline_model")
            fs.copy_tree(baseline_path, local)
            baseline_path = local
        for artifact in (evaluation, blessing):
            baseline.record(artifact)

        for spec in eval_config.model_specs:
            # tfxkit models serve raw tf.Examples through serving_default; without a name TFMA
            # would call the Keras model on untransformed features and report wrong metrics.
            if not spec.signature_name:
                spec.signature_name = "serving_default"
        had_change_thresholds = tfma.utils.has_change_threshold(eval_config)
        eval_config = tfma.utils.update_eval_config_with_defaults(
            eval_config, has_baseline=baseline_path is not None,
            rubber_stamp=baseline_path is None)
        tfma.utils.verify_eval_config(eval_config)
        thresholds = tfma.metrics.metric_thresholds_from_metrics_specs(eval_config.metrics_specs)
        if len(eval_config.model_specs) > 2:
            raise ExecutionError(
                f"{COMPONENT}: eval_config has {len(eval_config.model_specs)} model_specs; "
                f"expected one (the candidate) or two (candidate and is_baseline: true)."
            )
        models = []
        candidate_name = ""
        for spec in eval_config.model_specs:
            path = baseline_path if spec.is_baseline else candidate_path
            if not spec.is_baseline:
                candidate_name = spec.name
            logger.info("Evaluator: using %s as model %r", path, spec.name or "candidate")
            models.append(tfma.default_eval_shared_model(
                eval_saved_model_path=path, model_name=spec.name, eval_config=eval_config))

        enter_phase("work")
        with libraries_not_autographed():  # Keras metrics' update_state traced as written
            self._run_tfma(models, eval_config, patterns, schema, evaluation.uri)
        enter_phase("export")

        per_slice = slice_metrics(evaluation.uri, candidate_name)
        metrics = per_slice.get("Overall", {})
        evaluation.set_custom_property("overall_metrics", json.dumps(metrics, sort_keys=True))
        evaluation.set_custom_property("slice_metrics", json.dumps(per_slice, sort_keys=True))
        blessed, reason = self._verdict(tfma, evaluation.uri, thresholds, metrics,
                                        had_change_thresholds, baseline_source)
        self._write_blessing(blessing, blessed, reason, model, baseline_source)
        extra = [f"baseline: pushed version {baseline.version} at {baseline.path}"
                 if baseline.version is not None else "", baseline.skipped]
        if any(extra):
            note = "; ".join([str(blessing.get_custom_property("note")), *filter(None, extra)])
            blessing.set_custom_property("note", note)

    @staticmethod
    def _baseline(
        input_dict: dict[str, list[Artifact]], exec_properties: dict[str, Any]
    ) -> Baseline:
        """The model to compare against: the `baseline_model` input, else (parameter
        `baseline` an alias) the version that alias points to at `push_destination`, else the
        highest version there that holds a SavedModel (incomplete version folders above it are
        skipped with a warning), else none."""
        baseline_model = single(input_dict, "baseline_model", COMPONENT)
        if baseline_model is not None:
            path = _serving_path(baseline_model, "baseline_model")
            return Baseline(path, baseline_model.uri)
        destination = exec_properties.get("push_destination")
        if not destination:
            return Baseline(None, "no baseline_model input and no push_destination")
        # checked at construction too; a RuntimeParameter destination is first seen here
        destination = check_push_destination(destination, f"{COMPONENT} (baseline lookup)",
                                             for_writing=False)
        base = resolve_base_directory(destination, f"{COMPONENT}: push_destination")
        choice = exec_properties.get("baseline") or "latest"
        if choice != "latest":
            return _alias_baseline(base, str(choice))
        latest, skipped = latest_complete_version(base)
        note = ""
        if skipped:
            folders = ", ".join(str(v["path"]) for v in skipped)
            note = (f"skipped incomplete pushed version folder(s) {folders} (no "
                    f"{SAVED_MODEL_FILES[0]}) when picking the baseline; remove them or push a "
                    f"model there")
            logger.warning("Evaluator: %s", note)
        if latest is None:
            what = "no complete model" if skipped else "nothing"
            return Baseline(None, f"{what} pushed to {base} yet", skipped=note)
        return Baseline(str(latest["path"]), str(latest["path"]), int(latest["version"]), note)

    def _run_tfma(self, models: list[Any], eval_config: Any, patterns: list[str],
                  schema: Any, output_path: str) -> None:
        import apache_beam as beam
        import tensorflow_model_analysis as tfma
        from tensorflow_model_analysis import constants as tfma_constants
        from tfx_bsl.public import tfxio
        from tfx_bsl.tfxio import tensor_adapter

        eval_shared_model = models[0] if len(models) == 1 else models
        # TFMA loads each SavedModel again in every stage: its extractors through Beam's Shared
        # cache, which keeps only the latest object alive, and each compiled-metrics combiner's
        # setup directly (6 to 18 loads on the penguin run). When the DoFns run here, one after
        # the other, each model is loaded once and every stage gets that object.
        once = (_models_loaded_once(models) if _one_thread_here(self.context.beam_pipeline_args)
                else contextlib.nullcontext())
        with once, make_beam_pipeline(self.context.beam_pipeline_args) as pipeline:
            record: Any = None
            reads = []
            for index, pattern in enumerate(patterns):
                record = tfxio.TFExampleRecord(
                    file_pattern=pattern, schema=schema,
                    raw_record_column_name=tfma_constants.ARROW_INPUT_COLUMN,
                    telemetry_descriptors=_TELEMETRY)
                reads.append(pipeline | f"Read[{index}]" >> record.BeamSource())
            adapter_config = None
            if schema is not None:
                adapter_config = tensor_adapter.TensorAdapterConfig(
                    arrow_schema=record.ArrowSchema(),
                    tensor_representations=record.TensorRepresentations())
            _ = (
                reads
                | "Flatten" >> beam.Flatten()
                | "ExtractEvaluateAndWriteResults" >> tfma.ExtractEvaluateAndWriteResults(
                    eval_shared_model=eval_shared_model, eval_config=eval_config,
                    output_path=output_path, tensor_adapter_config=adapter_config)
            )

    @staticmethod
    def _verdict(tfma: Any, output_path: str, thresholds: dict[Any, Any],
                 metrics: dict[str, float], had_change_thresholds: bool,
                 baseline_source: str) -> tuple[bool, str]:
        """(blessed, reason) from TFMA's validation result."""
        skipped = ""
        if had_change_thresholds and not any(
                getattr(key, "is_diff", False) for key in thresholds):
            skipped = f"; change thresholds skipped: no baseline ({baseline_source})"
        if not thresholds:
            if had_change_thresholds:
                return True, (f"only change thresholds configured and no baseline "
                              f"({baseline_source}); blessed as the first model")
            return True, "no thresholds configured; blessed by default"
        result = tfma.load_validation_result(output_path)
        if result.validation_ok:
            checked = sorted({key.name for key in thresholds})
            values = ", ".join(
                f"{name} = {metrics[name]:.6g}" if name in metrics else name for name in checked)
            return True, f"all thresholds passed ({values}){skipped}"
        return False, "; ".join(failure_reasons(result)) + skipped

    @staticmethod
    def _write_blessing(blessing: Artifact, blessed: bool, reason: str, model: Artifact,
                        baseline_source: str) -> None:
        os.makedirs(blessing.uri, exist_ok=True)
        marker = BLESSED_FILE if blessed else NOT_BLESSED_FILE
        with open(os.path.join(blessing.uri, marker), "w"):
            pass
        blessing.set_custom_property("blessed", int(blessed))
        blessing.set_custom_property("blessing_reason", reason)
        blessing.set_custom_property("current_model", model.uri)
        if model.id is not None:
            blessing.set_custom_property("current_model_id", model.id)
        blessing.set_custom_property("baseline_model", baseline_source)
        blessing.set_custom_property("note", f"{'BLESSED' if blessed else 'NOT_BLESSED'}: {reason}")
        if blessed:
            logger.info("Evaluator: BLESSED model %s (%s)", model.uri, reason)
        else:
            logger.warning("Evaluator: NOT_BLESSED model %s: %s", model.uri, reason)


def _alias_baseline(base: str, alias: str) -> Baseline:
    """The baseline named by alias `alias` at push destination `base` (its alias history);
    no baseline when the alias is not set yet. Raises ExecutionError when it points to a
    version folder that is gone or holds no SavedModel."""
    from tfxkit.components._shared.model_registry import (
        RegistryError,
        UnknownAliasError,
        list_pushed_versions,
        resolve_alias,
    )

    try:
        version = resolve_alias(base, alias)
    except UnknownAliasError as exc:
        logger.warning("Evaluator: %s", exc)
        return Baseline(None, f"no version has alias {alias!r} at {base} yet (aliases set: "
                              f"{', '.join(exc.known) or 'none'})")
    except RegistryError as exc:
        raise ExecutionError(f"{COMPONENT}: baseline={alias!r}: {exc}") from None
    found = {v["version"]: v for v in list_pushed_versions(base)}
    item = found.get(version)
    if item is None or not item["complete"]:
        what = "is gone" if item is None else f"has no {SAVED_MODEL_FILES[0]}"
        raise ExecutionError(
            f"{COMPONENT}: baseline = alias {alias!r} -> version {version} at "
            f"{os.path.join(base, str(version))}, which {what}. Fix: point the alias at a "
            f"complete version (`tfxkit models promote {base} VERSION --alias {alias}`).")
    return Baseline(str(item["path"]), f"{item['path']} (alias {alias})", version)


def _one_thread_here(beam_pipeline_args: list[str]) -> bool:
    """Whether Beam runs the pipeline's DoFns in this process, one at a time: the DirectRunner
    (the default) in its `in_memory` mode (the default); not `multi_threading`,
    `multi_processing` nor another runner."""
    return (is_direct_runner(beam_pipeline_args)
            and beam_arg(beam_pipeline_args, "direct_running_mode", "in_memory") == "in_memory")


# Models loaded by `_load_once`, by token; entries live only while `_models_loaded_once` runs.
_LOADED: dict[str, Any] = {}


def _load_once(token: str, construct_fn: Callable[[], Any]) -> Any:
    """The model of `token`, built by `construct_fn` on first use in this process."""
    if token not in _LOADED:
        _LOADED[token] = construct_fn()
    return _LOADED[token]


@contextlib.contextmanager
def _models_loaded_once(models: list[Any]) -> Iterator[None]:
    """While the block runs, each of `models` (TFMA EvalSharedModels) loads its SavedModel once
    in this process, however many DoFn copies Beam makes (they unpickle the same token); the
    loaders and the cache are restored afterwards."""
    originals = []
    for model in models:
        loader = model.model_loader
        originals.append((loader, loader.construct_fn))
        loader.construct_fn = functools.partial(_load_once, uuid.uuid4().hex,
                                                loader.construct_fn)
    try:
        yield
    finally:
        for loader, construct_fn in originals:
            _LOADED.pop(loader.construct_fn.args[0], None)
            loader.construct_fn = construct_fn


def _serving_path(model: Artifact, name: str) -> str:
    path = os.path.join(model.uri, SERVING_DIR)
    if not os.path.isdir(path):
        raise ExecutionError(
            f"{COMPONENT}: expected the {name} SavedModel at {path}, found nothing. Connect "
            f"trainer.outputs['model'] (its run_fn saves to fn_args.serving_model_dir)."
        )
    if not any(os.path.isfile(os.path.join(path, f)) for f in SAVED_MODEL_FILES):
        raise ExecutionError(
            f"{COMPONENT}: the {name} at {path} has no {SAVED_MODEL_FILES[0]} (found "
            f"{sorted(os.listdir(path)) or 'an empty folder'}). Connect a Model whose "
            f"Format-Serving folder holds a SavedModel."
        )
    return path


def _example_feature_names(patterns: list[str], records: int = 200) -> list[str]:
    """Feature names seen in the first `records` tf.Examples of each file pattern, for the
    eval_config check when no schema is connected."""
    import tensorflow as tf

    names: dict[str, None] = {}
    for pattern in patterns:
        # All shards in order: a split's first shard may be empty (small splits, many shards).
        files = sorted(tf.io.gfile.glob(pattern))
        if not files:
            continue
        dataset = tf.data.TFRecordDataset(files, compression_type="GZIP").take(records)
        for record in dataset.as_numpy_iterator():
            example = tf.train.Example.FromString(record)
            names.update(dict.fromkeys(example.features.feature))
    return list(names)


@dataclasses.dataclass
class Baseline:
    """The baseline of one evaluation: its SavedModel `path` (None: no baseline), where it came
    from (`source`), its pushed `version` (when taken from the push destination) and a note on
    skipped incomplete version folders ("" when none)."""

    path: str | None
    source: str
    version: int | None = None
    skipped: str = ""

    def record(self, artifact: Artifact) -> None:
        """Name the baseline on `artifact`: custom properties `baseline_model` (where it came
        from, or why there is none) and `baseline_version` (the pushed version, when there is one)."""
        artifact.set_custom_property("baseline_model", self.source)
        if self.version is not None:
            artifact.set_custom_property("baseline_version", self.version)
