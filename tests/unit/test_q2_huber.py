"""Question 2: the Huber backward pass against independent references, and its section of the PDF."""
from __future__ import annotations

import math
import re
from pathlib import Path
from types import SimpleNamespace

import jinja2
import numpy as np
import pytest
import sympy

from solver.questions.q2_huber import QUESTION as Q2
from solver import config, latex
from solver.questions.q2_huber import solve as q2_huber
from solver.questions.q2_huber.solve import huber, huber_grad

ALT = ["q2.delta=1.0", "q2.z=[0.2,3.0]", "q2.z_hat=[0.0,-1.0]"]  # the issue's `make pdf SET=...`


def solve(*assignments: str) -> q2_huber.Result:
    return Q2.solve(config.load(None, list(assignments)))


def J_loop(z: np.ndarray, z_hat: np.ndarray, delta: float) -> float:
    """The homework's forward pass, one sample at a time."""
    total = 0.0
    for zi, zhi in zip(z, z_hat):
        r = zi - zhi
        total += 0.5 * r * r if abs(r) <= delta else delta * abs(r) - 0.5 * delta * delta
    return total / len(z)


def grad_loop(z: np.ndarray, z_hat: np.ndarray, delta: float) -> np.ndarray:
    """The boxed answer, one sample at a time."""
    N = len(z)
    return np.array([(r if abs(r) <= delta else delta * math.copysign(1.0, r)) / N
                     for r in (zi - zhi for zi, zhi in zip(z, z_hat))])


# ---------------------------------------------------------------- the numbers

def test_defaults_by_hand() -> None:
    q = solve()
    # r = [0.3, -0.2, 1.5, -2] with delta = 0.5
    np.testing.assert_allclose(q.residual, [0.3, -0.2, 1.5, -2.0], atol=1e-15)
    assert q.branch == ("quadratic", "quadratic", "linear", "linear")
    np.testing.assert_allclose(q.J_i, [0.045, 0.02, 0.625, 0.875], atol=1e-15)
    assert q.J == pytest.approx(0.39125, abs=1e-15)
    np.testing.assert_allclose(q.dJ_dz, [0.075, -0.05, 0.125, -0.125], atol=1e-15)
    np.testing.assert_allclose(q.dJ_dz_hat, -q.dJ_dz)
    # the defaults exercise both branches and both signs
    signs = {(b, bool(r > 0)) for b, r in zip(q.branch, q.residual)}
    assert signs == {("quadratic", True), ("quadratic", False), ("linear", True), ("linear", False)}


def test_alternative_config_by_hand() -> None:
    q = solve(*ALT)
    assert q.delta == 1.0 and q.N == 2
    assert q.branch == ("quadratic", "linear")
    np.testing.assert_allclose(q.J_i, [0.02, 3.5])
    assert q.J == pytest.approx(1.76)
    np.testing.assert_allclose(q.dJ_dz, [0.1, 0.5])


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.7])
def test_gradient_matches_central_differences_away_from_branch_points(delta: float) -> None:
    rng = np.random.default_rng(5)
    z_hat = rng.normal(size=40)
    z = z_hat + rng.uniform(-4 * delta, 4 * delta, size=40)
    r = z - z_hat
    keep = np.abs(np.abs(r) - delta) > 1e-3
    z, z_hat = z[keep], z_hat[keep]
    q = solve(f"q2.delta={delta}", f"q2.z={z.tolist()}", f"q2.z_hat={z_hat.tolist()}")
    h = 1e-6
    numeric = np.empty_like(z)
    for i in range(z.size):
        up, down = z.copy(), z.copy()
        up[i] += h
        down[i] -= h
        numeric[i] = (J_loop(up, z_hat, delta) - J_loop(down, z_hat, delta)) / (2 * h)
    np.testing.assert_allclose(q.dJ_dz, numeric, atol=1e-8)
    assert q.J == pytest.approx(J_loop(z, z_hat, delta), rel=1e-14)


