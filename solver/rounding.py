"""How a printed number is rounded: the one rule shared by the formatting filters
(which print it) and the solvers (which recompute steps from what was printed)."""
from __future__ import annotations

import numpy as np

SCIENTIFIC_ABOVE = 1e6  # magnitudes from here on print as a × 10^e, `decimals` places in a


def rounded_text(x: float, decimals: int) -> str:
    """x rounded to `decimals` places (of the mantissa, for large magnitudes), as Python formats it."""
    return f"{x:.{decimals}e}" if abs(x) >= SCIENTIFIC_ABOVE else f"{x:.{decimals}f}"


def rounded(a: np.ndarray | float, decimals: int) -> np.ndarray:
    """The values a reader sees, elementwise."""
    return np.vectorize(lambda x: float(rounded_text(x, decimals)), otypes=[float])(np.asarray(a, dtype=float))
