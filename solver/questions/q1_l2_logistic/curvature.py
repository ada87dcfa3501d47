"""(b) 2, symbolically: the second derivatives of the per-sample losses in z, written in g = g(z).
L2's changes sign (the loss is not convex), BCE's is g(1 - g) >= 0 (convex)."""
from __future__ import annotations

from dataclasses import dataclass

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sympy import Expr, Symbol


@dataclass(frozen=True)
class Curvature:
    g: Symbol              # the value g(z), in (0, 1)
    l2_y1: Expr            # d^2/dz^2 (1/2)(1 - g)^2
    l2_y0: Expr            # d^2/dz^2 (1/2) g^2
    bce: Expr              # the same for BCE, for either label
    bce_is_g_1mg: bool     # bce == g (1 - g), both labels
    g_at_inflection_y1: Expr
    g_at_inflection_y0: Expr
    inflection_z_y1: Expr  # where l2_y1 changes sign (exact)
    inflection_z_y0: Expr
    y1_concave_then_convex: bool  # l2_y1 < 0 below its sign change, > 0 above
    y0_convex_then_concave: bool  # l2_y0 > 0 below its sign change, < 0 above


def curvature() -> Curvature:
    import sympy  # inside: importing the module (to decode a cached result) does not import SymPy
    from sympy import Symbol

    g = Symbol("g", positive=True)
    dg_dz = g * (1 - g)    # g' = g(1 - g), derived in (a)

    def second(loss: Expr) -> Expr:
        return sympy.factor(sympy.diff(sympy.diff(loss, g) * dg_dz, g) * dg_dz)

    def sign_change(expr: Expr) -> Expr:
        """The root in (0, 1) of odd multiplicity: where `expr` changes sign."""
        roots = sympy.roots(sympy.Poly(expr, g))
        (root,) = [r for r, multiplicity in roots.items() if 0 < r < 1 and multiplicity % 2 == 1]
        return root

    def signs(expr: Expr, at: Expr) -> tuple[int, int]:
        """The sign of `expr` halfway between 0 and `at`, and halfway between `at` and 1."""
        return (int(sympy.sign(expr.subs(g, at / 2))), int(sympy.sign(expr.subs(g, (at + 1) / 2))))

    l2_y1, l2_y0 = second((1 - g) ** 2 / 2), second(g**2 / 2)
    bce_y1, bce_y0 = second(-sympy.log(g)), second(-sympy.log(1 - g))
    g1, g0 = sign_change(l2_y1), sign_change(l2_y0)
    g_1mg = sympy.Mul(g, sympy.Add(1, -g, evaluate=False), evaluate=False)
    return Curvature(
        g=g, l2_y1=l2_y1, l2_y0=l2_y0, bce=g_1mg,
        bce_is_g_1mg=sympy.expand(bce_y1 - dg_dz) == 0 and sympy.expand(bce_y0 - dg_dz) == 0,
        g_at_inflection_y1=g1, g_at_inflection_y0=g0,
        inflection_z_y1=sympy.log(g1 / (1 - g1)), inflection_z_y0=sympy.log(g0 / (1 - g0)),
        y1_concave_then_convex=signs(l2_y1, g1) == (-1, 1),
        y0_convex_then_concave=signs(l2_y0, g0) == (1, -1),
    )
