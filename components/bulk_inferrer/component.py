"""BulkInferrer: batch predictions of a trained model on Examples, written as TFX writes them."""

from __future__ import annotations

from typing import Any

from tfxkit.components.bulk_inferrer.config import (
    check_data_spec,
    check_model_spec,
    check_output_example_spec,
    signature_name,
)
from tfxkit.components.bulk_inferrer.spec import BulkInferrerSpec
from tfxkit.dsl.base_component import BaseComponent
from tfxkit.dsl.component_spec import normalize_value
from tfxkit.dsl.runtime_parameter import RuntimeParameter
from tfxkit.errors import ComponentArgumentError
from tfxkit.types.channel import Channel


class BulkInferrer(BaseComponent):
    """Predict with a model on every example of some splits, on Beam with tfx-bsl's
    RunInference, as TFX's BulkInferrer does.

    Inputs:
        examples (Examples): the rows to predict on (raw tf.Examples: the serving signature
            parses them, the transform graph is inside the model).
        model (Model): `{uri}/Format-Serving/` SavedModel from the Trainer.
        model_blessing (ModelBlessing, optional): the Evaluator's verdict. NOT_BLESSED skips
            inference (the run still succeeds; `inferred`=0 and `inference_reason` say why);
            without a blessing the model is used.

    Outputs:
        inference_result (InferenceResult): `{uri}/prediction_logs-*.gz`, gzipped TFRecords of
            `tensorflow_serving.apis.prediction_log_pb2.PredictionLog`, one per example (a
            `predict_log` holding the request's serialized example under the signature's input
            key and the signature's outputs); custom properties `inferred` (1/0),
            `example_count`, `inference_reason` when skipped.
        output_examples (Examples): only with `output_example_spec`:
            `{uri}/Split-<split>/examples-*.gz`, each input example with the prediction
            columns added (float or bytes features, as TFX adds them).

    Parameters:
        data_spec: TFX's DataSpec JSON, `{"example_splits": ["eval"]}`; default every split.
        model_spec: TFX's ModelSpec JSON, `{"model_signature_name": ["serving_default"],
            "tag": ["serve"]}` (the defaults).
        output_example_spec: TFX's OutputExampleSpec JSON, e.g. `{"output_columns_spec":
            [{"predict_output": {"output_columns": [{"output_key": "outputs",
            "output_column": "probabilities"}]}}]}`; `classify_output` / `regress_output`
            for models with classify / regress signatures.

    All three are checked when the component is built (field names with a did-you-mean, value
    types, split names); a missing split or signature is reported before Beam starts.
    """

    SPEC_CLASS = BulkInferrerSpec
    EXECUTOR = "tfxkit.components.bulk_inferrer.executor.Executor"

    def __init__(
        self,
        *,
        examples: Channel,
        model: Channel,
        model_blessing: Channel | None = None,
        data_spec: dict[str, Any] | None = None,
        model_spec: dict[str, Any] | None = None,
        output_example_spec: dict[str, Any] | None = None,
    ) -> None:
        values = {}
        for name, value, check in (("data_spec", data_spec, check_data_spec),
                                   ("model_spec", model_spec, check_model_spec),
                                   ("output_example_spec", output_example_spec,
                                    check_output_example_spec)):
            if not isinstance(value, RuntimeParameter):
                value = normalize_value(value)
                check(value)
            values[name] = value
        example_spec = values["output_example_spec"]
        if isinstance(example_spec, dict) and isinstance(values["model_spec"], dict | None):
            named = example_spec["output_columns_spec"][0].get("signature_name")
            used = signature_name(values["model_spec"])
            if named and named != used:
                raise ComponentArgumentError(
                    f"BulkInferrer: output_example_spec names signature {named!r} but the model "
                    f"is run with signature {used!r} (model_spec['model_signature_name']). Make "
                    f"them the same.")
        super().__init__(examples=examples, model=model, model_blessing=model_blessing,
                         **values)
        if output_example_spec is None:
            # As in TFX: the output_examples channel exists only with an output_example_spec.
            del self.outputs["output_examples"]
