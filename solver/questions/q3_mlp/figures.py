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
    asked = [i for i in (1, 2) if i <= len(result.curve)]
    ax.plot(asked, result.curve[[i - 1 for i in asked]], "o", ms=6, mfc="none", mec="C3", mew=1.3,
            label="asked: " + " and ".join(f"$L^{{({i})}}$" for i in asked))
    for i in asked:  # L(2) labelled below its point, so the two labels never overlap
        ax.annotate(f"$L^{{({i})}}$", (i, result.curve[i - 1]), textcoords="offset points",
                    xytext=(6, 4) if i == 1 else (6, -12), color="C3", fontsize=8)
    shown = np.concatenate([result.curve, result.curve_full]) if result.mode == "sgd" else result.curve
    if shown.min() > 0 and shown.max() > 1000 * shown.min():  # a loss growing by decades: every point readable
        ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cross-entropy loss")
    ax.set_xlim(0, len(result.curve) + 1)
    ax.margins(y=0.12)  # headroom for the L labels above the highest point
    fig.legend(loc="outside lower center", ncol=3, frameon=False)
    return save(fig, directory, "q3_loss")
