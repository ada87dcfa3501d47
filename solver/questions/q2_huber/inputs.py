"""Question 2's inputs: its configuration rows (defaults in defaults.toml beside this file),
the checks between them, and the frozen dataclass a valid section becomes (what solve receives)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from solver.rows import Array, Positive, shape_problem, vector

if TYPE_CHECKING:
    import numpy as np

ROWS = (
    Positive("q2.delta", "the Huber loss's δ, used everywhere in Question 2's text"),
    Array("q2.z", "inputs z⁽ⁱ⁾ of the worked numeric example", axes=vector(100, "inputs")),  # a table row each
    Array("q2.z_hat", "ground truths ẑ⁽ⁱ⁾ of the example, one per input in `q2.z`", axes=vector()),
)


def z_hat_matches_z(values: Mapping[str, Any]) -> list[str]:
    z = values.get("q2.z")
    if z is None:
        return []
    return shape_problem("q2.z_hat", values.get("q2.z_hat"), z.shape, "one ground truth per input in q2.z")


CHECKS = (z_hat_matches_z,)


@dataclass(frozen=True)
class Inputs:
    delta: float
    z: np.ndarray
    z_hat: np.ndarray
