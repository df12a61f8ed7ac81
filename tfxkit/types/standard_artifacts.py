"""The standard artifact types, with TFX's type names, properties and on-disk layouts.

Keeping TFX's names and layouts means TFX-era artifacts, TFDV's and TFMA's readers and viewers
open what tfxkit writes, and a TFX pipeline definition ports by changing its imports. Each is
registered by its type name (`artifact_class`, kept in `tfxkit.types.artifact`) when this module
is imported, which `import tfxkit.types` does.
"""

from __future__ import annotations

from tfxkit.types.artifact import (
    Artifact,
    PropertyType,
    SplitsMixin,
    artifact_class,
    register_artifact_type,
)

_SPAN = PropertyType.INT
_VERSION = PropertyType.INT
_SPLIT_NAMES = PropertyType.STRING


class Examples(SplitsMixin, Artifact):
    """Rows of data as gzipped tf.Example TFRecords, one folder per split.

    Layout: `{uri}/Split-{split}/data_tfrecord-*.gz`. Properties: `span`, `version`,
    `split_names` (JSON list, e.g. `["train", "eval"]`).
    """

    TYPE_NAME = "Examples"
    PROPERTIES = {"span": _SPAN, "version": _VERSION, "split_names": _SPLIT_NAMES}


class ExampleStatistics(SplitsMixin, Artifact):
    """TFDV statistics per split. Layout: `{uri}/Split-{split}/FeatureStats.pb`
    (a serialized DatasetFeatureStatisticsList). Properties: `span`, `split_names`."""

    TYPE_NAME = "ExampleStatistics"
    PROPERTIES = {"span": _SPAN, "split_names": _SPLIT_NAMES}


class ExampleAnomalies(SplitsMixin, Artifact):
    """TFDV anomalies per split. Layout: `{uri}/Split-{split}/SchemaDiff.pb`
    (a serialized Anomalies proto). Properties: `span`, `split_names`."""

    TYPE_NAME = "ExampleAnomalies"
    PROPERTIES = {"span": _SPAN, "split_names": _SPLIT_NAMES}


class Schema(Artifact):
    """A TensorFlow Metadata schema. Layout: `{uri}/schema.pbtxt` (text proto)."""

    TYPE_NAME = "Schema"


class TransformGraph(Artifact):
    """A tf.Transform output. Layout: `{uri}/transform_fn/` (SavedModel of the transform),
    `{uri}/transformed_metadata/` and `{uri}/metadata/` (raw schema); open it with
    `tft.TFTransformOutput(uri)`."""

    TYPE_NAME = "TransformGraph"


class TransformCache(Artifact):
    """tf.Transform analyzer cache, reused so a new span does not recompute old ones.
    Layout: `{uri}/` as written by `tft_beam.analyzer_cache`."""

    TYPE_NAME = "TransformCache"


class Model(Artifact):
    """A trained model. Layout: `{uri}/Format-Serving/` (SavedModel whose default serving
    signature takes serialized tf.Example)."""

    TYPE_NAME = "Model"


class ModelRun(Artifact):
    """Training logs (TensorBoard). Layout: `{uri}/` holds the event files."""

    TYPE_NAME = "ModelRun"


class ModelEvaluation(Artifact):
    """A TFMA evaluation result. Layout: `{uri}/` as written by TFMA (metrics, plots,
    validations, eval_config.json); open it with `tfma.load_eval_result(uri)`."""

    TYPE_NAME = "ModelEvaluation"


class ModelBlessing(Artifact):
    """Whether a model passed evaluation. Layout: `{uri}/BLESSED` or `{uri}/NOT_BLESSED`
    (empty marker file). Custom property `blessed` is 1 or 0."""

    TYPE_NAME = "ModelBlessing"


class PushedModel(Artifact):
    """A record of a push. Custom properties `pushed` (1/0), `pushed_destination` and
    `pushed_version`; layout: `{uri}/` holds a copy of the pushed model when pushed."""

    TYPE_NAME = "PushedModel"


class InferenceResult(Artifact):
    """Batch predictions of a BulkInferrer, as TFX writes them. Layout:
    `{uri}/prediction_logs-*.gz` (gzipped TFRecords of `tensorflow_serving.apis.PredictionLog`).
    Custom property `inferred` (1/0) and `inference_reason` when skipped."""

    TYPE_NAME = "InferenceResult"


class HyperParameters(Artifact):
    """Hyperparameters for training. Layout: `{uri}/best_hyperparameters.txt` (JSON)."""

    TYPE_NAME = "HyperParameters"


STANDARD_TYPES: tuple[type[Artifact], ...] = (
    Examples,
    ExampleStatistics,
    ExampleAnomalies,
    Schema,
    TransformGraph,
    TransformCache,
    Model,
    ModelRun,
    ModelEvaluation,
    ModelBlessing,
    PushedModel,
    InferenceResult,
    HyperParameters,
)

for _cls in STANDARD_TYPES:
    register_artifact_type(_cls)


__all__ = [
    "STANDARD_TYPES",
    "ExampleAnomalies",
    "ExampleStatistics",
    "Examples",
    "HyperParameters",
    "InferenceResult",
    "Model",
    "ModelBlessing",
    "ModelEvaluation",
    "ModelRun",
    "PushedModel",
    "Schema",
    "TransformCache",
    "TransformGraph",
    "artifact_class",
    "register_artifact_type",
]
