"""Transform executor: analyze and apply a tf.Transform `preprocessing_fn` on Beam.

One Beam pipeline: read each split a file at a time into Arrow record batches (the Arrow
schema of tfx-bsl's TFXIO, see `_shared.record_io`), analyze the `analyze` splits (reusing the
analyzer cache where the data is unchanged), write the transform graph in TFX's layout, then
transform each `transform` split and write it as gzipped tf.Examples, a record batch per
element. Every step streams record batches, so memory is bounded by the batch size, not the
data size: a split both analyzed and transformed is read twice, as in TFX, unless it is small
(`SHARED_READ_MAX_BYTES`). TensorFlow, TFT, Beam and tfx-bsl are imported inside `Do`.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import os
import shutil
import tempfile
from typing import Any

from tfxkit.components._shared.beam import make_beam_pipeline
from tfxkit.components._shared.examples import single, split_file_pattern, split_names
from tfxkit.components._shared.record_io import (
    encode_and_frame,
    read_record_batches,
    write_framed_records,
)
from tfxkit.components._shared.schema import load_schema
from tfxkit.components._shared.tf_env import TensorFlowExecutor
from tfxkit.components._shared.user_code import reraise_as_user_error, user_function
from tfxkit.errors import ExecutionError, UserCodeError
from tfxkit.types.artifact import Artifact

logger = logging.getLogger(__name__)

COMPONENT = "Transform"
TRANSFORMED_EXAMPLES_PREFIX = "transformed_examples"
RAW_METADATA_DIR = "metadata"  # tft.TFTransformOutput.RAW_METADATA_DIR
_TELEMETRY = ["tfxkit", "Transform"]
# Largest split (bytes on disk, gzipped tf.Examples) decoded once for both the analysis and the
# transform; its decoded batches are then all held in memory at once, about 15-20 times its size
# on disk (the 1M-row taxi train split: 44 MB on disk, +700 MB of memory). Larger splits are read
# again for the transform, which keeps memory bounded by the batch size.
SHARED_READ_MAX_BYTES = 8 << 20


def resolve_splits(
    splits_config: dict[str, Any] | None, available: list[str]
) -> tuple[list[str], list[str]]:
    """(analyze splits, transform splits) from `splits_config`; TFX's defaults otherwise:
    analyze `train`, transform every available split."""
    config = splits_config or {}
    unknown = sorted(set(config) - {"analyze", "transform"})
    if unknown:
        raise ExecutionError(
            f"{COMPONENT}: splits_config has unknown key(s) {unknown}; expected "
            f"{{'analyze': [...], 'transform': [...]}}."
        )
    analyze = list(config.get("analyze") or ["train"])
    transform = list(config.get("transform") or available)
    return analyze, transform


def dataset_key_name(file_pattern: str, split: str) -> str:
    """Analyzer-cache key of one split: stable for the same files, new for a new span."""
    digest = hashlib.sha256(file_pattern.encode()).hexdigest()[:16]
    return f"Split-{split}-{digest}"


def _beam_args(beam_pipeline_args: list[str] | None, module_file: str | None) -> list[str]:
    """The pipeline args, with `--pickle_library=cloudpickle` when the user code comes from a
    module file and no pickler was chosen: Beam workers in other processes (multi-process
    DirectRunner, Dataflow, Flink) cannot import a module file, and cloudpickle ships its
    functions by value (see `user_function`), which dill, Beam's default, cannot."""
    args = list(beam_pipeline_args or [])
    if module_file and not any(arg.startswith("--pickle_library") for arg in args):
        args.append("--pickle_library=cloudpickle")
    return args


