"""Stopping a local run cleanly on SIGTERM and SIGINT.

CI systems, `timeout`, systemd and Kubernetes stop a job with SIGTERM, whose default action ends
the process at once: the running execution would stay RUNNING in ML Metadata and its staging
folder would stay on disk. While a run is going on, `SignalGuard` turns SIGTERM and SIGINT
(Ctrl-C) into `Stopped`, a KeyboardInterrupt, raised only where the runner waits for workers or
runs a node in its own process; a signal that arrives while the runner records or publishes is
held until that step is done, so a signal never splits a publication. The runner then stops its
workers, records the running executions CANCELED and removes their staging folders.

Handlers are installed only in the main thread (Python delivers signals there) and the
previous ones are restored afterwards. A signal ignored when the run started (e.g. SIGINT for
a background job of a non-interactive shell) stays ignored.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType, TracebackType
from typing import Any

HANDLED = (signal.SIGTERM, signal.SIGINT)


class Stopped(KeyboardInterrupt):
    """Raised in the runner's main thread when SIGTERM or SIGINT asks the run to stop."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal_name(signal_number))
        self.signal_number = signal_number


def signal_name(signal_number: int) -> str:
    """`SIGTERM`, `SIGINT`, ... for a signal number."""
    try:
        return signal.Signals(signal_number).name
    except ValueError:
        return f"signal {signal_number}"


class SignalGuard:
    """Context manager: while active, SIGTERM and SIGINT raise `Stopped` inside
    `interruptible()` blocks and are held (raised by `check()` or at the end of the next
    `interruptible()` entry) everywhere else.

    Attributes:
        received: the first signal received, or None.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self._pending: int | None = None
        self._open = 0
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> SignalGuard:
        if threading.current_thread() is not threading.main_thread():
            return self
        for number in HANDLED:
            previous = signal.getsignal(number)
            if previous is signal.SIG_IGN:
                continue
            self._previous[number] = previous
            signal.signal(number, self._handle)
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        for number, previous in self._previous.items():
            signal.signal(number, previous if previous is not None else signal.SIG_DFL)
        self._previous.clear()

    def _handle(self, number: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = number
        if self._open:
            self._open = 0
            raise Stopped(number)
        self._pending = self._pending or number

    def check(self) -> None:
        """Raise `Stopped` if a signal arrived while the runner could not be interrupted."""
        if self._pending is not None:
            number, self._pending = self._pending, None
            raise Stopped(number)

    @contextlib.contextmanager
    def interruptible(self) -> Iterator[None]:
        """A block a signal may interrupt at once (waiting for workers, an in-process node)."""
        self.check()
        self._open += 1
        try:
            yield
        finally:
            self._open = max(0, self._open - 1)

    def pause(self, seconds: float) -> None:
        """Sleep `seconds`, interruptible (e.g. between two attempts of a store call waiting
        for a locked database: nothing is half-done there)."""
        with self.interruptible():
            time.sleep(seconds)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """A block no signal interrupts (cleanup after a stop): signals are only noted."""
        saved, self._open = self._open, 0
        try:
            yield
        finally:
            self._open = saved
