"""Figures: matplotlib (Agg), vector PDF, embedded TrueType fonts, styled like the text.

One function per figure, each drawing from solve's results only and returning
the path it wrote.  `draw_all` names every figure the document includes.
"""
from __future__ import annotations

import hashlib
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
# fontTools warns about the fixed font timestamps that make the PDFs reproducible.
logging.getLogger("fontTools").setLevel(logging.ERROR)

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

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
    import matplotlib.pyplot as plt

    path = directory / f"{name}.pdf"
    fig.savefig(path, format="pdf", metadata=METADATA)
    plt.close(fig)
    return path


def draw_all(solutions: Solutions, directory: Path, inputs: dict[str, Any]) -> dict[str, Path]:
    """Draw every figure into `directory`; returns name → path.

    `inputs` maps each question ("q1", ...) to the configuration its figures
    depend on.  A question whose inputs and code are unchanged since the last
    build into `directory` keeps its figures (and pyplot is not even imported):
    a rebuild after changing one number redraws only that question's figures.
    """
    import importlib

    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for question, result in (("q1", solutions.q1), ("q2", solutions.q2), ("q3", solutions.q3)):
        key = _cache_key(inputs[question], Path(__file__).with_name(f"{question}.py"), type(result))
        manifest = directory / f"{question}.cache.json"
        cached = _read_manifest(manifest, key, directory)
        if cached is None:
            import matplotlib.pyplot as plt

            manifest.unlink(missing_ok=True)
            with plt.rc_context(STYLE):
                cached = importlib.import_module(f"solver.figures.{question}").draw(result, directory)
            manifest.write_text(json.dumps({"key": key, "files": {n: p.name for n, p in cached.items()}}))
        paths.update(cached)
    return paths


def _cache_key(inputs: Any, figure_source: Path, result_type: type) -> str:
    """Changes when the inputs, the drawing code or the solving code change."""
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode())
    digest.update(matplotlib.__version__.encode())
    for source in (Path(__file__), figure_source, Path(sys.modules[result_type.__module__].__file__)):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _read_manifest(manifest: Path, key: str, directory: Path) -> dict[str, Path] | None:
    try:
        recorded = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return None
    files = {name: directory / file for name, file in recorded.get("files", {}).items()}
    if recorded.get("key") != key or not all(path.exists() for path in files.values()):
        return None
    return files
