"""The one Jinja environment and its filters: the only place numbers become LaTeX.

Delimiters cannot clash with LaTeX braces: \\VAR{x | num}, \\BLOCK{for ...}, and
`%#` starts a template comment line.  Every number is rounded here, to
`report.decimals`; user text goes through `tex` (PyLaTeX's escape_latex).
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import jinja2
import numpy as np
from pylatex.utils import escape_latex

from solver import layout
from solver.rounding import SCIENTIFIC_ABOVE, rounded_text

if TYPE_CHECKING:
    import sympy

    from solver.questions.q3_mlp import Shown

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def fmt_number(x: float, decimals: int, fixed: bool = False) -> str:
    """A number rounded to `decimals` places, as LaTeX maths.

    Exact integers print without decimals (labels, exact zeros of ReLU) unless
    `fixed` (a table column, where every entry shows its decimals); a rounded
    value that is zero prints without a minus sign; very large magnitudes print
    as a \\times 10^{e}.
    """
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"refusing to typeset the non-finite number {x!r}")
    if x.is_integer() and abs(x) < SCIENTIFIC_ABOVE and not fixed:
        return str(int(x))
    text = rounded_text(x, decimals)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}\\times 10^{{{int(exponent)}}}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text


def fmt_given(x: float, decimals: int, pad: bool = True) -> str:
    """A number as the data gives it, never rounded: in its shortest form
    (0.5, 0.00125), or with pad=True padded to `decimals` places when that loses
    nothing (-0.948 → -0.9480), so the entries of a matrix line up."""
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"refusing to typeset the non-finite number {x!r}")
    if (pad and round(x, decimals) == x) or abs(x) >= SCIENTIFIC_ABOVE or x.is_integer():
        return fmt_number(x, decimals)
    text = repr(x)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}\\times 10^{{{int(exponent)}}}"
    return text


def fmt_vector(v: Iterable[float], cell: Callable[[float], str], row: bool = False) -> str:
    """A column vector as bmatrix (row=True: a row vector), each entry through `cell`."""
    cells = [cell(x) for x in np.ravel(np.asarray(v, dtype=float))]
    body = " & ".join(cells) if row else r" \\ ".join(cells)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def fmt_matrix(M: Any, cell: Callable[[float], str]) -> str:
    """A 2-D array as bmatrix (a 1-D array becomes a column)."""
    M = np.asarray(M, dtype=float)
    if M.ndim == 1:
        return fmt_vector(M, cell)
    rows = [" & ".join(cell(x) for x in row) for row in M]
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


def fmt_sym(expr: sympy.Basic, decimals: int, order: str | None = None) -> str:
    """A sympy expression as LaTeX, its Float atoms rounded to `decimals`.

    order="none" prints an unevaluated expression's terms and factors in the
    order they were built (sympy otherwise sorts them: -h + y for y - h).
    Memoised in the user cache (solver.cache.typeset), so that a build whose results all
    come from the cache never imports SymPy."""
    from solver import cache

    def make(expr: Any) -> str:
        import sympy  # here, not at the top: only when the memo does not hold it

        expr = sympy.sympify(expr)
        rounded = expr.xreplace({f: sympy.Float(round(float(f), decimals), 15) for f in expr.atoms(sympy.Float)})
        return sympy.latex(rounded, order=order)

    return cache.typeset(expr, [decimals, order], make)


DAGGER = "{}^{\\dagger}"  # marks a printed number whose last digit differs when recomputed by hand


def fmt_shown(a: Shown, cell: Callable[[float], str], marks: bool = True) -> str:
    """A displayed array as bmatrix (a 1 × 1 as a number), with DAGGER on the entries
    whose last digits differ when recomputed from the rounded inputs (unless marks=False)."""
    cells = [[cell(x) + (DAGGER if marks and d else "") for x, d in zip(row, flags)]
             for row, flags in zip(a.value, a.differs)]
    if a.value.size == 1:
        return cells[0][0]
    return r"\begin{bmatrix} " + r" \\ ".join(" & ".join(row) for row in cells) + r" \end{bmatrix}"


def _entry(a: Shown, row: int, col: int) -> str:
    """Which entry of a displayed array: none for a number, one index for a vector."""
    if a.value.size == 1:
        return ""
    if a.cols == 1:
        return f" entry {row}"
    if a.rows == 1:
        return f" entry {col}"
    return f" entry $({row},{col})$"


def fmt_notes(pairs: Iterable[tuple[str, Shown]], number: Callable[[float], str]) -> str:
    """The footnote paragraph under a display: every entry of the (name, array) pairs that
    comes out differently from the rounded inputs; empty when there is none."""
    remarks = [f" ${name}${_entry(a, n.row, n.col)} gives ${number(n.from_rounded)}$ (printed: ${number(n.value)}$)"
               for name, a in pairs for n in a.notes]
    if not remarks:
        return ""
    return (r"{\footnotesize $^{\dagger}$\,Recomputed by hand from the rounded values printed above:"
            + ";".join(remarks) + r". The solution itself carries full precision.}\par")


# T1 fonts turn these pairs into other characters (<< into «, ,, into „, !` into ¡):
# an empty group between them keeps what the user typed.
LIGATURE_PAIR = re.compile(r"([<>,])(?=\1)|([!?])(?=`)")


def fmt_text(value: Any) -> str:
    """User text, escaped so that TeX prints it literally."""
    return LIGATURE_PAIR.sub(lambda m: m.group() + "{}", escape_latex(str(value)))


def make_environment(decimals: int, search: Sequence[Path] = ()) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*search, TEMPLATES]),
        block_start_string=r"\BLOCK{",
        block_end_string="}",
        variable_start_string=r"\VAR{",
        variable_end_string="}",
        comment_start_string=r"\#{",
        comment_end_string="}",
        line_comment_prefix="%#",
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters.update(filters(decimals))
    env.globals["page"] = layout.PAGE
    return env


def filters(decimals: int) -> dict[str, Callable[..., str]]:
    """Every formatting filter, bound to the report's number of decimals.

    `given=True` prints data exactly as the config gives it instead of rounded;
    `num(fixed=True)` shows the decimals of an exact integer too (table columns).
    The q3_* filters return how Question 3's displays break (solver/layout.py), not text.
    """

    def cell(given: bool, fixed: bool = False) -> Callable[[float], str]:
        return (lambda x: fmt_given(x, decimals)) if given else (lambda x: fmt_number(x, decimals, fixed))

    return {
        "num": lambda x, given=False, fixed=False: cell(given, fixed)(x),
        "given": lambda x: fmt_given(x, decimals, pad=False),
        "vec": lambda v, given=False: fmt_vector(v, cell(given)),
        "rowvec": lambda v, given=False: fmt_vector(v, cell(given), row=True),
        "matrix": lambda M, given=False: fmt_matrix(M, cell(given)),
        "sym": lambda e, order=None: fmt_sym(e, decimals, order),
        "tex": fmt_text,
        "shown": lambda a, marks=True: fmt_shown(a, cell(a.given), marks),
        "notes": lambda pairs: fmt_notes(pairs, cell(False)),
        "q3_layout": lambda r: layout.q3_layout(r, decimals),
        "q3_worked_layout": lambda w: layout.q3_worked_layout(w, decimals),
    }


def render(template: str, decimals: int, search: Sequence[Path] = (), **context: Any) -> str:
    """`template` rendered with the filters for `decimals`; `search` are folders looked in first."""
    return make_environment(decimals, search).get_template(template).render(**context)
