"""Question 2's figure: the Huber loss and its derivative against the residual."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from solver.figures import WIDTH, save
from solver.questions.q2_huber import Result, huber, huber_grad


def huber_curves(result: Result, directory: Path) -> Path:
    d = result.delta
    span = max(3 * d, 1.2 * float(np.abs(result.residual).max()))
    r = np.linspace(-span, span, 801)
    fig, (left, right) = plt.subplots(1, 2, figsize=(WIDTH, 2.4))
    left.plot(r, huber(r, d), label=r"Huber $J(r)$")
    left.plot(r, 0.5 * r**2, "--", label=r"$\frac{1}{2}r^2$")
    left.plot(r, d * np.abs(r), ":", label=r"$\delta|r|$")
    left.set_ylim(0, float(huber(np.array([span]), d)[0]) * 1.3)
    right.plot(r, huber_grad(r, d), label=r"Huber $\partial J/\partial r$")
    right.plot(r, r, "--", label=r"$r$ (from $\frac{1}{2}r^2$)")
    right.set_ylim(-2.5 * d, 2.5 * d)
    for ax, title in ((left, "loss"), (right, "derivative")):
        for edge in (-d, d):
            ax.axvline(edge, color="0.5", lw=0.8)
        ax.set_xlabel(r"residual $r = z - \hat z$")
        ax.set_title(f"{title}, $\\delta = {d:g}$")
        ax.legend(loc="upper center")
    return save(fig, directory, "q2_huber")


def draw(result: Result, directory: Path) -> dict[str, Path]:
    return {"q2_huber": huber_curves(result, directory)}
