"""Question 3: the solver against references that share none of its code.

- gradients against central finite differences of a per-element loss loop;
- the homework's answers against a per-element loop in 30-digit mpmath arithmetic
  on the data typed from the problem statement;
- the softmax/cross-entropy at logits of +-1000;
- what the worked solution prints (hand-reproducibility, inactive units) against
  numbers worked out here;
- end-to-end builds whose PDF text carries the answers.
"""
from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path
from types import SimpleNamespace

import mpmath
import numpy as np
import pytest

from solver.questions.q3_mlp import QUESTION as Q3
from solver import config, latex, layout
from solver.layout import Page
from solver.questions.q3_mlp import layout as q3_layout, solve as q3_mlp

from conftest import pdf_text, requires_tex

# The homework's data, typed from the problem statement (not read from defaults.toml).
HW = {
    "X": [["-0.7411", "-0.5078", "-0.3206"], ["0.0983", "-0.0308", "-0.3728"],
          ["0.0414", "0.2323", "-0.2365"], ["-0.7342", "0.4264", "2.0237"]],
    "Y": [[0, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]],
    "W1": [["1.6035", "-1.5062", "0.2761"], ["1.2347", "-0.4446", "-0.2612"], ["-0.2296", "-0.1559", "0.4434"]],
    "b1": ["0.3919", "-1.2507", "-0.9480"],
    "W2": [["0.0125", "1.2424", "0.3503"], ["-3.0292", "-1.0667", "-0.0290"], ["-0.4570", "0.9337", "0.1825"]],
    "b2": ["-1.5651", "-0.0845", "1.6039"],
}


# ---------------------------------------------------------------- independent references

def mp(a):
    return [mp(v) for v in a] if isinstance(a, list) else mpmath.mpf(a)


def transpose(W):
    return [list(col) for col in zip(*W)]


def ref_loss(W1, b1, W2, b2, x, y, exp=math.exp, log=math.log):
    """Cross-entropy of one sample, element by element (W out x in)."""
    z1 = [sum(W1[j][i] * x[i] for i in range(len(x))) + b1[j] for j in range(len(b1))]
    a1 = [v if v > 0 else 0 * v for v in z1]
    z2 = [sum(W2[c][j] * a1[j] for j in range(len(a1))) + b2[c] for c in range(len(b2))]
    top = max(z2)
    lse = top + log(sum(exp(v - top) for v in z2))
    return -sum(y[c] * (z2[c] - lse) for c in range(len(z2))), z1, z2, lse


def ref_step(W1, b1, W2, b2, xs, ys, lr, exp=math.exp, log=math.log):
    """Loss and one gradient step averaged over the samples `xs`, element by element."""
    h, n, k = len(b1), len(xs[0]), len(b2)
    gW1 = [[0 * lr] * n for _ in range(h)]
    gb1 = [0 * lr] * h
    gW2 = [[0 * lr] * h for _ in range(k)]
    gb2 = [0 * lr] * k
    total = 0 * lr
    for x, y in zip(xs, ys):
        loss, z1, z2, lse = ref_loss(W1, b1, W2, b2, x, y, exp, log)
        total += loss
        a1 = [v if v > 0 else 0 * v for v in z1]
        d2 = [exp(z2[c] - lse) - y[c] for c in range(k)]
        d1 = [sum(W2[c][j] * d2[c] for c in range(k)) * (1 if z1[j] > 0 else 0) for j in range(h)]
        for c in range(k):
            gb2[c] += d2[c] / len(xs)
            for j in range(h):
                gW2[c][j] += d2[c] * a1[j] / len(xs)
        for j in range(h):
            gb1[j] += d1[j] / len(xs)
            for i in range(n):
                gW1[j][i] += d1[j] * x[i] / len(xs)
    upd = lambda P, G: [[p - lr * g for p, g in zip(pr, gr)] for pr, gr in zip(P, G)]  # noqa: E731
    return (total / len(xs), upd(W1, gW1), [p - lr * g for p, g in zip(b1, gb1)],
            upd(W2, gW2), [p - lr * g for p, g in zip(b2, gb2)])


