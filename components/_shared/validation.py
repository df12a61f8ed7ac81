"""TFDV's schema inference and statistics validation without importing TensorFlow.

`tensorflow_data_validation`'s package `__init__` imports TensorFlow, Beam and pyarrow (about
8-14 s per process), yet `infer_schema`, `update_schema` and `validate_statistics` are thin
wrappers around one C++ extension (`tensorflow_data_validation.pywrap.
tensorflow_data_validation_extension`, linked against nothing but libc/libstdc++) fed with
serialized protos. This module loads that same extension directly and repeats the wrappers'
steps exactly as TFDV 1.16 does them (`tensorflow_data_validation/api/validation_api.py`):
default-slice selection, dropping features without common stats before inference, the legacy
flag, and empty validation options. SchemaGen and ExampleValidator therefore produce the same
bytes as through TFDV (asserted by tests/components/test_no_tf_validation.py) in ~0.2 s.

When TFDV is already imported in this process, its own extension module is used; when it is
imported later, it finds and reuses the one loaded here (a native module is loaded only once).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any

_EXTENSION = "tensorflow_data_validation.pywrap.tensorflow_data_validation_extension"
DEFAULT_SLICE_KEY = "All Examples"  # tensorflow_data_validation.constants.DEFAULT_SLICE_KEY
MAX_STRING_DOMAIN_SIZE = 100  # TFDV's default for infer_schema/update_schema


def _validation_extension() -> Any:
    """TFDV's native `validation` module, loaded without running TFDV's package `__init__`."""
    module = sys.modules.get(_EXTENSION)
    if module is None and "tensorflow_data_validation" in sys.modules:
        module = importlib.import_module(_EXTENSION)
    if module is None:
        package = importlib.util.find_spec("tensorflow_data_validation")
        if package is None or not package.submodule_search_locations:
            raise ImportError("tensorflow-data-validation is not installed; install tfxkit's "
                              "dependencies (pip install tfxkit).")
        folder = os.path.join(next(iter(package.submodule_search_locations)), "pywrap")
        names = [n for n in os.listdir(folder)
                 if n.startswith("tensorflow_data_validation_extension.")
                 and n.endswith((".so", ".pyd"))]
        if not names:
            raise ImportError(f"tensorflow-data-validation's native extension is missing from "
                              f"{folder}; reinstall tensorflow-data-validation.")
        spec = importlib.util.spec_from_file_location(_EXTENSION, os.path.join(folder, names[0]))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[_EXTENSION] = module  # a later `import tensorflow_data_validation` reuses it
    return module.validation


def default_dataset(statistics: Any) -> Any:
    """The DatasetFeatureStatistics TFDV validates: the only dataset, or the default slice
    ("All Examples") of sliced statistics. ValueError otherwise (TFDV's message)."""
    if len(statistics.datasets) == 1:
        return statistics.datasets[0]
    for dataset in statistics.datasets:
        if dataset.name == DEFAULT_SLICE_KEY:
            return dataset
    raise ValueError("Only statistics proto with one dataset or the default slice (i.e., "
                     "\"All Examples\" slice) is currently supported.")


def infer_schema(statistics: Any, infer_feature_shape: bool = True,
                 max_string_domain_size: int = MAX_STRING_DOMAIN_SIZE) -> Any:
    """`tfdv.infer_schema(statistics, infer_feature_shape, max_string_domain_size)`: a Schema
    proto inferred from a DatasetFeatureStatisticsList (its input is not modified)."""
    from tensorflow_metadata.proto.v0 import schema_pb2, statistics_pb2

    dataset = statistics_pb2.DatasetFeatureStatistics()
    dataset.CopyFrom(default_dataset(statistics))
    # composite features (sparse, weighted) have no common stats: TFDV drops them first
    kept = [f for f in dataset.features if f.HasField("num_stats") or f.HasField("string_stats")
            or f.HasField("bytes_stats") or f.HasField("struct_stats")]
    del dataset.features[:]
    dataset.features.extend(kept)
    serialized = _validation_extension().InferSchema(
        dataset.SerializeToString(), max_string_domain_size, infer_feature_shape)
    schema = schema_pb2.Schema.FromString(serialized)
    if getattr(schema, "generate_legacy_feature_spec", None) is not None:
        schema.generate_legacy_feature_spec = False
    return schema


def update_schema(schema: Any, statistics: Any,
                  max_string_domain_size: int = MAX_STRING_DOMAIN_SIZE) -> Any:
    """`tfdv.update_schema(schema, statistics)`: `schema` widened to accept `statistics`."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    serialized = _validation_extension().UpdateSchema(
        schema.SerializeToString(), default_dataset(statistics).SerializeToString(),
        max_string_domain_size)
    return schema_pb2.Schema.FromString(serialized)


def validate_statistics(statistics: Any, schema: Any, previous_statistics: Any = None) -> Any:
    """`tfdv.validate_statistics(statistics, schema, previous_statistics=...)`: the Anomalies
    proto (drift against `previous_statistics` where the schema has drift comparators)."""
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    previous = (default_dataset(previous_statistics).SerializeToString()
                if previous_statistics is not None else b"")
    serialized = _validation_extension().ValidateFeatureStatistics(
        default_dataset(statistics).SerializeToString(), schema.SerializeToString(),
        b"",  # environment: none
        previous,
        b"",  # serving statistics: none
        b"",  # previous version statistics: none
        b"",  # FeaturesNeededProto(): empty
        b"",  # ValidationConfig(): defaults
        False)  # enable_diff_regions
    return anomalies_pb2.Anomalies.FromString(serialized)


def write_schema_text(schema: Any, path: str) -> None:
    """`tfdv.write_schema_text(schema, path)`: the schema in text format."""
    from google.protobuf import text_format

    with open(path, "w", encoding="utf-8") as f:
        f.write(text_format.MessageToString(schema))
