"""Question 3: SGD on a two-layer ReLU/softmax MLP with cross-entropy loss.

Internally every weight matrix is stored as W (out × in), z = W x + b; under
layout "xW" the config's matrices are transposed on the way in and out, so the
results are shown in the orientation the user gave.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from solver.config import Config


@dataclass(frozen=True)
class Params:
    W1: np.ndarray  # h × n
    b1: np.ndarray  # h
    W2: np.ndarray  # k × h
    b2: np.ndarray  # k


@dataclass(frozen=True)
class Forward:
    sample: int      # 1-based index into the training set
    x: np.ndarray
    y: np.ndarray
    z1: np.ndarray
    a1: np.ndarray
    z2: np.ndarray
    p: np.ndarray
    loss: float


@dataclass(frozen=True)
class Grads:
    dz2: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    da1: np.ndarray
    dz1: np.ndarray
    W1: np.ndarray
    b1: np.ndarray


@dataclass(frozen=True)
class Iteration:
    index: int                  # 1-based
    params: Params              # before this iteration's update
    forwards: tuple[Forward, ...]
    per_sample_grads: tuple[Grads, ...]
    loss: float                 # mean over `forwards`
    grads: Grads                # mean over `forwards`
    params_after: Params


@dataclass(frozen=True)
class Result:
    mode: str
    layout: str
    learning_rate: float
    iterations: tuple[Iteration, ...]


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def cross_entropy(z2: np.ndarray, y: np.ndarray) -> float:
    """-sum y log softmax(z2), via a stable log-sum-exp."""
    shifted = z2 - z2.max()
    log_p = shifted - np.log(np.exp(shifted).sum())
    return float(-(y * log_p).sum())


def forward(params: Params, x: np.ndarray, y: np.ndarray, sample: int) -> Forward:
    z1 = params.W1 @ x + params.b1
    a1 = np.maximum(z1, 0.0)
    z2 = params.W2 @ a1 + params.b2
    return Forward(sample=sample, x=x, y=y, z1=z1, a1=a1, z2=z2, p=softmax(z2), loss=cross_entropy(z2, y))


def backward(params: Params, f: Forward) -> Grads:
    dz2 = f.p - f.y
    da1 = params.W2.T @ dz2
    dz1 = da1 * (f.z1 > 0)  # ReLU'(0) taken as 0
    return Grads(dz2=dz2, W2=np.outer(dz2, f.a1), b2=dz2, da1=da1, dz1=dz1, W1=np.outer(dz1, f.x), b1=dz1)


def mean_grads(grads: list[Grads]) -> Grads:
    return Grads(**{name: np.mean([getattr(g, name) for g in grads], axis=0) for name in Grads.__dataclass_fields__})


def step(params: Params, grads: Grads, lr: float) -> Params:
    return Params(
        W1=params.W1 - lr * grads.W1, b1=params.b1 - lr * grads.b1,
        W2=params.W2 - lr * grads.W2, b2=params.b2 - lr * grads.b2,
    )


def samples_for(iteration: int, mode: str, m: int) -> list[int]:
    """0-based sample indices used by 1-based `iteration`."""
    return [(iteration - 1) % m] if mode == "sgd" else list(range(m))


def initial_params(cfg: Config) -> Params:
    q = cfg.q3
    t = (lambda W: W) if q.layout == "Wx" else (lambda W: W.T)
    return Params(W1=t(q.W1), b1=q.b1, W2=t(q.W2), b2=q.b2)


def train(params: Params, X: np.ndarray, Y: np.ndarray, mode: str, lr: float, iterations: int) -> list[Iteration]:
    out = []
    for index in range(1, iterations + 1):
        fs = [forward(params, X[i], Y[i], i + 1) for i in samples_for(index, mode, len(X))]
        gs = [backward(params, f) for f in fs]
        grads = mean_grads(gs)
        after = step(params, grads, lr)
        out.append(Iteration(
            index=index, params=params, forwards=tuple(fs), per_sample_grads=tuple(gs),
            loss=float(np.mean([f.loss for f in fs])), grads=grads, params_after=after,
        ))
        params = after
    return out


def solve(cfg: Config) -> Result:
    q = cfg.q3
    iterations = train(initial_params(cfg), q.X, q.Y, q.mode, q.learning_rate, q.iterations)
    return Result(mode=q.mode, layout=q.layout, learning_rate=q.learning_rate, iterations=tuple(iterations))


def _oriented(W: np.ndarray, layout: str) -> list:
    return (W if layout == "Wx" else W.T).tolist()


def answers(result: Result) -> dict[str, Any]:
    L = result.layout

    def params(p: Params | Grads) -> dict[str, Any]:
        return {"W1": _oriented(p.W1, L), "b1": p.b1.tolist(), "W2": _oriented(p.W2, L), "b2": p.b2.tolist()}

    return {
        "mode": result.mode,
        "layout": L,
        "learning_rate": result.learning_rate,
        "iterations": [
            {
                "index": it.index,
                "samples": [f.sample for f in it.forwards],
                "loss": it.loss,
                "forward": [
                    {"sample": f.sample, "z1": f.z1.tolist(), "a1": f.a1.tolist(), "z2": f.z2.tolist(),
                     "p": f.p.tolist(), "loss": f.loss}
                    for f in it.forwards
                ],
                "grads": params(it.grads),
                "params_after": params(it.params_after),
            }
            for it in result.iterations
        ],
    }
