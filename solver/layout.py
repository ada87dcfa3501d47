"""Page geometry and line layout: the one place that knows how wide a line is.

The preamble (templates/base.tex.j2) takes its margin and matrix column limit from
here, and the validator its column limit, so Python and LaTeX cannot disagree.
Solvers return numbers and facts; how a display breaks is decided from these
figures at render time.
"""
from __future__ import annotations

from dataclasses import dataclass

PAPER_WIDTH_CM = 21.0            # A4
MARGIN_CM = 2.2
FONT_PT = 11
MAX_MATRIX_COLUMNS = 20          # amsmath's MaxMatrixCols; also the validator's limit on m, n, h, k


@dataclass(frozen=True)
class Page:
    margin_cm: float = MARGIN_CM
    font_pt: int = FONT_PT
    max_matrix_columns: int = MAX_MATRIX_COLUMNS

    @property
    def text_width_cm(self) -> float:
        return PAPER_WIDTH_CM - 2 * self.margin_cm


PAGE = Page()

# Tables: a tabular cannot break across pages, so a longer one is split into tables of at most
# this many rows (Question 2's worked example).
ROWS_PER_TABLE = 30
