"""`DagRunner`: the one interface every runner shares.

`run()` checks the pipeline and times the work; subclasses implement `_run()` — the local runner
executes nodes, the Kubeflow runner compiles a spec and executes nothing.
"""

from __future__ import annotations

import abc
import time
from typing import Any

from tfxkit.dsl.pipeline import Pipeline
from tfxkit.errors import PipelineDefinitionError


class DagRunner(abc.ABC):
    """Base class of runners: `run(pipeline, **options)` is the whole public contract."""

    def run(self, pipeline: Pipeline, **options: Any) -> Any:
        """Run (or compile) `pipeline`; options are runner-specific. Returns the runner's result.

        Raises:
            PipelineDefinitionError: when `pipeline` is not a Pipeline.
        """
        if not isinstance(pipeline, Pipeline):
            raise PipelineDefinitionError(
                f"{type(self).__name__}.run expects a tfxkit Pipeline, found "
                f"{type(pipeline).__name__}. Build one with Pipeline(pipeline_name=..., "
                f"pipeline_root=..., components=[...])."
            )
        started = time.perf_counter()
        result = self._run(pipeline, **options)
        self.last_run_seconds = time.perf_counter() - started
        return result

    @abc.abstractmethod
    def _run(self, pipeline: Pipeline, **options: Any) -> Any:
        """Do the runner's work for a checked pipeline."""
