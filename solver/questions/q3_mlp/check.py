"""Checking Question 3: every quantity of the worked iterations, step by step.

Marks:
  q3_loss1   15  iterations[0].loss (in sgd mode forward[0].loss if the mean is not given) correct.
  q3_params  20  5 for each of params_after W1, b1, W2, b2 of iteration 1: correct, or `follows`
                 when nothing in the update's own working (grads, params_after) is wrong, i.e.
                 the error was made earlier and is not penalised twice.
  q3_loss2   15  iterations[1].loss correct, or `follows` (right for the student's own updated
                 parameters) with nothing in iteration 2's own forward pass wrong.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from solver.check.grade import POINTS, lost, why
from solver.check.slips import Slip
from solver.check.steps import Item, Report, Step, Values, as_array, cached, lookup, plain, plan, run_steps
from solver.check.worksheet import shape, vec

from .checks import oriented
from .model import Forward, Grads, Params, backward, samples_for, softmax, step

# The slips only this question makes (solver/check/slips.py has those shared with other questions).
SLIPS: tuple[Slip, ...] = (
    Slip("transposed_weights", ("q3",), "a layer was computed with Wᵀ instead of W",
         "recompute z = W x + b with the rows of W as the layer's output units",
         "which index of W is the output unit (z = W x + b)"),
    Slip("bias_omitted", ("q3",), "the bias was left out of a layer",
         "add b to W x", "every fully-connected layer adds its bias"),
    Slip("relu_omitted", ("q3",), "the ReLU was not applied (a1 = z1)",
         "set the negative entries of z1 to 0", "ReLU in the forward pass"),
    Slip("relu_mask_omitted", ("q3",), "δ₁ = W₂ᵀδ₂ was used without the ReLU mask 1[z₁ > 0]",
         "multiply W₂ᵀδ₂ entrywise by 1[z₁ > 0], then redo ∂L/∂W₁ and ∂L/∂b₁",
         "backpropagating through ReLU: the mask"),
    Slip("delta_sign", ("q3",), "δ₂ = y − p was used for p − y",
         "take δ₂ = p − y and redo the gradients", "the softmax/cross-entropy gradient p − y"),
    Slip("log_base", ("q3",), "the loss used log₁₀ or log₂ instead of the natural log",
         "use ln: L = −ln p_y", "cross-entropy uses the natural logarithm"),
    Slip("update_sign", ("q3",), "the update was θ + η∇L instead of θ − η∇L",
         "subtract η times the gradient", "gradient descent steps against the gradient"),
    Slip("learning_rate", ("q3",), "the update used another learning rate",
         "use the given η", "reading the given learning rate"),
    Slip("gradient_transposed", ("q3",), "a weight gradient was written as x δᵀ (transposed) for δ xᵀ",
         "∂L/∂W = δ xᵀ has W's shape (outputs × inputs)", "the shape of ∂L/∂W = δ xᵀ"),
    Slip("stale_parameters", ("q3",), "a later iteration was computed with the initial parameters",
         "use the parameters after the previous update", "SGD carries the updated parameters forward"),
    Slip("wrong_sample", ("q3",), "the iteration used another sample (x, y)",
         "use sample k in iteration k (sgd) in order", "which sample each SGD iteration uses"),
)

OTHER_RATES = (1.0, 0.1, 0.001, 0.05, 0.5, 0.02, 0.005, 0.2, 0.0001)


def iteration_steps(cfg: Any) -> tuple[list[Step], Values, Callable[[str], Callable[[np.ndarray], np.ndarray]]]:
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
                show=matrix if n in ("W1", "W2") else plain))
    # gradients of weights are shown in the config's orientation too
    steps = [Step(s.path, s.part, s.inputs, s.fn, s.slips, matrix) if s.path.split(".")[-1] in ("W1", "W2")
             and ".grads." in s.path else s for s in steps]
    return steps, data, reading


def _update(theta: np.ndarray, grad: np.ndarray, lr: float) -> np.ndarray:
    """The network's own step (model.step) on one parameter: θ − η∇L."""
    zero = np.zeros(())
    return step(Params(W1=theta, b1=zero, W2=zero, b2=zero),
                Grads(D2=zero, DA1=zero, D1=zero, W1=grad, b1=zero, W2=zero, b2=zero), lr).W1


