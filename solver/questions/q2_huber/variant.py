"""Question 2's variant: a new worked example (the base's N and delta), and why a draw would not
make a good homework.  solver/variants.py gives each variant its random stream."""
from __future__ import annotations

from typing import Any

import numpy as np

DECIMALS = 1            # the example, as defaults.toml writes it
RANGE = 2.5             # z and z_hat uniform in [-RANGE, RANGE]
BRANCH_GAP = 0.05       # no residual this close to |r| = delta, where the branch is a matter of rounding


def draw(q2: dict[str, Any], rng: np.random.Generator) -> None:
    """New z and z_hat in the section `q2`, in place."""
    N = len(q2["z"])
    q2["z"] = (np.round(rng.uniform(-RANGE, RANGE, N), DECIMALS) + 0.0).tolist()   # + 0.0: no -0.0
    q2["z_hat"] = (np.round(rng.uniform(-RANGE, RANGE, N), DECIMALS) + 0.0).tolist()


def flaws(q: Any) -> list[str]:
    """Why the drawn inputs `q` (a valid section) are not a good homework, one line each."""
    found: list[str] = []
    r = np.abs(q.z - q.z_hat)
    if not ((r < q.delta).any() and (r > q.delta).any()):
        found.append("q2: the example does not use both branches of the Huber loss")
    if (np.abs(r - q.delta) < BRANCH_GAP).any():
        found.append(f"q2: a residual is within {BRANCH_GAP} of delta = {q.delta:g}")
    return found