def ref_train(data, lr, iterations, mode, layout, exp=math.exp, log=math.log):
    """Losses and parameters after each iteration; matrices in the given layout."""
    W1, b1, W2, b2 = data["W1"], data["b1"], data["W2"], data["b2"]
    if layout == "xW":
        W1, W2 = transpose(W1), transpose(W2)
    out = []
    m = len(data["X"])
    for t in range(iterations):
        rows = [t % m] if mode == "sgd" else list(range(m))
        loss, W1, b1, W2, b2 = ref_step(W1, b1, W2, b2, [data["X"][i] for i in rows],
                                        [data["Y"][i] for i in rows], lr, exp, log)
        shown = (W1, W2) if layout == "Wx" else (transpose(W1), transpose(W2))
        out.append({"loss": loss, "W1": shown[0], "b1": b1, "W2": shown[1], "b2": b2})
    return out


def fd_grads(params: dict, X, Y, rows, h=1e-6):
    """Central differences of the mean per-element loss over `rows` (W out x in)."""
    def L(p):
        return sum(ref_loss(p["W1"], p["b1"], p["W2"], p["b2"], X[i], Y[i])[0] for i in rows) / len(rows)

    grads = {}
    for name, value in params.items():
        value = np.array(value, dtype=float)
        g = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            losses = []
            for sign in (1, -1):
                moved = value.copy()
                moved[idx] += sign * h
                losses.append(L({**params, name: moved.tolist()}))
            g[idx] = (losses[0] - losses[1]) / (2 * h)
        grads[name] = g
    return grads


# ---------------------------------------------------------------- helpers

def toml(a) -> str:
    return json.dumps(np.asarray(a, dtype=float).tolist())


def make_cfg(**q3) -> config.Config:
    sets = []
    for key, value in q3.items():
        sets.append(f"q3.{key}={toml(value) if isinstance(value, (list, np.ndarray)) else value}")
    return config.load(assignments=sets)


def random_problem(seed: int, m: int, n: int, h: int, k: int, layout: str) -> dict:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n))
    Y = np.eye(k)[rng.integers(0, k, size=m)]
    W1 = rng.normal(size=(h, n))
    W2 = rng.normal(size=(k, h))
    t = (lambda W: W) if layout == "Wx" else (lambda W: W.T)
    return {"X": X, "Y": Y, "W1": t(W1), "b1": rng.normal(size=h) * 0.5, "W2": t(W2), "b2": rng.normal(size=k)}


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return float(np.linalg.norm(a - b) / scale) if scale > 0 else 0.0


# ---------------------------------------------------------------- gradients

SQUARE, WIDE = (4, 3, 3, 3), (3, 4, 5, 2)  # (m, n, h, k)
# the homework has one shape; random problems take both
CASES = [pytest.param("homework", None, SQUARE, id="square-homework")] + [
    pytest.param(f"random-{seed}", seed, shape, id=f"{name}-random-{seed}")
    for name, shape in (("square", SQUARE), ("h5k2", WIDE)) for seed in (0, 1, 2)
]


