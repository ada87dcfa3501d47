"""Figures: matplotlib (Agg), vector PDF, embedded TrueType fonts, styled like the text.

One function per figure, each drawing from solve's results only and returning
the path it wrote.  `draw_all` names every figure the document includes.
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import logging
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from solver import cache, interrupts
from solver.questions import QUESTIONS, Question, Solutions

# fontTools warns about the fixed font timestamps that make the PDFs reproducible.
logging.getLogger("fontTools").setLevel(logging.ERROR)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# STIX (shipped with matplotlib) for text and mathtext: its TrueType fonts carry a Unicode map,
# so the PDF's text reads "−10", "θ", "δ"; the cm mathtext fonts embed without one ("¡10", "µ", "±").
STYLE = {
    "pdf.fonttype": 42,                 # TrueType, never Type 3
    "font.family": "serif",
    "font.serif": ["STIXGeneral"],
    "mathtext.fontset": "stix",
    # Tick labels as plain text, in the same STIX: as mathtext each label went through
    # matplotlib's mathtext parser, 40% of drawing a figure (an axis in scientific notation asks
    # for mathtext itself, for its ×10^n).
    "axes.formatter.use_mathtext": False,
    "axes.unicode_minus": True,         # U+2212, which STIX has
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "lines.linewidth": 1.4,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.dpi": 100,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,
}

# Fixed metadata so that the same data gives the same bytes.
METADATA = {"Creator": None, "Producer": None, "CreationDate": None}

WIDTH = 6.0  # inches; the text block is about 6.3 in wide


def subplots(*grid: int, figsize: tuple[float, float], layout: str | None = None, **options: object
             ) -> tuple[Figure, object]:
    """pyplot.subplots without pyplot (no GUI backend machinery to import): a bare Figure,
    saved through the PDF backend by `save`."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout=layout)
    return fig, fig.subplots(*grid, **options)


def save(fig: Figure, directory: Path, name: str) -> Path:
    """Write `fig` as directory/name.pdf, atomically: an interrupted draw leaves no half a figure."""
    path = directory / f"{name}.pdf"
    tmp = directory / f".{name}.pdf.tmp{os.getpid()}"
    try:
        fig.savefig(tmp, format="pdf", metadata=METADATA)
        interrupts.checkpoint(f"drawing:{name}")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(cache.read_regular(path)).hexdigest()  # never through a planted link
    except OSError:
        return None


def draw_all(solutions: Solutions, directory: Path, keys: dict[str, str],
             questions: Sequence[Question] = QUESTIONS) -> dict[str, Path]:
    """Draw every question's figures into `directory`; returns name → path.

    `keys` holds each question's cache key (solver.cache.key of its inputs): a
    question whose key is unchanged since the last build into `directory` keeps
    its figures, and pyplot is not even imported when none needs drawing.  The
    figures still to draw are drawn in parallel worker processes (`_draw`).
    """
    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, dict[str, Path]] = {}
    missing: list[Question] = []
    for q in questions:
        manifest = directory / f"{q.id}.figures.json"
        recorded = cache.load(manifest, keys[q.id])  # name -> [file, sha256]: reused only if every file is intact
        drawn = None
        if isinstance(recorded, dict) and all(
                isinstance(v, list) and len(v) == 2 and Path(v[0]).name == v[0] and _digest(directory / v[0]) == v[1]
                for v in recorded.values()):
            drawn = {name: directory / file for name, (file, _) in recorded.items()}
        if drawn is None:
            drawn = _from_user_cache(q, directory, keys[q.id])
            if drawn is not None:
                cache.store(manifest, keys[q.id], {name: [path.name, _digest(path)] for name, path in drawn.items()})
        if drawn is None:
            missing.append(q)
        else:
            paths[q.id] = drawn
    if missing:
        fresh = _draw(solutions, directory, missing)
        for q in missing:
            drawn = fresh[q.id]
            record = {name: [path.name, _digest(path)] for name, path in drawn.items()}
            cache.store(directory / f"{q.id}.figures.json", keys[q.id], record)
            _to_user_cache(q, drawn, record, keys[q.id])
            paths[q.id] = drawn
    return {name: path for q in questions for name, path in paths[q.id].items()}


def _run_job(q: Question, part: str | None, result: Any, directory: Path) -> dict[str, Path]:
    import matplotlib

    with matplotlib.rc_context(STYLE):
        if part is None:
            return q.draw(result, directory)
        path = getattr(import_module(q.figures), part)(result, directory)
        return {path.stem: path}


