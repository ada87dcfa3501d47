"""Run pdflatex non-interactively, as many passes as the references need and no more;
turn a failure into a readable message.

A pass reads back what the previous one wrote (the .aux, and the .toc, .lof, .out and
the like of the lists it prints); the document is final when a pass leaves all of them as
it found them.  `\\@writefile` lines of the .aux are left out of that comparison: LaTeX acts
on them only at the end of a pass, when it copies them into the list files, so what they
change shows in those files (a figure's caption quoting a number changes nothing a document
without a list of figures prints, and costs no second pass).  This is latexmk's rule made
exact for that case; latexmk itself cost about 0.2 s a run here (its Perl start and the
digests of every file TeX read), a third of a pdflatex pass.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import signal
import stat
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterator, Protocol

from solver.engine import formats, signals, toolchain

TIMEOUT_SECONDS = 120    # all passes together
MAX_PASSES = 5           # as latexmk's default: references that never settle are an error
# What a failed or killed run may leave half-written (.fdb_latexmk from builds made with latexmk).
AUX_SUFFIXES = (".aux", ".fdb_latexmk", ".fls", ".out", ".toc", ".lof", ".lot", ".pdf")
# What a pass reads back from the one before: the .aux and the list files.
READ_BACK = (".aux", ".out", ".toc", ".lof", ".lot")
STAMP = "latex.json"  # the build's record of what the last successful compile read (solver/build.py)
CONTEXT_LINES = 2

PDFLATEX = [
    "pdflatex",
    "-interaction=batchmode",
    "-halt-on-error",
    "-file-line-error",
    "-no-shell-escape",
    "-recorder",   # the .fls: every file a pass read and wrote (tests/test_safety.py reads it)
]

# kpathsea settings: no reading or writing outside the working directory, no \\write18.
SANDBOX_ENV = {"openin_any": "p", "openout_any": "p", "shell_escape": "f"}


class LatexError(RuntimeError):
    """LaTeX failed; the message names the first error and shows its source."""


class Pending(Protocol):
    """Files `tex` includes that are still being written (solver.engine.drawing.Drawing)."""
    pending: set[str]
    paths: dict[str, Path]

    def completed(self) -> Iterator[str]: ...

    def stub(self) -> bool:
        """Put a stand-in of the same size in place of each file still being written; whether
        every one now has one (or has landed)."""


def pdf(tex: Path, pending: Pending | None = None, ahead: Ahead | None = None) -> Path:
    """Compile `tex` in its own directory and return the PDF's path: pdflatex passes until
    what it reads back is what the pass before wrote (`settled`), at most MAX_PASSES, each
    starting from the document's precompiled preamble (solver/engine/formats.py) when it has one.

    `pending`: figures still being drawn.  A pass starts at once and waits at each of them
    (`Holds`) only until it lands, so LaTeX and the drawing overlap; a first pass (no .aux) needs
    only their sizes and does not wait when a stand-in of each one's size is in place
    (`Pending.stub`).

    `ahead`: a pass started before `tex` was written (`Ahead`), its format loaded meanwhile; it is
    the first pass when it runs the format this compile uses and that pass reads an .aux, else
    it is stopped.

    A compile that fails with the format runs again: with the format built afresh when the
    format itself was refused, then without any; a format that only the compile without it
    survives is dropped."""
    toolchain.require()
    env = sandbox_env()
    deadline = time.monotonic() + TIMEOUT_SECONDS

    def dump(folder: Path, name: str, source: Path) -> None:   # NAME.fmt from the preamble, in `folder`
        _pass(source, env, deadline, options=["-ini", f"-jobname={name}", "&pdflatex"])

    head = formats.preamble(tex.read_text(encoding="utf-8", errors="replace"))
    if ahead is not None and not (head is not None and ahead.fmt == formats.name(head)
                                  and formats.intact(tex.parent / f"{ahead.fmt}.fmt")):
        ahead.stop()   # before a format is dumped here: one LaTeX at a time in the folder (PID_FILE)
        ahead = None
    fmt = formats.ready(tex.parent, head, dump) if head is not None else None
    if ahead is not None and not ahead.runs(tex, fmt):
        ahead.stop()
        ahead = None
    if fmt is None:
        return _passes(tex, pending, env, deadline)
    try:
        return _passes(tex, pending, env, deadline, fmt, ahead=ahead)
    except FormatRefused:   # damaged or foreign despite its digest: built afresh, tried once
        if formats.ready(tex.parent, head, dump, rebuild=True):
            with contextlib.suppress(LatexError):
                return _passes(tex, pending, env, deadline, fmt, fresh=True)
    except LatexError:
        pass
    result = _passes(tex, pending, env, deadline, fresh=True)   # the document's own error, if it has one
    formats.forget(tex.parent, fmt)
    return result


# pdflatex's words for a format file it cannot load (damaged, or from another TeX).
FORMAT_REFUSED = re.compile(r"undump|stymied|format file|---!")


class FormatRefused(LatexError):
    """pdflatex could not load the format it was given."""


def sandbox_env() -> dict[str, str]:
    """The environment of every pdflatex run: the sandbox, and SOURCE_DATE_EPOCH honoured throughout."""
    env = {**os.environ, **SANDBOX_ENV}
    if "SOURCE_DATE_EPOCH" in env:
        env["FORCE_SOURCE_DATE"] = "1"
    return env


def _passes(tex: Path, pending: Pending | None, env: dict[str, str], deadline: float,
            fmt: str | None = None, fresh: bool = False, ahead: Ahead | None = None) -> Path:
    if fresh:   # after a failed compile: nothing it half-wrote is read back
        for suffix in READ_BACK:
            tex.with_suffix(suffix).unlink(missing_ok=True)
    options = [f"-fmt={fmt}"] if fmt else []
    for _ in range(MAX_PASSES):
        before = read_back(tex)
        # With nothing to read back, this pass cannot be the last (it writes the .aux): its PDF
        # would be thrown away, so it writes none (-draftmode; the .aux is the same), and it reads
        # of a figure only its size, which a stand-in of the same size gives (the next pass waits).
        draft = ".aux" not in before
        waits = None if draft and pending is not None and pending.stub() else pending
        if not draft:   # a pass that exits 0 without writing the PDF must not pass off an older one
            tex.with_suffix(".pdf").unlink(missing_ok=True)
        if ahead is not None and draft:   # it reads the text as a full pass; a draft starts afresh
            ahead.stop()
        with Holds(waits) as holds:
            _pass(tex, env, deadline, draft=draft, meanwhile=holds.release_as_drawn, options=options, ahead=ahead)
        ahead = None
        if settled(before, read_back(tex)):
            if not tex.with_suffix(".pdf").is_file():
                raise LatexError(f"LaTeX finished without writing {tex.with_suffix('.pdf').name} "
                                 f"(full log: {tex.with_suffix('.log')})")
            return tex.with_suffix(".pdf")
    raise LatexError(f"LaTeX's cross-references in {tex} still changed after {MAX_PASSES} passes; "
                     f"the document does not settle (full log: {tex.with_suffix('.log')})")


def read_back(tex: Path) -> dict[str, bytes]:
    """The files a pdflatex pass over `tex` reads from the pass before, by suffix."""
    found = {}
    for suffix in READ_BACK:
        with contextlib.suppress(OSError):
            found[suffix] = tex.with_suffix(suffix).read_bytes()
    return found


WRITEFILE = re.compile(rb"^\\@writefile\{[^}]*\}.*\n?", re.M)
# bookmark's entries carry the .tex line of each heading, used only in its warnings ("Source: line N").
SRCLINE = re.compile(rb"^(\\BKM@entry\{.*?)srcline=\{\d+\}", re.M)


def settled(before: dict[str, bytes], after: dict[str, bytes]) -> bool:
    """Whether a pass that read `before` and wrote `after` has nothing left to change: the
    same files, the same bytes, but for what the next pass would not act on (`acted_on`)."""
    return {suffix: acted_on(suffix, data) for suffix, data in before.items()} == \
        {suffix: acted_on(suffix, data) for suffix, data in after.items()}


def acted_on(suffix: str, data: bytes) -> bytes:
    """What of a read-back file can change the next pass's output: in the .aux, not the
    `\\@writefile` lines (their effect shows in the list files themselves) nor the source
    line numbers of bookmarks."""
    return SRCLINE.sub(rb"\1srcline={}", WRITEFILE.sub(b"", data)) if suffix == ".aux" else data


WAIT = ".wait"   # figures/NAME.pdf.wait: where the document's \\includefigure waits (templates/base.tex.j2)


class Holds:
    """A FIFO beside each figure still being drawn, NAME.pdf.wait, held open here for reading
    and writing: LaTeX's \\includefigure opens it and reads a line, which blocks until
    `release_as_drawn` writes one, when the figure is in place; the FIFO is removed then, so a
    later pass or include finds none and does not wait.  A .tex compiled on its own finds no
    FIFO and never waits.  If this process dies, LaTeX waiting at a figure reads the end of the
    file and goes on, and LaTeX not yet there waits at it for good; either way nothing is
    published, and the next build into the directory stops it first (`stop_orphan`)."""

    def __init__(self, pending: Pending | None) -> None:
        self._pending = pending
        self._held: dict[str, tuple[Path, int]] = {}

    def __enter__(self) -> Holds:
        if self._pending is None:
            return self
        for folder in {path.parent for path in self._pending.paths.values()}:
            for stale in folder.glob(f"*{WAIT}"):   # left by a build killed outright: LaTeX would wait there forever
                stale.unlink(missing_ok=True)
        try:
            for name in sorted(self._pending.pending):
                fifo = self._pending.paths[name].with_name(self._pending.paths[name].name + WAIT)
                os.mkfifo(fifo, 0o600)
                self._held[name] = (fifo, os.open(fifo, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC))
        except BaseException:
            self.__exit__()
            raise
        return self

    def release_as_drawn(self) -> None:
        if self._pending is None:
            return
        for name in self._pending.completed():
            if name in self._held:
                fifo, fd = self._held[name]
                os.write(fd, b"drawn\n")
                fifo.unlink(missing_ok=True)

    def __exit__(self, *_: object) -> None:
        for fifo, fd in self._held.values():
            fifo.unlink(missing_ok=True)
            os.close(fd)
        self._held = {}


def _pass(tex: Path, env: dict[str, str], deadline: float, draft: bool = False,
          meanwhile: Callable[[], None] = lambda: None, options: list[str] | None = None,
          ahead: Ahead | None = None) -> None:
    """One pdflatex pass over `tex`, in a process group of its own, so that a timeout or
    Ctrl-C stops it and anything it started (`_start`); or, given `ahead`, the pass started
    before `tex` was written, now given its text.  A pass that ends in an error raises
    LatexError, naming the first error and its source."""
    run = ahead.feed(tex) if ahead is not None else None
    if run is None:
        run = _start(tex.parent, [*PDFLATEX, *(options or []), *(["-draftmode"] if draft else []), tex.name], env)
    pid_file = tex.parent / PID_FILE
    with run:  # kill before leaving: Popen's __exit__ waits for pdflatex to end
        try:
            signals.checkpoint("compiling")
            meanwhile()   # while pdflatex runs (its few lines of output wait in the pipe)
            output, _ = run.communicate(timeout=max(0.0, deadline - time.monotonic()))
        except BaseException as error:
            _kill_group(run)
            if isinstance(error, subprocess.TimeoutExpired):
                raise LatexError(f"LaTeX did not finish within {TIMEOUT_SECONDS} s on {tex}; stopped it.") from None
            raise
        finally:
            pid_file.unlink(missing_ok=True)
    if run.returncode != 0:
        if any(option.startswith("-fmt=") for option in options or []) and FORMAT_REFUSED.search(output):
            raise FormatRefused(f"pdflatex could not load its format: {output.strip()}")
        raise LatexError(explain(tex, output, run.returncode))


def _start(folder: Path, command: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """pdflatex started in `folder` in a process group of its own.  A Ctrl-C or SIGTERM while it is
    being started is held back until the process exists: it would otherwise interrupt Popen itself
    and leave pdflatex running unowned.  Its group id goes into PID_FILE, so that if this process is
    killed outright (SIGKILL), the next build can stop the LaTeX left running before it writes into
    the same directory."""
    run: subprocess.Popen[str] | None = None
    pid_file = folder / PID_FILE
    try:
        with signals.held():
            run = subprocess.Popen(command, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, errors="replace", start_new_session=True)
            _record(pid_file, run.pid)
    except BaseException:  # a signal held back while pdflatex started, now acted on
        if run is not None:
            _kill_group(run)
            pid_file.unlink(missing_ok=True)
        raise
    return run


FEED = ".feed"   # solutions.tex.feed: the FIFO a pass started ahead reads its document from


class Ahead:
    """A pdflatex pass over `tex` started before its text exists: while the build solves and
    renders, pdflatex loads the format `fmt`, then opens a FIFO, TEX.feed, as its main file
    (`-jobname` names every file it writes as a pass over `tex` would), and waits there for a
    writer.  `feed` writes the text once `tex` is written: the pass then typesets exactly what
    `tex` holds, to the same bytes.  It is fed only as the first full pass with that format
    (`runs`); otherwise, and when the build ends without feeding it, it is stopped (`stop`).

    Until it is fed, the pass has read nothing of the folder but its format and written nothing
    there but the record of what it read, which `stop` removes.  The FIFO is opened for writing
    only once pdflatex has it open for reading, and the text goes into the pipe in one write: a
    document larger than the pipe holds, or a pdflatex that does not get to the FIFO within
    OPEN_WAIT, is run as an ordinary pass instead.  If the build dies unfed, pdflatex waits at
    the FIFO for good, as LaTeX waits at a figure's, and the next build into the directory stops
    it (`stop_orphan`)."""

    OPEN_WAIT = 1.0   # seconds pdflatex may still take to load its format and open the FIFO

    def __init__(self, tex: Path, fmt: str) -> None:
        self.tex, self.fmt = tex, fmt
        self.fifo = tex.with_name(tex.name + FEED)
        self._run: subprocess.Popen[str] | None = None
        self._loaded = formats.identity(tex.with_name(f"{fmt}.fmt"))   # the file it loads
        self.fifo.unlink(missing_ok=True)
        os.mkfifo(self.fifo, 0o600)
        try:
            self._run = _start(tex.parent, [*PDFLATEX, "-no-parse-first-line", f"-jobname={tex.stem}", f"-fmt={fmt}",
                                            self.fifo.name], sandbox_env())
        except BaseException:
            self.stop()
            raise

    def runs(self, tex: Path, fmt: str | None) -> bool:
        """Whether this pass can be the first over `tex` compiled with the format `fmt`."""
        return (self._run is not None and self._run.poll() is None and tex == self.tex and fmt == self.fmt
                and formats.identity(tex.with_name(f"{fmt}.fmt")) == self._loaded)   # not dumped again meanwhile

    def feed(self, tex: Path) -> subprocess.Popen[str] | None:
        """The running pass, given the text of `tex`; None (and the pass stopped) when it ended,
        did not open the FIFO in time, or the text does not fit the pipe: the pass is then run
        the ordinary way."""
        run, data = self._run, tex.read_bytes()
        fd = self._writer()
        if run is None or fd is None:
            self.stop()
            return None
        try:
            if _pipe_room(fd, len(data)) < len(data):
                self.stop()
                return None
            os.write(fd, data)   # all of it: the pipe is empty and has room for it
        finally:
            os.close(fd)   # pdflatex holds the pipe, and reads the text and then the end of the file
        self._run = None   # the caller's from here on
        self.fifo.unlink(missing_ok=True)
        return run

    def _writer(self) -> int | None:
        """The FIFO opened for writing once pdflatex has it open for reading; None if pdflatex
        ends, or does not get there within OPEN_WAIT."""
        deadline = time.monotonic() + self.OPEN_WAIT
        while self._run is not None and self._run.poll() is None and time.monotonic() < deadline:
            try:
                return os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError as error:
                if error.errno != errno.ENXIO:   # ENXIO: no reader yet; anything else ends the wait
                    return None
            time.sleep(0.002)
        return None

    def stop(self) -> None:
        """Stop the pass if it is still running unfed, and remove what it left."""
        run, self._run = self._run, None
        if run is not None:
            _kill_group(run)
            with run:
                pass
            (self.tex.parent / PID_FILE).unlink(missing_ok=True)
            # kpathsea's name for the record of what it read, until the log names the job
            (self.tex.parent / f"{self.fmt}{run.pid}.fls").unlink(missing_ok=True)
        self.fifo.unlink(missing_ok=True)

    def __enter__(self) -> Ahead:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def _pipe_room(fd: int, size: int) -> int:
    """The pipe's capacity, made at least `size` bytes where the system allows."""
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, max(size, 1 << 16))
    try:
        return fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
    except OSError:
        return 0


