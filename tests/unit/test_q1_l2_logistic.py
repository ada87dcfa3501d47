"""Question 1: gradients against finite differences, the inflection point against a numerical
second derivative, and each figure's data against the property it is drawn to show."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import sympy

from solver.questions.q1_l2_logistic import QUESTION as Q1
from solver import config, latex
from solver.questions.q1_l2_logistic import solve as q1
from solver.questions.q1_l2_logistic import derivation as q1a
from solver.questions.q1_l2_logistic import numerics


@pytest.fixture(scope="module")
def result() -> q1.Result:
    return Q1.solve(config.load())


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def random_problem(seed: int, m: int = 7, n: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(m), rng.normal(0, 1.5, (m, n))])
    return rng.normal(0, 1, n + 1), X, rng.integers(0, 2, m).astype(float)


def finite_difference(f, theta: np.ndarray, step: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(theta)
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = step
        grad[j] = (f(theta + e) - f(theta - e)) / (2 * step)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-12))


# The losses as the homework writes them, independent of the solver's code.
def L2(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum((y - sigmoid(X @ theta)) ** 2) / (2 * len(y)))


def Lbce(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """-sum y log h + (1 - y) log(1 - h), with -log h = log(1 + e^{-z}) and -log(1 - h) = log(1 + e^{z})
    so that finite differences do not drown in the rounding of 1 - h."""
    z = X @ theta
    return float(np.sum(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)))


def boxed_numeric(boxed: sympy.Expr, theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The typeset boxed sympy form, evaluated: sum over samples of its summand (times its factor)."""
    (total,) = boxed.atoms(sympy.Sum)
    term = sympy.lambdify((q1a.h_i, q1a.y_i, q1a.x_ij, q1a.m_samples), boxed.xreplace({total: total.function}))
    h = sigmoid(X @ theta)
    return np.array([sum(term(h[i], y[i], X[i, j], len(y)) for i in range(len(y))) for j in range(theta.size)])


# ---------------------------------------------------------------- (a)

@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_gradients_match_finite_differences(seed: int) -> None:
    theta, X, y = random_problem(seed)
    fd_l2 = finite_difference(lambda t: L2(t, X, y), theta)
    fd_bce = finite_difference(lambda t: Lbce(t, X, y), theta)
    assert relative_error(numerics.l2_gradient(theta, X, y), fd_l2) < 1e-6
    assert relative_error(numerics.bce_gradient(theta, X, y), fd_bce) < 1e-6


@pytest.mark.parametrize("seed", [4, 5])
def test_typeset_boxed_forms_match_finite_differences(result: q1.Result, seed: int) -> None:
    theta, X, y = random_problem(seed)
    d = result.derivation
    assert relative_error(boxed_numeric(d.l2.boxed, theta, X, y),
                          finite_difference(lambda t: L2(t, X, y), theta)) < 1e-6
    assert relative_error(boxed_numeric(d.bce.boxed, theta, X, y),
                          finite_difference(lambda t: Lbce(t, X, y), theta)) < 1e-6


def test_sympy_check_holds_and_can_fail(result: q1.Result) -> None:
    d = result.derivation
    assert d.g_identity and d.l2.matches and d.bce.matches and d.l2.chain_rule
    direct = q1a.direct_gradient(q1a.l2_loss_of)
    i, m = q1a.sample_i, q1a.m_samples
    missing_factor = -sympy.Sum((q1a.y_i - q1a.h_i) * q1a.h_i * q1a.x_ij, (i, 1, m)) / m
    wrong_scale = -sympy.Sum((q1a.y_i - q1a.h_i) * q1a.h_i * (1 - q1a.h_i) * q1a.x_ij, (i, 1, m)) / (2 * m)
    assert not q1a.same_gradient(q1a.on_indexed(missing_factor), direct)
    assert not q1a.same_gradient(q1a.on_indexed(wrong_scale), direct)
    assert q1a.same_gradient(q1a.on_indexed(d.l2.boxed), direct)
    assert d.bce.chain_rule


