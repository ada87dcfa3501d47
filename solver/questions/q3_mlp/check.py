"""Checking Question 3: every quantity of the worked iterations, step by step.

Rubric (RUBRIC; a TA's rubric file may change the points): each asked part's points are split
over the steps that compute it, each earning its share when right or right for the student's
own earlier values (follow-through):
  q3_loss1   15  the first iteration's forward pass: z₁, a₁, z₂, p and the loss, 3 each
  q3_params  20  its gradients ∂L/∂b₂, ∂L/∂W₂, ∂L/∂b₁, ∂L/∂W₁ 2 each; W₁, b₁, W₂, b₂ after the update 3 each
  q3_loss2   15  the second iteration's forward pass, as q3_loss1
The homework calls Question 3 "(40 points)" while its parts say 50: the rubric's q3.out_of decides.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

import numpy as np

from solver.check.rubric import Judged, Part, Share, from_items
from solver.check.slips import Slip
from solver.check.steps import Item, Report, Step, Values, cached, plain, plan, read_given, run_steps
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
    Slip("delta_without_y", ("q3",), "δ₂ = p was used: the − y of p − y was forgotten",
         "take δ₂ = ∂L/∂z₂ = p − y", "the softmax/cross-entropy gradient p − y"),
    Slip("relu_on_z2", ("q3",), "ReLU was applied to z₂ before the softmax",
         "p = softmax(z₂) straight from z₂: only the hidden layer has a ReLU", "which layers have a ReLU"),
    Slip("binary_cross_entropy", ("q3",), "a binary cross-entropy per class, −Σ[y ln p + (1 − y) ln(1 − p)], "
         "was used for the three-class loss", "L = −ln p of the true class (the categorical cross-entropy)",
         "categorical versus binary cross-entropy"),
    Slip("gradient_wrong_sample", ("q3",), "a gradient was taken from another sample's values (its x, or "
         "another iteration's forward pass or gradients)", "take each gradient from this iteration's sample",
         "which sample each SGD gradient belongs to"),
)

SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
SYMBOL = {"z1": "z₁", "a1": "a₁", "z2": "z₂", "p": "p", "loss": "the loss", "W1": "W₁", "b1": "b₁",
          "W2": "W₂", "b2": "b₂"}


def _loss_shares() -> tuple[Share, ...]:
    return (Share("z1", 3, "z₁ = W₁x + b₁", ("a1",)), Share("a1", 3, "a₁ = ReLU(z₁)", ("z2",)),
            Share("z2", 3, "z₂ = W₂a₁ + b₂", ("p",)), Share("p", 3, "p = softmax(z₂)", ("loss",)),
            Share("loss", 3, "the loss −ln p_y"))


RUBRIC = (
    Part("q3_loss1", "Q3 L(1): the loss of the first iteration", 15, _loss_shares()),
    Part("q3_params", "Q3 update: the parameters after one update", 20, (
        Share("db2", 2, "∂L/∂b₂ = δ₂ = p − y", ("dW2", "db1", "b2")), Share("dW2", 2, "∂L/∂W₂ = δ₂a₁ᵀ", ("W2",)),
        Share("db1", 2, "∂L/∂b₁ = δ₁ = (W₂ᵀδ₂)·1[z₁ > 0]", ("dW1", "b1")), Share("dW1", 2, "∂L/∂W₁ = δ₁xᵀ", ("W1",)),
        Share("W1", 3, "W₁ − η∂L/∂W₁"), Share("b1", 3, "b₁ − η∂L/∂b₁"),
        Share("W2", 3, "W₂ − η∂L/∂W₂"), Share("b2", 3, "b₂ − η∂L/∂b₂"))),
    Part("q3_loss2", "Q3 L(2): the loss of the 2nd iteration", 15, _loss_shares()),
)
LOSS_PARTS = {"q3_loss1": 0, "q3_loss2": 1}


def label(path: str, samples_of: Callable[[int], tuple[int, ...]]) -> str:
    """In words: q3.iterations[1].forward[0].z1 -> "Iteration 2 (sample x⁽²⁾): z₁"."""
    parts = path.replace("]", "").split(".")
    k = int(parts[1].split("[")[1])
    head = f"Iteration {k + 1}"
    if parts[2].startswith("forward"):
        sample = samples_of(k)[int(parts[2].split("[")[1])]
        return f"{head} (sample x⁽{str(sample).translate(SUPERSCRIPT)}⁾): {SYMBOL[parts[3]]}"
    if parts[2] == "grads":
        return f"{head}: ∂L/∂{SYMBOL[parts[3]]}"
    if parts[2] == "params_after":
        return f"{head}: {SYMBOL[parts[3]]} after the update"
    return f"{head}: the loss" + ("" if len(samples_of(k)) == 1 else " (the mean over its samples)")

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
                Step(f + ".p", part_fwd, (f + ".z2",), lambda v, z=f + ".z2": softmax(v[z]), {
                    "relu_on_z2": lambda v, z=f + ".z2": [softmax(np.maximum(v[z], 0.0))],
                }),
                Step(f + ".loss", part_fwd, (f + ".p",), lambda v, p=f + ".p", y=y: ce(v[p], v[y]), {
                    "log_base": lambda v, p=f + ".p", y=y: [ce(v[p], v[y], np.log10), ce(v[p], v[y], np.log2)],
                    "wrong_sample": lambda v, p=f + ".p", o=others: [ce(v[p], v[f"y{t}"]) for t in o],
                    "binary_cross_entropy": lambda v, p=f + ".p", y=y: [
                        ce(v[p], v[y]) + ce(1 - v[p], 1 - v[y])],
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
        others = [t for t in samples_all if t not in samples] if B == 1 else []

        def z1_of(v: Values, t: int, P: dict[str, str] = P) -> np.ndarray:   # another sample's forward pass
            return v[P["W1"]] @ v[f"x{t}"] + v[P["b1"]]

        def delta2_of(v: Values, t: int, P: dict[str, str] = P, z1_of=z1_of) -> np.ndarray:
            return softmax(v[P["W2"]] @ np.maximum(z1_of(v, t), 0.0) + v[P["b2"]]) - v[f"y{t}"]
        sgd = B == 1
        D2 = (lambda v, g=g: v[g + ".b2"][:, None]) if sgd else (lambda v, grads=grads: grads(v).D2)
        D1 = (lambda v, g=g: v[g + ".b1"][:, None]) if sgd else (lambda v, grads=grads: grads(v).D1)
        d2_in = (g + ".b2",) if sgd else fin
        d1_in = (g + ".b1",) if sgd else fin + (P["W2"],)
        A1 = lambda v, col=col: col(v, name="a1")  # noqa: E731

        steps += [
            Step(g + ".b2", part_upd, fin, lambda v, grads=grads: grads(v).b2, {
                "delta_sign": lambda v, grads=grads: [-grads(v).b2],
                "delta_without_y": lambda v, col=col: [col(v, name="p").mean(axis=1)],
                "wrong_sample": lambda v, grads=grads, Y=Y, o=[t for t in samples_all if t not in samples]:
                    [grads(v).b2 + Y(v).mean(axis=1) - v[f"y{t}"] for t in o] if sgd else [],
                "gradient_wrong_sample": lambda v, k=k, o=others, d=delta2_of: [
                    *(v[f"q3.iterations[{j}].grads.b2"] for j in range(k)), *(d(v, t) for t in o)],
            }),
            Step(g + ".W2", part_upd, d2_in + tuple(f + ".a1" for f in fwd),
                 lambda v, D2=D2, A1=A1, B=B: D2(v) @ A1(v).T / B, {
                     "gradient_transposed": lambda v, D2=D2, A1=A1, B=B: [(D2(v) @ A1(v).T / B).T],
                     "delta_sign": lambda v, A1=A1, B=B, grads=grads: [-(grads(v).D2 @ A1(v).T / B)],
                     "delta_without_y": lambda v, A1=A1, B=B, col=col: [col(v, name="p") @ A1(v).T / B],
                     "gradient_wrong_sample": lambda v, k=k, D2=D2, B=B, z=z1_of, o=others: [
                         *(v[f"q3.iterations[{j}].grads.W2"] for j in range(k)),
                         *(D2(v) @ v[f"q3.iterations[{j}].forward[0].a1"][None, :] for j in range(k) if B == 1),
                         *(D2(v) @ np.maximum(z(v, t), 0.0)[None, :] for t in o)],
                 }),
            Step(g + ".b1", part_upd, fin + (P["W2"],) if not sgd else (g + ".b2", P["W2"], fwd[0] + ".z1"),
                 (lambda v, grads=grads: grads(v).b1) if not sgd else
                 (lambda v, g=g, W2=P["W2"], z=fwd[0] + ".z1": (v[W2].T @ v[g + ".b2"]) * (v[z] > 0)), {
                     "relu_mask_omitted": lambda v, D2=D2, W2=P["W2"]: [(v[W2].T @ D2(v)).mean(axis=1)],
                     "delta_sign": lambda v, grads=grads: [-grads(v).b1],
                     "transposed_weights": lambda v, D2=D2, W2=P["W2"], z=fwd[0] + ".z1":
                         [((v[W2] @ D2(v))[:, 0] * (v[z] > 0))] if sgd else [],
                     "gradient_wrong_sample": lambda v, k=k, W2=P["W2"], g=g, z=z1_of, o=others: [
                         *(v[f"q3.iterations[{j}].grads.b1"] for j in range(k)),
                         *((v[W2].T @ v[g + ".b2"]) * (z(v, t) > 0) for t in o)],
                 }),
            Step(g + ".W1", part_upd, d1_in + tuple(f"x{t}" for t in samples),
                 lambda v, D1=D1, X=X, B=B: D1(v) @ X(v).T / B, {
                     "gradient_transposed": lambda v, D1=D1, X=X, B=B: [(D1(v) @ X(v).T / B).T],
                     "relu_mask_omitted": lambda v, D2=D2, W2=P["W2"], X=X, B=B: [(v[W2].T @ D2(v)) @ X(v).T / B],
                     "delta_sign": lambda v, grads=grads: [-grads(v).W1],
                     "gradient_wrong_sample": lambda v, k=k, D1=D1, o=others: [
                         *(v[f"q3.iterations[{j}].grads.W1"] for j in range(k)),
                         *(D1(v) @ v[f"x{t}"][None, :] for t in o)],
                 }),
        ]
        for n in ("W1", "b1", "W2", "b2"):
            theta, grad = P[n], f"{g}.{n}"
            steps.append(Step(
                f"{it}.params_after.{n}", part_upd, (theta, grad),
                lambda v, t=theta, d=grad: _update(v[t], v[d], lr), {
                    "update_sign": lambda v, t=theta, d=grad: [v[t] + lr * v[d]],
                    # a rate whose step is below the 4th decimal cannot be told from no update (or rounding)
                    "learning_rate": lambda v, t=theta, d=grad: [v[t] - r * v[d] for r in OTHER_RATES
                                                                 if r != lr and np.max(np.abs(r * v[d])) > 1e-4],
                    "stale_parameters": lambda v, d=grad, n=n, k=k: [v["init." + n] - lr * v[d]] if k else [],
                    "gradient_transposed": lambda v, t=theta, d=grad: [v[t] - lr * v[d].T] if v[d].ndim == 2 else [],
                },
                show=matrix if n in ("W1", "W2") else plain))
    # gradients of weights are shown in the config's orientation too; every step named in words
    named = lambda k: samples_for(k + 1, mode, m)  # noqa: E731
    steps = [Step(s.path, s.part, s.inputs, s.fn, s.slips,
                  matrix if s.path.split(".")[-1] in ("W1", "W2") and ".grads." in s.path else s.show,
                  label(s.path, named)) for s in steps]
    return steps, data, reading


def _update(theta: np.ndarray, grad: np.ndarray, lr: float) -> np.ndarray:
    """The network's own step (model.step) on one parameter: θ − η∇L."""
    zero = np.zeros(())
    return step(Params(W1=theta, b1=zero, W2=zero, b2=zero),
                Grads(D2=zero, DA1=zero, D1=zero, W1=grad, b1=zero, W2=zero, b2=zero), lr).W1


