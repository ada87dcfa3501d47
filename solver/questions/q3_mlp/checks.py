"""What verifies the worked solution: analytic gradients against finite differences, and
the asked answers under the other readings of the question."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import Iteration, ModeLayout, Params, forward_on, train

FD_STEP = 1e-6       # central finite differences in the verification appendix
READINGS = (("sgd", "Wx"), ("sgd", "xW"), ("batch", "Wx"), ("batch", "xW"))


@dataclass(frozen=True)
class GradCheck:
    """Analytic gradient vs central finite differences at one iteration's parameters."""
    index: int
    samples: tuple[int, ...]      # 1-based, the iteration's
    rel_error: dict[str, float]   # per parameter: ||analytic - fd|| / max(||analytic||, ||fd||)
    max_rel_error: float
    max_abs_error: float
    kink_distance: float          # min |z1| over the samples: FD straddles the ReLU kink if < step
    decades: dict[str, int | None]  # rel_error < 10^decade, None when exactly 0
    near_kink: bool
    step: float = FD_STEP

    @property
    def sample(self) -> int:
        """The iteration's (first) sample: the one an SGD iteration uses."""
        return self.samples[0]


def numeric_grads(params: Params, X: np.ndarray, Y: np.ndarray, samples: tuple[int, ...],
                  h: float = FD_STEP) -> dict[str, np.ndarray]:
    out = {}
    for name in ("W1", "b1", "W2", "b2"):
        theta = getattr(params, name)
        grad = np.zeros_like(theta)
        for idx in np.ndindex(theta.shape):
            loss = []
            for sign in (1, -1):
                moved = theta.copy()
                moved[idx] += sign * h
                loss.append(forward_on(Params(**{**params.__dict__, name: moved}), X, Y, samples).loss)
            grad[idx] = (loss[0] - loss[1]) / (2 * h)
        out[name] = grad
    return out


def decade(x: float) -> int | None:
    """The smallest integer e with x < 10^e (None for an exact 0), for stating tiny errors."""
    return None if x == 0 else int(np.floor(np.log10(x))) + 1


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return float(np.linalg.norm(a - b) / scale) if scale > 0 else 0.0


def grad_check(it: Iteration, X: np.ndarray, Y: np.ndarray) -> GradCheck:
    samples = it.forward.samples
    fd = numeric_grads(it.params, X, Y, samples)
    rel = {name: relative_error(getattr(it.grads, name), fd[name]) for name in fd}
    kink = float(np.abs(it.forward.Z1).min())
    return GradCheck(
        index=it.index, samples=samples,
        rel_error=rel, max_rel_error=max(rel.values()),
        max_abs_error=max(float(np.abs(getattr(it.grads, n) - fd[n]).max()) for n in fd),
        kink_distance=kink, decades={name: decade(e) for name, e in rel.items()}, near_kink=kink <= FD_STEP,
    )


def oriented(W: np.ndarray, layout: str) -> np.ndarray:
    """Between the config's orientation and the internal out × in one (its own inverse)."""
    return W if layout == "Wx" else W.T


def params_for(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray, layout: str) -> Params:
    return Params(W1=oriented(W1, layout), b1=b1, W2=oriented(W2, layout), b2=b2)


@dataclass(frozen=True)
class Reading(ModeLayout):
    """The three asked answers under one reading of the question (mode, layout)."""
    mode: str
    layout: str
    configured: bool
    applicable: bool              # the given matrices have the shapes this layout needs
    loss1: float | None
    loss2: float | None
    W1: np.ndarray | None         # after one update, in that reading's orientation
    b1: np.ndarray | None
    W2: np.ndarray | None
    b2: np.ndarray | None
    mean1: float | None = None    # mean loss over all training samples at iteration 1's parameters
    mean2: float | None = None    # ... at iteration 2's (the same as loss1, loss2 in batch mode)


def reading(given: Params, X: np.ndarray, Y: np.ndarray, lr: float, mode: str, layout: str,
            configured: bool) -> Reading:
    """`given` holds the matrices as configured; `layout` says how to read them."""
    params = params_for(given.W1, given.b1, given.W2, given.b2, layout)
    (n, k), h = (X.shape[1], Y.shape[1]), given.b1.shape[0]
    if not (params.W1.shape == (h, n) and params.W2.shape == (k, h)):
        return Reading(mode, layout, configured, False, None, None, None, None, None, None)
    its = train(params, X, Y, mode, lr, 2)
    a = its[0].params_after
    every = tuple(range(1, X.shape[0] + 1))
    return Reading(mode, layout, configured, True, its[0].loss, its[1].loss,
                   oriented(a.W1, layout), a.b1, oriented(a.W2, layout), a.b2,
                   mean1=forward_on(its[0].params, X, Y, every).loss, mean2=forward_on(its[1].params, X, Y, every).loss)
