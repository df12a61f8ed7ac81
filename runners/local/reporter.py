"""Console progress for local runs: one line per node as it happens, a summary at the end.

A reporter is a set of lifecycle hooks (`before_node_run`, `after_node_run`, `on_node_error`,
`on_run_end`); the runner calls them and anything cross-cutting can hook in the same way.
"""

from __future__ import annotations

import sys
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

    def on_node_error(self, node_id: str, error: str, seconds: float, details: str) -> None:
        """Called when a node failed; `details` is the traceback, if any."""

    def on_node_note(self, node_id: str, note: str) -> None:
        """Called with a one-line fact an executor reported (custom property `note` of an
        output), e.g. why a model was not blessed or where it was pushed."""

    def on_run_end(self, outcomes: dict[str, str], seconds: float, resume_hint: str) -> None:
        """Called once after the run (also when it failed)."""


class ConsoleReporter:
    """Prints node outcomes and timings to a stream (stderr by default)."""

    SYMBOLS = {"ran": "done", "cached": "cached", "failed": "FAILED", "skipped": "skipped",
               "reused": "reused"}

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.width = 20

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def on_run_start(self, pipeline_name: str, run_id: str, nodes: list[str], workers: int,
                     store: str) -> None:
        """Print the run header."""
        self.width = max([len(n) for n in nodes] + [12])
        self._print(f"tfxkit: running pipeline {pipeline_name!r} (run {run_id}): "
                    f"{len(nodes)} node(s), up to {workers} at once; metadata {store}")

    def before_node_run(self, node_id: str) -> None:
        """Print that a node started."""
        self._print(f"  {node_id:<{self.width}}  started")

    def after_node_run(self, node_id: str, outcome: str, seconds: float) -> None:
        """Print a node's outcome and time."""
        self._print(f"  {node_id:<{self.width}}  {self.SYMBOLS.get(outcome, outcome):<8}"
                    f"{seconds:8.2f} s")

    def on_node_error(self, node_id: str, error: str, seconds: float, details: str) -> None:
        """Print a node's failure, with the traceback when there is one."""
        if details:
            self._print(details.rstrip())
        self._print(f"  {node_id:<{self.width}}  FAILED  {seconds:8.2f} s\n"
                    f"      {error}")

    def on_node_note(self, node_id: str, note: str) -> None:
        """Print an executor's note under its node."""
        self._print(f"  {'':<{self.width}}  -> {note}")

    def on_run_end(self, outcomes: dict[str, str], seconds: float, resume_hint: str) -> None:
        """Print the summary (and how to resume after a failure)."""
        counts: dict[str, int] = {}
        for outcome in outcomes.values():
            counts[outcome] = counts.get(outcome, 0) + 1
        order = ("ran", "cached", "reused", "failed", "skipped")
        parts = [f"{counts[k]} {k}" for k in order if counts.get(k)]
        self._print(f"tfxkit: {', '.join(parts) or 'nothing to do'} in {seconds:.2f} s")
        if resume_hint:
            self._print(resume_hint)


class SilentReporter(ConsoleReporter):
    """A reporter that prints nothing (for embedding and tests)."""

    def _print(self, text: str) -> None:
        return None
