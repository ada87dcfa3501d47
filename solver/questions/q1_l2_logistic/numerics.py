"""The losses of Question 1 in numpy: per sample as functions of z = theta^T x, and on a data set."""
from __future__ import annotations

from typing import Callable

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^{-z}), accurate in both tails and without overflow."""
    return np.exp(-np.logaddexp(0.0, -z))


def l2_per_sample(z: np.ndarray, y: np.ndarray | float) -> np.ndarray:
    """(1/2)(y - g(z))^2."""
    return 0.5 * (y - sigmoid(z)) ** 2


def bce_per_sample(z: np.ndarray, y: np.ndarray | float) -> np.ndarray:
    """-y log g(z) - (1 - y) log(1 - g(z)), without overflow: -log g(z) = log(1 + e^{-z})."""
    return y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)


def l2_slope(z: np.ndarray, y: np.ndarray | float) -> np.ndarray:
    """d/dz (1/2)(y - g)^2 = -(y - g) g (1 - g)."""
    h = sigmoid(z)
    return -(y - h) * h * (1 - h)


def bce_slope(z: np.ndarray, y: np.ndarray | float) -> np.ndarray:
    """d/dz of the per-sample BCE = g - y."""
    return sigmoid(z) - y


def l2_curvature(z: np.ndarray, y: np.ndarray | float) -> np.ndarray:
    """d^2/dz^2 (1/2)(y - g)^2 = g(1 - g) [g(1 - g) - (y - g)(1 - 2g)]."""
    h = sigmoid(z)
    return h * (1 - h) * (h * (1 - h) - (y - h) * (1 - 2 * h))


def bce_curvature(z: np.ndarray, y: np.ndarray | float) -> np.ndarray:
    """d^2/dz^2 of the per-sample BCE = g(1 - g), whatever the label."""
    h = sigmoid(z)
    return h * (1 - h)


def l2_loss(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """L2(theta) = 1/(2m) sum (y - h)^2."""
    return float(l2_per_sample(X @ theta, y).mean())


def l2_gradient(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The boxed form in vector form: -(1/m) X^T [(y - h) * h * (1 - h)]."""
    h = sigmoid(X @ theta)
    return -X.T @ ((y - h) * h * (1 - h)) / len(y)


def bce_loss(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """L_bce(theta) as the homework defines it: a sum, no 1/m."""
    return float(bce_per_sample(X @ theta, y).sum())


def bce_gradient(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """X^T (h - y)."""
    return X.T @ (sigmoid(X @ theta) - y)


def accuracy(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((X @ theta >= 0) == (y == 1)))


def hessian_eigenvalues(curvature: Callable, theta0: np.ndarray, theta1: np.ndarray,
                        x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest eigenvalue of (1/m) sum l''(z_i) x_i x_i^T with x_i = (1, x_i),
    z_i = theta0 + theta1 x_i, at every (theta0, theta1) given (broadcast)."""
    c = curvature(theta0[..., None] + theta1[..., None] * x, y)
    a, b, d = c.mean(-1), (c * x).mean(-1), (c * x**2).mean(-1)
    mean, spread = (a + d) / 2, np.sqrt(((a - d) / 2) ** 2 + b**2)
    return mean - spread, mean + spread
