"""Question 1: the gradient of the L2 loss on logistic regression, and why not to use it.

(a) sympy differentiates both losses and checks the boxed chain-rule forms
    against its own derivatives.
(b) Four arguments, each backed by numbers computed here: the vanishing
    gradient of a saturated sigmoid, the non-convexity of L2, gradient descent
    on a seeded 1-D dataset, and the likelihood each loss assumes.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np
import sympy
from sympy import Expr, IndexedBase, Sum, Symbol

from solver.config import Config

Z_SPAN = 10.0      # the saturation curves cover z in [-Z_SPAN, Z_SPAN]
Z_PROBE = -8.0     # a confidently wrong prediction for y = 1
GRID = 121         # landscape resolution per axis


# ---------------------------------------------------------------- numerics

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


def min_hessian_eigenvalue(curvature: Callable, theta0: np.ndarray, theta1: np.ndarray,
                           x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Smallest eigenvalue of (1/m) sum l''(z_i) x_i x_i^T with x_i = (1, x_i), z_i = theta0 + theta1 x_i,
    at every (theta0, theta1) given (broadcast)."""
    c = curvature(theta0[..., None] + theta1[..., None] * x, y)
    a, b, d = c.mean(-1), (c * x).mean(-1), (c * x**2).mean(-1)
    return (a + d) / 2 - np.sqrt(((a - d) / 2) ** 2 + b**2)


# ---------------------------------------------------------------- (a): sympy

# Per-sample display symbols, printed as the homework writes them.
h_i, y_i, x_ij, z_i = Symbol("h^{(i)}"), Symbol("y^{(i)}"), Symbol("x^{(i)}_{j}"), Symbol("z^{(i)}")
i, k = sympy.symbols("i k", integer=True)
j = Symbol("j", integer=True, nonnegative=True)
m, n = sympy.symbols("m n", integer=True, positive=True)
theta, x, y, z = IndexedBase("theta"), IndexedBase("x"), IndexedBase("y"), IndexedBase("z")


def g(t: Expr) -> Expr:
    return 1 / (1 + sympy.exp(-t))


def L2_of(h: Callable[[Expr], Expr]) -> Expr:
    return Sum((y[i] - h(i)) ** 2, (i, 1, m)) / (2 * m)


def Lbce_of(h: Callable[[Expr], Expr]) -> Expr:
    return -Sum(y[i] * sympy.log(h(i)) + (1 - y[i]) * sympy.log(1 - h(i)), (i, 1, m))


def direct_gradient(loss_of: Callable) -> Expr:
    """sympy's own dL/dtheta_j, with z^(i) = sum_{k=0}^n theta_k x_k^(i) and x_0 = 1 kept general;
    once differentiated, the inner sum is renamed z_i."""
    z_sum = Sum(theta[k] * x[i, k], (k, 0, n))
    d = sympy.diff(loss_of(lambda _: g(z_sum)), theta[j])
    inner = {s: sympy.refine(s.doit(), sympy.Q.le(j, n)) for s in d.atoms(Sum) if s.limits[0][0] == k}
    return d.xreplace(inner).xreplace({z_sum: z[i]})


def on_indexed(display: Expr) -> Expr:
    """A display form (h^(i), y^(i), x_j^(i)) in terms of the indexed symbols of `direct_gradient`."""
    return display.xreplace({h_i: g(z[i]), y_i: y[i], x_ij: x[i, j]})


def same_gradient(a: Expr, b: Expr) -> bool:
    """a == b for expressions c * Sum(f, (i, 1, m)): equal summands (after cancelling) suffice,
    since Sum(f) -> f is linear."""
    def summand(e: Expr) -> Expr:
        return e.replace(lambda s: isinstance(s, Sum) and s.limits == ((i, 1, m),), lambda s: s.function)
    return sympy.cancel(summand(a) - summand(b)) == 0


