"""(a) dL2/dtheta_j by the chain rule, each factor from sympy, and the result checked against
sympy's own derivative of the loss; the same for L_bce, for contrast."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sympy import Expr

NAMES = ("sympy", "IndexedBase", "Sum", "Symbol", "h_i", "y_i", "x_ij", "z_i", "sample_i", "feature_k", "feature_j",
         "m_samples", "n_features", "theta", "inputs", "labels", "logits")


def _symbols() -> None:
    """The module's SymPy names, made on first use rather than at import: importing this
    module (to decode a cached result) does not import SymPy."""
    if "logits" in globals():
        return
    import sympy
    from sympy import IndexedBase, Sum, Symbol

    # Per-sample display symbols, printed as the homework writes them.
    h_i, y_i, x_ij, z_i = Symbol("h^{(i)}"), Symbol("y^{(i)}"), Symbol("x^{(i)}_{j}"), Symbol("z^{(i)}")

    # Sample i = 1..m; feature k = 0..n, summed over in theta^T x; feature j, the one differentiated.
    sample_i, feature_k = sympy.symbols("i k", integer=True)
    feature_j = Symbol("j", integer=True, nonnegative=True)
    m_samples, n_features = sympy.symbols("m n", integer=True, positive=True)

    # theta_k, x^(i)_k, y^(i), z^(i) as indexed symbols, for sympy's own derivative of a whole loss.
    theta = IndexedBase("theta")
    inputs, labels, logits = IndexedBase("x"), IndexedBase("y"), IndexedBase("z")
    made = locals()
    globals().update({name: made[name] for name in NAMES})


def __getattr__(name: str) -> Any:  # derivation.h_i and friends from outside, made on first use
    if name in NAMES:
        _symbols()
        return globals()[name]
    raise AttributeError(name)


def g_of(z: Expr) -> Expr:
    """The sigmoid g(z) as a sympy expression."""
    _symbols()
    return 1 / (1 + sympy.exp(-z))


def l2_loss_of(h_of_sample: Callable[[Expr], Expr]) -> Expr:
    _symbols()
    i = sample_i
    return Sum((labels[i] - h_of_sample(i)) ** 2, (i, 1, m_samples)) / (2 * m_samples)


def bce_loss_of(h_of_sample: Callable[[Expr], Expr]) -> Expr:
    _symbols()
    i = sample_i
    return -Sum(labels[i] * sympy.log(h_of_sample(i)) + (1 - labels[i]) * sympy.log(1 - h_of_sample(i)),
                (i, 1, m_samples))


def with_j_a_feature(e: Expr) -> Expr:
    """`e` (a Sum over k = 0..n done) given that feature j is one of 0..n: the condition j <= n
    that summing KroneckerDelta(j, k) leaves, taken as true.  What sympy.refine(e, Q.le(j, n))
    gives, without waking SymPy's assumption system (a tenth of a second on a first build)."""
    _symbols()
    return e.xreplace({sympy.Le(feature_j, n_features): sympy.true})


def direct_gradient(loss_of: Callable) -> Expr:
    """sympy's own dL/dtheta_j, with z^(i) = sum_{k=0}^n theta_k x_k^(i) and x_0 = 1 kept general;
    once differentiated, the sums over k it left are done and the inner sum itself is renamed z_i."""
    _symbols()
    i, k = sample_i, feature_k
    z_sum = Sum(theta[k] * inputs[i, k], (k, 0, n_features))
    d = sympy.diff(loss_of(lambda _: g_of(z_sum)), theta[feature_j])
    inner = {s: with_j_a_feature(s.doit()) for s in d.atoms(Sum) if s.limits[0][0] == k and s != z_sum}
    return d.xreplace(inner).xreplace({z_sum: logits[i]})


def on_indexed(display: Expr) -> Expr:
    """A display form (h^(i), y^(i), x_j^(i)) in terms of the indexed symbols of `direct_gradient`."""
    _symbols()
    i = sample_i
    return display.xreplace({h_i: g_of(logits[i]), y_i: labels[i], x_ij: inputs[i, feature_j]})


