"""Question 3: SGD on a two-layer ReLU/softmax MLP with cross-entropy loss.

Internally every weight matrix is stored as W (out × in), z = W x + b; under
layout "xW" the config's matrices are transposed on the way in and out, so the
results are shown in the orientation the user gave.

Besides the training itself, `solve` prepares what the worked solution shows:
every quantity of every step as a 2-D array in display orientation (`Shown`),
each recomputed from the printed, rounded inputs of its step, so that the PDF
can mark the last digits a student working by hand would get differently.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import sympy

from solver.config import Config
from solver.rounding import rounded

FD_STEP = 1e-6       # central finite differences in the verification appendix
READINGS = (("sgd", "Wx"), ("sgd", "xW"), ("batch", "Wx"), ("batch", "xW"))
MAX_DERIVATION_CLASSES = 3   # the symbolic derivation is written out for at most this many classes
LINE_CHARACTERS = 56    # digits one display line holds: 8 bmatrix columns of "-0.1234"; wider lines break


def line_columns(decimals: int, largest: float = 1.0) -> int:
    """bmatrix columns of numbers up to `largest` printed at `decimals` places that fit on one display line."""
    digits = len(str(int(abs(largest)))) if abs(largest) < 1e6 else 10
    return max(2, LINE_CHARACTERS // (decimals + 2 + digits))


def data_decimals(*arrays: np.ndarray) -> int:
    """Decimal places the given data needs (it is printed unrounded), at most 12."""
    return max(next((d for d in range(13) if np.all(np.round(a, d) == a)), 12) for a in arrays)


# ---------------------------------------------------------------- training

@dataclass(frozen=True)
class Params:
    W1: np.ndarray  # h × n
    b1: np.ndarray  # h
    W2: np.ndarray  # k × h
    b2: np.ndarray  # k


@dataclass(frozen=True)
class Forward:
    sample: int      # 1-based index into the training set
    x: np.ndarray
    y: np.ndarray
    z1: np.ndarray
    a1: np.ndarray
    z2: np.ndarray
    p: np.ndarray
    loss: float


@dataclass(frozen=True)
class Grads:
    dz2: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    da1: np.ndarray
    dz1: np.ndarray
    W1: np.ndarray
    b1: np.ndarray


@dataclass(frozen=True)
class Iteration:
    index: int                  # 1-based
    params: Params              # before this iteration's update
    forwards: tuple[Forward, ...]
    per_sample_grads: tuple[Grads, ...]
    loss: float                 # mean over `forwards`
    grads: Grads                # mean over `forwards`
    params_after: Params


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over axis 0 (a vector, or the columns of a matrix), shifted for stability."""
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


def cross_entropy(z2: np.ndarray, y: np.ndarray) -> float:
    """-sum y log softmax(z2), via a stable log-sum-exp."""
    shifted = z2 - z2.max()
    log_p = shifted - np.log(np.exp(shifted).sum())
    return float(-(y * log_p).sum())


def forward(params: Params, x: np.ndarray, y: np.ndarray, sample: int) -> Forward:
    z1 = params.W1 @ x + params.b1
    a1 = np.maximum(z1, 0.0)
    z2 = params.W2 @ a1 + params.b2
    return Forward(sample=sample, x=x, y=y, z1=z1, a1=a1, z2=z2, p=softmax(z2), loss=cross_entropy(z2, y))


def backward(params: Params, f: Forward) -> Grads:
    dz2 = f.p - f.y
    da1 = params.W2.T @ dz2
    dz1 = da1 * (f.z1 > 0)  # ReLU'(0) taken as 0
    return Grads(dz2=dz2, W2=np.outer(dz2, f.a1), b2=dz2, da1=da1, dz1=dz1, W1=np.outer(dz1, f.x), b1=dz1)


def mean_grads(grads: list[Grads]) -> Grads:
    return Grads(**{name: np.mean([getattr(g, name) for g in grads], axis=0) for name in Grads.__dataclass_fields__})


