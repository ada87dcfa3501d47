"""The pipeline: config → solve → figures → render → compile → publish, for either document.

    build(cfg, out, "solutions")   OUT/solutions.pdf, solutions.tex, answers.json, config.toml, figures/
    build(cfg, out, "problems")    OUT/problems.pdf: the questions with the configuration's numbers

`build`, `problems`, `variants` and `watch` all come here.  Outputs are published only when LaTeX
succeeds, all at once (solver/engine/publish.py), so a failed or interrupted build leaves the
previous ones as they were.  What each stage reuses is kept in one store (solver/engine/store.py:
OUT/.work, then the per-user cache), and whatever runs in parallel runs in the build's one worker
pool (solver/engine/workers.py).
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import time
import warnings
from concurrent.futures import Future
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from solver import __version__, config
from solver.engine import formats, pdflatex, publish, signals, store, toolchain
from solver.engine.drawing import Drawing, tex_paths, to_draw
from solver.engine.workers import Pool
from solver.questions import QUESTIONS, Question, Solutions, answers, solve_all

DOCUMENTS = ("solutions", "problems")


# ---------------------------------------------------------------- what every document says

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
    """The build date: SOURCE_DATE_EPOCH's (in UTC) when set, for reproducible builds; else today's local date."""
    epoch = source_date_epoch()
    moment = datetime.fromtimestamp(epoch, timezone.utc) if epoch is not None else datetime.now().astimezone()
    return f"{moment.day} {moment:%B %Y}"


def about(cfg: config.Config) -> dict[str, Any]:
    """What the title block and the provenance note print: `student.date` as given, else the build date."""
    return {"digest": cfg.digest, "version": __version__, **store.library_versions(),
            "date": cfg.student.date or document_date()}


def keys_of(cfg: config.Config, questions: Sequence[Question] = QUESTIONS) -> dict[str, str]:
    """Each question's cache key: exactly what its solve receives (its inputs, the report options) and the code."""
    return {q.id: store.key(q.id, cfg.resolved.get(q.id, {}), cfg.resolved["report"]) for q in questions}


# ---------------------------------------------------------------- solve

def solve_cached(cfg: config.Config, questions: Sequence[Question] = QUESTIONS) -> Solutions:
    """Every question from the per-user cache when it holds the result for this configuration, else
    solved and stored there (`answers`: without SymPy when all are cached)."""
    keys = keys_of(cfg, questions)
    shared = store.Store(None)
    return solve_all(cfg, questions, lambda q, cfg: shared.get_or_make("results", q.id, keys[q.id],
                                                                        lambda: q.solve(cfg), lazy=True))


def _solve_in_worker(q: Question, cfg: config.Config, wanted: str, fig: dict[str, str],
                     questions: Sequence[Question], templates: Sequence[Path]) -> bool:
    """A worker's job on a first build: solve `q` into the user cache, and render its fragment of
    solutions.tex there too (the build meanwhile waits for the other questions).  Whether the result
    could be stored: the build reads it back from there, as a rebuild would (the same printed forms)."""
    result = _solved_quietly(q, cfg)
    path = store.entry("results", q.id, wanted)
    store.store(path, wanted, result)
    from solver import render

    with contextlib.suppress(Exception):   # best effort: the render stage renders what is missing
        render.prerender(q, wanted, result, cfg.report.decimals, fig, questions, templates, cfg.report.study)
    return path.exists()


def _derivations_cached() -> bool:
    """Whether the user cache holds derivations (`store.memo`) made by this code: on a first build
    (none) solving takes seconds a question, worth a worker each; else milliseconds."""
    try:
        names = {path.stem.rsplit("-", 1)[0] for path in (store.user_dir() / "memo").glob("*.json")}
        return any(store.entry("memo", name, store.key("memo", name)).exists() for name in names)
    except OSError:   # an unreadable user cache is an empty one
        return False


