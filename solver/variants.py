"""Seeded variants of the homework: each question with a variant.py draws new inputs.

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
from importlib import import_module
from typing import TYPE_CHECKING, Any, Mapping

from solver import config
from solver.questions import QUESTIONS, Question

if TYPE_CHECKING:
    import numpy as np

MAX_DRAWS = 10_000

Resolved = dict[str, dict[str, Any]]


def seed_of(seed: int, label: str | int) -> int:
    """The variant's own seed: the first 8 bytes of sha256(f"{seed}:{label}")."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{label}".encode()).digest()[:8], "big")


def _drawing() -> list[Question]:
    """The questions that draw new inputs, in the order they draw from a variant's stream (their
    entries' `variant_order`: fixed, so that a seed gives the variants it always gave)."""
    return sorted((q for q in QUESTIONS if q.variant), key=lambda q: q.variant_order)


def draw(base: Mapping[str, Mapping[str, Any]], rng: np.random.Generator) -> Resolved:
    """One draw, well-posed or not: `base` with each question's section redrawn by its variant.py."""
    drawn: Resolved = copy.deepcopy({section: dict(values) for section, values in base.items()})
    for q in _drawing():
        import_module(q.variant).draw(drawn[q.id], rng)
    return drawn


def flat(resolved: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """`section.name` keys, as config.validate takes them."""
    return {f"{section}.{name}": value for section, values in resolved.items() for name, value in values.items()}


def flaws(resolved: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Why a drawn configuration is not a good homework, one line each; empty when it is."""
    try:
        cfg = config.validate(flat(resolved))
    except config.ConfigError as error:
        return list(error.problems)
    return [flaw for q in _drawing() for flaw in import_module(q.variant).flaws(cfg.inputs[q.id])]


class NoVariant(RuntimeError):
    """No well-posed draw within MAX_DRAWS (the base configuration makes it impossible)."""


def variant(base: Mapping[str, Mapping[str, Any]], seed: int, label: str | int) -> Resolved:
    """The well-posed variant `label` of `seed`: drawn, and drawn again from the same stream until
    `flaws` finds nothing."""
    import numpy as np

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
