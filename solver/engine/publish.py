"""Publishing a build's outputs into OUT all or none, and the housekeeping around it:
one build at a time per directory, no writes through links planted in OUT, and what an
interrupted build left behind (a half-done publication, temporary files, a LaTeX run)
finished or swept away by the next one."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import stat
import sys
from pathlib import Path
from typing import Iterator, Mapping

from solver.engine import pdflatex, signals, store


class OutputError(OSError):
    """OUT holds something the build will not write through (a symbolic link) or cannot replace."""


FS_IOC_GETFLAGS = 0x80086601            # linux/fs.h: the inode attributes chattr sets
FROZEN = 0x10 | 0x20                    # FS_IMMUTABLE_FL, FS_APPEND_FL: no rename replaces or adds to it


def refuse_frozen(path: Path) -> None:
    """OutputError when `path` (an output, or the folder it goes in) is immutable or append-only (chattr +i,
    +a), which no rename can replace or write into: found before the first rename, so that a publication
    is all or none.  Where the attribute cannot be read (another OS, another file system) nothing is said."""
    try:
        mode = os.lstat(path).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            return
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return
    try:
        flags = int.from_bytes(fcntl.ioctl(fd, FS_IOC_GETFLAGS, bytes(8))[:4], sys.byteorder)
    except OSError:
        return
    finally:
        os.close(fd)
    if flags & FROZEN:
        raise OutputError(f"{path} is immutable or append-only, so it cannot be replaced; "
                          f"clear that with `chattr -ia {path}`, or build into another --out")


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
    LaTeX would write through (work/solutions.pdf, ...) are removed, their targets untouched, and
    so are FIFOs, sockets and devices there, at which LaTeX would wait for good."""
    for directory in (work, work / "figures", work / "cache", out / "figures"):
        if directory.is_symlink():
            raise OutputError(f"{directory} is a symbolic link; remove it (the build writes only inside {out})")
    if work.is_dir():
        for path in work.iterdir():
            if path.is_symlink() or not (path.is_file() or path.is_dir()):
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
    # FIFOs a build killed outright left beside its figures (LaTeX would wait at them for good) or
    # for a pass started ahead, and the record of what such a pass read before it had a name.
    for folder, pattern in ((work / "figures", f"*{pdflatex.WAIT}"), (out / "figures", f"*{pdflatex.WAIT}"),
                            (work, f"*{pdflatex.FEED}"), (work, "preamble-*.fls")):
        if folder.is_dir() and not folder.is_symlink():
            for stale in folder.glob(pattern):
                with contextlib.suppress(OSError):
                    stale.unlink()
    journal = out / JOURNAL
    try:
        pending = json.loads(store.read_regular(journal))  # a link or FIFO planted here is not followed
    except (OSError, ValueError):
        pending = None
    if isinstance(pending, list) and all(_journal_entry(entry) for entry in pending):
        for tmp, target in pending:
            staged, final = out / tmp, out / target
            if staged.parent in (out, out / "figures") and final.parent == staged.parent and staged.is_file() \
                    and not staged.is_symlink():
                os.replace(staged, final)
    journal.unlink(missing_ok=True)
    for directory in (out, out / "figures", work, work / "figures", work / "cache"):
        if directory.is_dir() and not directory.is_symlink():
            for leftover in directory.glob(".*.tmp*"):
                leftover.unlink(missing_ok=True)


def _journal_entry(entry: object) -> bool:
    """[".NAME.tmpPID", "NAME"] (or both under figures/): a staged file and the output it becomes,
    plain names inside OUT; anything else means the journal is not ours and it is not replayed."""
    if not (isinstance(entry, list) and len(entry) == 2 and all(isinstance(part, str) for part in entry)):
        return False
    tmp, target = (part.split("/") for part in entry)
    if len(tmp) != len(target) or len(tmp) > 2 or tmp[:-1] != target[:-1] or tmp[:-1] not in ([], ["figures"]):
        return False
    return bool(PLAIN_NAME.fullmatch(target[-1]) and re.fullmatch(rf"\.{re.escape(target[-1])}\.tmp\d+", tmp[-1]))


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
        if path.is_dir() and not path.is_symlink():   # checked before the first rename: all or none
            raise OutputError(f"{path} is a folder where an output file goes; move it away")
        refuse_frozen(path.parent)
        refuse_frozen(path)
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


