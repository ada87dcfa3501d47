"""The worked view of an iteration: every quantity the PDF shows, in display orientation,
each recomputed from the printed (rounded) inputs of its step, so that the PDF can mark
the last digits a student working by hand would get differently.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .model import Iteration, forward_on, softmax
from solver.rounding import printed_equal, printed_less, rounded, significance


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
    significant: int = 1         # fewest significant digits an entry prints with (rounding.significance)

    @property
    def exact(self) -> bool:
        """Every printed entry is what the printed inputs give by hand: the display may write "=" before it."""
        return not bool(self.differs.any())

    @property
    def rows(self) -> int:
        return self.value.shape[0]

    @property
    def cols(self) -> int:
        return self.value.shape[1]


def shown(value: np.ndarray, from_rounded: np.ndarray | None, decimals: int,
          display: Callable[[np.ndarray], np.ndarray] = lambda a: a, given: bool = False,
          significant: int | None = None) -> Shown:
    """`value` as displayed; with `from_rounded`, checked digit by digit against it.  Its entries print
    with `significant` digits at least: its own array's (rounding.significance) unless it is picked
    from a larger one."""
    value = display(np.atleast_2d(np.asarray(value, dtype=float)))
    keep = significance(value) if significant is None else significant
    if from_rounded is None:
        return Shown(value=value, from_rounded=value, differs=np.zeros(value.shape, bool),
                     given=given, checked=False, notes=(), significant=keep)
    from_rounded = display(np.atleast_2d(np.asarray(from_rounded, dtype=float)))
    differs = rounded(value, decimals, keep) != rounded(from_rounded, decimals, keep)
    notes = tuple(Note(row=int(i) + 1, col=int(j) + 1, value=float(value[i, j]), from_rounded=float(from_rounded[i, j]))
                  for i, j in zip(*np.nonzero(differs)))
    return Shown(value=value, from_rounded=from_rounded, differs=differs, given=False, checked=True, notes=notes,
                 significant=keep)


PARAMETERS = ("W1", "b1", "W2", "b2")


def printed_alike(before: np.ndarray, after: np.ndarray, decimals: int) -> bool:
    """Every entry of `after` prints as the same entry of `before` would, rounded by the one rule."""
    return bool(np.all(rounded(before, decimals) == rounded(after, decimals)))


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
    previous: int | None         # the iteration whose update gave these parameters
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
    several_inactive: bool            # more than one inactive unit (the text says "units ... have")
    at_kink: bool                     # some z1 is exactly 0, where ReLU'(0) = 0 decides
    moves: dict[str, bool]            # which parameters the update changes at all
    moves_unseen: dict[str, bool]     # the update changes a parameter, but no printed entry of it: a change below the print
    step_size: dict[str, float]       # the largest change of an entry of each parameter, |eta * gradient|
    loss_after: float                 # the same samples' mean loss after this update
    loss_after_lower: bool            # in full precision
    loss_after_printed_lower: bool    # the printed numbers compare that way too
    loss_after_printed_equal: bool    # the two printed numbers are the same
    loss_change: float                # loss_after minus this iteration's loss
    show_update: bool                 # the backward pass and update are worked (needed later, or asked)
    next_sample: int | None           # the next iteration's (first) sample
    next_sample_differs: bool         # the next iteration measures its loss on other samples

    @property
    def printed_results(self) -> tuple[Shown, ...]:
        """The computed arrays this iteration prints (the forward pass only when the update is not worked)."""
        names = [name for name in self.__dataclass_fields__ if isinstance(getattr(self, name), Shown)]
        if not self.show_update:
            names = [name for name in names if name in FORWARD_NAMES]
        return tuple(s for s in (getattr(self, name) for name in names) if s.checked)


def work(it: Iteration, X_data: np.ndarray, Y_data: np.ndarray, layout: str, lr: float, decimals: int,
         given_params: bool, show_update: bool, next_samples: tuple[int, ...] | None) -> Worked:
    """One iteration as the PDF shows it: stacked per-sample columns, each step checked by hand."""
    f, g, P_, a = it.forward, it.grads, it.params, it.params_after
    B = len(f.samples)
    X, Y, Z1, A1, Z2, P, D2, DA1, D1 = f.X, f.Y, f.Z1, f.A1, f.Z2, f.P, g.D2, g.DA1, g.D1
    losses = f.losses[None, :]
    R = lambda a: rounded(a, decimals)  # noqa: E731
    Rp = (lambda a: np.asarray(a, float)) if given_params else R  # parameters printed as given in iteration 1
    W1, b1, W2, b2 = Rp(P_.W1), Rp(P_.b1)[:, None], Rp(P_.W2), Rp(P_.b2)[:, None]
    targets = tuple(int(np.argmax(y)) + 1 for y in Y.T)
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

    display = (lambda a: a) if layout == "Wx" else (lambda a: a.T)
    S = lambda value, from_rounded=None, given=False: shown(value, from_rounded, decimals, display, given)  # noqa: E731
    inactive = tuple(int(u) + 1 for u in np.nonzero(np.all(Z1 <= 0, axis=1))[0])
    loss_after = forward_on(a, X_data, Y_data, f.samples).loss
    return Worked(
        index=it.index, samples=f.samples, batch=B > 1, given_params=given_params,
        previous=it.index - 1 if it.index > 1 else None,
        X=S(X, given=True), Y=S(Y, given=True),
        W1=S(P_.W1, given=given_params), b1=S(P_.b1[:, None], given=given_params),
        W2=S(P_.W2, given=given_params), b2=S(P_.b2[:, None], given=given_params),
        Z1=S(Z1, Z1_r), A1=S(A1, A1_r), Z2=S(Z2, Z2_r), P=S(P, P_r),
        targets=targets, p_target=shown(P[pick][None, :], None, decimals, display, significant=significance(P[:, 0])), p_target_rounds_to_zero=bool(np.any(p_t == 0)),
        losses=S(losses, losses_r), loss=S(np.array([[it.loss]]), np.array([[loss_r]]) if B > 1 else None),
        D2=S(D2, D2_r), A1T=S(A1.T), gW2=S(g.W2, gW2_r), gb2=S(g.b2[:, None], gb2_r[:, None] if B > 1 else None),
        W2T=S(P_.W2.T, given=given_params), DA1=S(DA1, DA1_r), relu_mask=S(mask), D1=S(D1, D1_r),
        XT=S(X.T, given=True), gW1=S(g.W1, gW1_r), gb1=S(g.b1[:, None], gb1_r[:, None] if B > 1 else None),
        W1_after=S(a.W1, Rp(P_.W1) - lr * R(g.W1)), b1_after=S(a.b1[:, None], Rp(P_.b1)[:, None] - lr * R(g.b1)[:, None]),
        W2_after=S(a.W2, Rp(P_.W2) - lr * R(g.W2)), b2_after=S(a.b2[:, None], Rp(P_.b2)[:, None] - lr * R(g.b2)[:, None]),
        inactive_units=inactive, all_inactive=len(inactive) == P_.W1.shape[0], several_inactive=len(inactive) > 1,
        at_kink=bool(np.any(Z1 == 0)),
        moves={name: bool(np.any(getattr(g, name) != 0)) for name in PARAMETERS},
        moves_unseen={name: bool(np.any(getattr(a, name) != getattr(P_, name)))   # a step lost below the double's
                      and printed_alike(getattr(P_, name), getattr(a, name), decimals)  # last digit is no move
                      for name in PARAMETERS},
        step_size={name: float(np.max(np.abs(getattr(a, name) - getattr(P_, name)))) for name in PARAMETERS},
        loss_after=loss_after, loss_after_lower=loss_after < it.loss,
        loss_after_printed_lower=printed_less(loss_after, it.loss, decimals),
        loss_after_printed_equal=printed_equal(loss_after, it.loss, decimals),
        loss_change=loss_after - it.loss, show_update=show_update,
        next_sample=next_samples[0] if next_samples else None,
        next_sample_differs=next_samples is not None and next_samples != f.samples,
    )
