"""The formatting filters: tables of (input, expected), and templates from a DictLoader."""
from __future__ import annotations

import jinja2
import numpy as np
import pytest
import sympy

from solver import latex, layout
from solver.questions.q3_mlp.solve import Shown, shown


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (1.89285856, 4, "1.8929"),
        (-0.00004, 4, r"-4.00\times 10^{-5}"),  # would round to zero: significant digits instead
        (-0.00005001, 4, "-0.0001"),
        (0.0, 4, "0"),               # exact integers print bare
        (1.0, 4, "1"),
        (-3.0, 4, "-3"),
        (2.5, 0, "3"),               # half away from zero, on the decimal value
        (0.125, 2, "0.13"),
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
        ("O'Brien & Sons_{1}", r"O\textquotesingle{}Brien \& Sons\_\{1\}"),
        ("''a'' ``b``", r"\textquotesingle{}\textquotesingle{}a\textquotesingle{}\textquotesingle{} "
                        r"\textasciigrave{}\textasciigrave{}b\textasciigrave{}\textasciigrave{}"),
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


# ---------------------------------------------------------------- Question 3's displayed arrays

def S(value, from_rounded=None, given=False) -> Shown:
    """A displayed array at 4 decimals, checked against `from_rounded` when given."""
    return shown(np.array(value, dtype=float), None if from_rounded is None else np.array(from_rounded, dtype=float),
                 4, given=given)


@pytest.mark.parametrize(
    ("a", "marks", "expected"),
    [
        (S([[1.89285856]], [[1.8931]]), True,                                # a 1 x 1 is a number,
         r"1.8929\ \text{(full precision; by hand $1.8931$, by 2 in the 4th decimal place)}"),  # hand value beside it
        (S([[1.89285856]], [[1.8931]]), False, "1.8929"),                      # an operand repeated: no mark
        (S([[1.89285856]], [[1.89289]]), True, "1.8929"),                      # same digits: no mark
        (S([[0.5]]), True, "0.5000"),                                          # not checked
        (S([[2.20084], [0.18541]], [[2.20091], [0.18539]]), True,
         r"\begin{bmatrix} 2.2008{}^{\dagger} \\ 0.1854 \end{bmatrix}"),
        (S([[1.0, -0.00004]], [[1.0, 0.00004]]), True,   # never printed as 0, so the sign differs
         r"\begin{bmatrix} 1 & -4.00\times 10^{-5}{}^{\dagger} \end{bmatrix}"),
        (S([[0.1, 0.2], [0.3, 0.4]], [[0.1, 0.2], [0.30006, 0.4]]), True,
         r"\begin{bmatrix} 0.1000 & 0.2000 \\ 0.3000{}^{\dagger} & 0.4000 \end{bmatrix}"),
        (S([[0.1, 0.2], [0.3, 0.4]], [[0.1, 0.2], [0.30006, 0.4]]), False,
         r"\begin{bmatrix} 0.1000 & 0.2000 \\ 0.3000 & 0.4000 \end{bmatrix}"),
        (S([[-0.948, 0.00125]], given=True), True, r"\begin{bmatrix} -0.9480 & 0.00125 \end{bmatrix}"),  # data
    ],
)
def test_shown(a: Shown, marks: bool, expected: str) -> None:
    assert latex.filters(4)["shown"](a, marks=marks) == expected


HEAD = r"{\footnotesize\sloppy $^{\dagger}$\,By hand from the rounded values printed above:"
TAIL = r".\par}"


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([], ""),
        ([("L", S([[1.89285856]], [[1.89289]])), ("z_1", S([[0.5]]))], ""),  # nothing differs: no paragraph
        ([("L", S([[1.89285856]], [[1.8931]]))], ""),   # a single number says it beside itself (test_shown)
        ([("z_2", S([[-1.55926], [0.5], [1.37046]], [[-1.55924], [0.5], [1.37044]])),
          ("L", S([[3.03066]], [[3.0303]]))],
         HEAD + r" $z_2$ entry 1 gives $-1.5592$ (printed: $-1.5593$, by 1 in the 4th decimal place);"
         r" $z_2$ entry 3 gives $1.3704$ (printed: $1.3705$, by 1 in the 4th decimal place)" + TAIL),
        ([(r"\ell", S([[0.1, 0.2]], [[0.1, 0.20006]]))],
         HEAD + r" $\ell$ entry 2 gives $0.2001$ (printed: $0.2000$, by 1 in the 4th decimal place)" + TAIL),
        ([("W_1", S([[0.1, 0.2], [0.3, 0.4]], [[0.1, 0.2], [0.30006, 0.4]]))],
         HEAD + r" $W_1$ entry $(2,1)$ gives $0.3001$ (printed: $0.3000$, by 1 in the 4th decimal place)" + TAIL),
    ],
)
def test_notes(pairs: list[tuple[str, Shown]], expected: str) -> None:
    assert latex.filters(4)["notes"](pairs) == expected


def test_shown_and_notes_in_a_template() -> None:
    env = _env({"t": r"$z = \VAR{a | shown}$ \VAR{[('z', a)] | notes}"})
    a = S([[0.1], [0.2]], [[0.10006], [0.2]])
    assert env.get_template("t").render(a=a) == (
        r"$z = \begin{bmatrix} 0.1000{}^{\dagger} \\ 0.2000 \end{bmatrix}$ "
        + HEAD + r" $z$ entry 1 gives $0.1001$ (printed: $0.1000$, by 1 in the 4th decimal place)" + TAIL
    )