@pytest.mark.parametrize("delta", [0.5, 1.0, 0.25])
def test_at_the_branch_points_both_branches_agree(delta: float) -> None:
    r = np.array([-delta, delta])  # exactly representable: z - z_hat is exact
    q = solve(f"q2.delta={delta}", f"q2.z={r.tolist()}", "q2.z_hat=[0.0, 0.0]")
    assert q.branch == ("quadratic", "quadratic")  # the homework's "<="
    quadratic_J, linear_J = 0.5 * r**2, delta * np.abs(r) - 0.5 * delta**2
    quadratic_dJ, linear_dJ = r, delta * np.sign(r)
    np.testing.assert_array_equal(quadratic_J, linear_J)
    np.testing.assert_array_equal(quadratic_dJ, linear_dJ)
    np.testing.assert_array_equal(q.J_i, linear_J)
    np.testing.assert_array_equal(q.dJ_dz, linear_dJ / 2)
    # the derivative exists there: both one-sided difference quotients tend to it
    h = 1e-7
    for sign in (-1, 1):
        at = sign * delta
        left = (huber(np.array([at]), delta) - huber(np.array([at - h]), delta)) / h
        right = (huber(np.array([at + h]), delta) - huber(np.array([at]), delta)) / h
        assert left[0] == pytest.approx(at, abs=1e-6) and right[0] == pytest.approx(at, abs=1e-6)


def test_vectorised_gradient_equals_a_loop() -> None:
    rng = np.random.default_rng(0)
    for delta in (0.1, 0.5, 3.0):
        z, z_hat = rng.normal(scale=2, size=64), rng.normal(size=64)
        z[:3] = z_hat[:3] + np.array([delta, -delta, 0.0])
        q = solve(f"q2.delta={delta}", f"q2.z={z.tolist()}", f"q2.z_hat={z_hat.tolist()}")
        np.testing.assert_allclose(q.dJ_dz, grad_loop(z, z_hat, delta), rtol=0, atol=1e-15)
        assert [row.branch for row in q.rows] == ["quadratic" if abs(a - b) <= delta else "linear"
                                                   for a, b in zip(z, z_hat)]


# ---------------------------------------------------------------- the symbolic derivation

def test_sympy_piecewise_derivative_equals_the_boxed_form_on_a_grid() -> None:
    d = q2_huber.derive()
    for delta in (0.5, 1.0, 2.0):
        grid = np.concatenate([np.linspace(-4 * delta, 4 * delta, 801), [-delta, delta, 0.0]])
        dJ = sympy.lambdify(d.r, d.dJi_dr.subs(d.delta, delta), "numpy")
        J = sympy.lambdify(d.r, d.J_i.subs(d.delta, delta), "numpy")
        np.testing.assert_allclose(dJ(grid), huber_grad(grid, delta), atol=1e-14)
        np.testing.assert_allclose(J(grid), huber(grid, delta), atol=1e-14)
    assert d.dJi_dr_is_boxed and d.dJi_dz_is_dJi_dr and d.dJi_dz_hat_is_negative


def test_continuity_of_J_and_its_derivative_and_the_jump_of_the_second() -> None:
    d = q2_huber.derive()
    delta = d.delta
    lo, hi = d.branch_points
    assert (lo.at, hi.at) == (-delta, delta)
    assert lo.sides == ("linear", "quadratic") and hi.sides == ("quadratic", "linear")
    assert lo.J == hi.J == (delta**2 / 2, delta**2 / 2)
    assert lo.dJ == (-delta, -delta) and hi.dJ == (delta, delta)
    assert lo.d2J == (0, 1) and hi.d2J == (1, 0)
    assert (lo.d2J_jump, hi.d2J_jump) == (1, -1)
    assert d.J_continuous and d.dJ_continuous and d.d2J_jumps
    # the same, numerically: second differences just inside and just outside delta = 0.5
    h, eps = 1e-4, 1e-2
    second = lambda x: (huber(np.array([x + h]), 0.5) - 2 * huber(np.array([x]), 0.5) + huber(np.array([x - h]), 0.5)) / h**2
    assert second(0.5 - eps)[0] == pytest.approx(1, abs=1e-6)
    assert second(0.5 + eps)[0] == pytest.approx(0, abs=1e-6)


