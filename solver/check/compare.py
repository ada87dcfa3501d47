"""Compare a student's worked answers with the solution, step by step, in the order the
solution computes them.

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
quantity is given a slip from slips.CATALOGUE only if applying that slip to the student's
(or the solution's) inputs reproduces the given value within the same tolerance.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from solver.questions.q2_huber import huber, huber_grad
from solver.questions.q3_mlp.checks import oriented
from solver.questions.q3_mlp.model import Forward, Grads, Params, backward, samples_for, softmax, step

HALF_UNIT = 0.5e-4          # one rounding to 4 decimals
FD = 1e-6                   # central-difference step for the Jacobians
OTHER_RATES = (1.0, 0.1, 0.001, 0.05, 0.5, 0.02, 0.005, 0.2, 0.0001)

Values = dict[str, np.ndarray]
Fn = Callable[[Values], np.ndarray]


class BadWork(ValueError):
    """The submission cannot be read (one line)."""


@dataclass
class Item:
    path: str
    part: str                      # the grading part: q1a, q2, q3_loss1, q3_params, q3_loss2
    verdict: str = "missing"       # correct | wrong | follows | missing
    given: Any = None
    expected: Any = None
    own: Any = None                # what the student's own inputs give
    slip: str | None = None
    note: str = ""                 # e.g. why a formula is unreadable
    inputs: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "verdict": self.verdict, "given": self.given, "expected": self.expected,
                "slip": self.slip}


@dataclass
class Report:
    items: list[Item] = field(default_factory=list)

    @property
    def first_wrong(self) -> Item | None:
        return next((i for i in self.items if i.verdict == "wrong"), None)

    @property
    def any_wrong(self) -> bool:
        return self.first_wrong is not None

    def by_path(self) -> dict[str, Item]:
        return {i.path: i for i in self.items}

    def as_json(self) -> dict[str, Any]:
        first = self.first_wrong
        return {"items": [i.as_json() for i in self.items], "first_wrong": first.path if first else None}


@dataclass(frozen=True)
class Step:
    path: str
    part: str
    inputs: tuple[str, ...]        # names of earlier quantities or data
    fn: Fn
    slips: Mapping[str, Callable[[Values], list[np.ndarray]]] = field(default_factory=dict)
    show: Callable[[np.ndarray], Any] = lambda a: _plain(a)


def _plain(a: np.ndarray) -> Any:
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


def as_array(value: Any, path: str) -> np.ndarray | None:
    if value is None or value == [] or value == {} or value == "":
        return None
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise BadWork(f"{path}: expected numbers (a number, a list or a list of lists), got {str(value)[:60]}") from None
    if a.dtype == object or not np.all(np.isfinite(a)):
        raise BadWork(f"{path}: expected finite numbers")
    return a


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


def run_steps(p: Plan, given: Mapping[str, np.ndarray], report: Report) -> None:
    """Fill `report` with one Item per step, in order."""
    expected, chain_tol = p.expected, p.chain_tol
    own: Values = dict(p.data)
    # how far each of the student's values may be from the same step worked exactly from their
    # inputs: one rounding for what they wrote, more for a chain they did not write down; data exact
    rounded: Values = {s.path: np.full(expected[s.path].shape, HALF_UNIT) for s in p.steps}
    verdicts: dict[str, str] = {}
    by_path = {s.path: s for s in p.steps}
    for s in p.steps:
        e = expected[s.path]
        o = np.asarray(s.fn(own), dtype=float)
        g = given.get(s.path)
        item = Item(path=s.path, part=s.part, expected=s.show(e), own=s.show(o), inputs=s.inputs)
        inputs_ok = all(verdicts.get(name, "correct") in ("correct", "missing") for name in s.inputs)
        if g is None:
            item.verdict = "missing"
            own[s.path] = o
            # worked but not written down: its rounding, and that of its own hidden inputs, carries on
            if any(verdicts.get(name) == "missing" for name in s.inputs):
                rounded[s.path] = _jacobian_abs(s.fn, own, s.inputs, rounded, o.shape) + HALF_UNIT
        elif g.shape != e.shape:
            item.given = _plain(g)
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
        verdicts[s.path] = item.verdict
        report.items.append(item)


_PLANS: dict[tuple[str, int], tuple[Any, Any]] = {}


def _cached(kind: str, cfg: Any, make: Callable[[], Any]) -> Any:
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


# ---------------------------------------------------------------- Question 3

def q3_steps(cfg: Any) -> tuple[list[Step], Values, Callable[[str], Callable[[np.ndarray], np.ndarray]]]:
    """Every quantity of the worked iterations, in the order the solution computes them."""
    q = cfg.q3
    L, lr, mode = q.layout, float(q.learning_rate), q.mode
    m = len(q.X)
    data: Values = {"init.W1": oriented(q.W1, L), "init.b1": q.b1, "init.W2": oriented(q.W2, L), "init.b2": q.b2}
    for i in range(m):
        data[f"x{i + 1}"], data[f"y{i + 1}"] = q.X[i].astype(float), q.Y[i].astype(float)
    samples_all = range(1, m + 1)
    steps: list[Step] = []
    matrix = lambda a: oriented(np.asarray(a), L).tolist()  # noqa: E731 - shown in the config's orientation

    def reading(path: str) -> Callable[[np.ndarray], np.ndarray]:
        """Given value (config orientation) -> internal orientation."""
        return (lambda a: oriented(a, L)) if path.split(".")[-1] in ("W1", "W2") and ".forward" not in path else (lambda a: a)

    def ce(p: np.ndarray, y: np.ndarray, log: Callable = np.log) -> np.ndarray:
        # from p, not model.cross_entropy(z2): by hand the loss is −ln of the p the student wrote down
        return np.asarray(-np.sum(y * log(np.clip(p, 1e-300, None))))

    for k in range(q.iterations):
        it = f"q3.iterations[{k}]"
        part_fwd = "q3_loss1" if k == 0 else ("q3_loss2" if k == 1 else f"q3_it{k + 1}")
        part_upd = "q3_params" if k == 0 else f"q3_it{k + 1}"
        P = {n: ("init." + n if k == 0 else f"q3.iterations[{k - 1}].params_after.{n}") for n in ("W1", "b1", "W2", "b2")}
        samples = samples_for(k + 1, mode, m)
        B = len(samples)
        for j, s_ in enumerate(samples):
            f = f"{it}.forward[{j}]"
            x, y = f"x{s_}", f"y{s_}"
            others = [t for t in samples_all if t != s_]

            def z1(v, W=P["W1"], b=P["b1"], x=x): return v[W] @ v[x] + v[b]
            def z2(v, W=P["W2"], b=P["b2"], a=f + ".a1"): return v[W] @ v[a] + v[b]
            steps += [
                Step(f + ".z1", part_fwd, (P["W1"], P["b1"], x), z1, {
                    "transposed_weights": lambda v, W=P["W1"], b=P["b1"], x=x: [v[W].T @ v[x] + v[b]],
                    "bias_omitted": lambda v, W=P["W1"], x=x: [v[W] @ v[x]],
                    "stale_parameters": lambda v, x=x, k=k: [v["init.W1"] @ v[x] + v["init.b1"]] if k else [],
                    "wrong_sample": lambda v, W=P["W1"], b=P["b1"], o=others: [v[W] @ v[f"x{t}"] + v[b] for t in o],
                }),
                Step(f + ".a1", part_fwd, (f + ".z1",), lambda v, z=f + ".z1": np.maximum(v[z], 0.0), {
                    "relu_omitted": lambda v, z=f + ".z1": [v[z]],
                }),
                Step(f + ".z2", part_fwd, (P["W2"], P["b2"], f + ".a1"), z2, {
                    "transposed_weights": lambda v, W=P["W2"], b=P["b2"], a=f + ".a1": [v[W].T @ v[a] + v[b]],
                    "bias_omitted": lambda v, W=P["W2"], a=f + ".a1": [v[W] @ v[a]],
                    "stale_parameters": lambda v, a=f + ".a1", k=k: [v["init.W2"] @ v[a] + v["init.b2"]] if k else [],
                }),
                Step(f + ".p", part_fwd, (f + ".z2",), lambda v, z=f + ".z2": softmax(v[z])),
                Step(f + ".loss", part_fwd, (f + ".p",), lambda v, p=f + ".p", y=y: ce(v[p], v[y]), {
                    "log_base": lambda v, p=f + ".p", y=y: [ce(v[p], v[y], np.log10), ce(v[p], v[y], np.log2)],
                    "wrong_sample": lambda v, p=f + ".p", o=others: [ce(v[p], v[f"y{t}"]) for t in o],
                }),
            ]
        fwd = [f"{it}.forward[{j}]" for j in range(B)]
        steps.append(Step(f"{it}.loss", part_fwd, tuple(f + ".loss" for f in fwd),
                          lambda v, fwd=fwd: np.asarray(np.mean([v[f + ".loss"] for f in fwd]))))

        # backward: model.backward on the student's forward values; in sgd mode their δ's are
        # their bias gradients, so W-gradients are taken from those when given.
        X = lambda v, s=samples: np.stack([v[f"x{t}"] for t in s], axis=1)  # noqa: E731
        Y = lambda v, s=samples: np.stack([v[f"y{t}"] for t in s], axis=1)  # noqa: E731
        col = lambda v, fwd=fwd, name="p": np.stack([v[f"{f}.{name}"] for f in fwd], axis=1)  # noqa: E731

        def grads(v: Values, W2: str = P["W2"], col=col, X=X, Y=Y) -> Any:
            params = Params(W1=np.zeros((1, 1)), b1=np.zeros(1), W2=v[W2], b2=np.zeros(1))
            Pm = col(v, name="p")
            f = Forward(samples=(), X=X(v), Y=Y(v), Z1=col(v, name="z1"), A1=col(v, name="a1"), Z2=Pm, P=Pm,
                        losses=np.zeros(Pm.shape[1]))
            return backward(params, f)

        g = f"{it}.grads"
        fin = tuple(f"{f}.{n}" for f in fwd for n in ("z1", "a1", "p"))
        sgd = B == 1
        D2 = (lambda v, g=g: v[g + ".b2"][:, None]) if sgd else (lambda v, grads=grads: grads(v).D2)
        D1 = (lambda v, g=g: v[g + ".b1"][:, None]) if sgd else (lambda v, grads=grads: grads(v).D1)
        d2_in = (g + ".b2",) if sgd else fin
        d1_in = (g + ".b1",) if sgd else fin + (P["W2"],)
        A1 = lambda v, col=col: col(v, name="a1")  # noqa: E731

        steps += [
            Step(g + ".b2", part_upd, fin, lambda v, grads=grads: grads(v).b2, {
                "delta_sign": lambda v, grads=grads: [-grads(v).b2],
                "wrong_sample": lambda v, grads=grads, Y=Y, o=[t for t in samples_all if t not in samples]:
                    [grads(v).b2 + Y(v).mean(axis=1) - v[f"y{t}"] for t in o] if sgd else [],
            }),
            Step(g + ".W2", part_upd, d2_in + tuple(f + ".a1" for f in fwd),
                 lambda v, D2=D2, A1=A1, B=B: D2(v) @ A1(v).T / B, {
                     "gradient_transposed": lambda v, D2=D2, A1=A1, B=B: [(D2(v) @ A1(v).T / B).T],
                     "delta_sign": lambda v, A1=A1, B=B, grads=grads: [-(grads(v).D2 @ A1(v).T / B)],
                 }),
            Step(g + ".b1", part_upd, fin + (P["W2"],) if not sgd else (g + ".b2", P["W2"], fwd[0] + ".z1"),
                 (lambda v, grads=grads: grads(v).b1) if not sgd else
                 (lambda v, g=g, W2=P["W2"], z=fwd[0] + ".z1": (v[W2].T @ v[g + ".b2"]) * (v[z] > 0)), {
                     "relu_mask_omitted": lambda v, D2=D2, W2=P["W2"]: [(v[W2].T @ D2(v)).mean(axis=1)],
                     "delta_sign": lambda v, grads=grads: [-grads(v).b1],
                     "transposed_weights": lambda v, D2=D2, W2=P["W2"], z=fwd[0] + ".z1":
                         [((v[W2] @ D2(v))[:, 0] * (v[z] > 0))] if sgd else [],
                 }),
            Step(g + ".W1", part_upd, d1_in + tuple(f"x{t}" for t in samples),
                 lambda v, D1=D1, X=X, B=B: D1(v) @ X(v).T / B, {
                     "gradient_transposed": lambda v, D1=D1, X=X, B=B: [(D1(v) @ X(v).T / B).T],
                     "relu_mask_omitted": lambda v, D2=D2, W2=P["W2"], X=X, B=B: [(v[W2].T @ D2(v)) @ X(v).T / B],
                     "delta_sign": lambda v, grads=grads: [-grads(v).W1],
                 }),
        ]
        for n in ("W1", "b1", "W2", "b2"):
            theta, grad = P[n], f"{g}.{n}"
            steps.append(Step(
                f"{it}.params_after.{n}", part_upd, (theta, grad),
                lambda v, t=theta, d=grad: _update(v[t], v[d], lr), {
                    "update_sign": lambda v, t=theta, d=grad: [v[t] + lr * v[d]],
                    "learning_rate": lambda v, t=theta, d=grad: [v[t] - r * v[d] for r in OTHER_RATES if r != lr],
                    "stale_parameters": lambda v, d=grad, n=n, k=k: [v["init." + n] - lr * v[d]] if k else [],
                    "gradient_transposed": lambda v, t=theta, d=grad: [v[t] - lr * v[d].T] if v[d].ndim == 2 else [],
                },
                show=matrix if n in ("W1", "W2") else _plain))
    # gradients of weights are shown in the config's orientation too
    steps = [Step(s.path, s.part, s.inputs, s.fn, s.slips, matrix) if s.path.split(".")[-1] in ("W1", "W2")
             and ".grads." in s.path else s for s in steps]
    return steps, data, reading


def _update(theta: np.ndarray, grad: np.ndarray, lr: float) -> np.ndarray:
    """The network's own step (model.step) on one parameter: θ − η∇L."""
    zero = np.zeros(())
    return step(Params(W1=theta, b1=zero, W2=zero, b2=zero),
                Grads(D2=zero, DA1=zero, D1=zero, W1=grad, b1=zero, W2=zero, b2=zero), lr).W1