@pytest.mark.parametrize("layout", ["Wx", "xW"])
@pytest.mark.parametrize("mode", ["sgd", "batch"])
@pytest.mark.parametrize("case,seed,shape", CASES)
def test_gradients_match_finite_differences(case, seed, shape, mode, layout):
    if seed is None:
        problem = {key: np.array(value, dtype=float) for key, value in HW.items()}
        if layout == "xW":
            problem["W1"], problem["W2"] = problem["W1"].T, problem["W2"].T
    else:
        problem = random_problem(seed, *shape, layout)
    cfg = make_cfg(**problem, mode=f'"{mode}"', layout=f'"{layout}"', iterations=3, learning_rate=0.05)
    result = Q3.solve(cfg)
    X, Y = problem["X"].tolist(), problem["Y"].tolist()
    for it in result.iterations:
        # the reference loop takes W as out x in; the iteration's parameters are stored that way
        p = {"W1": it.params.W1.tolist(), "b1": it.params.b1.tolist(),
             "W2": it.params.W2.tolist(), "b2": it.params.b2.tolist()}
        rows = [s - 1 for s in it.forward.samples]
        assert np.abs(it.forward.Z1).min() > 1e-4, "point too close to the ReLU kink"
        fd = fd_grads(p, X, Y, rows)
        for name in ("W1", "b1", "W2", "b2"):
            analytic = getattr(it.grads, name)
            assert rel_err(analytic, fd[name]) < 1e-6, (case, it.index, name)
            assert np.abs(analytic - fd[name]).max() < 1e-8


def test_solver_own_gradient_check_agrees():
    result = Q3.solve(config.load())
    assert [c.index for c in result.grad_checks] == [1, 2]
    assert result.max_rel_error < 1e-6
    assert result.grad_checks[0].rel_error["W1"] == 0.0  # all hidden units inactive: exactly zero both ways


# ---------------------------------------------------------------- numerical safety

@pytest.mark.parametrize("z2", [[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0], [1000.0, 1000.0, 1000.0]])
def test_softmax_cross_entropy_finite_at_extreme_logits(z2):
    z2 = np.array(z2)
    y = np.array([0.0, 1.0, 0.0])
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        p = q3_mlp.softmax(z2)
        loss = q3_mlp.cross_entropy(z2, y)
    expected = float(mpmath.log(sum(mpmath.exp(mpmath.mpf(v)) for v in z2)) - z2[1])
    assert np.all(np.isfinite(p)) and math.isfinite(loss)
    assert p.sum() == pytest.approx(1.0, abs=1e-15)
    assert loss == pytest.approx(expected, rel=1e-12)


def test_whole_solution_finite_at_extreme_logits():
    """b2 = (1000, -1000, 0): p rounds to 0 for the true class; the hand check falls back to log-sum-exp."""
    cfg = make_cfg(b2=[1000.0, -1000.0, 0.0], iterations=2)
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        result = Q3.solve(cfg)
    first = result.worked[0]
    assert result.iterations[0].loss == pytest.approx(2000.0, rel=1e-12)
    assert first.losses.from_rounded[0][0] == pytest.approx(2000.0, rel=1e-12)
    assert first.p_target_rounds_to_zero  # the PDF writes log-sum-exp, not "-log 0"
    assert not Q3.solve(config.load()).worked[0].p_target_rounds_to_zero
    for w in result.worked:
        for s in w.printed_results:
            assert np.all(np.isfinite(s.value)) and np.all(np.isfinite(s.from_rounded))


# ---------------------------------------------------------------- the homework's answers

def test_homework_answers_against_exact_loop():
    with mpmath.workdps(30):
        data = {key: mp(value) if key != "Y" else value for key, value in HW.items()}
        ref = ref_train(data, mpmath.mpf("0.01"), 2, "sgd", "Wx", mpmath.exp, mpmath.log)
    result = Q3.solve(config.load())
    first = result.iterations[0]
    assert first.loss == pytest.approx(float(ref[0]["loss"]), abs=1e-13)
    assert result.iterations[1].loss == pytest.approx(float(ref[1]["loss"]), abs=1e-13)
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_allclose(getattr(first.params_after, name), np.array(ref[0][name], dtype=float), atol=1e-13)
    # the rounded answers, as a student should find them
    assert f"{float(ref[0]['loss']):.4f}" == "1.8929"
    assert f"{float(ref[1]['loss']):.4f}" == "3.0307"
    assert [f"{float(v):.4f}" for v in ref[0]["b2"]] == ["-1.5654", "-0.0760", "1.5957"]


