"""The pipeline compiles for Kubeflow Pipelines into a spec the KFP backend accepts, with pushed
models in object storage (a task's own disk is discarded), as `make compile` does it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import json_format
from tfxkit.runners import KubeflowDagRunner, KubeflowDagRunnerConfig

from pipeline.config import PROJECT_ROOT
from pipeline.pipeline import create_pipeline

SERVING = "gs://my-bucket/serving_model"


def compile_spec(tmp_path: Path, **overrides: object) -> tuple[Any, str]:
    """The compiled PipelineSpec proto and the YAML text."""
    from kfp.pipeline_spec import pipeline_spec_pb2

    output = tmp_path / "pipeline.yaml"
    config = KubeflowDagRunnerConfig(image="{{ cookiecutter.kubeflow_image }}",
                                     project_root=str(PROJECT_ROOT),
                                     pipeline_root="gs://my-bucket/root")
    KubeflowDagRunner(config).run(create_pipeline(**overrides), output_file=str(output))
    document = next(yaml.safe_load_all(output.read_text()))
    return json_format.ParseDict(document, pipeline_spec_pb2.PipelineSpec()), output.read_text()


def test_compiles_to_kfp_v2(tmp_path: Path) -> None:
    spec, text = compile_spec(tmp_path, serving_model_dir=SERVING)
    assert spec.schema_version == "2.1.0"
    assert len(spec.root.dag.tasks) == 8
    assert str(PROJECT_ROOT) not in text
    assert spec.default_pipeline_root == "gs://my-bucket/root"
    assert SERVING in text  # the Evaluator's baseline lookup and the Pusher's destination


def test_bulk_inference_compiles_as_a_ninth_task(tmp_path: Path) -> None:
    spec, _ = compile_spec(tmp_path, serving_model_dir=SERVING, bulk_inference=True)
    assert len(spec.root.dag.tasks) == 9
    assert "bulkinferrer" in spec.root.dag.tasks


def test_local_push_destination_is_refused_with_the_fix(tmp_path: Path) -> None:
    from tfxkit.errors import TfxkitError

    with pytest.raises(TfxkitError, match=r"local path .*serving_model_dir=gs://"):
        compile_spec(tmp_path)
