"""ExampleStatistics artifacts: their layout, the splits a component reads, loading one split.

TFX's layout: `{uri}/Split-<name>/FeatureStats.pb`, a binary DatasetFeatureStatisticsList
(`tfdv.load_stats_binary` reads it). StatisticsGen writes it; SchemaGen and ExampleValidator
read it through `load_split_statistics`. Protos are imported inside the functions.
"""

from __future__ import annotations

import os
from typing import Any

from tfxkit.errors import DataError
from tfxkit.types.artifact import Artifact

STATS_FILE = "FeatureStats.pb"


def selected_splits(artifact: Artifact, exclude_splits: list[str] | None, what: str) -> list[str]:
    """`artifact.split_names` minus `exclude_splits` (TFX's `exclude_splits`), in order.

    Raises DataError, naming `what` (the component), when the artifact has no split names,
    when an excluded name is not a split of it, or when no split is left.
    """
    names: list[str] = artifact.split_names
    exclude = list(exclude_splits or [])
    unknown = [s for s in exclude if s not in names]
    if not names:
        raise DataError(f"{what}: the input {artifact.TYPE_NAME} artifact at {artifact.uri} has "
                        f"no split_names property. Produce it with an ExampleGen (which sets "
                        f"split_names) or set artifact.split_names.")
    if unknown:
        raise DataError(f"{what} exclude_splits: {unknown} are not splits of the input (it has "
                        f"{names}). Remove them from exclude_splits.")
    chosen = [s for s in names if s not in exclude]
    if not chosen:
        raise DataError(f"{what} exclude_splits={exclude} excludes every split of the input "
                        f"({names}); leave at least one.")
    return chosen


def load_split_statistics(artifact: Artifact | str, split: str) -> Any:
    """DatasetFeatureStatisticsList of one split of an ExampleStatistics artifact (or its uri),
    `{uri}/Split-<split>/FeatureStats.pb`, read as `tfdv.load_stats_binary` reads it, without
    TensorFlow. Raises DataError naming the path when it is missing or not such a proto."""
    from google.protobuf.message import DecodeError
    from tensorflow_metadata.proto.v0 import statistics_pb2

    uri = artifact if isinstance(artifact, str) else artifact.uri
    path = os.path.join(uri, f"Split-{split}", STATS_FILE)
    if not os.path.exists(path):
        names = "" if isinstance(artifact, str) else f" ({artifact.split_names})"
        raise DataError(f"ExampleStatistics split {split!r}: expected {path}, which is missing."
                        f" Re-run StatisticsGen, or check split_names{names}.")
    with open(path, "rb") as f:
        try:
            return statistics_pb2.DatasetFeatureStatisticsList.FromString(f.read())
        except DecodeError as error:
            raise DataError(f"ExampleStatistics at {uri}: {path} is not a serialized "
                            f"DatasetFeatureStatisticsList ({error}). Re-run StatisticsGen."
                            ) from None