def _solve(cfg: config.Config, results: store.Store, keys: dict[str, str], questions: Sequence[Question],
           pool: Pool, templates: Sequence[Path], first: bool) -> tuple[Solutions, dict[str, Any]]:
    """Every question's result, and the outcome of solving them all: answers.json's text and the warnings
    given.  When a build already solved and checked these very results (their outcome is kept under their
    keys), the warnings are given again and the results read from the store only as they are used
    (`_Kept`): a build that changes only the student reads none of them."""
    from solver.divergence import DivergenceWarning

    wanted = store.key("outcome", sorted(keys.items()))
    kept = results.get("outcome", "solutions", wanted, check=_outcome_intact)
    if kept is not None:
        for text in kept["warnings"]:
            warnings.warn(DivergenceWarning(text), stacklevel=2)
        return _Kept(cfg, results, keys, questions), kept
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            solutions = _solve_all(cfg, results, keys, questions, pool, templates, first)
    finally:   # shown as they would have been, once solving is over or has failed
        for warning in caught:
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
    outcome = {"answers": answers_json(solutions, questions), "warnings": [str(w.message) for w in caught]}
    if all(issubclass(w.category, DivergenceWarning) for w in caught):   # what can be given again as it was
        results.put("outcome", "solutions", wanted, outcome)
    return solutions, outcome


def _outcome_intact(value: Any) -> bool:
    return (isinstance(value, dict) and isinstance(value.get("answers"), str) and isinstance(value.get("warnings"), list)
            and all(isinstance(text, str) for text in value["warnings"]))


class _Kept(Mapping[str, Any]):
    """Results solved and checked by an earlier build, each read from the store when first used (solved
    again, with the same outcome, if the store lost it)."""

    def __init__(self, cfg: config.Config, results: store.Store, keys: dict[str, str],
                 questions: Sequence[Question]) -> None:
        self._cfg, self._results, self._keys = cfg, results, keys
        self._questions = {q.id: q for q in questions}
        self._read: dict[str, Any] = {}

    def __getitem__(self, qid: str) -> Any:
        if qid not in self._read:
            q = self._questions[qid]
            self._read[qid] = self._results.get_or_make("results", qid, self._keys[qid],
                                                        lambda: _solved_quietly(q, self._cfg), lazy=True)
        return self._read[qid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._questions)

    def __len__(self) -> int:
        return len(self._questions)


def _solved_quietly(q: Question, cfg: config.Config) -> Any:
    """q solved without numpy's overflow warnings (divergence.solve_finite reports what overflowed)."""
    import numpy as np

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return q.solve(cfg)


def _solve_all(cfg: config.Config, results: store.Store, keys: dict[str, str], questions: Sequence[Question],
               pool: Pool, templates: Sequence[Path], first: bool) -> Solutions:
    """Every question, from the store when its key matches, else solved: in the pool, one question a
    worker, on a `first` build (no derivation cached yet) when two or more are missing, else here."""
    found = {q.id: results.get("results", q.id, keys[q.id], lazy=True) for q in questions}
    missing = [q for q in questions if found[q.id] is None]
    solving: dict[str, Future[Any]] = {}
    if len(missing) >= 2 and pool.forks and first:
        import sympy  # noqa: F401  (once, before forking: every worker and this process use it)

        fig = tex_paths(questions)
        for q in missing:
            solving[q.id] = pool.submit(_solve_in_worker, q, cfg, keys[q.id], fig, questions, templates)

    def solved(q: Question, cfg: config.Config) -> Any:
        if found[q.id] is not None:
            return found[q.id]
        if q.id in solving and solving[q.id].exception() is None and solving[q.id].result():
            result = results.get("results", q.id, keys[q.id], lazy=True)
            if result is not None:
                return result
        # solved here (a worker that failed too), where a failure is reported
        return results.get_or_make("results", q.id, keys[q.id], lambda: q.solve(cfg), lazy=True)

    return solve_all(cfg, questions, solved)


