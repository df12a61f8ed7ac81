"""Kubeflow Pipelines: compile a pipeline to KFP v2 YAML, run nodes in containers, deploy."""

from tfxkit.runners.kubeflow.compiler import (
    CompileError,
    KubeflowDagRunner,
    KubeflowDagRunnerConfig,
)

__all__ = ["CompileError", "KubeflowDagRunner", "KubeflowDagRunnerConfig"]