@pytest.mark.parametrize(("cell", "digits"), [("-0.25", 4.3), ("12", 2), (r"3.35\times 10^{-4}", 3.3 + 3.5 + 1.4),
                                             (r"1.5{}^{\dagger}", 2.3 + 0.7)])
def test_cell_widths_count_scientific_form_and_marks(cell: str, digits: float) -> None:
    assert layout.cell_digits(cell) == pytest.approx(digits)


def test_a_matrix_wider_than_a_line_is_set_in_even_blocks_of_columns() -> None:
    cells = [[f"-{i}.{j:04d}" for j in range(20)] for i in range(2)]
    per_line = layout.block_columns(cells)
    assert per_line < 20
    stacked = latex.fmt_cells(cells)
    blocks = stacked.count(r"\begin{matrix}")
    assert blocks == -(-20 // per_line) and stacked.startswith(r"\begin{array}")
    assert stacked.count(r"\left[") == stacked.count(r"\right]") == 1           # one bracket each side, for the whole
    assert all(f"-1.{j:04d}" in stacked for j in range(20))                     # every entry, once
    widths = [len(b.split(r"\\")[0].split("&")) for b in stacked.split(r"\begin{matrix}")[1:]]
    assert max(widths) - min(widths) <= 1                                       # no stub of one column
    apart = latex.fmt_cells(cells, apart=r"\\ &")
    assert apart.count(r"\\ &") == blocks - 1 and r"\begin{array}" not in apart  # each block a line of the display
    assert latex.fmt_cells([["1", "2"]]) == r"\begin{bmatrix} 1 & 2 \end{bmatrix}"


# ---------------------------------------------------------------- templates kept compiled (latex.COMPILED)

def _environment(root, cache):   # as make_environment, on a folder of the test's own
    return jinja2.Environment(loader=jinja2.FileSystemLoader(root), bytecode_cache=cache, undefined=jinja2.StrictUndefined)


def _no_compiling(env: jinja2.Environment, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("compiled a template that was kept compiled")
    monkeypatch.setattr(env, "compile", refuse)


def test_a_template_kept_compiled_is_loaded_by_the_next_process_and_never_stale(tmp_path, monkeypatch) -> None:
    root = tmp_path / "templates"
    (root / "q9").mkdir(parents=True)
    (root / "q9" / "solution.tex.j2").write_text("x = {{ x }}\n")
    first = latex._Compiled(root)
    first.write = True
    assert _environment(root, first).get_template("q9/solution.tex.j2").render(x=1) == "x = 1"
    assert [p.suffix for p in (root / "__pycache__").iterdir()] == [".jinja"]
    # A new process (a new cache, empty in memory) loads it, under either name it is loaded by.
    for name, folder in (("q9/solution.tex.j2", root), ("solution.tex.j2", root / "q9")):
        env = _environment(folder, latex._Compiled(root))
        _no_compiling(env, monkeypatch)
        assert env.get_template(name).render(x=2) == "x = 2"
    # The source edited: compiled again, never the old code.
    (root / "q9" / "solution.tex.j2").write_text("y = {{ x }}\n")
    assert _environment(root, latex._Compiled(root)).get_template("q9/solution.tex.j2").render(x=3) == "y = 3"


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "fifo", "directory"])
def test_a_damaged_compiled_template_is_compiled_again(tmp_path, damage: str) -> None:
    import os

    root = tmp_path / "templates"
    root.mkdir()
    (root / "doc.tex.j2").write_text("{{ 6 * 7 }}\n")
    cache = latex._Compiled(root)
    cache.write = True
    _environment(root, cache).get_template("doc.tex.j2")
    kept = next((root / "__pycache__").iterdir())
    data = kept.read_bytes()
    kept.unlink()
    if damage == "fifo":
        os.mkfifo(kept)
    elif damage == "directory":
        kept.mkdir()
    else:
        kept.write_bytes({"garbage": b"\x00not jinja bytecode" * 50, "truncated": data[:len(data) // 2], "empty": b""}[damage])
    assert _environment(root, latex._Compiled(root)).get_template("doc.tex.j2").render() == "42"


def test_nothing_is_kept_where_python_may_not_write_bytecode(tmp_path) -> None:
    root = tmp_path / "templates"
    root.mkdir()
    (root / "doc.tex.j2").write_text("{{ 1 }}\n")
    cache = latex._Compiled(root)
    cache.write = False   # as with PYTHONDONTWRITEBYTECODE set
    assert _environment(root, cache).get_template("doc.tex.j2").render() == "1"
    assert not (root / "__pycache__").exists()


def test_the_fragment_key_ignores_the_compiled_templates(tmp_path) -> None:
    from solver import render

    search = tmp_path / "q9"
    search.mkdir()
    (search / "solution.tex.j2").write_text("x\n")
    before = render.template_sources([search])
    (search / "__pycache__").mkdir()
    (search / "__pycache__" / "abc.jinja").write_bytes(b"compiled")
    assert render.template_sources([search]) == before
    (search / "solution.tex.j2").write_text("y\n")
    assert render.template_sources([search]) != before
