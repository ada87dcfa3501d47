"""Question 2's figure: the Huber loss and its derivative against the residual."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from solver.figures import save, subplots

from .solve import Result, huber_grad
from .solve import huber as huber_loss


def huber(result: Result, directory: Path) -> Path:
    """q2_huber.pdf: the Huber loss and its derivative against the residual."""
    d = result.delta
    samples = result.residual
    span = result.plot_span
    r = np.linspace(-span, span, 1201)

    fig, (left, right) = subplots(1, 2)
    huber_style = dict(color="C0", lw=2.0, zorder=3)
    squared_style = dict(color="C1", ls=(0, (5, 2)), lw=1.2, zorder=2)
    absolute_style = dict(color="C2", ls=(0, (1, 1.5)), lw=1.4, zorder=3.5)  # over Huber where they agree

    left.plot(r, huber_loss(r, d), label="Huber", **huber_style)
    left.plot(r, 0.5 * r**2, label=r"$\frac{1}{2}r^2$ (squared error)", **squared_style)
    left.plot(r, d * np.abs(r), label=r"$\delta|r|$ (absolute error)", **absolute_style)
    top = 1.12 * d * span
    left.set_ylim(-0.04 * top, top)
    left.set_title(r"loss $J^{(i)}$")

    right.plot(r, huber_grad(r, d), **huber_style)
    right.plot(r, r, **squared_style)
    right.plot(r, d * np.sign(r), **absolute_style)
    right.set_ylim(-2.1 * d, 2.1 * d)
    right.set_title(r"derivative $\mathrm{d}J^{(i)}/\mathrm{d}r$")

    # The worked example's samples; those beyond the plotted span sit on its edge as outward triangles.
    inside = ~result.beyond_plot
    dots = dict(color="k", ms=4.5, ls="none", zorder=4, mec="white", mew=0.6)
    if result.has_sample_inside_plot:
        left.plot(samples[inside], huber_loss(samples[inside], d), "o", label="worked example", **dots)
        right.plot(samples[inside], huber_grad(samples[inside], d), "o", **dots)
    for sign, marker in ((-1, "<"), (1, ">")):
        out = result.beyond_plot & (sign * samples > 0)
        if out.any():
            edge = np.full(out.sum(), sign * 0.97 * span)
            left.plot(edge, np.minimum(huber_loss(samples[out], d), 0.93 * top), marker, **dots)
            right.plot(edge, huber_grad(samples[out], d), marker, **dots)

    # A tiny or huge delta: short labels and one ×10^n per axis (scientific notation, which
    # matplotlib uses when an axis's largest value is below 10^-2 or from 10^3 up; mathtext only then).
    scientific = any(not 1e-2 <= v < 1e3 for v in (span, top, 2.1 * d))
    for ax in (left, right):
        ax.set_xlim(-span, span)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.ticklabel_format(style="sci", scilimits=(-2, 3), useMathText=scientific)
        ax.set_xlabel(r"residual $r = z^{(i)} - \hat{z}^{(i)}$")
        for edge in (-d, d):
            ax.axvline(edge, color="0.45", lw=0.7, zorder=1)
        marks = ax.secondary_xaxis("top")
        marks.set_xticks([-d, d], [r"$-\delta$", r"$\delta$"])
        marks.tick_params(length=3, pad=1)
    bound = right.secondary_yaxis("right")
    bound.set_yticks([-d, d], [r"$-\delta$", r"$\delta$"])
    bound.tick_params(length=3, pad=1)

    handles, labels = left.get_legend_handles_labels()
    if result.has_sample_beyond_plot:
        handles.append(Line2D([], [], marker=">", **dots))
        labels.append("worked example, beyond the plotted range")
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(handles), 4),
               frameon=False, handlelength=2.6, columnspacing=1.6)
    return save(fig, directory, "q2_huber")
