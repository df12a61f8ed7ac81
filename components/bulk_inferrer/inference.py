"""The Beam pipeline of BulkInferrer and `tfxkit predict`: examples -> tfx-bsl RunInference ->
`prediction_logs-*.gz` (TFRecords of PredictionLog, as TFX's BulkInferrer writes them) and,
with an OutputExampleSpec, the examples with prediction columns added (`examples-*.gz`).

Imports Beam, TensorFlow and tfx-bsl when called.
"""

from __future__ import annotations

import os
from typing import Any

from tfxkit.components._shared.beam import make_beam_pipeline
from tfxkit.errors import DataError

PREDICTION_LOGS = "prediction_logs"
EXAMPLES = "examples"
_NAMESPACE = "tfxkit.BulkInferrer"


def _float_or_bytes(values: list[Any]) -> tuple[str, list[Any]]:
    if values and isinstance(values[0], str | bytes):
        return "bytes", [v.encode("utf-8") if isinstance(v, str) else v for v in values]
    return "float", [float(v) for v in values]


def prediction_columns(log: Any, output_example_spec: dict[str, Any]) -> tuple[bytes, list[
        tuple[str, list[Any]]]]:
    """(the serialized input example, [(column, values)]) of one PredictionLog, by TFX's
    OutputExampleSpec: `predict_output` copies signature outputs (squeezed to one dimension),
    `classify_output` the class labels and scores, `regress_output` the value.

    Raises DataError when the log's kind does not match the spec or an output is missing or
    has more than one dimension per example.
    """
    import numpy as np
    import tensorflow as tf

    spec = output_example_spec["output_columns_spec"][0]
    kind = log.WhichOneof("log_type")
    if kind == "predict_log" and "predict_output" in spec:
        request = log.predict_log.request
        serialized = next(iter(request.inputs.values())).string_val[0]
        outputs = log.predict_log.response.outputs
        columns = []
        for column in spec["predict_output"]["output_columns"]:
            key = column["output_key"]
            if key not in outputs:
                raise DataError(
                    f"BulkInferrer: output_example_spec names output {key!r}, but the "
                    f"signature's outputs are {', '.join(sorted(outputs))}. Fix output_key.")
            values = np.squeeze(tf.make_ndarray(outputs[key]))
            if values.ndim > 1:
                raise DataError(
                    f"BulkInferrer: output {key!r} has shape {list(values.shape)} per example; "
                    f"only outputs that flatten to one dimension can become a column.")
            columns.append((column["output_column"], np.atleast_1d(values).tolist()))
        return serialized, columns
    if kind == "classify_log" and "classify_output" in spec:
        classes = log.classify_log.response.result.classifications[0].classes
        wanted = spec["classify_output"]
        columns = []
        if wanted.get("label_column"):
            columns.append((wanted["label_column"], [c.label for c in classes]))
        if wanted.get("score_column"):
            columns.append((wanted["score_column"], [c.score for c in classes]))
        return (log.classify_log.request.input.example_list.examples[0].SerializeToString(),
                columns)
    if kind == "regress_log" and "regress_output" in spec:
        value = log.regress_log.response.result.regressions[0].value
        return (log.regress_log.request.input.example_list.examples[0].SerializeToString(),
                [(spec["regress_output"]["value_column"], [value])])
    wanted = next(k for k in spec if k != "signature_name")
    raise DataError(
        f"BulkInferrer: the model's signature produced a {kind} but output_example_spec asks "
        f"for {wanted}. Use predict_output for predict signatures (the Trainer's default), "
        f"classify_output / regress_output for classify / regress signatures.")


def to_example(log: Any, output_example_spec: dict[str, Any]) -> bytes:
    """The input example of PredictionLog `log` with the spec's prediction columns added.
    Raises DataError when a column name is already a feature of the example."""
    import tensorflow as tf

    serialized, columns = prediction_columns(log, output_example_spec)
    example = tf.train.Example.FromString(serialized)
    features = example.features.feature
    for name, values in columns:
        if name in features:
            raise DataError(
                f"BulkInferrer: output column {name!r} is already a feature of the examples; "
                f"choose another output_column in output_example_spec.")
        kind, converted = _float_or_bytes(values)
        if kind == "bytes":
            features[name].bytes_list.value[:] = converted
        else:
            features[name].float_list.value[:] = converted
    return example.SerializeToString()


def run_inference(
    beam_pipeline_args: list[str] | None,
    inputs: dict[str, str | list[bytes]],
    model_path: str,
    signature_name: str,
    tags: list[str],
    inference_result_dir: str | None,
    output_examples_dirs: dict[str, str] | None = None,
    output_example_spec: dict[str, Any] | None = None,
) -> dict[str, int]:
    """Predict with the SavedModel at `model_path` on every example of `inputs` (split ->
    gzipped TFRecord file pattern, or serialized tf.Examples in memory) in one Beam pipeline.

    Writes `{inference_result_dir}/prediction_logs-*.gz` (all splits) and, per split in
    `output_examples_dirs`, `{dir}/examples-*.gz`. Returns the number of examples per split.
    """
    import apache_beam as beam
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2
    from tfx_bsl.public.beam import run_inference as tfx_bsl_inference
    from tfx_bsl.public.proto import model_spec_pb2

    spec = model_spec_pb2.InferenceSpecType(saved_model_spec=model_spec_pb2.SavedModelSpec(
        model_path=model_path, signature_name=[signature_name], tag=tags))
    pipeline = make_beam_pipeline(beam_pipeline_args)
    logs = []
    for split, source in inputs.items():
        counter = beam.metrics.Metrics.counter(_NAMESPACE, f"examples[{split}]")

        def count(record: bytes, counter: Any = counter) -> bytes:
            counter.inc()
            return record

        records = pipeline | f"Read[{split}]" >> (
            beam.io.ReadFromTFRecord(source) if isinstance(source, str)
            else beam.Create(source, reshuffle=False))
        predicted = (records
                     | f"Count[{split}]" >> beam.Map(count)
                     | f"Parse[{split}]" >> beam.Map(tf.train.Example.FromString)
                     | f"RunInference[{split}]" >> tfx_bsl_inference.RunInference(spec))
        logs.append(predicted)
        if output_examples_dirs and split in output_examples_dirs:
            _ = (predicted
                 | f"ToExamples[{split}]" >> beam.Map(to_example,
                                                      output_example_spec=output_example_spec)
                 | f"WriteExamples[{split}]" >> beam.io.WriteToTFRecord(
                     os.path.join(output_examples_dirs[split], EXAMPLES),
                     file_name_suffix=".gz"))
    if inference_result_dir is not None:
        _ = (logs | "Flatten" >> beam.Flatten(pipeline=pipeline)
             | "WritePredictionLogs" >> beam.io.WriteToTFRecord(
                 os.path.join(inference_result_dir, PREDICTION_LOGS), file_name_suffix=".gz",
                 coder=beam.coders.ProtoCoder(prediction_log_pb2.PredictionLog)))
    result = pipeline.run()
    result.wait_until_finish()
    counts = {split: 0 for split in inputs}
    for entry in result.metrics().query(beam.metrics.MetricsFilter().with_namespace(
            _NAMESPACE))["counters"]:
        split = entry.key.metric.name[len("examples["):-1]
        counts[split] = int(entry.committed if entry.committed is not None else entry.attempted)
    return counts
