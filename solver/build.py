"""The recipe: config → solve → figures → render → compile → publish.

Outputs are published only when LaTeX succeeds, each by an atomic rename, so a
failed or interrupted build leaves the previous PDF and answers as they were.
LaTeX works in OUT/.work, kept between builds so that a rebuild reuses the
auxiliary files (one pdflatex pass instead of two).
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from solver import __version__, config, render
from solver.engine import pdflatex, publish, signals, store, toolchain
from solver.questions import QUESTIONS, Question, Solutions, answers, solve_all

if TYPE_CHECKING:
    from solver.engine.drawing import Drawing, Warm

def answers_json(solutions: Solutions, questions: Sequence[Question] = QUESTIONS) -> str:
    return json.dumps(answers(solutions, questions), indent=2) + "\n"


LATEST_EPOCH = 253402300799  # 9999-12-31T23:59:59Z, the last moment a four-digit year can print


def source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH as an integer, None when unset; a bad value is a ConfigError naming it."""
    text = os.environ.get("SOURCE_DATE_EPOCH")
    if text is None or text == "":
        return None
    shown = text if len(text) <= 30 else text[:27] + "..."
    if not (text.isascii() and text.isdigit()) or int(text) > LATEST_EPOCH:
        raise config.ConfigError([
            f"SOURCE_DATE_EPOCH: got {shown!r}, expected a whole number of seconds since 1970-01-01 "
            f"(0 to {LATEST_EPOCH}); set it to e.g. $(git log -1 --format=%ct) or unset it"
        ])
    return int(text)


def document_date() -> str:
    """The build date: SOURCE_DATE_EPOCH when set (reproducible builds), else today."""
    epoch = source_date_epoch()
    moment = datetime.fromtimestamp(epoch, timezone.utc) if epoch is not None else datetime.now(timezone.utc)
    return f"{moment.day} {moment:%B %Y}"


def about(cfg: config.Config) -> dict[str, Any]:
    return {
        "digest": cfg.digest,
        "version": __version__,
        **store.library_versions(),
        "date": document_date(),
    }


def keys_of(cfg: config.Config, questions: Sequence[Question] = QUESTIONS) -> dict[str, str]:
    """Each question's cache key: its inputs, the report options and the code."""
    return {q.id: store.key(q.id, cfg.resolved.get(q.id, {}), cfg.resolved["report"]) for q in questions}


def solve_cached(cfg: config.Config, questions: Sequence[Question] = QUESTIONS) -> Solutions:
    """Every question from the per-user cache when it holds the result for this configuration
    (the key a build uses; SymPy values stay encoded, `store.Sym`, with their float values), else
    solved and stored there as a build would: `answers` without SymPy when all are cached."""
    keys = keys_of(cfg, questions)

    def cached(q: Question, cfg: config.Config) -> Any:
        path = store.entry("results", q.id, keys[q.id])
        result = store.load(path, keys[q.id], lazy=True)
        if result is None:
            result = q.solve(cfg)
            store.store(path, keys[q.id], result)
        return result

    return solve_all(cfg, questions, cached)


def _solve_one(q: Question, cfg: config.Config, wanted: str, prerender: Callable[[Question, Any], None]) -> bool:
    """In a worker: solve `q` and store it in the user cache, then its fragment of solutions.tex
    (`prerender`, while the build waits for matplotlib anyway); False if it failed (the build
    then solves it itself, and reports what went wrong) or could not be stored."""
    import numpy as np

    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            result = q.solve(cfg)
        store.store(path := store.entry("results", q.id, wanted), wanted, result)
    except Exception:
        return False
    with contextlib.suppress(Exception):   # best effort: the render stage renders what is missing
        prerender(q, result)
    return path.exists()


def _solve_missing_in_parallel(cfg: config.Config, directory: Path, keys: dict[str, str],
                               questions: Sequence[Question], templates: Sequence[Path] | None,
                               first_build: bool, warm: Warm | None = None) -> None:
    """On a first build (the user cache holds no derivation yet), the questions neither cache
    holds, each solved in a worker process forked from this one and stored in the user cache,
    from which `_solve` then reads them as it would another directory's, while this process
    imports matplotlib for the figures and then forks `warm`'s drawing workers, which draw each
    question's figures as soon as it is solved.  Nothing when fewer than two are missing or one
    CPU, or when the derivations are cached: solving is then a few milliseconds a question, less
    than forking and importing matplotlib here (the figures' workers import it themselves, while
    LaTeX runs)."""
    missing = [q for q in questions
               if not (directory / f"{q.id}.json").exists() and not store.entry("results", q.id, keys[q.id]).exists()]
    import functools
    import multiprocessing

    from solver.engine.workers import cpus, forked
    from solver.engine.mpl import prepare

    workers = min(len(missing), cpus())
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods() or not first_build:
        return
    import sympy  # noqa: F401  (once, before forking: this process typesets the results too)

    def prerender(q: Question, result: Any) -> None:
        if templates is not None:
            from solver.engine.drawing import tex_paths

            render.prerender(q, keys[q.id], result, cfg.report.decimals, tex_paths(questions), questions, templates)

    def meanwhile() -> None:   # matplotlib for the figures, once, for every drawing worker forked after it
        prepare()
        if warm is not None:
            warm.start()

    def solved(index: int, stored: bool) -> None:
        if stored and warm is not None:
            warm.draw(missing[index], keys[missing[index].id])

    forked([functools.partial(_solve_one, q, cfg, keys[q.id], prerender) for q in missing], workers,
           *(store.user_dir() / kind for kind in ("results", "memo")),
           meanwhile=meanwhile if any(q.figures for q in missing) else lambda: None, then=solved)


