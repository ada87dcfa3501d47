"""How Question 3's displays break: from the bmatrix columns each line would hold (solver/layout.py
knows how wide a line is).  Decided at render time: the templates call the `q3_layout` and
`q3_worked_layout` filters (FILTERS), which the document's Jinja environment takes from here."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from solver.layout import (COLUMN_GAP_DIGITS, DIGIT_EM, PAGE, RESERVED_EM, Page, data_decimals, given_digits,
                           line_characters, line_columns, printed_width)

if TYPE_CHECKING:
    from .solve import Result as Q3Result, Shown, Worked


def filters(decimals: int) -> dict[str, Callable[[Any], Any]]:
    """The Jinja filters of Question 3's templates, bound to the report's decimals."""
    return {
        "q3_layout": lambda r: q3_layout(r, decimals),
        "q3_worked_layout": lambda w: q3_worked_layout(w, decimals),
    }


@dataclass(frozen=True)
class UpdateLines:
    """How "W <- W - eta g = W'" breaks: all on one line, the result apart, the operands apart from
    "W <- W - eta dL/dW" too, or the gradient apart too."""
    result_apart: bool
    operands_apart: bool
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
    import numpy as np

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
    import numpy as np

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
    import numpy as np

    largest = max((float(np.abs(a).max()) for g in r.readings if g.applicable for a in (g.W1, g.b1, g.W2, g.b2)),
                  default=1.0)
    digits = len(str(int(largest))) if largest < 1e6 else 10
    tiny = any(np.any((a != 0) & (np.abs(a) < 10.0 ** -decimals)) for g in r.readings if g.applicable
               for a in (g.W1, g.b1, g.W2, g.b2))   # printed as 8.89 × 10^-4: about 11 digits wide
    columns = max(r.n, r.h) + max(r.h, r.k) + 2
    return SCRIPTSIZE * (columns * max(decimals + 3 + digits, 11 if tiny else 0) + 4 * LABEL_DIGITS + 36)


UPDATE_LABEL_COLUMNS = 2   # "W_1 <- W_1 - eta dL/dW_1 =" and "- 0.01", in bmatrix columns (line_characters keeps a margin)


def q3_worked_layout(w: Worked, decimals: int, page: Page = PAGE) -> WorkedLayout:
    """From the bmatrix columns each line of the iteration's displays would hold."""
    import numpy as np

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
        update={name: UpdateLines(result_apart=3 * theta.cols > columns,
                                  operands_apart=2 * theta.cols + UPDATE_LABEL_COLUMNS > columns,
                                  gradient_apart=2 * theta.cols + 1 > columns)
                for name, theta in (("W1", w.W1), ("b1", w.b1), ("W2", w.W2), ("b2", w.b2))},
    )
