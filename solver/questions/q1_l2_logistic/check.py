"""Checking Question 1: the formula of Q1(a); Q1(b) is prose, left to a person.

Marks: q1a (15) for q1.gradient equivalent to the solution's.
"""
from __future__ import annotations

import functools
from typing import Any, Mapping

from solver.check.compare import FormulaQuestion, check_formula
from solver.check.grade import POINTS, lost, why
from solver.check.slips import Slip
from solver.check.steps import Item, Report, lookup

# The slips only this question makes (solver/check/slips.py has those shared with other questions).
SLIPS: tuple[Slip, ...] = (
    Slip("sigmoid_derivative_omitted", ("q1a",), "the sigmoid's derivative h(1 − h) is missing",
         "∂h/∂θⱼ = h(1 − h) xⱼ", "the sigmoid's derivative g' = g(1 − g)"),
    Slip("bce_gradient", ("q1a",), "the binary cross-entropy's gradient was given for L₂'s",
         "differentiate L₂ = (1/2m)Σ(y − h)², not L_bce", "which loss is being differentiated"),
    Slip("factor_two", ("q1a",), "the 2 from the square does not cancel the ½ (gradient halved or doubled)",
         "d/dh (y − h)²/2 = h − y", "differentiating ½(·)²"),
)

PROSE = (("Q1(b)", 15),)     # (part, points) marked by a person


@functools.cache
def formula() -> FormulaQuestion:
    import sympy

    from solver.check.formula import Grammar

    y, h, x_j, m = sympy.symbols("y h x_j m", real=True)
    core = (h - y) * h * (1 - h) * x_j
    return FormulaQuestion(
        "q1.gradient", "q1a", Grammar({"y": y, "h": h, "x_j": x_j, "m": m}, ("exp", "log")), core / m,
        {"sign": -core / m, "mean_omitted": [core, 2 * core], "sigmoid_derivative_omitted": [(h - y) * x_j / m],
         "bce_gradient": [(h - y) * x_j],
         "factor_two": [core / (2 * m), 2 * core / m]},
        {"y": (0.0, 1.0, False), "h": (0.02, 0.98, False), "x_j": (-3.0, 3.0, False), "m": (1, 50, True)},
        "the summand of ∂L₂/∂θⱼ for one sample (i), in y, h, x_j, m (y = y⁽ⁱ⁾, h = h(x⁽ⁱ⁾), x_j = x⁽ⁱ⁾ⱼ)",
        "(h - y) * h * (1 - h) * x_j / m",
    )


def check(cfg: Any, work: Mapping[str, Any], report: Report) -> None:
    fq = formula()
    report.items.append(check_formula(fq, lookup(work, fq.path)))


def worksheet(cfg: Any) -> list[str]:
    return [
        "",
        "[q1]",
        f"# Q1(a): {formula().asks}.",
        "# Only these symbols; functions exp and log.  Example of the syntax (not the answer): \"y * (1 - h) * x_j / m\"",
        'gradient = ""',
    ]


def marks(items: Mapping[str, Item]) -> dict[str, tuple[float, list[str]]]:
    i = items["q1.gradient"]
    score = POINTS["q1a"] if i.verdict == "correct" else 0
    return {"q1a": (score, lost("q1a", POINTS["q1a"] - score, why(i, "q1.gradient")))}
