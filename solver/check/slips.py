"""The catalogue of slips: each a likely mistake, what it looks like, what to recompute, and
what a lecturer would re-teach.  A slip is named for a wrong quantity only when applying it
(in compare.py) reproduces the given value within the tolerance."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Slip:
    id: str
    parts: tuple[str, ...]   # "q3", "q2", "q1a"
    words: str               # what the student did
    recompute: str           # what to redo
    reteach: str             # for the class summary


CATALOGUE: tuple[Slip, ...] = (
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
    Slip("mean_omitted", ("q2", "q1a"), "the 1/N (1/m) of the mean was left out",
         "keep the 1/N (1/m) factor of the loss", "the mean's factor survives differentiation"),
    Slip("no_clipping", ("q2",), "the gradient r was used on both branches (no clipping at ±δ)",
         "use δ·sign(r) where |r| > δ", "the Huber loss's linear branch"),
    Slip("linear_branch_unsigned", ("q2",), "the linear branch's gradient was written δ without sign(r)",
         "use δ·sign(z − ẑ) where |z − ẑ| > δ", "d|r|/dr = sign(r)"),
    Slip("sign", ("q2", "q1a"), "the gradient has the wrong sign",
         "differentiate (y − h)² or (z − ẑ) with respect to h or z, not y or ẑ", "the chain rule's inner derivative sign"),
    Slip("sigmoid_derivative_omitted", ("q1a",), "the sigmoid's derivative h(1 − h) is missing",
         "∂h/∂θⱼ = h(1 − h) xⱼ", "the sigmoid's derivative g' = g(1 − g)"),
    Slip("bce_gradient", ("q1a",), "the binary cross-entropy's gradient was given for L₂'s",
         "differentiate L₂ = (1/2m)Σ(y − h)², not L_bce", "which loss is being differentiated"),
    Slip("factor_two", ("q1a",), "the 2 from the square does not cancel the ½ (gradient halved or doubled)",
         "d/dh (y − h)²/2 = h − y", "differentiating ½(·)²"),
)
BY_ID = {s.id: s for s in CATALOGUE}