def step(params: Params, grads: Grads, lr: float) -> Params:
    return Params(
        W1=params.W1 - lr * grads.W1, b1=params.b1 - lr * grads.b1,
        W2=params.W2 - lr * grads.W2, b2=params.b2 - lr * grads.b2,
    )


def samples_for(iteration: int, mode: str, m: int) -> list[int]:
    """0-based sample indices used by 1-based `iteration`."""
    return [(iteration - 1) % m] if mode == "sgd" else list(range(m))


def oriented(W: np.ndarray, layout: str) -> np.ndarray:
    """Between the config's orientation and the internal out × in one (its own inverse)."""
    return W if layout == "Wx" else W.T


def params_for(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray, layout: str) -> Params:
    return Params(W1=oriented(W1, layout), b1=b1, W2=oriented(W2, layout), b2=b2)


def initial_params(cfg: Config) -> Params:
    q = cfg.q3
    return params_for(q.W1, q.b1, q.W2, q.b2, q.layout)


def train(params: Params, X: np.ndarray, Y: np.ndarray, mode: str, lr: float, iterations: int) -> list[Iteration]:
    out = []
    for index in range(1, iterations + 1):
        fs = [forward(params, X[i], Y[i], i + 1) for i in samples_for(index, mode, len(X))]
        gs = [backward(params, f) for f in fs]
        grads = mean_grads(gs)
        after = step(params, grads, lr)
        out.append(Iteration(
            index=index, params=params, forwards=tuple(fs), per_sample_grads=tuple(gs),
            loss=float(np.mean([f.loss for f in fs])), grads=grads, params_after=after,
        ))
        params = after
    return out


def mean_loss(params: Params, X: np.ndarray, Y: np.ndarray, rows: list[int]) -> float:
    return float(np.mean([forward(params, X[i], Y[i], i + 1).loss for i in rows]))


# ---------------------------------------------------------------- the worked solution

@dataclass(frozen=True)
class Note:
    """One printed entry whose last digits differ when recomputed from the rounded inputs."""
    row: int            # 1-based position in the displayed array
    col: int
    value: float        # full precision (what is printed, rounded)
    from_rounded: float


@dataclass(frozen=True, eq=False)
class Shown:
    """A displayed array (2-D, display orientation) with its hand-reproducibility check."""
    value: np.ndarray
    from_rounded: np.ndarray
    differs: np.ndarray          # bool: the printed digits differ from those of `from_rounded`
    given: bool                  # printed unrounded, as the data gives it
    checked: bool                # a computed result (counted), not an operand copied from above
    notes: tuple[Note, ...]

    @property
    def rows(self) -> int:
        return self.value.shape[0]

    @property
    def cols(self) -> int:
        return self.value.shape[1]


FORWARD_NAMES = ("Z1", "A1", "Z2", "P", "losses", "loss")  # what an iteration shows when its update is not worked