def test_feature_j_in_range_is_what_refine_would_assume() -> None:
    """with_j_a_feature drops the condition j <= n as sympy.refine(e, Q.le(j, n)) does, and only that."""
    j, n, k = q1a.feature_j, q1a.n_features, q1a.feature_k
    x = sympy.IndexedBase("x")
    done = sympy.diff(sympy.Sum(q1a.theta[k] * x[k], (k, 0, n)), q1a.theta[j]).doit()
    assert isinstance(done, sympy.Piecewise)
    assert q1a.with_j_a_feature(done) == sympy.refine(done, sympy.Q.le(j, n)) == x[j]
    beyond = sympy.Piecewise((x[j], j <= n - 1), (0, True))   # another condition is left alone
    assert q1a.with_j_a_feature(beyond) == beyond


def test_typeset_forms_read_as_the_homework_writes_them(result: q1.Result) -> None:
    sym = latex.filters(4)["sym"]
    assert sym(result.derivation.l2.boxed, order="none") == (
        r"- \frac{1}{m} \sum_{i=1}^{m} \left(y^{(i)} - h^{(i)}\right) h^{(i)} \left(1 - h^{(i)}\right) x^{(i)}_{j}"
    )
    assert sym(result.derivation.dz_dtheta) == "{x^{(i)}}_{j}"
    assert sym(result.derivation.bce.dl_dz) == "h^{(i)} - y^{(i)}"


# ---------------------------------------------------------------- (b) 2: the inflection point

def second_difference(f, z: np.ndarray, step: float = 1e-3) -> np.ndarray:
    return (f(z + step) - 2 * f(z) + f(z - step)) / step**2


@pytest.mark.parametrize("label", [1, 0])
def test_inflection_is_where_the_numerical_second_derivative_changes_sign(result: q1.Result, label: int) -> None:
    def loss(z: np.ndarray) -> np.ndarray:
        return 0.5 * (label - sigmoid(z)) ** 2

    z_star = float(result.curvature.inflection_z_y1 if label == 1 else result.curvature.inflection_z_y0)
    left, right = second_difference(loss, np.array([z_star - 0.01, z_star + 0.01]))
    assert left * right < 0
    grid = np.linspace(-15, 15, 3001)
    curvature = second_difference(loss, grid)
    visible = np.abs(curvature) > 1e-9   # far out the second difference is rounding noise
    grid, curvature = grid[visible], curvature[visible]
    changes = grid[np.flatnonzero(np.diff(np.sign(curvature)) != 0)]
    assert changes.size == 1 and abs(changes[0] - z_star) < 0.02
    # concave on the side of confident mistakes
    mistake = -5.0 if label == 1 else 5.0
    assert second_difference(loss, np.array([mistake]))[0] < 0


def test_inflection_answer_is_exact_minus_log_two(result: q1.Result) -> None:
    answers = q1.answers(result)
    assert isinstance(answers["l2_inflection_z"], float)
    assert answers["l2_inflection_z"] == pytest.approx(math.log(1 / 3 / (2 / 3)), abs=1e-15)
    assert sympy.simplify(result.curvature.inflection_z_y1 + sympy.log(2)) == 0
    assert answers["l2_inflection_z_y0"] == pytest.approx(math.log(2), abs=1e-15)


def test_bce_second_derivative_is_nonnegative(result: q1.Result) -> None:
    assert result.curvature.bce_is_g_1mg
    z = np.linspace(-20, 20, 2001)
    for label in (0, 1):
        def loss(t: np.ndarray) -> np.ndarray:
            return label * np.logaddexp(0, -t) + (1 - label) * np.logaddexp(0, t)
        assert (second_difference(loss, z) > -1e-6).all()


# ---------------------------------------------------------------- (b) 1: the saturation figure

