"""A question is one unit: a fourth question, made as the README says (copy a question's folder and
its template folder, edit, add its name to ORDER), is solved, drawn, typeset, answered, checked
and drawn as variants with nothing else edited; and a question reads only the inputs it declares."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EPOCH, REPO, pdf_text, requires_tex
from solver import config
from solver.pipeline import keys_of
from solver.questions import QUESTIONS, ORDER


def _fourth_question(project: Path) -> None:
    """Question 2 copied as question 4: its folder and templates, every "q2" of theirs now "q4",
    a title of its own, and its name added to the one ordered list."""
    questions = project / "solver" / "questions"
    shutil.copytree(questions / "q2_huber", questions / "q4_huber", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(project / "templates" / "q2", project / "templates" / "q4")
    for path in [*(questions / "q4_huber").rglob("*.py"), *(questions / "q4_huber").glob("*.toml"),
                 *(project / "templates" / "q4").glob("*.j2")]:
        text = re.sub(r"(?<![A-Za-z0-9])q2(?![0-9])", "q4", path.read_text(encoding="utf-8"))
        text = text.replace("Question 2", "Question 4").replace('"Huber loss"', '"Huber loss, once more"')
        path.write_text(text, encoding="utf-8")
    entry = questions / "q4_huber" / "__init__.py"   # its figure drawn in the submission too (README: edit it)
    entry.write_text(entry.read_text(encoding="utf-8").replace('study_only_figures=("huber",)', "study_only_figures=()"),
                     encoding="utf-8")
    assert "study_only_figures=()" in entry.read_text(encoding="utf-8")
    registry = questions / "__init__.py"
    text = registry.read_text(encoding="utf-8")
    assert 'ORDER = ("q1_l2_logistic", "q2_huber", "q3_mlp")' in text
    registry.write_text(text.replace('"q3_mlp")', '"q3_mlp", "q4_huber")'), encoding="utf-8")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("project")
    for name in ("solver", "templates"):
        shutil.copytree(REPO / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    _fourth_question(project)
    return project


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project), "SOURCE_DATE_EPOCH": EPOCH}
    return subprocess.run([sys.executable, "-m", "solver", *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=600)


@requires_tex
def test_a_copied_question_is_built_answered_and_typeset(project: Path) -> None:
    run = _run(project, "build", "--out", "out", "--set", "q4.delta=0.25", "--set", "report.decimals=3")
    assert run.returncode == 0, run.stderr
    answers = json.loads((project / "out" / "answers.json").read_text())
    assert list(answers) == ["q1", "q2", "q3", "q4"]
    # Question 4 is Question 2 with its own delta: the mean Huber gradient, computed here from its definition.
    z, z_hat = (config.load().resolved["q2"][k] for k in ("z", "z_hat"))
    r = [a - b for a, b in zip(z, z_hat)]
    expected = [(x if abs(x) <= 0.25 else 0.25 * (1 if x > 0 else -1)) / len(r) for x in r]
    assert answers["q4"]["example"]["dJ_dz"] == pytest.approx(expected, abs=1e-12)
    assert answers["q2"] == json.loads(_run(project, "answers").stdout)["q2"]   # its neighbours are unchanged
    text = pdf_text(project / "out" / "solutions.pdf")
    assert all(f"Question {k}" in text for k in (1, 2, 3, 4))
    assert (project / "out" / "figures" / "q4_huber.pdf").stat().st_size > 1000


def test_a_copied_question_has_its_worksheet_section_and_is_checked(project: Path) -> None:
    run = _run(project, "worksheet")
    assert run.returncode == 0, run.stderr
    assert "[q4" in run.stdout and "[q2" in run.stdout
    work = project / "work.toml"
    work.write_text(run.stdout, encoding="utf-8")
    checked = _run(project, "check", "--json", str(work))
    assert checked.returncode in (0, 1), checked.stderr
    assert any(item["path"].startswith("q4.") for item in json.loads(checked.stdout)["items"])


@requires_tex
def test_a_copied_question_is_drawn_anew_in_a_variant(project: Path) -> None:
    run = _run(project, "variants", "--n", "1", "--seed", "5", "--out", "variants", "--jobs", "1")
    assert run.returncode == 0, run.stderr
    variant = (project / "variants" / "variant-1" / "config.toml").read_text()
    base = _run(project, "answers")
    assert "[q4]" in variant and base.returncode == 0
    answers = json.loads((project / "variants" / "variant-1" / "answers.json").read_text())
    assert answers["q4"]["example"]["dJ_dz"] != json.loads(base.stdout)["q4"]["example"]["dJ_dz"]
    assert (project / "variants" / "variant-1" / "problems.pdf").exists()


# ---------------------------------------------------------------- a question reads what it declares

def test_solve_receives_exactly_its_own_inputs_and_the_report(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import import_module

    cfg = config.load()
    for q in QUESTIONS:
        module = import_module(q.solver)
        received = []
        monkeypatch.setattr(module, "solve", lambda *args: received.append(args) or "result")
        assert q.solve(cfg) == "result"
        [(inputs, report)] = received
        assert inputs is cfg.inputs[q.id] and report is cfg.report
        others = {row.name for r in QUESTIONS if r is not q for row in import_module(r.inputs).ROWS} - \
            {row.name for row in import_module(q.inputs).ROWS}
        for name in others:   # another question's input is not there to read: reading it fails loudly
            with pytest.raises(AttributeError):
                getattr(inputs, name)


def test_a_questions_key_follows_exactly_its_declared_inputs() -> None:
    base = keys_of(config.load())
    changed = keys_of(config.load(None, ["q2.delta=0.875"]))
    assert changed["q2"] != base["q2"]
    assert changed["q1"] == base["q1"] and changed["q3"] == base["q3"]
    decimals = keys_of(config.load(None, ["report.decimals=3"]))
    assert all(decimals[q] != base[q] for q in base)   # every question prints with the report's decimals
    named = keys_of(config.load(None, ["student.name=Probe"]))
    assert named == base                               # no question receives the student's name


def test_the_order_is_the_registry_and_the_document() -> None:
    assert [q.id for q in QUESTIONS] == ["q1", "q2", "q3"]
    assert len(ORDER) == len(QUESTIONS)


def test_the_code_in_every_key_covers_the_questions_code(tmp_path: Path) -> None:
    """A question's cached result is keyed by the code: an edit to its solve.py (not only to the
    engine's modules) is a new key."""
    from solver.engine import store

    package = tmp_path / "solver"
    shutil.copytree(REPO / "solver", package, ignore=shutil.ignore_patterns("__pycache__"))
    assert store.code_digest(package) == store.code_digest(store.PACKAGE) and store.PACKAGE == REPO / "solver"
    solve = package / "questions" / "q2_huber" / "solve.py"
    solve.write_text(solve.read_text() + "\n# an edit\n")
    assert store.code_digest(package) != store.code_digest(store.PACKAGE)
