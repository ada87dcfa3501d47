"""Worker processes forked from the build: they start with its imports and data, and die with it.

A signal to the build, or an error, kills them and removes the temporary files they were writing."""
from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Callable, Sequence


def _worker_init() -> None:
    """The parent alone handles signals and kills its workers; a worker dies with its parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG (Linux)


def cpus() -> int:
    """The CPUs this process may run on (taskset, cgroup cpusets), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


_CALLS: list[Callable[[], Any]] = []   # what forked workers run, by index: never pickled


def _call(index: int) -> Any:
    return _CALLS[index]()


def forked(calls: Sequence[Callable[[], Any]], workers: int, *directories: Path,
           meanwhile: Callable[[], Any] = lambda: None,
           then: Callable[[int, Any], Any] = lambda index, value: None) -> list[Any]:
    """[call() for call in calls], run in `workers` processes forked from this one (so they start with
    its imports and data; only the return values are pickled), `meanwhile()` in this one, then
    `then(index, value)` here as each call returns (after `meanwhile`).  A signal to this process, or an
    error, kills the workers and removes the temporary files they were writing in `directories`."""
    _CALLS[:] = calls
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_worker_init)
    try:
        futures = [pool.submit(_call, i) for i in range(len(calls))]
        meanwhile()   # this process's own work while the workers run
        for future in as_completed(futures):
            then(futures.index(future), future.result())
        values = [future.result() for future in futures]
        pool.shutdown()
        return values
    except BaseException:
        _kill(pool, directories)
        raise
    finally:
        _CALLS.clear()


def _kill(pool: ProcessPoolExecutor, directories: Sequence[Path]) -> None:
    """Stop every worker now and remove the temporary files they were writing."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(Exception):
            process.kill()
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(5)
    with contextlib.suppress(Exception):
        # wait=True: the pool's own thread has closed its wake-up pipe before this returns (else
        # it may close it while the interpreter's exit hook writes there: "Bad file descriptor")
        pool.shutdown(wait=True, cancel_futures=True)
    for process in processes:
        for directory in directories:
            for leftover in directory.glob(f".*.tmp{process.pid}"):
                with contextlib.suppress(OSError):
                    leftover.unlink()
