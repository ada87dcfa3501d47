"""Checking Question 1: the formula of Q1(a); Q1(b) is prose, left to a person.

Rubric (RUBRIC; a TA's rubric file may change the points): Q1(a)'s 15 points are split over
the factors of the chain rule the formula shows, (h − y)·h(1 − h)·x_j/m, each judged right
when the ratio of the student's formula to the solution's does not depend on the symbol that
factor owns (judge_factors).  Q1(b), 15 points, is marked by a person.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Any, Mapping

from solver.check.compare import FormulaQuestion, check_formula
from solver.check.rubric import Judged, Part, Share
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

FACTORS = (
    Share("loss_derivative", 4, "the loss's derivative (h − y), its sign and the ½ against the square's 2"),
    Share("sigmoid_derivative", 5, "the sigmoid's derivative h(1 − h)"),
    Share("inner", 3, "the inner derivative x_j of θᵀx"),
    Share("mean", 3, "the 1/m of the mean"),
)
RUBRIC = (
    Part("q1a", "Q1(a): ∂L₂/∂θⱼ", 15, FACTORS),
    Part("q1b", "Q1(b): why not L₂ for logistic classification (prose)", 15, person=True),
)


@functools.cache
def formula() -> FormulaQuestion:
    import sympy

    from solver.check.formula import Grammar

    y, h, x_j, m = sympy.symbols("y h x_j m", real=True)
    core = (h - y) * h * (1 - h) * x_j
    fq = FormulaQuestion(
        "q1.gradient", "q1a", Grammar({"y": y, "h": h, "x_j": x_j, "m": m}, ("exp", "log", "sqrt")), core / m,
        {"sign": -core / m, "mean_omitted": [core, 2 * core], "sigmoid_derivative_omitted": [(h - y) * x_j / m],
         "bce_gradient": [(h - y) * x_j],
         "factor_two": [core / (2 * m), 2 * core / m]},
        {"y": (0.0, 1.0, False), "h": (0.02, 0.98, False), "x_j": (-3.0, 3.0, False), "m": (1, 50, True)},
        "the summand of ∂L₂/∂θⱼ for one sample (i), in y, h, x_j, m (y = y⁽ⁱ⁾, h = h(x⁽ⁱ⁾), x_j = x⁽ⁱ⁾ⱼ)",
        "(h - y) * h * (1 - h) * x_j / m", label="Q1(a): ∂L₂/∂θⱼ",
    )
    return dataclasses.replace(fq, judge=lambda expr: judge_factors(expr, fq))


def judge_factors(expr: Any, fq: FormulaQuestion) -> dict[str, bool]:
    """Which factors of (h − y)·h(1 − h)·x_j/m the formula has right.  R = formula / solution:
    the inner derivative is right when R does not depend on x_j, the 1/m when it does not depend on
    m, the sigmoid's derivative on h, the loss's derivative on y (and, R depending on m at most,
    when R at m = 1 is 1: no sign or factor of 2 lost).  With three or more factors wrong the
    formula is not this derivation at all, and nothing is credited."""
    import math
    import random

    from solver.check.formula import _numeric

    symbols = tuple(fq.grammar.symbols.values())
    ratio = _numeric(expr / fq.expected, symbols)
    rng = random.Random(5491)
    names = list(fq.grammar.symbols)

    def at(point: list[float]) -> float | None:
        try:
            value = complex(ratio(*point))
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            return None
        return value.real if value == value and abs(value.imag) < 1e-12 and math.isfinite(value.real) else None

    def draw(name: str) -> float:
        low, high, whole = fq.ranges[name]
        return float(rng.randint(int(low), int(high))) if whole else rng.uniform(low, high)

    depends: set[str] = set()
    readable = 0
    for _ in range(8):
        base = [draw(n) for n in names]
        r0 = at(base)
        if r0 is None:
            continue
        readable += 1
        for k, name in enumerate(names):
            for _ in range(3):
                moved = list(base)
                moved[k] = draw(name)
                r1 = at(moved)
                if r1 is None or abs(r1 - r0) > 1e-7 * max(1.0, abs(r0)):
                    depends.add(name)
    if readable == 0:
        return {s.id: False for s in FACTORS}
    constant_right = True
    if not depends & {"y", "h", "x_j"}:
        one = at([0.3, 0.6, 1.0, 1.0])
        constant_right = one is not None and abs(one - 1) < 1e-7
    right = {"loss_derivative": "y" not in depends and constant_right, "sigmoid_derivative": "h" not in depends,
             "inner": "x_j" not in depends, "mean": "m" not in depends}
    if sum(not v for v in right.values()) >= 3:
        return {k: False for k in right}
    return right


def check(cfg: Any, work: Mapping[str, Any], report: Report) -> None:
    fq = formula()
    report.items.append(check_formula(fq, lookup(work, fq.path)))


def worksheet(cfg: Any) -> list[str]:
    return [
        "",
        "[q1]",
        f"# Q1(a): {formula().asks}.",
        "# Only these symbols; functions exp (or e^x), log (or ln) and sqrt (or √).",
        "# Example of the syntax (not the answer): \"y * (1 - h) * x_j / m\"",
        'gradient = ""',
    ]


def judge(items: Mapping[str, Item]) -> dict[str, dict[str, Judged]]:
    """Q1(a)'s shares from its formula's factors."""
    i = items["q1.gradient"]
    if i.verdict == "missing":
        return {"q1a": {}}
    if i.verdict == "correct":
        return {"q1a": {s.id: Judged("right") for s in FACTORS}}
    why = i.note or (f"the formula has a slip ({i.slip})" if i.slip else "not right in the formula")
    return {"q1a": {s.id: Judged("right") if (i.judged or {}).get(s.id) else Judged("wrong", why) for s in FACTORS}}
