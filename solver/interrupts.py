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

HELD = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
PAUSE_LIMIT_SECONDS = 60


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: cleaned up after exactly as Ctrl-C is."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_terminated(signum: int, _frame: Any) -> None:
    raise Terminated(signum)


def install() -> None:
    """SIGTERM and SIGHUP raise Terminated (a KeyboardInterrupt), so every `finally` runs."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_terminated)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Signals that would interrupt are held back until the block has finished."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def checkpoint(name: str) -> None:
    if os.environ.get("HW1_SOLVER_PAUSE_AT") != name:
        return
    marker = Path(os.environ["HW1_SOLVER_PAUSE_FILE"])
    marker.write_text(name)
    deadline = time.monotonic() + PAUSE_LIMIT_SECONDS
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