# ---------------------------------------------------------------- a set of folders at once (variants)

SET_JOURNAL = ".publish-set.json"
STAGING = re.compile(r"\.staging-\d+")
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def staging_dir(out: Path) -> Path:
    """Where a set is built before it is published: inside OUT, so that a rename publishes it."""
    return out / f".staging-{os.getpid()}"


def check_set(out: Path, staging: Path, names: list[str]) -> None:
    """Before the first rename: every name plain, staged, and replaceable (no link, a folder by a
    folder, a file by a file); OutputError names the first that is not."""
    for name in names:
        staged, target = staging / name, out / name
        if not PLAIN_NAME.fullmatch(name) or staged.is_symlink() or not staged.exists():
            raise OutputError(f"publish: {name!r} is not a staged output")
        if target.is_symlink():
            raise OutputError(f"{target} is a symbolic link; remove it (the outputs are written only inside {out})")
        if target.exists() and target.is_dir() != staged.is_dir():
            kind = "a folder" if target.is_dir() else "a file"
            raise OutputError(f"{target} is {kind} where the new output is not; move it away")
        refuse_frozen(target)
    refuse_frozen(out)


def publish_set(out: Path, staging: Path, names: list[str]) -> None:
    """Every `names` in `staging` (a folder or file each) replaces its namesake in OUT, all or none:
    checked first, then a journal records the set and the renames run with signals held back; a run
    killed outright in between is completed from the journal by the next one (`sweep_sets`)."""
    check_set(out, staging, names)
    journal_tmp = out / f".{SET_JOURNAL}.tmp{os.getpid()}"
    write_new(journal_tmp, json.dumps({"staging": staging.name, "names": names}).encode())
    signals.checkpoint("publish-set:staged")
    published = False
    try:
        with signals.held():
            os.replace(journal_tmp, out / SET_JOURNAL)
            _replay_set(out, staging, names)
            (out / SET_JOURNAL).unlink()
            published = True
    except KeyboardInterrupt as stop:  # held back until now: the new set is all in place
        stop.published = published  # type: ignore[attr-defined]
        raise
    finally:
        journal_tmp.unlink(missing_ok=True)


def _replay_set(out: Path, staging: Path, names: list[str]) -> None:
    """Each staged name into OUT, its old namesake moved into staging/.old (removed with staging)."""
    old = staging / ".old"
    old.mkdir(exist_ok=True)
    for k, name in enumerate(names, 1):
        staged, target = staging / name, out / name
        if not (staged.exists() or staged.is_symlink()):
            continue   # already moved by the run this replay completes
        if target.is_symlink():
            target.unlink()
        elif target.exists():
            _remove(old / name)
            os.replace(target, old / name)
        os.replace(staged, target)
        signals.checkpoint(f"publish-set:{k}")


def sweep_sets(out: Path) -> None:
    """Under OUT's lock: finish a set publication that was killed half-way (its journal validated
    first: a plain staging folder of ours, plain names), and remove every staging folder left."""
    journal = out / SET_JOURNAL
    try:
        pending = json.loads(store.read_regular(journal))
    except (OSError, ValueError):
        pending = None
    if isinstance(pending, dict):
        staging, names = pending.get("staging"), pending.get("names")
        if (isinstance(staging, str) and STAGING.fullmatch(staging) and isinstance(names, list)
                and all(isinstance(n, str) and PLAIN_NAME.fullmatch(n) for n in names)
                and (out / staging).is_dir() and not (out / staging).is_symlink()):
            with contextlib.suppress(OSError):
                _replay_set(out, out / staging, names)
    with contextlib.suppress(OSError):
        journal.unlink(missing_ok=True)
    for leftover in out.glob(".staging-*"):
        if STAGING.fullmatch(leftover.name) and not leftover.is_symlink():
            # LaTeX a killed worker left running (waiting at a figure for good): stopped first
            for pid in [*leftover.glob(f"*/.work/{pdflatex.PID_FILE}"), *leftover.glob(f"*/.work/*/{pdflatex.PID_FILE}")]:
                pdflatex.stop_orphan(pid.parent)
            _remove(leftover)
    for leftover in out.glob(f".{SET_JOURNAL}.tmp*"):
        leftover.unlink(missing_ok=True)


def _remove(path: Path) -> None:
    """A file, link or folder of ours, gone (never following a link)."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)
