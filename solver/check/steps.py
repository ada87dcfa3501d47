"""The step engine: compare a student's worked answers with the solution, step by step, in the
order the solution computes them.  The steps themselves are each question's checker's.

Each quantity is a step: a function of earlier quantities (the student's, when given) and
of the data.  For every step three values are known:

    expected  the solution's value (the step applied to the solution's inputs);
    own       the step applied to the student's own inputs (their given values where they
              gave them, else their own chain recomputed), i.e. what they should have got;
    given     what they wrote.

Tolerance, derived not guessed: a student rounds every result to 4 decimals, so each
computed input carries at most ±0.5e-4 and the result another ±0.5e-4.  Through the step's
Jacobian J (central differences) that bounds
    step tolerance   |J|·0.5e-4 (summed over the rounded inputs) + 0.5e-4       (given vs own)
    chain tolerance  |J|·(the inputs' chain tolerances) + 0.5e-4               (given vs expected)
Data (the homework's x, y, initial parameters, z, ẑ, δ) is exact.

Verdicts: `correct` (within the chain tolerance of the solution, or within the step
tolerance of their own recomputation from inputs that are all correct), `follows` (wrong,
but within the step tolerance of their own recomputation), `wrong`, `missing`.  A wrong
quantity is given a slip from the catalogue (slips.by_id) only if applying that slip to the student's
(or the solution's) inputs reproduces the given value within the same tolerance.

One mistake is counted once: a `follows` item names the first wrong step it comes from
(`cause`), and a later quantity of the same part wrong by the same slip (the slip made again
downstream, or in working not written down) follows from the first one.  A value that cannot
be read as a number is `wrong` with a note saying where it is and what was expected; the
steps after it go on from what it should have been.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

HALF_UNIT = 0.5e-4          # one rounding to 4 decimals
FD = 1e-6                   # central-difference step for the Jacobians

Values = dict[str, np.ndarray]
Fn = Callable[[Values], np.ndarray]


class BadWork(ValueError):
    """The submission cannot be read (one line)."""


@dataclass
class Item:
    path: str
    part: str                      # the grading part: an Asked key of the registry
    verdict: str = "missing"       # correct | wrong | follows | missing
    given: Any = None
    expected: Any = None
    own: Any = None                # what the student's own inputs give
    slip: str | None = None
    note: str = ""                 # e.g. why a formula is unreadable
    inputs: tuple[str, ...] = ()
    label: str = ""                # in words: "Iteration 2 (sample x⁽²⁾): z₁"
    cause: str | None = None       # for `follows`: the path of the first wrong step it comes from
    judged: Mapping[str, bool] | None = None   # a formula's rubric shares: which of its pieces are right
    repeated: bool = False         # wrong by a slip already counted at an earlier step of its part

    @property
    def question(self) -> str:
        return self.path.split(".")[0]

    @property
    def name(self) -> str:
        return self.label or self.path

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "label": self.name, "verdict": self.verdict, "given": self.given,
                "expected": self.expected, "slip": self.slip, "follows_from": self.cause}


@dataclass
class Report:
    items: list[Item] = field(default_factory=list)

    @property
    def first_wrong(self) -> Item | None:
        return next((i for i in self.items if i.verdict == "wrong"), None)

    def first_wrong_by_question(self) -> dict[str, Item]:
        """The first wrong step of each question that has one, in the homework's order."""
        found: dict[str, Item] = {}
        for i in self.items:
            if i.verdict == "wrong":
                found.setdefault(i.question, i)
        return found

    def label_of(self, path: str | None) -> str:
        return next((i.name for i in self.items if i.path == path), path or "an earlier value")

    @property
    def any_wrong(self) -> bool:
        return self.first_wrong is not None

    def by_path(self) -> dict[str, Item]:
        return {i.path: i for i in self.items}

    def as_json(self) -> dict[str, Any]:
        first = self.first_wrong
        return {"items": [i.as_json() for i in self.items], "first_wrong": first.path if first else None,
                "first_wrong_by_question": {q: i.path for q, i in self.first_wrong_by_question().items()}}


@dataclass(frozen=True)
class Step:
    path: str
    part: str
    inputs: tuple[str, ...]        # names of earlier quantities or data
    fn: Fn
    slips: Mapping[str, Callable[[Values], list[np.ndarray]]] = field(default_factory=dict)
    show: Callable[[np.ndarray], Any] = lambda a: plain(a)
    label: str = ""                # in words, for people


def plain(a: np.ndarray) -> Any:
    a = np.asarray(a, dtype=float)
    return float(a) if a.ndim == 0 else a.tolist()


# ---------------------------------------------------------------- reading the submission

def lookup(work: Mapping[str, Any], path: str) -> Any:
    """The value at `path` (q3.iterations[0].forward[0].z1) in the nested submission, or None."""
    node: Any = work
    for part in path.replace("]", "").split("."):
        name, *indices = part.split("[")
        if not isinstance(node, Mapping) or name not in node:
            return None
        node = node[name]
        for index in indices:
            if not isinstance(node, list) or int(index) >= len(node):
                return None
            node = node[int(index)]
    return node