@dataclass(frozen=True)
class Worked:
    """Everything one worked iteration prints, in display orientation.

    Under "Wx" samples are columns (one column in sgd mode); under "xW" they are rows.
    """
    index: int
    samples: tuple[int, ...]     # 1-based
    batch: bool                  # more than one sample: per-sample arrays, then means
    given_params: bool           # the parameters are the homework's data (iteration 1)
    X: Shown
    Y: Shown
    W1: Shown
    b1: Shown
    W2: Shown
    b2: Shown
    Z1: Shown
    A1: Shown
    Z2: Shown
    P: Shown
    targets: tuple[int, ...]     # 1-based true class of each sample
    p_target: Shown              # p of the true class, per sample
    p_target_rounds_to_zero: bool  # then the loss is shown as log-sum-exp, since "-log 0" would mislead
    losses: Shown                # per-sample loss
    loss: Shown                  # mean (1 × 1)
    D2: Shown                    # dL/dz2 = p - y (per sample)
    A1T: Shown
    gW2: Shown
    gb2: Shown
    W2T: Shown
    DA1: Shown
    relu_mask: Shown             # 1[z1 > 0]
    D1: Shown
    XT: Shown
    gW1: Shown
    gb1: Shown
    W1_after: Shown
    b1_after: Shown
    W2_after: Shown
    b2_after: Shown
    # what the numbers imply
    inactive_units: tuple[int, ...]   # 1-based hidden units with z1 <= 0 for every sample
    all_inactive: bool
    at_kink: bool                     # some z1 is exactly 0, where ReLU'(0) = 0 decides
    moves: dict[str, bool]            # which parameters the update changes at all
    loss_after: float                 # the same samples' mean loss after this update
    loss_after_lower: bool
    show_update: bool                 # the backward pass and update are worked (needed later, or asked)
    # layout of the displays, from the bmatrix columns each line would hold
    substitute_first: bool            # the first-layer product lines fit with values substituted
    substitute_second: bool
    bias_break_first: bool            # "+ b_1" goes on its own line
    bias_break_second: bool
    split: bool                       # results go on their own line (the product lines are too wide)
    update_lines: dict[str, int]      # lines for "W - eta g = W'": 1, 2 (result apart) or 3 (g apart too)

    @property
    def printed_results(self) -> tuple[Shown, ...]:
        """The computed arrays this iteration prints (the forward pass only when the update is not worked)."""
        names = [name for name in self.__dataclass_fields__ if isinstance(getattr(self, name), Shown)]
        if not self.show_update:
            names = [name for name in names if name in FORWARD_NAMES]
        return tuple(s for s in (getattr(self, name) for name in names) if s.checked)


def _shown(value: np.ndarray, from_rounded: np.ndarray | None, decimals: int, display: Callable, given: bool = False) -> Shown:
    value = display(np.atleast_2d(np.asarray(value, dtype=float)))
    if from_rounded is None:
        return Shown(value=value, from_rounded=value, differs=np.zeros(value.shape, bool),
                     given=given, checked=False, notes=())
    from_rounded = display(np.atleast_2d(np.asarray(from_rounded, dtype=float)))
    differs = rounded(value, decimals) != rounded(from_rounded, decimals)
    notes = tuple(Note(row=int(i) + 1, col=int(j) + 1, value=float(value[i, j]), from_rounded=float(from_rounded[i, j]))
                  for i, j in zip(*np.nonzero(differs)))
    return Shown(value=value, from_rounded=from_rounded, differs=differs, given=False, checked=True, notes=notes)


