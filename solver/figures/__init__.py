"""Figures: matplotlib (Agg), vector PDF, embedded TrueType fonts, styled like the text.

One function per figure (a question's `figure_parts`), each drawing from solve's results only
into <question id>_<part>.pdf and returning that path; solver/figures/drawing.py decides which
to draw and draws them in worker processes.
"""
from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from solver import interrupts

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
    "savefig.bbox": None,               # the page is the figure's declared size (`styled`), exactly
}

# Fixed metadata so that the same data gives the same bytes.
METADATA = {"Creator": None, "Producer": None, "CreationDate": None}


def subplots(*grid: int, **options: object) -> tuple[Figure, Any]:
    """pyplot.subplots without pyplot (no GUI backend machinery to import): a bare Figure of the
    size `styled` gives (the figure's declared size), fitted by constrained layout, and saved as
    exactly that size by `save`."""
    from matplotlib.figure import Figure

    fig = Figure(layout="constrained")
    return fig, fig.subplots(*grid, **options)


def save(fig: Figure, directory: Path, name: str) -> Path:
    """Write `fig` as directory/name.pdf, atomically: an interrupted draw leaves no half a figure.
    A figure of another size than its declared one (`styled`) is an error: LaTeX's first pass
    laid the pages out for the declared size."""
    import matplotlib

    declared = tuple(matplotlib.rcParams["figure.figsize"])
    if tuple(fig.get_size_inches()) != declared:
        raise RuntimeError(f"figure {name} is {tuple(fig.get_size_inches())} in, not its declared {declared} in")
    path = directory / f"{name}.pdf"
    tmp = directory / f".{name}.pdf.tmp{os.getpid()}"
    try:
        fig.savefig(tmp, format="pdf", metadata=METADATA)
        interrupts.checkpoint(f"drawing:{name}")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _worker_init() -> None:
    """The parent alone handles signals and kills its workers; a worker dies with its parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG (Linux)


def prepare() -> None:
    """Import what drawing needs: matplotlib with only the fonts it ships (solver/figures/mpl.py)."""
    from solver.figures import mpl

    mpl.ready()
    import matplotlib.backends.backend_pdf  # noqa: F401
    import matplotlib.figure  # noqa: F401
    from matplotlib.mathtext import MathTextParser

    # matplotlib builds its mathtext grammar at the first formula a process typesets (about 0.05 s):
    # built here, once, it is shared by every drawing worker forked from this process.
    MathTextParser("path").parse("$x$")


@contextlib.contextmanager
def styled(size: tuple[float, float]) -> Iterator[None]:
    """The rc settings of a figure of `size` inches (its registry entry's `figure_size`):
    matplotlib's own defaults under STYLE, whatever matplotlibrc the user's config or the current
    folder holds (a figure depends on its inputs alone)."""
    prepare()
    import matplotlib

    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(STYLE)
        matplotlib.rcParams["figure.figsize"] = size
        yield


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
           meanwhile: Callable[[], Any] = lambda: None,
           then: Callable[[int, Any], Any] = lambda index, value: None) -> list[Any]:
    """[call() for call in calls], run in `workers` processes forked from this one (so they start with
    its imports and data; only the return values are pickled), `meanwhile()` in this one, then
    `then(index, value)` here as each call returns (after `meanwhile`).  A signal to this process, or an
    error, kills the workers and removes the temporary files they were writing in `directories`."""
    _CALLS[:] = calls
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_worker_init)
    try:
        futures = [pool.submit(_call, i) for i in range(len(calls))]
        meanwhile()   # this process's own work while the workers run
        for future in as_completed(futures):
            then(futures.index(future), future.result())
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
        # wait=True: the pool's own thread has closed its wake-up pipe before this returns (else
        # it may close it while the interpreter's exit hook writes there: "Bad file descriptor")
        pool.shutdown(wait=True, cancel_futures=True)
    for process in processes:
        for directory in directories:
            for leftover in directory.glob(f".*.tmp{process.pid}"):
                with contextlib.suppress(OSError):
                    leftover.unlink()


from solver.figures.drawing import Drawing, draw_all, start  # noqa: E402  (it uses the above)
