"""Run latexmk non-interactively; turn a failure into a readable message."""
from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import subprocess
import time
from pathlib import Path

from solver import interrupts, toolchain

TIMEOUT_SECONDS = 120
AUX_SUFFIXES = (".aux", ".fdb_latexmk", ".fls", ".out", ".toc", ".pdf")  # what a failed or killed run may leave half-written
STAMP = "latex.json"  # the build's record of what the last successful compile read (solver/build.py)
CONTEXT_LINES = 2

LATEXMK = [
    "latexmk",
    "-pdf",
    "-interaction=batchmode",
    "-halt-on-error",
    "-file-line-error",
    "-no-shell-escape",
    "-norc",
]

# kpathsea settings: no reading or writing outside the working directory, no \write18.
SANDBOX_ENV = {"openin_any": "p", "openout_any": "p", "shell_escape": "f"}


class LatexError(RuntimeError):
    """LaTeX failed; the message names the first error and shows its source."""


def pdf(tex: Path) -> Path:
    """Compile `tex` in its own directory and return the PDF's path."""
    toolchain.require()
    env = {**os.environ, **SANDBOX_ENV}
    if "SOURCE_DATE_EPOCH" in env:
        env["FORCE_SOURCE_DATE"] = "1"
    # latexmk's own group, so that a timeout or Ctrl-C stops the pdflatex it started too.
    # A Ctrl-C or SIGTERM while the child is being started is held back until `run` exists: it
    # would otherwise interrupt Popen itself and leave latexmk running unowned.
    # Its group id goes into PID_FILE, so that if this process is killed outright (SIGKILL), the
    # next build can stop the LaTeX left running before it writes into the same directory.
    run: subprocess.Popen[str] | None = None
    pid_file = tex.parent / PID_FILE
    try:
        with interrupts.held():
            run = subprocess.Popen([*LATEXMK, tex.name], cwd=tex.parent, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
            _record(pid_file, run.pid)
    except BaseException:  # a signal held back while latexmk started, now acted on
        if run is not None:
            _kill_group(run)
            pid_file.unlink(missing_ok=True)
        raise
    with run:  # kill before leaving: Popen's __exit__ waits for latexmk to end
        try:
            interrupts.checkpoint("compiling")
            output, _ = run.communicate(timeout=TIMEOUT_SECONDS)
        except BaseException as error:
            _kill_group(run)
            if isinstance(error, subprocess.TimeoutExpired):
                raise LatexError(f"LaTeX did not finish within {TIMEOUT_SECONDS} s on {tex}; stopped it.") from None
            raise
        finally:
            pid_file.unlink(missing_ok=True)
    if run.returncode != 0:
        raise LatexError(explain(tex, output))
    return tex.with_suffix(".pdf")


PID_FILE = "latex.pid"


def _record(pid_file: Path, pgid: int) -> None:
    """latexmk's process group, written without following a link planted at the name."""
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
    """Kill latexmk and everything it started, and wait until they are gone."""
    try:
        os.killpg(run.pid, signal.SIGKILL)
    except ProcessLookupError:  # latexmk and its children have all exited already
        pass
    run.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(run.pid, 0)  # anyone left in the group (pdflatex, until it is reaped)?
        except ProcessLookupError:
            return
        time.sleep(0.02)


ERROR_LINE = re.compile(r"^(?P<file>[^\s:]+\.tex):(?P<line>\d+): (?P<message>.*)$", re.M)


def explain(tex: Path, output: str) -> str:
    """The first error in the log, with the surrounding .tex source."""
    log_path = tex.with_suffix(".log")
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else output
    match = ERROR_LINE.search(log)
    if match is None:
        bang = re.search(r"^!\s*(.*\S)", log, re.M)  # "! Undefined ...", "! LaTeX Error: ...", "!pdfTeX error: ..."
        first = bang.group(1) if bang else "no error message found in the log"
        return f"LaTeX failed on {tex.name}: {first}\n(full log: {log_path})"
    line = int(match["line"])
    message = match["message"]
    source = Path(tex.parent, match["file"])
    lines = source.read_text(encoding="utf-8").splitlines() if source.exists() else []
    low, high = max(1, line - CONTEXT_LINES), min(len(lines), line + CONTEXT_LINES)
    context = "\n".join(f"{'>' if n == line else ' '} {n:5d} | {_clip(lines[n - 1])}" for n in range(low, high + 1))
    return f"LaTeX error in {match['file']} line {line}: {message}\n{context}\n(full log: {log_path})"


def _clip(text: str, width: int = 160) -> str:
    """One source line as shown in the message: a 100-column matrix is not worth a screenful."""
    return text if len(text) <= width else text[:width - 5] + " ..."