def _worker_init() -> None:
    """The parent alone handles signals and kills its workers; a worker dies with its parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG (Linux)


def prepare() -> None:
    """Import what drawing needs (matplotlib builds its font list on its first run ever)."""
    import matplotlib.backends.backend_pdf  # noqa: F401
    import matplotlib.figure  # noqa: F401


def _draw(solutions: Solutions, directory: Path, questions: Sequence[Question]) -> dict[str, dict[str, Path]]:
    """The questions' figures, one figure per job (`Question.figure_parts`), the jobs in parallel processes forked after the
    imports (so each starts with matplotlib and the results loaded); in this process when there is
    one job or one CPU.  A signal to this process kills the workers and removes their half-written
    files; the pause points `drawing:<name>` are reached in whichever process draws."""
    import matplotlib
    import matplotlib.backends.backend_pdf  # noqa: F401  (imported once, before forking)
    import matplotlib.figure  # noqa: F401

    jobs = [(q, part, solutions[q.id], directory) for q in questions for part in (q.figure_parts or (None,))]
    workers = min(len(jobs), cpus())
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        drawn: dict[str, dict[str, Path]] = {}
        for q in questions:
            with matplotlib.rc_context(STYLE):
                drawn[q.id] = q.draw(solutions[q.id], directory)
        return drawn
    for q in questions:
        if q.figures:
            import_module(q.figures)
    drawn = {}
    for (q, _, _, _), one in zip(jobs, forked([functools.partial(_run_job, *job) for job in jobs], workers, directory)):
        drawn.setdefault(q.id, {}).update(one)
    return drawn


def cpus() -> int:
    """The CPUs this process may run on (taskset, cgroup cpusets), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


_CALLS: list[Callable[[], Any]] = []   # what forked workers run, by index: never pickled


def _call(index: int) -> Any:
    return _CALLS[index]()


def forked(calls: Sequence[Callable[[], Any]], workers: int, *directories: Path,
           meanwhile: Callable[[], Any] = lambda: None) -> list[Any]:
    """[call() for call in calls], run in `workers` processes forked from this one (so they start with
    its imports and data; only the return values are pickled), `meanwhile()` in this one.  A signal to this process, or an
    error, kills the workers and removes the temporary files they were writing in `directories`."""
    _CALLS[:] = calls
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_worker_init)
    try:
        futures = [pool.submit(_call, i) for i in range(len(calls))]
        meanwhile()   # this process's own work while the workers run
        values = [future.result() for future in futures]
        pool.shutdown()
        return values
    except BaseException:
        _kill(pool, directories)
        raise
    finally:
        _CALLS.clear()


def _kill(pool: ProcessPoolExecutor, directories: Sequence[Path]) -> None:
    """Stop every worker now and remove the temporary files they were writing."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(Exception):
            process.kill()
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(5)
    with contextlib.suppress(Exception):
        pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        for directory in directories:
            for leftover in directory.glob(f".*.tmp{process.pid}"):
                with contextlib.suppress(OSError):
                    leftover.unlink()


def _user_file(digest: str) -> Path:
    return cache.user_dir() / "figures" / f"{digest}.pdf"   # content-addressed: a name can only hold its bytes


def _from_user_cache(q: Question, directory: Path, wanted: str) -> dict[str, Path] | None:
    """The question's figures as another output directory drew them for the same inputs and
    code, copied into `directory`; None unless every file is there with its recorded hash."""
    recorded = cache.load(cache.entry("figures", q.id, wanted), wanted)
    if not isinstance(recorded, dict) or not recorded:
        return None
    try:
        data = {}
        for name, (file, digest) in recorded.items():
            if not (isinstance(file, str) and Path(file).name == file and isinstance(digest, str)):
                return None
            data[name] = (file, _user_file(digest).read_bytes())
            if hashlib.sha256(data[name][1]).hexdigest() != digest:
                return None
        drawn = {}
        for name, (file, payload) in data.items():
            tmp = directory / f".{file}.tmp{os.getpid()}"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(payload)
                os.replace(tmp, directory / file)
            finally:
                tmp.unlink(missing_ok=True)
            drawn[name] = directory / file
        return drawn
    except (OSError, ValueError, TypeError):
        return None


def _to_user_cache(q: Question, drawn: dict[str, Path], record: dict[str, list], wanted: str) -> None:
    """Best effort: an unwritable user cache only costs time."""
    try:
        for name, path in drawn.items():
            target = _user_file(record[name][1])
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
                try:
                    tmp.write_bytes(path.read_bytes())
                    os.replace(tmp, target)
                finally:
                    tmp.unlink(missing_ok=True)
    except OSError:
        return
    cache.store(cache.entry("figures", q.id, wanted), wanted, record)
