"""Question 1: the gradient of the L2 loss on logistic regression, and why not to use it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from solver.config import Config


@dataclass(frozen=True)
class Result:
    z: sympy.Symbol
    l2_second_derivative: sympy.Expr   # d^2/dz^2 of (1/2)(1 - g(z))^2, y = 1
    l2_inflection_z: sympy.Expr        # where it changes sign (exact)


def solve(cfg: Config) -> Result:
    z = sympy.Symbol("z", real=True)
    g = 1 / (1 + sympy.exp(-z))
    loss = sympy.Rational(1, 2) * (1 - g) ** 2
    second = sympy.simplify(sympy.diff(loss, z, 2))
    # with s = g(z): second = s(1-s)^2 (1-3s)... solve for s, then z = log(s/(1-s))
    s = sympy.Symbol("s", positive=True)
    roots = [r for r in sympy.solve(sympy.factor(second.subs(sympy.exp(-z), (1 - s) / s)), s) if 0 < r < 1]
    inflection = sympy.log(roots[0] / (1 - roots[0]))
    return Result(z=z, l2_second_derivative=second, l2_inflection_z=sympy.simplify(inflection))


def answers(result: Result) -> dict[str, Any]:
    return {"l2_inflection_z": float(result.l2_inflection_z)}
