"""Console progress for local runs: one line per node as it happens, then one block per failure
and the summary.

On a terminal, running nodes are a live view (with `rich`): each with its elapsed time, the
latest line of its log (Keras epoch metrics and loss included) and the log's path; finished
nodes scroll above it. Elsewhere (CI, `| tee`) the same facts come as plain lines: a node's
`started` line names its log, and a `running` line with the elapsed time and the latest log
line follows every `heartbeat` seconds while it runs. Outcomes use one vocabulary everywhere
(`ran`, `cached`, `failed`, `skipped`, `reused`: the words of `tfxkit runs` and `tfxkit
report`), and the summary names the `tfxkit report` command that shows the run.

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
import threading
import time
from pathlib import Path
from typing import IO, Any, Protocol


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
    has_traceback: bool = True  # False: an expected error whose message says it all


# `... failed: ValueError: msg (at /path/file.py:18 in train)`: the runner's user-frame suffix.
_WHERE = re.compile(r"\s*\(at (?P<file>[^()\n]+?):(?P<line>\d+) in (?P<name>[^()\s]+)\)\s*$")
_PREFIX = re.compile(r"^component (?P<node>\S+) \((?P<type>[^()]+)\) failed: ")
_ERROR_NAME = re.compile(r"(\w+): ")
# the command may span lines (a quoted -p value holding a newline): up to the runner's last line
_RESUME = re.compile(r"resume with:[ \t]*\n[ \t]*(?P<command>[\s\S]+?)\n\s*\(completed nodes|"
                     r"resume with:\s*\n\s*(?P<line>.+)")


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


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_LINE_BREAKS = re.compile(r"[\r\n\x08]+")


# Library chatter that says nothing about a node's progress (skipped as its latest line):
# the warnings module's two lines, TF's C++ log lines (`W0000 00:00:...`, `2026-...: I
# tensorflow/...`), absl / TF / Beam Python log records, and a few known one-off notices.
_NOISE = re.compile("|".join((
    r"^\S*:\d+: [A-Z]\w*(?:Warning|Deprecation)\b",      # path.py:12: FutureWarning: ...
    r"^warnings\.warn\(",                                   # its source line
    r"^[IWEF]\d{4} \d\d:\d\d:[\d.]+\s+\d+ \S+:\d+\]",  # absl/glog C++ prefix
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[.\d]*: [IWEF] \S+",  # TF C++ log prefix
    r"^[IWEF] (?:tensorflow|external|xla)/",
    r"^(?:DEBUG|INFO|WARNING|ERROR):(?:absl|tensorflow|apache_beam|root:Make sure)",
    r"^Instructions for updating:",
    r"Couldn't find python-snappy",
    r"Local rendezvous is (?:aborting|recv)",
    r"^To enable the following instructions: ",
    r"oneDNN custom operations are on",
)))
LATEST_WIDTH = 160  # characters of a log line a plain `running` line shows


def is_library_noise(line: str) -> bool:
    """True for a log line that is TF / absl / Beam / warnings-module chatter rather than the
    node's own progress (see `_NOISE`)."""
    return bool(_NOISE.search(line))


