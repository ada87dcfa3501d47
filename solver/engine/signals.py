"""Signals: SIGTERM and SIGHUP end a build the way Ctrl-C does, and a critical section
(renaming the outputs into place) runs to its end whatever arrives meanwhile.

`checkpoint` is a test hook: with HW1_SOLVER_PAUSE_AT naming a point, the tool
writes that name into the file HW1_SOLVER_PAUSE_FILE when it gets there and waits
until the file is removed, so a test can signal it at exactly that point.
"""
from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path
from typing import Any, Iterator

import solver

HELD = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
PAUSE_LIMIT_SECONDS = 60


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: cleaned up after exactly as Ctrl-C is."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


RECEIVED: list[int] = []   # signals raised as exceptions and not yet reported (`unreported`)


def _raise_terminated(signum: int, _frame: Any) -> None:
    RECEIVED.append(signum)
    raise Terminated(signum)


def _raise_interrupt(signum: int, _frame: Any) -> None:
    RECEIVED.append(signum)
    raise KeyboardInterrupt


def install() -> None:
    """SIGTERM and SIGHUP raise Terminated (a KeyboardInterrupt), so every `finally` runs; every
    signal is recorded, so that one raised where Python drops exceptions (a weakref callback or
    __del__ during an import) is still acted on when the command ends (`unreported`)."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_terminated)
    if signal.getsignal(signal.SIGINT) in (signal.default_int_handler, solver._early_interrupt):
        signal.signal(signal.SIGINT, _raise_interrupt)
    RECEIVED.extend(solver.EARLY_SIGNALS)   # one while the first modules loaded
    solver.EARLY_SIGNALS.clear()


def unreported() -> int | None:
    """The first signal received since the last `reported`, if its exception never reached the top."""
    return RECEIVED[0] if RECEIVED else None


def reported() -> None:
    RECEIVED.clear()


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Signals that would interrupt are held back until the block has finished, then the
    first one is acted on as it would have been.

    Blocking them with pthread_sigmask is not enough: that masks the calling thread only,
    the kernel then hands a process-wide SIGINT to another thread (numpy's BLAS threads),
    and Python still raises KeyboardInterrupt in the main thread, mid-block.  So the
    Python-level handlers are swapped for one that only records the signal."""
    pending: list[int] = []

    def record(signum: int, _frame: Any) -> None:
        pending.append(signum)

    previous = {signum: signal.signal(signum, record) for signum in HELD}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if pending:
            handler = previous[pending[0]]
            if callable(handler):   # Python's KeyboardInterrupt, or _raise_terminated
                handler(pending[0], None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), pending[0])


def checkpoint(name: str) -> None:
    if os.environ.get("HW1_SOLVER_PAUSE_AT") != name:
        return
    marker = Path(os.environ["HW1_SOLVER_PAUSE_FILE"])
    marker.write_text(name)
    deadline = time.monotonic() + PAUSE_LIMIT_SECONDS
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