def check_q3(cfg: Any, work: Mapping[str, Any], report: Report) -> None:
    steps, data, reading = _cached("q3", cfg, lambda: q3_steps(cfg))
    given: dict[str, np.ndarray] = {}
    for s in steps:
        a = as_array(lookup(work, s.path), s.path)
        if a is not None:
            given[s.path] = reading(s.path)(a) if a.ndim == 2 else a
    run_steps(_cached("q3plan", cfg, lambda: plan(steps, data)), given, report)


# ---------------------------------------------------------------- Question 2, the worked example

def q2_steps(cfg: Any) -> tuple[list[Step], Values]:
    q = cfg.q2
    delta = float(q.delta)
    data: Values = {"z": q.z.astype(float), "z_hat": q.z_hat.astype(float), "delta": np.asarray(delta)}
    N = q.z.size
    r = lambda v: v["z"] - v["z_hat"]  # noqa: E731
    # J = mean of the J^(i), each rounded by hand: the hidden step J_i carries 0.5e-4 into the mean.
    steps = [
        Step("q2.example.J_i", "q2", ("z", "z_hat"), lambda v: huber(r(v), delta)),
        Step("q2.example.J", "q2", ("q2.example.J_i",), lambda v: np.asarray(np.mean(v["q2.example.J_i"])), {
            "mean_omitted": lambda v: [np.asarray(np.sum(v["q2.example.J_i"]))],
        }),
        Step("q2.example.dJ_dz", "q2", ("z", "z_hat"), lambda v: huber_grad(r(v), delta) / N, {
            "mean_omitted": lambda v: [huber_grad(r(v), delta)],
            "no_clipping": lambda v: [r(v) / N],
            "sign": lambda v: [-huber_grad(r(v), delta) / N],
            "linear_branch_unsigned": lambda v: [np.where(np.abs(r(v)) <= delta, r(v), delta) / N],
        }),
    ]
    return steps, data