def shorten(text: str, width: int) -> str:
    """`text` cut to at most `width` characters at a word boundary, with an ellipsis when cut
    (a single word longer than the width is cut inside it)."""
    if len(text) <= width:
        return text
    cut = text[:width - 1]
    space = cut.rfind(" ")
    if space > width // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def latest_log_line(log_file: str | None, tail_bytes: int = 8192) -> str:
    """The last meaningful line of `log_file` (progress bars' carriage returns and backspaces
    count as line ends, colour codes are dropped, library chatter such as warnings and TF's
    C++ log lines is skipped: `is_library_noise`), or "" when there is none yet."""
    if not log_file:
        return ""
    try:
        with open(log_file, "rb") as log:
            log.seek(0, os.SEEK_END)
            size = log.tell()
            log.seek(max(0, size - tail_bytes))
            text = log.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [" ".join(line.split()) for line in _LINE_BREAKS.split(_ANSI.sub("", text))]
    return next((line for line in reversed(lines) if line and not is_library_noise(line)), "")


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

    def __init__(self, stream: IO[str] | None = None, verbose: bool = False,
                 live: bool | None = None, report_command: str | None = None,
                 heartbeat: float = 30.0) -> None:
        """Args:
            stream: where to print (default stderr).
            verbose: also print each failed node's traceback (and log tail) when it fails.
            live: draw running nodes as a live view (default: when `stream` is a terminal,
                `rich` is installed and not `verbose`); otherwise plain lines.
            report_command: the command the summary names to see the run (default
                `tfxkit report latest --metadata <store>`).
            heartbeat: seconds between the plain `running` lines of a node still running.
        """
        self.stream = stream or sys.stderr
        self.verbose = verbose
        self.width = 20
        self.failures: list[NodeFailure] = []
        self.report_command = report_command
        self.heartbeat = heartbeat
        # -v streams executors' output to the terminal: plain lines then, not a redrawn view.
        self.live = (_is_terminal(self.stream) and not verbose) if live is None else live
        self.running: dict[str, tuple[float, str | None]] = {}  # node -> (start, log file)
        self._log_files: dict[str, str] = {}
        self._lock = threading.RLock()  # _print holds it while rich redraws the view
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._view: Any = None  # rich.live.Live while a run is shown live
        self._store = ""

    def _print(self, text: str) -> None:
        with self._lock:
            if self._view is not None:
                from rich.text import Text

                self._view.refresh()  # finished nodes leave the view before their line prints
                self._view.console.print(Text(text), soft_wrap=True)
            else:
                print(text, file=self.stream, flush=True)

    def on_run_start(self, pipeline_name: str, run_id: str, nodes: list[str], workers: int,
                     store: str) -> None:
        """Print the run header; start the live view (terminal) or the heartbeat (plain)."""
        self.width = max([len(n) for n in nodes] + [12])
        self.failures = []
        self._store = store
        self.running.clear()
        self._print(f"tfxkit: running pipeline {pipeline_name!r} (run {run_id}): "
                    f"{len(nodes)} node(s), up to {workers} at once; metadata {store}")
        self._stop.clear()
        if self.live:
            self._start_view()
        if self._view is None and self.heartbeat > 0:
            self._ticker = threading.Thread(target=self._beat, name="tfxkit-progress",
                                            daemon=True)
            self._ticker.start()

    def on_node_log(self, node_id: str, log_file: str) -> None:
        """Note where a node about to start writes its output (called before
        `before_node_run`)."""
        self._log_files[node_id] = log_file

    def before_node_run(self, node_id: str) -> None:
        """Print that a node started, and where its log is."""
        log_file = self._log_files.pop(node_id, None)
        with self._lock:
            self.running[node_id] = (time.monotonic(), log_file)
        if self._view is None:
            self._print(f"  {node_id:<{self.width}}  started")

    def after_node_run(self, node_id: str, outcome: str, seconds: float) -> None:
        """Print a node's outcome and time."""
        with self._lock:
            self.running.pop(node_id, None)
        self._print(f"  {node_id:<{self.width}}  {outcome:<8}{seconds:8.2f} s")

    # -- live view and heartbeat -------------------------------------------------------------
    def _start_view(self) -> None:
        try:
            from rich.console import Console
            from rich.live import Live
        except ImportError:  # plain lines then
            return
        console = Console(file=self.stream, highlight=False)
        self._view = Live(console=console, refresh_per_second=4, transient=True,
                          get_renderable=self._running_table)  # in-process prints go above
        self._view.start()

    def _running_table(self) -> Any:
        from rich.table import Table

        table = Table(box=None, show_header=False, padding=(0, 1), expand=False)
        table.add_column("node", no_wrap=True)
        table.add_column("elapsed", justify="right", no_wrap=True)
        table.add_column("latest", overflow="ellipsis", no_wrap=True, max_width=90)
        now = time.monotonic()
        with self._lock:
            running = list(self.running.items())
        for node_id, (start, log_file) in running:
            latest = latest_log_line(log_file)
            where = f"[dim]log: {_shown(log_file)}[/dim]" if log_file else ""
            table.add_row(f"[bold]{node_id}[/bold]", f"{now - start:7.1f} s",
                          _escape(shorten(latest, 90)) or where)
            if latest and where:
                table.add_row("", "", where)
        return table

    def _beat(self) -> None:
        """Plain mode: every `heartbeat` seconds, a line per node still running."""
        while not self._stop.wait(self.heartbeat):
            now = time.monotonic()
            with self._lock:
                running = list(self.running.items())
            for node_id, (start, log_file) in running:
                latest = latest_log_line(log_file)
                self._print(f"  {node_id:<{self.width}}  running {now - start:6.0f} s"
                            + (f"  [{_shown(log_file)}]" if log_file else "")
                            + (f"  {shorten(latest, LATEST_WIDTH)}" if latest else ""))

    def close(self) -> None:
        """Stop the live view or heartbeat (the runner calls it when a run ends in any way,
        also when it is interrupted); printing continues as plain lines."""
        self._stop_progress()

    def _stop_progress(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
            self._ticker = None
        with self._lock:
            view, self._view = self._view, None
        if view is not None:
            view.stop()

    def on_node_error(self, node_id: str, error: str, seconds: float, details: str,
                      log_file: str | None = None) -> None:
        """Print a node's FAILED line (and, when verbose, its traceback); the failure itself
        is shown once at the end of the run."""
        with self._lock:
            self.running.pop(node_id, None)
        if self.verbose and details:
            self._print(details.rstrip())
        self._print(f"  {node_id:<{self.width}}  {'failed':<8}{seconds:8.2f} s")
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
        self.failures.append(NodeFailure(node_id, error.strip(), where, log_file,
                                         has_traceback=bool(details.strip())))

    def on_node_note(self, node_id: str, note: str) -> None:
        """Print an executor's note under its node."""
        self._print(f"  {'':<{self.width}}  -> {note}")

    def on_run_note(self, note: str) -> None:
        """Print a fact about the whole run (optional hook: the runner calls it when present),
        e.g. that a new store found outputs of an earlier one in the pipeline root."""
        self._print(f"tfxkit: note: {note}")

    def on_run_end(self, outcomes: dict[str, str], seconds: float, resume_hint: str) -> None:
        """Print the summary, one block per failed node, the command that resumes the run and
        the one that shows its report."""
        self._stop_progress()
        counts: dict[str, int] = {}
        for outcome in outcomes.values():
            counts[outcome] = counts.get(outcome, 0) + 1
        order = ("ran", "cached", "reused", "failed", "skipped")
        parts = [f"{counts[k]} {k}" for k in order if counts.get(k)]
        see = f"; see it: {self._report_command()}" if outcomes else ""
        self._print(f"tfxkit: {', '.join(parts) or 'nothing to do'} in {seconds:.2f} s{see}")
        for failure in self.failures:
            self._print(self.failure_block(failure))
        if resume_hint:
            match = _RESUME.search(resume_hint)
            command = match and (match["command"] or match["line"])
            self._print(f"  fix it, then resume with: {command.strip()}" if command
                        else resume_hint)

    def _report_command(self) -> str:
        if self.report_command:
            return self.report_command
        store = self._store.removeprefix("sqlite:///")
        return f"tfxkit report latest --metadata {_shown(store) if store != self._store else store}"

    def failure_block(self, failure: NodeFailure) -> str:
        """`tfxkit: error: <node's error>` and, below it, where in user code and the log."""
        lines = [f"tfxkit: error: {failure.error}"]
        facts = []
        if failure.where:
            facts.append(f"at {failure.where}")
        if failure.log_file:
            facts.append(f"log: {_shown(failure.log_file)}")
        elif not self.verbose and failure.has_traceback:
            facts.append("run with -v for the traceback")
        if facts:
            lines.append("  " + "; ".join(facts))
        return "\n".join(lines)


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty() and os.environ.get("TERM", "") != "dumb"
    except (AttributeError, ValueError):
        return False


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


class SilentReporter(ConsoleReporter):
    """A reporter that prints nothing (for embedding and tests)."""

    def __init__(self, stream: IO[str] | None = None, verbose: bool = False) -> None:
        super().__init__(stream, verbose, live=False, heartbeat=0)

    def _print(self, text: str) -> None:
        return None