def test_saturation_l2_gradient_vanishes_where_bce_does_not(result: q1.Result) -> None:
    s = result.saturation
    l2_at, bce_at = np.interp(-8.0, s.z, s.l2_slope), np.interp(-8.0, s.z, s.bce_slope)
    assert l2_at < 1e-3 * bce_at
    assert bce_at > 0.99
    # the curves are the derivatives of the plotted losses (independent numerical derivative)
    assert np.allclose(np.gradient(s.l2, s.z), -s.l2_slope, atol=2e-4)
    assert np.allclose(np.gradient(s.bce, s.z), -s.bce_slope, atol=2e-3)
    # L2 is bounded by 1/2, BCE grows without bound as z decreases
    assert s.l2.max() < 0.5 and float(s.l2_sup) == 0.5
    assert s.bce[0] > 9.9 and np.all(np.diff(s.bce) < 0) and s.bce_sup == sympy.oo
    # the maxima the text quotes
    h = sigmoid(np.linspace(-10, 10, 200001))
    assert float(s.g_prime_max) == pytest.approx((h * (1 - h)).max(), abs=1e-9)
    assert float(s.l2_slope_max) == pytest.approx((h * (1 - h) ** 2).max(), abs=1e-9)


def test_saturation_facts_the_text_states(result: q1.Result) -> None:
    """Argument 1 and 4's qualitative claims, against numbers computed here."""
    s = result.saturation
    z = np.linspace(-12, 12, 240001)
    h = sigmoid(z)
    l2_slope = h * (1 - h) ** 2                       # |d/dz (1/2)(1 - h)^2|
    steepest = z[np.argmax(l2_slope)]
    assert float(s.z_steepest) == pytest.approx(steepest, abs=1e-3)
    assert float(s.z_steepest) == pytest.approx(float(result.curvature.inflection_z_y1)) and result.steepest_is_inflection
    assert s.l2_slope_falls_with_worse_mistake and np.all(np.diff(l2_slope[z < steepest]) > 0)
    assert not np.all(np.diff(l2_slope[(z > steepest) & (z < 0)]) > 0)   # the claim is only made below z*
    assert s.factor_vanishes_in_both_tails and (h * (1 - h))[[0, -1]].max() < 1e-5
    assert float(s.g_prime_argmax) == pytest.approx(h[np.argmax(h * (1 - h))], abs=1e-6)
    assert float(s.bce_slope_limit) == pytest.approx(1 - h[0], abs=1e-5)
    assert s.l2_negligible_at_probe and s.slope_ratio_probe < 0.01
    # a confident mistake against an unsure prediction (z = 0), per-sample losses for y = 1
    l2 = lambda t: 0.5 * (1 - sigmoid(np.array(t))) ** 2
    bce = lambda t: np.logaddexp(0, -np.array(t))
    assert s.l2_penalty_ratio_probe == pytest.approx(l2(-8.0) / l2(0.0), rel=1e-12)
    assert s.bce_penalty_ratio_probe == pytest.approx(bce(-8.0) / bce(0.0), rel=1e-12)
    assert float(s.l2_penalty_cap_ratio) == pytest.approx(l2(-40.0) / l2(0.0), rel=1e-12) == 4
    assert s.bce_grows_like_abs_z and bce(-1e6) / 1e6 == pytest.approx(1)


# ---------------------------------------------------------------- (b) 2: the landscape figure

def grid_hessian_min_eigenvalue(F: np.ndarray, d0: float, d1: float) -> np.ndarray:
    """Smallest eigenvalue of the finite-difference Hessian of F[row = theta1, col = theta0], interior points."""
    f00 = (F[1:-1, 2:] - 2 * F[1:-1, 1:-1] + F[1:-1, :-2]) / d0**2
    f11 = (F[2:, 1:-1] - 2 * F[1:-1, 1:-1] + F[:-2, 1:-1]) / d1**2
    f01 = (F[2:, 2:] - F[2:, :-2] - F[:-2, 2:] + F[:-2, :-2]) / (4 * d0 * d1)
    return (f00 + f11) / 2 - np.sqrt(((f00 - f11) / 2) ** 2 + f01**2)


def test_landscape_l2_is_not_convex_bce_is(result: q1.Result) -> None:
    land = result.landscape
    d0, d1 = land.theta0[1] - land.theta0[0], land.theta1[1] - land.theta1[0]
    l2_eig = grid_hessian_min_eigenvalue(land.l2, d0, d1)
    bce_eig = grid_hessian_min_eigenvalue(land.bce, d0, d1)
    assert l2_eig.min() < -0.01
    assert bce_eig.min() > -1e-6
    # the solver's analytic eigenvalues agree with the numerical ones
    assert np.allclose(land.l2_min_eig[1:-1, 1:-1], l2_eig, atol=2e-3)
    assert land.negative_eig_share == pytest.approx(np.mean(l2_eig < 0), abs=0.02)