def shown(e: Expr) -> Expr:
    """A derivative c * Sum(...) with the per-sample display symbols, c printed in front of the sum
    (sympy would otherwise put the sum inside a fraction)."""
    e = e.xreplace({x[i, j]: x_ij, y[i]: y_i, z[i]: z_i})
    total = next(a for a in sympy.Mul.make_args(e) if isinstance(a, Sum))
    return sympy.Mul(e / total, total, evaluate=False)


@dataclass(frozen=True)
class Gradient:
    dl_dh: Expr       # d/dh^(i) of the i-th term
    dl_dz: Expr       # times dh/dz = h(1 - h), as typeset
    chain_rule: bool  # dl_dz == dl_dh * h(1 - h)
    boxed: Expr       # the chain-rule form, unevaluated, as typeset
    direct: Expr      # sympy's own derivative of the loss
    matches: bool     # boxed == direct


@dataclass(frozen=True)
class Derivation:
    z_sum: Expr            # sum_k theta_k x_k^(i)
    dz_dtheta_sum: Expr    # sympy's derivative of it, before evaluation
    dz_dtheta: Expr        # x_j^(i)
    g: Expr                # g(z)
    dg_dz: Expr            # sympy's g'(z)
    one_minus_g: Expr      # 1 - g(z) = e^{-z} / (1 + e^{-z})
    g_identity: bool       # g' == g (1 - g)
    l2: Gradient
    bce: Gradient


def derive() -> Derivation:
    t = Symbol("z", real=True)
    xi = IndexedBase("x^{(i)}")
    z_sum = Sum(theta[k] * xi[k], (k, 0, n))
    dz_sum = sympy.diff(z_sum, theta[j])
    dz = sympy.refine(dz_sum.doit(), sympy.Q.le(j, n))

    dg = sympy.diff(g(t), t)
    one_minus_g = sympy.exp(-t) / (1 + sympy.exp(-t))
    g_identity = sympy.cancel(dg - g(t) * one_minus_g) == 0 and sympy.cancel(one_minus_g - (1 - g(t))) == 0

    minus_over_m = sympy.Mul(-1, 1 / m, evaluate=False)
    dh_dz = h_i * (1 - h_i)
    l2_dh = sympy.factor(sympy.diff((y_i - h_i) ** 2 / (2 * m), h_i))
    l2_term = sympy.Mul(sympy.Add(y_i, -h_i, evaluate=False), h_i, sympy.Add(1, -h_i, evaluate=False),
                        evaluate=False)
    l2_dz = sympy.Mul(minus_over_m, l2_term, evaluate=False)
    l2_boxed = sympy.Mul(minus_over_m, Sum(sympy.Mul(l2_term, x_ij, evaluate=False), (i, 1, m)), evaluate=False)
    l2_direct = direct_gradient(L2_of)

    bce_dh = sympy.together(sympy.diff(-(y_i * sympy.log(h_i) + (1 - y_i) * sympy.log(1 - h_i)), h_i))
    bce_boxed = Sum(sympy.Mul(sympy.Add(h_i, -y_i, evaluate=False), x_ij, evaluate=False), (i, 1, m))
    bce_direct = direct_gradient(Lbce_of)

    return Derivation(
        z_sum=z_sum, dz_dtheta_sum=dz_sum, dz_dtheta=dz,
        g=g(t), dg_dz=dg, one_minus_g=one_minus_g, g_identity=bool(g_identity),
        l2=Gradient(
            dl_dh=l2_dh, dl_dz=l2_dz, chain_rule=sympy.cancel(l2_dz - l2_dh * dh_dz) == 0, boxed=l2_boxed,
            direct=shown(l2_direct), matches=same_gradient(on_indexed(l2_boxed), l2_direct),
        ),
        bce=Gradient(
            dl_dh=bce_dh, dl_dz=sympy.cancel(bce_dh * dh_dz), chain_rule=True, boxed=bce_boxed,
            direct=shown(bce_direct), matches=same_gradient(on_indexed(bce_boxed), bce_direct),
        ),
    )