def work(it: Iteration, layout: str, lr: float, decimals: int, given_params: bool, show_update: bool) -> Worked:
    """One iteration as the PDF shows it: stacked per-sample columns, each step checked by hand."""
    P_ = it.params
    B = len(it.forwards)
    col = lambda name: np.column_stack([getattr(f, name) for f in it.forwards])  # noqa: E731
    gcol = lambda name: np.column_stack([getattr(g, name) for g in it.per_sample_grads])  # noqa: E731
    X, Y, Z1, A1, Z2, P = (col(n) for n in ("x", "y", "z1", "a1", "z2", "p"))
    D2, DA1, D1 = gcol("dz2"), gcol("da1"), gcol("dz1")
    losses = np.array([[f.loss for f in it.forwards]])
    R = lambda a: rounded(a, decimals)  # noqa: E731
    Rp = (lambda a: np.asarray(a, float)) if given_params else R  # parameters printed as given in iteration 1
    W1, b1, W2, b2 = Rp(P_.W1), Rp(P_.b1)[:, None], Rp(P_.W2), Rp(P_.b2)[:, None]
    targets = tuple(int(np.argmax(f.y)) + 1 for f in it.forwards)
    pick = (np.array(targets) - 1, np.arange(B))
    mask = (Z1 > 0).astype(float)

    # each step recomputed from the rounded values printed just above it
    Z1_r = W1 @ X + b1
    A1_r = np.maximum(R(Z1), 0.0)
    Z2_r = W2 @ R(A1) + b2
    P_r = softmax(R(Z2))
    p_t = R(P)[pick]
    lse = np.log(np.exp(R(Z2) - R(Z2).max(axis=0)).sum(axis=0)) + R(Z2).max(axis=0) - R(Z2)[pick]
    losses_r = np.where(p_t > 0, -np.log(np.where(p_t > 0, p_t, 1.0)), lse)[None, :]
    loss_r = np.mean(R(losses))
    D2_r = R(P) - Y
    gW2_r = R(D2) @ R(A1).T / B
    gb2_r = R(D2).mean(axis=1)
    DA1_r = W2.T @ R(D2)
    D1_r = R(DA1) * mask
    gW1_r = R(D1) @ X.T / B
    gb1_r = R(D1).mean(axis=1)
    g = it.grads

    display = (lambda a: a) if layout == "Wx" else (lambda a: a.T)
    S = lambda value, from_rounded=None, given=False: _shown(value, from_rounded, decimals, display, given)  # noqa: E731
    a = it.params_after
    inactive = tuple(int(u) + 1 for u in np.nonzero(np.all(Z1 <= 0, axis=1))[0])
    h = P_.W1.shape[0]
    loss_after = mean_loss(a, X.T, Y.T, list(range(B)))
    worked = Worked(
        index=it.index, samples=tuple(f.sample for f in it.forwards), batch=B > 1, given_params=given_params,
        X=S(X, given=True), Y=S(Y, given=True),
        W1=S(P_.W1, given=given_params), b1=S(P_.b1[:, None], given=given_params),
        W2=S(P_.W2, given=given_params), b2=S(P_.b2[:, None], given=given_params),
        Z1=S(Z1, Z1_r), A1=S(A1, A1_r), Z2=S(Z2, Z2_r), P=S(P, P_r),
        targets=targets, p_target=S(P[pick][None, :]), p_target_rounds_to_zero=bool(np.any(p_t == 0)),
        losses=S(losses, losses_r), loss=S(np.array([[it.loss]]), np.array([[loss_r]]) if B > 1 else None),
        D2=S(D2, D2_r), A1T=S(A1.T), gW2=S(g.W2, gW2_r), gb2=S(g.b2[:, None], gb2_r[:, None] if B > 1 else None),
        W2T=S(P_.W2.T, given=given_params), DA1=S(DA1, DA1_r), relu_mask=S(mask), D1=S(D1, D1_r),
        XT=S(X.T, given=True), gW1=S(g.W1, gW1_r), gb1=S(g.b1[:, None], gb1_r[:, None] if B > 1 else None),
        W1_after=S(a.W1, Rp(P_.W1) - lr * R(g.W1)), b1_after=S(a.b1[:, None], Rp(P_.b1)[:, None] - lr * R(g.b1)[:, None]),
        W2_after=S(a.W2, Rp(P_.W2) - lr * R(g.W2)), b2_after=S(a.b2[:, None], Rp(P_.b2)[:, None] - lr * R(g.b2)[:, None]),
        inactive_units=inactive, all_inactive=len(inactive) == h, at_kink=bool(np.any(Z1 == 0)),
        moves={name: bool(np.any(getattr(g, name) != 0)) for name in ("W1", "b1", "W2", "b2")},
        loss_after=loss_after, loss_after_lower=loss_after < it.loss, show_update=show_update,
        substitute_first=True, substitute_second=True, bias_break_first=False, bias_break_second=False,
        split=False, update_lines={},
    )
    w = worked
    largest = max(float(np.abs(s.value).max()) for s in (w.X, w.W1, w.b1, w.W2, w.b2, w.Z1, w.Z2, w.DA1, w.gW1, w.gW2))
    columns = line_columns(max(decimals, data_decimals(X, it.params.W1, it.params.W2)) if given_params
                           else max(decimals, data_decimals(X)), largest)
    # bmatrix columns of each product line: (operands, result)
    first = (((w.W1, w.X), w.Z1), ((w.D1, w.XT), w.gW1), ((w.DA1, w.relu_mask), w.D1))
    second = (((w.W2, w.A1), w.Z2), ((w.D2, w.A1T), w.gW2), ((w.W2T, w.D2), w.DA1), ((w.P, w.Y), w.D2))
    cols = lambda ops: sum(s.cols for s in ops)  # noqa: E731
    fits = lambda lines: max(cols(ops) for ops, _ in lines) <= columns  # noqa: E731
    split = max(cols(ops) + res.cols for ops, res in first + second) + w.b1.cols > columns
    update_lines = {
        name: 1 if 3 * theta.cols <= columns else 2 if 2 * theta.cols + 1 <= columns else 3
        for name, theta in (("W1", w.W1), ("b1", w.b1), ("W2", w.W2), ("b2", w.b2))
    }
    return dataclasses.replace(
        worked, substitute_first=fits(first), substitute_second=fits(second),
        bias_break_first=cols((w.W1, w.X, w.b1)) > columns,
        bias_break_second=cols((w.W2, w.A1, w.b2)) > columns,
        split=split, update_lines=update_lines,
    )


