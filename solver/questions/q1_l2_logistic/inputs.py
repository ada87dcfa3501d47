"""Question 1's inputs: its configuration rows (defaults in defaults.toml beside this file),
the checks between them, and the frozen dataclass a valid section becomes (what solve receives)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from solver.rows import MAX_STEPS, Array, Positive, Whole, vector

if TYPE_CHECKING:
    import numpy as np

ROWS = (
    Whole("q1.seed", "random seed of Question 1's 1-D dataset", low=0, high=2**32 - 1),  # numpy's seed range
    Whole("q1.samples", "m, the dataset size; labels alternate 0, 1, 0, …",
          low=2, high=1000),  # the loss landscape costs grid² × samples
    Positive("q1.separation", "d: x⁽ⁱ⁾ ~ N(−d/2, 1) for y = 0 and N(+d/2, 1) for y = 1"),
    Array("q1.theta_init", "[θ₀, θ₁] where both gradient-descent runs start; the default is confidently wrong",
          axes=vector(), exact=(2,), why="[theta_0, theta_1] of the 1-D model"),
    Positive("q1.learning_rate", "step size used for both L2 and L_bce/m"),
    Whole("q1.steps", "gradient-descent steps per run", low=1, high=MAX_STEPS),
)


CHECKS = ()


@dataclass(frozen=True)
class Inputs:
    seed: int
    samples: int
    separation: float
    theta_init: np.ndarray
    learning_rate: float
    steps: int
