"""`BaseExecutor`: the work of a component, as plain data in and artifacts out.

An executor knows nothing of runners: the local runner and the Kubeflow container entrypoint both
construct it with a `Context` and call `Do(input_dict, output_dict, exec_properties)`. Outputs go
under each output artifact's `uri` (a staging directory the runner publishes on success).
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Any

from tfxkit.types.artifact import Artifact


@dataclasses.dataclass
class ExecutorContext:
    """What a runner tells an executor about where it runs.

    Args:
        beam_pipeline_args: Beam options for data-heavy steps (e.g. `--runner=DataflowRunner`).
        tmp_dir: scratch directory private to this execution, removed afterwards.
        pipeline_name: name of the pipeline being run.
        pipeline_root: root directory of the pipeline's artifacts.
        node_id: id of the component being executed.
        run_id: id of the pipeline run.
    """

    beam_pipeline_args: list[str] = dataclasses.field(default_factory=list)
    tmp_dir: str = ""
    pipeline_name: str = ""
    pipeline_root: str = ""
    node_id: str = ""
    run_id: str = ""


class BaseExecutor(abc.ABC):
    """Base class of executors. Subclasses implement `Do`.

    Args:
        context: where and how the executor runs; defaults to an empty context (tests).
    """

    Context = ExecutorContext

    def __init__(self, context: ExecutorContext | None = None) -> None:
        self.context = context or ExecutorContext()

    @abc.abstractmethod
    def Do(
        self,
        input_dict: dict[str, list[Artifact]],
        output_dict: dict[str, list[Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        """Read `input_dict` artifacts, write files under each `output_dict` artifact's uri and
        set its properties. Raise to fail the execution; nothing is published then."""
