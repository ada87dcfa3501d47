"""The network, once: forward, backward and step of the two-layer ReLU/softmax MLP.

Samples are columns (X is n × B), weights are out × in (z = W x + b).  Training, the
worked iterations, the other readings, the loss curve and the finite-difference check
all call these three functions.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np


@dataclass(frozen=True)
class Params:
    W1: np.ndarray  # h × n
    b1: np.ndarray  # h
    W2: np.ndarray  # k × h
    b2: np.ndarray  # k


@dataclass(frozen=True)
class Forward:
    """One forward pass over the samples stacked as columns."""
    samples: tuple[int, ...]  # 1-based indices into the training set
    X: np.ndarray             # n × B
    Y: np.ndarray             # k × B, one-hot columns
    Z1: np.ndarray            # h × B
    A1: np.ndarray
    Z2: np.ndarray            # k × B
    P: np.ndarray
    losses: np.ndarray        # B, cross-entropy per sample

    @property
    def loss(self) -> float:
        return float(np.mean(self.losses))


@dataclass(frozen=True)
class Grads:
    D2: np.ndarray   # dL/dz2 per sample (k × B)
    DA1: np.ndarray  # dL/da1 per sample (h × B)
    D1: np.ndarray   # dL/dz1 per sample (h × B)
    W1: np.ndarray   # the parameter gradients: means over the samples
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray


@dataclass(frozen=True)
class Iteration:
    index: int           # 1-based
    params: Params       # before this iteration's update
    forward: Forward
    grads: Grads
    loss: float          # mean over the iteration's samples
    params_after: Params


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over axis 0 (a vector, or the columns of a matrix), shifted for stability."""
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


def cross_entropy(z2: np.ndarray, y: np.ndarray) -> np.ndarray:
    """-sum_c y_c log softmax(z2)_c over axis 0, via a stable log-sum-exp."""
    shifted = z2 - z2.max(axis=0)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=0))
    return -(y * log_p).sum(axis=0)


def forward(params: Params, X: np.ndarray, Y: np.ndarray, samples: tuple[int, ...]) -> Forward:
    Z1 = params.W1 @ X + params.b1[:, None]
    A1 = np.maximum(Z1, 0.0)
    Z2 = params.W2 @ A1 + params.b2[:, None]
    return Forward(samples=samples, X=X, Y=Y, Z1=Z1, A1=A1, Z2=Z2, P=softmax(Z2), losses=cross_entropy(Z2, Y))


def backward(params: Params, f: Forward) -> Grads:
    B = f.X.shape[1]
    D2 = f.P - f.Y
    DA1 = params.W2.T @ D2
    D1 = DA1 * (f.Z1 > 0)  # ReLU'(0) taken as 0
    return Grads(D2=D2, DA1=DA1, D1=D1, W1=D1 @ f.X.T / B, b1=D1.mean(axis=1), W2=D2 @ f.A1.T / B, b2=D2.mean(axis=1))


def step(params: Params, grads: Grads, lr: float) -> Params:
    return Params(
        W1=params.W1 - lr * grads.W1, b1=params.b1 - lr * grads.b1,
        W2=params.W2 - lr * grads.W2, b2=params.b2 - lr * grads.b2,
    )


def samples_for(iteration: int, mode: str, m: int) -> tuple[int, ...]:
    """1-based samples used by 1-based `iteration`: one per iteration in turn (sgd), or all."""
    return ((iteration - 1) % m + 1,) if mode == "sgd" else tuple(range(1, m + 1))


def columns(X: np.ndarray, samples: tuple[int, ...]) -> np.ndarray:
    """The given rows (1-based) of a data matrix as columns."""
    return np.ascontiguousarray(X[[s - 1 for s in samples]].T)


def forward_on(params: Params, X: np.ndarray, Y: np.ndarray, samples: tuple[int, ...]) -> Forward:
    """The forward pass on `samples` of the training set X, Y (one sample per row, as configured)."""
    return forward(params, columns(X, samples), columns(Y, samples), samples)


def iterate(params: Params, X: np.ndarray, Y: np.ndarray, mode: str, lr: float) -> Iterator[Iteration]:
    """SGD (one sample per iteration, in order) or full-batch gradient descent, without end."""
    index = 0
    while True:
        index += 1
        f = forward_on(params, X, Y, samples_for(index, mode, len(X)))
        grads = backward(params, f)
        after = step(params, grads, lr)
        yield Iteration(index=index, params=params, forward=f, grads=grads, loss=f.loss, params_after=after)
        params = after


def train(params: Params, X: np.ndarray, Y: np.ndarray, mode: str, lr: float, iterations: int) -> list[Iteration]:
    run = iterate(params, X, Y, mode, lr)
    return [next(run) for _ in range(iterations)]


def loss_curve(params: Params, X: np.ndarray, Y: np.ndarray, mode: str, lr: float,
               iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """The loss of each iteration, and the mean loss over all samples at the same parameters."""
    everyone = tuple(range(1, len(X) + 1))
    curve, full = np.empty(iterations), np.empty(iterations)
    run = iterate(params, X, Y, mode, lr)
    for i in range(iterations):
        it = next(run)
        curve[i] = it.loss
        full[i] = it.forward.loss if mode == "batch" else forward_on(it.params, X, Y, everyone).loss
    return curve, full


class ModeLayout:
    """What a reading of the question chooses: one sample per iteration or the batch, z = Wx + b or xW + b.
    Mixed into the dataclasses that carry `mode` and `layout` (the result, each other reading)."""
    mode: str
    layout: str

    @property
    def sgd(self) -> bool:
        return self.mode == "sgd"

    @property
    def wx(self) -> bool:
        return self.layout == "Wx"

