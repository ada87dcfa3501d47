"""Checking Question 2: the formula of ∂J/∂z (what the homework asks) and the worked example's J
and ∂J/∂z, step by step.

Rubric (RUBRIC): Q2's 30 points are on the formula, split by what it gets right (judge_branches):
the quadratic branch (r/N where |r| ≤ δ, r = z − ẑ), the linear branch (δ·sign(r)/N beyond),
the 1/N on both, and the boundary (the switch at |r| = δ).  The worked example has no points
unless a rubric gives it some; its ∂J/∂z right for the student's own formula follows from it.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Any, Mapping

import numpy as np

from solver.check.compare import FormulaQuestion, check_formula, read_formula
from solver.check.rubric import Judged, Part, Share, from_items
from solver.check.slips import Slip
from solver.check.steps import HALF_UNIT, Item, Report, Step, Values, cached, lookup, plan, read_given, run_steps
from solver.check.worksheet import shape, vec

from .solve import huber, huber_grad

# The slips only this question makes (solver/check/slips.py has those shared with other questions).
SLIPS: tuple[Slip, ...] = (
    Slip("no_clipping", ("q2",), "the gradient r was used on both branches (no clipping at ±δ)",
         "use δ·sign(r) where |r| > δ", "the Huber loss's linear branch"),
    Slip("linear_branch_unsigned", ("q2",), "the linear branch's gradient was written δ without sign(r)",
         "use δ·sign(z − ẑ) where |z − ẑ| > δ", "d|r|/dr = sign(r)"),
    Slip("mean_one_branch", ("q2",), "the 1/N of the mean is missing on one branch only",
         "divide both branches by N", "the mean's 1/N multiplies every branch"),
)

BRANCHES = (
    Share("quadratic_branch", 9, "the quadratic branch (z − ẑ)/N where |z − ẑ| ≤ δ"),
    Share("linear_branch", 9, "the linear branch δ·sign(z − ẑ)/N where |z − ẑ| > δ"),
    Share("mean", 6, "the 1/N of the mean, on both branches"),
    Share("boundary", 6, "the boundary: the branches switch at |z − ẑ| = δ"),
)
RUBRIC = (
    Part("q2", "Q2: ∂J/∂z⁽ⁱ⁾", 30, BRANCHES),
    Part("q2_example", "Q2 example: the worked example's J and ∂J/∂z", 0,
         (Share("J", 0, "the example's J"), Share("dJ_dz", 0, "the example's ∂J/∂z (right for your own formula "
                                                              "counts)"))),
)


@functools.cache
def formula() -> FormulaQuestion:
    import sympy

    from solver.check.formula import Grammar

    z, z_hat, delta, N = sympy.symbols("z z_hat delta N", real=True)
    r = z - z_hat
    clip = sympy.Min(sympy.Max(r, -delta), delta)
    one_branch = [sympy.Piecewise((r, sympy.Abs(r) <= delta), (delta * sympy.sign(r) / N, True)),
                  sympy.Piecewise((r / N, sympy.Abs(r) <= delta), (delta * sympy.sign(r), True))]
    fq = FormulaQuestion(
        "q2.gradient", "q2",
        Grammar({"z": z, "z_hat": z_hat, "delta": delta, "N": N}, ("abs", "sign", "min", "max", "clip"), piecewise=True),
        sympy.Piecewise((r / N, sympy.Abs(r) <= delta), (delta * sympy.sign(r) / N, True)),
        {"mean_omitted": [clip], "no_clipping": [r / N], "sign": [-clip / N],
         "linear_branch_unsigned": [sympy.Piecewise((r / N, sympy.Abs(r) <= delta), (delta / N, True))],
         "mean_one_branch": one_branch},
        {"z": (-3.0, 3.0, False), "z_hat": (-3.0, 3.0, False), "delta": (0.1, 2.0, False), "N": (1, 20, True)},
        "∂J/∂z⁽ⁱ⁾ in z, z_hat, delta, N (z = z⁽ⁱ⁾, z_hat = ẑ⁽ⁱ⁾); abs, sign, min, max, clip(x, lo, hi) and "
        "Piecewise((value, condition), ..., (value, True)) are allowed",
        "Piecewise(((z - z_hat) / N, abs(z - z_hat) <= delta), (delta * sign(z - z_hat) / N, True))",
        label="Q2: ∂J/∂z⁽ⁱ⁾",
    )
    return dataclasses.replace(fq, judge=lambda expr: judge_branches(expr, fq))


def judge_branches(expr: Any, fq: FormulaQuestion) -> dict[str, bool]:
    """Which pieces of the Huber gradient the formula has right, from its values (whatever its
    form: Piecewise, clip, min/max), r = z − ẑ drawn in proportion to δ:
      quadratic_branch  r/N or r at |r| ≤ δ/2 (the 1/N is judged on its own)
      linear_branch     δ·sign(r)/N or δ·sign(r) at |r| ≥ 2.5δ
      mean              the formula times N does not depend on N, everywhere
      boundary          the formula is proportional to r on all of |r| ≤ δ and constant on each
                        side beyond: it switches exactly at |r| = δ.
    With three or more of them wrong the formula is not this derivative, and nothing is credited."""
    import random

    from solver.check.formula import _numeric

    f = _numeric(expr, tuple(fq.grammar.symbols.values()))
    rng = random.Random(5491)

    def value(r: float, d: float, n: float, zh: float) -> float | None:
        try:
            v = complex(f(zh + r, zh, d, n))
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            return None
        return v.real if v == v and abs(v.imag) < 1e-12 else None

    def same(a: float | None, b: float) -> bool:
        return a is not None and abs(a - b) <= 1e-9 * max(1.0, abs(b))

    right = dict.fromkeys(("quadratic_branch", "linear_branch", "mean", "boundary"), True)
    quad_forms = {"over N": True, "no N": True}
    lin_forms = {"over N": True, "no N": True}
    for _ in range(12):
        d, n, zh = rng.uniform(0.1, 2.0), float(rng.randint(1, 20)), rng.uniform(-3.0, 3.0)
        inside = [rng.choice((-1, 1)) * rng.uniform(0.02, 0.999) * d for _ in range(8)]
        outside = [s * rng.uniform(1.001, 5.0) * d for s in (-1, 1) for _ in range(5)]
        for r in inside + outside:
            v = value(r, d, n, zh)
            if abs(r) <= 0.5 * d:
                quad_forms["over N"] &= same(v, r / n)
                quad_forms["no N"] &= same(v, r)
            if abs(r) >= 2.5 * d:
                lin_forms["over N"] &= same(v, d * (1 if r > 0 else -1) / n)
                lin_forms["no N"] &= same(v, d * (1 if r > 0 else -1))
            twice = value(r, d, 2 * n, zh)
            right["mean"] &= v is not None and same(twice, v / 2) if v else twice is not None and same(twice, 0.0)
        slopes = [(v / r) if (v := value(r, d, n, zh)) is not None else None for r in inside]
        sides = {side: [value(r, d, n, zh) for r in outside if (r > 0) == side] for side in (True, False)}
        proportional = None not in slopes and all(same(s, slopes[0]) for s in slopes)
        flat = all(None not in vs and all(same(v, vs[0]) for v in vs) for vs in sides.values())
        right["boundary"] &= proportional and flat and slopes[0] != 0
    right["quadratic_branch"] = any(quad_forms.values())
    right["linear_branch"] = any(lin_forms.values())
    if sum(not v for v in right.values()) >= 3:   # not this derivative at all (the loss itself, say)
        return dict.fromkeys(right, False)
    return right


def example_steps(cfg: Any) -> tuple[list[Step], Values]:
    q = cfg.q2
    delta = float(q.delta)
    data: Values = {"z": q.z.astype(float), "z_hat": q.z_hat.astype(float), "delta": np.asarray(delta)}
    N = q.z.size
    r = lambda v: v["z"] - v["z_hat"]  # noqa: E731
    # J = mean of the J^(i), each rounded by hand: the hidden step J_i carries 0.5e-4 into the mean.
    steps = [
        Step("q2.example.J_i", "q2_example", ("z", "z_hat"), lambda v: huber(r(v), delta)),
        Step("q2.example.J", "q2_example", ("q2.example.J_i",), lambda v: np.asarray(np.mean(v["q2.example.J_i"])), {
            "mean_omitted": lambda v: [np.asarray(np.sum(v["q2.example.J_i"]))],
        }, label="Q2 example: J"),
        Step("q2.example.dJ_dz", "q2_example", ("z", "z_hat"), lambda v: huber_grad(r(v), delta) / N, {
            "mean_omitted": lambda v: [huber_grad(r(v), delta)],
            "no_clipping": lambda v: [r(v) / N],
            "sign": lambda v: [-huber_grad(r(v), delta) / N],
            "linear_branch_unsigned": lambda v: [np.where(np.abs(r(v)) <= delta, r(v), delta) / N],
            "mean_one_branch": lambda v: [np.where(np.abs(r(v)) <= delta, r(v), huber_grad(r(v), delta) / N),
                                          np.where(np.abs(r(v)) <= delta, r(v) / N, huber_grad(r(v), delta))],
        }, label="Q2 example: ∂J/∂z"),
    ]
    return steps, data


def check(cfg: Any, work: Mapping[str, Any], report: Report) -> None:
    fq = formula()
    text = lookup(work, fq.path)
    gradient = check_formula(fq, text)
    report.items.append(gradient)
    p = cached(__name__, cfg, lambda: plan(*example_steps(cfg)))
    given, unreadable = read_given([s.path for s in p.steps], work)
    hidden = Report()
    run_steps(p, given, hidden, unreadable)
    example = [i for i in hidden.items if i.path != "q2.example.J_i"]
    dJ = next(i for i in example if i.path == "q2.example.dJ_dz")
    if dJ.verdict == "wrong" and gradient.verdict == "wrong" and not dJ.note:
        _follow_own_formula(cfg, read_formula(fq, text), dJ, gradient)
    report.items += example


def _follow_own_formula(cfg: Any, expr: Any, dJ: Item, gradient: Item) -> None:
    """The example's ∂J/∂z worked right with the student's own (wrong) formula follows from it."""
    from solver.check.formula import _numeric

    if expr is None:
        return
    q = cfg.q2
    f = _numeric(expr, tuple(formula().grammar.symbols.values()))
    try:
        own = np.array([complex(f(z, zh, float(q.delta), q.z.size)).real for z, zh in zip(q.z, q.z_hat)])
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return
    given = np.asarray(dJ.given, dtype=float)
    if own.shape == given.shape and np.all(np.isfinite(own)) and np.all(np.abs(own - given) <= 2 * HALF_UNIT):
        dJ.verdict, dJ.cause, dJ.slip = "follows", gradient.path, None
        dJ.own = own.tolist()


def worksheet(cfg: Any) -> list[str]:
    q = cfg.q2
    return [
        "",
        "[q2]",
        f"# Q2: the backward output {formula().asks}.",
        "# Example of the syntax (not the answer): \"Piecewise((z / N, abs(z) <= delta), (0, True))\"",
        "# Numbers may be fractions written as text: \"-3/40\".",
        'gradient = ""',
        "",
        "[q2.example]",
        f"# The worked example with z = {vec(q.z)}, z_hat = {vec(q.z_hat)}, delta = {q.delta:g}, N = {q.z.size}:",
        "# J, the mean Huber loss (a number)",
        'J = ""',
        f"# dJ_dz, ∂J/∂z⁽ⁱ⁾ for i = 1..{q.z.size} ({shape(q.z.size)})",
        "dJ_dz = []",
    ]


def judge(items: Mapping[str, Item]) -> dict[str, dict[str, Judged]]:
    """Q2's shares from its formula's branches; the example's from its steps."""
    i = items["q2.gradient"]
    if i.verdict == "missing":
        formula_shares: dict[str, Judged] = {}
    elif i.verdict == "correct":
        formula_shares = {s.id: Judged("right") for s in BRANCHES}
    else:
        why = i.note or (f"the formula has a slip ({i.slip})" if i.slip else "not right in the formula")
        formula_shares = {s.id: Judged("right") if (i.judged or {}).get(s.id) else Judged("wrong", why)
                          for s in BRANCHES}
    return {"q2": formula_shares,
            "q2_example": {"J": from_items([items.get("q2.example.J")]),
                           "dJ_dz": from_items([items.get("q2.example.dJ_dz")])}}
