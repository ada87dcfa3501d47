"""A class marked by hand, then by `grade`: every hand mark must come out, to within the
rubric's smallest share.

The students are simulated here with plain Python loops (none of the solver's code): each works
the homework as a real class does, rounding to 4 decimals as they go, with one mistake a real
class makes.  The marks below were worked out by hand from the default rubric
(`hw1-solver rubric`), a line of reasoning per mark:

    q1a 15        (h − y) with its sign and the ½·2 4, h(1 − h) 5, x_j 3, the 1/m 3
    q2 30         quadratic branch 9, linear branch 9, the 1/N on both 6, the boundary 6
    q3_loss1 15   z₁, a₁, z₂, p, the loss: 3 each (q3_loss2 the same for iteration 2)
    q3_params 20  ∂L/∂b₂, ∂L/∂W₂, ∂L/∂b₁, ∂L/∂W₁ 2 each; W₁, b₁, W₂, b₂ after the update 3 each
A step right for the student's own earlier values earns its share; a blank step earns it when a
later step that needs it is right.  With the homework's data, sample 1's hidden layer is dead
(z₁ < 0): ∂L/∂W₂, ∂L/∂b₁, ∂L/∂W₁ are 0 in iteration 1 and only b₂ moves.
"""
from __future__ import annotations

import copy
import csv
import json
import math
import random
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