# ---------------------------------------------------------------- the symbolic derivation

@dataclass(frozen=True)
class Derivation:
    """d/dz2 of -sum_c y_c log softmax(z2)_c, by SymPy, for `classes` classes."""
    classes: int
    general: bool                 # the configuration has more classes than written out
    loss: sympy.Expr              # -sum y_c log p_c with p_c = softmax
    loss_expanded: sympy.Expr     # log of the quotient expanded
    derivative: sympy.Expr        # dL/dz_{2,1} of the expanded form, as SymPy gives it
    softmax_1: sympy.Expr         # p_1 written out
    one_hot: sympy.Expr           # the derivative with sum_c y_c = 1
    result: sympy.Expr            # p_1 - y_1 (SymPy's own form if it does not simplify to that)
    verified: bool                # expanding changed nothing, and dL/dz_{2,j} = p_j - y_j for every j


@functools.lru_cache(maxsize=None)  # pure in k, and SymPy's simplify is slow
def derive(k: int) -> Derivation:
    K = min(k, MAX_DERIVATION_CLASSES)
    z = [sympy.Symbol(f"z_{{2,{c}}}", real=True) for c in range(1, K + 1)]
    y = [sympy.Symbol(f"y_{c}", nonnegative=True) for c in range(1, K + 1)]
    p = [sympy.Symbol(f"p_{c}", positive=True) for c in range(1, K + 1)]
    S = sum(sympy.exp(zc) for zc in z)
    loss = -sum(yc * sympy.log(sympy.exp(zc) / S) for yc, zc in zip(y, z))
    loss_expanded = sympy.collect(sympy.expand(sympy.expand_log(loss, force=True)), sympy.log(S))
    derivative = sympy.diff(loss_expanded, z[0])
    one_hot = derivative.subs(sum(y), 1)
    softmax_1 = sympy.exp(z[0]) / S
    verified = (
        all(sympy.simplify(sympy.diff(loss - loss_expanded, zc)) == 0 for zc in z)
        and all(sympy.simplify(sympy.diff(loss, z[j]).subs(y[-1], 1 - sum(y[:-1]))
                               - (sympy.exp(z[j]) / S - y[j]).subs(y[-1], 1 - sum(y[:-1]))) == 0 for j in range(K))
    )
    result = (p[0] - y[0]) if sympy.simplify(one_hot - (softmax_1 - y[0])) == 0 else one_hot
    return Derivation(
        classes=K, general=k > K, loss=loss, loss_expanded=loss_expanded, derivative=derivative,
        softmax_1=softmax_1, one_hot=one_hot, result=result, verified=verified,
    )


# ---------------------------------------------------------------- verification and other readings

@dataclass(frozen=True)
class GradCheck:
    """Analytic gradient vs central finite differences at one iteration's parameters."""
    index: int
    rel_error: dict[str, float]   # per parameter: ||analytic - fd|| / max(||analytic||, ||fd||)
    max_rel_error: float
    max_abs_error: float
    kink_distance: float          # min |z1| over the samples: FD straddles the ReLU kink if < step
    decades: dict[str, int | None]  # rel_error < 10^decade, None when exactly 0
    near_kink: bool
    step: float = FD_STEP


