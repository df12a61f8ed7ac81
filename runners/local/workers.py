"""Long-lived worker processes that execute nodes for the local runner.

Workers are forked from the runner once a node must actually run, after the pipeline is built,
so they inherit it (and the user's modules) and pay the TensorFlow import once each rather than
once per node. A worker runs one node at a time; if user code crashes the process (segfault,
`os._exit`) or overruns its timeout, only that node fails and the worker is replaced.

Module map: `tasks.py` (what a worker executes), `preimport.py` (importing ahead),
`start_method.py` (fork or spawn); this module runs the pool of worker processes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import signal
import sys
import time
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from tfxkit.runners.local.preimport import (
    PREIMPORT_ENV,
    PREIMPORTS,
    Preimport,
    Preimported,
    import_in_worker,
    node_modules,
    preimport_enabled,
    preimport_modules,
)
from tfxkit.runners.local.start_method import (
    FORK_UNSAFE_MODULES,
    check_workers_can_start,
    default_start_method,
    main_module_references,
    main_not_imported,
)
from tfxkit.runners.local.tasks import (
    Task,
    TaskResult,
    crash_location,
    execute,
    execute_logged,
    node_environment,
)

if TYPE_CHECKING:
    from tfxkit.dsl.pipeline import Pipeline


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the runner dies, so a killed run leaves no
    worker writing into its staging directory."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _leave_to_runner(signal_number: int, frame: Any) -> None:
    """SIGINT/SIGTERM in a worker: ignored, the runner decides (it records the node CANCELED
    and stops this worker). A Python handler, not SIG_IGN: dispositions set to SIG_IGN survive
    exec, and would make the processes user code starts (Beam workers, ...) unkillable."""



def _worker_main(pipeline: Pipeline, conn: Connection) -> None:
    _die_with_parent()
    # Ctrl-C reaches the whole process group and systemd signals the whole cgroup: the runner
    # alone handles them, so a stop is recorded CANCELED rather than as a worker crash.
    signal.signal(signal.SIGINT, _leave_to_runner)
    signal.signal(signal.SIGTERM, _leave_to_runner)
    imported_until = 0.0  # when the latest import ahead ended
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        if isinstance(task, Preimport):
            conn.send(import_in_worker(conn, task.modules))
            imported_until = time.time()
            continue
        # a task sent while this worker was importing ahead waited for the module in progress
        task.waited = max(0.0, imported_until - task.submitted_at) if task.submitted_at else 0.0
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
        with contextlib.nullcontext() if self._needs_main else main_not_imported():
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
        task.submitted_at = time.time()
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


def _death_message(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return (f"the worker process running it was killed by {name}"
                f"{' (a crash in native code, e.g. a segfault)' if name == 'SIGSEGV' else ''}")
    return f"the worker process running it exited with code {exitcode} (user code called exit?)"


__all__ = ["FORK_UNSAFE_MODULES", "PREIMPORTS", "PREIMPORT_ENV", "Task", "TaskResult",
           "WorkerPool", "check_workers_can_start", "crash_location", "default_start_method",
           "execute", "execute_logged", "main_module_references", "node_environment",
           "node_modules", "preimport_enabled", "preimport_modules"]
