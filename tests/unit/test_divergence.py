"""The divergence check: an inf or NaN anywhere in a result is refused with one line
naming the question, where it is and, for training, the iteration it came from."""
from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
import sympy

from solver import config, divergence
from solver.questions import QUESTIONS, Question

Q3 = next(q for q in QUESTIONS if q.id == "q3")
Q9 = Question("q9", "test", 1, solver="none", figures=None, template="none", iterations="iterations")


@dataclasses.dataclass(frozen=True)
class Iteration:
    index: int
    loss: float
    W: np.ndarray


@dataclasses.dataclass(frozen=True)
class Result:
    iterations: tuple[Iteration, ...]
    curve: np.ndarray
    expr: sympy.Basic


def result(loss2: float = 0.5, cell: float = 1.0, curve_end: float = 0.1, expr: sympy.Basic = sympy.oo) -> Result:
    W = np.ones((2, 3))
    W[1, 2] = cell
    return Result(iterations=(Iteration(1, 0.7, np.ones((2, 3))), Iteration(2, loss2, W)),
                  curve=np.array([0.7, 0.5, curve_end]), expr=expr)


def test_finite_result_passes_and_symbolic_infinity_is_allowed() -> None:
    assert divergence.first_nonfinite(result(), "q9", "iterations") is None


@pytest.mark.parametrize("bad, path, iteration", [
    (dict(loss2=math.nan), "q9.iterations[1].loss", 2),
    (dict(cell=-math.inf), "q9.iterations[1].W[1, 2]", 2),
    (dict(curve_end=math.inf), "q9.curve[2]", None),
    (dict(expr=sympy.zoo * sympy.Symbol("x")), "q9.expr", None),
    (dict(expr=sympy.nan), "q9.expr", None),
])
def test_first_nonfinite_names_path_and_iteration(bad: dict, path: str, iteration: int | None) -> None:
    found = divergence.first_nonfinite(result(**bad), "q9", "iterations")
    assert found is not None and (found.path, found.iteration) == (path, iteration)


def test_solve_finite_raises_one_line_with_advice_and_no_warning() -> None:
    cfg = config.load()

    def overflowing(_: config.Config) -> Result:
        W = np.array([[1e308, 1e308]]) * 10  # numpy would warn "overflow" here
        return result(cell=float(W[0, 0]))

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's RuntimeWarning would fail the test
        with pytest.raises(divergence.Diverged) as caught:
            divergence.solve_finite(cfg, (Q3,), lambda q, cfg: overflowing(cfg))
    [problem] = caught.value.problems
    assert problem.startswith("q3: the computation diverged at iteration 2 (q3.iterations[1].W[1, 2] is inf)")
    assert "lower q3.learning_rate (now 0.01), or q3.iterations (now 2)" in problem


def test_python_overflow_is_reported_too() -> None:
    def overflowing(_: config.Config) -> float:
        return math.exp(1000)

    q2 = next(q for q in QUESTIONS if q.id == "q2")
    with pytest.raises(divergence.Diverged, match=r"^q2: a number overflowed while solving .*check the \[q2\] values"):
        divergence.solve_finite(config.load(), (q2,), lambda q, cfg: overflowing(cfg))
