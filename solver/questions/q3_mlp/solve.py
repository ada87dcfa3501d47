"""Question 3: SGD on a two-layer ReLU/softmax MLP with cross-entropy loss.

Internally every weight matrix is stored as W (out × in), z = W x + b; under
layout "xW" the config's matrices are transposed on the way in and out, so the
results are shown in the orientation the user gave.

model.py is the network (the only forward/backward/step), worked.py what the PDF
shows of each iteration, derivation.py the SymPy derivation, checks.py the
finite-difference check and the other readings.  How any of it is laid out on the
page is decided at render time (solver/layout.py), not here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from solver.engine import store

from .checks import (FD_STEP, READINGS, GradCheck, Reading, decade, grad_check, oriented,
                                            params_for, reading)
from .derivation import MAX_DERIVATION_CLASSES, Derivation, derive
from .model import (Forward, Grads, Iteration, ModeLayout, Params, backward, cross_entropy, forward,
                                           forward_on, loss_curve, samples_for, softmax, step, train)
from .worked import Note, Shown, Worked, shown, work

if TYPE_CHECKING:
    from solver.schema import Report

    from .inputs import Inputs

__all__ = [
    "FD_STEP", "MAX_DERIVATION_CLASSES", "READINGS", "Checks", "Derivation", "Forward", "GradCheck", "Grads",
    "Iteration", "Note", "Params", "Reading", "Result", "Shown", "Worked", "answers", "backward", "cross_entropy",
    "derive", "forward", "forward_on", "loss_curve", "samples_for", "shown", "softmax", "solve", "step", "train",
]


@dataclass(frozen=True)
class Checks:
    """Counts for the verification appendix."""
    printed: int           # computed numbers printed and recomputed from their rounded inputs
    differing: int         # of which the last digits differ


@dataclass(frozen=True)
class Result(ModeLayout):
    mode: str
    layout: str
    learning_rate: float
    decimals: int
    m: int                              # training samples
    n: int                              # inputs
    h: int                              # hidden units
    k: int                              # classes
    X: np.ndarray                       # the given data, as configured (one sample per row) ...
    Y: np.ndarray
    W1: np.ndarray                      # ... and the given parameters in the config's orientation
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    iterations: tuple[Iteration, ...]
    worked: tuple[Worked, ...]
    derivation: Derivation
    grad_checks: tuple[GradCheck, ...]
    max_rel_error: float
    max_rel_decade: int | None          # max_rel_error < 10^max_rel_decade
    near_kink: bool                     # some check straddles the ReLU kink (differences unreliable there)
    readings: tuple[Reading, ...]
    checks: Checks
    curve: np.ndarray                   # loss at iteration 1..curve_iterations (before its update)
    curve_full: np.ndarray              # mean loss over all m samples at the same parameters

    @property
    def training_set(self) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """(x, y) per sample, as the question lists them."""
        return tuple(zip(self.X, self.Y))

    @property
    def loss1(self) -> float:
        return self.iterations[0].loss

    @property
    def loss2(self) -> float | None:
        """The loss of the 2nd iteration; None when only one iteration is computed."""
        return self.iterations[1].loss if len(self.iterations) > 1 else None


def solve(q: Inputs, report: Report) -> Result:
    d = report.decimals
    given = Params(W1=q.W1, b1=q.b1, W2=q.W2, b2=q.b2)
    initial = params_for(q.W1, q.b1, q.W2, q.b2, q.layout)
    iterations = train(initial, q.X, q.Y, q.mode, q.learning_rate, q.iterations)
    last = len(iterations)
    worked = tuple(
        work(it, q.X, q.Y, q.layout, q.learning_rate, d, given_params=it.index == 1,
             show_update=it.index < last or it.index == 1,
             next_samples=iterations[it.index].forward.samples if it.index < last else None)
        for it in iterations
    )
    counted = [s for w in worked for s in w.printed_results]
    checks = Checks(printed=sum(s.value.size for s in counted), differing=sum(int(s.differs.sum()) for s in counted))
    grad_checks = tuple(grad_check(it, q.X, q.Y) for it in iterations)
    curve, full = loss_curve(initial, q.X, q.Y, q.mode, q.learning_rate, q.curve_iterations)
    (m, n), k, h = q.X.shape, q.Y.shape[1], q.b1.shape[0]
    return Result(
        mode=q.mode, layout=q.layout, learning_rate=q.learning_rate, decimals=d, m=m, n=n, h=h, k=k,
        X=q.X, Y=q.Y, W1=q.W1, b1=q.b1, W2=q.W2, b2=q.b2,
        iterations=tuple(iterations), worked=worked, derivation=store.memo("q3.derivation", derive, k, lazy=True),  # only typeset
        grad_checks=grad_checks, max_rel_error=(worst := max(c.max_rel_error for c in grad_checks)),
        max_rel_decade=decade(worst), near_kink=any(c.near_kink for c in grad_checks),
        readings=tuple(reading(given, q.X, q.Y, q.learning_rate, mode, layout, (mode, layout) == (q.mode, q.layout))
                       for mode, layout in READINGS),
        checks=checks, curve=curve, curve_full=full,
    )


def answers(result: Result) -> dict[str, Any]:
    L = result.layout

    def params(p: Params | Grads) -> dict[str, Any]:
        return {"W1": oriented(p.W1, L).tolist(), "b1": p.b1.tolist(), "W2": oriented(p.W2, L).tolist(),
                "b2": p.b2.tolist()}

    return {
        "mode": result.mode,
        "layout": L,
        "learning_rate": result.learning_rate,
        "iterations": [
            {
                "index": it.index,
                "samples": list(it.forward.samples),
                "loss": it.loss,
                "forward": [
                    {"sample": s, "z1": f.Z1[:, j].tolist(), "a1": f.A1[:, j].tolist(), "z2": f.Z2[:, j].tolist(),
                     "p": f.P[:, j].tolist(), "loss": float(f.losses[j])}
                    for j, s in enumerate(f.samples)
                ],
                "grads": params(it.grads),
                "params_after": params(it.params_after),
            }
            for it in result.iterations
            for f in (it.forward,)
        ],
    }
