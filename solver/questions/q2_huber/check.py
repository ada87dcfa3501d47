"""Checking Question 2: the formula of ∂J/∂z and the worked example's J and ∂J/∂z, step by step.

Marks: q2 (30) shared equally between the parts given, q2.gradient and q2.example.dJ_dz
(both right 30, one of two 15, none given 0).
"""
from __future__ import annotations

import functools
from typing import Any, Mapping

import numpy as np

from solver.check.compare import FormulaQuestion, check_formula
from solver.check.grade import POINTS, lost, why
from solver.check.slips import Slip
from solver.check.steps import Item, Report, Step, Values, as_array, cached, lookup, plan, run_steps
from solver.check.worksheet import shape, vec

from .solve import huber, huber_grad

# The slips only this question makes (solver/check/slips.py has those shared with other questions).
SLIPS: tuple[Slip, ...] = (
    Slip("no_clipping", ("q2",), "the gradient r was used on both branches (no clipping at ±δ)",
         "use δ·sign(r) where |r| > δ", "the Huber loss's linear branch"),
    Slip("linear_branch_unsigned", ("q2",), "the linear branch's gradient was written δ without sign(r)",
         "use δ·sign(z − ẑ) where |z − ẑ| > δ", "d|r|/dr = sign(r)"),
)


@functools.cache
def formula() -> FormulaQuestion:
    import sympy

    from solver.check.formula import Grammar

    z, z_hat, delta, N = sympy.symbols("z z_hat delta N", real=True)
    r = z - z_hat
    clip = sympy.Min(sympy.Max(r, -delta), delta)
    return FormulaQuestion(
        "q2.gradient", "q2",
        Grammar({"z": z, "z_hat": z_hat, "delta": delta, "N": N}, ("abs", "sign", "min", "max", "clip"), piecewise=True),
        sympy.Piecewise((r / N, sympy.Abs(r) <= delta), (delta * sympy.sign(r) / N, True)),
        {"mean_omitted": [clip], "no_clipping": [r / N], "sign": [-clip / N],
         "linear_branch_unsigned": [sympy.Piecewise((r / N, sympy.Abs(r) <= delta), (delta / N, True))]},
        {"z": (-3.0, 3.0, False), "z_hat": (-3.0, 3.0, False), "delta": (0.1, 2.0, False), "N": (1, 20, True)},
        "∂J/∂z⁽ⁱ⁾ in z, z_hat, delta, N (z = z⁽ⁱ⁾, z_hat = ẑ⁽ⁱ⁾); abs, sign, min, max, clip(x, lo, hi) and "
        "Piecewise((value, condition), ..., (value, True)) are allowed",
        "Piecewise(((z - z_hat) / N, abs(z - z_hat) <= delta), (delta * sign(z - z_hat) / N, True))",
    )


def example_steps(cfg: Any) -> tuple[list[Step], Values]:
    q = cfg.q2
    delta = float(q.delta)
    data: Values = {"z": q.z.astype(float), "z_hat": q.z_hat.astype(float), "delta": np.asarray(delta)}
    N = q.z.size
    r = lambda v: v["z"] - v["z_hat"]  # noqa: E731
    # J = mean of the J^(i), each rounded by hand: the hidden step J_i carries 0.5e-4 into the mean.
    steps = [
        Step("q2.example.J_i", "q2", ("z", "z_hat"), lambda v: huber(r(v), delta)),
        Step("q2.example.J", "q2", ("q2.example.J_i",), lambda v: np.asarray(np.mean(v["q2.example.J_i"])), {
            "mean_omitted": lambda v: [np.asarray(np.sum(v["q2.example.J_i"]))],
        }),
        Step("q2.example.dJ_dz", "q2", ("z", "z_hat"), lambda v: huber_grad(r(v), delta) / N, {
            "mean_omitted": lambda v: [huber_grad(r(v), delta)],
            "no_clipping": lambda v: [r(v) / N],
            "sign": lambda v: [-huber_grad(r(v), delta) / N],
            "linear_branch_unsigned": lambda v: [np.where(np.abs(r(v)) <= delta, r(v), delta) / N],
        }),
    ]
    return steps, data


def check(cfg: Any, work: Mapping[str, Any], report: Report) -> None:
    fq = formula()
    report.items.append(check_formula(fq, lookup(work, fq.path)))
    p = cached(__name__, cfg, lambda: plan(*example_steps(cfg)))
    given = {s.path: a for s in p.steps if (a := as_array(lookup(work, s.path), s.path)) is not None}
    hidden = Report()
    run_steps(p, given, hidden)
    report.items += [i for i in hidden.items if i.path != "q2.example.J_i"]


def worksheet(cfg: Any) -> list[str]:
    q = cfg.q2
    return [
        "",
        "[q2]",
        f"# Q2: the backward output {formula().asks}.",
        "# Example of the syntax (not the answer): \"Piecewise((z / N, abs(z) <= delta), (0, True))\"",
        'gradient = ""',
        "",
        "[q2.example]",
        f"# The worked example with z = {vec(q.z)}, z_hat = {vec(q.z_hat)}, delta = {q.delta:g}, N = {q.z.size}:",
        "# J, the mean Huber loss (a number)",
        'J = ""',
        f"# dJ_dz, ∂J/∂z⁽ⁱ⁾ for i = 1..{q.z.size} ({shape(q.z.size)})",
        "dJ_dz = []",
    ]


def marks(items: Mapping[str, Item]) -> dict[str, tuple[float, list[str]]]:
    given = [items[p] for p in ("q2.gradient", "q2.example.dJ_dz") if items[p].verdict != "missing"]
    right = sum(i.verdict == "correct" for i in given)
    reasons = [r for i in (given or [items["q2.gradient"]]) if i.verdict != "correct"
               for r in lost("q2", POINTS["q2"] / (len(given) or 1), why(i, i.path))]
    return {"q2": (POINTS["q2"] * right / len(given) if given else 0, reasons)}
