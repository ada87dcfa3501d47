"""Question 3's variant: new data and weights (the base's shapes and layout), and why a draw would
not make a good homework.  solver/variants.py gives each variant its random stream."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

DECIMALS = 4            # the data, as the homework prints it
SPREAD = {"X": 0.8, "W1": 1.0, "b1": 0.8, "W2": 1.2, "b2": 1.0}   # standard deviations, near the homework's
MIN_LOSS = 0.05         # L(1) and L(2) above this: the answer is not trivially 0
MAX_LOSS = 10.0         # ... and not absurd
ACTIVE = 0.05           # the first sample switches on at least one hidden unit by this much
KINK = 0.01             # no pre-activation of a worked iteration this close to the ReLU kink


def _plain(a: np.ndarray) -> list[Any]:
    return (np.asarray(a, dtype=float) + 0.0).tolist()  # + 0.0: no -0.0 in config.toml


def draw(q3: dict[str, Any], rng: np.random.Generator) -> None:
    """New X, Y, W1, b1, W2, b2 in the section `q3`, in place."""
    m, n = np.shape(q3["X"])
    k, h = np.shape(q3["Y"])[1], len(q3["b1"])

    def normal(name: str, shape: tuple[int, ...]) -> np.ndarray:
        return np.round(rng.normal(0.0, SPREAD[name], shape), DECIMALS)

    q3["X"] = _plain(normal("X", (m, n)))
    q3["Y"] = np.eye(k, dtype=int)[rng.integers(0, k, m)].tolist()
    W1, b1, W2, b2 = normal("W1", (h, n)), normal("b1", (h,)), normal("W2", (k, h)), normal("b2", (k,))
    flip = q3["layout"] == "xW"   # drawn as out × in; the config holds them in its own orientation
    q3["W1"], q3["b1"] = _plain(W1.T if flip else W1), _plain(b1)
    q3["W2"], q3["b2"] = _plain(W2.T if flip else W2), _plain(b2)


def flaws(q: Any) -> list[str]:
    """Why the drawn inputs `q` (a valid section) are not a good homework, one line each."""
    from .checks import params_for  # the package imports SymPy: not for every command
    from .model import train

    found: list[str] = []
    start = params_for(q.W1, q.b1, q.W2, q.b2, q.layout)
    with np.errstate(all="ignore"):
        iterations = train(start, q.X, q.Y, q.mode, q.learning_rate, 2)
    z1 = iterations[0].forward.Z1
    if not (z1[:, 0] > ACTIVE).any():
        found.append(f"q3: no hidden unit active for sample {iterations[0].forward.samples[0]} "
                     f"(z1 = {np.round(z1[:, 0], 4).tolist()}): the backward pass would be trivially zero")
    kink = min(float(np.abs(it.forward.Z1).min()) for it in iterations)
    if kink < KINK:
        found.append(f"q3: a pre-activation is {kink:.2g} from the ReLU kink")
    for it in iterations:
        if not (math.isfinite(it.loss) and MIN_LOSS < it.loss < MAX_LOSS):
            found.append(f"q3: L({it.index}) = {it.loss:.4g}, expected between {MIN_LOSS} and {MAX_LOSS}")
    return found
