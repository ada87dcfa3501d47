"""Seeded variants of the homework: new Question 3 data and weights, a new Question 2 example.

Pure functions from a resolved configuration (the nested dict config.toml holds) to
another one: no I/O, no LaTeX.  Building them is solver/staff.py's job.

Each variant has its own random stream, seeded from sha256(f"{seed}:{label}") where the
label is the variant's number ("3") or a student's ID: variant 3 is the same whether 3 or
10 are made, and a student's does not depend on the roster around them.  A draw that is
not well-posed (see `flaws`) is drawn again from the same stream, so the retries are
deterministic too.
"""
from __future__ import annotations

import copy
import hashlib
import math
from typing import Any, Mapping

import numpy as np

from solver import config

DECIMALS = 4            # Question 3's data, as the homework prints it
Q2_DECIMALS = 1         # Question 2's example, as defaults.toml writes it
SPREAD = {"X": 0.8, "W1": 1.0, "b1": 0.8, "W2": 1.2, "b2": 1.0}   # standard deviations, near the homework's
Q2_RANGE = 2.5          # z and z_hat uniform in [-Q2_RANGE, Q2_RANGE]
MIN_LOSS = 0.05         # L(1) and L(2) above this: the answer is not trivially 0
MAX_LOSS = 10.0         # ... and not absurd
ACTIVE = 0.05           # the first sample switches on at least one hidden unit by this much
KINK = 0.01             # no pre-activation of a worked iteration this close to the ReLU kink
BRANCH_GAP = 0.05       # no Huber residual this close to |r| = delta, where the branch is a matter of rounding
MAX_DRAWS = 10_000

Resolved = dict[str, dict[str, Any]]


def seed_of(seed: int, label: str | int) -> int:
    """The variant's own seed: the first 8 bytes of sha256(f"{seed}:{label}")."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{label}".encode()).digest()[:8], "big")


def _plain(a: np.ndarray) -> list[Any]:
    return (np.asarray(a, dtype=float) + 0.0).tolist()  # + 0.0: no -0.0 in config.toml


def draw(base: Mapping[str, Mapping[str, Any]], rng: np.random.Generator) -> Resolved:
    """One draw, well-posed or not: `base` with new q3.X, Y, W1, b1, W2, b2 (the base's shapes
    and layout) and a new q2.z, z_hat (the base's N and delta)."""
    drawn: Resolved = copy.deepcopy({section: dict(values) for section, values in base.items()})
    q3, q2 = drawn["q3"], drawn["q2"]
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

    N = len(q2["z"])
    q2["z"] = _plain(np.round(rng.uniform(-Q2_RANGE, Q2_RANGE, N), Q2_DECIMALS))
    q2["z_hat"] = _plain(np.round(rng.uniform(-Q2_RANGE, Q2_RANGE, N), Q2_DECIMALS))
    return drawn


def flat(resolved: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """`section.name` keys, as config.validate takes them."""
    return {f"{section}.{name}": value for section, values in resolved.items() for name, value in values.items()}


def flaws(resolved: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Why a drawn configuration is not a good homework, one line each; empty when it is."""
    from solver.questions.q3_mlp.checks import params_for  # the package imports SymPy: not for every command
    from solver.questions.q3_mlp.model import train

    try:
        cfg = config.validate(flat(resolved))
    except config.ConfigError as error:
        return list(error.problems)
    found: list[str] = []
    q = cfg.q3
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
    r = np.abs(cfg.q2.z - cfg.q2.z_hat)
    delta = cfg.q2.delta
    if not ((r < delta).any() and (r > delta).any()):
        found.append("q2: the example does not use both branches of the Huber loss")
    if (np.abs(r - delta) < BRANCH_GAP).any():
        found.append(f"q2: a residual is within {BRANCH_GAP} of delta = {delta:g}")
    return found


class NoVariant(RuntimeError):
    """No well-posed draw within MAX_DRAWS (the base configuration makes it impossible)."""


def variant(base: Mapping[str, Mapping[str, Any]], seed: int, label: str | int) -> Resolved:
    """The well-posed variant `label` of `seed`: drawn, and drawn again from the same stream until
    `flaws` finds nothing."""
    rng = np.random.default_rng(seed_of(seed, label))
    last: list[str] = []
    for _ in range(MAX_DRAWS):
        drawn = draw(base, rng)
        last = flaws(drawn)
        if not last:
            return drawn
    raise NoVariant(f"variant {label}: no well-posed draw in {MAX_DRAWS} tries; the last: {'; '.join(last)}")


def with_student(resolved: Mapping[str, Mapping[str, Any]], name: str, student_id: str) -> Resolved:
    drawn: Resolved = copy.deepcopy({section: dict(values) for section, values in resolved.items()})
    drawn["student"] = {**drawn["student"], "name": name, "id": student_id}
    return drawn