def read_given(paths: list[str], work: Mapping[str, Any],
               reading: Callable[[str], Callable[[np.ndarray], np.ndarray]] = lambda path: lambda a: a,
               ) -> tuple[dict[str, np.ndarray], dict[str, tuple[str, str]]]:
    """The values given at `paths` (numbers, fractions, scientific notation; see numbers.py), and
    for each value that cannot be read, (what was written, why, with its line and what was expected)."""
    from solver.check.numbers import EXPECTED, NotANumber, array, blank, where

    given: dict[str, np.ndarray] = {}
    unreadable: dict[str, tuple[str, str]] = {}
    for path in paths:
        value = lookup(work, path)
        if blank(value):
            continue
        try:
            a = array(value)
        except NotANumber as why:
            unreadable[path] = (str(value)[:60], f"{where(work, path)}unreadable ({why}); expected {EXPECTED}")
            continue
        given[path] = reading(path)(a) if a.ndim == 2 else a
    return given, unreadable


# ---------------------------------------------------------------- the engine

def _jacobian_abs(fn: Fn, values: Values, names: tuple[str, ...], weights: Mapping[str, np.ndarray],
                  out_shape: tuple[int, ...]) -> np.ndarray:
    """Σ_inputs |∂fn/∂input| · weight(input), elementwise over the output."""
    total = np.zeros(out_shape)
    for name in names:
        w = weights.get(name)
        if w is None or not np.any(w):
            continue
        base = values[name]
        flat = base.reshape(-1)
        wf = np.broadcast_to(w, base.shape).reshape(-1)
        for k in range(flat.size):
            if wf[k] == 0:
                continue
            up, down = flat.copy(), flat.copy()
            up[k] += FD
            down[k] -= FD
            d = (fn({**values, name: up.reshape(base.shape)}) - fn({**values, name: down.reshape(base.shape)})) / (2 * FD)
            total = total + np.abs(d) * wf[k]
    return total


def _shape(a: np.ndarray) -> str:
    return "a number" if a.ndim == 0 else "×".join(map(str, a.shape))


def _close(a: np.ndarray, b: np.ndarray, tol: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tol + 1e-12))


@dataclass(frozen=True)
class Plan:
    """The solution side of a list of steps, which no submission changes: computed once."""
    steps: tuple[Step, ...]
    data: Values
    expected: Values
    chain_tol: Values


def plan(steps: list[Step], data: Values) -> Plan:
    expected: Values = dict(data)
    chain_tol: Values = {name: np.zeros_like(v) for name, v in data.items()}
    for s in steps:
        expected[s.path] = np.asarray(s.fn(expected), dtype=float)
        chain_tol[s.path] = _jacobian_abs(s.fn, expected, s.inputs, chain_tol, expected[s.path].shape) + HALF_UNIT
    return Plan(tuple(steps), data, expected, chain_tol)


def run_steps(p: Plan, given: Mapping[str, np.ndarray], report: Report,
              unreadable: Mapping[str, tuple[str, str]] | None = None) -> None:
    """Fill `report` with one Item per step, in order."""
    expected, chain_tol = p.expected, p.chain_tol
    unreadable = unreadable or {}
    own: Values = dict(p.data)
    # how far each of the student's values may be from the same step worked exactly from their
    # inputs: one rounding for what they wrote, more for a chain they did not write down; data exact
    rounded: Values = {s.path: np.full(expected[s.path].shape, HALF_UNIT) for s in p.steps}
    verdicts: dict[str, str] = {}
    origin: dict[str, str | None] = {}          # the first wrong step a value comes from
    slipped: dict[tuple[str, str], Item] = {}   # (part, slip) -> the step where it was first made
    by_path = {s.path: s for s in p.steps}
    order = {s.path: k for k, s in enumerate(p.steps)}
    for s in p.steps:
        e = expected[s.path]
        o = np.asarray(s.fn(own), dtype=float)
        g = given.get(s.path)
        item = Item(path=s.path, part=s.part, expected=s.show(e), own=s.show(o), inputs=s.inputs, label=s.label)
        inputs_ok = all(verdicts.get(name, "correct") in ("correct", "missing") for name in s.inputs)
        upstream = min((origin[n] for n in s.inputs if origin.get(n)), key=order.__getitem__, default=None)
        if s.path in unreadable:
            item.verdict, (item.given, item.note) = "wrong", unreadable[s.path]
            own[s.path] = o      # later steps go on from what this one should have been
        elif g is None:
            item.verdict = "missing"
            own[s.path] = o
            # worked but not written down: its rounding, and that of its own hidden inputs, carries on
            if any(verdicts.get(name) == "missing" for name in s.inputs):
                rounded[s.path] = _jacobian_abs(s.fn, own, s.inputs, rounded, o.shape) + HALF_UNIT
        elif g.shape != e.shape:
            item.given = plain(g)
            item.verdict = "wrong"
            item.note = f"shape {_shape(g)}, expected {_shape(e)}"
            own[s.path] = o      # later steps go on from what this one should have been
        else:
            item.given = s.show(g)
            own[s.path] = g
            if _close(g, e, chain_tol[s.path]):
                item.verdict = "correct"
            else:
                step_tol = _jacobian_abs(s.fn, own, s.inputs, rounded, o.shape) + HALF_UNIT
                own_matches = _close(g, o, step_tol)
                upstream_off = not _close(o, e, chain_tol[s.path])
                if own_matches and inputs_ok and not upstream_off:
                    item.verdict = "correct"
                elif own_matches:
                    item.verdict = "follows"
                else:
                    item.verdict = "wrong"
                    item.slip = _find_slip(s, g, own, expected, step_tol, chain_tol[s.path]) or \
                        _find_hidden_slip(s, g, own, rounded, by_path, verdicts)
                    first = slipped.get((s.part, item.slip)) if item.slip else None
                    if first is not None:   # the same mistake again in this part: counted once
                        item.verdict, item.cause, item.slip, item.repeated = "follows", first.path, None, True
                        item.note = f"the same slip ({first.slip}) as at {first.name}"
                    elif item.slip:
                        slipped[(s.part, item.slip)] = item
        if item.verdict == "follows" and item.cause is None:
            item.cause = upstream
        origin[s.path] = s.path if item.verdict == "wrong" else (item.cause if item.verdict == "follows" else
                                                                 upstream if item.verdict == "missing" else None)
        verdicts[s.path] = item.verdict
        report.items.append(item)


