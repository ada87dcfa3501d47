"""Publishing a build's outputs into OUT all or none, and the housekeeping around it:
one build at a time per directory, no writes through links planted in OUT, and what an
interrupted build left behind (a half-done publication, temporary files, a LaTeX run)
finished or swept away by the next one."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
from pathlib import Path
from typing import Iterator, Mapping

from solver.engine import pdflatex, signals, store


class OutputError(OSError):
    """OUT holds something the build will not write through (a symbolic link)."""


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """One build at a time per output directory; the lock file is never a link followed."""
    try:  # O_NONBLOCK: a FIFO planted as the lock must not hang the build
        fd = os.open(out / ".lock", os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise OSError(f"{out / '.lock'}: not a regular file")
    except OSError:
        if (out / ".lock").is_symlink():
            raise OutputError(f"{out / '.lock'} is a symbolic link; remove it (the build writes only inside "
                              f"{out})") from None
        if (out / ".lock").exists() and not (out / ".lock").is_file():
            raise OutputError(f"{out / '.lock'} is not a regular file; remove it") from None
        raise
    with os.fdopen(fd, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def refuse_links(out: Path, work: Path) -> None:
    """Directories the build writes into must be real directories inside OUT; links that
    LaTeX would write through (work/solutions.pdf, ...) are removed, their targets untouched."""
    for directory in (work, work / "figures", work / "cache", out / "figures"):
        if directory.is_symlink():
            raise OutputError(f"{directory} is a symbolic link; remove it (the build writes only inside {out})")
    if work.is_dir():
        for path in work.iterdir():
            if path.is_symlink():
                path.unlink()


JOURNAL = ".publish.json"


def sweep(out: Path, work: Path) -> None:
    """Finish a publication that was killed half-way (its journal lists the staged files),
    and remove what interrupted builds left behind.  Runs under the lock."""
    # LaTeX of a build killed mid-compile (in .work, or .work/problems): stopped, its half-written files dropped.
    for directory in (work, *(pid.parent for pid in work.glob(f"*/{pdflatex.PID_FILE}"))):
        if pdflatex.stop_orphan(directory):
            for suffix in pdflatex.AUX_SUFFIXES:
                for leftover in directory.glob(f"*{suffix}"):
                    leftover.unlink(missing_ok=True)
            (directory / pdflatex.STAMP).unlink(missing_ok=True)
    journal = out / JOURNAL
    try:
        pending = json.loads(store.read_regular(journal))  # a link or FIFO planted here is not followed
    except (OSError, ValueError):
        pending = None
    if isinstance(pending, list):
        for tmp, target in pending:
            staged, final = out / tmp, out / target
            if staged.parent in (out, out / "figures") and final.parent == staged.parent and staged.exists():
                os.replace(staged, final)
    journal.unlink(missing_ok=True)
    for directory in (out, out / "figures", work, work / "figures", work / "cache"):
        if directory.is_dir() and not directory.is_symlink():
            for leftover in directory.glob(".*.tmp*"):
                leftover.unlink(missing_ok=True)


def write_new(path: Path, data: bytes) -> None:
    """Write a file of our own, never through a link planted at its name."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def publish(out: Path, files: Mapping[str, Path], texts: Mapping[str, str]) -> None:
    """All outputs or none: `files` (a name in OUT -> the file to copy there) and `texts` (a name ->
    its text).  Each is first written beside its target (a full disk fails here, before any rename),
    the list is recorded in a journal, and the renames run with signals held back.  A build killed
    outright in between is completed from the journal by the next one."""
    data = {out / name: path.read_bytes() for name, path in files.items()}
    data.update({out / name: text.encode("utf-8") for name, text in texts.items()})
    for path in data:
        if path.parent not in (out, out / "figures"):
            raise ValueError(f"publish: {path} is not an output name")
        path.parent.mkdir(exist_ok=True)
    staged: dict[Path, Path] = {}
    try:
        for path, payload in data.items():
            write_new(staged.setdefault(path, path.with_name(f".{path.name}.tmp{os.getpid()}")), payload)
        entries = [[tmp.relative_to(out).as_posix(), path.relative_to(out).as_posix()] for path, tmp in staged.items()]
        journal_tmp = out / f".{JOURNAL}.tmp{os.getpid()}"
        journal_tmp.write_text(json.dumps(entries), encoding="utf-8")
        signals.checkpoint("publish:staged")
        published = False
        try:
            with signals.held():
                os.replace(journal_tmp, out / JOURNAL)
                for k, (path, tmp) in enumerate(staged.items(), 1):
                    os.replace(tmp, path)
                    signals.checkpoint(f"publish:{k}")
                (out / JOURNAL).unlink()
                published = True
        except KeyboardInterrupt as stop:  # held back until now: the new outputs are all in place
            stop.published = published  # type: ignore[attr-defined]
            raise
    finally:
        for tmp in [*staged.values(), out / f".{JOURNAL}.tmp{os.getpid()}"]:
            tmp.unlink(missing_ok=True)
