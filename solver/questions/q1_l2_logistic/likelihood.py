"""(b) 4: BCE is the Bernoulli negative log-likelihood; L2 is the Gaussian one, up to a constant."""
from __future__ import annotations

from dataclasses import dataclass

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sympy import Expr, Symbol


@dataclass(frozen=True)
class Likelihood:
    bernoulli_nll: Expr       # -log(h^y (1 - h)^(1 - y)), logs expanded
    bernoulli_is_bce: bool
    gaussian_nll: Expr        # -log N(y; h, sigma^2), logs expanded
    gaussian_constant: Expr   # the part that does not depend on h
    gaussian_is_l2: bool      # gaussian_nll - constant == (y - h)^2 / (2 sigma^2)


def likelihood() -> Likelihood:
    import sympy  # inside: importing the module (to decode a cached result) does not import SymPy
    from sympy import Symbol

    h, y, sigma = Symbol("h"), Symbol("y"), Symbol("sigma", positive=True)
    bernoulli = sympy.expand_log(-sympy.log(h**y * (1 - h) ** (1 - y)), force=True)
    bce = -(y * sympy.log(h) + (1 - y) * sympy.log(1 - h))
    density = sympy.exp(-((y - h) ** 2) / (2 * sigma**2)) / sympy.sqrt(2 * sympy.pi * sigma**2)
    gaussian = sympy.expand_log(-sympy.log(density), force=True)
    constant = gaussian.as_independent(h)[0]
    return Likelihood(
        bernoulli_nll=bernoulli, bernoulli_is_bce=sympy.expand(bernoulli - bce) == 0,
        gaussian_nll=gaussian, gaussian_constant=constant,
        gaussian_is_l2=sympy.expand(gaussian - constant - (y - h) ** 2 / (2 * sigma**2)) == 0,
    )