def same_gradient(a: Expr, b: Expr) -> bool:
    """a == b for expressions c * Sum(f, (i, 1, m)): equal summands suffice, since Sum(f) -> f is
    linear; their difference over one denominator has a numerator that expands to 0 (as cancel
    would decide, at half the cost)."""
    _symbols()
    def summand(e: Expr) -> Expr:
        return e.replace(lambda s: isinstance(s, Sum) and s.limits == ((sample_i, 1, m_samples),),
                         lambda s: s.function)
    return sympy.expand(sympy.fraction(sympy.together(summand(a) - summand(b)))[0]) == 0


def shown(e: Expr) -> Expr:
    """A derivative c * Sum(...) with the per-sample display symbols, c printed in front of the sum
    (sympy would otherwise put the sum inside a fraction)."""
    _symbols()
    i = sample_i
    e = e.xreplace({inputs[i, feature_j]: x_ij, labels[i]: y_i, logits[i]: z_i})
    total = next(a for a in sympy.Mul.make_args(e) if isinstance(a, Sum))
    return sympy.Mul(e / total, total, evaluate=False)


@dataclass(frozen=True)
class Gradient:
    dl_dh: Expr       # d/dh^(i) of the i-th term
    dl_dz: Expr       # times dh/dz = h(1 - h), as typeset
    chain_rule: bool  # L2: dl_dz == dl_dh * h(1 - h); BCE: that product cancels to h - y
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
    _symbols()
    i, k, m = sample_i, feature_k, m_samples
    z = Symbol("z", real=True)
    x_i = IndexedBase("x^{(i)}")
    z_sum = Sum(theta[k] * x_i[k], (k, 0, n_features))
    dz_sum = sympy.diff(z_sum, theta[feature_j])
    dz = with_j_a_feature(dz_sum.doit())

    dg = sympy.diff(g_of(z), z)
    one_minus_g = sympy.exp(-z) / (1 + sympy.exp(-z))
    g_identity = sympy.cancel(dg - g_of(z) * one_minus_g) == 0 and sympy.cancel(one_minus_g - (1 - g_of(z))) == 0

    minus_over_m = sympy.Mul(-1, 1 / m, evaluate=False)
    dh_dz = h_i * (1 - h_i)
    l2_dh = sympy.factor(sympy.diff((y_i - h_i) ** 2 / (2 * m), h_i))
    l2_term = sympy.Mul(sympy.Add(y_i, -h_i, evaluate=False), h_i, sympy.Add(1, -h_i, evaluate=False),
                        evaluate=False)
    l2_dz = sympy.Mul(minus_over_m, l2_term, evaluate=False)
    l2_boxed = sympy.Mul(minus_over_m, Sum(sympy.Mul(l2_term, x_ij, evaluate=False), (i, 1, m)), evaluate=False)
    l2_direct = direct_gradient(l2_loss_of)

    bce_dh = sympy.together(sympy.diff(-(y_i * sympy.log(h_i) + (1 - y_i) * sympy.log(1 - h_i)), h_i))
    bce_boxed = Sum(sympy.Mul(sympy.Add(h_i, -y_i, evaluate=False), x_ij, evaluate=False), (i, 1, m))
    bce_direct = direct_gradient(bce_loss_of)
    bce_dz = sympy.cancel(bce_dh * dh_dz)

    return Derivation(
        z_sum=z_sum, dz_dtheta_sum=dz_sum, dz_dtheta=dz,
        g=g_of(z), dg_dz=dg, one_minus_g=one_minus_g, g_identity=bool(g_identity),
        l2=Gradient(
            dl_dh=l2_dh, dl_dz=l2_dz, chain_rule=sympy.cancel(l2_dz - l2_dh * dh_dz) == 0, boxed=l2_boxed,
            direct=shown(l2_direct), matches=same_gradient(on_indexed(l2_boxed), l2_direct),
        ),
        bce=Gradient(
            dl_dh=bce_dh, dl_dz=bce_dz, chain_rule=sympy.cancel(bce_dz - (h_i - y_i)) == 0, boxed=bce_boxed,
            direct=shown(bce_direct), matches=same_gradient(on_indexed(bce_boxed), bce_direct),
        ),
    )
