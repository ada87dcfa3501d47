"""The catalogue of slips: each a likely mistake, what it looks like, what to recompute, and
what a lecturer would re-teach.  A slip is named for a wrong quantity only when applying it
(in compare.py) reproduces the given value within the tolerance.

Slips of one question live in its check.py (SLIPS); those several questions share are here."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import import_module


@dataclass(frozen=True)
class Slip:
    id: str
    parts: tuple[str, ...]   # "q3", "q2", "q1a"
    words: str               # what the student did
    recompute: str           # what to redo
    reteach: str             # for the class summary


SHARED: tuple[Slip, ...] = (
    Slip("mean_omitted", ("q2", "q1a"), "the 1/N (1/m) of the mean was left out",
         "keep the 1/N (1/m) factor of the loss", "the mean's factor survives differentiation"),
    Slip("sign", ("q2", "q1a"), "the gradient has the wrong sign",
         "differentiate (y − h)² or (z − ẑ) with respect to h or z, not y or ẑ", "the chain rule's inner derivative sign"),
)


@functools.cache
def by_id() -> dict[str, Slip]:
    """Every slip by its id: the shared ones and each question's checker's SLIPS."""
    from solver.questions import QUESTIONS

    own = (s for q in QUESTIONS if q.checker for s in getattr(import_module(q.checker), "SLIPS", ()))
    return {s.id: s for s in (*SHARED, *own)}
