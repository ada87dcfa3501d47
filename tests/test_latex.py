"""The formatting filters: tables of (input, expected), and templates from a DictLoader."""
from __future__ import annotations

import jinja2
import numpy as np
import pytest
import sympy

from solver import latex


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (1.89285856, 4, "1.8929"),
        (-0.00004, 4, "0.0000"),     # rounds to zero: no "-0.0000", but not an exact 0
        (-0.00005001, 4, "-0.0001"),
        (0.0, 4, "0"),               # exact integers print bare
        (1.0, 4, "1"),
        (-3.0, 4, "-3"),
        (2.5, 0, "2"),               # Python's round-half-even on the binary value
        (0.125, 2, "0.12"),
        (1234567.891, 2, r"1.23\times 10^{6}"),
        (-2.5e7, 1, r"-2.5\times 10^{7}"),
        (0.1 + 0.2, 4, "0.3000"),
    ],
)
def test_fmt_number(x: float, decimals: int, expected: str) -> None:
    assert latex.fmt_number(x, decimals) == expected


@pytest.mark.parametrize(
    ("x", "expected"),
    [(-0.948, "-0.9480"), (0.00125, "0.00125"), (0.01, "0.0100"), (2.0, "2"), (-1.5651, "-1.5651")],
)
def test_fmt_given_pads_but_never_rounds(x: float, expected: str) -> None:
    assert latex.fmt_given(x, 4) == expected


@pytest.mark.parametrize(("x", "expected"), [(0.5, "0.5"), (0.01, "0.01"), (1e-06, r"1\times 10^{-6}"), (3.0, "3")])
def test_scalar_given_is_shortest(x: float, expected: str) -> None:
    assert latex.filters(4)["given"](x) == expected


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_numbers_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        latex.fmt_number(bad, 4)


@pytest.mark.parametrize(("x", "expected"), [(4.0, "4.0000"), (0.0, "0.0000"), (-1.0, "-1.0000"), (0.25, "0.2500")])
def test_fixed_shows_the_decimals_of_integers_too(x: float, expected: str) -> None:
    assert latex.filters(4)["num"](x, fixed=True) == expected


def test_matrix_and_vectors() -> None:
    f = latex.filters(2)
    assert f["matrix"](np.array([[1.234, -0.5], [0.0, 2.0]])) == (
        r"\begin{bmatrix} 1.23 & -0.50 \\ 0 & 2 \end{bmatrix}"
    )
    assert f["vec"]([0.111, 1]) == r"\begin{bmatrix} 0.11 \\ 1 \end{bmatrix}"
    assert f["rowvec"]([0.111, 1]) == r"\begin{bmatrix} 0.11 & 1 \end{bmatrix}"
    assert f["matrix"]([0.5, 0.25], given=True) == r"\begin{bmatrix} 0.50 \\ 0.25 \end{bmatrix}"


def test_sym_rounds_float_atoms_only() -> None:
    z = sympy.Symbol("z")
    assert latex.fmt_sym(sympy.Float(0.123456) * z + sympy.Rational(1, 3), 3) == r"0.123 z + \frac{1}{3}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("O'Brien & Sons_{1}", r"O'Brien \& Sons\_\{1\}"),
        ("100%", r"100\%"),
        (r"\input{x}", r"\textbackslash{}input\{x\}"),
        ("a~b^c", r"a\textasciitilde{}b\^{}c"),
    ],
)
def test_text_is_escaped(text: str, expected: str) -> None:
    assert latex.fmt_text(text) == expected


def _env(templates: dict[str, str]) -> jinja2.Environment:
    env = latex.make_environment(4)
    env.loader = jinja2.DictLoader(templates)
    return env


def test_delimiters_leave_latex_braces_alone() -> None:
    env = _env({"t": r"\frac{1}{2} = \VAR{x | num}\BLOCK{if flag} yes\BLOCK{endif}" "\n%# a template comment\n"})
    assert env.get_template("t").render(x=0.5, flag=True) == r"\frac{1}{2} = 0.5000 yes" "\n"


def test_undefined_names_are_errors() -> None:
    with pytest.raises(jinja2.UndefinedError):
        _env({"t": r"\VAR{missing}"}).get_template("t").render()
