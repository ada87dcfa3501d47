"""For teaching staff: seeded variants, per-student versions, problem sheets, answer keys, the summary.

The drawing is tested without LaTeX on many variants (its well-posedness recomputed here with
plain numpy, independently of the solver); the PDFs are built for one variant, twice.
"""
from __future__ import annotations

import csv
import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import EPOCH, REPO, pdf_text, requires_tex
from solver import cli, config, staff, variants
from solver.questions import QUESTIONS

BASE = config.load().resolved


# ---------------------------------------------------------------- an independent reference

def relu_softmax_sgd(q3: dict[str, Any]) -> tuple[np.ndarray, list[float]]:
    """z1 of the first sample and the losses of the first two SGD iterations, from scratch."""
    X, Y = np.array(q3["X"], float), np.array(q3["Y"], float)
    W1, b1, W2, b2 = (np.array(q3[k], float) for k in ("W1", "b1", "W2", "b2"))
    if q3["layout"] == "xW":
        W1, W2 = W1.T, W2.T
    losses, first_z1 = [], None
    for i in range(2):
        x, y = X[i % len(X)], Y[i % len(X)]
        z1 = W1 @ x + b1
        first_z1 = z1 if first_z1 is None else first_z1
        a1 = np.maximum(z1, 0)
        z2 = W2 @ a1 + b2
        p = np.exp(z2 - z2.max()) / np.exp(z2 - z2.max()).sum()
        losses.append(float(-np.log(p[y.argmax()])))
        d2 = p - y
        d1 = (W2.T @ d2) * (z1 > 0)
        lr = q3["learning_rate"]
        W1, b1, W2, b2 = W1 - lr * np.outer(d1, x), b1 - lr * d1, W2 - lr * np.outer(d2, a1), b2 - lr * d2
    return first_z1, losses


def huber_J(q2: dict[str, Any]) -> float:
    r = np.array(q2["z"]) - np.array(q2["z_hat"])
    d = q2["delta"]
    return float(np.mean(np.where(np.abs(r) <= d, r**2 / 2, d * np.abs(r) - d**2 / 2)))


# ---------------------------------------------------------------- drawing, no LaTeX

def test_variant_k_does_not_depend_on_n() -> None:
    three, ten = staff.numbered(BASE, 11, 3), staff.numbered(BASE, 11, 10)
    assert three[2].resolved == ten[2].resolved and three[2].seed == ten[2].seed
    assert len({json.dumps(job.resolved["q3"]) for job in ten}) == 10  # and they do differ


def test_a_students_variant_does_not_depend_on_the_roster() -> None:
    roster = [(f"s{k:03d}", f"Student {k}") for k in range(30)]
    alone = staff.for_roster(BASE, 5, [roster[17]])[0]
    shuffled = random.Random(1).sample(roster, len(roster))
    among = {job.label: job for job in staff.for_roster(BASE, 5, shuffled)}["s017"]
    assert alone.resolved == among.resolved
    assert alone.resolved["student"] == {"name": "Student 17", "id": "s017", "date": ""}
    assert staff.for_roster(BASE, 6, [roster[17]])[0].resolved["q3"] != alone.resolved["q3"]  # the seed matters


