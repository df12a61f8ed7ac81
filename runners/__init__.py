"""Runners (installed as `tfxkit.runners`): one `DagRunner.run()` interface; the local runner
executes a pipeline, the Kubeflow runner compiles it."""

from tfxkit.runners.base import DagRunner
from tfxkit.runners.kubeflow import KubeflowDagRunner, KubeflowDagRunnerConfig
from tfxkit.runners.local import LocalDagRunner, RunResult

__all__ = ["DagRunner", "KubeflowDagRunner", "KubeflowDagRunnerConfig", "LocalDagRunner",
           "RunResult"]
