"""Figures: matplotlib (Agg), vector PDF, embedded TrueType fonts, styled like the text.

One function per figure, each drawing from solve's results only and returning
the path it wrote.  `draw_all` names every figure the document includes.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import matplotlib

from solver import cache
from solver.questions import QUESTIONS, Question, Solutions

matplotlib.use("Agg")
# fontTools warns about the fixed font timestamps that make the PDFs reproducible.
logging.getLogger("fontTools").setLevel(logging.ERROR)

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

STYLE = {
    "pdf.fonttype": 42,                 # TrueType, never Type 3
    "font.family": "serif",
    "font.serif": ["cmr10", "DejaVu Serif"],
    "mathtext.fontset": "cm",
    "axes.formatter.use_mathtext": True,  # cmr10 has no unicode minus
    "axes.unicode_minus": False,
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


def save(fig: plt.Figure, directory: Path, name: str) -> Path:
    import matplotlib.pyplot as plt

    path = directory / f"{name}.pdf"
    fig.savefig(path, format="pdf", metadata=METADATA)
    plt.close(fig)
    return path


def draw_all(solutions: Solutions, directory: Path, keys: dict[str, str],
             questions: Sequence[Question] = QUESTIONS) -> dict[str, Path]:
    """Draw every question's figures into `directory`; returns name → path.

    `keys` holds each question's cache key (solver.cache.key of its inputs): a
    question whose key is unchanged since the last build into `directory` keeps
    its figures, and pyplot is not even imported when none needs drawing.
    """
    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for q in questions:
        manifest = directory / f"{q.id}.figures"
        names = cache.load(manifest, keys[q.id])
        drawn = None if names is None else {name: directory / file for name, file in names.items()}
        if drawn is None or not all(path.exists() for path in drawn.values()):
            import matplotlib.pyplot as plt

            with plt.rc_context(STYLE):
                drawn = q.draw(solutions[q.id], directory)
            cache.store(manifest, keys[q.id], {name: path.name for name, path in drawn.items()})
        paths.update(drawn)
    return paths
