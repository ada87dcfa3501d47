"""A fill-in TOML worksheet with answers.json's structure for the asked parts.

Every value is an empty placeholder ("" for a number or a formula, [] for a vector or
matrix), which `check` reads as not given; each has a comment saying what it is.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from solver.check.compare import formula_questions
from solver.questions.q3_mlp.model import samples_for


def _shape(rows: int, cols: int | None = None) -> str:
    return f"{rows} values" if cols is None else f"{rows}×{cols} matrix, a list of {rows} rows"


def _vec(v: np.ndarray) -> str:
    return "[" + ", ".join(f"{x:g}" for x in np.asarray(v, float)) + "]"


def worksheet(cfg: Any) -> str:
    q1, q2 = formula_questions()
    q = cfg.q3
    m, n = q.X.shape
    k, h = q.Y.shape[1], q.b1.shape[0]
    wx = q.layout == "Wx"
    lines = [
        "# ELEG 5491 Homework 1: worksheet for `python -m solver check THIS_FILE`",
        "# Fill in the values you computed, rounded to 4 decimals as you go; leave \"\" or [] for what you skip.",
        "# Numbers are numbers (0.1234, not \"0.1234\"); matrices are lists of rows: [[1, 2, 3], [4, 5, 6]].",
        "# Formulas are text, written like Python: (h - y) * x_j / m, abs(z), z**2.",
        "# Q1(b) is prose: it is marked by a person, not here.",
        "",
        "[q1]",
        f"# Q1(a): {q1.asks}.",
        "# Only these symbols; functions exp and log.  Example of the syntax (not the answer): \"y * (1 - h) * x_j / m\"",
        'gradient = ""',
        "",
        "[q2]",
        f"# Q2: the backward output {q2.asks}.",
        "# Example of the syntax (not the answer): \"Piecewise((z / N, abs(z) <= delta), (0, True))\"",
        'gradient = ""',
        "",
        "[q2.example]",
        f"# The worked example with z = {_vec(cfg.q2.z)}, z_hat = {_vec(cfg.q2.z_hat)}, delta = {cfg.q2.delta:g}, "
        f"N = {cfg.q2.z.size}:",
        "# J, the mean Huber loss (a number)",
        'J = ""',
        f"# dJ_dz, ∂J/∂z⁽ⁱ⁾ for i = 1..{cfg.q2.z.size} ({_shape(cfg.q2.z.size)})",
        "dJ_dz = []",
        "",
        "[q3]",
        f"# Q3: {q.mode} with learning rate η = {q.learning_rate:g}, layout {q.layout} "
        f"({'z = W x + b, W is out × in' if wx else 'z = Wᵀx + b, W is in × out'}); "
        f"{q.iterations} iteration(s) worked below.",
        "# The asked answers: iterations[0].loss, iterations[0].params_after, iterations[1].loss.",
    ]
    w1 = (h, n) if wx else (n, h)
    w2 = (k, h) if wx else (h, k)
    for it in range(1, q.iterations + 1):
        samples = samples_for(it, q.mode, m)
        params = "the initial parameters" if it == 1 else f"the parameters after iteration {it - 1}"
        lines += [
            "",
            "[[q3.iterations]]",
            f"# Iteration {it}: samples {list(samples)}, computed with {params}.",
            f"index = {it}",
            f"samples = {list(samples)}",
            f"# loss: the loss of iteration {it}, the mean over its samples of the per-sample losses below"
            + (" (sgd: the same number as forward's loss)" if len(samples) == 1 else ""),
            'loss = ""',
        ]
        for s in samples:
            lines += [
                "",
                "[[q3.iterations.forward]]",
                f"# Iteration {it}, forward pass on sample {s}: x⁽{s}⁾ = {_vec(q.X[s - 1])}, y⁽{s}⁾ = {_vec(q.Y[s - 1])}",
                f"sample = {s}",
                f"# z1 = W₁x⁽{s}⁾ + b₁ ({_shape(h)})",
                "z1 = []",
                f"# a1 = ReLU(z1) ({_shape(h)})",
                "a1 = []",
                f"# z2 = W₂a1 + b₂ ({_shape(k)})",
                "z2 = []",
                f"# p = softmax(z2) ({_shape(k)})",
                "p = []",
                f"# loss = −ln p of the true class of sample {s} (a number)",
                'loss = ""',
            ]
        mean = "" if len(samples) == 1 else ", the mean over the samples"
        lines += [
            "",
            "[q3.iterations.grads]",
            f"# Iteration {it}, gradients of the loss{mean}; in sgd mode ∂L/∂b₂ = δ₂ = p − y and ∂L/∂b₁ = δ₁",
            f"# W1: ∂L/∂W₁ ({_shape(*w1)})",
            "W1 = []",
            f"# b1: ∂L/∂b₁ ({_shape(h)})",
            "b1 = []",
            f"# W2: ∂L/∂W₂ ({_shape(*w2)})",
            "W2 = []",
            f"# b2: ∂L/∂b₂ ({_shape(k)})",
            "b2 = []",
            "",
            "[q3.iterations.params_after]",
            f"# Iteration {it}, the parameters after its update θ − η∇L",
            f"# W1 ({_shape(*w1)})",
            "W1 = []",
            f"# b1 ({_shape(h)})",
            "b1 = []",
            f"# W2 ({_shape(*w2)})",
            "W2 = []",
            f"# b2 ({_shape(k)})",
            "b2 = []",
        ]
    return "\n".join(lines) + "\n"
