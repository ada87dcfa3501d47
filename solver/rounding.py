"""How a printed number is rounded: the one rule shared by the formatting filters
(which print it), the solvers (which recompute steps from what was printed and
decide sentences that compare printed numbers) and the hand-reproducibility marks.

The rule is a calculator's: round half away from zero on the *decimal* value of x,
that is on repr(x), the shortest decimal that reads back as x (0.39125 → 0.3913,
0.125 → 0.13, -0.125 → -0.13, 2.675 → 2.68), never on the binary float (which
Python's f"{x:.2f}" rounds half to even: 0.12, 2.67).

A nonzero value is never printed as 0: when `decimals` places would keep fewer
than `significant` significant digits of it (1 by default; 2 for a value whose
size matters, such as a ratio or an eigenvalue), it prints as a × 10^e with
SIGNIFICANT_MANTISSA + 1 significant digits (3.35 × 10^-4).  Magnitudes from
SCIENTIFIC_ABOVE on print as a × 10^e with `decimals` places in a.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

SCIENTIFIC_ABOVE = 1e6  # magnitudes from here on print as a × 10^e, `decimals` places in a
MEANINGFUL = 2  # significant digits kept by a value whose size matters (a ratio, an eigenvalue)
# The document's opening note shows the rule on these (printed at EXAMPLE_DECIMALS places).
EXAMPLE_DECIMALS = 2
TIE_EXAMPLES = (0.125, -0.125)
SMALL_EXAMPLE = 3.3524e-4
SIGNIFICANT_MANTISSA = 2  # places in the mantissa of a small value printed in scientific form (3.35 × 10^-4)


def _fixed(d: Decimal, places: int) -> Decimal:
    return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _scientific(d: Decimal, places: int) -> str:
    """d as Python's "%.{places}e" would print it, but rounded half away from zero."""
    exponent = d.adjusted()
    mantissa = _fixed(d.scaleb(-exponent), places)
    if abs(mantissa) >= 10:  # 9.996 → 10.00: carry into the exponent
        exponent += 1
        mantissa = _fixed(d.scaleb(-exponent), places)
    return f"{mantissa:f}e{exponent:+03d}"


def significant_digits(text: str) -> int:
    """Significant digits in a fixed-point decimal string ("0.0030" → 2, "0.00" → 0)."""
    digits = text.lstrip("-").replace(".", "").lstrip("0")
    return len(digits)


def rounded_text(x: float, decimals: int, significant: int = 1) -> str:
    """x rounded by the one rule, as a Python-readable string ("0.3913", "3.35e-04", "1.2346e+06")."""
    x = float(x)
    if not math.isfinite(x):  # a diverged computation: refused before anything is typeset
        return repr(x)
    d = Decimal(repr(x))
    if abs(x) >= SCIENTIFIC_ABOVE:
        return _scientific(d, decimals)
    text = f"{_fixed(d, decimals):f}"
    if x != 0 and abs(x) < 1 and significant_digits(text) < significant:
        return _scientific(d, SIGNIFICANT_MANTISSA)
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text


def rounded(a: np.ndarray | float, decimals: int, significant: int = 1) -> np.ndarray:
    """The values a reader sees, elementwise."""
    return np.vectorize(lambda x: float(rounded_text(x, decimals, significant)),
                        otypes=[float])(np.asarray(a, dtype=float))


def printed_equal(a: float, b: float, decimals: int, significant: int = 1) -> bool:
    """a and b print as the same number."""
    return rounded_text(a, decimals, significant) == rounded_text(b, decimals, significant)


def printed_less(a: float, b: float, decimals: int, significant: int = 1) -> bool:
    """a prints as a number smaller than b's printed number."""
    return float(rounded_text(a, decimals, significant)) < float(rounded_text(b, decimals, significant))


def last_place_difference(a: float, b: float, decimals: int) -> tuple[int, int]:
    """How far the printed a and b differ: (units, place), e.g. (2, 4) for "2 in the 4th decimal".

    Both are fixed-point at `decimals` places (the worked iterations' values); place 0 means units."""
    step = Decimal(1).scaleb(-decimals)
    da = _fixed(Decimal(repr(float(a))), decimals)
    db = _fixed(Decimal(repr(float(b))), decimals)
    return int(abs(da - db) / step), decimals
