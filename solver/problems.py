"""The problem sheet: OUT/problems.pdf, the homework with the configuration's numbers and no solutions.

The same recipe as solutions.pdf (solver/build.py), minus the figures: solve (from OUT's
cache when solutions.pdf was built there first) → render templates/problems.tex.j2, which
includes each question's `statement` partial, the one the solution includes too → compile
in OUT/.work/problems → publish problems.pdf by an atomic rename, under OUT's lock.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Sequence

from solver import build, config, latex
from solver.engine import pdflatex, publish, signals, store, toolchain
from solver.questions import QUESTIONS, Question

NAME = "problems"


def build_problems(cfg: config.Config, out: Path, say: Callable[[str], None] = print,
                   questions: Sequence[Question] = QUESTIONS, templates: Sequence[Path] = ()) -> Path:
    """Build OUT/problems.pdf from `cfg`; nothing else in OUT changes (but the shared cache)."""
    toolchain.require()
    clock = time.perf_counter()
    work = out / ".work"
    keys = {q.id: store.key(q.id, cfg.resolved.get(q.id, {}), cfg.resolved["report"]) for q in questions}
    solutions, fresh = build._solve(cfg, work / "cache", keys, questions)
    signals.checkpoint("solved")
    out.mkdir(parents=True, exist_ok=True)
    with publish.locked(out):
        publish.refuse_links(out, work)
        if (work / NAME).is_symlink():
            raise publish.OutputError(f"{work / NAME} is a symbolic link; remove it (the build writes only inside {out})")
        publish.sweep(out, work)
        (work / NAME).mkdir(parents=True, exist_ok=True)
        for question, result in fresh.items():
            store.store(work / "cache" / f"{question}.json", keys[question], result)
        tex = latex.render(f"{NAME}.tex.j2", cfg.report.decimals, search=templates, cfg=cfg, questions=questions,
                           s=solutions, about=build.about(cfg), document="Problems")
        source = work / NAME / f"{NAME}.tex"
        source.write_text(tex, encoding="utf-8")
        try:
            pdf = pdflatex.pdf(source)
        except BaseException:
            for suffix in pdflatex.AUX_SUFFIXES:
                source.with_suffix(suffix).unlink(missing_ok=True)
            raise
        target = out / f"{NAME}.pdf"
        staged = target.with_name(f".{target.name}.tmp{os.getpid()}")
        try:
            publish.write_new(staged, pdf.read_bytes())
            with signals.held():
                os.replace(staged, target)
        finally:
            staged.unlink(missing_ok=True)
    say(f"{NAME:<8} {time.perf_counter() - clock:6.2f} s")
    return target
