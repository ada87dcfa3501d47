"""The one Jinja environment and its filters: the only place numbers become LaTeX.

Delimiters cannot clash with LaTeX braces: \\VAR{x | num}, \\BLOCK{for ...}, and
`%#` starts a template comment line.  Every number is rounded here, to
`report.decimals`; user text goes through `tex` (PyLaTeX's escape_latex).
"""
from __future__ import annotations

import contextlib
import itertools
from importlib import import_module
import math
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol, Sequence

import jinja2
import jinja2.bccache
from pylatex.utils import NoEscape, escape_latex

from solver import TEMPLATES, BrokenInstallation, layout, rounding
from solver.engine import store
from solver.questions import QUESTIONS
from solver.rounding import MEANINGFUL, SCIENTIFIC_ABOVE, last_place_difference, rounded_text
from solver.schema import cjk_font

if TYPE_CHECKING:
    import numpy as np
    import sympy


class Shown(Protocol):
    """A displayed array with its hand-reproducibility check (e.g. Question 3's worked.Shown)."""
    value: np.ndarray         # 2-D, in display orientation
    significant: int          # fewest significant digits an entry prints with (rounding.significance)
    from_rounded: np.ndarray  # recomputed from the printed inputs
    differs: np.ndarray       # bool: the printed digits differ from those of `from_rounded`
    given: bool               # printed unrounded, as the data gives it
    notes: tuple[Any, ...]
    rows: int
    cols: int



def fmt_number(x: float, decimals: int, fixed: bool = False, significant: int = 1) -> str:
    """A number rounded to `decimals` places by the one rule (solver/rounding.py), as LaTeX maths.

    Exact integers print without decimals (labels, exact zeros of ReLU) unless
    `fixed` (a table column, where every entry shows its decimals); a rounded
    value that is zero prints without a minus sign; very large magnitudes print
    as a \\times 10^{e}, and so does a small nonzero value that `decimals` places
    would print with fewer than `significant` significant digits (never as 0).
    """
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"refusing to typeset the non-finite number {x!r}")
    if x.is_integer() and abs(x) < SCIENTIFIC_ABOVE and not fixed:
        return str(int(x))
    text = rounded_text(x, decimals, significant)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}\\times 10^{{{int(exponent)}}}"
    return text


def fmt_given(x: float, decimals: int, pad: bool = True) -> str:
    """A number as the data gives it, never rounded: in its shortest form
    (0.5, 0.00125), or with pad=True padded to `decimals` places when that loses
    nothing (-0.948 → -0.9480), so the entries of a matrix line up."""
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"refusing to typeset the non-finite number {x!r}")
    if abs(x) >= SCIENTIFIC_ABOVE:  # as given, in scientific form: 1e6 is 1 × 10^6, not 1.0000 × 10^6
        exact = Decimal(repr(x)).normalize()
        return f"{exact.scaleb(-exact.adjusted()):f}\\times 10^{{{exact.adjusted()}}}"
    if (pad and round(x, decimals) == x) or x.is_integer():
        return fmt_number(x, decimals)
    text = repr(x)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}\\times 10^{{{int(exponent)}}}"
    return text


def fmt_vector(v: Iterable[float], cell: Callable[[float], str], row: bool = False, apart: str | None = None) -> str:
    """A column vector as bmatrix (row=True: a row vector, split into blocks when wider than a line), each entry
    through `cell`."""
    import numpy as np

    cells = [cell(x) for x in np.ravel(np.asarray(v, dtype=float))]
    return fmt_cells([cells] if row else [[c] for c in cells], apart)


def fmt_matrix(M: Any, cell: Callable[[float], str], apart: str | None = None) -> str:
    """A 2-D array as bmatrix (a 1-D array becomes a column)."""
    import numpy as np

    M = np.asarray(M, dtype=float)
    if M.ndim == 1:
        return fmt_vector(M, cell, apart=apart)
    return fmt_cells([[cell(x) for x in row] for row in M], apart)


