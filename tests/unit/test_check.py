"""`python -m solver check / worksheet / grade`: step-by-step checking with follow-through.

The reference here is a simulated student written with plain Python loops (no numpy, none of
the solver's code), who rounds every result to 4 decimals as they go and can make any one
slip of the catalogue.  The checker must find that slip at the first quantity it changes,
call the quantities computed from it `follows`, pass an honest worksheet, and name no slip
for random (non-slip) errors.
"""
from __future__ import annotations

import copy
import csv
import json
import math
import random
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest

from make_project import no_file_named_x, project  # noqa: F401 (the fixture: a copy of the project)
from conftest import requires_tex
from solver.questions.q3_mlp import QUESTION as Q3
from solver import config
from solver.check import compare, worksheet
from solver.check.formula import Unreadable, parse
from solver.check.slips import by_id

REPO = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------- the homework's data, typed in again

X = [[-0.7411, -0.5078, -0.3206], [0.0983, -0.0308, -0.3728], [0.0414, 0.2323, -0.2365], [-0.7342, 0.4264, 2.0237]]
Y = [[0, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
W1 = [[1.6035, -1.5062, 0.2761], [1.2347, -0.4446, -0.2612], [-0.2296, -0.1559, 0.4434]]
B1 = [0.3919, -1.2507, -0.9480]
W2 = [[0.0125, 1.2424, 0.3503], [-3.0292, -1.0667, -0.0290], [-0.4570, 0.9337, 0.1825]]
B2 = [-1.5651, -0.0845, 1.6039]
LR = 0.01
Z, Z_HAT, DELTA = [1.2, -0.4, 2.5, 0.0], [0.9, -0.2, 1.0, 2.0], 0.5

Q3_SLIPS = [s.id for s in by_id().values() if "q3" in s.parts]
Q2_SLIPS = ["mean_omitted", "no_clipping", "sign", "linear_branch_unsigned"]


def r4(x):
    """Round to 4 decimals, elementwise, as a student writes numbers down."""
    return [r4(v) for v in x] if isinstance(x, list) else round(x, 4)


def matvec(W, x, transposed=False):
    n_out = len(W[0]) if transposed else len(W)
    return [sum((W[j][i] if transposed else W[i][j]) * x[j] for j in range(len(x))) for i in range(n_out)]


def student_q3(slip: str | None = None, iterations: int = 2) -> dict:
    """The student's worked iterations (sgd, sample k in iteration k), rounding as they go."""
    W1_, b1_, W2_, b2_ = copy.deepcopy((W1, B1, W2, B2))
    lr = 0.1 if slip == "learning_rate" else LR
    out = []
    for k in range(iterations):
        s = k
        if slip == "wrong_sample" and k == 1:
            s = 0                                   # sample 1 again in iteration 2
        x, y = X[s], Y[s]
        if slip == "stale_parameters" and k == 1:
            W1_, b1_, W2_, b2_ = copy.deepcopy((W1, B1, W2, B2))
        z1 = r4([v + (0 if slip == "bias_omitted" else b) for v, b in
                 zip(matvec(W1_, x, transposed=slip == "transposed_weights" and k == 0), b1_)])
        a1 = r4(list(z1) if slip == "relu_omitted" else [max(v, 0.0) for v in z1])
        z2 = r4([v + (0 if slip == "bias_omitted" else b) for v, b in zip(matvec(W2_, a1), b2_)])
        e = [math.exp(max(v, 0.0) if slip == "relu_on_z2" else v) for v in z2]
        p = r4([v / sum(e) for v in e])
        log = math.log10 if slip == "log_base" else math.log
        t = y.index(1)
        loss = r4(-log(p[t]))
        if slip == "binary_cross_entropy":
            loss = r4(-sum(yc * math.log(pc) + (1 - yc) * math.log(1 - pc) for pc, yc in zip(p, y)))
        d2 = r4([(yc - pc) if slip == "delta_sign" else pc if slip == "delta_without_y" else (pc - yc)
                 for pc, yc in zip(p, y)])
        gW2 = r4([[d2[i] * a1[j] for j in range(3)] for i in range(3)])
        if slip == "gradient_transposed":
            gW2 = [list(col) for col in zip(*gW2)]
        da1 = matvec(W2_, d2, transposed=True)
        d1 = r4(list(da1) if slip == "relu_mask_omitted" else [v if z > 0 else 0.0 for v, z in zip(da1, z1)])
        xg = X[0] if slip == "gradient_wrong_sample" and k == 1 else x     # ∂L/∂W₁ with sample 1's x again
        gW1 = r4([[d1[i] * xg[j] for j in range(3)] for i in range(3)])
        if slip == "gradient_transposed":
            gW1 = [list(col) for col in zip(*gW1)]
        sign = 1 if slip == "update_sign" else -1
        W1_ = r4([[W1_[i][j] + sign * lr * gW1[i][j] for j in range(3)] for i in range(3)])
        b1_ = r4([b1_[i] + sign * lr * d1[i] for i in range(3)])
        W2_ = r4([[W2_[i][j] + sign * lr * gW2[i][j] for j in range(3)] for i in range(3)])
        b2_ = r4([b2_[i] + sign * lr * d2[i] for i in range(3)])
        out.append({"index": k + 1, "samples": [s + 1], "loss": loss,
                    "forward": [{"sample": s + 1, "z1": z1, "a1": a1, "z2": z2, "p": p, "loss": loss}],
                    "grads": {"W1": gW1, "b1": d1, "W2": gW2, "b2": d2},
                    "params_after": {"W1": W1_, "b1": b1_, "W2": W2_, "b2": b2_}})
    return {"q3": {"iterations": out}}


def student_q2(slip: str | None = None) -> dict:
    N = len(Z)
    J_i, dJ = [], []
    for z, zh in zip(Z, Z_HAT):
        r = z - zh
        J_i.append(r4(0.5 * r * r if abs(r) <= DELTA else DELTA * abs(r) - 0.5 * DELTA ** 2))
        g = r if (abs(r) <= DELTA or slip == "no_clipping") else (DELTA if r > 0 or slip == "linear_branch_unsigned"
                                                                  else -DELTA)
        dJ.append(r4((-g if slip == "sign" else g) / (1 if slip == "mean_omitted" else N)))
    J = r4(sum(J_i) / (1 if slip == "mean_omitted" else N))
    return {"q2": {"example": {"J": J, "dJ_dz": dJ}}}


@pytest.fixture(scope="module")
def cfg() -> config.Config:
    return config.load(None, [])


# ---------------------------------------------------------------- Q3: honest work, each slip

def test_honest_worksheet_has_nothing_wrong(cfg):
    report = compare.check(cfg, {**student_q3(), **student_q2()})
    wrong = [(i.path, i.given, i.expected) for i in report.items if i.verdict not in ("correct", "missing")]
    assert wrong == []
    assert sum(i.verdict == "correct" for i in report.items) == 30


def test_expected_values_are_the_answer_key(cfg):
    from solver.questions.q3_mlp import solve as q3_mlp

    key = q3_mlp.answers(Q3.solve(cfg))
    items = compare.check(cfg, {}).by_path()
    for it in range(2):
        for name in ("W1", "b1", "W2", "b2"):
            for group in ("grads", "params_after"):
                path = f"q3.iterations[{it}].{group}.{name}"
                assert np.allclose(items[path].expected, key["iterations"][it][group][name], rtol=0, atol=1e-12)
        assert items[f"q3.iterations[{it}].loss"].expected == pytest.approx(key["iterations"][it]["loss"])


@pytest.mark.parametrize("slip", Q3_SLIPS)
def test_q3_slip_is_named_at_the_first_affected_quantity_and_later_ones_follow(cfg, slip):
    report = compare.check(cfg, student_q3(slip))
    items = [i for i in report.items if i.path.startswith("q3.")]
    flagged = [i for i in items if i.verdict != "correct"]
    assert flagged, f"{slip}: nothing flagged"
    first = flagged[0]
    assert first is report.first_wrong
    assert (first.verdict, first.slip) == ("wrong", slip), (first.path, first.given, first.expected)
    # later: the same slip made again, or right for the student's own values
    later = [(i.path, i.verdict, i.slip) for i in flagged[1:] if not (i.verdict == "follows" or i.slip == slip)]
    assert later == []
    assert any(i.verdict == "follows" for i in flagged), f"{slip}: nothing follows from {first.path}"


@pytest.mark.parametrize("slip", Q2_SLIPS)
def test_q2_example_slip_is_named(cfg, slip):
    report = compare.check(cfg, student_q2(slip))
    items = report.by_path()
    first = report.first_wrong
    assert (first.verdict, first.slip) == ("wrong", slip)
    dJ = items["q2.example.dJ_dz"]
    # the 1/N left out of J and of ∂J/∂z is one mistake: counted once, at J
    assert dJ.slip == slip or (first.path == "q2.example.J" and dJ.verdict == "follows" and slip in dJ.note)
    assert items["q2.example.J"].verdict == ("wrong" if slip == "mean_omitted" else "correct")


def test_random_errors_are_not_called_slips(cfg):
    """1,000 random perturbations of single entries of an honest worksheet: a slip is named
    for at most 1% of them, and the changed quantity is flagged."""
    honest = {**student_q3(), **student_q2()}
    paths = [i.path for i in compare.check(cfg, honest).items if i.verdict == "correct"]
    rng = random.Random(20261126)
    named, flagged, started = [], 0, time.perf_counter()
    for _ in range(1000):
        work = copy.deepcopy(honest)
        path = rng.choice(paths)
        parent, key = _slot(work, path)
        value = parent[key]
        offset = rng.choice((-1, 1)) * 10 ** rng.uniform(-3, 0)
        if isinstance(value, list):
            cell = rng.randrange(len(value))
            if isinstance(value[cell], list):
                row, cell = value[cell], rng.randrange(len(value[cell]))
                row[cell] = round(row[cell] + offset, 4)
            else:
                value[cell] = round(value[cell] + offset, 4)
        else:
            parent[key] = round(value + offset, 4)
        report = compare.check(cfg, work)
        flagged += report.by_path()[path].verdict == "wrong"
        named += [(path, i.path, i.slip) for i in report.items if i.slip]
    assert len(named) <= 10, named
    assert flagged >= 950
    assert time.perf_counter() - started < 20


def _slot(work: dict, path: str):
    parent, key = None, None
    node = work
    for part in path.replace("]", "").split("."):
        name, *idx = part.split("[")
        parent, key, node = node, name, node[name]
        for i in idx:
            parent, key, node = node, int(i), node[int(i)]
    return parent, key


def test_odd_values_are_wrong_not_crashes(cfg):
    """A vector of the wrong length, a huge number, a boolean-free table: wrong, and the checker goes on."""
    work = student_q3()
    fwd = work["q3"]["iterations"][0]["forward"][0]
    fwd["z1"] = [1.0, 2.0, 3.0, 4.0]
    fwd["p"] = [1e300, 0.0, -1e300]
    work["q3"]["iterations"][0]["params_after"]["W1"] = [[1.0, 2.0], [3.0, 4.0]]
    items = compare.check(cfg, work).by_path()
    assert items["q3.iterations[0].forward[0].z1"].note == "shape 4, expected 3"
    assert items["q3.iterations[0].forward[0].a1"].verdict == "correct"
    assert items["q3.iterations[0].forward[0].p"].verdict == "wrong"
    assert items["q3.iterations[0].params_after.W1"].note == "shape 2×2, expected 3×3"
    assert items["q3.iterations[1].forward[0].z1"].verdict == "correct"


def test_tolerance_follows_from_rounding(cfg):
    """A value off by the rounding a student is allowed is correct; 3 units further is not."""
    work = student_q3()
    exact = compare.check(cfg, {}).by_path()["q3.iterations[0].forward[0].z1"].expected
    work["q3"]["iterations"][0]["forward"][0]["z1"] = [v + 0.5e-4 for v in exact]
    assert compare.check(cfg, work).by_path()["q3.iterations[0].forward[0].z1"].verdict == "correct"
    work["q3"]["iterations"][0]["forward"][0]["z1"] = [exact[0] + 3e-4, *exact[1:]]
    assert compare.check(cfg, work).by_path()["q3.iterations[0].forward[0].z1"].verdict == "wrong"


# ---------------------------------------------------------------- formulas

Q1_RIGHT = ["(h - y) * h * (1 - h) * x_j / m", "-(y - h) * h * (1 - h) * x_j / m",
            "x_j * (h**2 - h**3 - y*h + y*h**2) / m", "1/m * (h-y) * (h - h^2) * x_j", "(h − y)·h·(1 − h)·x_j/m"]
Q2_RIGHT = ["Piecewise(((z - z_hat)/N, abs(z - z_hat) <= delta), (delta*sign(z - z_hat)/N, True))",
            "clip(z - z_hat, -delta, delta) / N", "max(-delta, min(delta, z - z_hat)) / N",
            "-clip(z_hat - z, -delta, delta) / N",
            "Piecewise((z/N - z_hat/N, -delta <= z - z_hat <= delta), (delta/N, z - z_hat > delta), (-delta/N, True))"]
Q1_SLIPS = [("(h - y) * x_j / m", "sigmoid_derivative_omitted"), ("(h - y) * h * (1 - h) * x_j", "mean_omitted"),
            ("(y - h) * h * (1 - h) * x_j / m", "sign"), ("(h - y) * x_j", "bce_gradient"),
            ("(h - y) * h * (1 - h) * x_j / (2*m)", "factor_two")]
Q2_FORMULA_SLIPS = [("clip(z - z_hat, -delta, delta)", "mean_omitted"), ("(z - z_hat)/N", "no_clipping"),
                    ("clip(z_hat - z, -delta, delta)/N", "sign"),
                    ("Piecewise(((z - z_hat)/N, abs(z - z_hat) <= delta), (delta/N, True))", "linear_branch_unsigned")]


@pytest.mark.parametrize("text", Q1_RIGHT)
def test_q1_equivalent_forms_accepted(cfg, text):
    assert compare.check(cfg, {"q1": {"gradient": text}}).by_path()["q1.gradient"].verdict == "correct"


@pytest.mark.parametrize("text", Q2_RIGHT)
def test_q2_equivalent_forms_accepted(cfg, text):
    assert compare.check(cfg, {"q2": {"gradient": text}}).by_path()["q2.gradient"].verdict == "correct"


@pytest.mark.parametrize("path,text,slip", [("q1", *c) for c in Q1_SLIPS] + [("q2", *c) for c in Q2_FORMULA_SLIPS])
def test_formula_slips_named(cfg, path, text, slip):
    item = compare.check(cfg, {path: {"gradient": text}}).by_path()[f"{path}.gradient"]
    assert (item.verdict, item.slip) == ("wrong", slip)


def test_wrong_formula_without_a_known_slip(cfg):
    item = compare.check(cfg, {"q1": {"gradient": "h * x_j"}}).by_path()["q1.gradient"]
    assert (item.verdict, item.slip, item.note) == ("wrong", None, "")


HOSTILE = [
    "__import__('os').system('touch /tmp/ck/pwned')", "open('/etc/passwd').read()", "(lambda: 1)()",
    "h.__class__.__bases__", "9**9**9", "(((2**10)**10)**10)**10", "((h**10)**10)**10", "h[0]", "'text'",
    "[h for h in ()]", "y if h else m", "h, y", "exec('1')", "eval('1')", "x_j(1)", "sign(h, key=1)",
    "(" * 300 + "h" + ")" * 300, "h + " * 150 + "h", "1e999", "y < h",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_runs_nothing_and_is_unreadable(cfg, text):
    started = time.perf_counter()
    item = compare.check(cfg, {"q1": {"gradient": text}}).by_path()["q1.gradient"]
    assert time.perf_counter() - started < 1.0
    assert item.verdict == "wrong" and item.note.startswith("unreadable formula"), item.note
    assert not Path("/tmp/ck/pwned").exists()


def test_parser_builds_only_allowed_nodes():
    from solver.questions.q1_l2_logistic import check as q1

    grammar = q1.formula().grammar
    assert str(parse("(h - y)^2", grammar)) == "(h - y)**2"
    with pytest.raises(Unreadable):
        parse("abs(h)", grammar)          # not among Q1's functions


# ---------------------------------------------------------------- command line

def _cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "solver", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


def _main(capsys, *args: str) -> subprocess.CompletedProcess:
    """The command line in this process (the import of numpy and sympy is paid once)."""
    from solver.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


def test_worksheet_parses_and_filled_in_checks(cfg, tmp_path):
    text = worksheet.worksheet(cfg)
    sheet = tomllib.loads(text)
    assert "Piecewise" in text and "x_j" in text and "Q1(b)" in text
    it = sheet["q3"]["iterations"]
    assert [i["samples"] for i in it] == [[1], [2]]
    assert set(it[0]["forward"][0]) == {"sample", "z1", "a1", "z2", "p", "loss"}
    assert set(it[0]["params_after"]) == set(it[0]["grads"]) == {"W1", "b1", "W2", "b2"}
    assert (sheet["q1"]["gradient"], sheet["q2"]["gradient"], sheet["q2"]["example"]["dJ_dz"]) == ("", "", [])
    assert all(i.verdict == "missing" for i in compare.check(cfg, sheet).items)
    # filled in as a student would, it checks clean
    done = student_q3()["q3"]["iterations"]
    for mine, theirs in zip(it, done):
        for group in ("grads", "params_after"):
            mine[group].update(theirs[group])
        mine["forward"][0].update(theirs["forward"][0])
        mine["loss"] = theirs["loss"]
    report = compare.check(cfg, sheet)
    assert not report.any_wrong and sum(i.verdict == "correct" for i in report.items) == 28


def test_check_command_exit_codes_table_and_json(tmp_path, capsys):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(_merge(student_q3(), student_q2(), FORMULAS)))
    bad.write_text(json.dumps(student_q3("relu_mask_omitted")))
    run = _cli("check", str(good))                       # one real process: the exit status
    assert run.returncode == 0, run.stderr
    assert "✓ Iteration 2: the loss" in run.stdout and "Nothing is wrong." in run.stdout
    run = _main(capsys, "check", str(bad), "--json")
    assert run.returncode == 1, run.stderr
    data = json.loads(run.stdout)
    assert data["first_wrong"] == "q3.iterations[0].grads.b1"
    first = next(i for i in data["items"] if i["path"] == data["first_wrong"])
    assert (first["verdict"], first["slip"]) == ("wrong", "relu_mask_omitted")
    assert set(first) >= {"path", "verdict", "given", "expected", "slip"}
    assert first["label"] == "Iteration 1: ∂L/∂b₁"
    run = _main(capsys, "check", str(bad))
    assert "✗ Iteration 1: ∂L/∂b₁" in run.stdout and "→ Iteration 1: ∂L/∂W₁" in run.stdout
    assert "First wrong step in q3: Iteration 1: ∂L/∂b₁" in run.stdout and "ReLU mask" in run.stdout
    (tmp_path / "broken.toml").write_text("q3 = [")
    for name in ("broken.toml", "absent.toml"):
        run = _main(capsys, "check", str(tmp_path / name))
        assert run.returncode == 2 and run.stderr.count("\n") == 1 and run.stderr.startswith("error: "), run.stderr
    # text where a number belongs is reported with the rest checked (exit 1), not a stop (exit 2)
    (tmp_path / "text.json").write_text(json.dumps({"q3": {"iterations": [{"loss": "abc"}]}}))
    run = _main(capsys, "check", str(tmp_path / "text.json"))
    assert run.returncode == 1 and "unreadable (cannot read 'abc')" in run.stdout, run.stdout


# ---------------------------------------------------------------- grading a class

FORMULAS = {"q1": {"gradient": Q1_RIGHT[0]}, "q2": {"gradient": Q2_RIGHT[1]}}


def _merge(*parts: dict) -> dict:
    out: dict = {}
    for part in parts:
        for key, value in part.items():
            out[key] = {**out.get(key, {}), **value}
    return out


def _finals_only(work: dict) -> dict:
    its = work["q3"]["iterations"]
    return {"q3": {"iterations": [{"loss": its[0]["loss"], "params_after": its[0]["params_after"]},
                                  {"loss": its[1]["loss"]}]}}


# Marks by hand under the default rubric (q1a 15 over its factors: (h − y) 4, h(1 − h) 5, x_j 3,
# 1/m 3; q2 30 over its branches; q3_loss1 and q3_loss2 15, 3 for each of z1, a1, z2, p, loss;
# q3_params 20: the four gradients 2 each, the four parameters 3 each):
#  ada      everything right                                                    15 30 15 20 15 = 95
#  babbage  log10 for ln: each iteration's loss step wrong (3 lost twice); the
#           update (p − y) unaffected                                           15 30 12 20 12 = 89
#  curie    Q1 sign slip: (h − y)'s share lost (11); Q2 formula right (30; the
#           example has no points); θ + η∇L: only b2 moves (W1, b1, W2 have zero
#           gradient), its 3 lost; L(2) follows from her own b2               11 30 15 17 15 = 88
#  dirac    no formulas; δ₂ = y − p: ∂L/∂b₂ wrong (2 lost), everything after it
#           right for his own δ₂ (follows)                                       0  0 15 18 15 = 48
#  euler    Q1 without h(1 − h): 10; Q2 right; iteration 2 with the initial
#           parameters: z1 wrong (3 lost), z2 the same slip again (counted
#           once), the rest follows                                            10 30 15 20 12 = 87
#  feynman  only the asked answers; δ₁ without the ReLU mask in unwritten working:
#           L(1) right, its steps implied (15); W2, b2 right with ∂L/∂W₂, ∂L/∂b₂
#           implied (10); W1 wrong (3), ∂L/∂W₁ and ∂L/∂b₁ not shown right (4);
#           b1 the same slip again, counted once (3); L(2) right for his
#           own parameters, its steps implied (15)                               0  0 15 13 15 = 43
#  fermat   a TOML syntax error: not graded
EXPECTED = {
    "ada": (15, 30, 15, 20, 15, 95), "babbage": (15, 30, 12, 20, 12, 89), "curie": (11, 30, 15, 17, 15, 88),
    "dirac": (0, 0, 15, 18, 15, 48), "euler": (10, 30, 15, 20, 12, 87), "feynman": (0, 0, 15, 13, 15, 43),
}


def test_grade_a_small_class(tmp_path, capsys):
    subs = tmp_path / "subs"
    subs.mkdir()
    curie = _merge(student_q3("update_sign"), {"q1": {"gradient": Q1_SLIPS[2][0]}, "q2": FORMULAS["q2"]},
                   student_q2("mean_omitted"))
    curie["q2"]["example"].pop("J")
    classes = {
        "ada": _merge(FORMULAS, student_q3(), student_q2()),
        "babbage": _merge(FORMULAS, student_q3("log_base")),
        "curie": curie,
        "dirac": student_q3("delta_sign"),
        "feynman": _finals_only(student_q3("relu_mask_omitted")),
        "euler": _merge({"q1": {"gradient": Q1_SLIPS[0][0]}, "q2": FORMULAS["q2"]},
                        _finals_only(student_q3("stale_parameters")),
                        {"q3": {"iterations": [student_q3("stale_parameters")["q3"]["iterations"][0],
                                               student_q3("stale_parameters")["q3"]["iterations"][1]]}}),
    }
    for name, work in classes.items():
        (subs / f"{name}.json").write_text(json.dumps(work))
    (subs / "fermat.toml").write_text("[q3\n")
    out = tmp_path / "grades.csv"
    run = _main(capsys, "grade", str(subs), "--out", str(out))
    assert run.returncode == 0, run.stderr
    rows = {r["id"]: r for r in csv.DictReader(out.open())}
    assert list(next(csv.reader(out.open()))) == ["id", "name", "q1a", "q1b", "q2", "q3_loss1", "q3_params",
                                                  "q3_loss2", "total", "status", "reasons"]
    for name, marks in EXPECTED.items():
        got = tuple(float(rows[name][k]) for k in ("q1a", "q2", "q3_loss1", "q3_params", "q3_loss2", "total"))
        assert got == marks, (name, rows[name]["reasons"])
        assert rows[name]["q1b"] == ""                      # a person marks Q1(b)
    assert rows["ada"]["reasons"] == ""
    assert "update_sign" in rows["curie"]["reasons"] and "sign" in rows["curie"]["reasons"]
    assert rows["fermat"]["total"] == "" and "not graded" in rows["fermat"]["status"]
    assert "Q1(b)" in run.stdout and "log_base" in run.stdout and "natural logarithm" in run.stdout
    assert "q3.out_of" in run.stdout                        # Question 3's 40 against 15 + 20 + 15


def test_grade_against_variants(tmp_path, cfg, capsys):
    """A student graded against their own variant: values right for it are right."""
    subs, variants = tmp_path / "subs", tmp_path / "variants"
    subs.mkdir()
    (variants / "v1").mkdir(parents=True)
    (variants / "v1" / "config.toml").write_text("[q3]\nlearning_rate = 0.1\n")
    v1 = config.load(variants / "v1" / "config.toml", [])
    key = {"q3": {"iterations": [{"loss": i.expected} for i in compare.check(v1, {}).items
                                 if i.path.endswith("].loss") and "forward" not in i.path]}}
    (subs / "v1.json").write_text(json.dumps(key))
    (subs / "nobody.json").write_text(json.dumps(key))
    out = tmp_path / "g.csv"
    run = _main(capsys, "grade", str(subs), "--variants", str(variants), "--out", str(out))
    assert run.returncode == 0, run.stderr
    rows = {r["id"]: r for r in csv.DictReader(out.open())}
    assert (rows["v1"]["q3_loss1"], rows["v1"]["q3_loss2"]) == ("15", "15")
    assert "no variant" in rows["nobody"]["status"]


@pytest.mark.parametrize("slip", ["relu_mask_omitted", "delta_sign", "transposed_weights", "log_base"])
def test_slip_in_a_step_not_written_down(cfg, slip):
    """Only the asked answers given: a slip in the skipped working is still found where it shows."""
    report = compare.check(cfg, _finals_only(student_q3(slip)))
    first = report.first_wrong
    assert first is not None and first.slip in {slip, "update_sign"} | ({"learning_rate"} if slip == "delta_sign" else set())
    if slip != "delta_sign":      # p − y flipped and θ + η∇L give the same parameters
        assert first.slip == slip


@requires_tex
def test_feedback_pdf(tmp_path):
    from conftest import pdf_text

    work = tmp_path / "ada_l.json"
    work.write_text(json.dumps(_merge({"q1": {"gradient": "(h - y) * x_j / m % 5"}}, student_q3("relu_mask_omitted"))))
    out = tmp_path / "fb" / "feedback.pdf"
    run = _cli("check", str(work), "--pdf", str(out))
    assert run.returncode == 1, run.stderr
    text = pdf_text(out)
    assert "First wrong step: Q1(a): dL2/dtheta_j" in text and "unreadable formula" in text
    assert "relu_mask_omitted" in text and "First wrong step: Iteration 1: dL/db1" in text
    assert "0.3919" in text                                   # an expected b1 beside the student's
    assert [p.name for p in out.parent.iterdir()] == ["feedback.pdf"]


def test_readme_worked_example_is_what_check_prints(tmp_path, capsys, monkeypatch):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### A worked example"):readme.index("### What the marks mean")]
    toml_text = section.split("```toml\n")[1].split("```")[0]
    printed = section.split("$ python -m solver check mywork.toml\n")[1].split("$ echo $?")[0]
    (tmp_path / "mywork.toml").write_text(toml_text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    run = _main(capsys, "check", "mywork.toml")
    assert run.returncode == 1 and run.stdout == printed


@pytest.mark.parametrize("sets", [["q3.mode=batch"], ["q3.layout=xW", "q3.iterations=3"]])
def test_other_modes_and_layouts_check_clean(sets):
    """The answer key of a batch or xW build, rounded to 4 decimals, checks clean; one entry
    changed is wrong.  (The checker's steps are its own; the key comes from model.train.)"""
    from solver.questions.q3_mlp import solve as q3_mlp

    cfg = config.load(None, sets)
    key = q3_mlp.answers(Q3.solve(cfg))
    work = {"q3": json.loads(json.dumps(key), parse_float=lambda t: round(float(t), 4))}
    report = compare.check(cfg, work)
    assert not report.any_wrong and sum(i.verdict == "correct" for i in report.items) > 20
    work["q3"]["iterations"][0]["params_after"]["W2"][0][1] += 0.01
    assert compare.check(cfg, work).first_wrong.path == "q3.iterations[0].params_after.W2"


def test_make_targets_pass_paths_as_data(tmp_path, project):
    """make check/grade (in test_make's copy of the project): WORK, SUBMISSIONS, GRADES reach the
    solver as data, never as make or shell code."""
    p = project
    work = tmp_path / "my work's.json"
    work.write_text(json.dumps(student_q3("log_base")))
    run = p.make("-s", "check", f"WORK={work}")
    assert "✗ Iteration 1 (sample x⁽¹⁾): the loss" in run.stdout and run.returncode != 0, run.stderr
    run = p.make("-s", "check", "WORK=x';touch X;'$(shell touch X)")
    assert run.returncode != 0 and "error: x';touch X;'$(shell touch X)" in run.stderr, run.stderr
    subs = tmp_path / "class $(shell touch X)"
    subs.mkdir()
    (subs / "ada.json").write_text(json.dumps(student_q3()))
    run = p.make("-s", "grade", f"SUBMISSIONS={subs}", f"GRADES={tmp_path}/g;touch X.csv")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "g;touch X.csv").read_text().startswith("id,name,q1a,")
    assert no_file_named_x(p.path, tmp_path, subs)