# ---------------------------------------------------------------- compile

LATEX_STATE = pdflatex.READ_BACK   # what one pdflatex pass carries to the next


def _forget_aux(tex: Path) -> None:
    """After a failed run the auxiliary files may be half-written: start afresh next time."""
    for suffix in pdflatex.AUX_SUFFIXES:
        tex.with_suffix(suffix).unlink(missing_ok=True)
    (tex.parent / pdflatex.STAMP).unlink(missing_ok=True)  # the .log stays: the error message names it


def _latex_inputs(tex: Path, figures: dict[str, Path]) -> str:
    """sha256 over every file the compile reads from its folder: the .tex, the figures and
    the auxiliary files (system files change only with the TeX installation)."""
    digest = hashlib.sha256()
    for path in [tex, *sorted(figures.values()), *(tex.with_suffix(s) for s in LATEX_STATE)]:
        try:
            data = store.read_regular(path)   # a FIFO planted in .work must not hang the build
        except OSError:
            data = None
        digest.update(path.name.encode() + (b"\0missing" if data is None else b"\1" + hashlib.sha256(data).digest()))
    return digest.hexdigest()


def _pdf_digest(tex: Path) -> str | None:
    try:
        return hashlib.sha256(tex.with_suffix(".pdf").read_bytes()).hexdigest()
    except OSError:
        return None


def _seed_aux(tex: Path) -> bool:
    """A new output directory starts from the auxiliary files of the last compile of this document
    in the user cache: pdflatex then runs again only if the .aux it writes differs from the seed
    (references or page numbers moved), so the result is the same fixed point, in one pass when
    nothing moved.  Best effort: anything wrong with the seed costs a pass, never the build."""
    if tex.with_suffix(".aux").exists():
        return False
    state = store.load(store.user_dir() / "latex" / f"{tex.stem}.json", store.key("latex state", tex.stem))
    if not isinstance(state, dict) or set(state) - set(LATEX_STATE):
        return False
    try:
        for suffix, text in state.items():
            publish.write_new(tex.with_suffix(suffix), base64.b64decode(text, validate=True))
    except (OSError, ValueError, TypeError):
        _forget_aux(tex)
        return False
    return True


def _keep_aux(tex: Path) -> None:
    state = {}
    for suffix in LATEX_STATE:
        with contextlib.suppress(OSError):
            state[suffix] = base64.b64encode(tex.with_suffix(suffix).read_bytes()).decode("ascii")
    if ".aux" in state:
        store.store(store.user_dir() / "latex" / f"{tex.stem}.json", store.key("latex state", tex.stem), state)


def _compile(tex: Path, figures: Drawing | None, ahead: pdflatex.Ahead | None = None) -> Path:
    """The fewest LaTeX passes: none when nothing it reads changed since the last compile (whose PDF
    is intact), else as many as the references need (solver/engine/pdflatex.py), reusing the
    auxiliary files (seeded from the user cache in a new directory); the first pass starts while
    figures are still drawn."""
    paths = figures.paths if figures is not None else {}
    recorded = store.load(tex.parent / pdflatex.STAMP, "latex")
    if (isinstance(recorded, dict) and not (figures is not None and figures.pending)
            and recorded.get("pdf") is not None and recorded.get("pdf") == _pdf_digest(tex)
            and recorded.get("inputs") == _latex_inputs(tex, paths)):
        if ahead is not None:
            ahead.stop()
        signals.checkpoint("compiled")
        return tex.with_suffix(".pdf")   # the .tex and every file it reads are as the last compile left them
    (tex.parent / pdflatex.STAMP).unlink(missing_ok=True)
    seeded = _seed_aux(tex)
    try:
        try:
            pdf = pdflatex.pdf(tex, figures, ahead=ahead)
        except pdflatex.LatexError:
            if not seeded:
                raise
            _forget_aux(tex)   # a seed LaTeX cannot read costs a fresh compile, never the build
            pdf = pdflatex.pdf(tex, figures)
        if not pdf.is_file():
            raise pdflatex.LatexError(f"LaTeX wrote no PDF for {tex} (full log: {tex.with_suffix('.log')})")
        signals.checkpoint("compiled")
    except BaseException:
        _forget_aux(tex)
        raise
    store.store(tex.parent / pdflatex.STAMP, "latex", {"inputs": _latex_inputs(tex, paths), "pdf": _pdf_digest(tex)})
    _keep_aux(tex)
    return pdf