# ---------------------------------------------------------------- (b) 2: curvature in z

@dataclass(frozen=True)
class Curvature:
    """Second derivatives of the per-sample losses with respect to z, written in s = g(z)."""
    s: Symbol
    l2_y1: Expr            # d^2/dz^2 (1/2)(1 - g)^2
    l2_y0: Expr            # d^2/dz^2 (1/2) g^2
    bce: Expr              # the same for BCE, for either label
    bce_is_g_1mg: bool     # bce == g (1 - g), both labels
    g_at_inflection_y1: Expr
    g_at_inflection_y0: Expr
    inflection_z_y1: Expr  # where l2_y1 changes sign (exact)
    inflection_z_y0: Expr


def curvature() -> Curvature:
    s = Symbol("g", positive=True)
    ds_dz = s * (1 - s)    # g' = g(1 - g), derived in (a)

    def second(loss: Expr) -> Expr:
        return sympy.factor(sympy.diff(sympy.diff(loss, s) * ds_dz, s) * ds_dz)

    def sign_change(expr: Expr) -> Expr:
        """The root in (0, 1) of odd multiplicity: where `expr` changes sign."""
        roots = sympy.roots(sympy.Poly(expr, s))
        (root,) = [r for r, multiplicity in roots.items() if 0 < r < 1 and multiplicity % 2 == 1]
        return root

    l2_y1, l2_y0 = second((1 - s) ** 2 / 2), second(s**2 / 2)
    bce_y1, bce_y0 = second(-sympy.log(s)), second(-sympy.log(1 - s))
    s1, s0 = sign_change(l2_y1), sign_change(l2_y0)
    g_1mg = sympy.Mul(s, sympy.Add(1, -s, evaluate=False), evaluate=False)
    return Curvature(
        s=s, l2_y1=l2_y1, l2_y0=l2_y0, bce=g_1mg,
        bce_is_g_1mg=sympy.expand(bce_y1 - ds_dz) == 0 and sympy.expand(bce_y0 - ds_dz) == 0,
        g_at_inflection_y1=s1, g_at_inflection_y0=s0,
        inflection_z_y1=sympy.log(s1 / (1 - s1)), inflection_z_y0=sympy.log(s0 / (1 - s0)),
    )


# ---------------------------------------------------------------- (b) 1: saturation

@dataclass(frozen=True)
class Saturation:
    """Per-sample losses and |d loss / dz| against z = theta^T x, for y = 1."""
    z: np.ndarray
    l2: np.ndarray
    bce: np.ndarray
    l2_slope: np.ndarray      # |d/dz|
    bce_slope: np.ndarray
    z_probe: float
    h_probe: float
    l2_probe: float
    bce_probe: float
    l2_unsure: float          # both losses at z = 0
    bce_unsure: float
    l2_slope_probe: float
    bce_slope_probe: float
    slope_ratio_probe: float  # l2_slope / bce_slope = h(1 - h)
    z_inflection: float       # where the L2 curve changes curvature
    l2_inflection: float      # its value there
    g_prime_max: Expr         # max of g(1 - g) = 1/4
    l2_slope_max: Expr        # max over z of |dl2/dz| for y = 1 = 4/27
    l2_sup: Expr              # sup of the per-sample L2 loss, y = 1
    bce_sup: Expr             # sup of the per-sample BCE, y = 1


def max_on_unit(f: Expr, s: Symbol) -> Expr:
    """The maximum of a polynomial f(s) over [0, 1]: at an end or where f' = 0
    (sympy.maximum would do, at ten times the cost)."""
    critical = [r for r in sympy.roots(sympy.Poly(sympy.diff(f, s), s)) if r.is_real and 0 < r < 1]
    return sympy.Max(*(f.subs(s, point) for point in [0, 1, *critical]))


