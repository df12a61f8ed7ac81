"""Transform: feature engineering with tf.Transform, as a graph reused at serving time."""

from __future__ import annotations

from typing import Any

from tfxkit.components._shared.user_code import check_one_source
from tfxkit.components.transform.spec import TransformSpec
from tfxkit.dsl.base_component import BaseComponent, check_splits_exist
from tfxkit.dsl.module_check import PREPROCESSING_FN, check_user_code
from tfxkit.dsl.names import check_split_name
from tfxkit.errors import ComponentArgumentError
from tfxkit.types.channel import Channel


class Transform(BaseComponent):
    """Run a tf.Transform `preprocessing_fn` over Examples on Beam.

    The user's `preprocessing_fn(inputs) -> outputs` (dicts of tensors; TFT analyzers such as
    `tft.scale_to_z_score`, `tft.compute_and_apply_vocabulary`, `tft.bucketize`) is analyzed on
    the `analyze` splits (default `train`) and applied to the `transform` splits (default: all).
    The resulting graph goes into the serving model (`tf_transform_output.transform_features_layer()`),
    so training and serving transform features identically.

    Inputs:
        examples (Examples): raw gzipped tf.Examples, `{uri}/Split-<name>/*.gz`.
        schema (Schema): `{uri}/schema.pbtxt`, describing the raw features.
        analyzer_cache (TransformCache, optional): an earlier run's `updated_analyzer_cache`;
            analyzers over unchanged data (same Examples artifact and split) are not recomputed.

    Outputs:
        transform_graph (TransformGraph): `{uri}/transform_fn/` (SavedModel),
            `{uri}/transformed_metadata/` and `{uri}/metadata/` (raw schema); open with
            `tft.TFTransformOutput(uri)`.
        transformed_examples (Examples): `{uri}/Split-<name>/transformed_examples-*.gz`.
        updated_analyzer_cache (TransformCache): `{uri}/<dataset key>/`, per analyzed split.

    Parameters:
        module_file: path of a .py file defining `preprocessing_fn`; or
        preprocessing_fn: its dotted path (`steps.transform.preprocessing_fn`). Exactly one.
        splits_config: `{"analyze": ["train"], "transform": ["train", "eval"]}`.
        force_tf_compat_v1: trace in TF1 graph mode (default False: TF2 tracing).
        custom_config: passed as `preprocessing_fn(inputs, custom_config=...)` when accepted.
        disable_analyzer_cache: neither read nor write the analyzer cache.

    Errors raised inside `preprocessing_fn` name the user's file and line. Beam options come
    from the runner's `beam_pipeline_args` (DirectRunner by default).
    """

    SPEC_CLASS = TransformSpec
    EXECUTOR = "tfxkit.components.transform.executor.Executor"

    def __init__(
        self,
        *,
        examples: Channel,
        schema: Channel,
        module_file: str | None = None,
        preprocessing_fn: str | None = None,
        splits_config: dict[str, list[str]] | None = None,
        analyzer_cache: Channel | None = None,
        force_tf_compat_v1: bool = False,
        custom_config: dict[str, Any] | None = None,
        disable_analyzer_cache: bool = False,
    ) -> None:
        check_one_source("Transform", "preprocessing_fn", module_file, preprocessing_fn)
        check_user_code("Transform", PREPROCESSING_FN, module_file=module_file, dotted_path=preprocessing_fn)
        if isinstance(splits_config, dict):
            unknown = sorted(set(splits_config) - {"analyze", "transform"})
            if unknown:
                raise ComponentArgumentError(
                    f"Transform: splits_config has unknown key(s) {', '.join(map(repr, unknown))}; "
                    f"expected {{'analyze': ['train'], 'transform': ['train', 'eval']}} (TFX's "
                    f"SplitsConfig).")
            for key, splits in splits_config.items():
                for index, split in enumerate(splits if isinstance(splits, list) else []):
                    check_split_name(split, f"Transform: splits_config[{key!r}][{index}]")
        config = splits_config if isinstance(splits_config, dict) else {}
        check_splits_exist("Transform", "splits_config['analyze']", config.get("analyze"),
                           examples, ["train"])
        check_splits_exist("Transform", "splits_config['transform']", config.get("transform"),
                           examples)
        super().__init__(
            examples=examples, schema=schema, module_file=module_file,
            preprocessing_fn=preprocessing_fn, splits_config=splits_config,
            analyzer_cache=analyzer_cache, force_tf_compat_v1=force_tf_compat_v1,
            custom_config=custom_config, disable_analyzer_cache=disable_analyzer_cache,
        )

    def known_split_names(self, output_key: str) -> list[str] | None:
        """Splits of `transformed_examples`: splits_config['transform'], else every split of
        the input examples when their producer knows them."""
        if output_key != "transformed_examples":
            return None
        config = self.exec_properties.get("splits_config")
        if isinstance(config, dict) and config.get("transform"):
            return list(config["transform"])
        channel = self.inputs.get("examples")
        producer = getattr(channel, "producer", None)
        return producer.known_split_names(channel.output_key) if producer and channel else None