def numeric_grads(params: Params, X: np.ndarray, Y: np.ndarray, rows: list[int], h: float = FD_STEP) -> dict[str, np.ndarray]:
    out = {}
    for name in ("W1", "b1", "W2", "b2"):
        theta = getattr(params, name)
        grad = np.zeros_like(theta)
        for idx in np.ndindex(theta.shape):
            loss = []
            for sign in (1, -1):
                moved = theta.copy()
                moved[idx] += sign * h
                loss.append(mean_loss(Params(**{**params.__dict__, name: moved}), X, Y, rows))
            grad[idx] = (loss[0] - loss[1]) / (2 * h)
        out[name] = grad
    return out


def decade(x: float) -> int | None:
    """The smallest integer e with x < 10^e (None for an exact 0), for stating tiny errors."""
    return None if x == 0 else int(np.floor(np.log10(x))) + 1


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return float(np.linalg.norm(a - b) / scale) if scale > 0 else 0.0


def grad_check(it: Iteration, X: np.ndarray, Y: np.ndarray) -> GradCheck:
    rows = [f.sample - 1 for f in it.forwards]
    fd = numeric_grads(it.params, X, Y, rows)
    rel = {name: relative_error(getattr(it.grads, name), fd[name]) for name in fd}
    return GradCheck(
        index=it.index, rel_error=rel, max_rel_error=max(rel.values()),
        max_abs_error=max(float(np.abs(getattr(it.grads, n) - fd[n]).max()) for n in fd),
        kink_distance=(kink := float(min(np.abs(f.z1).min() for f in it.forwards))),
        decades={name: decade(e) for name, e in rel.items()}, near_kink=kink <= FD_STEP,
    )


@dataclass(frozen=True)
class Reading:
    """The three asked answers under one reading of the question (mode, layout)."""
    mode: str
    layout: str
    configured: bool
    applicable: bool              # the given matrices have the shapes this layout needs
    loss1: float | None
    loss2: float | None
    W1: np.ndarray | None         # after one update, in that reading's orientation
    b1: np.ndarray | None
    W2: np.ndarray | None
    b2: np.ndarray | None


def reading(cfg: Config, mode: str, layout: str) -> Reading:
    q = cfg.q3
    params = params_for(q.W1, q.b1, q.W2, q.b2, layout)
    (n, k), h = (q.X.shape[1], q.Y.shape[1]), q.b1.shape[0]
    ok = params.W1.shape == (h, n) and params.W2.shape == (k, h)
    configured = (mode, layout) == (q.mode, q.layout)
    if not ok:
        return Reading(mode, layout, configured, False, None, None, None, None, None, None)
    its = train(params, q.X, q.Y, mode, q.learning_rate, 2)
    a = its[0].params_after
    return Reading(mode, layout, configured, True, its[0].loss, its[1].loss,
                   oriented(a.W1, layout), a.b1, oriented(a.W2, layout), a.b2)


@dataclass(frozen=True)
class Checks:
    """Counts for the verification appendix."""
    printed: int           # computed numbers printed and recomputed from their rounded inputs
    differing: int         # of which the last digits differ


# ---------------------------------------------------------------- the result

@dataclass(frozen=True)
class Result:
    mode: str
    layout: str
    learning_rate: float
    decimals: int
    m: int                              # training samples
    n: int                              # inputs
    h: int                              # hidden units
    k: int                              # classes
    iterations: tuple[Iteration, ...]
    worked: tuple[Worked, ...]
    derivation: Derivation
    grad_checks: tuple[GradCheck, ...]
    max_rel_error: float
    max_rel_decade: int | None          # max_rel_error < 10^max_rel_decade
    near_kink: bool                     # some check straddles the ReLU kink (differences unreliable there)
    readings: tuple[Reading, ...]
    checks: Checks
    statement_split: bool               # the restated question puts each bias below its matrix
    readings_split: bool                # the readings table puts W2, b2 below W1, b1
    curve: np.ndarray                   # loss at iteration 1..curve_iterations (before its update)
    curve_full: np.ndarray              # mean loss over all m samples at the same parameters


