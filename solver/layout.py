"""Page geometry and line layout: the one place that knows how wide a line is.

The preamble (templates/base.tex.j2) takes its margin and matrix column limit from
here, and the validator its column limit, so Python and LaTeX cannot disagree.
Solvers return numbers and facts; how a display breaks is decided from these
figures at render time (a question's own rules are in its folder, e.g. Question 3's layout.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

PAPER_WIDTH_CM = 21.0            # A4
PAPER_HEIGHT_CM = 29.7
PT_PER_CM = 72.27 / 2.54         # TeX points
HEADER_PT = 30                   # the running header and footer's share of the margin-to-margin height
MARGIN_CM = 2.2
FONT_PT = 11
MAX_MATRIX_COLUMNS = 20          # amsmath's MaxMatrixCols; also the validator's limit on m, n, h, k


@dataclass(frozen=True)
class Page:
    margin_cm: float = MARGIN_CM
    font_pt: int = FONT_PT
    max_matrix_columns: int = MAX_MATRIX_COLUMNS
    header_characters: int = 34  # of the student's name in the running header (\\small, beside the course)

    @property
    def text_width_cm(self) -> float:
        return PAPER_WIDTH_CM - 2 * self.margin_cm

    @property
    def text_height_pt(self) -> float:
        return (PAPER_HEIGHT_CM - 2 * self.margin_cm) * PT_PER_CM - HEADER_PT


PAGE = Page()


# ---------------------------------------------------------------- figures

# Every figure is this wide (its height is declared in its registry entry, `figure_heights`) and
# exactly its declared size: matplotlib's constrained layout fits it, with no tight bounding box,
# so LaTeX can lay the pages out before it is drawn (solver/engine/drawing.py, `Drawing.stub`).
# The document sets each at \linewidth (about 6.3 in inside a question), so 8-9 pt text in a
# figure prints at about 8.5-9.5 pt.
FIGURE_WIDTH_IN = 6.0


# ---------------------------------------------------------------- how wide a display line is

DIGIT_EM = 0.5                   # a Computer Modern digit is half an em wide
# A display line keeps this much for its left-hand side ("z_1 &= W_1 x + b_1 ="), the = signs,
# the brackets and the gaps between matrix columns; the rest holds digits.
RESERVED_EM = 14.5


def line_characters(page: Page = PAGE) -> int:
    """Digits one display line holds (56 on A4 with 2.2 cm margins at 11 pt)."""
    digit_pt = DIGIT_EM * page.font_pt
    return int(page.text_width_cm * PT_PER_CM / digit_pt - RESERVED_EM / DIGIT_EM)


def line_columns(decimals: int, largest: float = 1.0, page: Page = PAGE) -> int:
    """bmatrix columns of numbers up to `largest` printed at `decimals` places that fit on one display line."""
    digits = len(str(int(abs(largest)))) if abs(largest) < 1e6 else 10
    return max(2, line_characters(page) // (decimals + 2 + digits))


COLUMN_GAP_DIGITS = 2           # a bmatrix's 2 \\arraycolsep between columns, in digit widths
TIMES_TEN_DIGITS = 3.5           # "\\times 10" of a number in scientific form, in digit widths
SCRIPT_DIGIT = 0.7               # a digit in an exponent or superscript mark


def cell_digits(cell: str) -> float:
    """Digit widths of one typeset matrix entry ("-0.25", "3.35\\times 10^{-4}", "1.5{}^{\\dagger}")."""
    text, _, mark = cell.partition("{}^{")
    mantissa, times, exponent = text.partition("\\times 10^{")
    width = len(mantissa.replace(".", "")) + 0.3 * mantissa.count(".")
    if times:
        width += TIMES_TEN_DIGITS + SCRIPT_DIGIT * len(exponent.rstrip("}"))
    return width + (SCRIPT_DIGIT if mark else 0)


def block_columns(cells: list[list[str]], page: Page = PAGE) -> int:
    """Columns of a matrix with these typeset entries that one display line holds: a matrix with more
    is set as blocks of that many columns, one block per line."""
    widest = max((cell_digits(c) for row in cells for c in row), default=1.0)
    return max(1, int(line_characters(page) // (widest + COLUMN_GAP_DIGITS)))


def given_digits(a: np.ndarray) -> float:
    """Digit widths of the widest entry of data printed as given (padded to the places it has), with its column gap."""
    import numpy as np

    a = np.asarray(a, dtype=float)
    places = min(12, data_decimals(a))

    def one(x: float) -> float:
        text = repr(float(x))
        if "e" in text:
            mantissa, exponent = text.split("e")
            return cell_digits(f"{mantissa}\\times 10^{{{int(exponent)}}}")
        return len(str(int(abs(x)))) + 1 + places
    return max((one(x) for x in a.ravel()), default=1.0) + COLUMN_GAP_DIGITS


def data_decimals(*arrays: np.ndarray) -> int:
    """Decimal places the given data needs (it is printed unrounded), at most 12."""
    import numpy as np

    return max(next((d for d in range(13) if np.all(np.round(a, d) == a)), 12) for a in arrays)


def printed_width(values: np.ndarray, decimals: int) -> int:
    """Digit widths of the widest of `values` printed at `decimals` places (with sign; a value that prints
    as a × 10^e takes about 11)."""
    import numpy as np

    a = np.abs(np.asarray(values, dtype=float))
    if not a.size:
        return 1
    tiny = bool(np.any((a != 0) & (a < 10.0 ** -decimals)))
    whole = len(str(int(a.max()))) if a.max() < 1e6 else 8   # a × 10^{e}: mantissa, "×10" and exponent
    return max(decimals + 2 + whole, 11 if tiny else 0)


TABLE_SIZES = (("normalsize", 1.0), ("small", 10 / 10.95), ("footnotesize", 9 / 10.95), ("scriptsize", 8 / 10.95))


def table_size(characters: float, page: Page = PAGE) -> str:
    """The largest type size at which a table row of `characters` digit widths fits the line; "resize" (scaled to
    the line, the last resort) when not even \\scriptsize does."""
    line = line_characters(page) + RESERVED_EM / DIGIT_EM
    return next((name for name, scale in TABLE_SIZES if characters * scale <= line), "resize")


# Tables: a tabular cannot break across pages, so a longer one is split into tables of at most
# this many rows (Question 2's worked example).
ROWS_PER_TABLE = 30