_PLANS: dict[tuple[str, int], tuple[Any, Any]] = {}


def cached(kind: str, cfg: Any, make: Callable[[], Any]) -> Any:
    """One plan per configuration object (kept alive with it, so its id is not reused)."""
    key = (kind, id(cfg))
    if key not in _PLANS or _PLANS[key][0] is not cfg:
        if len(_PLANS) > 64:
            _PLANS.clear()
        _PLANS[key] = (cfg, make())
    return _PLANS[key][1]


def _slipped_missing(name: str, own: Values, rounded: Values, by_path: Mapping[str, Step],
                     verdicts: Mapping[str, str], depth: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(slip, value, tolerance) for a quantity the student did not give, made with a slip there
    or in the missing quantities it is computed from (up to `depth` steps back); the tolerance
    carries the rounding of every step of that hidden chain, as in the plan."""
    s = by_path.get(name)
    if s is None or verdicts.get(name) != "missing" or depth == 0:
        return []
    found = []
    here = None
    for slip, apply in s.slips.items():
        try:
            candidates = apply(own)
        except (ValueError, IndexError, FloatingPointError):
            continue
        for c in candidates:
            if here is None:
                here = _jacobian_abs(s.fn, own, s.inputs, rounded, np.shape(s.fn(own))) + HALF_UNIT
            found.append((slip, np.asarray(c, dtype=float), here))
    for inner in s.inputs:
        for slip, value, tol in _slipped_missing(inner, own, rounded, by_path, verdicts, depth - 1):
            try:
                at = {**own, inner: value}
                out = np.asarray(s.fn(at), dtype=float)
                found.append((slip, out, _jacobian_abs(s.fn, at, s.inputs, {**rounded, inner: tol}, out.shape)
                              + HALF_UNIT))
            except (ValueError, IndexError, FloatingPointError):
                pass
    return found


def _find_hidden_slip(s: Step, g: np.ndarray, own: Values, rounded: Values, by_path: Mapping[str, Step],
                      verdicts: Mapping[str, str]) -> str | None:
    """A slip made in a step the student skipped (did not write down) that explains this value."""
    right = np.asarray(s.fn(own), dtype=float)
    for name in s.inputs:
        for slip, value, tol in _slipped_missing(name, own, rounded, by_path, verdicts, 6):
            try:
                at = {**own, name: value}
                c = np.asarray(s.fn(at), dtype=float)
            except (ValueError, IndexError, FloatingPointError):
                continue
            step_tol = _jacobian_abs(s.fn, at, s.inputs, {**rounded, name: tol}, c.shape) + HALF_UNIT
            if c.shape == g.shape and _close(g, c, step_tol) and not _close(c, right, step_tol):
                return slip
    return None


def _find_slip(s: Step, g: np.ndarray, own: Values, expected: Values, step_tol: np.ndarray,
               chain_tol: np.ndarray) -> str | None:
    for slip, apply in s.slips.items():
        for inputs, tol in ((own, step_tol), (expected, chain_tol)):
            try:
                candidates = apply(inputs)
            except (ValueError, IndexError, FloatingPointError):
                continue
            for c in candidates:
                c = np.asarray(c, dtype=float)
                if c.shape == g.shape and _close(g, c, tol) and not _close(c, np.asarray(s.fn(inputs)), tol):
                    return slip
    return None