def loss_curve(params: Params, X: np.ndarray, Y: np.ndarray, mode: str, lr: float, iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised over samples (columns) so long curves stay fast."""
    Xc, Yc = X.T, Y.T
    curve, full = np.empty(iterations), np.empty(iterations)
    W1, b1, W2, b2 = params.W1, params.b1[:, None], params.W2, params.b2[:, None]
    for i in range(iterations):
        Z1 = W1 @ Xc + b1
        A1 = np.maximum(Z1, 0.0)
        Z2 = W2 @ A1 + b2
        shifted = Z2 - Z2.max(axis=0)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=0))
        per = -(Yc * log_p).sum(axis=0)
        cols = samples_for(i + 1, mode, X.shape[0])
        curve[i], full[i] = per[cols].mean(), per.mean()
        D2 = (np.exp(log_p) - Yc)[:, cols]
        D1 = (W2.T @ D2) * (Z1[:, cols] > 0)
        B = len(cols)
        W2, b2 = W2 - lr * D2 @ A1[:, cols].T / B, b2 - lr * D2.mean(axis=1, keepdims=True)
        W1, b1 = W1 - lr * D1 @ Xc[:, cols].T / B, b1 - lr * D1.mean(axis=1, keepdims=True)
    return curve, full


def solve(cfg: Config) -> Result:
    q = cfg.q3
    d = cfg.report.decimals
    iterations = train(initial_params(cfg), q.X, q.Y, q.mode, q.learning_rate, q.iterations)
    last = len(iterations)
    worked = tuple(
        work(it, q.layout, q.learning_rate, d, given_params=it.index == 1,
             show_update=it.index < last or it.index == 1)
        for it in iterations
    )
    counted = [s for w in worked for s in w.printed_results]
    checks = Checks(printed=sum(s.value.size for s in counted), differing=sum(int(s.differs.sum()) for s in counted))
    grad_checks = tuple(grad_check(it, q.X, q.Y) for it in iterations)
    curve, full = loss_curve(initial_params(cfg), q.X, q.Y, q.mode, q.learning_rate, q.curve_iterations)
    (m, n), k, h = q.X.shape, q.Y.shape[1], q.b1.shape[0]
    return Result(
        mode=q.mode, layout=q.layout, learning_rate=q.learning_rate, decimals=d, m=m, n=n, h=h, k=k,
        iterations=tuple(iterations), worked=worked, derivation=derive(k),
        grad_checks=grad_checks, max_rel_error=(worst := max(c.max_rel_error for c in grad_checks)),
        max_rel_decade=decade(worst), near_kink=any(c.near_kink for c in grad_checks),
        readings=tuple(reading(cfg, mode, layout) for mode, layout in READINGS),
        checks=checks, curve=curve, curve_full=full,
        statement_split=max(q.W1.shape[1] + h, q.W2.shape[1] + k) > line_columns(data_decimals(q.W1, q.W2, q.b1, q.b2)),
        readings_split=max(n, h) + max(h, k) + 2 > line_columns(d),
    )


def answers(result: Result) -> dict[str, Any]:
    L = result.layout

    def params(p: Params | Grads) -> dict[str, Any]:
        return {"W1": oriented(p.W1, L).tolist(), "b1": p.b1.tolist(), "W2": oriented(p.W2, L).tolist(),
                "b2": p.b2.tolist()}

    return {
        "mode": result.mode,
        "layout": L,
        "learning_rate": result.learning_rate,
        "iterations": [
            {
                "index": it.index,
                "samples": [f.sample for f in it.forwards],
                "loss": it.loss,
                "forward": [
                    {"sample": f.sample, "z1": f.z1.tolist(), "a1": f.a1.tolist(), "z2": f.z2.tolist(),
                     "p": f.p.tolist(), "loss": f.loss}
                    for f in it.forwards
                ],
                "grads": params(it.grads),
                "params_after": params(it.params_after),
            }
            for it in result.iterations
        ],
    }
