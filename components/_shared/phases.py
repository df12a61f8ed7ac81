"""Where an execution's time goes: `import`, `setup`, `work` and `export` seconds.

The local runner times each node's executor with a `PhaseClock` (`phase_clock()`): `Do` counts
as `work` unless the executor says otherwise with `enter_phase("setup")`,
`enter_phase("export")` and so on, and every import of a module not loaded yet counts as
`import` (`imports_timed`), as does the time a task waited for its worker to finish importing
ahead (see runners/local/preimport.py). Outside
a clock (tests, the Kubeflow entrypoint) `enter_phase` does nothing. The runner records the
seconds on the node's execution (custom property `phase_seconds`, JSON) and
`bench/penguin_e2e.py` prints them.

    import   loading modules: TensorFlow, TFDV, TFT, TFMA, Beam, the user's module and what it
             imports (0 when a worker imported them ahead, while earlier nodes ran)
    setup    reading configuration, inputs and user code; building models and Beam pipelines
    work     the computation (training, statistics, evaluation)
    export   writing outputs (a Trainer's SavedModel export: every `tf.saved_model` save run_fn
             does, Keras' `model.save` included)
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
from typing import Any

PHASES = ("import", "setup", "work", "export")


class PhaseClock:
    """Seconds per phase of one execution: time runs into the phase last entered."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(PHASES, 0.0)
        self.phase: str | None = None
        self._since = time.perf_counter()

    def enter(self, phase: str | None) -> None:
        """Count time from now into `phase` (None: into nothing, the clock is stopped).

        Raises:
            ValueError: for a name not in PHASES.
        """
        if phase is not None and phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}; expected one of {', '.join(PHASES)}")
        now = time.perf_counter()
        if self.phase is not None:
            self.seconds[self.phase] += now - self._since
        self.phase, self._since = phase, now

    def stop(self) -> dict[str, float]:
        """Stop the clock and return the seconds per phase (rounded to milliseconds)."""
        self.enter(None)
        return {name: round(value, 3) for name, value in self.seconds.items()}


_CLOCK: contextvars.ContextVar[PhaseClock | None] = contextvars.ContextVar(
    "tfxkit_phase_clock", default=None)


@contextlib.contextmanager
def phase_clock() -> Iterator[PhaseClock]:
    """A running `PhaseClock` that `enter_phase` reports to while the block runs; stopped when
    the block ends."""
    clock = PhaseClock()
    token = _CLOCK.set(clock)
    try:
        yield clock
    finally:
        clock.enter(None)
        _CLOCK.reset(token)


def enter_phase(phase: str) -> None:
    """Count the time from now into `phase` (one of PHASES) on the running clock, if any."""
    clock = _CLOCK.get()
    if clock is not None:
        clock.enter(phase)


def current_phase() -> str | None:
    """The phase time now runs into, or None outside a clock."""
    clock = _CLOCK.get()
    return clock.phase if clock is not None else None


@contextlib.contextmanager
def in_phase(phase: str) -> Iterator[None]:
    """Count the block's time into `phase`, then return to the phase before it."""
    previous = current_phase()
    enter_phase(phase)
    try:
        yield
    finally:
        if previous is not None:
            enter_phase(previous)


@contextlib.contextmanager
def imports_timed(clock: PhaseClock) -> Iterator[None]:
    """Count the time of every `import` statement (in this thread) that loads a module not
    loaded yet into the `import` phase of `clock`, whatever phase the executor is in. Observes
    only: `builtins.__import__` is wrapped while the block runs, nested imports are counted
    once, and an import of an already loaded module (a dict lookup) is not timed."""
    import builtins
    import sys
    import threading

    original = builtins.__import__
    owner = threading.get_ident()
    depth = 0

    def timed_import(name: str, globals: Any = None, locals: Any = None,
                     fromlist: Any = (), level: int = 0) -> Any:
        nonlocal depth
        if depth or level or name in sys.modules or threading.get_ident() != owner:
            return original(name, globals, locals, fromlist, level)
        previous = clock.phase
        clock.enter("import")
        depth += 1
        try:
            return original(name, globals, locals, fromlist, level)
        finally:
            depth -= 1
            clock.enter(previous)

    builtins.__import__ = timed_import
    try:
        yield
    finally:
        builtins.__import__ = original


__all__ = ["PHASES", "PhaseClock", "current_phase", "enter_phase", "imports_timed", "in_phase",
           "phase_clock"]
