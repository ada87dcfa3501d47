"""The rubric file, partial credit by steps and by formula pieces, numbers as students write
them, CSV cells and answer-key decimals: each against a reference written here."""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from solver import cells, config
from solver.check import compare, grade, rubric
from solver.check.numbers import NotANumber, number, toml_lines

REPO = Path(__file__).resolve().parents[2]
Z, Z_HAT, DELTA = [1.2, -0.4, 2.5, 0.0], [0.9, -0.2, 1.0, 2.0], 0.5


@pytest.fixture(scope="module")
def cfg() -> config.Config:
    return config.load(None, [])


# ---------------------------------------------------------------- the rubric file

def test_the_written_rubric_reads_back_as_the_defaults(tmp_path):
    base = rubric.defaults()
    path = tmp_path / "r.toml"
    path.write_text(rubric.toml_text(base), encoding="utf-8")
    assert rubric.load(path) == base
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    # the homework's points as written: Q1(a) 15, Q1(b) 15, Q2 30, Q3's parts 15 + 20 + 15 and out_of 50
    assert (data["q1"]["q1a"]["points"], data["q1"]["q1b"]["points"], data["q2"]["q2"]["points"]) == (15, 15, 30)
    assert [data["q3"][k]["points"] for k in ("q3_loss1", "q3_params", "q3_loss2")] == [15, 20, 15]
    assert data["q3"]["out_of"] == 50
    text = path.read_text(encoding="utf-8")
    assert "(40 points)" in text and "15 + 20 + 15 = 50" in text and "out_of decides" in text
    for part in data.values():                             # every part's shares add up to its points
        for table in (v for v in part.values() if isinstance(v, dict)):
            shares = [v for k, v in table.items() if k != "points"]
            assert not shares or sum(shares) == table["points"]


