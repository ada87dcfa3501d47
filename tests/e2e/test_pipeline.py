"""End to end: config → PDF, the CLI contract, reproducibility, failure behaviour."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from solver import cli, config
from conftest import DEFAULT_BUILD_ARGS, NAME, pdf_text, requires_tex

@pytest.fixture
def built(default_build: Path) -> Path:
    return default_build


@requires_tex
def test_pdf_shows_student_questions_and_pages(built: Path) -> None:
    from pypdf import PdfReader

    text = pdf_text(built / "solutions.pdf")
    assert NAME in text and "20261126" in text
    for heading in ("Question 1", "Question 2", "Question 3"):   # "About this document": tests/e2e/test_submission.py
        assert heading in text
    for restated in (
        "Using L2 loss for binary logistic classification",
        "Discuss why the L2 loss shouldn",
        "The Huber loss is usually used for regression tasks",
        "Stochastic gradient descent for MLP",
        "What's the loss function value of the 2nd iteration",
    ):
        assert restated in text.replace("’", "'"), restated
    reader = PdfReader(built / "solutions.pdf")
    pages = len(reader.pages)
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert reader.metadata.author == NAME
    assert "1 January 2026" in text


@requires_tex
def test_companions_are_written(built: Path) -> None:
    answers = json.loads((built / "answers.json").read_text())
    assert set(answers) >= {"q1", "q2", "q3"}
    assert (built / "solutions.tex").read_text().startswith("\\documentclass")
    assert sorted(p.suffix for p in (built / "figures").iterdir()) == [".pdf"] * len(list((built / "figures").iterdir()))
    # config.toml is the resolved config: loading it reproduces the same configuration.
    again = config.load(built / "config.toml")
    assert again.resolved == config.load(None, [f"student.name={NAME}", "student.id=20261126"]).resolved


@requires_tex
def test_same_config_same_bytes(built: Path, tmp_path: Path, fixed_date: str) -> None:
    code = cli.main(["build", "--out", str(tmp_path), *DEFAULT_BUILD_ARGS])
    assert code == 0
    assert (tmp_path / "solutions.pdf").read_bytes() == (built / "solutions.pdf").read_bytes()


@requires_tex
def test_latex_error_is_reported_and_keeps_the_last_pdf(
    copy_of_default_build: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fixed_date: str
) -> None:
    out = copy_of_default_build
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    from solver import latex

    real_render = latex.render

    def broken(*args: object, **kwargs: object) -> str:
        return real_render(*args, **kwargs).replace(r"\section*{Question 2}", "\\section*{Question 2}\n\\undefinedmacro")

    monkeypatch.setattr(latex, "render", broken)
    capsys.readouterr()
    assert cli.main(["build", "--out", str(out), "--set", "q3.learning_rate=0.5"]) == 1
    err = capsys.readouterr().err
    assert "Undefined control sequence" in err
    assert "> " in err and "\\undefinedmacro" in err  # the offending source line is shown
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before
    assert not [p for p in out.iterdir() if ".tmp" in p.name]


def test_answers_does_not_draw() -> None:
    code = (
        "import sys, io, contextlib\n"
        "from solver.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out: rc = main(['answers', '--set', 'q2.delta=1'])\n"
        "assert rc == 0 and 'matplotlib' not in sys.modules\n"
        "import json; print(json.loads(out.getvalue())['q2']['delta'])\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "1.0"


def test_make_help_lists_targets_and_variables() -> None:
    run = subprocess.run(["make", "-s", "help"], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    for word in ("make pdf", "make test", "make clean", "CONFIG=", "SET="):
        assert word in run.stdout