def check(cfg: Any, work: Mapping[str, Any], report: Report) -> None:
    chain, data, reading = cached(__name__, cfg, lambda: iteration_steps(cfg))
    given: dict[str, np.ndarray] = {}
    for s in chain:
        a = as_array(lookup(work, s.path), s.path)
        if a is not None:
            given[s.path] = reading(s.path)(a) if a.ndim == 2 else a
    run_steps(cached(__name__ + ".plan", cfg, lambda: plan(chain, data)), given, report)


def worksheet(cfg: Any) -> list[str]:
    q = cfg.q3
    m, n = q.X.shape
    k, h = q.Y.shape[1], q.b1.shape[0]
    wx = q.layout == "Wx"
    lines = [
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
                f"# Iteration {it}, forward pass on sample {s}: x⁽{s}⁾ = {vec(q.X[s - 1])}, y⁽{s}⁾ = {vec(q.Y[s - 1])}",
                f"sample = {s}",
                f"# z1 = W₁x⁽{s}⁾ + b₁ ({shape(h)})",
                "z1 = []",
                f"# a1 = ReLU(z1) ({shape(h)})",
                "a1 = []",
                f"# z2 = W₂a1 + b₂ ({shape(k)})",
                "z2 = []",
                f"# p = softmax(z2) ({shape(k)})",
                "p = []",
                f"# loss = −ln p of the true class of sample {s} (a number)",
                'loss = ""',
            ]
        mean = "" if len(samples) == 1 else ", the mean over the samples"
        lines += [
            "",
            "[q3.iterations.grads]",
            f"# Iteration {it}, gradients of the loss{mean}; in sgd mode ∂L/∂b₂ = δ₂ = p − y and ∂L/∂b₁ = δ₁",
            f"# W1: ∂L/∂W₁ ({shape(*w1)})",
            "W1 = []",
            f"# b1: ∂L/∂b₁ ({shape(h)})",
            "b1 = []",
            f"# W2: ∂L/∂W₂ ({shape(*w2)})",
            "W2 = []",
            f"# b2: ∂L/∂b₂ ({shape(k)})",
            "b2 = []",
            "",
            "[q3.iterations.params_after]",
            f"# Iteration {it}, the parameters after its update θ − η∇L",
            f"# W1 ({shape(*w1)})",
            "W1 = []",
            f"# b1 ({shape(h)})",
            "b1 = []",
            f"# W2 ({shape(*w2)})",
            "W2 = []",
            f"# b2 ({shape(k)})",
            "b2 = []",
        ]
    return lines


def marks(items: Mapping[str, Item]) -> dict[str, tuple[float, list[str]]]:
    def part_clean(part: str) -> bool:
        return not any(i.verdict == "wrong" for i in items.values() if i.part == part)

    def loss_item(k: int) -> Item | None:
        mean = items.get(f"q3.iterations[{k}].loss")
        single = items.get(f"q3.iterations[{k}].forward[0].loss")
        if mean is not None and mean.verdict == "missing" and single is not None and \
                f"q3.iterations[{k}].forward[1].loss" not in items:
            return single
        return mean

    out: dict[str, tuple[float, list[str]]] = {}
    first = loss_item(0)
    score = POINTS["q3_loss1"] if first and first.verdict == "correct" else 0
    out["q3_loss1"] = score, lost("q3_loss1", POINTS["q3_loss1"] - score, why(first, "q3.iterations[0].loss"))

    each, score, reasons = POINTS["q3_params"] / 4, 0, []
    for name in ("W1", "b1", "W2", "b2"):
        path = f"q3.iterations[0].params_after.{name}"
        i = items.get(path)
        if i is not None and (i.verdict == "correct" or (i.verdict == "follows" and part_clean("q3_params"))):
            score += each
        else:
            reasons += lost("q3_params", each, why(i, path))
    out["q3_params"] = score, reasons

    second = loss_item(1)
    ok = second is not None and (second.verdict == "correct" or
                                 (second.verdict == "follows" and part_clean("q3_loss2")))
    score = POINTS["q3_loss2"] if ok else 0
    out["q3_loss2"] = score, lost("q3_loss2", POINTS["q3_loss2"] - score, why(second, "q3.iterations[1].loss"))
    return out
