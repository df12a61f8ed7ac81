"""Long-lived worker processes that execute nodes for the local runner.

Workers are forked from the runner once a node must actually run, after the pipeline is built,
so they inherit it (and the user's modules) and pay the TensorFlow import once each rather than
once per node. A worker runs one node at a time; if user code crashes the process (segfault,
`os._exit`) or overruns its timeout, only that node fails and the worker is replaced.
"""

from __future__ import annotations

import contextlib
import dataclasses
import faulthandler
import multiprocessing
import os
import re
import signal
import sys
import time
import traceback
import types
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

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


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the runner dies, so a killed run leaves no
    worker writing into its staging directory."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


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


def _leave_to_runner(signal_number: int, frame: Any) -> None:
    """SIGINT/SIGTERM in a worker: ignored, the runner decides (it records the node CANCELED
    and stops this worker). A Python handler, not SIG_IGN: dispositions set to SIG_IGN survive
    exec, and would make the processes user code starts (Beam workers, ...) unkillable."""


# What the standard executors import (by executor path), in the order they do. While earlier
# nodes run, an idle worker imports these for the heavy nodes that come next (see
# `preimport_modules` and `WorkerPool.preimport`), so the 8-14 s import of TensorFlow, TFDV,
# TFT, TFMA and Beam overlaps other work instead of lengthening the critical path.
PREIMPORTS: dict[str, tuple[str, ...]] = {
    "tfxkit.components.statistics_gen.executor.Executor":
        ("tensorflow", "tensorflow_data_validation"),
    "tfxkit.components.transform.executor.Executor":
        ("tensorflow", "tensorflow_transform", "tensorflow_transform.beam"),
    "tfxkit.components.trainer.executor.Executor": ("tensorflow", "tf_keras"),
    "tfxkit.components.evaluator.executor.Executor": ("tensorflow", "tensorflow_model_analysis"),
    "tfxkit.components.bulk_inferrer.executor.Executor": ("tensorflow",),
}
PREIMPORT_ENV = "TFXKIT_PREIMPORT"  # "0": off, "1": always; unset: when a core is idle


def preimport_enabled() -> bool:
    """TFXKIT_PREIMPORT=1: pre-import; =0: never; unset: only while a CPU core is idle (1-minute
    load average + the node running now <= cores). On a saturated machine importing ahead only
    competes with the running node for CPU: measured on 2 busy cores it saved nothing."""
    setting = os.environ.get(PREIMPORT_ENV, "")
    if setting in ("0", "1"):
        return setting == "1"
    try:
        load = os.getloadavg()[0]
    except OSError:
        return True
    return load + 1 <= (os.cpu_count() or 1)


def node_modules(node: Any) -> tuple[str, ...]:
    """The heavy modules `node`'s executor imports: its class's `PREIMPORTS` attribute (a
    custom component may declare one), else the PREIMPORTS entry of its executor; () for other
    executors and for nodes with `with_env` variables (they may change how those libraries
    load)."""
    if node.node_config.env:
        return ()
    declared = getattr(type(node), "PREIMPORTS", None)
    if declared is not None:
        return tuple(declared)
    return PREIMPORTS.get(str(getattr(type(node), "EXECUTOR", "")), ())


def preimport_modules(pipeline: Pipeline, pending: list[Any], running: set[str]
                      ) -> tuple[str, ...]:
    """Heavy modules worth importing now: those of pending nodes downstream of a running node
    (their inputs will be new artifacts, so they cannot be cache hits and will run), in the
    order the nodes come. Empty when nothing runs (a fully cached run imports nothing heavy)
    or when `preimport_enabled()` says no."""
    if not running or not preimport_enabled():
        return ()
    will_run = set(running)
    for node in pipeline.components:  # topological order
        if any(up.id in will_run for up in node.upstream):
            will_run.add(node.id)
    names: dict[str, None] = {}
    for node in pending:
        if node.id in will_run:
            names.update(dict.fromkeys(node_modules(node)))
    return tuple(names)


