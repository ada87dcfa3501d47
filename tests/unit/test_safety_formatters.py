"""Properties of the number and matrix filters: any finite float renders as LaTeX maths,
and the rounding is a calculator's (half away from zero on the decimal value, computed
here by hand from the digits of repr(x)); checked by parsing the output back."""
from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import requires_tex
from solver import config, latex
from solver.engine import pdflatex as compile

finite = st.floats(allow_nan=False, allow_infinity=False)
decimals = st.integers(0, 12)

PLAIN = re.compile(r"-?\d+(\.\d+)?")
SCIENTIFIC = re.compile(r"(-?\d(?:\.\d+)?)\\times 10\^\{(-?\d+)\}")


def value_of(text: str) -> float:
    """The number a reader sees in `text`: 1.5, or 1.5\\times 10^{7}."""
    match = SCIENTIFIC.fullmatch(text)
    if match:
        return float(f"{match[1]}e{match[2]}")
    assert PLAIN.fullmatch(text), text
    return float(text)


def close_enough(text: str, x: float, d: int) -> bool:
    """Within half a unit of the last printed digit, in exact decimals (2\\times 10^{308} is past float)."""
    match = SCIENTIFIC.fullmatch(text)
    assert match, text
    shown = Decimal(match[1]).scaleb(int(match[2]))
    return abs(shown - Decimal(x)) <= Decimal(5).scaleb(int(match[2]) - d - 1)


def half_up(digits: Decimal, places: int) -> Decimal:
    """|digits| to `places` places, half away from zero, by truncating and looking at what was cut off."""
    scaled = abs(digits).scaleb(places)
    whole = int(scaled)                        # truncates toward zero
    if scaled - whole >= Decimal("0.5"):
        whole += 1
    return Decimal(whole).scaleb(-places).copy_sign(digits)


def calculator(x: float, d: int) -> float:
    """x as a calculator shows it at d places: its display first (10 significant digits of the double's exact
    value, or 15 when the d places lie beyond those 10), then d places half away from zero."""
    exact = Decimal(x)
    if exact == 0:
        return 0.0
    digits = 10 if exact.adjusted() - 9 <= -d else 15
    display = half_up(exact, digits - 1 - exact.adjusted())
    return float(half_up(display, d))


def shows_two_digits(x: float, d: int) -> bool:
    """The calculator's d places keep at least two significant digits of x (or x is 0, or at least 1)."""
    shown = calculator(x, d)
    return x == 0 or abs(x) >= 1 or len(f"{abs(shown):.{d}f}".replace(".", "").lstrip("0")) >= 2


def small_is_shown(text: str, x: float) -> bool:
    """A nonzero value that d places would print as 0 shows three significant digits instead."""
    match = SCIENTIFIC.fullmatch(text)
    if not match or len(match[1].lstrip("-").partition(".")[2]) != 2:
        return False
    return abs(value_of(text) - x) <= 0.005 * 10.0 ** int(match[2]) * (1 + 1e-12)


@settings(max_examples=2000)
@given(x=finite, d=decimals)
def test_any_finite_float_renders_rounded_as_a_calculator_rounds(x: float, d: int) -> None:
    text = latex.fmt_number(x, d)
    assert not re.search(r"nan|inf|e[+-]", text)
    if x != 0 and abs(x) < latex.SCIENTIFIC_ABOVE and calculator(x, d) == 0:
        assert small_is_shown(text, x), text
        return
    if abs(x) >= latex.SCIENTIFIC_ABOVE:
        match = SCIENTIFIC.fullmatch(text)
        assert match, text
        mantissa = float(match[1])
        assert 1 <= abs(mantissa) < 10
        assert len(match[1].lstrip("-").partition(".")[2]) == d
        assert close_enough(text, x, d)
    elif x.is_integer():
        assert text == str(int(x))
    else:
        assert PLAIN.fullmatch(text), text
        assert len(text.partition(".")[2]) == d
        assert value_of(text) == calculator(x, d)
        assert value_of(text) != 0


@settings(max_examples=1000)
@given(x=finite, d=decimals)
def test_given_numbers_are_never_rounded(x: float, d: int) -> None:
    text = latex.fmt_given(x, d)
    if abs(x) < latex.SCIENTIFIC_ABOVE:
        assert value_of(text) == x
    else:
        assert close_enough(text, x, d)


