"""Question 2: the backward pass of the mean Huber loss.

The derivation is symbolic (SymPy, on the homework's Piecewise definition of
J^(i) as a function of the residual r = z - z_hat); the worked example is numeric
(NumPy, on the configured z, z_hat and delta).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from solver.engine import store
from solver.layout import ROWS_PER_TABLE, line_characters, printed_width, table_size
from solver.rounding import printed_equal, rounded

if TYPE_CHECKING:
    import sympy

    from solver.schema import Report

    from .inputs import Inputs

MAX_SUM_TERMS = 6    # J = (1/N)(J1 + ... + JN) written out term by term up to this N
# The figure plots residuals in [-span, span], span = 1.15 max|r| kept within these multiples of
# delta so that the kinks stay visible; samples beyond it are drawn on the edge.
PLOT_SPAN_MIN, PLOT_SPAN_MAX = 3.0, 8.0


# ---------------------------------------------------------------- numeric

def huber(r: np.ndarray, delta: float) -> np.ndarray:
    """J^(i) as a function of the residual r."""
    a = np.abs(r)
    return np.where(a <= delta, 0.5 * r**2, delta * a - 0.5 * delta**2)


def huber_grad(r: np.ndarray, delta: float) -> np.ndarray:
    """dJ^(i)/dr = r for |r| <= delta, delta sign(r) otherwise, i.e. clip(r, -delta, delta)."""
    return np.clip(r, -delta, delta)


# ---------------------------------------------------------------- symbolic

@dataclass(frozen=True)
class BranchPoint:
    """One-sided limits (left, right) of J^(i) and its first two derivatives at r = at."""
    at: sympy.Expr
    sides: tuple[str, str]          # the branch that holds just left and just right of `at`
    J: tuple[sympy.Expr, sympy.Expr]
    dJ: tuple[sympy.Expr, sympy.Expr]
    d2J: tuple[sympy.Expr, sympy.Expr]
    d2J_jump: sympy.Expr            # right minus left


@dataclass(frozen=True)
class Derivation:
    r: sympy.Symbol
    delta: sympy.Symbol
    J_i: sympy.Piecewise            # the homework's definition, in r
    dJi_dr: sympy.Expr              # SymPy's derivative of J_i
    boxed: sympy.Piecewise          # the form the solution boxes (times N)
    dJ_dz: sympy.Piecewise          # the boxed answer dJ/dz^(i) in z^(i), z_hat^(i), delta and N (the summary's form)
    dJ_dz_is_boxed_over_N: bool     # it is the boxed form at r = z^(i) - z_hat^(i), divided by N
    dJi_dr_is_boxed: bool           # SymPy's derivative is the boxed form, branch by branch
    dJi_dz_is_dJi_dr: bool          # differentiating J_i(z - z_hat) in z gives dJi_dr: dr/dz = 1
    dJi_dz_hat_is_negative: bool    # ... and in z_hat its negative: dr/dz_hat = -1
    branch_points: tuple[BranchPoint, BranchPoint]
    J_at_delta: tuple[float, ...]   # J^(i) at r = delta (from the left), as coefficients of a polynomial in
    dJ_at_delta: tuple[float, ...]  # delta (numpy.polyval), and dJ^(i)/dr: evaluated without SymPy
    J_continuous: bool
    dJ_continuous: bool
    d2J_jumps: bool


BRANCHES = ("quadratic", "linear")  # the order of the pieces in the homework's definition


def _one_sided(expr: sympy.Piecewise, r: sympy.Symbol, at: sympy.Expr, side: int,
               probe: sympy.Expr) -> tuple[str, sympy.Expr]:
    """The branch that holds just left (side -1) or right (+1) of r = at, and the
    limit of the Piecewise `expr` from that side.

    sympy.limit cannot decide conditions that involve a symbolic delta and, with a
    numeric delta, returns the value *at* the point for the second derivative
    (1 on both sides of delta).  So pick the piece active at the probe
    at + side*probe, which lies before any other break point, and take that
    piece's limit.
    """
    import sympy

    for branch, (piece, condition) in zip(BRANCHES, expr.args):
        if condition.subs(r, at + side * probe) == sympy.true:
            return branch, sympy.limit(piece, r, at, "-" if side < 0 else "+")
    raise ValueError(f"no piece of {expr} holds just {'left' if side < 0 else 'right'} of {at}")


def _same(a: sympy.Expr, b: sympy.Expr) -> bool:
    """a == b, for polynomials in the symbols or for Piecewise (folded: c * Piecewise is one)
    whose branches agree one by one: the same relation however written, and pieces whose
    difference expands to 0.  Sufficient for a == b, and milliseconds where sympy.simplify took
    most of a second on a first build."""
    import sympy

    a, b = sympy.piecewise_fold(a), sympy.piecewise_fold(b)
    if not isinstance(a, sympy.Piecewise) or not isinstance(b, sympy.Piecewise):
        return sympy.expand(a - b) == 0
    return len(a.args) == len(b.args) and all(
        _condition(ca) == _condition(cb) and sympy.expand(ea - eb) == 0 for (ea, ca), (eb, cb) in zip(a.args, b.args))


def _condition(c: sympy.Basic) -> sympy.Basic:
    """One form for a relation however written: |r| <= delta as delta >= |r|, evaluated."""
    import sympy

    return c.doit().canonical if isinstance(c, sympy.core.relational.Relational) else c


@functools.cache
def derive() -> Derivation:
    import sympy  # inside: importing the module (to decode a cached result) does not import SymPy

    r = sympy.Symbol("r", real=True)
    delta = sympy.Symbol("delta", positive=True)
    z, z_hat = sympy.symbols("z z_hat", real=True)
    half = sympy.Rational(1, 2)
    J_i = sympy.Piecewise((half * r**2, sympy.Abs(r) <= delta), (delta * sympy.Abs(r) - half * delta**2, True))
    dJi_dr = sympy.diff(J_i, r)
    d2Ji_dr2 = sympy.diff(dJi_dr, r)
    boxed = sympy.Piecewise((r, sympy.Abs(r) <= delta), (delta * sympy.sign(r), True))
    z_i, z_hat_i = sympy.Symbol("z^{(i)}", real=True), sympy.Symbol(r"\hat{z}^{(i)}", real=True)
    N = sympy.Symbol("N", positive=True, integer=True)
    residual = z_i - z_hat_i
    within = sympy.Le(sympy.Abs(residual, evaluate=False), delta, evaluate=False)  # as written: |z - z_hat| <= delta
    answer = sympy.Piecewise((residual / N, within), (delta * sympy.sign(residual) / N, True), evaluate=False)

    J_z = J_i.subs(r, z - z_hat)
    dJ_dz, dJ_dz_hat = sympy.diff(J_z, z), sympy.diff(J_z, z_hat)

    # The other break points (r = 0 for sign, the opposite branch point) are at
    # least delta away, so a probe delta/2 to one side sees the piece that holds there.
    points = []
    for at in (-delta, delta):
        limits = {name: [_one_sided(e, r, at, side, delta / 2) for side in (-1, 1)]
                  for name, e in (("J", J_i), ("dJ", dJi_dr), ("d2J", d2Ji_dr2))}
        sides = {tuple(branch for branch, _ in pair) for pair in limits.values()}
        assert len(sides) == 1, f"the derivatives' pieces do not follow J's at r = {at}: {sides}"
        J, dJ, d2J = (tuple(limit for _, limit in limits[name]) for name in ("J", "dJ", "d2J"))
        points.append(BranchPoint(at=at, sides=sides.pop(), J=J, dJ=dJ, d2J=d2J,
                                  d2J_jump=sympy.expand(d2J[1] - d2J[0])))

    return Derivation(
        r=r, delta=delta, J_i=J_i, dJi_dr=dJi_dr, boxed=boxed, dJ_dz=answer,
        dJ_dz_is_boxed_over_N=_same(answer, boxed.subs(r, residual) / N),
        dJi_dr_is_boxed=_same(dJi_dr, boxed),
        dJi_dz_is_dJi_dr=_same(dJ_dz, dJi_dr.subs(r, z - z_hat)),
        dJi_dz_hat_is_negative=_same(dJ_dz, -dJ_dz_hat),
        branch_points=tuple(points),
        J_at_delta=tuple(float(c) for c in sympy.Poly(points[1].J[0], delta).all_coeffs()),
        dJ_at_delta=tuple(float(c) for c in sympy.Poly(points[1].dJ[0], delta).all_coeffs()),
        J_continuous=all(_same(*p.J) for p in points),
        dJ_continuous=all(_same(*p.dJ) for p in points),
        d2J_jumps=all(p.d2J_jump != 0 for p in points),
    )


# ---------------------------------------------------------------- the worked example

@dataclass(frozen=True)
class Row:
    i: int               # 1-based, as the homework counts
    z: float
    z_hat: float
    r: float
    branch: str          # "quadratic" (|r| <= delta) or "linear"
    J_i: float
    dJi_dz: float        # dJ^(i)/dz^(i), before the 1/N
    dJ_dz: float


@dataclass(frozen=True)
class Outlier:
    """The sample with the largest |r|: Huber's gradient against squared error's."""
    i: int
    r: float
    linear: bool
    dJi_dz: float        # Huber: delta sign(r) when linear
    squared_dJi_dz: float  # (1/2) r^2 would give r


@dataclass(frozen=True)
class Result:
    delta: float
    z: np.ndarray
    z_hat: np.ndarray
    N: int
    residual: np.ndarray      # r = z - z_hat
    quadratic: np.ndarray     # bool: |r| <= delta
    branch: tuple[str, ...]
    J_i: np.ndarray           # per-sample loss J^(i)
    J: float                  # mean loss
    dJi_dz: np.ndarray        # dJ^(i)/dz^(i) = clip(r, -delta, delta)
    dJ_dz: np.ndarray         # backward output, dJi_dz / N
    dJ_dz_hat: np.ndarray     # -dJ_dz
    rows: tuple[Row, ...]     # one per sample
    tables: tuple[tuple[Row, ...], ...]  # the rows in page-sized tables
    sum_written_out: bool     # N small enough to write J's sum term by term
    gradient_as_column: bool  # dJ/dz is too wide for one line as a row vector
    table_size: str           # the type size at which the worked example's table fits the line
    J_by_hand: float          # the mean of the printed (rounded) J^(i)
    J_by_hand_differs: bool   # ... prints differently from J: the sum says so in place
    outlier: Outlier
    J_at_branch: float        # J^(i) at |r| = delta, delta^2/2
    dJ_at_branch: float       # |dJ^(i)/dr| at |r| = delta, delta
    derivation: Derivation
    plot_span: float          # the figure shows residuals in [-plot_span, plot_span]
    beyond_plot: np.ndarray   # bool: |r| > plot_span, drawn as a triangle on the figure's edge
    has_sample_inside_plot: bool
    has_sample_beyond_plot: bool


def q2_table_characters(z: np.ndarray, z_hat: np.ndarray, computed: tuple[np.ndarray, ...], decimals: int) -> float:
    """Digit widths of a row of Question 2's worked-example table: i, z and z_hat (as given), the computed
    columns at `decimals` places, the branch name and the gaps."""
    def width(a: np.ndarray) -> int:  # as given; "1.19209e-07" prints as 1.19209 × 10^-7
        return max(len(repr(float(x))) + (4 if "e" in repr(float(x)) else 0) for x in a) if a.size else 1
    return 3 + width(z) + width(z_hat) + sum(printed_width(c, decimals) for c in computed) + 10 + 30


def solve(q: Inputs, report: Report) -> Result:
    delta, z, z_hat = q.delta, q.z, q.z_hat
    r = z - z_hat
    N = r.size
    quadratic = np.abs(r) <= delta
    branch = tuple("quadratic" if q else "linear" for q in quadratic)
    J_i = huber(r, delta)
    dJi_dz = huber_grad(r, delta)
    dJ_dz = dJi_dz / N
    rows = tuple(
        Row(i=k + 1, z=float(z[k]), z_hat=float(z_hat[k]), r=float(r[k]), branch=branch[k],
            J_i=float(J_i[k]), dJi_dz=float(dJi_dz[k]), dJ_dz=float(dJ_dz[k]))
        for k in range(N)
    )
    k = int(np.argmax(np.abs(r)))
    outlier = Outlier(i=k + 1, r=float(r[k]), linear=not quadratic[k],
                      dJi_dz=float(dJi_dz[k]), squared_dJi_dz=float(r[k]))

    span = delta * float(np.clip(1.15 * np.abs(r).max() / delta, PLOT_SPAN_MIN, PLOT_SPAN_MAX))
    beyond = np.abs(r) > span

    decimals = report.decimals
    J_by_hand = float(np.mean(rounded(J_i, decimals, 1)))   # the terms as the sum prints them: one number each

    # Config-independent: once per user cache; only typeset (its expressions stay encoded, so a
    # build that finds it cached imports no SymPy) but for the polynomials evaluated below.
    derivation = store.memo("q2.derivation", derive, lazy=True)
    return Result(
        delta=delta, z=z, z_hat=z_hat, N=N, residual=r, quadratic=quadratic, branch=branch,
        J_i=J_i, J=float(J_i.mean()), dJi_dz=dJi_dz, dJ_dz=dJ_dz, dJ_dz_hat=-dJ_dz,
        rows=rows, tables=tuple(rows[k:k + ROWS_PER_TABLE] for k in range(0, N, ROWS_PER_TABLE)),
        sum_written_out=N <= MAX_SUM_TERMS and N * (printed_width(J_i, decimals) + 3) <= line_characters(),
        gradient_as_column=N * (printed_width(dJ_dz, decimals) + 2) > line_characters(),
        table_size=table_size(q2_table_characters(z, z_hat, (r, J_i, dJi_dz, dJ_dz), decimals)),
        outlier=outlier,
        J_by_hand=J_by_hand, J_by_hand_differs=not printed_equal(J_by_hand, float(J_i.mean()), decimals),
        J_at_branch=float(np.polyval(derivation.J_at_delta, delta)),
        dJ_at_branch=float(np.polyval(derivation.dJ_at_delta, delta)),
        derivation=derivation,
        plot_span=span, beyond_plot=beyond,
        has_sample_inside_plot=bool((~beyond).any()), has_sample_beyond_plot=bool(beyond.any()),
    )


def answers(result: Result) -> dict[str, Any]:
    return {
        "delta": result.delta,
        "example": {
            "z": result.z.tolist(),
            "z_hat": result.z_hat.tolist(),
            "residual": result.residual.tolist(),
            "branch": list(result.branch),
            "J": result.J,
            "dJ_dz": result.dJ_dz.tolist(),
        },
    }
