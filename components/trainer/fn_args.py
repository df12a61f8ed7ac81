"""`FnArgs` and `DataAccessor`: what a user's `run_fn(fn_args)` receives, under TFX's names.

Attribute names match TFX's `tfx.components.FnArgs`, so a TFX module's `run_fn` runs unchanged.
Pure Python: TensorFlow and tfx-bsl are imported when a dataset is built.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import tensorflow as tf
    from tensorflow_metadata.proto.v0 import schema_pb2
    from tfx_bsl.public import tfxio

_TELEMETRY = ["tfxkit", "Trainer"]


def _patterns(file_pattern: list[str] | str) -> list[str]:
    return [file_pattern] if isinstance(file_pattern, str) else list(file_pattern)


@dataclasses.dataclass(frozen=True)
class DataAccessor:
    """Builds datasets from Examples files with tfx-bsl's TFXIO, as TFX's DataAccessor does.

    Use `tf_dataset_factory(fn_args.train_files, TensorFlowDatasetOptions(batch_size=..,
    label_key=..), schema)` for a `tf.data.Dataset` of (features dict, label) batches.
    """

    data_view_decode_fn: Any = None

    def tf_dataset_factory(
        self,
        file_pattern: list[str] | str,
        dataset_options: tfxio.TensorFlowDatasetOptions,
        schema: schema_pb2.Schema | None,
    ) -> tf.data.Dataset:
        """A `tf.data.Dataset` over the gzipped tf.Examples matching `file_pattern`, parsed
        with `schema` (pass the transformed schema for transformed examples) and batched as
        `dataset_options` says."""
        from tfx_bsl.public import tfxio

        record = tfxio.TFExampleRecord(file_pattern=_patterns(file_pattern), schema=schema,
                                       telemetry_descriptors=_TELEMETRY)
        return record.TensorFlowDataset(dataset_options)

    def record_batch_factory(
        self,
        file_pattern: list[str] | str,
        options: tfxio.RecordBatchesOptions,
        schema: schema_pb2.Schema | None,
    ) -> Any:
        """An iterator of Arrow `RecordBatch`es over the examples matching `file_pattern`."""
        from tfx_bsl.public import tfxio

        record = tfxio.TFExampleRecord(file_pattern=_patterns(file_pattern), schema=schema,
                                       telemetry_descriptors=_TELEMETRY)
        batches: Any = record.RecordBatches(options)
        return batches

    def __repr__(self) -> str:
        return "DataAccessor(tf_dataset_factory, record_batch_factory)"


@dataclasses.dataclass
class FnArgs:
    """Arguments of a user's `run_fn(fn_args)`.

    Attributes:
        train_files / eval_files: file patterns (`{examples}/Split-<name>/*`) of the train and
            eval splits.
        train_steps / eval_steps: `train_args["num_steps"]` / `eval_args["num_steps"]`
            (None: until the data ends).
        transform_output / transform_graph_path: the TransformGraph folder (open it with
            `tft.TFTransformOutput`), or None without a transform_graph input.
        schema_path / schema_file: `{schema}/schema.pbtxt`, or None.
        serving_model_dir: where run_fn must save the serving SavedModel
            (`{model}/Format-Serving`).
        eval_model_dir: `{model}/Format-TFMA`, for an optional separate evaluation model.
        model_run_dir / working_dir: `{model_run}/`, for TensorBoard logs and checkpoints.
        base_model: `{base_model}/Format-Serving` to warm-start from, or None.
        hyperparameters: dict of hyperparameters (from a HyperParameters input), or None.
        custom_config: the Trainer's `custom_config` dict.
        data_accessor: builds `tf.data.Dataset`s from the files (see DataAccessor).
    """

    train_files: list[str]
    eval_files: list[str]
    train_steps: int | None
    eval_steps: int | None
    serving_model_dir: str
    eval_model_dir: str
    model_run_dir: str
    transform_output: str | None = None
    schema_path: str | None = None
    base_model: str | None = None
    hyperparameters: dict[str, Any] | None = None
    custom_config: dict[str, Any] = dataclasses.field(default_factory=dict)
    data_accessor: DataAccessor = dataclasses.field(default_factory=DataAccessor)

    @property
    def transform_graph_path(self) -> str | None:
        """TFX's older name of `transform_output`."""
        return self.transform_output

    @property
    def schema_file(self) -> str | None:
        """TFX's older name of `schema_path`."""
        return self.schema_path

    @property
    def working_dir(self) -> str:
        """TFX's older name of `model_run_dir`."""
        return self.model_run_dir