@settings(max_examples=300)
@given(M=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=6), elements=finite), d=decimals)
def test_matrices_have_the_shape_and_the_rounded_entries(M: np.ndarray, d: int) -> None:
    text = latex.filters(d)["matrix"](M)
    # One bmatrix, or (wider than a line) blocks of columns: "\left[" on the first, "\right]" on the last.
    blocks = re.findall(r"\\begin\{b?matrix\} (.*?) \\end\{b?matrix\}", text)
    assert blocks, text
    if len(blocks) > 1:
        assert text.count(r"\left[") == 1 and text.count(r"\right]") == 1, text
    pieces = [[row.split(" & ") for row in block.split(r" \\ ")] for block in blocks]
    rows = [sum((piece[i] for piece in pieces), []) for i in range(len(pieces[0]))]
    grid = M.reshape(len(M), -1)  # a vector is typeset as a column
    assert [len(r) for r in rows] == [grid.shape[1]] * grid.shape[0]
    several = M.size > 1   # every entry of a vector or matrix keeps two significant digits at least
    for row, expected in zip(rows, grid):
        for cell, x in zip(row, expected):
            x = float(x)
            if abs(x) < latex.SCIENTIFIC_ABOVE and (x == 0 or calculator(x, d) != 0) and (
                    not several or shows_two_digits(x, d)):
                assert value_of(cell) == calculator(x, d)
            elif abs(x) < latex.SCIENTIFIC_ABOVE:
                assert small_is_shown(cell, x), cell


@settings(max_examples=300, deadline=None)
@given(x=st.floats(min_value=-1e15, max_value=1e15, allow_nan=False), d=decimals)
def test_sympy_floats_are_rounded_to_decimals(x: float, d: int) -> None:
    assume(x == 0 or abs(x) > 1e-300)  # sympy's 15-digit Float reads a subnormal back as 0
    text = latex.fmt_sym(sympy.Float(x) * sympy.Symbol("w"), d)
    expected = calculator(x, d)
    if x == 0:
        assert text == "0"
        return
    if expected == 0 or abs(x) >= latex.SCIENTIFIC_ABOVE:
        # three significant digits for a small value, `d` places of the mantissa for a large one, half away from zero
        exponent = Decimal(repr(x)).adjusted()
        places = Decimal(1).scaleb(-(d if abs(x) >= latex.SCIENTIFIC_ABOVE else 2))
        expected = float(Decimal(repr(x)).scaleb(-exponent).quantize(places, ROUND_HALF_UP).scaleb(exponent))
    number = re.fullmatch(r"(- ?)?(\d+(?:\.\d+)?)(?: \\cdot 10\^\{(-?\d+)\})? w", text)
    assert number, text
    value = (-1 if number[1] else 1) * float(number[2]) * 10.0 ** int(number[3] or 0)
    assert math.isclose(value, expected, rel_tol=1e-14)


EDGES = [0.0, -0.0, 5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308, 0.5, 2.5, -2.5,
         999999.99995, 1e6, -1e-7, 123456.78915, 1 / 3, -2 / 3, 0.1 + 0.2]


@requires_tex
def test_edge_numbers_compile(tmp_path: Path) -> None:
    """What the filters emit is maths pdflatex accepts, in a 20-column bmatrix too."""
    cells = []
    for d in (0, 4, 12):
        f = latex.filters(d)
        cells += [f["num"](x) for x in EDGES] + [f["given"](x) for x in EDGES]
    wide = latex.filters(4)["matrix"](np.array([EDGES + EDGES[:4]]))
    body = "\n".join(f"${c}$\\par" for c in cells) + f"\n\\[{wide}\\]"
    tex = tmp_path / "numbers.tex"
    tex.write_text("\\documentclass{article}\n\\usepackage{amsmath}\n\\setcounter{MaxMatrixCols}{20}\n"
                   f"\\begin{{document}}\n{body}\n\\end{{document}}\n")
    assert compile.pdf(tex).exists()


ALLOWED = [c for c in map(chr, range(0x20, 0x180)) if config._typesettable(c)]
ESCAPES = re.compile(r"\\[&%$#_{}]|\\textasciitilde\{\}|\\textquotesingle\{\}|\\textasciigrave\{\}|\\\^\{\}|\\textbackslash\{\}|\{[-\[\]]\}|\{\}")


@settings(max_examples=500)
@given(text=st.text(alphabet=st.sampled_from(ALLOWED), max_size=config.MAX_TEXT))
def test_escaped_text_has_no_active_character_left(text: str) -> None:
    """Every TeX special is inside one of the known escapes; nothing else can start a command."""
    escaped = latex.fmt_text(text)
    assert not set(ESCAPES.sub("", escaped)) & set("\\{}$&#^_%~")
    assert not re.search(r"<<|>>|,,|[!?]`", escaped), "T1 would print a ligature, not what was typed"


@requires_tex
def test_every_allowed_character_compiles_in_the_documents_fonts(tmp_path: Path) -> None:
    body = "\n\n".join(latex.fmt_text("".join(ALLOWED[i:i + 40])) for i in range(0, len(ALLOWED), 40))
    tex = tmp_path / "letters.tex"
    tex.write_text("\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage[utf8]{inputenc}\n"
                   f"\\usepackage{{lmodern}}\n\\begin{{document}}\n{body}\n\\end{{document}}\n", encoding="utf-8")
    assert compile.pdf(tex).exists()