def saturation(z_inflection: float) -> Saturation:
    zs = np.linspace(-Z_SPAN, Z_SPAN, 801)
    probe = np.array([Z_PROBE])
    s = Symbol("g", positive=True)
    l2_probe_slope, bce_probe_slope = abs(float(l2_slope(probe, 1)[0])), abs(float(bce_slope(probe, 1)[0]))
    return Saturation(
        z=zs, l2=l2_per_sample(zs, 1), bce=bce_per_sample(zs, 1),
        l2_slope=np.abs(l2_slope(zs, 1)), bce_slope=np.abs(bce_slope(zs, 1)),
        z_probe=Z_PROBE, h_probe=float(sigmoid(probe)[0]),
        l2_probe=float(l2_per_sample(probe, 1)[0]), bce_probe=float(bce_per_sample(probe, 1)[0]),
        l2_unsure=float(l2_per_sample(np.zeros(1), 1)[0]), bce_unsure=float(bce_per_sample(np.zeros(1), 1)[0]),
        l2_slope_probe=l2_probe_slope, bce_slope_probe=bce_probe_slope,
        slope_ratio_probe=l2_probe_slope / bce_probe_slope,
        z_inflection=z_inflection, l2_inflection=float(l2_per_sample(np.array([z_inflection]), 1)[0]),
        g_prime_max=max_on_unit(s * (1 - s), s),
        l2_slope_max=max_on_unit(s * (1 - s) ** 2, s),
        # both losses fall as z grows (y = 1), so the supremum is the limit z -> -oo, i.e. g -> 0+
        l2_sup=sympy.limit((1 - s) ** 2 / 2, s, 0, "+"),
        bce_sup=sympy.limit(-sympy.log(s), s, 0, "+"),
    )


# ---------------------------------------------------------------- (b) 4: likelihoods

@dataclass(frozen=True)
class Likelihood:
    bernoulli_nll: Expr       # -log(h^y (1 - h)^(1 - y)), logs expanded
    bernoulli_is_bce: bool
    gaussian_nll: Expr        # -log N(y; h, sigma^2), logs expanded
    gaussian_constant: Expr   # the part that does not depend on h
    gaussian_is_l2: bool      # gaussian_nll - constant == (y - h)^2 / (2 sigma^2)


def likelihood() -> Likelihood:
    h, y1, sigma = Symbol("h"), Symbol("y"), Symbol("sigma", positive=True)
    bernoulli = sympy.expand_log(-sympy.log(h**y1 * (1 - h) ** (1 - y1)), force=True)
    bce = -(y1 * sympy.log(h) + (1 - y1) * sympy.log(1 - h))
    density = sympy.exp(-((y1 - h) ** 2) / (2 * sigma**2)) / sympy.sqrt(2 * sympy.pi * sigma**2)
    gaussian = sympy.expand_log(-sympy.log(density), force=True)
    constant = gaussian.as_independent(h)[0]
    return Likelihood(
        bernoulli_nll=bernoulli, bernoulli_is_bce=sympy.expand(bernoulli - bce) == 0,
        gaussian_nll=gaussian, gaussian_constant=constant,
        gaussian_is_l2=sympy.expand(gaussian - constant - (y1 - h) ** 2 / (2 * sigma**2)) == 0,
    )


# ---------------------------------------------------------------- (b) 2, 3: the 1-D dataset

@dataclass(frozen=True)
class Run:
    """Gradient descent from theta_init; row t is the state after t steps."""
    theta: np.ndarray      # (steps + 1, 2)
    loss: np.ndarray       # the loss being minimised (L2, or L_bce / m)
    relative_loss: np.ndarray  # loss / loss at the start
    accuracy: np.ndarray
    steps_to_target: int | None   # first t with accuracy >= the target, None if never


