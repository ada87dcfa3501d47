"""One module per homework question: solve(cfg) -> Result (pure), answers(result) -> dict."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from solver import numerics
from solver.config import Config
from solver.questions import q1_l2_logistic, q2_huber, q3_mlp


@dataclass(frozen=True)
class Solutions:
    q1: q1_l2_logistic.Result
    q2: q2_huber.Result
    q3: q3_mlp.Result


SOLVERS: dict[str, Callable[[Config], Any]] = {
    "q1": q1_l2_logistic.solve, "q2": q2_huber.solve, "q3": q3_mlp.solve,
}


def solve_all(cfg: Config, solvers: dict[str, Callable[[Config], Any]] = SOLVERS) -> Solutions:
    """Every question solved; raises numerics.Diverged rather than return inf or NaN."""
    return Solutions(**numerics.solve_finite(cfg, solvers))


def answers(solutions: Solutions) -> dict[str, Any]:
    """Full-precision answers, JSON-ready."""
    return {
        "q1": q1_l2_logistic.answers(solutions.q1),
        "q2": q2_huber.answers(solutions.q2),
        "q3": q3_mlp.answers(solutions.q3),
    }
