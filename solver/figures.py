"""What a question's figures.py draws with: matplotlib (Agg), vector PDF, embedded TrueType
fonts, styled like the text.

One function per figure (a question's `figure_parts`), each drawing from solve's results only
into <question id>_<part>.pdf and returning that path; solver/engine/drawing.py decides which
to draw and draws them in worker processes.
"""
from __future__ import annotations

import contextlib
import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from solver.engine import signals, store
from solver.engine.mpl import prepare

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
    buffer = io.BytesIO()
    fig.savefig(buffer, format="pdf", metadata=METADATA)
    signals.checkpoint(f"drawing:{name}")
    path = directory / f"{name}.pdf"
    store.write_atomic(path, buffer.getvalue())
    return path


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


