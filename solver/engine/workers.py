"""The build's one pool of worker processes: forked from the build at its first job (so they start
with its imports and data), each job a module-level function with picklable arguments, and every
worker killed with the build.  Where a fork is impossible or pointless (one CPU), a job runs in
the build's own process instead, and its Future is already done."""
from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable, Sequence


def cpus() -> int:
    """The CPUs this process may run on (taskset, cgroup cpusets), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def forkable() -> bool:
    return cpus() >= 2 and "fork" in multiprocessing.get_all_start_methods()


def _worker_init(warm: Callable[[], Any] | None) -> None:
    """The parent alone handles signals and kills its workers; a worker dies with its parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG (Linux)
    if warm is not None:
        warm()


def stop(pool: ProcessPoolExecutor, grace: float = 0.0) -> list[multiprocessing.Process]:
    """End every worker of `pool` and shut it; returns the processes it had.  With a `grace`, each is
    sent SIGTERM first (so that it can stop its own LaTeX) and given that many seconds; then SIGKILL."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(Exception):
            if grace:
                process.terminate()
            else:
                process.kill()
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(grace or 5)
            if process.is_alive():
                process.kill()
                process.join(5)
    with contextlib.suppress(Exception):
        # wait=True: the pool's own thread has closed its wake-up pipe before this returns (else
        # it may close it while the interpreter's exit hook writes there: "Bad file descriptor")
        pool.shutdown(wait=True, cancel_futures=True)
    return processes


class Pool:
    """Up to `size` worker processes, forked at `start` or the first `submit`; `warm` runs in each
    as it starts (e.g. importing matplotlib while the build solves)."""

    def __init__(self, size: int | None = None, warm: Callable[[], Any] | None = None) -> None:
        self.size = max(1, min(size or cpus(), cpus()))
        self.warm = warm
        self.forks = forkable()
        self._executor: ProcessPoolExecutor | None = None

    @property
    def started(self) -> bool:
        return self._executor is not None

    def start(self) -> None:
        """Fork the workers now."""
        if self._executor is None and self.forks:
            self._executor = ProcessPoolExecutor(self.size, mp_context=multiprocessing.get_context("fork"),
                                                 initializer=_worker_init, initargs=(self.warm,))
            for _ in range(self.size):
                self._executor.submit(int)   # forks every worker now, not at the jobs

    def submit(self, job: Callable[..., Any], *args: Any) -> Future[Any]:
        """job(*args) in a worker; in this process, done before this returns, where there are none."""
        if not self.forks:
            future: Future[Any] = Future()
            try:
                future.set_result(job(*args))
            except Exception as error:
                future.set_exception(error)
            return future
        self.start()
        assert self._executor is not None
        return self._executor.submit(job, *args)

    def close(self) -> None:
        """Let the workers finish what they run, then end them."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def kill(self, directories: Sequence[Path] = ()) -> None:
        """Stop every worker now and remove the temporary files (.*.tmpPID) they were writing."""
        pool, self._executor = self._executor, None
        if pool is None:
            return
        for process in stop(pool):
            for directory in directories:
                for leftover in directory.glob(f".*.tmp{process.pid}"):
                    with contextlib.suppress(OSError):
                        leftover.unlink()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: Any) -> None:
        if kind is None:
            self.close()
        else:
            self.kill()
