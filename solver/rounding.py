"""How a printed number is rounded: the one rule shared by the formatting filters (which
print it), `check` (its terminal table and feedback PDF), the solvers (which recompute steps
from what was printed and decide sentences that compare printed numbers) and the
hand-reproducibility marks.

The rule is a calculator's.  First the value as a calculator displays it: the double rounded
to DISPLAY_DIGITS (10, a scientific calculator's display) significant digits, so that
0.04499999999999999 (the double computed for 0.045), or 0.0449999999999, is 0.045.  Then half away from zero at the chosen places (0.045 → 0.05 at 2
decimals, 0.39125 → 0.3913, -0.125 → -0.13), never half to even on the binary float as
Python's f"{x:.2f}" does.  When the places asked for go beyond those 10 digits (a value of 1 or
more at 10 or more decimals), the display keeps DOUBLE_DIGITS (15), what a double holds reliably.

A nonzero value is never printed as 0: when `decimals` places would keep fewer than
`significant` significant digits of it (1 by default; MEANINGFUL = 2 for an entry of a vector
or matrix, or a value whose size matters, such as a ratio or an eigenvalue), it prints as
a × 10^e with SIGNIFICANT_MANTISSA + 1 significant digits (3.35 × 10^-4).  Magnitudes from
SCIENTIFIC_ABOVE on print as a × 10^e with `decimals` places in a.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

SCIENTIFIC_ABOVE = 1e6  # magnitudes from here on print as a × 10^e, `decimals` places in a
DISPLAY_DIGITS = 10  # significant digits of a scientific calculator's display: rounded to these first
DOUBLE_DIGITS = 15   # ... or to these when the places asked for need more (what a double holds)
MEANINGFUL = 2  # significant digits kept by a vector's or matrix's entry, or a value whose size matters
# The document's opening note shows the rule on these (printed at EXAMPLE_DECIMALS places).
EXAMPLE_DECIMALS = 2
TIE_EXAMPLES = (0.125, -0.125)
SMALL_EXAMPLE = 3.3524e-4
SIGNIFICANT_MANTISSA = 2  # places in the mantissa of a small value printed in scientific form (3.35 × 10^-4)


def _fixed(d: Decimal, places: int) -> Decimal:
    return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def displayed(x: float, decimals: int = 0) -> Decimal:
    """x as a calculator displays it: rounded half away from zero to DISPLAY_DIGITS significant digits,
    or DOUBLE_DIGITS when `decimals` places lie beyond the display's last digit."""
    exact = Decimal(float(x))
    if exact == 0:
        return Decimal(0)
    for digits in (DISPLAY_DIGITS, DOUBLE_DIGITS):
        last = exact.adjusted() - digits + 1   # the place value of the last digit kept: 10^last
        if -last >= decimals or digits == DOUBLE_DIGITS:
            return exact.quantize(Decimal(1).scaleb(last), rounding=ROUND_HALF_UP)
    raise AssertionError("unreachable")


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
    d = displayed(x, decimals)
    if abs(x) >= SCIENTIFIC_ABOVE:
        return _scientific(d, decimals)
    text = f"{_fixed(d, decimals):f}"
    if d != 0 and abs(d) < 1 and significant_digits(text) < significant:
        return _scientific(d, SIGNIFICANT_MANTISSA)
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text


def significance(a: np.ndarray | float | list) -> int:
    """The significant digits a printed value keeps at least: MEANINGFUL for every entry of a vector or
    matrix (an array of more than one number, printed as one), else 1 (never printed as 0)."""
    import numpy as np

    return MEANINGFUL if np.size(a) > 1 else 1


def rounded(a: np.ndarray | float, decimals: int, significant: int | None = None) -> np.ndarray:
    """The values a reader sees, elementwise (`significant`: the array's own significance() unless given)."""
    import numpy as np

    a = np.asarray(a, dtype=float)
    keep = significance(a) if significant is None else significant
    return np.vectorize(lambda x: float(rounded_text(x, decimals, keep)), otypes=[float])(a)


def printed_equal(a: float, b: float, decimals: int, significant: int = 1) -> bool:
    """a and b print as the same number (0.99996 as 1.00 × 10^0 at 0 decimals is the same number as 1)."""
    return float(rounded_text(a, decimals, significant)) == float(rounded_text(b, decimals, significant))


def printed_less(a: float, b: float, decimals: int, significant: int = 1) -> bool:
    """a prints as a number smaller than b's printed number."""
    return float(rounded_text(a, decimals, significant)) < float(rounded_text(b, decimals, significant))


def last_place_difference(a: float, b: float, decimals: int) -> tuple[int, int]:
    """How far the printed a and b differ: (units, place), e.g. (2, 4) for "2 in the 4th decimal".

    Both are fixed-point at `decimals` places (the worked iterations' values); place 0 means units."""
    step = Decimal(1).scaleb(-decimals)
    da = _fixed(displayed(a, decimals), decimals)
    db = _fixed(displayed(b, decimals), decimals)
    return int(abs(da - db) / step), decimals