@dataclasses.dataclass
class Preimport:
    """Message to an idle worker: import `modules` (stopping early when a task arrives)."""

    modules: tuple[str, ...]


@dataclasses.dataclass
class Preimported:
    """A worker's reply to Preimport: the modules it imported."""

    modules: tuple[str, ...]


def _preimport(conn: Connection, modules: tuple[str, ...]) -> Preimported:
    """Import `modules` one by one until a message (a task) is waiting; output goes to
    /dev/null (library import chatter would otherwise reach the run's console). A module that
    fails to import ends the list: the executor that needs it reports the error."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # as the executors do before importing TF
    import importlib

    done: list[str] = []
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 1)
        os.dup2(null.fileno(), 2)
        try:
            for name in modules:
                if conn.poll():
                    break
                try:
                    importlib.import_module(name)
                except Exception:
                    break
                done.append(name)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
    return Preimported(tuple(done))


def _worker_main(pipeline: Pipeline, conn: Connection) -> None:
    _die_with_parent()
    # Ctrl-C reaches the whole process group and systemd signals the whole cgroup: the runner
    # alone handles them, so a stop is recorded CANCELED rather than as a worker crash.
    signal.signal(signal.SIGINT, _leave_to_runner)
    signal.signal(signal.SIGTERM, _leave_to_runner)
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        if isinstance(task, Preimport):
            conn.send(_preimport(conn, task.modules))
            continue
        conn.send(execute_logged(pipeline, task))


@dataclasses.dataclass
class _Worker:
    process: Any
    conn: Connection
    task: Task | None = None
    deadline: float | None = None
    preloaded: set[str] = dataclasses.field(default_factory=set)  # asked to import (or did)
    warming: bool = False  # a Preimport is in progress
    asked: tuple[str, ...] = ()  # the modules of the latest Preimport


# Forking a process that runs these libraries' native threads can deadlock the child (a lock
# held by a thread that does not exist there). The CLI's runner process never imports them;
# a notebook or test process that already did gets fresh interpreters instead.
# (grpc is not listed: ml-metadata imports it but opens no channel, so no gRPC threads run.)
FORK_UNSAFE_MODULES = ("tensorflow", "pyarrow", "apache_beam", "tensorflow_transform",
                       "tfx_bsl", "torch", "jax")


def default_start_method() -> str:
    """"fork" (fast; workers inherit the pipeline and user modules) when this process has not
    loaded libraries with native threads, else "spawn"."""
    loaded = any(name in sys.modules for name in FORK_UNSAFE_MODULES)
    return "spawn" if loaded or sys.platform != "linux" else "fork"


class WorkerPool:
    """Up to `size` worker processes, started on demand.

    Args:
        pipeline: the pipeline whose nodes the workers execute (inherited through fork, or
            pickled to spawned workers: then its components must be importable by name).
        size: most workers alive at once.
        start_method: "fork" or "spawn" (default: `default_start_method()`).
    """

    def __init__(self, pipeline: Pipeline, size: int, start_method: str | None = None) -> None:
        self.pipeline = pipeline
        self.size = max(1, size)
        self._workers: list[_Worker] = []
        self.start_method = start_method or default_start_method()
        self._context: Any = multiprocessing.get_context(self.start_method)
        # A fresh interpreter imports the script being run (`__main__`) only when the pipeline
        # needs something defined in it; otherwise the script is not run again in the worker.
        self._needs_main = self.start_method != "fork" and bool(check_workers_can_start(
            pipeline, self.start_method))

    @property
    def busy(self) -> int:
        """Number of tasks in flight."""
        return sum(1 for w in self._workers if w.task is not None)

    def has_capacity(self) -> bool:
        """Whether another task can start now."""
        return self.busy < self.size

    def _start_worker(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_worker_main, args=(self.pipeline, child),
                                        daemon=True, name="tfxkit-worker")
        with contextlib.nullcontext() if self._needs_main else _main_not_imported():
            process.start()
        child.close()
        worker = _Worker(process, parent)
        self._workers.append(worker)
        return worker

    def _pick(self, task: Task) -> _Worker | None:
        """The idle worker for `task`: for a heavy task the one holding (or importing) most of
        its modules; for a light one a worker that is not busy importing, if any (else a new
        worker while the pool has room)."""
        idle = [w for w in self._workers if w.task is None]
        if task.modules:
            needed = set(task.modules)
            idle.sort(key=lambda w: (-len(needed & w.preloaded), w.warming))
            return idle[0] if idle else None
        idle.sort(key=lambda w: (w.warming, len(w.preloaded)))
        if idle and idle[0].warming and len(self._workers) < self.size:
            return None
        return idle[0] if idle else None

    def preimport(self, modules: tuple[str, ...]) -> None:
        """Have idle workers (starting new ones while the pool has room) import `modules` in
        the background; a task sent to such a worker runs once its current module is loaded."""
        if not modules:
            return
        wanted = set(modules)
        idle = [w for w in self._workers if w.task is None]
        if any(wanted <= w.preloaded for w in idle):
            return  # one idle worker has them (or is importing them): enough
        worker = next((w for w in idle if not w.warming), None)
        if worker is None:
            if len(self._workers) >= self.size:
                return
            worker = self._start_worker()
        worker.asked = tuple(m for m in modules if m not in worker.preloaded)
        worker.preloaded.update(worker.asked)
        worker.warming = True
        worker.conn.send(Preimport(worker.asked))

    def submit(self, task: Task) -> None:
        """Start `task` on an idle worker (forking one if needed)."""
        worker = self._pick(task)
        if worker is None:
            worker = self._start_worker()
        worker.preloaded.update(task.modules)
        worker.task = task
        worker.deadline = time.monotonic() + task.timeout if task.timeout else None
        worker.conn.send(task)

    def wait(self) -> list[TaskResult]:
        """Block until at least one task finishes (or its worker dies or times out)."""
        while True:
            active = [w for w in self._workers if w.task is not None]
            if not active:
                return []
            watched = [w for w in self._workers if w.task is not None or w.warming]
            deadlines = [w.deadline for w in active if w.deadline is not None]
            timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            ready = wait([w.conn for w in watched] + [w.process.sentinel for w in watched],
                         timeout)
            results = []
            for worker in watched:
                task = worker.task
                if worker.conn in ready:
                    try:
                        message = worker.conn.recv()
                    except (EOFError, OSError):
                        message = None
                    if isinstance(message, Preimported):
                        worker.warming = False
                        worker.preloaded -= (set(worker.asked) - set(message.modules)
                                             - set(task.modules if task else ()))
                        continue  # a task sent meanwhile replies next
                    if message is not None:
                        results.append(message)
                        worker.task = worker.deadline = None
                        continue
                if task is None:  # an idle worker that was importing
                    if worker.process.sentinel in ready or worker.conn in ready:
                        worker.process.join(timeout=5)
                        self._discard(worker)  # died importing: its tasks go elsewhere
                    continue
                if worker.process.sentinel in ready or worker.conn in ready:
                    worker.process.join(timeout=5)
                    results.append(TaskResult(task.task_id, False, died=True,
                                              error=_death_message(worker.process.exitcode)))
                    self._discard(worker)
                elif worker.deadline is not None and time.monotonic() >= worker.deadline:
                    self._kill(worker, dump_stack=True)
                    results.append(TaskResult(
                        task.task_id, False, died=True,
                        error=f"timed out after {task.timeout:g} s and was stopped; raise the "
                              f"component's timeout or make it faster"))
            if results:
                return results

    def _kill(self, worker: _Worker, dump_stack: bool = False) -> None:
        if dump_stack and worker.process.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.process.pid, signal.SIGUSR1)  # faulthandler: where it hung
            worker.process.join(timeout=0.5)
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)
        self._discard(worker)

    def _discard(self, worker: _Worker) -> None:
        worker.conn.close()
        self._workers.remove(worker)

    def close(self, kill: bool = False) -> None:
        """Stop every worker (politely, or with SIGKILL when `kill`)."""
        for worker in list(self._workers):
            if kill or worker.task is not None or worker.warming:  # nothing to finish
                self._kill(worker)
                continue
            with contextlib.suppress(BrokenPipeError, OSError):
                worker.conn.send(None)
            worker.process.join(timeout=10)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            self._discard(worker)


def main_module_references(pipeline: Pipeline) -> list[str]:
    """Names of what the pipeline's nodes use from the script being run (`__main__`):
    components, `@component` functions or executors defined in it, which a spawned worker can
    only get by importing that script."""
    import io
    import pickle

    found: set[str] = set()

    class _Finder(pickle.Pickler):
        def reducer_override(self, obj: Any) -> Any:
            if isinstance(obj, type | types.FunctionType) and obj.__module__ == "__main__":
                found.add(obj.__qualname__)
            return NotImplemented

    with contextlib.suppress(Exception):  # unpicklable: multiprocessing reports that itself
        _Finder(io.BytesIO()).dump(pipeline)
    for node in pipeline.components:
        if str(getattr(type(node), "EXECUTOR", "")).startswith("__main__."):
            found.add(type(node).EXECUTOR.removeprefix("__main__."))
    return sorted(found)


def _main_file() -> str | None:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return path if isinstance(path, str) and os.path.isfile(path) else None


def _has_main_guard(path: str) -> bool:
    """Whether the script at `path` has a top-level `if __name__ == "__main__":` block."""
    import ast

    try:
        with open(path, encoding="utf-8") as source:
            tree = ast.parse(source.read())
    except (OSError, SyntaxError, ValueError):
        return True  # cannot tell: do not refuse
    return any(isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)
               and "__main__" in ast.unparse(node.test) for node in tree.body)


def check_workers_can_start(pipeline: Pipeline, start_method: str) -> list[str]:
    """Before workers are spawned: return what the pipeline uses from `__main__` (see
    `main_module_references`); raise PipelineDefinitionError when that script has no
    `if __name__ == "__main__":` guard, since each worker would then run it (and its
    pipelines) again. Forked workers inherit everything: nothing to check."""
    if start_method == "fork":
        return []
    names = main_module_references(pipeline)
    path = _main_file()
    if not names or path is None or _has_main_guard(path):
        return names
    from tfxkit.errors import PipelineDefinitionError

    loaded = [m for m in FORK_UNSAFE_MODULES if m in sys.modules]
    why = (f"this process loaded {', '.join(loaded)}, which is not safe to fork" if loaded
           else f"start_method={start_method!r}")
    raise PipelineDefinitionError(
        f"Pipeline {pipeline.pipeline_name!r} uses {', '.join(names)}, defined in the script "
        f"you ran ({path}). Worker processes start as fresh interpreters ({why}) and must "
        f"import that script to use them; it has no `if __name__ == \"__main__\":` guard, so "
        f"every worker would run its top-level code (and your pipelines) again. Fix: put the "
        f"code that builds and runs pipelines under `if __name__ == \"__main__\":`, or move "
        f"{names[0]} into a module and import it, or run in this process with "
        f"LocalDagRunner(workers=0).")


@contextlib.contextmanager
def _main_not_imported() -> Iterator[None]:
    """Start a spawned worker without importing the script being run.

    multiprocessing's spawn re-runs `__main__`'s file in the child (as `__mp_main__`) unless
    `__main__.__spec__` names the module `__main__` itself; for the duration of `start()` it
    does, so the worker imports only what unpickling the pipeline needs (tfxkit, the modules
    defining its components) and the user's script never runs twice."""
    import importlib.machinery

    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    had, saved = "__spec__" in main.__dict__, main.__dict__.get("__spec__")
    main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)
    try:
        yield
    finally:
        if had:
            main.__spec__ = saved
        else:
            del main.__spec__


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


def _death_message(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return (f"the worker process running it was killed by {name}"
                f"{' (a crash in native code, e.g. a segfault)' if name == 'SIGSEGV' else ''}")
    return f"the worker process running it exited with code {exitcode} (user code called exit?)"