def _takes_custom_config(fn: Any) -> bool:
    try:
        return "custom_config" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def check_signature(fn: Any, where: str) -> None:
    """Raise UserCodeError unless `fn` can be called as `preprocessing_fn(inputs)` (and with
    `custom_config=` when it names that parameter, as TFX passes it)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    extra: dict[str, Any] = (
        {"custom_config": {}} if "custom_config" in signature.parameters else {})
    try:
        signature.bind({}, **extra)
    except TypeError as exc:
        raise UserCodeError(
            f"{COMPONENT}: preprocessing_fn in {where} has the signature "
            f"preprocessing_fn{signature} ({exc}); it must take one argument, the dict of input "
            f"tensors: `def preprocessing_fn(inputs):` (optionally `custom_config` as well)."
        ) from None


def _describe(value: Any) -> str:
    import tensorflow as tf

    if value is None:
        return "None"
    if isinstance(value, tf.SparseTensor):
        return "a SparseTensor"
    if isinstance(value, tf.RaggedTensor):
        return "a RaggedTensor"
    if tf.is_tensor(value):
        return "a Tensor"
    text = repr(value)
    shown = f" ({text[:40]}{'...' if len(text) > 40 else ''})"
    return f"a {type(value).__name__}{shown}"


def output_problem(outputs: Any) -> str:
    """What is wrong with a preprocessing_fn's return value ("" when it is a non-empty dict
    mapping str feature names to tensors, sparse or ragged tensors)."""
    import tensorflow as tf

    must = "it must return a dict mapping feature names to tensors"
    if not isinstance(outputs, dict):
        return f"returned {_describe(outputs)}; {must}"
    if not outputs:
        return f"returned an empty dict; {must} (at least one feature)"
    for key, value in outputs.items():
        if not isinstance(key, str):
            return (f"returned a dict with the key {key!r} ({type(key).__name__}); {must}, "
                    f"with feature names as str")
        if not tf.is_tensor(value):
            return f"returned a dict whose value for {key!r} is {_describe(value)}; {must}"
    return ""


def _checked_preprocessing_fn(fn: Any, custom_config: dict[str, Any] | None) -> Any:
    """`fn` as TFT calls it: `custom_config` passed when its signature takes it (TFX does too),
    and its return value checked. A wrong return value raises UserCodeError and is also kept in
    the wrapper's `tfxkit_problems` list: TensorFlow's autograph rewrites the message of
    exceptions raised while it traces, so the executor re-raises the clean one."""
    takes = _takes_custom_config(fn)
    where = _file_name(fn)
    problems: list[str] = []

    def preprocessing_fn(inputs: Any) -> Any:
        outputs = fn(inputs, custom_config=custom_config or {}) if takes else fn(inputs)
        problem = output_problem(outputs)
        if problem:
            problems.append(f"{COMPONENT}: preprocessing_fn in {where} {problem}")
            raise UserCodeError(problems[-1])
        return outputs

    preprocessing_fn.__wrapped__ = fn  # type: ignore[attr-defined]
    preprocessing_fn.tfxkit_problems = problems  # type: ignore[attr-defined]
    return preprocessing_fn


def _file_name(fn: Any) -> str:
    code = getattr(inspect.unwrap(fn), "__code__", None)
    return os.path.basename(code.co_filename) if code is not None else repr(fn)


class Executor(TensorFlowExecutor):
    """Runs tf.Transform on Beam; see `tfxkit.components.Transform` for inputs and outputs."""

    def Do(
        self,
        input_dict: dict[str, list[Artifact]],
        output_dict: dict[str, list[Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        """Analyze, write the transform graph and the analyzer cache, transform every split.

        Writes `transform_fn/`, `transformed_metadata/` and `metadata/` under the
        transform_graph uri, `Split-<name>/transformed_examples-*.gz` under the
        transformed_examples uri, and the analyzer cache under updated_analyzer_cache's uri.
        """
        examples = single(input_dict, "examples", COMPONENT)
        schema_artifact = single(input_dict, "schema", COMPONENT)
        if examples is None or schema_artifact is None:
            raise ExecutionError(
                f"{COMPONENT}: inputs 'examples' and 'schema' are required; found "
                f"{sorted(k for k, v in input_dict.items() if v)}."
            )
        schema = load_schema(schema_artifact, COMPONENT)
        available = split_names(examples)
        analyze_splits, transform_splits = resolve_splits(
            exec_properties.get("splits_config"), available)
        analyze_patterns = {
            split: split_file_pattern(examples, split, COMPONENT,
                                      "splits_config['analyze']")
            for split in analyze_splits
        }
        transform_patterns = {
            split: split_file_pattern(examples, split, COMPONENT,
                                      "splits_config['transform']")
            for split in transform_splits
        }
        graph = single(output_dict, "transform_graph", COMPONENT)
        transformed = single(output_dict, "transformed_examples", COMPONENT)
        cache_in = single(input_dict, "analyzer_cache", COMPONENT)
        cache_out = single(output_dict, "updated_analyzer_cache", COMPONENT)
        if exec_properties.get("disable_analyzer_cache"):
            cache_in = cache_out = None
        assert graph is not None

        with user_function(
            component=COMPONENT,
            fn_name="preprocessing_fn",
            module_file=exec_properties.get("module_file"),
            dotted_path=exec_properties.get("preprocessing_fn"),
        ) as user_fn:
            check_signature(user_fn, _file_name(user_fn))
            preprocessing_fn = _checked_preprocessing_fn(user_fn,
                                                         exec_properties.get("custom_config"))
            temp_root = self.context.tmp_dir or None
            temp_dir = tempfile.mkdtemp(prefix="tfxkit-transform-", dir=temp_root)
            try:
                _run_pipeline(
                    beam_pipeline_args=_beam_args(self.context.beam_pipeline_args,
                                                  exec_properties.get("module_file")),
                    preprocessing_fn=preprocessing_fn,
                    user_fn=user_fn,
                    schema=schema,
                    analyze_patterns=analyze_patterns,
                    transform_patterns=transform_patterns,
                    graph_uri=graph.uri,
                    transformed_uri=transformed.uri if transformed is not None else None,
                    cache_in_uri=cache_in.uri if cache_in is not None else None,
                    cache_out_uri=cache_out.uri if cache_out is not None else None,
                    force_tf_compat_v1=bool(exec_properties.get("force_tf_compat_v1")),
                    temp_dir=temp_dir,
                    shared_read_max_bytes=SHARED_READ_MAX_BYTES,
                )
            finally:
                shutil.rmtree(temp_dir, ignore_errors=True)

        if transformed is not None:
            transformed.split_names = transform_splits
            for name in ("span", "version"):
                value = examples.properties.get(name)
                if value is not None:
                    transformed.set_property(name, value)


def _run_pipeline(
    *,
    beam_pipeline_args: list[str],
    preprocessing_fn: Any,
    user_fn: Any,
    schema: Any,
    analyze_patterns: dict[str, str],
    transform_patterns: dict[str, str],
    graph_uri: str,
    transformed_uri: str | None,
    cache_in_uri: str | None,
    cache_out_uri: str | None,
    force_tf_compat_v1: bool,
    temp_dir: str,
    shared_read_max_bytes: int,
) -> None:
    """Build and run the Beam pipeline of one Transform execution. A split both analyzed and
    transformed is decoded once when its files hold at most `shared_read_max_bytes`, and read
    again for the transform otherwise, so that memory stays bounded by the batch size."""
    import apache_beam as beam
    import tensorflow_transform as tft
    import tensorflow_transform.beam as tft_beam
    from tensorflow_transform.beam import analysis_graph_builder, analyzer_cache
    from tensorflow_transform.tf_metadata import dataset_metadata
    from tfx_bsl.public import tfxio

    raw_tfxio = tfxio.TFExampleRecord(file_pattern=next(iter(analyze_patterns.values())),
                                      schema=schema, telemetry_descriptors=_TELEMETRY)
    typespecs = raw_tfxio.TensorAdapter().OriginalTypeSpecs()
    # Tracing the user's function here, before any data is read, fails fast and lets a
    # mistake in it be reported at its own file and line.
    problems = getattr(preprocessing_fn, "tfxkit_problems", [])
    try:
        with reraise_as_user_error(user_fn, component=COMPONENT, what="preprocessing_fn"):
            analyze_columns = tft.get_analyze_input_columns(
                preprocessing_fn, typespecs, force_tf_compat_v1=force_tf_compat_v1)
            transform_columns = tft.get_transform_input_columns(
                preprocessing_fn, typespecs, force_tf_compat_v1=force_tf_compat_v1)
    except Exception:
        if problems:  # the wrong return value, without autograph's rewriting of the message
            raise UserCodeError(problems[0]) from None
        raise

    dataset_keys = {split: analyzer_cache.DatasetKey(dataset_key_name(pattern, split))
                    for split, pattern in analyze_patterns.items()}
    key_list = sorted(dataset_keys.values())
    # A small split that is both analyzed and transformed is read and decoded once, with the
    # columns both steps need. A larger one is read twice (as TFX does): its decoded batches,
    # consumed by the analysis and by the transform that waits for the analysis's result, would
    # otherwise be held whole in memory between the two (by any Beam runner).
    both = ({split for split, pattern in analyze_patterns.items()
             if transform_patterns.get(split) == pattern} if transformed_uri is not None
            else set())
    shared = {split for split in both
              if _total_bytes(analyze_patterns[split]) <= shared_read_max_bytes}
    if both - shared:
        logger.info("Transform: split(s) %s are over %d bytes; read once for the analysis and "
                    "again for the transform", sorted(both - shared), shared_read_max_bytes)
    # All analyzed datasets need one Arrow schema, so they share one projection.
    analyzed_columns = (sorted(set(analyze_columns) | set(transform_columns)) if shared
                        else analyze_columns)
    analyze_tfxio = raw_tfxio.Project(analyzed_columns)
    transform_tfxio = raw_tfxio.Project(transform_columns)

    def read(pipeline: Any, label: str, pattern: str, columns: list[str]) -> Any:
        return pipeline | label >> read_record_batches(pattern, _project_schema(schema, columns))

    with make_beam_pipeline(beam_pipeline_args) as pipeline, tft_beam.Context(
        temp_dir=temp_dir, use_deep_copy_optimization=True,
        force_tf_compat_v1=force_tf_compat_v1,
    ):
        input_cache: Any = None
        datasets_to_read = set(key_list)
        if cache_out_uri is not None:
            input_cache = {}
            if cache_in_uri is not None and os.path.isdir(cache_in_uri):
                entry_keys = analysis_graph_builder.get_analysis_cache_entry_keys(
                    preprocessing_fn, typespecs, key_list, force_tf_compat_v1)
                input_cache = pipeline | "ReadCache" >> analyzer_cache.ReadAnalysisCacheFromFS(
                    cache_in_uri, key_list, cache_entry_keys=entry_keys)
                datasets_to_read = set(analysis_graph_builder.get_analysis_dataset_keys(
                    preprocessing_fn, typespecs, key_list, input_cache, force_tf_compat_v1))
                skipped = sorted(s for s, k in dataset_keys.items() if k not in datasets_to_read)
                if skipped:
                    logger.info("Transform: analyzer cache covers split(s) %s; not re-reading",
                                skipped)

        decoded = {split: read(pipeline, f"Read[{split}]", analyze_patterns[split],
                               analyzed_columns)
                   for split, key in dataset_keys.items()
                   if key in datasets_to_read or split in shared}
        analysis_data = {key: decoded[split] if key in datasets_to_read else None
                         for split, key in dataset_keys.items()}
        transform_fn, cache_output = (
            (analysis_data, input_cache, analyze_tfxio.TensorAdapterConfig())
            | "Analyze" >> tft_beam.AnalyzeDatasetWithCache(preprocessing_fn, pipeline=pipeline)
        )
        _ = (dataset_metadata.DatasetMetadata(schema)
             | "WriteRawMetadata" >> tft_beam.WriteMetadata(
                 os.path.join(graph_uri, RAW_METADATA_DIR), pipeline))
        _ = transform_fn | "WriteTransformFn" >> tft_beam.WriteTransformFn(graph_uri)

        if cache_out_uri is not None and cache_output is not None:
            os.makedirs(cache_out_uri, exist_ok=True)
            if cache_in_uri is not None:
                # Keep the cache of analyzed splits; WriteAnalysisCacheToFS merges into it.
                for key in key_list:
                    source = os.path.join(cache_in_uri, key.key)
                    if os.path.isdir(source):
                        shutil.copytree(source, os.path.join(cache_out_uri, key.key),
                                        dirs_exist_ok=True)
            if cache_output:
                _ = cache_output | "WriteCache" >> analyzer_cache.WriteAnalysisCacheToFS(
                    pipeline=pipeline, cache_base_dir=cache_out_uri, dataset_keys=key_list)

        if transformed_uri is not None:
            for split, pattern in transform_patterns.items():
                if split in shared:
                    split_tfxio, records = analyze_tfxio, decoded[split]
                else:
                    split_tfxio = transform_tfxio
                    records = read(pipeline, f"ReadTransform[{split}]", pattern,
                                   transform_columns)
                output_prefix = os.path.join(transformed_uri, f"Split-{split}",
                                             TRANSFORMED_EXAMPLES_PREFIX)
                transformed, _ = (
                    ((records, split_tfxio.TensorAdapterConfig()), transform_fn)
                    | f"Transform[{split}]" >> tft_beam.TransformDataset(
                        output_record_batches=True)
                )
                _ = (
                    transformed
                    | f"Encode[{split}]" >> beam.Map(_encode_transformed)
                    | f"Write[{split}]" >> write_framed_records(output_prefix)
                )


def _total_bytes(file_pattern: str) -> int:
    """Total size of the files matching `file_pattern`, on any filesystem Beam knows."""
    from apache_beam.io.filesystems import FileSystems

    return sum(metadata.size_in_bytes
               for metadata in FileSystems.match([file_pattern])[0].metadata_list)


def _encode_transformed(batch: tuple[Any, Any]) -> bytes:
    """Framed tf.Example records of one transformed (record batch, passthrough) pair."""
    record_batch, _ = batch
    return encode_and_frame(record_batch)


def _project_schema(schema: Any, columns: list[str]) -> Any:
    """`schema` with only what decoding `columns` needs (as tfx-bsl's TFXIO.Project does)."""
    from tfx_bsl.tfxio import tensor_representation_util

    return tensor_representation_util.ProjectTensorRepresentationsInSchema(schema, columns)
