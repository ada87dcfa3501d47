"""The symbolic derivation of dL/dz2 for softmax with cross-entropy, by SymPy."""
from __future__ import annotations

import functools
from dataclasses import dataclass

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sympy

MAX_DERIVATION_CLASSES = 3   # the symbolic derivation is written out for at most this many classes


@dataclass(frozen=True)
class Derivation:
    """d/dz2 of -sum_c y_c log softmax(z2)_c, by SymPy, for `classes` classes."""
    classes: int
    general: bool                 # the configuration has more classes than written out
    loss: sympy.Expr              # -sum y_c log p_c with p_c = softmax
    loss_expanded: sympy.Expr     # log of the quotient expanded
    derivative: sympy.Expr        # dL/dz_{2,1} of the expanded form, as SymPy gives it
    softmax_1: sympy.Expr         # p_1 written out
    one_hot: sympy.Expr           # the derivative with sum_c y_c = 1
    result: sympy.Expr            # p_1 - y_1 (SymPy's own form if it does not simplify to that)
    verified: bool                # expanding changed nothing, and dL/dz_{2,j} = p_j - y_j for every j


@functools.lru_cache(maxsize=None)  # pure in k
def derive(k: int) -> Derivation:
    import sympy  # inside: importing the module (to decode a cached result) does not import SymPy

    K = min(k, MAX_DERIVATION_CLASSES)
    z = [sympy.Symbol(f"z_{{2,{c}}}", real=True) for c in range(1, K + 1)]
    y = [sympy.Symbol(f"y_{c}", nonnegative=True) for c in range(1, K + 1)]
    p = [sympy.Symbol(f"p_{c}", positive=True) for c in range(1, K + 1)]
    S = sum(sympy.exp(zc) for zc in z)
    loss = -sum(yc * sympy.log(sympy.exp(zc) / S) for yc, zc in zip(y, z))
    loss_expanded = sympy.collect(sympy.expand(sympy.expand_log(loss, force=True)), sympy.log(S))
    dloss, dloss_expanded = ([sympy.diff(f, zc) for zc in z] for f in (loss, loss_expanded))
    derivative = dloss_expanded[0]
    one_hot = derivative.subs(sum(y), 1)
    softmax_1 = sympy.exp(z[0]) / S
    summing_to_one = {y[-1]: 1 - sum(y[:-1])}
    verified = (
        all(_is_zero(d - e) for d, e in zip(dloss, dloss_expanded))
        and all(_is_zero((d - (sympy.exp(zc) / S - yc)).subs(summing_to_one)) for d, zc, yc in zip(dloss, z, y))
    )
    result = (p[0] - y[0]) if _is_zero(one_hot - (softmax_1 - y[0])) else one_hot
    return Derivation(
        classes=K, general=k > K, loss=loss, loss_expanded=loss_expanded, derivative=derivative,
        softmax_1=softmax_1, one_hot=one_hot, result=result, verified=verified,
    )


def _is_zero(e: sympy.Expr) -> bool:
    """e == 0 for a rational function of the y_c and exp(z_{2,c}): over one denominator, its numerator
    expands to 0 (what sympy.simplify decided, at a tenth of the cost)."""
    import sympy

    return sympy.expand(sympy.fraction(sympy.together(e))[0]) == 0
