"""Regenerating with SET: configuration given outside SET, or a value split at its space, is an error
(exit status 2, one line) that names SET and shows the quoting that works."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from solver import cli

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The Makefile and its helper; .venv/bin/python runs this tree's solver for real (no LaTeX is reached:
    only `answers`, which compiles nothing, and `pdf` runs that fail before building)."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy2(REPO / "Makefile", project / "Makefile")
    shutil.copytree(REPO / "scripts", project / "scripts")
    (project / ".venv" / "bin").mkdir(parents=True)
    python = project / ".venv" / "bin" / "python"
    python.write_text(f"#!/bin/sh\nPYTHONPATH={shlex_quote(str(REPO))} exec {shlex_quote(sys.executable)} \"$@\"\n")
    python.chmod(0o755)
    for name in ("pyproject.toml", "setup.py", "requirements.lock"):
        (project / name).touch()
    (project / ".venv" / ".installed").touch()
    return project


def shlex_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def shell_make(project: Path, arguments: str) -> subprocess.CompletedProcess[str]:
    """make with `arguments` exactly as a user types them at a bash prompt."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "OUT", "CONFIG", "SET") and not k.startswith("HW_")}
    return subprocess.run(["bash", "-c", f"make --no-print-directory -s {arguments}"], capture_output=True,
                          text=True, env=env, cwd=project, timeout=300)


@pytest.mark.parametrize("typed, works", [
    ("pdf SET=q3.learning_rate=0.1 q2.delta=1", 'SET="q3.learning_rate=0.1 q2.delta=1"'),
    ("answers q2.delta=1", 'SET="q2.delta=1"'),
    ("pdf SET=report.decimals=2 student.name=Ada q3.iterations=3", 'SET="report.decimals=2 q3.iterations=3 student.name=Ada"'),
])
def test_a_key_outside_set_is_an_error_naming_set(project: Path, typed: str, works: str) -> None:
    run = shell_make(project, typed)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "SET" in lines[0] and works in lines[0], run.stderr
    assert not (project / "build").exists()   # nothing was built
    # ... and the quoting it shows is accepted
    fixed = shell_make(project, f"answers {works}")
    assert fixed.returncode == 0, fixed.stderr


def test_a_key_outside_set_is_never_expanded(project: Path) -> None:
    run = shell_make(project, "pdf 'q2.delta=$(shell touch X)'")
    assert run.returncode == 2 and "q2.delta=$(shell touch X)" in run.stderr
    assert not list(project.rglob("X"))


def test_a_value_split_at_its_space_shows_the_quoting_that_works(project: Path) -> None:
    for target in ("answers", "pdf"):
        run = shell_make(project, f"{target} SET='student.name=Ada Lovelace'")
        assert run.returncode == 2
        errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "SET" in errors[0] and '"Lovelace"' in errors[0], run.stderr
        assert """SET="student.name='Ada Lovelace'\"""" in errors[0]
        assert not (project / "build" / "solutions.pdf").exists()
    shown = re.search(r"""SET="[^"]*\"""", errors[0]).group()
    assert shell_make(project, f"answers {shown}").returncode == 0


@pytest.mark.parametrize("sets, expected, name", [
    ("student.name=Ada Lovelace", """SET="student.name='Ada Lovelace'\"""", "Ada Lovelace"),
    ("q2.delta=1 student.name=Ada King Lovelace report.decimals=2",
     """SET="q2.delta=1 student.name='Ada King Lovelace' report.decimals=2\"""", "Ada King Lovelace"),
    ("student.name=Ada Lovelace student.id=A 7", """SET="student.name='Ada Lovelace' student.id='A 7'\"""",
     "Ada Lovelace"),
])
def test_the_shown_quoting_gives_the_values_whole(sets: str, expected: str, name: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["answers", "--sets", sets]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1
    # what the shell makes of the text shown, as make would receive it: each value whole
    received = subprocess.run(["bash", "-c", f'{expected}; printf %s "$SET"'], capture_output=True, text=True).stdout
    assert cli.main(["config", "--sets", received]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert f'student.name         --set    "{name}"' in listed