def test_out_of_40_scales_question_3(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text("[q3]\nout_of = 40\n", encoding="utf-8")
    r = rubric.load(path)
    possible = {p.key: r.possible(p) for p in r.columns()}
    assert (possible["q3_loss1"], possible["q3_params"], possible["q3_loss2"]) == (12, 16, 12)
    assert r.total == 15 + 15 + 30 + 40
    assert "q3.out_of" in r.discrepancies()[0] and "now 40" in r.discrepancies()[0]


def test_every_problem_of_a_rubric_file_at_once(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text("[rules]\nunwriten = true\n[q3.q3_loss1]\npoints = 15\nz1 = 10\n[q2.q2]\nbondary = 3\n"
                    "[q9]\n", encoding="utf-8")
    with pytest.raises(rubric.RubricError) as caught:
        rubric.load(path)
    problems = caught.value.problems
    assert len(problems) == 4, problems
    assert any("rules.unwriten" in p and "unwritten_steps_earn" in p for p in problems)
    assert any("did you mean boundary" in p for p in problems)
    assert any("add up to 22, not its points = 15" in p for p in problems)
    assert any("unknown key q9" in p for p in problems)


def test_a_rubric_error_is_exit_2_one_line_each(tmp_path):
    (tmp_path / "subs").mkdir()
    (tmp_path / "r.toml").write_text("[q3.q3_loss1]\nz1 = 10\n[q1.q1a]\nmean = -1\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "solver", "grade", str(tmp_path / "subs"), "--rubric",
                          str(tmp_path / "r.toml"), "--out", str(tmp_path / "g.csv")], capture_output=True, text=True,
                         cwd=REPO, timeout=300, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 2 and run.stderr.count("error: ") == 2, run.stderr   # the -1, and 10 + 12 ≠ 15
    assert not (tmp_path / "g.csv").exists()


# ---------------------------------------------------------------- partial credit

def _marks(cfg, work, r=None):
    r = r or rubric.defaults()
    return grade.mark("s", compare.check(cfg, work), r)


def test_unwritten_steps_earn_only_under_the_rule(cfg, tmp_path):
    final = {"q3": {"iterations": [{"loss": 1.8931}]}}   # the first loss alone, right
    assert _marks(cfg, final).parts["q3_loss1"].score == 15
    path = tmp_path / "r.toml"
    path.write_text("[rules]\nunwritten_steps_earn = false\n", encoding="utf-8")
    strict = _marks(cfg, final, rubric.load(path)).parts["q3_loss1"]
    assert strict.score == 3 and len(strict.reasons) == 4      # only the loss's own share


@pytest.mark.parametrize("text,expected", [
    ("(h - y) * h * (1 - h) * x_j / m", 15),
    ("(y - h) * h * (1 - h) * x_j / m", 11),          # the sign: (h − y)'s 4 lost
    ("(h - y) * x_j / m", 10),                         # h(1 − h) missing: 5 lost
    ("(h - y) * h * (1 - h) * x_j", 12),               # the 1/m missing: 3 lost
    ("2 * (h - y) * h * (1 - h) * x_j", 8),            # the 2 kept and no 1/m: 4 + 3 lost
    ("(h - y) * h * (1 - h) / m", 12),                 # x_j missing: 3 lost
    ("h * x_j", 0),                                    # three factors wrong: not this derivation
    ("(h - y)*h*(1 - h)*x_j/m + 1", 0),
    ("(h − y)·e^(log(h))·(1 − h)·x_j/m", 15),          # e^x, log, the minus and middle dot
    ("(h - y) * h * (1 - h) * x_j / m ** ", 0),        # unreadable
])
def test_q1a_by_its_factors(cfg, text, expected):
    assert _marks(cfg, {"q1": {"gradient": text}}).parts["q1a"].score == expected


@pytest.mark.parametrize("text,expected", [
    ("clip(z - z_hat, -delta, delta) / N", 30),
    ("clip(z - z_hat, -delta, delta)", 24),                                             # no 1/N
    ("(z - z_hat) / N", 15),                                                           # no linear branch, no boundary
    ("Piecewise(((z - z_hat)/N, abs(z - z_hat) <= delta), (delta/N, True))", 21),       # δ without sign(r)
    ("Piecewise(((z - z_hat)/N, abs(z - z_hat) <= 2*delta), (delta*sign(z - z_hat)/N, True))", 24),  # boundary at 2δ
    ("Piecewise((z - z_hat, abs(z - z_hat) <= delta), (delta*sign(z - z_hat)/N, True))", 24),  # 1/N on one branch
    ("(z - z_hat)**2 / (2*N)", 0),                                                     # the loss, not its derivative
])
def test_q2_by_its_branches(cfg, text, expected):
    assert _marks(cfg, {"q2": {"gradient": text}}).parts["q2"].score == expected


def _huber_grad_no_clip(z, zh):
    return (z - zh) / len(Z)                           # the student's own (wrong) formula r/N


def test_the_example_right_for_the_students_own_formula_follows(cfg, tmp_path):
    path = tmp_path / "r.toml"
    path.write_text("[q2.q2_example]\npoints = 4\nJ = 2\ndJ_dz = 2\n", encoding="utf-8")
    r = rubric.load(path)
    own = [round(_huber_grad_no_clip(z, zh), 4) for z, zh in zip(Z, Z_HAT)]
    work = {"q2": {"gradient": "(z - z_hat) / N", "example": {"dJ_dz": own}}}
    report = compare.check(cfg, work)
    item = report.by_path()["q2.example.dJ_dz"]
    assert (item.verdict, item.cause) == ("follows", "q2.gradient")
    marks = grade.mark("s", report, r)
    assert marks.parts["q2_example"].score == 2            # dJ_dz's share; J not given
    assert marks.parts["q2"].score == 15
    # the same numbers with a right formula are wrong: they follow from nothing
    work["q2"]["gradient"] = "clip(z - z_hat, -delta, delta) / N"
    assert compare.check(cfg, work).by_path()["q2.example.dJ_dz"].verdict == "wrong"


def test_blank_homework_scores_nothing_and_check_says_so(cfg, tmp_path, capsys):
    from solver.cli import main

    marks = _marks(cfg, {})
    assert marks.total == 0 and all(m.blank for m in marks.parts.values() if m.score is not None)
    sheet = tmp_path / "blank.toml"
    sheet.write_text('[q1]\ngradient = ""\n', encoding="utf-8")
    code = main(["check", str(sheet)])
    out = capsys.readouterr().out
    assert code == 1 and "Nothing is wrong." not in out and "Blank asked parts (5)" in out


# ---------------------------------------------------------------- numbers as students write them

@pytest.mark.parametrize("text,value", [
    ("313/800", 0.39125), ("−3/40", -0.075), ("-3/40", -0.075), ("+0.5", 0.5), ("1.2e-3", 0.0012),
    ("1.2E+2", 120.0), ("1.2×10^-3", 0.0012), ("1.2 * 10**(-3)", 0.0012), (" 0.25 ", 0.25), ("3/-4", -0.75),
    (".5", 0.5), ("7", 7.0), (7, 7.0), (-0.1201, -0.1201),
])
def test_numbers_read(text, value):
    assert number(text) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("text", ["abc", "1/0", "9" * 5000, "1e999", "1.2.3", "2**3", "__import__('os')", True,
                                  10 ** 40, "", "1/2/3", "0x10"])
def test_not_numbers_refused(text):
    with pytest.raises(NotANumber):
        number(text)


def test_every_unreadable_value_reported_with_its_line_the_rest_checked(cfg, tmp_path, capsys):
    from solver.cli import main

    sheet = tmp_path / "w.toml"
    sheet.write_text('[[q3.iterations]]\nloss = "one point eight"\n\n[[q3.iterations.forward]]\n'
                     'z1 = ["−1201/10000", "-1.8562", "x"]\na1 = [0, 0, 0]\nz2 = [-1.5651, -0.0845, 1.6039]\n',
                     encoding="utf-8")
    assert main(["check", str(sheet)]) == 1
    out = capsys.readouterr().out
    assert "line 2: unreadable" in out and "line 5: unreadable (cannot read 'x')" in out
    assert "✓ Iteration 1 (sample x⁽¹⁾): z₂" in out            # the rest still checked


def test_a_5000_digit_integer_is_one_line(tmp_path):
    sheet = tmp_path / "huge.toml"
    sheet.write_text("[[q3.iterations]]\nloss = " + "9" * 5000 + "\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "solver", "check", str(sheet)], capture_output=True, text=True,
                         cwd=REPO, timeout=300, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "Traceback" not in run.stderr, run.stderr


def test_toml_lines_follow_arrays_of_tables():
    text = "[q1]\ngradient = ''\n[[q3.iterations]]\nloss = 1\n[[q3.iterations.forward]]\nz1 = []\n" \
           "[[q3.iterations]]\n[[q3.iterations.forward]]\nz1 = []\n[q3.iterations.grads]\nW1 = []\n"
    assert toml_lines(text) == {"q1.gradient": 2, "q3.iterations[0].loss": 4, "q3.iterations[0].forward[0].z1": 6,
                                "q3.iterations[1].forward[0].z1": 9, "q3.iterations[1].grads.W1": 11}


# ---------------------------------------------------------------- CSV cells and answer-key decimals

@pytest.mark.parametrize("cell,shown", [
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("−1", "'−1"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("Ada", "Ada"), ("-0.0745", "-0.0745"), ("12.5", "12.5"),
    ("1e-05", "1e-05"), ("", ""),
])
def test_cells_are_safe_from_formulas(cell, shown):
    assert cells.safe(cell) == shown


def _reference_decimal(x: float) -> str:
    """Round to 12 significant digits half away from zero on the decimal value, then the shortest repr."""
    d = Decimal(repr(x))
    rounded = d.quantize(Decimal(1).scaleb(d.adjusted() - 11), rounding="ROUND_HALF_UP")
    return repr(float(rounded))


@pytest.mark.parametrize("x", [0.04999999999999993, 0.1 + 0.2, -0.0745, 1 / 3, 2 / 3, 12345678.123456789, 3.3e-9,
                               -1.5651, 0.39125, 1e-12 / 3, 123456789012.5])
def test_answer_key_decimals(x):
    assert cells.decimal(x) == _reference_decimal(x)
    assert abs(float(cells.decimal(x)) - x) <= abs(x) * 1e-11


def test_answer_key_csv_is_safe(tmp_path):
    from solver import staff

    root = tmp_path / "v"
    (root / "a").mkdir(parents=True)
    answers = json.loads(subprocess.run([sys.executable, "-m", "solver", "answers"], capture_output=True, text=True,
                                        cwd=REPO, timeout=300, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
                                        ).stdout)
    (root / "a" / "answers.json").write_text(json.dumps(answers))
    job = staff.Job("=cmd|' /C calc'!A0", "a", 1, {}, ("=1+2", "@name"))
    text, _ = staff.answer_key([job], root, 1)
    row = text.splitlines()[1]
    assert row.startswith("'=1+2,'@name,1,") and "0.04999999999999" not in text