def test_one_sided_limits_see_a_jump() -> None:
    """The limit helper can report a discontinuity: it is not comparing a piece with itself."""
    r, delta = sympy.Symbol("r", real=True), sympy.Symbol("delta", positive=True)
    step = sympy.Piecewise((r, sympy.Abs(r) <= delta), (r + 1, True))
    assert q2_huber._one_sided(step, r, delta, -1, delta / 2) == ("quadratic", delta)
    assert q2_huber._one_sided(step, r, delta, 1, delta / 2) == ("linear", delta + 1)


def test_the_branch_by_branch_comparison_can_fail() -> None:
    """derive's equalities are real checks: a wrong piece, a wrong condition or a factor off fails."""
    r, delta = sympy.Symbol("r", real=True), sympy.Symbol("delta", positive=True)
    boxed = sympy.Piecewise((r, sympy.Abs(r) <= delta), (delta * sympy.sign(r), True))
    as_written = sympy.Piecewise((r, sympy.Le(sympy.Abs(r, evaluate=False), delta, evaluate=False)),
                                 (delta * sympy.sign(r), True), evaluate=False)
    assert q2_huber._same(boxed, as_written) and q2_huber._same(2 * boxed, boxed + as_written)
    assert not q2_huber._same(boxed, sympy.Piecewise((r, sympy.Abs(r) <= delta), (sympy.sign(r), True)))
    assert not q2_huber._same(boxed, sympy.Piecewise((r, sympy.Abs(r) < delta), (delta * sympy.sign(r), True)))
    assert not q2_huber._same(boxed, sympy.Piecewise((r, sympy.Abs(r) <= delta / 2), (delta * sympy.sign(r), True)))
    assert not q2_huber._same(boxed, -boxed) and not q2_huber._same(boxed, boxed / 2)
    assert not q2_huber._same(boxed, r) and not q2_huber._same(delta**2 / 2, delta**2)


def test_numbers_at_the_branch_point_follow_delta() -> None:
    q = solve(*ALT)
    assert (q.J_at_branch, q.dJ_at_branch) == (0.5, 1.0)
    q = solve()
    assert (q.J_at_branch, q.dJ_at_branch) == (0.125, 0.5)
    for delta in (1e-3, 0.37, 250.0):   # the homework's J and its derivative at r = delta
        q = solve(f"q2.delta={delta}")
        assert q.J_at_branch == pytest.approx(delta**2 / 2, rel=1e-15) and q.dJ_at_branch == pytest.approx(delta, rel=1e-15)


def test_a_solve_with_the_derivation_cached_imports_no_sympy(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    code = ("import sys; from solver import config; from solver.questions import QUESTIONS\n"
            "QUESTIONS[1].solve(config.load(None, ['q2.delta=0.7']))\n"
            "print('sympy' in sys.modules)")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
            for _ in range(2)]
    assert runs == ["True\n", "False\n"]   # derived (and cached) the first time only


# ---------------------------------------------------------------- the contract and the page

def test_answers_contract_full_precision() -> None:
    q = solve("q2.z=[0.1, 0.7, -1.3]", "q2.z_hat=[0.0, 0.0, 0.0]")
    a = q2_huber.answers(q)
    assert set(a) == {"delta", "example"}
    assert set(a["example"]) == {"z", "z_hat", "residual", "branch", "J", "dJ_dz"}
    assert a["delta"] == 0.5 and a["example"]["branch"] == ["quadratic", "linear", "linear"]
    assert a["example"]["dJ_dz"] == [0.1 / 3, 0.5 / 3, -0.5 / 3]  # not rounded to 4 places
    assert a["example"]["J"] == pytest.approx((0.005 + 0.225 + 0.525) / 3, rel=1e-15)
    assert all(type(x) is float for x in a["example"]["residual"])


def test_long_examples_split_into_page_sized_tables() -> None:
    z = np.linspace(-3, 3, 75).tolist()
    q = solve(f"q2.z={z}", f"q2.z_hat={[0.0] * 75}")
    assert [len(t) for t in q.tables] == [30, 30, 15]
    assert [row.i for t in q.tables for row in t] == list(range(1, 76))
    assert not q.sum_written_out


