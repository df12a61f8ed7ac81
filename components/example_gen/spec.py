"""`FileBasedExampleGenSpec`: the parameters every file-based ExampleGen shares."""

from __future__ import annotations

from tfxkit.dsl.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter
from tfxkit.types.standard_artifacts import Examples


class FileBasedExampleGenSpec(ComponentSpec):
    """input_base (folder), input_config / output_config (TFX split-config dicts) -> examples."""

    PARAMETERS = {
        "input_base": ExecutionParameter(
            type=str, description="folder holding the input files"),
        "input_config": ExecutionParameter(
            type=dict, optional=True, proto="tfx.proto.example_gen_pb2.Input",
            description="input splits: {'splits': [{'name': ..., 'pattern': 'glob'}]}"),
        "output_config": ExecutionParameter(
            type=dict, optional=True, proto="tfx.proto.example_gen_pb2.Output",
            description="output splits: {'split_config': {'splits': [{'name': ..., "
                        "'hash_buckets': n}], 'partition_feature_name': ...}}"),
        "follow_symlinks": ExecutionParameter(
            type=bool, optional=True,
            description="read input files whose real path (symlinks resolved) is outside "
                        "input_base; their real paths are recorded on the Examples artifact"),
    }
    INPUTS = {}
    OUTPUTS = {
        "examples": ChannelParameter(type=Examples, description="split, gzipped tf.Examples"),
    }