@pytest.mark.parametrize("overrides, count", [
    ({}, 200),
    # the config's shapes and orientation: 5 samples, 2 inputs, 4 hidden units, 2 classes, z = W^T x + b
    ({"q3.X": [[0.1, 0.2]] * 5, "q3.Y": [[1, 0]] * 5, "q3.W1": [[0.1] * 4] * 2, "q3.b1": [0.0] * 4,
      "q3.W2": [[0.1] * 2] * 4, "q3.b2": [0.0] * 2, "q3.layout": "xW", "q2.delta": 1.0, "q2.z": [0.0] * 6,
      "q2.z_hat": [0.0] * 6}, 50),
])
def test_drawn_variants_are_well_posed(overrides: dict[str, Any], count: int) -> None:
    base = config.validate({**variants.flat(BASE), **overrides}).resolved
    for k in range(1, count + 1):
        v = variants.variant(base, 2026, k)
        config.validate(variants.flat(v))
        q3 = v["q3"]
        X, Y = np.array(q3["X"]), np.array(q3["Y"])
        assert X.shape == np.shape(base["q3"]["X"]) and Y.shape == np.shape(base["q3"]["Y"])
        assert np.shape(q3["W1"]) == np.shape(base["q3"]["W1"]) and np.shape(q3["W2"]) == np.shape(base["q3"]["W2"])
        assert ((Y == 0) | (Y == 1)).all() and (Y.sum(axis=1) == 1).all()
        for name in ("X", "W1", "b1", "W2", "b2"):
            assert np.array_equal(np.round(q3[name], 4), np.array(q3[name])), name  # 4 decimals, as the homework
        z1, losses = relu_softmax_sgd(q3)
        assert (z1 > 0).any(), k
        assert all(np.isfinite(loss) and loss > 0.05 for loss in losses), (k, losses)
        J = huber_J(v["q2"])
        assert np.isfinite(J) and J > 0
        assert v["q2"]["delta"] == base["q2"]["delta"] and len(v["q2"]["z"]) == len(base["q2"]["z"])
        # everything else is the configuration's
        assert {s: t for s, t in v.items() if s not in ("q2", "q3")} == {s: t for s, t in base.items() if s not in ("q2", "q3")}


def test_the_well_posedness_check_can_fail() -> None:
    v = variants.variant(BASE, 1, 1)
    dead = {**v, "q3": {**v["q3"], "b1": [-100.0] * len(v["q3"]["b1"])}}
    assert any("no hidden unit active" in p for p in variants.flaws(dead))
    sure = {**v, "q3": {**v["q3"], "W2": (100 * np.eye(3)).tolist(), "b2": [0.0] * 3}}
    sure["q3"]["Y"] = [[1, 0, 0]] * 4
    sure["q3"]["b1"] = [50.0, -50.0, -50.0]
    assert any("expected between" in p for p in variants.flaws(sure))
    one_branch = {**v, "q2": {**v["q2"], "z": [0.0] * 4, "z_hat": [0.1] * 4}}
    assert any("both branches" in p for p in variants.flaws(one_branch))


# ---------------------------------------------------------------- the roster

def roster(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "students.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, message", [
    ("name,student\nAda,1\n", "no column id (found: name, student)"),
    ("id\n1\n", "no column name"),
    ("name,id\nAda,1\nBob,2\nCy,1\n", "line 4: duplicate id '1' (also on line 2)"),
    ("id,name\n,Ada\n", "line 2: empty id"),
    ("id,name\n../x,Ada\n", "id '../x' is not safe as a directory name"),
    ("id,name\na b,Ada\n", "id 'a b' is not safe"),
    ("id,name\n", "no students"),
])
def test_a_bad_roster_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(config.ConfigError) as error:
        staff.read_roster(roster(tmp_path, text), BASE)
    assert len(error.value.problems) == 1 and message in error.value.problems[0], error.value.problems


def test_a_roster_in_any_column_order(tmp_path: Path) -> None:
    path = roster(tmp_path, "name,email,id\n Ada Lovelace ,a@x, 1155 \nBob,b@x,A-2\n")
    assert staff.read_roster(path, BASE) == [("1155", "Ada Lovelace"), ("A-2", "Bob")]