def test_landscape_values_are_the_losses_on_the_dataset(result: q1.Result) -> None:
    land = result.landscape
    X = np.column_stack([np.ones_like(result.training.x), result.training.x])
    for r, c in [(0, 0), (17, 93), (60, 60), (120, 5)]:
        theta = np.array([land.theta0[c], land.theta1[r]])
        assert land.l2[r, c] == pytest.approx(L2(theta, X, result.training.y), rel=1e-12)
        assert land.bce[r, c] == pytest.approx(Lbce(theta, X, result.training.y) / len(result.training.y), rel=1e-9)
    # the paths the figure draws lie inside the grid
    for run in (result.training.l2_run, result.training.bce_run):
        assert land.theta0[0] < run.theta[:, 0].min() and run.theta[:, 0].max() < land.theta0[-1]
        assert land.theta1[0] < run.theta[:, 1].min() and run.theta[:, 1].max() < land.theta1[-1]


def fd_hessian_eigenvalues(x: np.ndarray, y: np.ndarray, theta0: np.ndarray, theta1: np.ndarray,
                           step: float = 1e-3) -> np.ndarray:
    """Eigenvalues (ascending, last axis) of the central-difference Hessian of L2 at every
    (theta0, theta1) given, from the homework's L2 written out here, by numpy.linalg.eigvalsh."""
    def L2_at(t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
        return np.mean((y - sigmoid(t0[..., None] + t1[..., None] * x)) ** 2, axis=-1) / 2

    f = L2_at(theta0, theta1)
    f00 = (L2_at(theta0 + step, theta1) - 2 * f + L2_at(theta0 - step, theta1)) / step**2
    f11 = (L2_at(theta0, theta1 + step) - 2 * f + L2_at(theta0, theta1 - step)) / step**2
    f01 = (L2_at(theta0 + step, theta1 + step) - L2_at(theta0 + step, theta1 - step)
           - L2_at(theta0 - step, theta1 + step) + L2_at(theta0 - step, theta1 - step)) / (4 * step**2)
    return np.linalg.eigvalsh(np.stack([np.stack([f00, f01], -1), np.stack([f01, f11], -1)], -2))


def test_hessian_shares_are_what_the_text_calls_them(result: q1.Result) -> None:
    """The grader's numbers: a negative eigenvalue on 0.8677 of the grid, of which about 0.57 indefinite
    and 0.30 negative definite, theta_init (eigenvalues -0.0089, -0.0059) in the negative-definite part."""
    land, t = result.landscape, result.training
    T0, T1 = np.meshgrid(land.theta0, land.theta1)
    eig = fd_hessian_eigenvalues(t.x, t.y, T0, T1)
    negative, indefinite, negative_definite = eig[..., 0] < 0, (eig[..., 0] < 0) & (eig[..., 1] > 0), eig[..., 1] < 0
    assert land.negative_eig_share == pytest.approx(np.mean(negative), abs=2e-3)
    assert land.indefinite_share == pytest.approx(np.mean(indefinite), abs=2e-3)
    assert land.negative_definite_share == pytest.approx(np.mean(negative_definite), abs=2e-3)
    assert (land.negative_eig_share, land.indefinite_share, land.negative_definite_share) == pytest.approx(
        (0.8677, 0.571, 0.297), abs=1e-3)
    at_init = fd_hessian_eigenvalues(t.x, t.y, t.theta_init[:1], t.theta_init[1:])[0]
    np.testing.assert_allclose(land.l2_eig_init, at_init, atol=1e-6)
    np.testing.assert_allclose(at_init, [-0.0089, -0.0059], atol=1e-4)
    assert land.init_negative_definite and not land.init_indefinite and not land.init_positive_semidefinite
    assert land.has_nonconvex_region and land.has_nonconvex_boundary
    assert land.has_indefinite_region and land.has_negative_definite_region


@pytest.mark.parametrize("assignments, init_class", [
    (["q1.theta_init=[0.0, 4.0]"], "convex"),
    (["q1.steps=1"], "negative definite"),
    (["q1.separation=0.1"], "negative definite"),
    (["q1.samples=2", "q1.theta_init=[0.0, 0.3]"], None),
])
def test_hessian_predicates_follow_finite_differences_on_other_configs(assignments: list[str],
                                                                       init_class: str | None) -> None:
    r = Q1.solve(config.load(assignments=assignments))
    land, t = r.landscape, r.training
    T0, T1 = np.meshgrid(land.theta0, land.theta1)
    eig = fd_hessian_eigenvalues(t.x, t.y, T0, T1)
    share = np.mean(eig[..., 0] < 0)
    assert land.has_nonconvex_region == (share > 0)
    assert land.has_nonconvex_boundary == (0 < share < 1)
    assert land.has_negative_definite_region == bool((eig[..., 1] < 0).any())
    at_init = fd_hessian_eigenvalues(t.x, t.y, t.theta_init[:1], t.theta_init[1:])[0]
    assert land.init_negative_definite == (at_init[1] < 0)
    assert land.init_positive_semidefinite == (at_init[0] >= 0)
    if init_class == "convex":
        assert land.init_positive_semidefinite
    elif init_class == "negative definite":
        assert land.init_negative_definite


# ---------------------------------------------------------------- (b) 3: the training figure

def test_training_l2_crawls_while_bce_converges(result: q1.Result) -> None:
    l2, bce = result.training.l2_run, result.training.bce_run
    assert bce.steps_to_target is not None and bce.steps_to_target <= 10
    assert l2.steps_to_target is None or l2.steps_to_target > 10 * bce.steps_to_target
    assert l2.relative_loss[bce.steps_to_target] > 0.9 and bce.relative_loss[bce.steps_to_target] < 0.5
    # the start is confidently wrong: most samples on the saturated side
    assert l2.accuracy[0] < 0.2
    assert np.linalg.norm(result.training.l2_gradient_init) < 0.02 * np.linalg.norm(result.training.bce_gradient_init)


def test_training_steps_are_gradient_steps_on_the_stated_losses(result: q1.Result) -> None:
    X = np.column_stack([np.ones_like(result.training.x), result.training.x])
    m = len(result.training.y)
    for run, loss in ((result.training.l2_run, lambda t: L2(t, X, result.training.y)),
                      (result.training.bce_run, lambda t: Lbce(t, X, result.training.y) / m)):
        assert np.array_equal(run.theta[0], result.training.theta_init)
        for t in (0, 1, 50):
            expected = run.theta[t] - result.training.learning_rate * finite_difference(loss, run.theta[t])
            assert np.allclose(run.theta[t + 1], expected, atol=1e-7)
        assert run.loss[7] == pytest.approx(loss(run.theta[7]), rel=1e-9)
        accuracy = np.mean((sigmoid(X @ run.theta[-1]) >= 0.5) == (result.training.y == 1))
        assert run.accuracy[-1] == accuracy


def test_dataset_is_seeded_and_configurable() -> None:
    a = Q1.solve(config.load(assignments=["q1.seed=7", "q1.samples=12", "q1.steps=30"]))
    b = Q1.solve(config.load(assignments=["q1.seed=7", "q1.samples=12", "q1.steps=30"]))
    c = Q1.solve(config.load(assignments=["q1.seed=8", "q1.samples=12", "q1.steps=30"]))
    assert np.array_equal(a.training.x, b.training.x) and not np.array_equal(a.training.x, c.training.x)
    assert a.training.x.shape == (12,) and list(a.training.y[:4]) == [0, 1, 0, 1]
    assert a.training.l2_run.theta.shape == (31, 2)
    ones = a.training.x[a.training.y == 1]
    assert ones.mean() > a.training.x[a.training.y == 0].mean()


@pytest.mark.parametrize("assignment, key", [
    ("q1.samples=1", "q1.samples"),
    ("q1.steps=0", "q1.steps"),
    ("q1.learning_rate=-1", "q1.learning_rate"),
    ("q1.separation=0", "q1.separation"),
    ("q1.theta_init=[1, 2, 3]", "q1.theta_init"),
    ("q1.seed=-1", "q1.seed"),
    ('q1.theta_init="x"', "q1.theta_init"),
])
def test_invalid_q1_settings_are_reported_by_key(assignment: str, key: str) -> None:
    with pytest.raises(config.ConfigError) as error:
        config.load(assignments=[assignment])
    assert any(problem.startswith(key) for problem in error.value.problems)


# ---------------------------------------------------------------- (b) 4 and the contract

def test_likelihood_identities(result: q1.Result) -> None:
    lik = result.likelihood
    assert lik.bernoulli_is_bce and lik.gaussian_is_l2
    h, y = sympy.Symbol("h"), sympy.Symbol("y")
    # numerically: the Bernoulli NLL at y = 1 is -log h
    assert float(lik.bernoulli_nll.subs({h: 0.2, y: 1})) == pytest.approx(-math.log(0.2))


def test_answers_schema_and_no_matplotlib(result: q1.Result) -> None:
    answers = json.loads(json.dumps(q1.answers(result)))
    assert set(answers) >= {"l2_inflection_z", "l2_inflection_z_y0", "gradient_checks", "probe",
                            "hessian_min_eigenvalue", "dataset", "training"}
    assert answers["gradient_checks"] == {"sigmoid_derivative": True, "l2": True, "bce": True}
    assert answers["probe"]["slope_ratio"] < 1e-3
    assert answers["training"]["bce"]["steps_to_target"] < answers["training"]["l2"]["steps_to_target"]
    code = ("import sys; from solver import config; from solver.questions.q1_l2_logistic import QUESTION as q; "
            "q.answers(q.solve(config.load())); assert 'matplotlib' not in sys.modules")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert run.returncode == 0, run.stderr


# ---------------------------------------------------------------- template and figures

def render_q1(result: q1.Result) -> str:
    cfg = config.load()
    fig = {"q1_saturation": "a.pdf", "q1_landscape": "b.pdf", "q1_training": "c.pdf"}
    return latex.render("q1/solution.tex.j2", cfg.report.decimals, cfg=cfg, s=SimpleNamespace(q1=result), fig=fig)


def test_template_states_the_computed_results(result: q1.Result) -> None:
    text = render_q1(result)
    assert r"\answer{- \frac{1}{m} \sum_{i=1}^{m} \left(y^{(i)} - h^{(i)}\right)" in text
    assert r"- \log{\left(2 \right)} \approx -0.6931" in text
    assert "the boxed form is sympy's derivative" in text and "NOT" not in text
    assert f"$t = {result.training.bce_run.steps_to_target}$" in text
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        assert name in text


def flat(text: str) -> str:
    return " ".join(text.split())


def test_text_states_the_hessian_shares_as_what_they_are(result: q1.Result) -> None:
    text = flat(render_q1(result))
    land = result.landscape
    assert f"has a negative eigenvalue on a fraction ${land.negative_eig_share:.4f}$" in text
    assert f"On a fraction ${land.indefinite_share:.4f}$ it is indefinite" in text
    assert f"On a fraction ${land.negative_definite_share:.4f}$ it is negative definite" in text
    assert r"both negative, so $\theta_{\mathrm{init}}$ lies in the negative-definite part" in text
    assert "indefinite on a fraction" not in text
    assert "single hatching where it is indefinite, cross-hatching where it is negative definite" in text
    assert "the orange curve is the boundary of the hatched region" in text and "inside the orange" not in text


def test_text_no_longer_says_what_the_grader_found_false(result: q1.Result) -> None:
    text = flat(render_q1(result))
    assert "exactly when the model is confidently wrong" not in text
    assert "vanishes wherever the sigmoid saturates, confident mistakes included" in text
    assert "so there are flat regions" not in text
    assert "where the sigmoid saturates the $L_2$ surface is nearly flat" in text
    assert "no guarantee that a stationary point it reaches is a global minimum" in text


def start_accuracy(r: q1.Result) -> float:
    t = r.training
    return float(np.mean((sigmoid(t.theta_init[0] + t.theta_init[1] * t.x) >= 0.5) == (t.y == 1)))


@pytest.mark.parametrize("assignments", [
    ["q1.theta_init=[0.0, 4.0]"], ["q1.steps=1"], ["q1.steps=100"], ["q1.separation=0.1"],
    ["q1.learning_rate=50"], ["q1.samples=2"],
])
def test_sentences_follow_the_numbers_on_other_configs(assignments: list[str]) -> None:
    """Each qualitative sentence against a fact the test computes itself."""
    r = Q1.solve(config.load(assignments=assignments))
    t, land = r.training, r.landscape
    text = flat(render_q1(r))
    wrong = start_accuracy(r) < 0.5
    h = sigmoid(t.theta_init[0] + t.theta_init[1] * t.x)
    confident = np.median(np.maximum(h, 1 - h)) >= 0.9
    assert ("wrong classifier" in text) == wrong
    assert ("confident but wrong classifier" in text) == (wrong and confident)
    l2_later = t.l2_run.steps_to_target is None or t.l2_run.steps_to_target > t.bce_run.steps_to_target
    assert ("confidently wrong start" in text) == (wrong and confident and l2_later)
    assert ("1 steps" not in text) and ("T = 1$ step " in text) == (t.steps == 1)
    # first step at which each run reaches BCE's best accuracy, recomputed from the accuracies
    best = t.bce_run.accuracy.max()
    t_bce = int(np.argmax(t.bce_run.accuracy >= best))
    reached = np.flatnonzero(t.l2_run.accuracy >= best)
    if t_bce == 0:
        assert "Both runs start at BCE's best training accuracy" in text and "dashed vertical line" not in text
    else:
        assert f"at step $t = {t_bce}$" in text
        if reached.size:
            assert f"$L_2$ first reaches that accuracy at step $t = {reached[0]}$" in text
        else:
            assert f"does not reach that accuracy within its $T = {t.steps}$ steps" in text
            assert "(only BCE's: $L_2$ does not reach it)" in text
    T0, T1 = np.meshgrid(land.theta0, land.theta1)
    eig = fd_hessian_eigenvalues(t.x, t.y, T0, T1)
    share = np.mean(eig[..., 0] < 0)
    assert ("orange curve" in text) == (0 < share < 1)
    assert ("Hatched" in text) == (share > 0)
    assert ("single hatching where it is indefinite" in text) == bool(
        ((eig[..., 0] < 0) & (eig[..., 1] > 0)).any() and (eig[..., 1] < 0).any())
    at_init = fd_hessian_eigenvalues(t.x, t.y, t.theta_init[:1], t.theta_init[1:])[0]
    assert ("lies in the negative-definite part" in text) == (at_init[1] < 0)
    assert ("$L_2$ is locally convex at" in text) == (at_init[0] >= 0)


def test_predicates_change_the_text(result: q1.Result) -> None:
    """The template reads the booleans: flipping one flips its sentence."""
    convex = replace(result, landscape=replace(result.landscape, has_nonconvex_region=False, has_nonconvex_boundary=False))
    text = flat(render_q1(convex))
    assert "happens to stay positive semi-definite" in text and "Hatched" not in text
    slow = replace(result, training=replace(result.training, l2_slower=False))
    assert "no later than BCE" in flat(render_q1(slow))


def test_template_reports_a_failed_check(result: q1.Result) -> None:
    broken = replace(result, derivation=replace(result.derivation, l2=replace(result.derivation.l2, matches=False)))
    assert "does NOT cancel" in render_q1(broken)


def test_figures_are_vector_pdfs_without_type3_fonts(every_figure: dict[str, Path]) -> None:
    from pypdf import PdfReader

    paths = {name: path for name, path in every_figure.items() if name.startswith("q1_")}
    assert set(paths) == {"q1_saturation", "q1_landscape", "q1_training"}
    for path in paths.values():
        page = PdfReader(path).pages[0]
        fonts = page["/Resources"]["/Font"]
        subtypes = {fonts[name].get_object()["/Subtype"] for name in fonts}
        assert subtypes and "/Type3" not in subtypes, (path.name, subtypes)
        assert "/XObject" not in page["/Resources"] or all(
            page["/Resources"]["/XObject"][x].get_object()["/Subtype"] != "/Image"
            for x in page["/Resources"]["/XObject"]
        ), f"{path.name} contains a raster image"