@dataclass(frozen=True)
class Landscape:
    theta0: np.ndarray     # (G,) grid axis
    theta1: np.ndarray     # (G,)
    l2: np.ndarray         # (G, G): [row = theta1, column = theta0]
    bce: np.ndarray        # L_bce / m
    l2_min_eig: np.ndarray     # smallest Hessian eigenvalue of L2 at each grid point
    bce_min_eig: np.ndarray    # of L_bce / m
    bce_min_eig_min: float     # its minimum over the grid
    nonconvex_fraction: float  # share of the grid where L2's Hessian is indefinite
    l2_worst_theta: np.ndarray # the grid point where L2's smallest eigenvalue is most negative
    l2_worst_eig: float


def dataset(seed: int, samples: int, separation: float) -> tuple[np.ndarray, np.ndarray]:
    """Alternating labels 0, 1, ...; x ~ N(+-separation/2, 1) by label."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(samples) % 2).astype(float)
    return rng.normal(0.0, 1.0, samples) + (labels - 0.5) * separation, labels


def descend(gradient: Callable, loss: Callable, theta_init: np.ndarray, learning_rate: float,
            steps: int, X: np.ndarray, y: np.ndarray) -> Run:
    thetas = [np.array(theta_init, dtype=float)]
    for _ in range(steps):
        thetas.append(thetas[-1] - learning_rate * gradient(thetas[-1], X, y))
    losses = np.array([loss(t, X, y) for t in thetas])
    start = losses[0] if losses[0] > 0 else 1.0   # a start with zero loss (saturated, all right) stays at 0
    return Run(
        theta=np.array(thetas), loss=losses, relative_loss=losses / start,
        accuracy=np.array([accuracy(t, X, y) for t in thetas]), steps_to_target=None,
    )


def reaching(run: Run, target: float) -> Run:
    hits = np.flatnonzero(run.accuracy >= target)
    return replace(run, steps_to_target=int(hits[0]) if hits.size else None)


def landscape(x1: np.ndarray, y1: np.ndarray, points: np.ndarray) -> Landscape:
    """Both losses on a grid around `points` (the initialisation and both paths)."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre, half = (lo + hi) / 2, 0.575 * float((hi - lo).max()) + 0.75   # square: both axes on one scale
    theta0 = np.linspace(centre[0] - half, centre[0] + half, GRID)
    theta1 = np.linspace(centre[1] - half, centre[1] + half, GRID)
    T0, T1 = np.meshgrid(theta0, theta1)
    zs = T0[..., None] + T1[..., None] * x1
    l2_eig = min_hessian_eigenvalue(l2_curvature, T0, T1, x1, y1)
    bce_eig = min_hessian_eigenvalue(bce_curvature, T0, T1, x1, y1)
    worst = np.unravel_index(np.argmin(l2_eig), l2_eig.shape)
    return Landscape(
        theta0=theta0, theta1=theta1,
        l2=l2_per_sample(zs, y1).mean(-1), bce=bce_per_sample(zs, y1).mean(-1),
        l2_min_eig=l2_eig, bce_min_eig=bce_eig, bce_min_eig_min=float(bce_eig.min()),
        nonconvex_fraction=float(np.mean(l2_eig < 0)),
        l2_worst_theta=np.array([T0[worst], T1[worst]]), l2_worst_eig=float(l2_eig[worst]),
    )


# ---------------------------------------------------------------- the result

@dataclass(frozen=True)
class Result:
    derivation: Derivation
    curvature: Curvature
    saturation: Saturation
    likelihood: Likelihood
    seed: int
    separation: float
    x: np.ndarray                  # the 1-D inputs x_1^(i)
    y: np.ndarray                  # labels
    theta_init: np.ndarray
    learning_rate: float
    steps: int
    l2_gradient_init: np.ndarray   # gradient of L2 at theta_init
    bce_gradient_init: np.ndarray  # of L_bce / m
    l2_min_eig_init: float         # smallest Hessian eigenvalues at theta_init
    bce_min_eig_init: float
    target_accuracy: float         # the best accuracy the BCE run reaches
    l2_run: Run
    bce_run: Run
    landscape: Landscape

    @property
    def l2_inflection_z(self) -> Expr:
        return self.curvature.inflection_z_y1

    @property
    def m(self) -> int:
        return len(self.y)

    @property
    def starts_wrong(self) -> bool:
        """theta_init misclassifies most samples: a confident but wrong start."""
        return bool(self.l2_run.accuracy[0] < 0.5)


