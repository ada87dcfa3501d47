"""Question 3's figure: the loss over the first q3.curve_iterations iterations."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from solver.figures import save, subplots

from .solve import Result


def loss(result: Result, directory: Path) -> Path:
    t = np.arange(1, len(result.curve) + 1)
    fig, ax = subplots()
    if result.mode == "sgd":
        ax.plot(t, result.curve, "-", color="0.6", lw=0.9, marker=".", ms=3,
                label="loss on the iteration's sample")
        ax.plot(t, result.curve_full, "-", color="C0", label=f"mean loss over all {result.m} samples")
    else:
        ax.plot(t, result.curve, "-", color="C0", label=f"mean loss over all {result.m} samples")
    # the asked losses: one marker shape each, named in the legend, so no label can sit on another's point
    for i, marker in zip((1, 2), ("o", "s")):
        if i <= len(result.curve):
            ax.plot([i], [result.curve[i - 1]], marker, ms=6, mfc="none", mec="C3", mew=1.3,
                    label=f"asked: $L^{{({i})}}$")
    shown = np.concatenate([result.curve, result.curve_full]) if result.mode == "sgd" else result.curve
    if shown.min() > 0 and shown.max() > 1000 * shown.min():  # a loss growing by decades: every point readable
        ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cross-entropy loss")
    ax.set_xlim(0, len(result.curve) + 1)
    ax.margins(y=0.05)
    fig.legend(loc="outside lower center", ncol=2, frameon=False)
    return save(fig, directory, "q3_loss")
