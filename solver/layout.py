"""Page geometry and line layout: the one place that knows how wide a line is.

The preamble (templates/base.tex.j2) takes its margin and matrix column limit from
here, and the validator its column limit, so Python and LaTeX cannot disagree.
Solvers return numbers and facts; how a display breaks is decided from these
figures at render time.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the solvers never import this module: layout is decided at render time
    from solver.questions.q3_mlp.solve import Result as Q3Result, Shown, Worked

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
# so LaTeX can lay the pages out before it is drawn (solver/figures/drawing.py, `Drawing.stub`).
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
    return max(next((d for d in range(13) if np.all(np.round(a, d) == a)), 12) for a in arrays)


# ---------------------------------------------------------------- Question 3

@dataclass(frozen=True)
class UpdateLines:
    """How "W <- W - eta g = W'" breaks: all on one line, the result apart, or the gradient apart too."""
    result_apart: bool
    gradient_apart: bool


@dataclass(frozen=True)
class WorkedLayout:
    """How one worked iteration of Question 3 breaks its displays."""
    substitute_first: bool            # the first-layer product lines fit with values substituted
    substitute_second: bool
    bias_break_first: bool            # "+ b_1" goes on its own line
    bias_break_second: bool
    split: bool                       # results go on their own line (the product lines are too wide)
    substitute_delta: bool            # "p - y" and "dL/da1 (.) 1[z1 > 0]" fit with values substituted
    substitute_loss: bool             # "-log p_target = losses" fits on one line
    data_apart: bool                  # batch mode: X and Y are displayed, not inline in the sentence
    update: dict[str, UpdateLines]    # per parameter W1, b1, W2, b2


@dataclass(frozen=True)
class Q3Layout:
    statement_split: bool             # the restated question puts each bias below its matrix
    readings_split: bool              # the readings table puts W2, b2 below W1, b1
    readings_tall: bool               # the readings table is taller than a page: a longtable, one matrix per row
    readings_mean_below: bool         # a one-sample reading's "(mean ...)" goes below its loss, not beside it


def q3_layout(r: Q3Result, decimals: int, page: Page = PAGE) -> Q3Layout:
    return Q3Layout(
        statement_split=max(r.W1.shape[1] + r.h, r.W2.shape[1] + r.k)
        > line_columns(data_decimals(r.W1, r.W2, r.b1, r.b2), page=page)
        or max(r.X.shape[1] * given_digits(r.X) + r.k * given_digits(r.Y),
               r.W1.shape[1] * given_digits(r.W1) + r.h * given_digits(r.b1),
               r.W2.shape[1] * given_digits(r.W2) + r.k * given_digits(r.b2)) > line_characters(page),
        readings_split=readings_width(r, decimals, page) > line_characters(page) + RESERVED_EM / DIGIT_EM,
        readings_tall=readings_height(r, decimals, page) > page.text_height_pt - READINGS_INTRO_PT,
        readings_mean_below=losses_width(r, decimals) > line_characters(page) + RESERVED_EM / DIGIT_EM,
    )


SMALL = 10 / 10.95          # the readings table is \\small; its "(mean ...)" \\footnotesize
FOOTNOTE = 9 / 10.95
READING_LABEL_DIGITS = 26   # "one sample, z = Wx + b *" and the column gaps, in digit widths
MEAN_LABEL_DIGITS = 8       # "(mean " and ")"


def losses_width(r: Q3Result, decimals: int) -> float:
    """Digit widths (at the text size) of the widest line of losses in the readings table."""
    def loss(x: float | None, mean: float | None) -> float:
        shown = printed_width(np.array([x]), decimals) if x is not None else 1
        return SMALL * shown + (FOOTNOTE * (printed_width(np.array([mean]), decimals) + MEAN_LABEL_DIGITS)
                                if mean is not None else 0)
    return max((SMALL * READING_LABEL_DIGITS + loss(g.loss1, g.mean1) + loss(g.loss2, g.mean2)
                for g in r.readings if g.applicable), default=0.0)


SCRIPT_ROW_PT = 9.5        # a matrix row at \\scriptsize
READING_LOSSES_PT = 30     # a reading's line of losses and the gaps around its matrices
READINGS_INTRO_PT = 160    # the heading and the paragraph kept on the table's page


def readings_height(r: Q3Result, decimals: int, page: Page = PAGE) -> float:
    """Points the readings table takes: each reading's matrices (W1 beside b1, W2 beside b2, as many times
    as each is split into blocks of columns) and its losses."""
    def rows(a: np.ndarray) -> int:
        a = np.atleast_2d(a.T).T   # a bias is a column
        per_block = max(1, int(line_characters(page) // (printed_width(a, decimals) + COLUMN_GAP_DIGITS)))
        return a.shape[0] * -(-a.shape[1] // per_block)
    return sum(SCRIPT_ROW_PT * (max(rows(g.W1), rows(g.b1)) + max(rows(g.W2), rows(g.b2))) + READING_LOSSES_PT
               for g in r.readings if g.applicable)


SCRIPTSIZE = 8 / 11   # the readings table sets its matrices in \\scriptsize
LABEL_DIGITS = 5      # "W_1 = " and the comma after a matrix, in digit widths


def readings_width(r: Q3Result, decimals: int, page: Page = PAGE) -> float:
    """Digit widths (at the text size) of "after one update: W1 = [..], b1 = [..], W2 = [..], b2 = [..]"
    in the readings table; each bmatrix column also takes about one digit of gaps."""
    largest = max((float(np.abs(a).max()) for g in r.readings if g.applicable for a in (g.W1, g.b1, g.W2, g.b2)),
                  default=1.0)
    digits = len(str(int(largest))) if largest < 1e6 else 10
    tiny = any(np.any((a != 0) & (np.abs(a) < 10.0 ** -decimals)) for g in r.readings if g.applicable
               for a in (g.W1, g.b1, g.W2, g.b2))   # printed as 8.89 × 10^-4: about 11 digits wide
    columns = max(r.n, r.h) + max(r.h, r.k) + 2
    return SCRIPTSIZE * (columns * max(decimals + 3 + digits, 11 if tiny else 0) + 4 * LABEL_DIGITS + 36)


def q3_worked_layout(w: Worked, decimals: int, page: Page = PAGE) -> WorkedLayout:
    """From the bmatrix columns each line of the iteration's displays would hold."""
    largest = max(float(np.abs(s.value).max()) for s in (w.X, w.W1, w.b1, w.W2, w.b2, w.Z1, w.Z2, w.DA1, w.gW1, w.gW2,
                                                          w.W1_after, w.b1_after, w.W2_after, w.b2_after))
    given = (w.X, w.W1, w.W2) if w.given_params else (w.X,)  # printed unrounded: as wide as the data needs
    columns = line_columns(max(decimals, data_decimals(*(s.value for s in given))), largest, page)
    # an entry printed as a x 10^e (a tiny gradient, a huge update) is wider than its decimals say
    widest = max(printed_width(s.value, decimals) for s in (w.Z1, w.A1, w.Z2, w.P, w.D2, w.gW2, w.DA1, w.D1, w.gW1,
                                                            w.W1_after, w.b1_after, w.W2_after, w.b2_after))
    columns = min(columns, max(2, line_characters(page) // widest))
    # each product line: (operands, result)
    first = (((w.W1, w.X), w.Z1), ((w.D1, w.XT), w.gW1), ((w.DA1, w.relu_mask), w.D1))
    second = (((w.W2, w.A1), w.Z2), ((w.D2, w.A1T), w.gW2), ((w.W2T, w.D2), w.DA1), ((w.P, w.Y), w.D2))

    def cols(*shown: Shown) -> int:
        return sum(s.cols for s in shown)

    def fits(lines: tuple) -> bool:
        return max(cols(*ops) for ops, _ in lines) <= columns

    return WorkedLayout(
        substitute_first=fits(first), substitute_second=fits(second),
        bias_break_first=cols(w.W1, w.X, w.b1) > columns,
        bias_break_second=cols(w.W2, w.A1, w.b2) > columns,
        split=max(cols(*ops, res) for ops, res in first + second) + w.b1.cols > columns,
        substitute_delta=max(cols(w.P, w.Y), cols(w.DA1, w.relu_mask)) <= columns,
        substitute_loss=cols(w.p_target, w.losses) <= columns,
        data_apart=cols(w.X) + cols(w.Y) > columns // 2,
        update={name: UpdateLines(result_apart=3 * theta.cols > columns, gradient_apart=2 * theta.cols + 1 > columns)
                for name, theta in (("W1", w.W1), ("b1", w.b1), ("W2", w.W2), ("b2", w.b2))},
    )


def q2_table_characters(z: np.ndarray, z_hat: np.ndarray, computed: tuple[np.ndarray, ...], decimals: int) -> float:
    """Digit widths of a row of Question 2's worked-example table: i, z and z_hat (as given), the computed
    columns at `decimals` places, the branch name and the gaps."""
    def width(a: np.ndarray) -> int:  # as given; "1.19209e-07" prints as 1.19209 × 10^-7
        return max(len(repr(float(x))) + (4 if "e" in repr(float(x)) else 0) for x in a) if a.size else 1
    return 3 + width(z) + width(z_hat) + sum(printed_width(c, decimals) for c in computed) + 10 + 30


def printed_width(values: np.ndarray, decimals: int) -> int:
    """Digit widths of the widest of `values` printed at `decimals` places (with sign; a value that prints
    as a × 10^e takes about 11)."""
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
