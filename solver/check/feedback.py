"""The feedback PDF of `check --pdf`: the report through the project's LaTeX pipeline (the
Jinja environment and filters of solver.latex, solver.engine.pdflatex.pdf), with a template of its own."""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

from solver.check.slips import by_id
from solver.check.steps import Report

MARK = {"correct": r"\okmark", "wrong": r"\wrongmark", "follows": r"\followsmark", "missing": r"\missingmark"}
# The PDF's fonts are T1 Latin Modern: the catalogue's Unicode maths is spelt out.
ASCII = str.maketrans({"₁": "1", "₂": "2", "ᵀ": "^T", "δ": "delta", "η": "eta", "θ": "theta", "∇": "grad ",
                       "−": "-", "ẑ": "z_hat", "ⱼ": "_j", "²": "^2", "½": "1/2", "≤": "<=", "±": "+/-",
                       "₀": "0", "ₗ": "l", "⁽": "(", "⁾": ")", "ⁱ": "i", "·": "*", "→": "->", "×": "x",
                       "Σ": "sum", "₍": "(", "₎": ")", "∂": "d", "ⱼ": "_j"})


SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
SAMPLE = re.compile("⁽([⁰¹²³⁴⁵⁶⁷⁸⁹]+)⁾")


def ascii_text(text: str) -> str:
    """x⁽²⁾ -> x(2), z₁ -> z1, ∂L/∂W₁ -> dL/dW1, and the catalogue's other symbols spelt out."""
    text = SAMPLE.sub(lambda m: "(" + m.group(1).translate(SUPERSCRIPT_DIGITS) + ")", text)
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text.translate(ASCII))   # no control characters


def _value(env: Any) -> Any:
    num, vec, matrix, tex = (env.filters[n] for n in ("num", "rowvec", "matrix", "tex"))

    def value(x: Any) -> str:
        if x is None:
            return "---"
        if isinstance(x, str):
            return r"\texttt{" + tex(ascii_text(x)) + "}"
        if isinstance(x, list) and x and isinstance(x[0], list):
            return "$" + matrix(x) + "$"
        if isinstance(x, list):
            return "$" + vec(x) + "$"
        return "$" + num(float(x)) + "$"
    return value


def environment() -> Any:
    """The templates' environment with the feedback's own `value` filter (a jinja2.Environment)."""
    from solver.latex import make_environment

    env = make_environment(4)
    env.filters["value"] = _value(env)
    return env


def tex_source(report: Report, source: str, blank: list[str] | None = None) -> str:
    env = environment()
    firsts = [{"path": ascii_text(f.name), "slip": f.slip, "note": ascii_text(f.note),
               "words": ascii_text(by_id()[f.slip].words) if f.slip else "",
               "recompute": ascii_text(by_id()[f.slip].recompute) if f.slip else ""}
              for f in report.first_wrong_by_question().values()]
    rows = [{"mark": MARK[i.verdict], "path": ascii_text(i.name), "slip": i.slip, "note": ascii_text(i.note),
             "given": i.given, "expected": i.expected,
             "cause": ascii_text(report.label_of(i.cause)) if i.verdict == "follows" else ""}
            for i in report.items if i.verdict != "missing"]
    counts = {v: sum(i.verdict == v for i in report.items) for v in MARK}
    return env.get_template("feedback.tex.j2").render(source=ascii_text(Path(source).name), rows=rows,
                                                      firsts=firsts, counts=counts,
                                                      blank=[ascii_text(b) for b in blank or []])


FOLDER = "feedback"   # in the user cache: one folder per run, PID-...; a killed run's swept by the next


@contextlib.contextmanager
def _work_dir() -> Iterator[str]:
    """A private folder for one feedback compile, removed after it; in the user cache, where the
    next run removes what a killed one left (its LaTeX stopped first).  The system's temporary
    folder only when the user cache cannot be written."""
    from solver.engine import pdflatex, store

    home = store.user_dir() / FOLDER
    try:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        for stale in home.iterdir():
            pid = stale.name.partition("-")[0]
            if pid.isdigit() and not _alive(int(pid)) and stale.is_dir() and not stale.is_symlink():
                pdflatex.stop_orphan(stale)
                shutil.rmtree(stale, ignore_errors=True)
        where = tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=home)
    except OSError:
        where = tempfile.mkdtemp(prefix="hw1-feedback-")
    try:
        yield where
    finally:
        shutil.rmtree(where, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pdf(report: Report, out: Path, source: str, blank: list[str] | None = None) -> Path:
    """Compile the feedback and put it at `out` (replaced atomically); returns `out`."""
    from solver.engine import pdflatex, store

    with _work_dir() as work:
        tex = Path(work, "feedback.tex")
        tex.write_text(tex_source(report, source, blank), encoding="utf-8")
        try:
            made = pdflatex.pdf(tex)
        except pdflatex.LatexError as error:
            log = out.with_suffix(".log")
            store.write_atomic(log, tex.with_suffix(".log").read_bytes())   # never through a link at its name
            raise pdflatex.LatexError(str(error).replace(str(tex.with_suffix(".log")), str(log))) from None
        out.parent.mkdir(parents=True, exist_ok=True)
        store.write_atomic(out, made.read_bytes())
    return out