def check(cfg: Any, work: Mapping[str, Any], report: Report) -> None:
    chain, data, reading = cached(__name__, cfg, lambda: iteration_steps(cfg))
    given, unreadable = read_given([s.path for s in chain], work, reading)
    run_steps(cached(__name__ + ".plan", cfg, lambda: plan(chain, data)), given, report, unreadable)


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


def judge(items: Mapping[str, Item]) -> dict[str, dict[str, Judged]]:
    """Each asked part's shares from the steps that compute it (every sample's, in batch mode)."""
    def step(k: int, tail: str) -> list[Item]:
        pattern = re.compile(rf"q3\.iterations\[{k}\]\.{tail}")
        return [i for path, i in items.items() if pattern.fullmatch(path)]

    out: dict[str, dict[str, Judged]] = {}
    for key, k in LOSS_PARTS.items():
        out[key] = {name: from_items(step(k, rf"forward\[\d+\]\.{name}")) for name in ("z1", "a1", "z2", "p")}
        out[key]["loss"] = from_items(step(k, "loss") + step(k, r"forward\[\d+\]\.loss"))
    out["q3_params"] = {**{f"d{n}": from_items(step(0, rf"grads\.{n}")) for n in ("W1", "b1", "W2", "b2")},
                        **{n: from_items(step(0, rf"params_after\.{n}")) for n in ("W1", "b1", "W2", "b2")}}
    return out
