"""Console progress for local runs: one line per node as it happens, then one block per failure
and the summary.

A reporter is a set of lifecycle hooks (`before_node_run`, `after_node_run`, `on_node_error`,
`on_run_end`); the runner calls them and anything cross-cutting can hook in the same way.

A failure is shown once, after the progress lines: the node, the exception type and message,
where in the user's code it happened, the node's log file, and the command that resumes the
run. The traceback and the executor's output are in the log file; `verbose` prints the
traceback too (the CLI's `-v`, which also streams executor output instead of logging it).
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from pathlib import Path
from typing import IO, Protocol


class RunHooks(Protocol):
    """Lifecycle hooks the local runner calls."""

    def on_run_start(self, pipeline_name: str, run_id: str, nodes: list[str], workers: int,
                     store: str) -> None:
        """Called once before any node runs."""

    def before_node_run(self, node_id: str) -> None:
        """Called when a node is dispatched to a worker."""

    def after_node_run(self, node_id: str, outcome: str, seconds: float) -> None:
        """Called when a node ran, hit the cache or was skipped."""

    def on_node_error(self, node_id: str, error: str, seconds: float, details: str,
                      log_file: str | None = None) -> None:
        """Called when a node failed; `details` is the traceback (after the log's last lines
        when output went to a log), `log_file` the node's log file when there is one."""

    def on_node_note(self, node_id: str, note: str) -> None:
        """Called with a one-line fact an executor reported (custom property `note` of an
        output), e.g. why a model was not blessed or where it was pushed."""

    def on_run_end(self, outcomes: dict[str, str], seconds: float, resume_hint: str) -> None:
        """Called once after the run (also when it failed)."""


@dataclasses.dataclass
class NodeFailure:
    """A failed node as the reporter shows it."""

    node_id: str
    error: str
    where: str
    log_file: str | None


# `... failed: ValueError: msg (at /path/file.py:18 in train)`: the runner's user-frame suffix.
_WHERE = re.compile(r"\s*\(at (?P<file>[^()\n]+?):(?P<line>\d+) in (?P<name>[^()\s]+)\)\s*$")
_PREFIX = re.compile(r"^component (?P<node>\S+) \((?P<type>[^()]+)\) failed: ")
_ERROR_NAME = re.compile(r"(\w+): ")
_RESUME = re.compile(r"resume with:\s*\n\s*(?P<command>.+)")


def _tfxkit_error_names() -> set[str]:
    """Names of tfxkit's own error classes: their messages are written to be read alone, so
    the class name is left out (a user's ValueError keeps its name)."""
    from tfxkit.errors import TfxkitError

    names, todo = set(), [TfxkitError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def _shown(path: str) -> str:
    """`path` relative to the working directory when below it (shorter), else as it is."""
    try:
        return os.path.relpath(path) if Path(path).absolute().is_relative_to(Path.cwd()) else path
    except ValueError:
        return path


class ConsoleReporter:
    """Prints node outcomes and timings to a stream (stderr by default), then one block per
    failed node and the summary.

    Args:
        stream: where to print (default stderr).
        verbose: also print each failed node's traceback (and log tail) when it fails.
    """

    SYMBOLS = {"ran": "done", "cached": "cached", "failed": "FAILED", "skipped": "skipped",
               "reused": "reused"}

    def __init__(self, stream: IO[str] | None = None, verbose: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.verbose = verbose
        self.width = 20
        self.failures: list[NodeFailure] = []

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def on_run_start(self, pipeline_name: str, run_id: str, nodes: list[str], workers: int,
                     store: str) -> None:
        """Print the run header."""
        self.width = max([len(n) for n in nodes] + [12])
        self.failures = []
        self._print(f"tfxkit: running pipeline {pipeline_name!r} (run {run_id}): "
                    f"{len(nodes)} node(s), up to {workers} at once; metadata {store}")

    def before_node_run(self, node_id: str) -> None:
        """Print that a node started."""
        self._print(f"  {node_id:<{self.width}}  started")

    def after_node_run(self, node_id: str, outcome: str, seconds: float) -> None:
        """Print a node's outcome and time."""
        self._print(f"  {node_id:<{self.width}}  {self.SYMBOLS.get(outcome, outcome):<8}"
                    f"{seconds:8.2f} s")

    def on_node_error(self, node_id: str, error: str, seconds: float, details: str,
                      log_file: str | None = None) -> None:
        """Print a node's FAILED line (and, when verbose, its traceback); the failure itself
        is shown once at the end of the run."""
        if self.verbose and details:
            self._print(details.rstrip())
        self._print(f"  {node_id:<{self.width}}  {'FAILED':<8}{seconds:8.2f} s")
        match = _WHERE.search(error)
        where = ""
        if match:
            error = error[:match.start()]
            where = f"{_shown(match['file'])}:{match['line']} in {match['name']}"
        prefix = _PREFIX.match(error)
        if prefix:  # `component train (train) failed: ...` -> `train failed: ...`
            kind = "" if prefix["type"] == prefix["node"] else f" ({prefix['type']})"
            cause = error[prefix.end():]
            name = _ERROR_NAME.match(cause)
            if name and name[1] in _tfxkit_error_names():  # its message says it all
                cause = cause[name.end():]
            error = f"{prefix['node']}{kind} failed: {cause}"
        self.failures.append(NodeFailure(node_id, error.strip(), where, log_file))

    def on_node_note(self, node_id: str, note: str) -> None:
        """Print an executor's note under its node."""
        self._print(f"  {'':<{self.width}}  -> {note}")

    def on_run_note(self, note: str) -> None:
        """Print a fact about the whole run (optional hook: the runner calls it when present),
        e.g. that a new store found outputs of an earlier one in the pipeline root."""
        self._print(f"tfxkit: note: {note}")

    def on_run_end(self, outcomes: dict[str, str], seconds: float, resume_hint: str) -> None:
        """Print the summary, one block per failed node and the command that resumes the run."""
        counts: dict[str, int] = {}
        for outcome in outcomes.values():
            counts[outcome] = counts.get(outcome, 0) + 1
        order = ("ran", "cached", "reused", "failed", "skipped")
        parts = [f"{counts[k]} {k}" for k in order if counts.get(k)]
        self._print(f"tfxkit: {', '.join(parts) or 'nothing to do'} in {seconds:.2f} s")
        for failure in self.failures:
            self._print(self.failure_block(failure))
        if resume_hint:
            match = _RESUME.search(resume_hint)
            self._print(f"  fix it, then resume with: {match['command'].strip()}" if match
                        else resume_hint)

    def failure_block(self, failure: NodeFailure) -> str:
        """`tfxkit: error: <node's error>` and, below it, where in user code and the log."""
        lines = [f"tfxkit: error: {failure.error}"]
        facts = []
        if failure.where:
            facts.append(f"at {failure.where}")
        if failure.log_file:
            facts.append(f"log: {_shown(failure.log_file)}")
        elif not self.verbose:
            facts.append("run with -v for the traceback")
        if facts:
            lines.append("  " + "; ".join(facts))
        return "\n".join(lines)


class SilentReporter(ConsoleReporter):
    """A reporter that prints nothing (for embedding and tests)."""

    def _print(self, text: str) -> None:
        return None