def check_q2_example(cfg: Any, work: Mapping[str, Any], report: Report) -> None:
    p = _cached("q2plan", cfg, lambda: plan(*q2_steps(cfg)))
    given = {s.path: a for s in p.steps if (a := as_array(lookup(work, s.path), s.path)) is not None}
    hidden = Report()
    run_steps(p, given, hidden)
    report.items += [i for i in hidden.items if i.path != "q2.example.J_i"]


# ---------------------------------------------------------------- formulas: Q1(a) and Q2

@dataclass(frozen=True)
class FormulaQuestion:
    path: str
    part: str
    grammar: Any                                  # formula.Grammar
    expected: Any                                 # sympy expression
    slips: Mapping[str, Any]                      # slip id -> sympy expression (or list of them)
    ranges: Mapping[str, tuple[float, float, bool]]
    asks: str                                     # in words, for the worksheet
    answer: str                                   # the expected formula as shown to the student


@functools.cache
def formula_questions() -> tuple[FormulaQuestion, ...]:
    import sympy

    from solver.check.formula import Grammar

    y, h, x_j, m = sympy.symbols("y h x_j m", real=True)
    z, z_hat, delta, N = sympy.symbols("z z_hat delta N", real=True)
    q1 = Grammar({"y": y, "h": h, "x_j": x_j, "m": m}, ("exp", "log"))
    q2 = Grammar({"z": z, "z_hat": z_hat, "delta": delta, "N": N},
                 ("abs", "sign", "min", "max", "clip"), piecewise=True)
    r = z - z_hat
    clip = sympy.Min(sympy.Max(r, -delta), delta)
    core = (h - y) * h * (1 - h) * x_j
    return (
        FormulaQuestion(
            "q1.gradient", "q1a", q1, core / m,
            {"sign": -core / m, "mean_omitted": [core, 2 * core], "sigmoid_derivative_omitted": [(h - y) * x_j / m],
             "bce_gradient": [(h - y) * x_j],
             "factor_two": [core / (2 * m), 2 * core / m]},
            {"y": (0.0, 1.0, False), "h": (0.02, 0.98, False), "x_j": (-3.0, 3.0, False), "m": (1, 50, True)},
            "the summand of ∂L₂/∂θⱼ for one sample (i), in y, h, x_j, m (y = y⁽ⁱ⁾, h = h(x⁽ⁱ⁾), x_j = x⁽ⁱ⁾ⱼ)",
            "(h - y) * h * (1 - h) * x_j / m",
        ),
        FormulaQuestion(
            "q2.gradient", "q2", q2, sympy.Piecewise((r / N, sympy.Abs(r) <= delta), (delta * sympy.sign(r) / N, True)),
            {"mean_omitted": [clip], "no_clipping": [r / N], "sign": [-clip / N],
             "linear_branch_unsigned": [sympy.Piecewise((r / N, sympy.Abs(r) <= delta), (delta / N, True))]},
            {"z": (-3.0, 3.0, False), "z_hat": (-3.0, 3.0, False), "delta": (0.1, 2.0, False), "N": (1, 20, True)},
            "∂J/∂z⁽ⁱ⁾ in z, z_hat, delta, N (z = z⁽ⁱ⁾, z_hat = ẑ⁽ⁱ⁾); abs, sign, min, max, clip(x, lo, hi) and "
            "Piecewise((value, condition), ..., (value, True)) are allowed",
            "Piecewise(((z - z_hat) / N, abs(z - z_hat) <= delta), (delta * sign(z - z_hat) / N, True))",
        ),
    )


