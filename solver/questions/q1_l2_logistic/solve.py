"""Question 1: the gradient of the L2 loss on logistic regression, and why not to use it.

In document order:
(a) derivation.py: sympy differentiates both losses and checks the boxed chain-rule
    forms against its own derivatives.
(b) Four arguments, each backed by numbers computed here:
    1. saturation.py: the factor h(1 - h) makes L2's gradient vanish wherever the sigmoid
       saturates, on confident mistakes too;
    2. curvature.py, landscape.py: L2 is not convex, BCE is; the Hessians on a grid;
    3. descent.py: gradient descent on a seeded 1-D data set (which landscape.py plots);
    4. likelihood.py: the likelihood each loss assumes.
numerics.py holds the numpy losses they share.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from solver.engine import store
from solver.rounding import MEANINGFUL, printed_equal

from .curvature import Curvature, curvature
from .derivation import Derivation, derive
from .descent import Run, Training, train
from .landscape import Landscape, landscape
from .likelihood import Likelihood, likelihood
from .saturation import Saturation, saturation

if TYPE_CHECKING:
    from solver.schema import Report

    from .inputs import Inputs

__all__ = ["Result", "Run", "answers", "solve"]


@dataclass(frozen=True)
class Result:
    derivation: Derivation     # (a)
    saturation: Saturation     # (b) 1
    curvature: Curvature       # (b) 2
    landscape: Landscape       # (b) 2, on the data set of (b) 3
    training: Training         # (b) 3
    likelihood: Likelihood     # (b) 4
    steepest_is_inflection: bool   # the figure's dot, where |dl2/dz| peaks, is where l2 changes curvature
    # sentences about printed numbers, decided on the numbers as printed (rounding.printed_equal)
    l2_ratio_prints_as_cap: bool   # L2's penalty ratio at the probe prints as its cap (3.9973 as 4.00)
    l2_ratio_below_cap: float      # cap minus that ratio
    l2_relative_prints_as_one: bool  # L2 "at 1.00 of its initial value" when BCE reaches its target
    l2_relative_below_one: bool    # that relative loss is below 1 ...
    l2_relative_off: float         # ... by this much (|relative loss - 1|)


def solve(q: Inputs, report: Report) -> Result:
    import sympy  # inside: importing the module (to decode a cached result) does not import SymPy

    # Config-independent: computed once per user cache (solver/engine/store.py), decoded thereafter.
    derivation = store.memo("q1.derivation", derive)
    slopes = store.memo("q1.saturation", saturation)
    bends = store.memo("q1.curvature", curvature)
    runs = train(q.seed, q.samples, q.separation, q.theta_init, q.learning_rate, q.steps)
    cap, relative = float(slopes.l2_penalty_cap_ratio), runs.l2_relative_loss_at_bce_target
    paths = np.vstack([runs.l2_run.theta, runs.bce_run.theta])   # the landscape's grid covers both
    return Result(
        derivation=derivation, saturation=slopes, curvature=bends,
        landscape=landscape(runs.x, runs.y, paths, runs.theta_init),
        training=runs, likelihood=store.memo("q1.likelihood", likelihood),
        steepest_is_inflection=sympy.simplify(slopes.z_steepest - bends.inflection_z_y1) == 0,
        l2_ratio_prints_as_cap=printed_equal(slopes.l2_penalty_ratio_probe, cap, report.decimals, MEANINGFUL),
        l2_ratio_below_cap=cap - slopes.l2_penalty_ratio_probe,
        l2_relative_prints_as_one=printed_equal(relative, 1.0, report.decimals, MEANINGFUL),
        l2_relative_below_one=relative < 1.0, l2_relative_off=abs(relative - 1.0),
    )


def answers(result: Result) -> dict[str, Any]:
    c, sat, land, t = result.curvature, result.saturation, result.landscape, result.training

    def run(r: Run) -> dict[str, Any]:
        return {
            "theta_final": r.theta[-1].tolist(), "loss_final": float(r.loss[-1]),
            "accuracy_final": float(r.accuracy[-1]), "steps_to_target": r.steps_to_target,
        }

    return {
        "l2_inflection_z": float(c.inflection_z_y1),
        "l2_inflection_z_y0": float(c.inflection_z_y0),
        "gradient_checks": {
            "sigmoid_derivative": result.derivation.g_identity,
            "l2": result.derivation.l2.matches,
            "bce": result.derivation.bce.matches,
        },
        "sigmoid_derivative_max": float(sat.g_prime_max),
        "l2_slope_max": float(sat.l2_slope_max),
        "probe": {
            "z": sat.z_probe, "h": sat.h_probe,
            "l2_loss": sat.l2_probe, "bce_loss": sat.bce_probe,
            "l2_slope": sat.l2_slope_probe, "bce_slope": sat.bce_slope_probe,
            "slope_ratio": sat.slope_ratio_probe,
        },
        "hessian_min_eigenvalue": {
            "l2_at_init": float(land.l2_eig_init[0]), "bce_at_init": float(land.bce_eig_init[0]),
            "l2_on_grid": land.l2_worst_eig,
            "l2_on_grid_at": land.l2_worst_theta.tolist(),
            "bce_on_grid": land.bce_min_eig_min,
        },
        "dataset": {"seed": t.seed, "separation": t.separation,
                    "x": t.x.tolist(), "y": t.y.astype(int).tolist()},
        "training": {
            "theta_init": t.theta_init.tolist(),
            "learning_rate": t.learning_rate,
            "steps": t.steps,
            "target_accuracy": t.target_accuracy,
            "l2": run(t.l2_run),
            "bce": run(t.bce_run),
        },
    }
