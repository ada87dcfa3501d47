"""Run latexmk non-interactively; turn a failure into a readable message."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from solver import interrupts, toolchain

TIMEOUT_SECONDS = 120
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
    run: subprocess.Popen[str] | None = None
    try:
        with interrupts.held():
            run = subprocess.Popen([*LATEXMK, tex.name], cwd=tex.parent, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
    except BaseException:  # a signal held back while latexmk started, now acted on
        if run is not None:
            _kill_group(run)
        raise
    with run:  # kill before leaving: Popen's __exit__ waits for latexmk to end
        try:
            output, _ = run.communicate(timeout=TIMEOUT_SECONDS)
        except BaseException as error:
            _kill_group(run)
            if isinstance(error, subprocess.TimeoutExpired):
                raise LatexError(f"LaTeX did not finish within {TIMEOUT_SECONDS} s on {tex}; stopped it.") from None
            raise
    if run.returncode != 0:
        raise LatexError(explain(tex, output))
    return tex.with_suffix(".pdf")


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
