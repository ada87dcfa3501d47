"""The PDF a student hands in (report.edition = "submission", the default) and the complete one ("study"), from the
same templates: the submission is dated today, carries no tool name, version, file name or SymPy note, and is
shorter; a name of 120 letters without a space wraps in both."""
from __future__ import annotations

import calendar
import datetime
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, requires_tex

TOOL_WORDS = ("hw1-solver", "sympy", "answers.json", "config.toml", "0.1.0", "About this document", "Checked by")


def today_spelled() -> set[str]:
    """Today's local date as the title block writes it ('7 December 2026'), here and a moment later."""
    days = {datetime.date.today(), (datetime.datetime.now() + datetime.timedelta(minutes=10)).date()}
    return {f"{d.day} {calendar.month_name[d.month]} {d.year}" for d in days}


def build(out: Path, *sets: str, epoch: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = epoch
    args = [a for s in sets for a in ("--set", s)]
    run = subprocess.run([sys.executable, "-m", "solver", "build", "--out", str(out), *args], capture_output=True,
                         text=True, cwd=REPO, env={**env, "PYTHONPATH": str(REPO)}, timeout=600)
    assert run.returncode == 0, run.stderr
    return subprocess.run(["pdftotext", "-layout", str(out / "solutions.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout


def pages(out: Path) -> int:
    info = subprocess.run(["pdfinfo", str(out / "solutions.pdf")], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info)[1])


def empty_shares(out: Path, tmp: Path) -> list[float]:
    """Each page's share of its text area below the last ink on it (the footer left out), from the page images."""
    import numpy as np

    from solver.layout import PAGE, PAPER_HEIGHT_CM

    subprocess.run(["pdftoppm", "-gray", "-r", "36", str(out / "solutions.pdf"), str(tmp / "page")], check=True)
    shares = []
    for image in sorted(tmp.glob("page-*.pgm"), key=lambda f: int(f.stem.split("-")[1])):
        magic, width, height, _, pixels = image.read_bytes().split(maxsplit=4)
        assert magic == b"P5"
        ink = np.frombuffer(pixels, np.uint8)[:int(width) * int(height)].reshape(int(height), int(width)) < 128
        top, bottom = (round(int(height) * cm / PAPER_HEIGHT_CM) for cm in (PAGE.margin_cm, PAPER_HEIGHT_CM - PAGE.margin_cm))
        rows = np.flatnonzero(ink[top:bottom].any(axis=1))
        shares.append(1 - (rows[-1] if rows.size else 0) / (bottom - top))
    return shares


def last_pages_of_questions(out: Path, count: int) -> set[int]:
    """The 1-based pages that end a question (or the summary): the page before one that opens with a question's
    heading, and the last page."""
    ends = {count}
    for page in range(2, count + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(out / "solutions.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        lines = [line for line in text.splitlines() if line.strip()]
        if any(re.fullmatch(r"Question \d+", line.strip()) for line in lines[:3]):   # under the running header
            ends.add(page - 1)
    return ends


def overfull(out: Path) -> list[float]:
    """The overfull boxes of the compile, in points."""
    log = (out / ".work" / "solutions.log").read_text(errors="replace")
    return [float(x) for x in re.findall(r"Overfull \\[hv]box \(([\d.]+)pt too", log)]


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    base = tmp_path_factory.mktemp("editions")
    return {edition: (base / edition, build(base / edition, f"report.edition={edition}"))
            for edition in ("submission", "study")}


@requires_tex
def test_the_default_is_the_submission_dated_today_without_tool_notes(tmp_path: Path) -> None:
    text = build(tmp_path, "student.name=Ada Lovelace")
    assert any(day in text for day in today_spelled()), text[:400]
    for word in TOOL_WORDS:
        assert word.lower() not in text.lower(), word
    for words in ("Homework 1: Solutions", "Question 1", "Question 2", "Question 3", "Ada Lovelace",
                  "Answer summary", "Solution (a)", "Solution (b)", "Iteration 2"):
        assert words in text, words


@requires_tex
def test_the_submission_answers_what_is_asked_and_is_shorter(editions: dict[str, tuple[Path, str]],
                                                            tmp_path: Path) -> None:
    (submission, text), (study, full) = editions["submission"], editions["study"]
    # each asked quantity once in the summary, grouped under its question's label; no illustrative example there
    summary = text[text.index("Answer summary"):text.index("Question 1\n")]
    assert summary.count("the parameters after one update") == 1
    assert [label for label in re.findall(r"^\s*(Q\d)\s", summary, re.MULTILINE)] == ["Q1", "Q2", "Q3"], summary
    assert "worked example" not in summary
    assert "worked example" in full[full.index("Answer summary"):full.index("Question 1\n")]
    # the losses and the update asked for, as the homework's data give them (by hand: the default's known values)
    for value in ("1.8929", "3.0307", "−1.5654", "−0.0760", "1.5957"):
        assert value in summary, value
    count = pages(submission)
    assert count <= 8 < pages(study)
    # no page more than a third empty, except the last page of a question
    ends = last_pages_of_questions(submission, count)
    shares = empty_shares(submission, tmp_path)
    assert len(shares) == count
    assert [page for page, share in enumerate(shares, 1) if share > 1 / 3 and page not in ends] == [], shares
    assert overfull(submission) == [] and overfull(study) == []


@requires_tex
def test_the_study_edition_is_the_complete_document(editions: dict[str, tuple[Path, str]]) -> None:
    _, full = editions["study"]
    for words in ("About this document", "hw1-solver", "Checked by sympy", "other readings of the question",
                  "Question 3: verification", "In practice: gradient descent", "Worked example"):
        assert words in full, words


@requires_tex
def test_student_date_is_printed_as_given(tmp_path: Path) -> None:
    text = build(tmp_path, "student.date=Due 8 Dec. 2026", epoch="1767225600")
    assert "Due 8 Dec. 2026" in text and "1 January 2026" not in text


@requires_tex
@pytest.mark.parametrize("edition", ["submission", "study"])
def test_a_long_name_without_spaces_wraps(tmp_path: Path, edition: str) -> None:
    name = "Ab" * 60   # the schema's 120 characters
    text = build(tmp_path, f"student.name={name}", f"student.id={'7' * 120}", f"report.edition={edition}")
    assert [x for x in overfull(tmp_path) if x > 1] == []
    title = text[:text.index("Date:")]
    assert name not in title.replace("\n", "")   # broken over lines ...
    assert "".join(re.findall(r"(?:Ab)+", title)) == name   # ... with every letter printed