def fmt_cells(cells: list[list[str]], apart: str | None = None) -> str:
    """Typeset entries as bmatrix; wider than a display line (solver/layout.py), as blocks of columns one
    below the other, the opening bracket on the first block and the closing one on the last.  The blocks
    stand in one box, or with `apart` (what starts a new line of the display, e.g. "\\\\ &") each on a line
    of its own, so that a display taller than a page can break between them."""
    width = layout.block_columns(cells)
    columns = len(cells[0]) if cells else 0
    if columns <= width:
        return r"\begin{bmatrix} " + r" \\ ".join(" & ".join(row) for row in cells) + r" \end{bmatrix}"
    width = math.ceil(columns / math.ceil(columns / width))   # blocks of even width: no stub of one column
    starts = range(0, columns, width)
    blocks = [(r"\left[" if start == 0 else r"\left.") + r"\begin{matrix} "
              + r" \\ ".join(" & ".join(row[start:start + width]) for row in cells)
              + r" \end{matrix}" + (r"\right]" if start + width >= columns else r"\right.") for start in starts]
    if apart is not None:
        return f" {apart} ".join(blocks)
    return r"\begin{array}{@{}l@{}} " + r" \\[1ex] ".join(blocks) + r" \end{array}"


def fmt_sym(expr: sympy.Basic, decimals: int, order: str | None = None) -> str:
    """A sympy expression as LaTeX, its Float atoms rounded to `decimals`.

    order="none" prints an unevaluated expression's terms and factors in the
    order they were built (sympy otherwise sorts them: -h + y for y - h).
    Memoised in the user cache (solver.engine.store.typeset), so that a build whose results all
    come from the cache never imports SymPy."""
    from solver.engine import store

    def make(expr: Any) -> str:
        import sympy  # here, not at the top: only when the memo does not hold it

        expr = sympy.sympify(expr)
        rounded = expr.xreplace({f: sympy.Float(rounded_text(float(f), decimals), 15) for f in expr.atoms(sympy.Float)})
        return sympy.latex(rounded, order=order)

    return store.typeset(expr, [decimals, order, "half-up"], make)


DAGGER = "{}^{\\dagger}"  # marks a printed number that comes out differently when recomputed by hand


def fmt_shown(a: Shown, cell: Callable[[float], str], decimals: int, marks: bool = True,
              apart: str | None = None) -> str:
    """A displayed array as bmatrix (a 1 × 1 as a number), with DAGGER on the entries
    that come out differently when recomputed from the rounded inputs (unless marks=False);
    the display writes "\\approx" before such a result (Shown.exact).  A single number that does
    says so in place: 3.0307 (full precision; by hand 3.0303, by 4 in the 4th decimal place), that remark
    on a line of its own where the display gives `apart`."""
    if a.value.size == 1:
        if marks and a.differs.flat[0]:
            value, by_hand = float(a.value.flat[0]), float(a.from_rounded.flat[0])
            return (cell(value) + (apart or r"\ ") + r"\text{(full precision; by hand $" + cell(by_hand) + "$, "
                    + fmt_difference(value, by_hand, decimals, cell, a.significant) + ")}")
        return cell(float(a.value.flat[0]))
    cells = [[cell(x) + (DAGGER if marks and d else "") for x, d in zip(row, flags)]
             for row, flags in zip(a.value, a.differs)]
    return fmt_cells(cells, apart)


def _entry(a: Shown, row: int, col: int) -> str:
    """Which entry of a displayed array: none for a number, one index for a vector."""
    if a.value.size == 1:
        return ""
    if a.cols == 1:
        return f" entry {row}"
    if a.rows == 1:
        return f" entry {col}"
    return f" entry $({row},{col})$"


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def fmt_difference(value: float, by_hand: float, decimals: int, number: Callable[[float], str],
                   significant: int = 1) -> str:
    """How far the hand-recomputed number is from the printed one, in words that stay true
    however many digits differ: "by 2 in the 4th decimal place"."""
    shown_value, shown_hand = rounded_text(value, decimals, significant), rounded_text(by_hand, decimals, significant)
    if "e" in shown_value + shown_hand:
        return f"by ${number(abs(float(shown_value) - float(shown_hand)))}$"
    units, place = last_place_difference(value, by_hand, decimals)
    if units >= 100:  # "by 290958 in the 4th decimal place" is true but no help: say the difference
        return f"by ${number(abs(float(shown_value) - float(shown_hand)))}$"
    return f"by {units} in the {'units place' if place == 0 else _ordinal(place) + ' decimal place'}"


def fmt_notes(pairs: Iterable[tuple[str, Shown]], decimals: int) -> str:
    """The footnote paragraph under a display: every entry of the (name, array) pairs (vectors and matrices) that
    comes out differently from the rounded inputs, and by how much (each printed as its array's
    entries are); empty when there is none."""
    remarks = []
    for name, a in pairs:
        if a.value.size == 1:  # a single number says it beside itself (fmt_shown)
            continue
        keep = a.significant
        number = lambda x: fmt_number(x, decimals, significant=keep)  # noqa: E731
        remarks += [f" ${name}${_entry(a, n.row, n.col)} gives ${number(n.from_rounded)}$ (printed: ${number(n.value)}$, "
                    f"{fmt_difference(n.value, n.from_rounded, decimals, number, keep)})" for n in a.notes]
    if not remarks:
        return ""
    return (r"{\footnotesize\sloppy $^{\dagger}$\,By hand from the rounded values printed above:"
            + ";".join(remarks) + r".\par}")