def test_a_bad_roster_exits_2_before_writing(tmp_path: Path) -> None:
    path = roster(tmp_path, "id,name\n1,Ada\n1,Bob\n")
    run = subprocess.run([sys.executable, "-m", "solver", "variants", "--roster", str(path), "--seed", "1",
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=REPO,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, timeout=300)
    assert run.returncode == 2
    assert run.stderr.splitlines() == [f"error: --roster {path}, line 3: duplicate id '1' (also on line 2)"]
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- failures do not stop the others

def test_a_failing_variant_does_not_stop_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    def fake(job: staff.Job, root: Path) -> None:  # runs in the forked workers
        if job.label == "2":
            raise RuntimeError("LaTeX exploded\nsecond line")
        (root / job.directory).mkdir(parents=True)
        q3 = job.resolved["q3"]
        after = {name: q3[name] for name in ("W1", "b1", "W2", "b2")}
        given = {"q2": {"example": {"J": 0.5, "dJ_dz": q3["b2"]}},
                 "q3": {"iterations": [{"loss": 1.0, "params_after": after}, {"loss": 2.0}]}}
        (root / job.directory / "answers.json").write_text(json.dumps(given))

    monkeypatch.setattr(staff, "build_variant", fake)
    monkeypatch.setattr("solver.engine.toolchain.require", lambda: None)
    assert cli.main(["variants", "--n", "3", "--seed", "4", "--out", str(tmp_path), "--jobs", "2"]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert err[0].startswith("error: variant-2: RuntimeError: LaTeX exploded (see ") and len(err) == 2
    assert "1 of 3 variants failed: variant-2" in err[1]
    rows = list(csv.DictReader((tmp_path / "answer-key.csv").open()))
    assert [r["variant"] for r in rows] == ["1", "3"]


# ---------------------------------------------------------------- one variant built twice

@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, default_build: Path) -> tuple[Path, Path]:
    """`variants --n 1 --seed 7` run twice, at the same time, into two directories (after the session's
    default build, so that both find the derivations and the formats in the user cache, as a TA's do)."""
    root = tmp_path_factory.mktemp("variants")
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONPATH": os.pathsep.join(sys.path)}
    runs = [subprocess.Popen([sys.executable, "-m", "solver", "variants", "--n", "1", "--seed", "7", "--jobs", "1",
                              "--out", str(root / name)], cwd=REPO, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    return root / "a", root / "b"


@requires_tex
def test_same_seed_same_bytes(built: tuple[Path, Path]) -> None:
    a, b = built
    for name in ("variant-1/answers.json", "variant-1/config.toml", "variant-1/problems.pdf",
                 "variant-1/solutions.pdf", "answer-key.csv", "answer-key.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert config.load(a / "variant-1" / "config.toml").resolved == variants.variant(BASE, 7, 1)


def asked_numbers(given: dict[str, Any]) -> dict[str, float]:
    """The answer key's columns, taken from answers.json by hand."""
    it = given["q3"]["iterations"]
    row = {"q3_loss1": it[0]["loss"], "q3_loss2": it[1]["loss"], "q2_J": given["q2"]["example"]["J"]}
    for name, value in it[0]["params_after"].items():
        for index in np.ndindex(np.shape(value)):
            row[f"{name}[{','.join(str(i + 1) for i in index)}]"] = float(np.asarray(value)[index])
    for i, d in enumerate(given["q2"]["example"]["dJ_dz"], 1):
        row[f"q2_dJ_dz[{i}]"] = d
    return row


@requires_tex
def test_the_answer_key_agrees_with_answers_json(built: tuple[Path, Path]) -> None:
    root = built[0]
    rows = list(csv.DictReader((root / "answer-key.csv").open()))
    assert len(rows) == 1 and rows[0]["variant"] == "1" and int(rows[0]["seed"]) == variants.seed_of(7, 1)
    expected = asked_numbers(json.loads((root / "variant-1" / "answers.json").read_text()))
    got = {k: v for k, v in rows[0].items() if k not in ("variant", "seed")}
    assert set(got) == set(expected)
    for k, v in got.items():   # 12 significant digits, the shortest decimal of them (0.05, not 0.04999999999999993)
        assert float(v) == pytest.approx(expected[k], rel=1e-11, abs=1e-300) and len(v.lstrip("-")) <= 19, (k, v)
    key = json.loads((root / "answer-key.json").read_text())
    assert key["seed"] == 7 and key["variants"][0]["answers"] == expected


def shown(x: float) -> str:
    """A number as the PDF prints it at 4 decimals, as pdftotext reads it."""
    return f"{x:.4f}".replace("-", "−")


def text_of(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@requires_tex
def test_the_problem_sheet_holds_the_question_and_no_solution(built: tuple[Path, Path]) -> None:
    variant = built[0] / "variant-1"
    text = text_of(variant / "problems.pdf")
    drawn = config.load(variant / "config.toml").resolved
    given = json.loads((variant / "answers.json").read_text())
    assert "Stochastic gradient descent for MLP" in text and "Huber loss" in text
    assert shown(drawn["q3"]["X"][0][0]) in text and shown(drawn["q3"]["W2"][2][1]) in text  # this variant's data
    assert "Solution" not in text and "Answer" not in text
    it = given["q3"]["iterations"]
    secret = [it[0]["loss"], it[1]["loss"], given["q2"]["example"]["J"]]
    for name, after in it[0]["params_after"].items():
        before = np.asarray(drawn["q3"][name])
        secret += [x for x, x0 in zip(np.ravel(after), np.ravel(before)) if round(x, 4) != round(x0, 4)]
    assert len(secret) > 3
    for x in secret:
        assert shown(x) not in text, x
    assert shown(it[0]["loss"]) in text_of(variant / "solutions.pdf")  # the check itself can see numbers


@requires_tex
def test_the_summary_links_to_where_each_answer_is_worked(built: tuple[Path, Path]) -> None:
    from pypdf import PdfReader

    variant = built[0] / "variant-1"
    reader = PdfReader(variant / "solutions.pdf")
    pages = [" ".join((page.extract_text() or "").split()) for page in reader.pages]
    given = json.loads((variant / "answers.json").read_text())
    it = given["q3"]["iterations"]
    # the quantities each anchor must show: the boxed values at 4 decimals (pypdf reads minus as "−" or "-")
    expected = {
        "answer:q3-iteration1": [it[0]["loss"]],
        "answer:q3-update1": [*np.ravel(it[0]["params_after"]["W1"]), *it[0]["params_after"]["b2"]],
        "answer:q3-iteration2": [it[1]["loss"]],
        "answer:q2-formula": [],
        "answer:q1a": [],
    }
    # the submission edition (the default) summarises what the homework asks: not Question 2's illustrative example
    assert set(expected) == {a.anchor for q in QUESTIONS for a in q.asked if not a.example}
    named = {name: reader.get_destination_page_number(dest) for name, dest in reader.named_destinations.items()}
    first = next(i for i, text in enumerate(pages) if "Answer summary" in text)
    last = next(i for i, text in enumerate(pages) if "Using L2 loss for binary logistic classification" in text)
    summary_text = " ".join(pages[first:last + 1])
    links = [annot.get_object() for page in reader.pages[first:last + 1] for annot in page.get("/Annots", [])
             if annot.get_object().get("/Subtype") == "/Link"]
    targets = {str(link["/A"]["/D"]) for link in links if "/A" in link and "/D" in link["/A"]}
    assert targets == set(expected)
    for anchor, numbers in expected.items():
        page = " ".join(pages[named[anchor]:named[anchor] + 2])  # the working starts there and may run onto the next
        assert named[anchor] >= last
        for x in numbers:
            assert re.search(re.escape(f"{abs(x):.4f}"), page), (anchor, x, named[anchor])
    shown = [it[0]["loss"], it[1]["loss"], *np.ravel(it[0]["params_after"]["W1"]), *it[0]["params_after"]["b2"]]
    assert all(f"{abs(x):.4f}" in summary_text for x in shown)  # the summary shows them too
    assert re.search(r"∂L2|∂ ?L ?2", pages[named["answer:q1a"]])  # Question 1(a)'s boxed gradient is there


# ---------------------------------------------------------------- make variants, make problems

@pytest.mark.parametrize("args, expected", [
    (["variants", "N=3", "SEED=5", "JOBS=2"],
     ["-m", "solver", "variants", "--n=3", "--seed=5", "--out=build/variants", "--jobs=2", "--sets="]),
    (["variants", "ROSTER=my list;touch X.csv", "SEED=$(shell touch X)", "OUT=o", "SET=q2.delta=1"],
     ["-m", "solver", "variants", "--roster=my list;touch X.csv", "--seed=$(shell touch X)", "--out=o",
      "--sets=q2.delta=1"]),
    (["problems", "CONFIG=v2.toml"], ["-m", "solver", "problems", "--out=build", "--config=v2.toml", "--sets="]),
])
def test_make_passes_the_values_as_data(tmp_path: Path, args: list[str], expected: list[str]) -> None:
    """`make variants`/`make problems` hand N, SEED, JOBS, ROSTER, OUT, CONFIG, SET to the solver as argv,
    never through make's or the shell's expansion (a stand-in python records its argv)."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy2(REPO / "Makefile", project / "Makefile")
    shutil.copytree(REPO / "scripts", project / "scripts")
    (project / ".venv" / "bin").mkdir(parents=True)
    log = project / "argv.json"
    python = project / ".venv" / "bin" / "python"
    python.write_text(f"#!{sys.executable}\nimport json, sys\nopen({str(log)!r}, 'w').write(json.dumps(sys.argv[1:]))\n")
    python.chmod(0o755)
    for name in ("pyproject.toml", "setup.py", "requirements.lock"):
        (project / name).touch()
    (project / ".venv" / ".installed").touch()
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in ("pdflatex",):
        (tools / tool).write_text("#!/bin/sh\nexit 0\n")
        (tools / tool).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "OUT", "CONFIG", "SET",
                                                            "N", "SEED", "JOBS", "ROSTER") and not k.startswith("HW_")}
    env["PATH"] = f"{tools}{os.pathsep}{env['PATH']}"
    run = subprocess.run(["make", "--no-print-directory", "-C", str(project), *args], capture_output=True, text=True,
                         env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert json.loads(log.read_text()) == expected
    assert not list(project.rglob("X*"))


def test_upload_names_copy_each_students_pdfs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--upload-names: <id>_solutions.pdf and <id>_problems.pdf beside the PDFs the pipeline wrote,
    whose configuration carries the student's name and ID (stand-ins for the two builds)."""
    from solver import pipeline

    seen: list[tuple[str, str]] = []

    def write(cfg: config.Config, out: Path, document: str, say: Any = None) -> Path:
        seen.append((cfg.student.name, cfg.student.id))
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{document}.pdf").write_text(f"{document}.pdf for {cfg.student.name}")
        return out / f"{document}.pdf"

    monkeypatch.setattr(pipeline, "build", write)
    job = staff.for_roster(BASE, 3, [("A-7", "Ada Lovelace")], upload_names=True)[0]
    staff.build_variant(job, tmp_path)
    assert seen == [("Ada Lovelace", "A-7")] * 2
    assert (tmp_path / "A-7" / "A-7_solutions.pdf").read_text() == "solutions.pdf for Ada Lovelace"
    assert (tmp_path / "A-7" / "A-7_problems.pdf").read_text() == "problems.pdf for Ada Lovelace"
    assert sorted(p.name for p in (tmp_path / "A-7").iterdir()) == \
        ["A-7_problems.pdf", "A-7_solutions.pdf", "problems.pdf", "solutions.pdf"]


def test_a_failed_problem_sheet_compile_is_reported_and_leaves_no_latex_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LaTeX failing on problems.tex reaches the caller as its LatexError (the message the
    command line prints), with LaTeX's half-written files gone and no problems.pdf published."""
    from solver import pipeline
    from solver.engine import pdflatex as compile

    def failing(tex: Path, pending: object = None, ahead: object = None) -> Path:
        for suffix in (".aux", ".pdf"):
            tex.with_suffix(suffix).write_text("half-written")
        raise compile.LatexError("LaTeX error in problems.tex line 1: Undefined control sequence.")

    monkeypatch.setattr(compile, "pdf", failing)
    monkeypatch.setattr(compile.toolchain, "require", lambda: None)
    out = tmp_path / "out"
    with pytest.raises(compile.LatexError, match="Undefined control sequence"):
        pipeline.build(config.load(None), out, "problems", say=lambda _: None)
    assert not (out / "problems.pdf").exists()
    assert sorted(p.name for p in (out / ".work" / "problems").iterdir()) == ["problems.tex"]
