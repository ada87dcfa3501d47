"""(b) 1: the factor h(1 - h) that L2's gradient carries vanishes wherever the sigmoid saturates,
right or wrong; per-sample losses and slopes against z = theta^T x for y = 1."""
from __future__ import annotations

from dataclasses import dataclass

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sympy import Expr, Symbol

from .numerics import bce_per_sample, bce_slope, l2_per_sample, l2_slope, sigmoid

Z_SPAN = 10.0          # the saturation curves cover z in [-Z_SPAN, Z_SPAN]
Z_PROBE = -8.0         # a confidently wrong prediction for y = 1
NEGLIGIBLE = 0.01      # an L2 slope below this share of BCE's is "barely" a correction


@dataclass(frozen=True)
class Saturation:
    """Per-sample losses and |d loss / dz| against z = theta^T x, for y = 1."""
    z: np.ndarray
    l2: np.ndarray
    bce: np.ndarray
    l2_slope: np.ndarray      # |d/dz|
    bce_slope: np.ndarray
    g_prime_max: Expr         # max of g(1 - g) over g in [0, 1] = 1/4 ...
    g_prime_argmax: Expr      # ... at g = 1/2
    factor_vanishes_in_both_tails: bool  # g(1 - g) -> 0 as g -> 0 (z -> -oo) and g -> 1 (z -> +oo)
    l2_slope_max: Expr        # max over z of |dl2/dz| for y = 1, that of g(1 - g)^2: 4/27 ...
    g_steepest: Expr          # ... at g = 1/3
    z_steepest: Expr          # z = log(g / (1 - g)) there
    l2_slope_falls_with_worse_mistake: bool  # g(1 - g)^2 increases on (0, g_steepest): smaller as z -> -oo
    bce_slope_limit: Expr     # |dl_bce/dz| = 1 - g -> 1 as z -> -oo
    z_probe: float
    h_probe: float
    l2_probe: float
    bce_probe: float
    l2_unsure: float          # both losses at z = 0
    bce_unsure: float
    l2_slope_probe: float
    bce_slope_probe: float
    slope_ratio_probe: float  # l2_slope / bce_slope = h(1 - h)
    l2_negligible_at_probe: bool  # slope_ratio_probe < NEGLIGIBLE
    l2_inflection: float      # the L2 loss at z_steepest, where the figure marks it
    l2_sup: Expr              # sup of the per-sample L2 loss, y = 1
    bce_sup: Expr             # sup of the per-sample BCE, y = 1
    bce_grows_like_abs_z: bool    # l_bce / |z| -> 1 as z -> -oo
    l2_penalty_cap_ratio: Expr    # sup l2 / l2(z = 0): the most a mistake costs against an unsure prediction
    l2_penalty_ratio_probe: float # l2(z_probe) / l2(0)
    bce_penalty_ratio_probe: float


def critical_points(f: Expr, g: Symbol) -> list[Expr]:
    """Roots of f'(g) inside (0, 1), for a polynomial f."""
    import sympy

    return [r for r in sympy.roots(sympy.Poly(sympy.diff(f, g), g)) if r.is_real and 0 < r < 1]


def max_on_unit(f: Expr, g: Symbol) -> tuple[Expr, Expr]:
    """The maximum of a polynomial f(g) over [0, 1] and where it is: at an end or where f' = 0
    (sympy.maximum would do, at ten times the cost)."""
    import sympy

    candidates = [sympy.Integer(0), sympy.Integer(1), *critical_points(f, g)]
    values = [f.subs(g, point) for point in candidates]
    best = max(range(len(candidates)), key=lambda n: values[n])
    return values[best], candidates[best]


def saturation() -> Saturation:
    import sympy  # inside: importing the module (to decode a cached result) does not import SymPy
    from sympy import Symbol

    zs = np.linspace(-Z_SPAN, Z_SPAN, 801)
    probe, unsure = np.array([Z_PROBE]), np.zeros(1)
    g = Symbol("g", positive=True)   # the value g(z), in (0, 1)
    z = Symbol("z", real=True)
    factor, l2_slope_in_g = g * (1 - g), g * (1 - g) ** 2
    g_prime_max, g_prime_argmax = max_on_unit(factor, g)
    slope_max, g_steepest = max_on_unit(l2_slope_in_g, g)
    rising = sympy.diff(l2_slope_in_g, g).subs(g, g_steepest / 2) > 0 and critical_points(l2_slope_in_g, g) == [g_steepest]
    l2_probe_slope, bce_probe_slope = abs(float(l2_slope(probe, 1)[0])), abs(float(bce_slope(probe, 1)[0]))
    l2_probe, bce_probe = float(l2_per_sample(probe, 1)[0]), float(bce_per_sample(probe, 1)[0])
    l2_unsure, bce_unsure = float(l2_per_sample(unsure, 1)[0]), float(bce_per_sample(unsure, 1)[0])
    z_steepest = sympy.log(g_steepest / (1 - g_steepest))
    # both losses fall as z grows (y = 1), so the supremum is the limit z -> -oo, i.e. g -> 0+
    l2_sup = sympy.limit((1 - g) ** 2 / 2, g, 0, "+")
    return Saturation(
        z=zs, l2=l2_per_sample(zs, 1), bce=bce_per_sample(zs, 1),
        l2_slope=np.abs(l2_slope(zs, 1)), bce_slope=np.abs(bce_slope(zs, 1)),
        g_prime_max=g_prime_max, g_prime_argmax=g_prime_argmax,
        factor_vanishes_in_both_tails=factor.subs(g, 0) == 0 and factor.subs(g, 1) == 0,
        l2_slope_max=slope_max, g_steepest=g_steepest, z_steepest=z_steepest,
        l2_slope_falls_with_worse_mistake=bool(rising),
        bce_slope_limit=sympy.limit(1 - g, g, 0, "+"),
        z_probe=Z_PROBE, h_probe=float(sigmoid(probe)[0]),
        l2_probe=l2_probe, bce_probe=bce_probe, l2_unsure=l2_unsure, bce_unsure=bce_unsure,
        l2_slope_probe=l2_probe_slope, bce_slope_probe=bce_probe_slope,
        slope_ratio_probe=l2_probe_slope / bce_probe_slope,
        l2_negligible_at_probe=l2_probe_slope / bce_probe_slope < NEGLIGIBLE,
        l2_inflection=float(l2_per_sample(np.array([float(z_steepest)]), 1)[0]),
        l2_sup=l2_sup, bce_sup=sympy.limit(-sympy.log(g), g, 0, "+"),
        bce_grows_like_abs_z=sympy.limit(sympy.log(1 + sympy.exp(-z)) / -z, z, -sympy.oo) == 1,
        l2_penalty_cap_ratio=l2_sup / ((1 - g) ** 2 / 2).subs(g, sympy.Rational(1, 2)),
        l2_penalty_ratio_probe=l2_probe / l2_unsure, bce_penalty_ratio_probe=bce_probe / bce_unsure,
    )