def render_section(q: q2_huber.Result, cfg: config.Config, fig: dict[str, str]) -> str:
    env = latex.make_environment(cfg.report.decimals)
    env.loader = jinja2.ChoiceLoader([
        jinja2.DictLoader({"only_q2.tex.j2": '\\BLOCK{extends "base.tex.j2"}\\BLOCK{block body}'
                                             '\\BLOCK{include "q2/solution.tex.j2"}\\BLOCK{endblock}'}),
        env.loader,
    ])
    from solver.pipeline import about

    from solver.layout import PAGE

    return env.get_template("only_q2.tex.j2").render(cfg=cfg, s=SimpleNamespace(q2=q), fig=fig, about=about(cfg),
                                                      page=PAGE)


def test_section_text_follows_the_config() -> None:
    cfg = config.load(None, ALT)
    tex = render_section(Q2.solve(cfg), cfg, fig={})
    section = tex[tex.index(r"\section*{Question 2}"):]
    assert r"such as $\delta = 1$" in section
    assert r"\frac{1}{2}\bigl(0.0200 + 3.5000\bigr)" in section
    assert "= 1.7600" in section
    assert r"\begin{bmatrix} 0.1000 & 0.5000 \end{bmatrix}^T" in section
    assert "(for $\\delta = 1$ both\nbranches give $J^{(i)} = 0.5000$)" in section
    assert "sample 2 ($r = 4$)" in section and "would contribute\n$4$" in section
    assert r"\delta = 0.5" not in section and "nan" not in section.lower()


def test_section_compiles_cleanly_with_its_figure(tmp_path: Path) -> None:
    """The section alone, with its figure: compiles, no overfull boxes, no Type 3 fonts, the numbers in the PDF."""
    from solver.engine import pdflatex as compile
    from solver.figures import styled
    from solver.questions.q2_huber import figures as q2_figure
    from solver.questions import QUESTIONS
    from conftest import pdf_text

    cfg = config.load(None, ALT)
    q = Q2.solve(cfg)
    (tmp_path / "figures").mkdir()
    with styled(QUESTIONS[1].figure_size("huber")):
        figure = q2_figure.huber(q, tmp_path / "figures")
    assert b"/Type3" not in figure.read_bytes()
    tex = tmp_path / "q2.tex"
    tex.write_text(render_section(q, cfg, fig={"q2_huber": "figures/q2_huber.pdf"}), encoding="utf-8")
    pdf = compile.pdf(tex)
    log = tex.with_suffix(".log").read_text(encoding="latin-1")
    assert not re.findall(r"^(Overfull|Underfull \\hbox).*$", log, re.M)
    text = pdf_text(pdf)
    for expected in ("Question 2", "quadratic", "linear", "1.7600", "3.5000", "Figure 1"):
        assert expected in text, expected
    assert "nan" not in text.lower()


@pytest.mark.parametrize("assignments, inside, beyond", [
    ([], True, False),                                          # |r| <= 2 = 4 delta: all plotted
    (["q2.z=[100.0]", "q2.z_hat=[0.0]"], False, True),          # |r| = 200 delta: beyond any span (<= 8 delta)
    (["q2.z=[0.1, 100.0]", "q2.z_hat=[0.1, 0.0]"], True, True),
    (["q2.z=[0.1]", "q2.z_hat=[0.1]"], True, False),            # r = 0 < 3 delta: always plotted
])
def test_caption_mentions_dots_and_triangles_only_when_drawn(assignments: list[str], inside: bool,
                                                              beyond: bool) -> None:
    cfg = config.load(None, assignments)
    q = Q2.solve(cfg)
    assert (q.has_sample_inside_plot, q.has_sample_beyond_plot) == (inside, beyond)
    assert 3 * q.delta <= q.plot_span <= 8 * q.delta
    np.testing.assert_array_equal(q.beyond_plot, np.abs(q.residual) > q.plot_span)
    caption = " ".join(render_section(q, cfg, fig={"q2_huber": "f.pdf"}).split())
    caption = caption[caption.index(r"\caption"):caption.index(r"\label{fig:q2-huber}")]
    assert ("dots are the worked example's samples" in caption) == inside
    assert ("a triangle on the edge marks each sample" in caption) == beyond