# T1 fonts turn these pairs into other characters (<< into «, ,, into „, !` into ¡):
# an empty group between them keeps what the user typed.
LIGATURE_PAIR = re.compile(r"([<>,])(?=\1)|([!?])(?=`)")


# T1 fonts print ' and ` as typographic quotes (’ ‘), and '' and `` as ” “: the text
# companion font's straight quote and grave accent print what was typed.
QUOTES = {"'": r"\textquotesingle{}", "`": r"\textasciigrave{}"}


def fmt_text(value: Any, cjk: bool = True) -> str:
    """User text, escaped so that TeX prints it literally; runs of Chinese characters in a
    CJK environment of the font that has them (cjk=False: as they are, for PDF metadata)."""
    text = LIGATURE_PAIR.sub(lambda m: m.group() + "{}", escape_latex(str(value)))
    text = re.sub("['`]", lambda m: QUOTES[m.group()], text)
    if not cjk:
        return text
    runs = ("".join(run) if font is None else NoEscape(rf"\begin{{CJK}}{{UTF8}}{{{font}}}{''.join(run)}\end{{CJK}}")
            for font, run in itertools.groupby(text, key=cjk_font))
    return "".join(runs)


LONG_WORD = 20   # characters: a longer run without spaces may break anywhere (a name of 120 letters)
WORD_PIECE = 10


def fmt_breakable(value: Any) -> str:
    """User text as fmt_text prints it, with a line break allowed every WORD_PIECE characters of a word longer
    than LONG_WORD, so that a long name without spaces wraps instead of running off the page."""
    parts = []
    for word in re.split(r"(\s+)", str(value)):
        pieces = [word[i:i + WORD_PIECE] for i in range(0, len(word), WORD_PIECE)] if len(word) > LONG_WORD else [word]
        parts.append(r"\allowbreak{}".join(fmt_text(piece) for piece in pieces))
    return "".join(parts)


def fmt_shorten(value: Any, most: int) -> str:
    """User text cut to `most` characters with an ellipsis (a running header has one line); escape it after."""
    text = str(value)
    return text if len(text) <= most else text[:most - 1].rstrip() + "…"


class _Compiled(jinja2.BytecodeCache):
    """Each template compiled once per process, whatever Environment loads it (one is made per number of
    decimals and search path): kept in memory by its file and the checksum of its source.

    The package's own templates are also kept compiled in `templates/__pycache__`, as Python keeps a
    module's bytecode beside its source: a later process loads them instead of compiling (about
    0.07 s when a question's fragment is rendered again).  That folder belongs to the package, like
    the modules' own `__pycache__`; nothing is read from or written to a user's folder or cache.
    Jinja2 checks each file's version and the checksum of the source it was compiled from, and
    compiles again on any mismatch.  Written where the folder is writable and Python may write
    bytecode (PYTHONDONTWRITEBYTECODE unset), and by `make`'s install step (`precompile`)."""

    def __init__(self, root: Path = TEMPLATES) -> None:
        self.root = root   # the templates kept on disk: those in this folder, compiled into its __pycache__
        self.codes: dict[str, tuple[str, Any]] = {}
        self.files: dict[str, Path] = {}   # bucket key -> its file, for the templates under root
        self.write = not sys.dont_write_bytecode

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        """By the file alone where there is one: a question's templates are loaded by two names
        (`q3/solution.tex.j2` from the package's folder, `solution.tex.j2` from the question's)."""
        return super().get_cache_key(filename or name)

    def get_bucket(self, environment: jinja2.Environment, name: str, filename: str | None,
                   source: str) -> jinja2.bccache.Bucket:
        if filename is not None and Path(filename).is_relative_to(self.root):   # before the bucket loads
            key = self.get_cache_key(name, filename)
            self.files[key] = self.root / "__pycache__" / f"{key}.jinja"
        return super().get_bucket(environment, name, filename, source)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        checksum, code = self.codes.get(bucket.key, (None, None))
        if checksum == bucket.checksum:
            bucket.code = code
            return
        path = self.files.get(bucket.key)
        if path is not None:
            with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
                bucket.bytecode_from_string(store.read_regular(path))   # a stale or foreign file: reset, compiled

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.codes[bucket.key] = (bucket.checksum, bucket.code)
        path = self.files.get(bucket.key)
        if path is not None and self.write:
            with contextlib.suppress(OSError):
                path.parent.mkdir(exist_ok=True)
                store.write_atomic(path, bucket.bytecode_to_string())


