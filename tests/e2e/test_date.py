"""The date a PDF carries: the day it is built (local time), unless `student.date` gives the text or the
user sets SOURCE_DATE_EPOCH; `make pdf` sets no date of its own."""
from __future__ import annotations

import calendar
import datetime
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from solver import config, pipeline

REPO = Path(__file__).resolve().parents[2]


def spelled(day: datetime.date) -> str:
    """'7 December 2026', written here from the calendar, not by the program's formatter."""
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


@pytest.fixture
def far_east(monkeypatch: pytest.MonkeyPatch):
    """Local time 14 hours ahead of UTC (a POSIX TZ string: no time-zone database needed), so that
    for most of the day the local date is not the UTC date."""
    monkeypatch.setenv("TZ", "XXX-14")
    time.tzset()
    yield datetime.timedelta(hours=14)
    monkeypatch.undo()
    time.tzset()


def test_without_epoch_the_date_is_todays_local_date(monkeypatch: pytest.MonkeyPatch, far_east) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = (datetime.datetime.now(datetime.timezone.utc) + far_east).date()
    printed = pipeline.about(config.load(None, []))["date"]
    after = (datetime.datetime.now(datetime.timezone.utc) + far_east).date()
    assert printed in {spelled(before), spelled(after)}   # a build across midnight may print either


def test_source_date_epoch_gives_that_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(86400 * 366 + 3600))   # 1971-01-02 01:00 UTC
    assert pipeline.about(config.load(None, []))["date"] == "2 January 1971"


@pytest.mark.parametrize("epoch", [None, "1767225600"])
def test_student_date_is_printed_as_given(monkeypatch: pytest.MonkeyPatch, epoch: str | None) -> None:
    if epoch is None:
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    cfg = config.load(None, ["student.date=Due 8 Dec. 2026 (resubmitted)"])
    assert pipeline.about(cfg)["date"] == "Due 8 Dec. 2026 (resubmitted)"


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    """The Makefile and its helper, with a stand-in .venv/bin/python that records the SOURCE_DATE_EPOCH
    the build is run with (None: unset)."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy2(REPO / "Makefile", project / "Makefile")
    shutil.copytree(REPO / "scripts", project / "scripts")
    (project / ".venv" / "bin").mkdir(parents=True)
    log = project / "seen.json"
    python = project / ".venv" / "bin" / "python"
    python.write_text(f"#!{sys.executable}\nimport json, os, sys\n"
                      "if sys.argv[1:3] != ['-m', 'solver']:\n"   # the Makefile's helper runs for real
                      f"    os.execv({sys.executable!r}, [{sys.executable!r}, *sys.argv[1:]])\n"
                      f"open({str(log)!r}, 'w').write(json.dumps(os.environ.get('SOURCE_DATE_EPOCH')))\n")
    python.chmod(0o755)
    for name in ("pyproject.toml", "setup.py", "requirements.lock"):
        (project / name).touch()
    (project / ".venv" / ".installed").touch()
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "pdflatex").write_text("#!/bin/sh\nexit 0\n")
    (tools / "pdflatex").chmod(0o755)
    return project, tools


def run_make(project: tuple[Path, Path], *args: str, epoch: str | None = None) -> object:
    path, tools = project
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "SOURCE_DATE_EPOCH", "OUT", "CONFIG", "SET")
           and not k.startswith("HW_")}
    env["PATH"] = f"{tools}{os.pathsep}{env['PATH']}"
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = epoch
    run = subprocess.run(["make", "--no-print-directory", "-C", str(path), *args], capture_output=True, text=True,
                         env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads((path / "seen.json").read_text())


def test_make_pdf_sets_no_date(project: tuple[Path, Path]) -> None:
    assert run_make(project, "pdf") is None


@pytest.mark.parametrize("where", ["environment", "command line"])
def test_make_pdf_passes_the_users_epoch(project: tuple[Path, Path], where: str) -> None:
    if where == "environment":
        assert run_make(project, "pdf", epoch="1767225600") == "1767225600"
    else:
        assert run_make(project, "pdf", "SOURCE_DATE_EPOCH=1767225600") == "1767225600"


def test_a_pdf_built_yesterday_is_rebuilt_today(project: tuple[Path, Path]) -> None:
    """Without SOURCE_DATE_EPOCH the record of the last build holds its day: another day is a rebuild."""
    path, _ = project
    run_make(project, "pdf")
    args = path / "build" / ".args"
    record = json.loads(args.read_text())
    assert record["today"] == datetime.date.today().isoformat()
    (path / "seen.json").unlink()
    for name in ("solutions.pdf", "solutions.tex", "answers.json", "config.toml"):
        (path / "build" / name).write_text("built")   # the stand-in writes none: as if the build had
    record["today"] = "1999-12-31"
    args.write_text(json.dumps(record, indent=1) + "\n")
    past = time.time() - 60
    os.utime(args, (past, past))
    assert run_make(project, "pdf") is None   # run again
