"""Question 1's figures: saturation, the two loss landscapes, the two training runs."""
from __future__ import annotations

from pathlib import Path

from matplotlib import patheffects
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
import numpy as np

from solver.figures import save, subplots

from .solve import Result

L2 = dict(color="C3", label=r"$L_2$")
BCE = dict(color="C0", label=r"BCE")
PATH_MARK_EVERY = 10
HATCH_COLOUR = (1.0, 0.5, 0.05, 0.75)


def saturation(result: Result, directory: Path) -> Path:
    s = result.saturation
    fig, (left, right) = subplots(1, 2)

    left.plot(s.z, s.bce, **BCE)
    left.plot(s.z, s.l2, **L2)
    left.axhline(float(s.l2_sup), color="C3", lw=0.8, ls=(0, (4, 2)))
    left.plot([float(s.z_steepest)], [s.l2_inflection], "o", color="C3", ms=4, zorder=4,
              label=r"steepest point of $L_2$")
    left.set_ylim(-0.05, 3.0)
    left.set_title(r"per-sample loss, $y = 1$")
    left.set_ylabel("loss")

    right.semilogy(s.z, s.bce_slope, **BCE)
    right.semilogy(s.z, s.l2_slope, **L2)
    right.axvline(s.z_probe, color="0.45", lw=0.7)
    right.plot([s.z_probe] * 2, [s.bce_slope_probe, s.l2_slope_probe], "o", color="k", ms=3.5, zorder=4,
               label=f"$z = {s.z_probe:g}$")
    right.set_ylim(1e-5, 3)
    right.set_title(r"gradient magnitude, $y = 1$")
    right.set_ylabel(r"$|\mathrm{d}\ell / \mathrm{d}z|$")

    for ax in (left, right):
        ax.set_xlim(s.z[0], s.z[-1])
        ax.set_xlabel(r"$z = \theta^T x$")
    handles, labels = left.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    fig.legend(handles + more[0][-1:], labels + more[1][-1:], loc="outside lower center", ncol=4, frameon=False)
    return save(fig, directory, "q1_saturation")


def landscape(result: Result, directory: Path) -> Path:
    land, runs = result.landscape, result.training
    fig, axes = subplots(1, 2, sharey=True)
    panels = (
        (axes[0], land.l2, runs.l2_run, L2, r"$L_2(\theta)$"),
        (axes[1], land.bce, runs.bce_run, BCE, r"$L_{\mathrm{bce}}(\theta)/m$"),
    )
    outlined = [patheffects.Stroke(linewidth=2.8, foreground="white"), patheffects.Normal()]
    for ax, surface, run, style, title in panels:
        filled = ax.contourf(land.theta0, land.theta1, surface, levels=14, cmap="Greys_r", alpha=0.75)
        ax.contour(land.theta0, land.theta1, surface, levels=filled.levels, colors="k", linewidths=0.3, alpha=0.4)
        ax.plot(run.theta[:, 0], run.theta[:, 1], color=style["color"], lw=1.4, path_effects=outlined)
        marks = run.theta[::PATH_MARK_EVERY]
        ax.plot(marks[:, 0], marks[:, 1], "o", color=style["color"], ms=3, mec="white", mew=0.5)
        ax.plot(*runs.theta_init, "s", color="k", ms=4.5, mec="white", mew=0.6, zorder=5)
        ax.plot(*run.theta[-1], "*", color=style["color"], ms=9, mec="white", mew=0.6, zorder=5)
        fig.colorbar(filled, ax=ax, shrink=0.9, pad=0.02, aspect=25).ax.tick_params(labelsize=7)
        ax.set_title(title)
        ax.set_xlabel(r"$\theta_0$")
        ax.grid(False)
    axes[0].set_ylabel(r"$\theta_1$")

    # One hatching where L2's Hessian has a negative eigenvalue, a crossing one where both are
    # negative: single hatching is the indefinite part, cross-hatching the negative-definite part.
    legend = [
        Line2D([], [], marker="s", color="k", ls="none", ms=4.5, label=r"$\theta_{\mathrm{init}}$"),
        Line2D([], [], color="C3", marker="o", ms=3, label=f"$L_2$ descent (dot every {PATH_MARK_EVERY} steps)"),
        Line2D([], [], color="C0", marker="o", ms=3, label="BCE descent"),
    ]
    for present, eigenvalue, hatch in ((land.has_nonconvex_region, land.l2_min_eig, "///"),
                                       (land.has_negative_definite_region, land.l2_max_eig, "\\\\\\")):
        if present:
            hatched = axes[0].contourf(land.theta0, land.theta1, eigenvalue, levels=[eigenvalue.min() - 1, 0],
                                       colors="none", hatches=[hatch])
            hatched.set_edgecolor(HATCH_COLOUR)
            hatched.set_linewidth(0)
            hatched.set_hatch_linewidth(0.35)
    if land.has_indefinite_region:
        legend.append(Patch(facecolor="white", edgecolor=HATCH_COLOUR, hatch="///", label=r"$L_2$ Hessian indefinite"))
    if land.has_negative_definite_region:
        legend.append(Patch(facecolor="white", edgecolor=HATCH_COLOUR, hatch="xxx",
                            label=r"$L_2$ Hessian negative definite"))
    if land.has_nonconvex_boundary:
        axes[0].contour(land.theta0, land.theta1, land.l2_min_eig, levels=[0], colors="C1", linewidths=1.0)
        legend.append(Line2D([], [], color="C1", lw=1.0, label="boundary of the hatched region"))
    fig.legend(handles=legend, loc="outside lower center", ncol=3, frameon=False, handlelength=2.0,
               columnspacing=1.2)
    return save(fig, directory, "q1_landscape")


def training(result: Result, directory: Path) -> Path:
    runs = result.training
    fig, (left, right) = subplots(1, 2)
    for run, style in ((runs.bce_run, BCE), (runs.l2_run, L2)):
        steps = np.arange(len(run.loss))
        left.plot(steps, run.relative_loss, **style)
        right.plot(steps, run.accuracy, **style)
        if run.steps_to_target is not None and not runs.bce_best_at_start:
            right.axvline(run.steps_to_target, color=style["color"], lw=0.7, ls=(0, (3, 2)))
    highest = max(float(runs.l2_run.relative_loss.max()), float(runs.bce_run.relative_loss.max()))
    left.set_ylim(0, 1.05 * max(highest, 1.0))   # a loss may rise above its start when the step is too large
    left.set_title("loss relative to its value at the start")
    left.set_ylabel(r"$L(\theta_t) / L(\theta_{\mathrm{init}})$")
    right.set_ylim(-0.03, 1.03)
    right.set_title("training accuracy")
    right.set_ylabel("accuracy")
    for ax in (left, right):
        ax.set_xlim(0, runs.steps)
        ax.set_xlabel(r"gradient-descent step $t$")
    handles, labels = right.get_legend_handles_labels()
    if not runs.bce_best_at_start:
        handles.append(Line2D([], [], color="0.3", lw=0.7, ls=(0, (3, 2))))
        labels.append(f"first step at accuracy {runs.target_accuracy:.2f} (BCE's best)")
    fig.legend(handles, labels, loc="outside lower center", ncol=3, frameon=False)
    return save(fig, directory, "q1_training")