# ---------------------------------------------------------------- the pipeline

def build(cfg: config.Config | Callable[[], config.Config], out: Path, document: str = "solutions",
          say: Callable[[str], None] = print, questions: Sequence[Question] = QUESTIONS,
          templates: Sequence[Path] = ()) -> Path:
    """Build `document` ("solutions" or "problems") into OUT from `cfg` and return the PDF's path.

    `cfg` may be a function that reads the configuration: on a rebuild it is called once LaTeX's first
    pass has started (the command line's `build`), and what it raises ends the build, OUT as it was.
    `questions` are the registry's unless given; `templates` are extra folders to look for
    templates in, before the project's own."""
    if document not in DOCUMENTS:
        raise ValueError(f"document: got {document!r}, expected one of {DOCUMENTS}")
    clock = start = time.perf_counter()

    def stage(name: str) -> None:
        """Each stage's time (the problem sheet's in one line, when it is done)."""
        nonlocal clock
        now = time.perf_counter()
        if document == "solutions":
            say(f"{name:<8} {now - clock:6.2f} s")
        elif name == "compile":
            say(f"{document:<8} {now - start:6.2f} s")
        clock = now

    work = out / ".work"
    with contextlib.ExitStack() as held:
        # On a rebuild, OUT's lock is taken at once, to start LaTeX meanwhile (_start_ahead), even before
        # the configuration is read when `cfg` reads it; taking a lock file that exists writes nothing.
        # Else only once solved.
        last_format = _rebuild_format(out, work) if document == "solutions" and not toolchain.missing_tools() else None
        ahead = None
        if last_format is not None:
            held.enter_context(publish.locked(out))
            _prepare(out, work)
            ahead = _start_ahead(work, last_format, held)
        if callable(cfg):   # a refused configuration stops the pass started ahead (`held`)
            cfg = cfg()
        toolchain.require()  # before any other work: without TeX there is nothing to publish
        keys = keys_of(cfg, questions)
        results = store.Store(work / "cache", defer=True)   # OUT is written only under its lock
        drawn = questions if document == "solutions" else ()
        # On a rebuild with figures to draw, a worker per figure (at most one per CPU) is forked
        # now: their matplotlib import overlaps the solving and rendering.  On a first build the
        # workers solve first (`_solve`), then draw.
        first = not _derivations_cached()
        study = cfg.report.study
        figures = 0 if first else sum(len(q.figure_parts_of(study)) for q in to_draw(work / "figures", keys, drawn, study))
        warm = figures > 0
        from solver.engine import mpl

        pool = held.enter_context(Pool(figures or None, warm=mpl.prepare if warm else None))
        if warm:
            pool.start()
        # Solved before OUT is written: a diverging configuration leaves it as it was.
        solutions, outcome = _solve(cfg, results, keys, questions, pool, templates, first)
        stage("solve")
        signals.checkpoint("solved")
        if last_format is None:
            out.mkdir(parents=True, exist_ok=True)
            held.enter_context(publish.locked(out))
            _prepare(out, work)
        work.mkdir(exist_ok=True)
        results.flush()
        signals.checkpoint("cached")
        if document == "solutions":
            drawing = Drawing(pool, questions, work / "figures", keys, study)
            return _solutions(cfg, out, work, keys, solutions, outcome["answers"], questions, templates, drawing, stage,
                              ahead)
        return _problems(cfg, out, work, solutions, questions, templates, stage)