def test_defaults_are_the_homework_data():
    q = config.load().q3
    for key, value in HW.items():
        np.testing.assert_array_equal(getattr(q, key), np.array(value, dtype=float))
    assert (q.learning_rate, q.mode, q.layout) == (0.01, "sgd", "Wx")


@pytest.mark.parametrize("mode,layout", q3_mlp.READINGS)
def test_other_readings_against_loop(mode, layout):
    result = Q3.solve(config.load())
    reading = next(r for r in result.readings if (r.mode, r.layout) == (mode, layout))
    data = {key: [[float(v) for v in row] for row in value] if key in ("X", "W1", "W2")
            else [float(v) for v in value] if key != "Y" else value for key, value in HW.items()}
    ref = ref_train(data, 0.01, 2, mode, layout)
    assert reading.applicable and reading.configured == ((mode, layout) == ("sgd", "Wx"))
    assert reading.loss1 == pytest.approx(ref[0]["loss"], abs=1e-13)
    assert reading.loss2 == pytest.approx(ref[1]["loss"], abs=1e-13)
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_allclose(getattr(reading, name), np.array(ref[0][name]), atol=1e-13)


def test_other_layout_not_applicable_for_non_square_weights():
    problem = random_problem(3, 3, 4, 5, 2, "Wx")
    result = Q3.solve(make_cfg(**problem))
    applicable = {(r.mode, r.layout): r.applicable for r in result.readings}
    assert applicable == {("sgd", "Wx"): True, ("batch", "Wx"): True, ("sgd", "xW"): False, ("batch", "xW"): False}


def test_loss_curve_against_loop():
    for mode in ("sgd", "batch"):
        result = Q3.solve(make_cfg(mode=f'"{mode}"', curve_iterations=12, learning_rate=0.5))
        data = {key: [[float(v) for v in row] for row in value] if key in ("X", "W1", "W2")
                else [float(v) for v in value] if key != "Y" else value for key, value in HW.items()}
        ref = ref_train(data, 0.5, 12, mode, "Wx")
        np.testing.assert_allclose(result.curve, [r["loss"] for r in ref], rtol=1e-12)
        assert len(result.curve_full) == 12


