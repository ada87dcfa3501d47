"""Figures: matplotlib (Agg), vector PDF, embedded TrueType fonts, styled like the text.

One function per figure, each drawing from solve's results only and returning
the path it wrote.  `draw_all` names every figure the document includes.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

from solver import cache

matplotlib.use("Agg")
# fontTools warns about the fixed font timestamps that make the PDFs reproducible.
logging.getLogger("fontTools").setLevel(logging.ERROR)

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

    from solver.questions import Solutions

# STIX (shipped with matplotlib) for text and mathtext: its TrueType fonts carry a Unicode map,
# so the PDF's text reads "−10", "θ", "δ"; the cm mathtext fonts embed without one ("¡10", "µ", "±").
STYLE = {
    "pdf.fonttype": 42,                 # TrueType, never Type 3
    "font.family": "serif",
    "font.serif": ["STIXGeneral"],
    "mathtext.fontset": "stix",
    "axes.formatter.use_mathtext": True,
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


def save(fig: plt.Figure, directory: Path, name: str) -> Path:
    import matplotlib.pyplot as plt

    path = directory / f"{name}.pdf"
    fig.savefig(path, format="pdf", metadata=METADATA)
    plt.close(fig)
    return path


def draw_all(solutions: Solutions, directory: Path, keys: dict[str, str]) -> dict[str, Path]:
    """Draw every figure into `directory`; returns name → path.

    `keys` holds each question's cache key (solver.cache.key of its inputs): a
    question whose key is unchanged since the last build into `directory` keeps
    its figures, and pyplot is not even imported when none needs drawing.
    """
    import importlib

    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for question, result in (("q1", solutions.q1), ("q2", solutions.q2), ("q3", solutions.q3)):
        manifest = directory / f"{question}.figures"
        names = cache.load(manifest, keys[question])
        drawn = None if names is None else {name: directory / file for name, file in names.items()}
        if drawn is None or not all(path.exists() for path in drawn.values()):
            import matplotlib.pyplot as plt

            with plt.rc_context(STYLE):
                drawn = importlib.import_module(f"solver.figures.{question}").draw(result, directory)
            cache.store(manifest, keys[question], {name: path.name for name, path in drawn.items()})
        paths.update(drawn)
    return paths
