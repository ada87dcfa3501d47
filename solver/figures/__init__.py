"""Figures: matplotlib (Agg), vector PDF, embedded TrueType fonts, styled like the text.

One function per figure, each drawing from solve's results only and returning
the path it wrote.  `draw_all` names every figure the document includes.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
# fontTools warns about the fixed font timestamps that make the PDFs reproducible.
logging.getLogger("fontTools").setLevel(logging.ERROR)

import matplotlib.pyplot as plt  # noqa: E402

if TYPE_CHECKING:
    from solver.questions import Solutions

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
    path = directory / f"{name}.pdf"
    fig.savefig(path, format="pdf", metadata=METADATA)
    plt.close(fig)
    return path


def draw_all(solutions: Solutions, directory: Path) -> dict[str, Path]:
    """Draw every figure into `directory`; returns name → path."""
    from solver.figures import q1, q2, q3

    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    with plt.rc_context(STYLE):
        paths.update(q1.draw(solutions.q1, directory))
        paths.update(q2.draw(solutions.q2, directory))
        paths.update(q3.draw(solutions.q3, directory))
    return paths