X = [[-0.7411, -0.5078, -0.3206], [0.0983, -0.0308, -0.3728], [0.0414, 0.2323, -0.2365], [-0.7342, 0.4264, 2.0237]]
Y = [[0, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
W1 = [[1.6035, -1.5062, 0.2761], [1.2347, -0.4446, -0.2612], [-0.2296, -0.1559, 0.4434]]
B1 = [0.3919, -1.2507, -0.9480]
W2 = [[0.0125, 1.2424, 0.3503], [-3.0292, -1.0667, -0.0290], [-0.4570, 0.9337, 0.1825]]
B2 = [-1.5651, -0.0845, 1.6039]
LR = 0.01

Q1_RIGHT = "(h - y) * h * (1 - h) * x_j / m"
Q2_RIGHT = "Piecewise(((z - z_hat)/N, abs(z - z_hat) <= delta), (delta*sign(z - z_hat)/N, True))"


def rounder(places: int):
    def r(x):
        return [r(v) for v in x] if isinstance(x, list) else round(x, places)
    return r


def matvec(W, x, transposed=False):
    n = len(W[0]) if transposed else len(W)
    return [sum((W[j][i] if transposed else W[i][j]) * x[j] for j in range(len(x))) for i in range(n)]


def worked(mistake: str | None = None, places: int = 4) -> dict:
    """Two SGD iterations (sample k in iteration k) worked by hand, with one `mistake`."""
    r = rounder(places)
    W1_, b1_, W2_, b2_ = copy.deepcopy((W1, B1, W2, B2))
    out = []
    for k in range(2):
        x, y = X[k], Y[k]
        z1 = r([v + (0 if mistake == "bias" else b) for v, b in zip(matvec(W1_, x, mistake == "transposed_W1"), b1_)])
        if mistake == "carried" and k == 0:
            z1[0] = -z1[0]                                    # an arithmetic slip in z₁, then carried on right
        a1 = r([max(v, 0.0) for v in z1])
        z2 = r([v + (0 if mistake == "bias" else b) for v, b in zip(matvec(W2_, a1), b2_)])
        e = [math.exp(max(v, 0.0) if mistake == "relu_on_z2" else v) for v in z2]
        p = r([v / sum(e) for v in e])
        t = y.index(1)
        loss = r(-(math.log10 if mistake == "log10" else math.log)(p[t]))
        if mistake == "bce":
            loss = r(-sum(yc * math.log(pc) + (1 - yc) * math.log(1 - pc) for pc, yc in zip(p, y)))
        # the gradients: from sample 2's forward pass instead of sample 1's ("wrong_sample_gradient")
        gx, gy, gz1, ga1, gp = x, y, z1, a1, p
        if mistake == "wrong_sample_gradient" and k == 0:
            gx, gy = X[1], Y[1]
            gz1 = r([v + b for v, b in zip(matvec(W1_, gx), b1_)])
            ga1 = r([max(v, 0.0) for v in gz1])
            gz2 = r([v + b for v, b in zip(matvec(W2_, ga1), b2_)])
            ge = [math.exp(v) for v in gz2]
            gp = r([v / sum(ge) for v in ge])
        d2 = r([pc if mistake == "delta_p" else pc - yc for pc, yc in zip(gp, gy)])
        gW2 = r([[d2[i] * ga1[j] for j in range(3)] for i in range(3)])
        d1 = r([v if z > 0 else 0.0 for v, z in zip(matvec(W2_, d2, transposed=True), gz1)])
        gW1 = r([[d1[i] * gx[j] for j in range(3)] for i in range(3)])
        sign = 1 if mistake == "update_sign" else -1
        W1_ = r([[W1_[i][j] + sign * LR * gW1[i][j] for j in range(3)] for i in range(3)])
        b1_ = r([b1_[i] + sign * LR * d1[i] for i in range(3)])
        W2_ = r([[W2_[i][j] + sign * LR * gW2[i][j] for j in range(3)] for i in range(3)])
        b2_ = r([b2_[i] + sign * LR * d2[i] for i in range(3)])
        out.append({"loss": loss, "forward": [{"z1": z1, "a1": a1, "z2": z2, "p": p, "loss": loss}],
                    "grads": {"W1": gW1, "b1": d1, "W2": gW2, "b2": d2},
                    "params_after": {"W1": W1_, "b1": b1_, "W2": W2_, "b2": b2_}})
    return {"iterations": out}


def as_fractions(x):
    """Every number written as a fraction, the way a student keeps "the fractional numbers"."""
    if isinstance(x, dict):
        return {k: as_fractions(v) for k, v in x.items()}
    if isinstance(x, list):
        return [as_fractions(v) for v in x]
    return str(Fraction(str(x))).replace("-", "−")


def submission(q1=Q1_RIGHT, q2=Q2_RIGHT, q3=None) -> dict:
    work = {"q3": q3 if q3 is not None else worked()}
    if q1 is not None:
        work["q1"] = {"gradient": q1}
    if q2 is not None:
        work["q2"] = {"gradient": q2}
    return work


def copying_slip() -> dict:
    q3 = worked()
    q3["iterations"][0]["loss"] = 1.8391          # 1.8931 copied with two digits swapped
    return q3


def blanks() -> dict:
    q3 = worked()
    first = q3["iterations"][0]
    return {"iterations": [{"forward": first["forward"]}]}     # only the first forward pass


def finals(q3: dict) -> dict:
    it = q3["iterations"]
    return {"iterations": [{"loss": it[0]["loss"], "params_after": it[0]["params_after"]}, {"loss": it[1]["loss"]}]}


# (q1a, q2, q3_loss1, q3_params, q3_loss2), a line of reasoning per mark
CLASS = {
    "s01_fractions": (submission(q3=as_fractions(worked())), (15, 30, 15, 20, 15)),
    #   every value a fraction ("−1201/10000") with the minus sign: read as numbers, all right
    "s02_delta_p": (submission(q3=worked("delta_p")), (15, 30, 15, 18, 15)),
    #   δ₂ = p: ∂L/∂b₂ wrong (2 lost); ∂L/∂W₂ … and the update follow from it; L(2) follows
    "s03_relu_z2": (submission(q3=worked("relu_on_z2")), (15, 30, 12, 20, 12)),
    #   softmax(ReLU(z₂)): p wrong in each iteration (3 lost twice); loss and δ₂ = p − y follow
    "s04_bce": (submission(q3=worked("bce")), (15, 30, 12, 20, 12)),
    #   binary cross-entropy per class: the loss step wrong in each iteration (3 lost twice)
    "s05_mean_one_branch": (submission(q2="Piecewise((z - z_hat, abs(z - z_hat) <= delta), "
                                          "(delta*sign(z - z_hat)/N, True))"), (15, 24, 15, 20, 15)),
    #   1/N on the linear branch only: both branches' shapes and the boundary right, the 1/N share lost
    "s06_wrong_sample_gradient": (submission(q3=worked("wrong_sample_gradient")), (15, 30, 15, 18, 15)),
    #   iteration 1's gradients from sample 2's forward pass: ∂L/∂b₂ wrong (2); the other gradients the
    #   same mistake (counted once); the update and L(2) follow
    "s07_transposed_W1": (submission(q3=worked("transposed_W1")), (15, 30, 12, 20, 12)),
    #   z₁ = W₁ᵀx + b₁ in both iterations: z₁ wrong twice (3 each); everything after follows
    "s08_bias": (submission(q3=worked("bias")), (15, 30, 12, 20, 12)),
    #   no bias in either layer: z₁ wrong (3), z₂ the same slip again in the part (counted once), per iteration
    "s09_log10": (submission(q3=worked("log10")), (15, 30, 12, 20, 12)),
    #   log₁₀ for ln: the loss step wrong in each iteration (3 lost twice); p − y unaffected
    "s10_sum_not_mean": (submission(q1="(h - y) * h * (1 - h) * x_j", q2="clip(z - z_hat, -delta, delta)"),
                         (12, 24, 15, 20, 15)),
    #   sums, not means: Q1 without 1/m (3 lost), Q2 without 1/N (6 lost); every other factor right
    "s11_update_sign": (submission(q3=worked("update_sign")), (15, 30, 15, 17, 15)),
    #   θ + η∇L: only b₂ has a nonzero gradient, so only b₂ is wrong (3); L(2) follows from it
    "s12_two_decimals": (submission(q3=worked(places=2)), (15, 30, 3, 8, 3)),
    #   every value rounded to 2 decimals: z₁, z₂, p, the loss off by more than 4-decimal rounding allows
    #   (12 lost), a₁ = ReLU(z₁) exact; the gradients (zero, or p − y of their own p) right; the four
    #   parameters rounded to 2 decimals wrong (12 lost); iteration 2 as iteration 1 (12 lost)
    "s13_copying": (submission(q3=copying_slip()), (15, 30, 12, 20, 15)),
    #   L(1) copied as 1.8391 where the working has 1.8931: the loss step wrong (3 lost)
    "s14_carried": (submission(q3=worked("carried")), (15, 30, 12, 20, 15)),
    #   z₁'s first entry with the wrong sign (3 lost), then everything right for it: follow-through
    "s15_blanks": (submission(q1=None, q2=None, q3=blanks()), (0, 0, 15, 0, 0)),
    #   only iteration 1's forward pass: Q1(a), Q2, the update and L(2) blank score nothing
    "s16_rearranged": (submission(q1="x_j*(h**2 - h**3 - y*h + y*h**2)/m", q2="max(-delta, min(delta, z - z_hat)) / N",
                                  q3=finals(worked())), (15, 30, 15, 20, 15)),
    #   equivalent formulas arranged otherwise, and only Q3's final answers (its steps implied): all right
    "s17_q1_sigmoid_and_q2_sign": (submission(q1="(h - y) * x_j / m", q2="clip(z_hat - z, -delta, delta) / N"),
                                   (10, 12, 15, 20, 15)),
    #   Q1 without h(1 − h) (5 lost); Q2 with ẑ − z: both branches wrong (18 lost), 1/N and boundary right
}
PARTS = ("q1a", "q2", "q3_loss1", "q3_params", "q3_loss2")
SMALLEST_SHARE = 2


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[dict, str, Path]:
    root = tmp_path_factory.mktemp("class")
    subs = root / "subs"
    subs.mkdir()
    for name, (work, _) in CLASS.items():
        (subs / f"{name}.json").write_text(json.dumps(work, ensure_ascii=False), encoding="utf-8")
    out = root / "grades.csv"
    run = subprocess.run([sys.executable, "-m", "solver", "grade", str(subs), "--out", str(out)], capture_output=True,
                         text=True, cwd=REPO, timeout=600, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    rows = {r["id"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    return rows, run.stdout, root


def test_the_class_is_large_enough():
    assert len(CLASS) >= 15


@pytest.mark.parametrize("name", list(CLASS))
def test_grade_matches_the_hand_mark(graded, name):
    rows, _, _ = graded
    hand = CLASS[name][1]
    got = tuple(float(rows[name][k]) for k in PARTS)
    assert all(abs(g - h) < SMALLEST_SHARE for g, h in zip(got, hand)), (name, got, hand, rows[name]["reasons"])
    assert float(rows[name]["total"]) == pytest.approx(sum(got))
    assert rows[name]["q1b"] == ""                   # Q1(b) is for a person


def test_blank_parts_score_nothing_and_say_so(graded):
    rows, _, _ = graded
    reasons = rows["s15_blanks"]["reasons"]
    assert "q1a -15: Q1(a)" in reasons and "not given" in reasons and "q2 -30: Q2" in reasons


def test_the_summary_names_slips_and_steps_to_reteach(graded):
    _, summary, _ = graded
    for slip in ("delta_without_y", "relu_on_z2", "binary_cross_entropy", "mean_one_branch", "gradient_wrong_sample",
                 "transposed_weights", "bias_omitted", "log_base", "update_sign"):
        assert slip in summary, slip
    assert "no slip in the catalogue explains" in summary      # the copying slip, the carried error, rounding
    assert "q3.out_of" in summary and "40" in summary and "50" in summary


def test_the_grade_center_file(graded):
    _, _, root = graded
    text = (root / "grade-center.csv").read_text(encoding="utf-8")
    header = next(csv.reader([text.splitlines()[0]]))
    assert header[0] == "Username" and header[-1] == "HW1 Total [Total Pts: 110 Score]"
    assert "HW1 Q3 update [Total Pts: 20 Score]" in header and "HW1 Q1(b) [Total Pts: 15 Score]" in header
    assert all(line.startswith('"') for line in text.splitlines())   # every value quoted


def test_random_class_orders_do_not_change_marks(tmp_path):
    """The marks of a student do not depend on who else is in the folder."""
    names = sorted(CLASS)
    random.Random(5).shuffle(names)
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in names[:3]:
        (subs / f"{name}.json").write_text(json.dumps(CLASS[name][0], ensure_ascii=False), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "solver", "grade", str(subs), "--out", str(tmp_path / "g.csv")],
                         capture_output=True, text=True, cwd=REPO, timeout=600,
                         env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    for row in csv.DictReader((tmp_path / "g.csv").open(encoding="utf-8")):
        assert tuple(float(row[k]) for k in PARTS) == CLASS[row["id"]][1]
