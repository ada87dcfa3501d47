"""`hw1-solver watch`: build, then rebuild whenever the config file, a `--watch FILE` or the
package's own sources (code, templates, defaults) change.

watchfiles waits for the changes (inotify/FSEvents, no polling loop here).  Each build runs
as a fresh `python -m solver build`, so an edited module or template takes effect and a
failing build (a bad config, a LaTeX error) prints its error while watching goes on.
Ctrl-C ends it: status 130, no traceback.
"""
from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterable

import watchfiles

from solver import TEMPLATES

PACKAGE = Path(__file__).resolve().parent
SOURCES = (PACKAGE, TEMPLATES)   # the code and the templates (beside the package in a checkout)
SOURCE_SUFFIXES = (".py", ".toml", ".j2")


def build_argv(args: argparse.Namespace) -> list[str]:
    """The `build` command the watched arguments stand for."""
    argv = [sys.executable, "-m", "solver", "build", "--out", str(args.out)]
    if args.config:
        argv += ["--config", str(args.config)]
    for assignment in args.assignments:
        argv += ["--set", assignment]
    if args.sets:
        argv += ["--sets", args.sets]
    if args.verbosity:
        argv.append("-q" if args.verbosity < 0 else "-v")
    return argv


def _folders() -> list[Path]:
    """The package's and the templates' folders, each watched on its own (not recursively)."""
    return [d for root in SOURCES for d in (root, *root.rglob("*")) if d.is_dir() and d.name != "__pycache__"]


class Watched:
    """Which changes trigger a rebuild: the named files, and the package's sources."""

    def __init__(self, files: Iterable[Path]) -> None:
        self.files = {Path(f).absolute() for f in files}

    def folders(self) -> list[Path]:
        # A file's folder, not the file: editors save by writing a new file and renaming it.
        return sorted({*_folders(), *(f.parent for f in self.files)})

    def stamps(self) -> list[tuple[int, int] | None]:
        """The named files' modification times and sizes."""
        def stamp(f: Path) -> tuple[int, int] | None:
            try:
                return f.stat().st_mtime_ns, f.stat().st_size
            except OSError:
                return None
        return [stamp(f) for f in sorted(self.files)]

    def __call__(self, _change: watchfiles.Change, path: str) -> bool:
        where = Path(path).absolute()
        if where in self.files:
            return True
        return (any(where.is_relative_to(root) for root in SOURCES) and where.suffix in SOURCE_SUFFIXES
                and "__pycache__" not in where.parts)


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return False


def _build(argv: list[str]) -> None:
    """One build; on Ctrl-C it is let finish (it got the same signal from the terminal and
    cleans up; signalled alone, we let it complete), then the interrupt goes on up."""
    child = subprocess.Popen(argv)
    try:
        child.wait()
    except KeyboardInterrupt:
        for signum, wait in ((None, 60), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            if signum is not None:
                child.send_signal(signum)
            try:
                child.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        raise


def run(args: argparse.Namespace) -> int:
    watched = Watched([*([args.config] if args.config else []), *args.watched])
    argv = build_argv(args)
    missing = [str(f) for f in watched.files if not f.parent.is_dir()]
    if missing:
        print(f"error: cannot watch {', '.join(missing)}: its folder does not exist", file=sys.stderr)
        return 2
    special = [str(f) for f in watched.files if _exists(f) and not f.is_file()]
    if special:   # a folder, FIFO or device: every build would refuse it, so say so once and stop
        print(f"error: cannot watch {', '.join(special)}: not a regular file; give the path of a TOML file",
              file=sys.stderr)
        return 2
    quiet = args.verbosity < 0
    try:
        before = watched.stamps()
        _build(argv)
        live = False
        # rust_timeout: watchfiles yields an empty set once it is really watching, after a second
        # without changes; a file edited before that (during the first build) is caught then.
        for changes in watchfiles.watch(*watched.folders(), watch_filter=watched, recursive=False,
                                        raise_interrupt=True, yield_on_timeout=True, rust_timeout=1000):
            if not changes:
                if not live:
                    live = True
                    if not quiet:
                        names = ", ".join(str(f) for f in sorted(watched.files)) or "no config file"
                        print(f"watching {names} and the hw1-solver sources; Ctrl-C to stop", file=sys.stderr,
                              flush=True)
                    if watched.stamps() != before:
                        before = watched.stamps()
                        _build(argv)
                continue
            if not quiet:
                changed = ", ".join(sorted({Path(p).name for _, p in changes}))
                print(f"changed: {changed}; rebuilding", file=sys.stderr, flush=True)
            before = watched.stamps()
            _build(argv)
    except KeyboardInterrupt as stop:
        print("stopped watching", file=sys.stderr)
        return 128 + getattr(stop, "signum", signal.SIGINT)
    return 0
