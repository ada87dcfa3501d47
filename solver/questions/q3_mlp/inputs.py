"""Question 3's inputs: its configuration rows (defaults in defaults.toml beside this file),
the checks between them, and the frozen dataclass a valid section becomes (what solve receives)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from solver.rows import FREE, MATRIX, MAX_COLUMNS, MAX_STEPS, Array, Axis, Choice, Positive, Whole, count, shape_problem, vector

if TYPE_CHECKING:
    import numpy as np

MAX_WORKED_PASSES = 100           # iterations × samples per iteration (m in batch mode)

ROWS = (
    Array("q3.X", "training inputs, row i is x⁽ⁱ⁾ (m×n)",
          axes=(Axis(MAX_COLUMNS, "samples (rows)"), Axis(MAX_COLUMNS, "inputs (columns)"))),
    Array("q3.Y", "one-hot labels, row i is y⁽ⁱ⁾ (m×k)", axes=(FREE, Axis(MAX_COLUMNS, "classes (columns)"))),
    Array("q3.W1", "first layer's weights: h×n under layout `Wx`, n×h under `xW`", axes=MATRIX),
    Array("q3.b1", "first layer's biases, h of them", axes=vector(MAX_COLUMNS, "hidden units")),
    Array("q3.W2", "second layer's weights: k×h under layout `Wx`, h×k under `xW`", axes=MATRIX),
    Array("q3.b2", "second layer's biases, k of them", axes=vector()),
    Positive("q3.learning_rate", "SGD step size η"),
    Whole("q3.iterations", f"iterations worked in full; in batch mode iterations × m is at most {MAX_WORKED_PASSES}",
          low=1, high=100),  # each is worked in full: ~3 pages, ~0.1 s of LaTeX
    Choice("q3.mode", '`"sgd"`: iteration k uses the single sample x⁽⁽ᵏ⁻¹⁾ ᵐᵒᵈ ᵐ⁺¹⁾, in order; '
                      '`"batch"`: mean loss and gradient over all m samples', options=("sgd", "batch")),
    Choice("q3.layout", '`"Wx"`: z = W x + b, rows of W are the layer\'s output units; '
                        '`"xW"`: z = Wᵀx + b (row vector x times W)', options=("Wx", "xW")),
    Whole("q3.curve_iterations", "length of the loss curve in Question 3's figure; the two asked iterations are "
          "marked, and in sgd mode the figure also plots the mean loss over all m samples", low=1, high=MAX_STEPS),
)


def batch_passes(values: Mapping[str, Any]) -> list[str]:
    X, iterations = values.get("q3.X"), values.get("q3.iterations")
    if X is None or iterations is None or values.get("q3.mode") != "batch":
        return []
    passes = iterations * len(X)
    if passes <= MAX_WORKED_PASSES:
        return []
    return [f"q3.iterations: got {iterations} batch iterations over {len(X)} samples = "
            f"{passes} forward/backward passes worked in full, expected at most {MAX_WORKED_PASSES}; "
            'lower q3.iterations or use q3.mode = "sgd"']


def one_hot_labels(values: Mapping[str, Any]) -> list[str]:
    Y = values.get("q3.Y")
    if Y is None:
        return []
    import numpy as np

    one_hot = np.all((Y == 0) | (Y == 1), axis=1) & (Y.sum(axis=1) == 1)
    if one_hot.all():
        return []
    row = int(np.argmin(one_hot)) + 1
    return [f"q3.Y: row {row} is {Y[row - 1].tolist()}, expected one-hot rows (a single 1, the rest 0)"]


def network_shapes(values: Mapping[str, Any]) -> list[str]:
    """Shapes follow from X (m×n), Y (m×k) and b1 (h) under the layout."""
    X, Y, b1, layout = (values.get(f"q3.{name}") for name in ("X", "Y", "b1", "layout"))
    if X is None or Y is None or b1 is None or layout is None:
        return []
    (m, n), k, h = X.shape, Y.shape[1], b1.shape[0]
    wx = layout == "Wx"
    inputs, hidden, classes = count(n, "input"), count(h, "hidden unit"), count(k, "class")
    return [
        *shape_problem("q3.Y", Y, (m, k), f"one label row per sample: q3.X has {m} row{'s' * (m != 1)}"),
        *shape_problem("q3.W1", values.get("q3.W1"), (h, n) if wx else (n, h),
                       f"{inputs} (columns of q3.X), {hidden} (length of q3.b1), layout {layout}"),
        *shape_problem("q3.W2", values.get("q3.W2"), (k, h) if wx else (h, k),
                       f"{hidden}, {classes} (columns of q3.Y), layout {layout}"),
        *shape_problem("q3.b2", values.get("q3.b2"), (k,), f"{classes} (columns of q3.Y)"),
    ]


CHECKS = (batch_passes, one_hot_labels, network_shapes)


@dataclass(frozen=True)
class Inputs:
    X: np.ndarray
    Y: np.ndarray
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    learning_rate: float
    iterations: int
    mode: str
    layout: str
    curve_iterations: int
