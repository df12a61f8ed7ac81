"""The pipeline compiles for Kubeflow Pipelines into a spec the KFP backend accepts."""

from __future__ import annotations

from pathlib import Path

import yaml
from google.protobuf import json_format
from tfxkit.runners import KubeflowDagRunner, KubeflowDagRunnerConfig

from pipeline.config import PROJECT_ROOT
from pipeline.pipeline import create_pipeline


def test_compiles_to_kfp_v2(tmp_path: Path) -> None:
    from kfp.pipeline_spec import pipeline_spec_pb2

    output = tmp_path / "pipeline.yaml"
    config = KubeflowDagRunnerConfig(image="{{ cookiecutter.kubeflow_image }}",
                                     project_root=str(PROJECT_ROOT))
    KubeflowDagRunner(config).run(
        create_pipeline(serving_model_dir="gs://my-bucket/serving_model"),
        output_file=str(output))
    document = next(yaml.safe_load_all(output.read_text()))
    spec = json_format.ParseDict(document, pipeline_spec_pb2.PipelineSpec())
    assert spec.schema_version == "2.1.0"
    assert len(spec.root.dag.tasks) == 8
    assert str(PROJECT_ROOT) not in output.read_text()