def _derivations_cached() -> bool:
    """Whether the user cache holds derivations (`store.memo`, those without arguments) made
    by this code: their file names carry their keys."""
    try:
        names = {path.stem.rsplit("-", 1)[0] for path in (store.user_dir() / "memo").glob("*.json")}
        return any(store.entry("memo", name, store.key("memo", name)).exists() for name in names)
    except OSError:   # an unreadable user cache is an empty one
        return False


def _solve(cfg: config.Config, directory: Path, keys: dict[str, str],
           questions: Sequence[Question], templates: Sequence[Path] | None = None,
           first_build: bool | None = None, warm: Warm | None = None) -> tuple[Solutions, dict[str, Any]]:
    """All questions, each taken from the cache when its key matches; also returns
    the freshly computed ones, for the caller to store once the build may write.  With
    `templates` (a build's), questions solved in parallel also render their fragments, and
    `warm` draws their figures as each is solved; `first_build`: whether the user cache holds
    no derivation yet (found out when None)."""
    fresh: dict[str, Any] = {}
    first = not _derivations_cached() if first_build is None else first_build
    _solve_missing_in_parallel(cfg, directory, keys, questions, templates, first, warm)

    def cached(q: Question, cfg: config.Config) -> Any:
        result = store.load(directory / f"{q.id}.json", keys[q.id], lazy=True)
        if result is None:  # then the per-user cache: another output directory may have solved it
            result = store.load(store.entry("results", q.id, keys[q.id]), keys[q.id], lazy=True)
            if result is not None:
                fresh[q.id] = result  # copied into OUT/.work/cache once the build may write
        if result is None:
            result = fresh[q.id] = q.solve(cfg)
            store.store(store.entry("results", q.id, keys[q.id]), keys[q.id], result)
        return result

    return solve_all(cfg, questions, cached), fresh


def _forget_aux(work: Path) -> None:
    """After a failed run the auxiliary files may be half-written: start afresh next time."""
    for suffix in pdflatex.AUX_SUFFIXES:
        (work / f"solutions{suffix}").unlink(missing_ok=True)
    (work / pdflatex.STAMP).unlink(missing_ok=True)  # the .log stays: the error message names it


LATEX_STATE = pdflatex.READ_BACK   # what one pdflatex pass carries to the next


def _latex_inputs(work: Path, figures: dict[str, Path]) -> str:
    """sha256 over every file the compile reads from OUT/.work: the .tex, the figures and
    the auxiliary files (system files change only with the TeX installation)."""
    digest = hashlib.sha256()
    paths = [work / "solutions.tex", *sorted(figures.values()), *(work / f"solutions{s}" for s in LATEX_STATE)]
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            data = None
        digest.update(path.name.encode() + (b"\0missing" if data is None else b"\1" + hashlib.sha256(data).digest()))
    return digest.hexdigest()


def _pdf_digest(work: Path) -> str | None:
    try:
        return hashlib.sha256((work / "solutions.pdf").read_bytes()).hexdigest()
    except OSError:
        return None


def _last_compile(work: Path) -> tuple[str | None, bool]:
    """The inputs digest of the last successful compile, and whether its PDF is still there
    exactly as it left it."""
    recorded = store.load(work / pdflatex.STAMP, "latex")
    if not isinstance(recorded, dict):
        return None, False
    pdf = recorded.get("pdf")
    return recorded.get("inputs"), pdf is not None and pdf == _pdf_digest(work)


