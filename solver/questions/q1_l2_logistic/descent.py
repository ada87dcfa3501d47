"""(b) 3: gradient descent on L2 and on L_bce / m from the same start, on a seeded 1-D data set."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .numerics import (
    accuracy, bce_gradient, bce_loss, l2_gradient, l2_loss, sigmoid,
)

CONFIDENT = 0.9    # a start is confident when its median prediction is at least this sure of its class


@dataclass(frozen=True)
class Run:
    """Gradient descent from theta_init; row t is the state after t steps."""
    theta: np.ndarray      # (steps + 1, 2)
    loss: np.ndarray       # the loss being minimised (L2, or L_bce / m)
    relative_loss: np.ndarray  # loss / loss at the start
    accuracy: np.ndarray
    steps_to_target: int | None   # first t with accuracy >= the target, None if never


@dataclass(frozen=True)
class Training:
    seed: int
    separation: float
    x: np.ndarray                  # the 1-D inputs x_1^(i)
    y: np.ndarray                  # labels
    theta_init: np.ndarray
    learning_rate: float
    steps: int
    l2_gradient_init: np.ndarray   # gradient of L2 at theta_init
    bce_gradient_init: np.ndarray  # of L_bce / m
    target_accuracy: float         # the best accuracy the BCE run reaches
    l2_run: Run
    bce_run: Run
    start_confidence: float        # median over samples of max(h, 1 - h) at theta_init
    l2_relative_loss_at_bce_target: float  # L2 run, at the step BCE first reaches the target
    l2_accuracy_at_bce_target: float
    one_step: bool                 # steps == 1
    starts_wrong: bool             # theta_init misclassifies most samples
    starts_confident: bool         # start_confidence >= CONFIDENT
    bce_best_at_start: bool        # BCE's best accuracy is already that of theta_init
    l2_reaches_target: bool
    l2_at_target_at_start: bool
    l2_slower: bool                # L2 reaches the target later than BCE, or never

    @property
    def m(self) -> int:
        return len(self.y)


def dataset(seed: int, samples: int, separation: float) -> tuple[np.ndarray, np.ndarray]:
    """Alternating labels 0, 1, ...; x ~ N(+-separation/2, 1) by label."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(samples) % 2).astype(float)
    return rng.normal(0.0, 1.0, samples) + (labels - 0.5) * separation, labels


def descend(gradient: Callable, loss: Callable, theta_init: np.ndarray, learning_rate: float,
            steps: int, X: np.ndarray, y: np.ndarray, target: float | None = None) -> Run:
    thetas = [np.array(theta_init, dtype=float)]
    for _ in range(steps):
        thetas.append(thetas[-1] - learning_rate * gradient(thetas[-1], X, y))
    losses = np.array([loss(t, X, y) for t in thetas])
    start = losses[0] if losses[0] > 0 else 1.0   # a start with zero loss (saturated, all right) stays at 0
    accuracies = np.array([accuracy(t, X, y) for t in thetas])
    hits = np.flatnonzero(accuracies >= (accuracies.max() if target is None else target))
    return Run(theta=np.array(thetas), loss=losses, relative_loss=losses / start, accuracy=accuracies,
               steps_to_target=int(hits[0]) if hits.size else None)


def train(seed: int, samples: int, separation: float, theta_init: np.ndarray, learning_rate: float,
          steps: int) -> Training:
    x1, y1 = dataset(seed, samples, separation)
    X = np.column_stack([np.ones_like(x1), x1])
    m = len(y1)

    def bce_mean(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
        return bce_loss(theta, X, y) / m

    def bce_mean_gradient(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        return bce_gradient(theta, X, y) / m

    bce_run = descend(bce_mean_gradient, bce_mean, theta_init, learning_rate, steps, X, y1)
    target = float(bce_run.accuracy.max())
    l2_run = descend(l2_gradient, l2_loss, theta_init, learning_rate, steps, X, y1, target)
    t_bce, t_l2 = bce_run.steps_to_target, l2_run.steps_to_target
    assert t_bce is not None   # the target is BCE's own best
    h = sigmoid(X @ np.asarray(theta_init, dtype=float))
    confidence = float(np.median(np.maximum(h, 1 - h)))
    return Training(
        seed=seed, separation=separation, x=x1, y=y1,
        theta_init=np.array(theta_init, dtype=float), learning_rate=learning_rate, steps=steps,
        l2_gradient_init=l2_gradient(theta_init, X, y1), bce_gradient_init=bce_mean_gradient(theta_init, X, y1),
        target_accuracy=target, l2_run=l2_run, bce_run=bce_run, start_confidence=confidence,
        l2_relative_loss_at_bce_target=float(l2_run.relative_loss[t_bce]),
        l2_accuracy_at_bce_target=float(l2_run.accuracy[t_bce]),
        one_step=steps == 1,
        starts_wrong=bool(l2_run.accuracy[0] < 0.5), starts_confident=confidence >= CONFIDENT,
        bce_best_at_start=t_bce == 0,
        l2_reaches_target=t_l2 is not None, l2_at_target_at_start=t_l2 == 0,
        l2_slower=t_l2 is None or t_l2 > t_bce,
    )