COMPILED = _Compiled()


def make_environment(decimals: int, search: Sequence[Path] = ()) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(list(search)), _package_loader()]),
        bytecode_cache=COMPILED,
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
    for q in QUESTIONS:
        if q.filters:
            env.filters.update(import_module(q.filters).filters(decimals))
    env.globals["page"] = layout.PAGE
    env.globals["study"] = True   # the complete edition unless a render says otherwise (report.edition)
    env.globals["rounding_examples"] = {  # the opening note states the rule on computed examples
        "ties": [(fmt_given(x, rounding.EXAMPLE_DECIMALS, pad=False), fmt_number(x, rounding.EXAMPLE_DECIMALS))
                 for x in rounding.TIE_EXAMPLES],
        "small": fmt_number(rounding.SMALL_EXAMPLE, rounding.EXAMPLE_DECIMALS),
    }
    return env


def filters(decimals: int) -> dict[str, Callable[..., str]]:
    """Every formatting filter, bound to the report's number of decimals.

    `given=True` prints data exactly as the config gives it instead of rounded;
    `num(fixed=True)` shows the decimals of an exact integer too (table columns);
    `sig=True` marks a value whose size carries the meaning (a ratio, an eigenvalue, a
    gradient entry): it keeps at least MEANINGFUL significant digits.
    A question's own filters (its entry's `filters` module) are added by make_environment.
    """

    def cell(given: bool, fixed: bool = False, sig: bool = False, data: Any = None) -> Callable[[float], str]:
        """given: unrounded, padded to the places the data itself has (`data`: the whole array,
        so that a matrix's entries line up without claiming digits the data does not have).
        An entry of an array of more than one number keeps MEANINGFUL digits (rounding.significance)."""
        if given:
            import numpy as np

            plain = [x for x in np.ravel(np.asarray(data if data is not None else [], dtype=float)) if "e" not in repr(float(x))]
            pad = decimals if data is None else min(decimals, layout.data_decimals(np.array(plain)) if plain else 0)
            return lambda x: fmt_given(x, pad)
        keep = MEANINGFUL if sig else (rounding.significance(data) if data is not None else 1)
        return lambda x: fmt_number(x, decimals, fixed, keep)

    return {
        "num": lambda x, given=False, fixed=False, sig=False: cell(given, fixed, sig)(x),
        "given": lambda x: fmt_given(x, decimals, pad=False),
        "vec": lambda v, given=False, sig=False, fixed=False, apart=None: fmt_vector(
            v, cell(given, fixed, sig, data=v), apart=apart),
        "rowvec": lambda v, given=False, sig=False, fixed=False, apart=None: fmt_vector(
            v, cell(given, fixed, sig, data=v), row=True, apart=apart),
        "matrix": lambda M, given=False, apart=None: fmt_matrix(M, cell(given, data=M), apart),
        "sym": lambda e, order=None: fmt_sym(e, decimals, order),
        "tex": fmt_text,
        "breakable": fmt_breakable,
        "shorten": fmt_shorten,
        "shown": lambda a, marks=True, apart=None: fmt_shown(a, cell(a.given, sig=a.significant > 1, data=a.value),
                                                             decimals, marks, apart),
        "notes": lambda pairs: fmt_notes(pairs, decimals),
    }


def _package_loader() -> jinja2.BaseLoader:
    if not TEMPLATES.is_dir():
        raise BrokenInstallation("broken installation: the templates folder is missing from the hw1-solver package; "
                                 "reinstall it (pip install --force-reinstall hw1-solver)")
    return jinja2.FileSystemLoader(TEMPLATES)


def render(template: str, decimals: int, search: Sequence[Path] = (), **context: Any) -> str:
    """`template` rendered with the filters for `decimals`; `search` are folders looked in first.

    A template missing from the package is a broken installation (BrokenInstallation),
    not an I/O error of the output directory (jinja2's TemplateNotFound is an OSError)."""
    try:
        return make_environment(decimals, search).get_template(template).render(**context)
    except jinja2.TemplateNotFound as missing:
        raise BrokenInstallation(f"broken installation: the template {missing.name} is missing from the hw1-solver "
                                 "package (templates/); reinstall it "
                                 "(pip install --force-reinstall hw1-solver)") from None