def solve(cfg: Config) -> Result:
    q = cfg.q1
    x1, y1 = dataset(q.seed, q.samples, q.separation)
    X = np.column_stack([np.ones_like(x1), x1])
    samples = len(y1)

    def bce_mean(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
        return bce_loss(theta, X, y) / samples

    def bce_mean_gradient(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        return bce_gradient(theta, X, y) / samples

    l2_run = descend(l2_gradient, l2_loss, q.theta_init, q.learning_rate, q.steps, X, y1)
    bce_run = descend(bce_mean_gradient, bce_mean, q.theta_init, q.learning_rate, q.steps, X, y1)
    target = float(bce_run.accuracy.max())
    t0, t1 = np.array([q.theta_init[0]]), np.array([q.theta_init[1]])
    bends = curvature()
    return Result(
        derivation=derive(), curvature=bends, saturation=saturation(float(bends.inflection_z_y1)),
        likelihood=likelihood(),
        seed=q.seed, separation=q.separation, x=x1, y=y1,
        theta_init=np.array(q.theta_init, dtype=float), learning_rate=q.learning_rate, steps=q.steps,
        l2_gradient_init=l2_gradient(q.theta_init, X, y1),
        bce_gradient_init=bce_mean_gradient(q.theta_init, X, y1),
        l2_min_eig_init=float(min_hessian_eigenvalue(l2_curvature, t0, t1, x1, y1)[0]),
        bce_min_eig_init=float(min_hessian_eigenvalue(bce_curvature, t0, t1, x1, y1)[0]),
        target_accuracy=target,
        l2_run=reaching(l2_run, target), bce_run=reaching(bce_run, target),
        landscape=landscape(x1, y1, np.vstack([l2_run.theta, bce_run.theta])),
    )


def answers(result: Result) -> dict[str, Any]:
    c, sat = result.curvature, result.saturation

    def run(r: Run) -> dict[str, Any]:
        return {
            "theta_final": r.theta[-1].tolist(), "loss_final": float(r.loss[-1]),
            "accuracy_final": float(r.accuracy[-1]), "steps_to_target": r.steps_to_target,
        }

    return {
        "l2_inflection_z": float(c.inflection_z_y1),
        "l2_inflection_z_y0": float(c.inflection_z_y0),
        "gradient_checks": {
            "sigmoid_derivative": result.derivation.g_identity,
            "l2": result.derivation.l2.matches,
            "bce": result.derivation.bce.matches,
        },
        "sigmoid_derivative_max": float(sat.g_prime_max),
        "l2_slope_max": float(sat.l2_slope_max),
        "probe": {
            "z": sat.z_probe, "h": sat.h_probe,
            "l2_loss": sat.l2_probe, "bce_loss": sat.bce_probe,
            "l2_slope": sat.l2_slope_probe, "bce_slope": sat.bce_slope_probe,
            "slope_ratio": sat.slope_ratio_probe,
        },
        "hessian_min_eigenvalue": {
            "l2_at_init": result.l2_min_eig_init, "bce_at_init": result.bce_min_eig_init,
            "l2_on_grid": result.landscape.l2_worst_eig,
            "l2_on_grid_at": result.landscape.l2_worst_theta.tolist(),
            "bce_on_grid": result.landscape.bce_min_eig_min,
        },
        "dataset": {"seed": result.seed, "separation": result.separation,
                    "x": result.x.tolist(), "y": result.y.astype(int).tolist()},
        "training": {
            "theta_init": result.theta_init.tolist(),
            "learning_rate": result.learning_rate,
            "steps": result.steps,
            "target_accuracy": result.target_accuracy,
            "l2": run(result.l2_run),
            "bce": run(result.bce_run),
        },
    }