def _seed_aux(work: Path) -> bool:
    """A new output directory starts from the auxiliary files of the last compile in the user
    cache: pdflatex then runs again only if the .aux it writes differs from the seed
    (references or page numbers moved), so the result is the same fixed point, in one pass
    when nothing moved.  Best effort: anything wrong with the seed costs a pass, never the build."""
    if (work / "solutions.aux").exists():
        return False
    state = store.load(store.user_dir() / "latex" / "state.json", store.key("latex state"))
    if not isinstance(state, dict) or set(state) - set(LATEX_STATE):
        return False
    try:
        for suffix, text in state.items():
            publish.write_new(work / f"solutions{suffix}", base64.b64decode(text, validate=True))
    except (OSError, ValueError, TypeError):
        _forget_aux(work)
        return False
    return True


def _keep_aux(work: Path) -> None:
    state = {}
    for suffix in LATEX_STATE:
        with contextlib.suppress(OSError):
            state[suffix] = base64.b64encode((work / f"solutions{suffix}").read_bytes()).decode("ascii")
    if ".aux" in state:
        store.store(store.user_dir() / "latex" / "state.json", store.key("latex state"), state)


def _compile(work: Path, drawing: Drawing) -> None:
    """The fewest LaTeX passes: none when nothing it reads changed, else as many as the
    references need (solver.engine.pdflatex), reusing OUT/.work's auxiliary files (seeded from the
    user cache in a new directory); the first pass starts while figures are still drawn."""
    figures = drawing.paths
    inputs, pdf_intact = _last_compile(work)
    if not drawing.pending and pdf_intact and inputs == _latex_inputs(work, figures):
        signals.checkpoint("compiled")
        return   # the .tex and every file it reads are as the last compile left them: same PDF
    (work / pdflatex.STAMP).unlink(missing_ok=True)
    seeded = _seed_aux(work)
    try:
        try:
            pdflatex.pdf(work / "solutions.tex", drawing)
        except pdflatex.LatexError:
            if not seeded:
                raise
            _forget_aux(work)   # a seed LaTeX cannot read costs a fresh compile, never the build
            pdflatex.pdf(work / "solutions.tex", drawing)
        signals.checkpoint("compiled")
    except BaseException:
        _forget_aux(work)
        raise
    store.store(work / pdflatex.STAMP, "latex", {"inputs": _latex_inputs(work, figures), "pdf": _pdf_digest(work)})
    _keep_aux(work)


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
    keys = keys_of(cfg, questions)
    first_build = not _derivations_cached()
    warm = _warm_up(work / "figures", keys, questions, first_build)
    try:
        return _build(cfg, out, work, keys, questions, templates, warm, first_build, stage)
    finally:
        if warm is not None:
            warm.close()   # idempotent: the drawing, if it used the pool, has shut it down already


def _warm_up(figures: Path, keys: dict[str, str], questions: Sequence[Question], first_build: bool) -> Warm | None:
    """Workers for the figures this build will draw.  On a rebuild they are forked now, before it
    solves, so that their matplotlib import overlaps the solving and rendering; on a first build
    only once this process has imported matplotlib while its workers solve
    (`_solve_missing_in_parallel`), and they draw each question's figures as it is solved."""
    if not any(q.figures for q in questions):
        return None
    from solver.engine import drawing

    return drawing.warm(figures, keys, questions, start=not first_build)


def _build(cfg: config.Config, out: Path, work: Path, keys: dict[str, str], questions: Sequence[Question],
           templates: Sequence[Path], warm: Warm | None, first_build: bool, stage: Callable[[str], None]) -> Path:
    solutions, fresh = _solve(cfg, work / "cache", keys, questions, templates, first_build, warm)  # before touching OUT: a diverging config leaves it as it was
    stage("solve")
    signals.checkpoint("solved")
    out.mkdir(parents=True, exist_ok=True)
    with publish.locked(out):
        publish.refuse_links(out, work)
        publish.sweep(out, work)
        work.mkdir(exist_ok=True)
        for question, result in fresh.items():
            store.store(work / "cache" / f"{question}.json", keys[question], result)
        signals.checkpoint("cached")

        from solver.engine import drawing  # matplotlib only in the processes that draw

        # The figures not reused are drawn in worker processes from here on, while this one
        # renders and LaTeX runs: LaTeX waits at a figure only until it is in place.
        figures = drawing.start(solutions, work / "figures", keys, questions, warm)
        try:
            stage("figures")
            tex = render.solutions(cfg, work / "cache", keys, solutions, drawing.tex_paths(questions), about(cfg),
                                   questions, templates)
            (work / "solutions.tex").write_text(tex, encoding="utf-8")
            store.save_typeset()
            stage("render")
            signals.checkpoint("rendered")

            _compile(work, figures)
            figures.finish()
        except BaseException:
            figures.abort()
            raise
        signals.checkpoint("drawn")
        publish.publish(out, work, figures.paths, {
            "solutions.tex": tex,
            "answers.json": answers_json(solutions, questions),
            "config.toml": config.dumps(cfg.resolved),
        })
        stage("compile")
    return out / "solutions.pdf"
