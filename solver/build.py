"""The recipe: config → solve → figures → render → compile → publish.

Outputs are published only when LaTeX succeeds, each by an atomic rename, so a
failed or interrupted build leaves the previous PDF and answers as they were.
LaTeX works in OUT/.work, kept between builds so that a rebuild reuses the
auxiliary files (one pdflatex pass instead of two).
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from solver import __version__, cache, compile, config, latex, toolchain
from solver.questions import QUESTIONS, Question, Solutions, answers, solve_all

AUX_SUFFIXES = (".aux", ".fdb_latexmk", ".fls", ".log", ".out", ".toc")


def answers_json(solutions: Solutions, questions: Sequence[Question] = QUESTIONS) -> str:
    return json.dumps(answers(solutions, questions), indent=2) + "\n"


def document_date() -> str:
    """The build date: SOURCE_DATE_EPOCH when set (reproducible builds), else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(timezone.utc)
    return f"{moment.day} {moment:%B %Y}"


def about(cfg: config.Config) -> dict[str, Any]:
    return {
        "digest": cfg.digest,
        "version": __version__,
        "numpy": version("numpy"),
        "sympy": version("sympy"),
        "matplotlib": version("matplotlib"),
        "date": document_date(),
    }


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """One build at a time per output directory."""
    with open(out / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _publish(out: Path, work: Path, figures: dict[str, Path], texts: dict[str, str]) -> None:
    """Write every output beside its target first, then rename them all: a full disk
    fails before the first rename, so the PDF and answers.json never disagree."""
    (out / "figures").mkdir(exist_ok=True)
    files = {out / "figures" / path.name: path.read_bytes() for path in figures.values()}
    files.update({out / name: text.encode("utf-8") for name, text in texts.items()})
    files[out / "solutions.pdf"] = (work / "solutions.pdf").read_bytes()
    staged: dict[Path, Path] = {}
    try:
        for path, data in files.items():
            tmp = staged.setdefault(path, path.with_name(f".{path.name}.tmp{os.getpid()}"))
            tmp.write_bytes(data)
        for path, tmp in staged.items():
            os.replace(tmp, path)
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)


def _solve(cfg: config.Config, directory: Path, keys: dict[str, str],
           questions: Sequence[Question]) -> tuple[Solutions, dict[str, Any]]:
    """All questions, each taken from the cache when its key matches; also returns
    the freshly computed ones, for the caller to store once the build may write."""
    fresh: dict[str, Any] = {}

    def cached(q: Question, cfg: config.Config) -> Any:
        result = cache.load(directory / f"{q.id}.json", keys[q.id])
        if result is None:
            result = fresh[q.id] = q.solve(cfg)
        return result

    return solve_all(cfg, questions, cached), fresh


def _forget_aux(work: Path) -> None:
    """After a failed run the auxiliary files may be half-written: start afresh next time."""
    for suffix in AUX_SUFFIXES:
        (work / f"solutions{suffix}").unlink(missing_ok=True)


def build(cfg: config.Config, out: Path, say: Callable[[str], None] = print,
          questions: Sequence[Question] = QUESTIONS, templates: Sequence[Path] = ()) -> Path:
    """Build OUT/solutions.pdf (and .tex, answers.json, config.toml, figures/) from `cfg`.

    `questions` are the registry's unless given; `templates` are extra folders to
    look for their templates in, before the package's own."""
    toolchain.require()  # before any work: without TeX there is nothing to publish
    clock = time.perf_counter()

    def stage(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        say(f"{name:<8} {now - clock:6.2f} s")
        clock = now

    work = out / ".work"
    keys = {q.id: cache.key(q.id, cfg.resolved.get(q.id, {}), cfg.resolved["report"]) for q in questions}
    solutions, fresh = _solve(cfg, work / "cache", keys, questions)  # before touching OUT: a diverging config leaves it as it was
    stage("solve")
    out.mkdir(parents=True, exist_ok=True)
    with _locked(out):
        work.mkdir(exist_ok=True)
        for question, result in fresh.items():
            cache.store(work / "cache" / f"{question}.json", keys[question], result)

        from solver.figures import draw_all  # matplotlib only when drawing

        figures = draw_all(solutions, work / "figures", keys, questions)
        stage("figures")

        tex = latex.render(
            "solutions.tex.j2", cfg.report.decimals, search=templates,
            cfg=cfg, questions=questions, s=solutions, fig={name: f"figures/{p.name}" for name, p in figures.items()},
            about=about(cfg),
        )
        (work / "solutions.tex").write_text(tex, encoding="utf-8")
        stage("render")

        try:
            compile.pdf(work / "solutions.tex")
        except BaseException:
            _forget_aux(work)
            raise
        _publish(out, work, figures, {
            "solutions.tex": tex,
            "answers.json": answers_json(solutions, questions),
            "config.toml": config.dumps(cfg.resolved),
        })
        stage("compile")
    return out / "solutions.pdf"