@pytest.mark.parametrize("mode", ["sgd", "batch"])
def test_curve_readings_and_worked_iterations_are_one_network(mode):
    """The loss curve, the configured reading and the worked iterations all follow the
    reference loop at the same parameters (a second copy of the network would drift)."""
    lr, iterations = 0.5, 3  # large steps: the parameters move far from the given ones
    problem = random_problem(4, *WIDE, "Wx")
    result = Q3.solve(make_cfg(**problem, mode=f'"{mode}"', iterations=iterations, curve_iterations=iterations,
                                   learning_rate=lr))
    data = {key: np.asarray(value, dtype=float).tolist() for key, value in problem.items()}
    ref = ref_train(data, lr, iterations, mode, "Wx")
    before = [data] + ref[:-1]  # the parameters each iteration starts from
    mean_over_all = [np.mean([ref_loss(p["W1"], p["b1"], p["W2"], p["b2"], x, y)[0]
                              for x, y in zip(data["X"], data["Y"])]) for p in before]
    worked_losses = [w.loss.value[0][0] for w in result.worked]
    for losses in (result.curve, [it.loss for it in result.iterations], worked_losses):
        np.testing.assert_allclose(losses, [r["loss"] for r in ref], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.curve_full, mean_over_all, rtol=1e-12, atol=1e-14)
    reading = next(g for g in result.readings if g.configured)
    assert (reading.mode, reading.layout) == (mode, "Wx")
    np.testing.assert_allclose([reading.loss1, reading.loss2], [ref[0]["loss"], ref[1]["loss"]], rtol=1e-12, atol=1e-14)
    first = result.worked[0]
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_allclose(getattr(reading, name), np.array(ref[0][name]), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(np.ravel(getattr(first, f"{name}_after").value), np.ravel(ref[0][name]),
                                   rtol=1e-12, atol=1e-14)


def test_batch_mode_is_the_mean_of_per_sample_steps():
    result = Q3.solve(make_cfg(mode='"batch"', iterations=1))
    it = result.iterations[0]
    assert it.forward.samples == (1, 2, 3, 4)
    data = {key: [[float(v) for v in row] for row in value] if key in ("X", "W1", "W2")
            else [float(v) for v in value] if key != "Y" else value for key, value in HW.items()}
    losses = [ref_loss(data["W1"], data["b1"], data["W2"], data["b2"], data["X"][i], data["Y"][i])[0] for i in range(4)]
    assert it.forward.losses.tolist() == pytest.approx(losses, abs=1e-14)
    assert it.loss == pytest.approx(sum(losses) / 4, abs=1e-14)


# ---------------------------------------------------------------- what the worked solution says

def test_inactive_units_detected_from_the_numbers():
    result = Q3.solve(config.load())
    first, second = result.worked
    # x(1): z1 = (-0.1201, -1.8562, -0.8408), all <= 0
    assert first.all_inactive and first.inactive_units == (1, 2, 3)
    assert first.moves == {"W1": False, "b1": False, "W2": False, "b2": True}
    # x(2): z1 = (0.4930, -1.0183, -1.1311), unit 1 active
    assert not second.all_inactive and second.inactive_units == (2, 3)
    # a large first-layer bias makes every unit active: nothing is hard-coded
    active = Q3.solve(make_cfg(b1=[5.0, 5.0, 5.0])).worked[0]
    assert not active.all_inactive and active.inactive_units == ()
    assert all(active.moves.values())


def test_hand_reproducibility_marks():
    result = Q3.solve(config.load())
    first = result.worked[0]
    # L = -log p_2; printed p_2 = 0.1506, and -log(0.1506) = 1.8931 while the exact loss rounds to 1.8929
    assert first.p_target.value[0][0] == pytest.approx(0.15064057760555888, abs=1e-12)
    assert first.losses.from_rounded[0][0] == pytest.approx(-math.log(0.1506), abs=1e-15)
    assert first.losses.differs[0][0]
    assert [(n.row, n.col) for n in first.losses.notes] == [(1, 1)]
    # dL/da1 = W2^T (p - y) from the printed p - y = (0.0343, -0.8494, 0.8151)
    by_hand = [sum(float(HW["W2"][c][j]) * d for c, d in enumerate((0.0343, -0.8494, 0.8151))) for j in range(3)]
    np.testing.assert_allclose(first.DA1.from_rounded[:, 0], by_hand, atol=1e-15)
    assert first.DA1.differs[:, 0].tolist() == [f"{v:.4f}" != f"{e:.4f}" for v, e in zip(by_hand, first.DA1.value[:, 0])]
    # z1 from the given data needs no rounding: it matches its own printed digits
    assert not first.Z1.differs.any()
    # the appendix counts what the worked iterations print, worked out by hand for one sample (n = h = k = 3):
    # iteration 1: forward z1, a1, z2, p (4 x 3) and L; backward delta2, dL/da1, delta1 (3 each) and the two
    # 3 x 3 weight gradients (the bias gradients are delta itself for one sample, not recomputed); the four
    # updated parameters (9 + 3 + 9 + 3).  Iteration 2 is the last: its forward pass only.
    assert result.checks.printed == (12 + 1 + 9 + 18 + 24) + (12 + 1)
    # the marked digits: iteration 1's L and dL/da1 (above); the forward passes redone here from printed digits
    forward_marks = [hand_forward_marks(result, i) for i in (1, 2)]
    assert forward_marks == [["L"], ["z2 entry 1", "z2 entry 3", "L"]]
    assert result.checks.differing == len(forward_marks[0]) + int(first.DA1.differs.sum()) + len(forward_marks[1])


def hand_forward_marks(result, index: int, decimals: int = 4) -> list[str]:
    """The forward pass of SGD iteration `index` redone from the digits printed before each step
    (iteration 1 from the given data, iteration 2 from iteration 1's rounded update): the
    entries whose last digit differs from the full-precision value, as the PDF marks them."""
    R = lambda a: np.round(np.asarray(a, dtype=float), decimals)  # noqa: E731 (no value here is near a half)
    data = {key: np.array(value, dtype=float) for key, value in HW.items()}
    params = {name: data[name] for name in ("W1", "b1", "W2", "b2")}
    if index == 2:
        after = ref_train({key: value.tolist() for key, value in data.items()}, 0.01, 1, "sgd", "Wx")[0]
        exact = {name: np.array(after[name], dtype=float) for name in params}
        params, printed = exact, {name: R(value) for name, value in exact.items()}
    else:
        printed = params
    x, y = data["X"][index - 1], data["Y"][index - 1]
    marks = []

    def check(name, exact, by_hand):
        exact, by_hand = np.atleast_1d(exact), np.atleast_1d(by_hand)
        differ = [i + 1 for i in range(exact.size) if f"{exact[i]:.{decimals}f}" != f"{by_hand[i]:.{decimals}f}"]
        marks.extend(name if exact.size == 1 else f"{name} entry {i}" for i in differ)

    z1 = params["W1"] @ x + params["b1"]
    check("z1", z1, printed["W1"] @ x + printed["b1"])
    a1 = np.maximum(z1, 0)
    check("a1", a1, np.maximum(R(z1), 0))
    z2 = params["W2"] @ a1 + params["b2"]
    check("z2", z2, printed["W2"] @ R(a1) + printed["b2"])
    p = np.exp(z2) / np.exp(z2).sum()
    check("p", p, np.exp(R(z2)) / np.exp(R(z2)).sum())
    c = int(np.argmax(y))
    check("L", -math.log(p[c]), -math.log(R(p)[c]))
    return marks


def test_display_orientation_follows_the_layout():
    wx = Q3.solve(config.load()).worked[0]
    xw = Q3.solve(make_cfg(W1=np.array(HW["W1"], float).T, W2=np.array(HW["W2"], float).T, layout='"xW"')).worked[0]
    assert wx.Z1.value.shape == (3, 1) and xw.Z1.value.shape == (1, 3)
    np.testing.assert_allclose(xw.W1.value, np.array(HW["W1"], float).T)  # as the user gave it
    np.testing.assert_allclose(xw.gW2.value, wx.gW2.value.T)


# ---------------------------------------------------------------- layout, decided at render time

@pytest.mark.parametrize(("page", "characters"), [(Page(), 56), (Page(margin_cm=3.0), 48), (Page(font_pt=12), 49)])
def test_line_width_follows_the_page(page: Page, characters: int):
    assert layout.line_characters(page) == characters
    assert layout.line_columns(4, 1.0, page) == characters // len("-0.1234")


@pytest.mark.parametrize("decimals,columns", [(4, 8), (8, 5)])
def test_worked_layout_from_the_columns_a_line_holds(decimals: int, columns: int):
    r = Q3.solve(make_cfg())
    assert layout.line_columns(decimals) == columns  # "-0.1234": 56 // 7; "-0.12345678": 56 // 11
    first = q3_layout.q3_worked_layout(r.worked[0], decimals)
    # a 3 x 3 weight takes 9 columns as "W - eta g = W'" (> both), 7 with the result apart (<= 8, > 5)
    assert {k: (u.result_apart, u.gradient_apart) for k, u in first.update.items()} == {
        "W1": (True, columns < 7), "b1": (False, False), "W2": (True, columns < 7), "b2": (False, False)}
    # operands W1 x + b1 take 3 + 1 + 1 columns; the widest line with its result, delta1 x^T = dL/dW1,
    # 1 + 3 + 3, and the results go on their own line once that plus a bias column no longer fits
    assert (first.substitute_first, first.bias_break_first, first.split) == (True, False, 1 + 3 + 3 + 1 > columns)
    # the readings table: "W1 = [3 cols], b1 = [1], W2 = [3], b2 = [1]" at \\scriptsize, with labels, splits at 4 decimals
    assert q3_layout.q3_layout(r, decimals).readings_split
    assert not q3_layout.q3_layout(r, decimals).statement_split


def test_template_reads_the_result_only():
    """q3.tex.j2 renders without `cfg`, and marks exactly what the appendix counts."""
    result = Q3.solve(make_cfg(mode='"batch"', iterations=2))
    tex = latex.render("q3/solution.tex.j2", 4, s=SimpleNamespace(q3=result), fig={})
    assert tex.count(r"{}^{\dagger}") == result.checks.differing > 0
    assert "all 4 samples" in tex


def test_derivation_is_p_minus_y():
    import sympy

    for k in (2, 3, 5):
        d = q3_mlp.derive(k)
        assert d.verified
        p1, y1 = sympy.Symbol("p_1", positive=True), sympy.Symbol("y_1", nonnegative=True)
        assert sympy.simplify(d.result - (p1 - y1)) == 0
        assert d.classes == min(k, 3) and d.general == (k > 3)


def test_the_zero_test_of_the_derivation_can_fail():
    import sympy

    from solver.questions.q3_mlp.derivation import _is_zero

    z1, z2 = sympy.symbols("z1 z2", real=True)
    y1 = sympy.Symbol("y1", nonnegative=True)
    S = sympy.exp(z1) + sympy.exp(z2)
    p1 = sympy.exp(z1) / S
    dL = sympy.diff(-y1 * sympy.log(p1) - (1 - y1) * sympy.log(sympy.exp(z2) / S), z1)
    assert _is_zero(dL - (p1 - y1)) and _is_zero(p1 * (1 - p1) - sympy.exp(z1 + z2) / S**2)
    assert not _is_zero(dL - (p1 + y1)) and not _is_zero(dL - (sympy.exp(z1) / S**2 - y1))


def test_answers_json_contract():
    answers = q3_mlp.answers(Q3.solve(config.load()))
    assert answers["mode"] == "sgd" and answers["layout"] == "Wx" and answers["learning_rate"] == 0.01
    first, second = answers["iterations"]
    assert first["index"] == 1 and first["samples"] == [1] and second["samples"] == [2]
    assert set(first["forward"][0]) >= {"z1", "a1", "z2", "p"}
    assert set(first["grads"]) == set(first["params_after"]) == {"W1", "b1", "W2", "b2"}
    json.dumps(answers)


# ---------------------------------------------------------------- end to end

def _check_pdf(out: Path, mode: str, lr: float, iterations: int) -> None:
    data = {key: [[float(v) for v in row] for row in value] if key in ("X", "W1", "W2")
            else [float(v) for v in value] if key != "Y" else value for key, value in HW.items()}
    text = pdf_text(out / "solutions.pdf")
    ref = ref_train(data, lr, iterations, mode, "Wx")
    for r in ref:
        assert f"{r['loss']:.4f}" in text
    for v in ref[0]["b2"]:
        assert f"{v:.4f}".replace("-", "−") in text or f"{v:.4f}" in text
    assert not re.search(r"\bnan\b", text, re.IGNORECASE)
    assert "Overfull" not in (out / ".work" / "solutions.log").read_text(errors="replace")
    if mode == "sgd":
        assert "Every hidden unit is inactive" in text
        assert "one sample per iteration" in text
    else:
        assert "all 4 samples" in text and "full-batch" in text


@requires_tex
def test_pdf_defaults(default_build: Path):
    _check_pdf(default_build, "sgd", 0.01, 2)


@requires_tex
def test_pdf_batch(copy_of_default_build: Path, fixed_date):
    from solver.pipeline import build

    sets = ["q3.learning_rate=0.1", "q3.iterations=4", "q3.mode=batch"]
    build(config.load(assignments=sets), copy_of_default_build, say=lambda _: None)
    _check_pdf(copy_of_default_build, "batch", 0.1, 4)
