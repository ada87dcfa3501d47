"""Worked, verified solutions to ELEG 5491 Homework 1, typeset as a PDF."""
from __future__ import annotations

import sys


def _interrupted_at_start(kind: type[BaseException], error: BaseException, trace: object) -> None:
    """Ctrl-C before `hw1-solver` has set up its own handling (while the first modules load): one line
    instead of a traceback; Python then ends by SIGINT (status 130 in a shell)."""
    if issubclass(kind, KeyboardInterrupt):
        print("interrupted: the previous outputs are unchanged", file=sys.stderr)
    else:
        sys.__excepthook__(kind, error, trace)  # type: ignore[arg-type]


def _quiet_dropped_interrupt(info: object) -> None:
    """A Ctrl-C (or SIGTERM, SIGHUP) raised where Python cannot raise it (an import's weakref callback)
    is dropped with a printed traceback; it is recorded by the handler that raised it and reported
    in one line at the end (solver.engine.signals.unreported), so the traceback is not printed."""
    if not issubclass(getattr(info, "exc_type", type(None)), KeyboardInterrupt):
        sys.__unraisablehook__(info)  # type: ignore[arg-type]


EARLY_SIGNALS: list[int] = []   # Ctrl-C while the first modules load; solver.engine.signals takes them over


def _early_interrupt(signum: int, _frame: object) -> None:
    """Recorded as well as raised: raised inside an import's weakref callback, Python drops the exception
    and the command would run on as if never interrupted (solver.engine.signals.unreported)."""
    EARLY_SIGNALS.append(signum)
    raise KeyboardInterrupt


# First of all, and only as the command (`hw1-solver`, or `python -m solver`, whose argv[0] is "-m" while
# this loads), never when the package is imported as a library.
if sys.argv[:1] == ["-m"] or sys.argv[:1] and sys.argv[0].rsplit("/", 1)[-1] == "hw1-solver":
    import _signal   # the C module itself: `signal` would import enum first, a few ms open to a traceback

    sys.excepthook = _interrupted_at_start
    sys.unraisablehook = _quiet_dropped_interrupt
    if _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:
        _signal.signal(_signal.SIGINT, _early_interrupt)
    # The make targets (GNU env, scripts/make_outputs.py) and the start line in site-packages
    # (scripts/_hw1_solver_start.pth) start the solver with SIGINT blocked: a Ctrl-C during Python's
    # own start-up waited, and arrives now, where it is one line.
    _signal.pthread_sigmask(_signal.SIG_UNBLOCK, {_signal.SIGINT})

import os  # noqa: E402
from pathlib import Path  # noqa: E402

# The arrays here are a few rows wide, so OpenBLAS's threads (one per core, each spinning a while
# after every call) only burn CPU: about 0.1 s of a command's 0.25 s, taken from LaTeX and the other
# workers.  One thread, unless the user asked for more or NumPy is already loaded.
if "numpy" not in sys.modules:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def installed_version(name: str) -> str | None:
    """The installed version of distribution `name`, None if it is not installed.  Read from
    the name of its `<name>-<version>.dist-info` folder, the first on sys.path, as a wheel installs
    it (importlib.metadata's answer, without importing it and its e-mail parser: about 30 ms of
    every run, 4% of a rebuild); importlib.metadata itself when there is no such folder."""
    wanted = name.replace("-", "_").lower() + "-"
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in names:
            if folder.lower().startswith(wanted) and folder.endswith(".dist-info"):
                return folder[len(wanted):-len(".dist-info")]
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


__version__ = installed_version("hw1-solver") or "0+unknown"   # "0+unknown": a source tree never installed


class BrokenInstallation(RuntimeError):
    """A file the package ships (a template, defaults.toml) is missing: reinstall it."""


def _templates() -> Path:
    """The top-level templates/ folder: beside the package in a checkout (an editable install),
    inside it in a wheel (setup.py maps it to solver/templates)."""
    package = Path(__file__).resolve().parent
    installed = package / "templates"
    return installed if installed.is_dir() else package.parent / "templates"


TEMPLATES = _templates()
