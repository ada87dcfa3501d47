"""Question 2: the backward pass of the mean Huber loss."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from solver.config import Config


@dataclass(frozen=True)
class Result:
    delta: float
    z: np.ndarray
    z_hat: np.ndarray
    residual: np.ndarray      # r = z - z_hat
    quadratic: np.ndarray     # bool: |r| <= delta
    J_i: np.ndarray           # per-sample loss J^(i)
    J: float                  # mean loss
    dJ_dz: np.ndarray         # backward output


def huber(r: np.ndarray, delta: float) -> np.ndarray:
    a = np.abs(r)
    return np.where(a <= delta, 0.5 * r**2, delta * a - 0.5 * delta**2)


def huber_grad(r: np.ndarray, delta: float) -> np.ndarray:
    """d huber / d r = clip(r, -delta, delta)."""
    return np.clip(r, -delta, delta)


def solve(cfg: Config) -> Result:
    delta, z, z_hat = cfg.q2.delta, cfg.q2.z, cfg.q2.z_hat
    r = z - z_hat
    N = r.size
    J_i = huber(r, delta)
    return Result(
        delta=delta, z=z, z_hat=z_hat, residual=r, quadratic=np.abs(r) <= delta,
        J_i=J_i, J=float(J_i.mean()), dJ_dz=huber_grad(r, delta) / N,
    )


def answers(result: Result) -> dict[str, Any]:
    return {
        "delta": result.delta,
        "example": {
            "z": result.z.tolist(),
            "z_hat": result.z_hat.tolist(),
            "residual": result.residual.tolist(),
            "branch": ["quadratic" if q else "linear" for q in result.quadratic],
            "J": result.J,
            "dJ_dz": result.dJ_dz.tolist(),
        },
    }