def check_formula(fq: FormulaQuestion, text: Any) -> Item:
    from solver.check.formula import Unreadable, equivalent, parse, random_points

    item = Item(path=fq.path, part=fq.part, expected=fq.answer)
    if text is None or (isinstance(text, str) and not text.strip()):
        return item
    item.given = text if isinstance(text, str) else str(text)[:80]
    try:
        expr = parse(text, fq.grammar)
    except Unreadable as error:
        item.verdict, item.note = "wrong", f"unreadable formula: {error}"
        return item
    points = random_points(fq.grammar.symbols, fq.ranges)
    if equivalent(expr, fq.expected, points):
        item.verdict = "correct"
        return item
    item.verdict = "wrong"
    for slip, forms in fq.slips.items():
        if any(equivalent(expr, form, points) for form in (forms if isinstance(forms, list) else [forms])):
            item.slip = slip
            break
    return item


# ---------------------------------------------------------------- everything

def check(cfg: Any, work: Mapping[str, Any]) -> Report:
    """The whole submission, question by question in the homework's order."""
    if not isinstance(work, Mapping):
        raise BadWork("the submission must be a table (TOML) or an object (JSON) like answers.json")
    report = Report()
    with np.errstate(all="ignore"):   # a student's 1e300 gives inf, compared as wrong, not a warning
        _check(cfg, work, report)
    return report


def _check(cfg: Any, work: Mapping[str, Any], report: Report) -> None:
    q1, q2 = formula_questions()
    report.items.append(check_formula(q1, lookup(work, q1.path)))
    report.items.append(check_formula(q2, lookup(work, q2.path)))
    check_q2_example(cfg, work, report)
    check_q3(cfg, work, report)
