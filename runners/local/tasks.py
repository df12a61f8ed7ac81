"""A node execution as it crosses into a worker process (`Task`, `TaskResult`), and running
it there: the node's `with_env` set, output sent to its log, and where user code failed or
crashed named in the result.
"""

from __future__ import annotations

import contextlib
import dataclasses
import faulthandler
import os
import re
import signal
import sys
import traceback
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tfxkit.components._shared.phases import imports_timed, phase_clock
from tfxkit.dsl.base_executor import ExecutorContext
from tfxkit.dsl.user_code import is_user_file, user_frame
from tfxkit.errors import TfxkitError, disk_full_error, is_disk_full
from tfxkit.types.artifact import Artifact

if TYPE_CHECKING:
    from tfxkit.dsl.pipeline import Pipeline


@dataclasses.dataclass
class Task:
    """One node execution: artifacts as plain dicts so they cross the process boundary."""

    task_id: int
    node_id: str
    inputs: dict[str, list[dict[str, Any]]]
    outputs: dict[str, list[dict[str, Any]]]
    exec_properties: dict[str, Any]
    context: ExecutorContext
    timeout: float | None = None
    log_file: str | None = None
    env: dict[str, str] = dataclasses.field(default_factory=dict)  # the node's with_env
    modules: tuple[str, ...] = ()  # heavy modules its executor imports (see PREIMPORTS)
    submitted_at: float = 0.0  # time.time() when handed to a worker (WorkerPool.submit)
    waited: float = 0.0  # seconds it then waited for that worker to finish importing ahead


@dataclasses.dataclass
class TaskResult:
    """Outcome of a Task: output artifacts (with properties the executor set) or an error."""

    task_id: int
    ok: bool
    outputs: dict[str, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)
    error: str = ""
    details: str = ""
    died: bool = False  # the worker process ended (crash, os._exit, timeout kill)
    damaged_input: bool = False  # the executor read damaged data (a typed read error)
    phases: dict[str, float] = dataclasses.field(default_factory=dict)  # see _shared/phases.py


def _is_user_code(path: str) -> bool:
    """Whether `path` is the user's code rather than tfxkit, Python or an installed library
    (the one rule of `tfxkit.dsl.user_code`, shared with the executors and the cache)."""
    return is_user_file(path)


def _user_frame(exc: BaseException) -> str:
    """Where user code failed in `exc` (`file:line in function`); else the innermost frame."""
    location = user_frame(exc)
    if location is not None:
        return f"{location[0]}:{location[1]} in {location[2]}"
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else ""


@contextlib.contextmanager
def node_environment(env: dict[str, str]) -> Iterator[None]:
    """Set a node's `with_env` variables while its executor runs (as its Kubeflow container
    would have them), then restore the process environment."""
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def execute(pipeline: Pipeline, task: Task) -> TaskResult:
    """Run a task's executor in this process, with the node's `with_env` variables set, and
    report the outcome (never raises)."""
    with node_environment(task.env):
        return _execute(pipeline, task)


def _execute(pipeline: Pipeline, task: Task) -> TaskResult:
    with phase_clock() as clock, imports_timed(clock):
        clock.seconds["import"] += task.waited  # its worker was still importing ahead
        clock.enter("work")  # unless the executor names its phases (enter_phase)
        result = _execute_timed(pipeline, task)
    result.phases = clock.stop()
    return result


def _execute_timed(pipeline: Pipeline, task: Task) -> TaskResult:
    try:
        node = pipeline.node(task.node_id)
        inputs = {k: [Artifact.from_dict(a) for a in v] for k, v in task.inputs.items()}
        outputs = {k: [Artifact.from_dict(a) for a in v] for k, v in task.outputs.items()}
        executor = node.build_executor(task.context)
        executor.Do(inputs, outputs, dict(task.exec_properties))
        return TaskResult(task.task_id, True,
                          outputs={k: [a.to_dict() for a in v] for k, v in outputs.items()})
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        # tfxkit's own errors already say where (a UserCodeError names the user's file/line)
        where = "" if isinstance(exc, TfxkitError) else _user_frame(exc)
        if isinstance(exc, SystemExit):
            summary = f"user code called exit({exc.code})"
        elif is_disk_full(exc):  # one line naming the device and its free space
            summary = str(disk_full_error(getattr(exc, "filename", None) or task.context.tmp_dir,
                                          f"(writing {task.node_id}'s outputs)"))
        else:
            summary = f"{type(exc).__name__}: {exc}"
        message = f"{summary} (at {where})" if where else summary
        from tfxkit.components._shared.tfrecord import is_damaged_data_error

        return TaskResult(task.task_id, False, error=message, details=traceback.format_exc(),
                          damaged_input=is_damaged_data_error(exc))


def execute_logged(pipeline: Pipeline, task: Task) -> TaskResult:
    """`execute`, with this process's stdout and stderr (Python and native code alike) sent to
    `task.log_file` while it runs, so progress lines stay readable."""
    if not task.log_file:
        return execute(pipeline, task)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(task.log_file, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        if hasattr(sys.stdout, "reconfigure"):  # print() lines reach the log (and the
            sys.stdout.reconfigure(line_buffering=True)  # progress view) as they are printed
        faulthandler.enable(file=log)  # a segfault in user code still tells where it was
        if task.timeout:  # and so does a node stopped at its deadline (see WorkerPool._kill)
            faulthandler.register(signal.SIGUSR1, file=log, all_threads=False)
        try:
            return execute(pipeline, task)
        finally:
            if task.timeout:
                faulthandler.unregister(signal.SIGUSR1)
            faulthandler.disable()
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


_FAULT_FRAME = re.compile(r'File "([^"]+)", line (\d+) in (\S+)')


def crash_location(log_text: str) -> str:
    """From a faulthandler dump in a worker's log (a crash, or a node stopped at its timeout),
    the innermost frame of user code (outside
    tfxkit and installed libraries) as `file:line in function`, or ""."""
    start = max(log_text.rfind("Fatal Python error"), log_text.rfind("Current thread 0x"),
                log_text.rfind("Stack (most recent call first)"))
    dump = log_text[start:] if start >= 0 else ""
    for path, line, function in _FAULT_FRAME.findall(dump):  # most recent call first
        if _is_user_code(path):
            return f"{path}:{line} in {function}"
    return ""


__all__ = ["Task", "TaskResult", "crash_location", "execute", "execute_logged",
           "node_environment"]