PID_FILE = "latex.pid"


def _record(pid_file: Path, pgid: int) -> None:
    """pdflatex's process group, written without following a link planted at the name."""
    fd = os.open(pid_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{pgid}\n")


def _group_in(pgid: int, directory: Path) -> list[int]:
    """The live processes of group `pgid` working in `directory` or below it (Linux /proc;
    elsewhere none are found, and a group left behind is not touched)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            fields = (proc / "stat").read_text().rpartition(")")[2].split()
            if int(fields[2]) != pgid or fields[0] == "Z":  # state, ppid, pgrp; a zombie is already dead
                continue
            cwd = Path(os.readlink(proc / "cwd"))
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not ours to look at
        if cwd == directory or cwd.is_relative_to(directory):
            found.append(int(proc.name))
    return found


def stop_orphan(work: Path) -> bool:
    """Stop the LaTeX a build killed outright left running in `work` (its PID_FILE is still
    there), so that it cannot write into the files the next build reads.  The group is killed
    only while one of its processes works inside `work`: a recycled id is left alone.
    Returns whether a compile had been cut short (its auxiliary files are not to be trusted)."""
    pid_file = work / PID_FILE
    try:  # read only as a regular file of our own: a link or a FIFO planted here is not followed
        fd = os.open(pid_file, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            text = handle.read(32).decode("ascii", "replace") if stat.S_ISREG(os.fstat(fd).st_mode) else ""
    except FileNotFoundError:
        return False
    except OSError:
        text = ""
    directory = work.resolve()
    if text.strip().isdigit() and (pgid := int(text)) > 1 and _group_in(pgid, directory):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        deadline = time.monotonic() + 5
        while _group_in(pgid, directory) and time.monotonic() < deadline:
            time.sleep(0.02)
    with contextlib.suppress(OSError):  # a directory planted at the name stays, and fails the compile
        pid_file.unlink(missing_ok=True)
    return True


def _kill_group(run: subprocess.Popen[str]) -> None:
    """Kill pdflatex and everything it started, and wait until they are gone."""
    try:
        os.killpg(run.pid, signal.SIGKILL)
    except ProcessLookupError:  # pdflatex and its children have all exited already
        pass
    run.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(run.pid, 0)  # anyone left in the group (until it is reaped)?
        except ProcessLookupError:
            return
        time.sleep(0.02)


ERROR_LINE = re.compile(r"^(?P<file>[^\s:]+\.tex):(?P<line>\d+): (?P<message>.*)$", re.M)


def explain(tex: Path, output: str, status: int | None = None) -> str:
    """The first error in the log, with the surrounding .tex source; with none there, how
    pdflatex ended (`status`, its exit status: negative when a signal stopped it)."""
    log_path = tex.with_suffix(".log")
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else output
    match = ERROR_LINE.search(log)
    if match is None:
        bang = re.search(r"^!\s*(.*\S)", log, re.M)  # "! Undefined ...", "! LaTeX Error: ...", "!pdfTeX error: ..."
        if bang:
            first = bang.group(1)
        elif status is not None and status < 0:
            first = (f"pdflatex was stopped by {_signal_name(-status)} before it logged an error "
                     f"(run the build again; if it recurs, look for what stops processes on this machine)")
        else:
            first = "no error message found in the log" + (f" (pdflatex exited with status {status})" if status else "")
        return f"LaTeX failed on {tex.name}: {first}\n(full log: {log_path})"
    line = int(match["line"])
    message = match["message"]
    source = Path(tex.parent, match["file"])
    lines = source.read_text(encoding="utf-8").splitlines() if source.exists() else []
    low, high = max(1, line - CONTEXT_LINES), min(len(lines), line + CONTEXT_LINES)
    context = "\n".join(f"{'>' if n == line else ' '} {n:5d} | {_clip(lines[n - 1])}" for n in range(low, high + 1))
    return f"LaTeX error in {match['file']} line {line}: {message}\n{context}\n(full log: {log_path})"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _clip(text: str, width: int = 160) -> str:
    """One source line as shown in the message: a 100-column matrix is not worth a screenful."""
    return text if len(text) <= width else text[:width - 5] + " ..."