def _prepare(out: Path, work: Path) -> None:
    """Under OUT's lock, before the build writes there: no link to write through, and nothing an
    interrupted build left half-done (solver/engine/publish.py)."""
    publish.refuse_links(out, work)
    publish.sweep(out, work)


def _rebuild_format(out: Path, work: Path) -> str | None:
    """On a rebuild of solutions.tex whose first LaTeX pass can start before solving (OUT's lock
    file, .work, an .aux and an intact copy of the format the last pass used are there already),
    that format's name; else None."""
    tex = work / "solutions.tex"
    if not ((out / ".lock").is_file() and not (out / ".lock").is_symlink() and work.is_dir()
            and not work.is_symlink() and tex.with_suffix(".aux").is_file()):
        return None
    fmt = formats.last_used(tex)
    return fmt if fmt is not None and formats.intact(work / f"{fmt}.fmt") else None


def _start_ahead(work: Path, fmt: str, held: contextlib.ExitStack) -> pdflatex.Ahead | None:
    """Under OUT's lock: the first LaTeX pass over solutions.tex started now on the format `fmt`, to
    load it while the build solves and renders (pdflatex.Ahead), stopped when the build ends unless fed."""
    tex = work / "solutions.tex"
    if not (tex.with_suffix(".aux").is_file() and formats.intact(work / f"{fmt}.fmt")):
        return None   # swept meanwhile
    with contextlib.suppress(OSError):   # a FIFO that cannot be made: the passes run as usual
        return held.enter_context(pdflatex.Ahead(tex, fmt))
    return None


def _solutions(cfg: config.Config, out: Path, work: Path, keys: dict[str, str], solutions: Solutions,
               answers_text: str, questions: Sequence[Question], templates: Sequence[Path], drawing: Drawing,
               stage: Callable[[str], None], ahead: pdflatex.Ahead | None = None) -> Path:
    from solver import render

    # The figures not reused are drawn in the workers from here on, while this process renders
    # and LaTeX runs: LaTeX waits at a figure only until it is in place.
    drawing.start(solutions)
    try:
        stage("figures")
        tex = render.solutions(cfg, work / "cache", keys, solutions, tex_paths(questions), about(cfg),
                               questions, templates)
        (work / "solutions.tex").write_text(tex, encoding="utf-8")
        store.save_typeset()
        stage("render")
        signals.checkpoint("rendered")
        pdf = _compile(work / "solutions.tex", drawing, ahead)
        drawing.finish()
    except BaseException:
        drawing.abort()
        raise
    signals.checkpoint("drawn")
    publish.publish(out, {**{f"figures/{path.name}": path for path in drawing.paths.values()},
                          "solutions.pdf": pdf}, {
        "solutions.tex": tex,
        "answers.json": answers_text,
        "config.toml": config.dumps(cfg.resolved),
    })
    stage("compile")
    return out / "solutions.pdf"


def _problems(cfg: config.Config, out: Path, work: Path, solutions: Solutions, questions: Sequence[Question],
              templates: Sequence[Path], stage: Callable[[str], None]) -> Path:
    from solver import latex

    folder = work / "problems"
    if folder.is_symlink():
        raise publish.OutputError(f"{folder} is a symbolic link; remove it (the build writes only inside {out})")
    folder.mkdir(exist_ok=True)
    tex = latex.render("problems.tex.j2", cfg.report.decimals, search=templates, cfg=cfg, questions=questions,
                       s=solutions, about=about(cfg), document="Problems")
    (folder / "problems.tex").write_text(tex, encoding="utf-8")
    stage("render")
    pdf = _compile(folder / "problems.tex", None)
    publish.publish(out, {"problems.pdf": pdf}, {})
    stage("compile")
    return out / "problems.pdf"
