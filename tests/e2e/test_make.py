"""The Makefile passes OUT, CONFIG and SET through as data: make never expands them, no shell
parses them, `make clean` removes only the solver's own files, and `make pdf` rebuilds
exactly when something it depends on changed.

Each test runs make in a copy of the project whose `.venv/bin/python` is a small wrapper:
`-m solver build` is a stand-in that records its arguments and writes placeholder outputs
(no PDF is compiled); anything else runs the real interpreter, so `make answers` is real.
pdflatex is a stand-in on PATH so that `make pdf` never tries to install TeX.
"""
from __future__ import annotations

import json
import os
import shlex
import signal
import time
from pathlib import Path

import pytest

from make_project import Project, backdate, no_file_named_x, project  # noqa: F401 (the fixture)


INJECTIONS = [
    pytest.param("SET", "student.name='$(shell touch X)'", id="make-function-in-SET"),
    pytest.param("SET", "student.name='`touch X`' q2.delta=$$(touch X)", id="shell-in-SET"),
    pytest.param("CONFIG", "x';touch X;'", id="shell-in-CONFIG"),
    pytest.param("CONFIG", "$(shell touch X)", id="make-function-in-CONFIG"),
    pytest.param("OUT", "out';touch X;'$(shell touch X)", id="both-in-OUT"),
]


@pytest.mark.parametrize("variable, value", INJECTIONS)
def test_injection_runs_nothing_and_arrives_verbatim(project: Project, variable: str, value: str) -> None:
    dry = project.make("-n", "pdf", f"{variable}={value}")
    assert project.builds() == [] and no_file_named_x(project.path, project.path / "build")
    assert dry.returncode == 0, dry.stderr

    run = project.make("pdf", f"{variable}={value}")
    assert run.returncode == 0, run.stderr
    option = {"SET": "--sets=", "CONFIG": "--config=", "OUT": "--out="}[variable]
    assert option + value in project.builds()[0]
    assert no_file_named_x(project.path, project.path / "build")


@pytest.mark.parametrize("variable, value", INJECTIONS)
def test_injection_from_the_environment_runs_nothing(project: Project, variable: str, value: str) -> None:
    run = project.make("pdf", env={variable: value})
    assert run.returncode == 0, run.stderr
    assert no_file_named_x(project.path, project.path / "build")


def test_dollars_and_quotes_reach_the_solver(project: Project) -> None:
    text = """Price $5 and $$, "quoted" and 'single' $(shell touch X) `touch X` $$(touch X)"""
    sets = f"student.name={json.dumps(text)} q2.delta=1"
    dry = project.make("-n", "pdf", f"SET={sets}")
    command = next(line for line in dry.stdout.splitlines() if "-m solver build" in line)
    assert shlex.split(command)[-1] == f"--sets={sets}"
    # The real solver (answers, no LaTeX) refuses the value and quotes it back exactly as typed.
    short = """$5 and $$ "q" 's' `x`"""
    run = project.make("answers", f"SET=q3.mode={json.dumps(short)}")
    assert run.returncode == 2
    assert f"q3.mode: got {json.dumps(short)}, expected" in run.stderr
    assert no_file_named_x(project.path)


def test_set_values_apply(project: Project) -> None:
    run = project.make("answers", "SET=q2.delta=1 q3.mode='batch'")
    assert run.returncode == 0, run.stderr
    answers = json.loads(run.stdout)
    assert answers["q2"]["delta"] == 1.0 and answers["q3"]["mode"] == "batch"


def test_config_injection_is_just_a_missing_file(project: Project) -> None:
    run = project.make("answers", "CONFIG=x';touch X;'")
    assert run.returncode == 2
    assert "x';touch X;': no such config file" in run.stderr
    assert no_file_named_x(project.path)


def test_out_and_config_with_spaces_and_quotes(project: Project) -> None:
    config = project.path / "my configs" / "it's \"v2\".toml"
    config.parent.mkdir()
    config.write_text("[q2]\ndelta = 1.0\n")
    out = "out dir/it's \"here\""
    variables = [f"OUT={out}", f"CONFIG={config.relative_to(project.path)}"]

    answers = project.make("answers", variables[1])
    assert answers.returncode == 0, answers.stderr
    assert json.loads(answers.stdout)["q2"]["delta"] == 1.0

    run = project.make("pdf", *variables)
    assert run.returncode == 0, run.stderr
    assert project.builds() == [["--out=" + out, "--config=my configs/it's \"v2\".toml", "--sets="]]
    assert (project.path / out / "solutions.pdf").exists()
    again = project.make("pdf", *variables)
    assert again.returncode == 0 and "up to date" in again.stdout
    assert len(project.builds()) == 1

    clean = project.make("clean", f"OUT={out}")
    assert clean.returncode == 0, clean.stderr
    assert sorted(p.name for p in (project.path / out).iterdir()) == []


def test_changed_config_contents_rebuild(project: Project) -> None:
    config = project.path / "v 2.toml"
    config.write_text("[q2]\ndelta = 1.0\n")
    assert project.make("pdf", "CONFIG=v 2.toml").returncode == 0
    assert "solver build" not in project.make("-n", "pdf", "CONFIG=v 2.toml").stdout

    stat = config.stat()
    config.write_text("[q2]\ndelta = 2.0\n")  # same size, and even the same mtime
    os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    dry = project.make("-n", "pdf", "CONFIG=v 2.toml")
    assert "-m solver build --out=build '--config=v 2.toml' --sets=" in dry.stdout
    assert len(project.builds()) == 1  # -n ran nothing

    assert project.make("pdf", "CONFIG=v 2.toml").returncode == 0
    assert len(project.builds()) == 2
    assert "solver build" not in project.make("-n", "pdf", "CONFIG=v 2.toml").stdout


@pytest.mark.parametrize("change", ["SET", "CONFIG path", "no CONFIG", "source", "epoch", "venv", "deleted output"])
def test_what_triggers_a_rebuild(project: Project, change: str) -> None:
    (project.path / "a.toml").write_text("")
    (project.path / "b.toml").write_text("")
    first = ["CONFIG=a.toml", "SET=q2.delta=1"]
    assert project.make("pdf", *first).returncode == 0
    assert "up to date" in project.make("-n", "pdf", *first).stdout
    backdate(project.path / "build", project.path / ".venv" / ".installed")
    variables, env = list(first), None
    if change == "SET":
        variables[1] = "SET=q2.delta=2"
    elif change == "CONFIG path":
        variables[0] = "CONFIG=b.toml"
    elif change == "no CONFIG":
        variables = variables[1:]
    elif change == "source":
        (project.path / "templates" / "solutions.tex.j2").touch()
    elif change == "epoch":
        env = {"SOURCE_DATE_EPOCH": "1767312000"}
    elif change == "venv":
        (project.path / ".venv" / ".installed").touch()
    elif change == "deleted output":
        (project.path / "build" / "answers.json").unlink()
    assert "-m solver build" in project.make("-n", "pdf", *variables, env=env).stdout
    assert project.make("pdf", *variables, env=env).returncode == 0
    assert len(project.builds()) == 2
    assert "up to date" in project.make("-n", "pdf", *variables, env=env).stdout


def test_a_failed_build_is_retried(project: Project) -> None:
    failed = project.make("pdf", "SET=q2.delta=3", env={"FAKE_BUILD_FAILS": "1"})
    assert failed.returncode != 0
    assert "-m solver build" in project.make("-n", "pdf", "SET=q2.delta=3").stdout
    assert project.make("pdf", "SET=q2.delta=3").returncode == 0
    # ... also when the previous good build had these very arguments
    assert project.make("pdf", "SET=q2.delta=4", env={"FAKE_BUILD_FAILS": "1"}).returncode != 0
    assert "-m solver build" in project.make("-n", "pdf", "SET=q2.delta=3").stdout


def test_make_n_pdf_writes_nothing(project: Project) -> None:
    dry = project.make("-n", "pdf", "OUT=fresh", "SET=q2.delta=1")
    assert dry.returncode == 0, dry.stderr
    assert ".venv/bin/python -m solver build --out=fresh --sets=q2.delta=1" in dry.stdout
    assert not (project.path / "fresh").exists() and project.builds() == []


@pytest.mark.parametrize("planted", ["fifo", "link-to-dev-zero", "folder", "huge"])
def test_a_planted_args_record_is_neither_waited_on_nor_read_without_end(project: Project, planted: str) -> None:
    """OUT/.args (the last build's arguments) as a FIFO, a link to /dev/zero, a folder or a huge file: the build
    runs (here `make -n` says it would), never hangs and never reads the whole of it."""
    out = project.path / "planted"
    out.mkdir()
    args = out / ".args"
    {"fifo": os.mkfifo, "link-to-dev-zero": lambda p: os.symlink("/dev/zero", p), "folder": os.mkdir,
     "huge": lambda p: p.write_bytes(b"{" * (1 << 20))}[planted](args)
    dry = project.make("-n", "pdf", "OUT=planted")
    assert dry.returncode == 0, dry.stderr
    assert "-m solver build --out=planted" in dry.stdout and project.builds() == []


def test_unchanged_pdf_does_nothing_quickly(project: Project) -> None:
    assert project.make("pdf").returncode == 0
    times = []
    for _ in range(5):
        start = time.perf_counter()
        run = project.make("pdf")
        times.append(time.perf_counter() - start)
        assert run.returncode == 0 and "up to date" in run.stdout
    assert len(project.builds()) == 1
    # The < 0.1 s target is measured by `make bench`; here only a bound that load cannot break:
    # a no-op that started Python and the solver would take well over half a second.
    assert min(times) < 0.5, times


def test_make_s_prints_nothing(project: Project) -> None:
    first = project.make("-s", "pdf", "SET=q2.delta=1")
    assert first.returncode == 0 and first.stdout == "" and len(project.builds()) == 1
    again = project.make("-s", "pdf", "SET=q2.delta=1")
    assert again.returncode == 0 and again.stdout == "" and len(project.builds()) == 1
    assert project.make("-s", "clean").stdout == ""
    assert not (project.path / "build" / "solutions.pdf").exists()


def test_empty_out_is_refused_for_pdf(project: Project) -> None:
    run = project.make("pdf", "OUT=")
    assert run.returncode != 0 and "OUT is empty" in run.stderr
    assert project.builds() == []


def test_clean_removes_only_the_solvers_files(project: Project, tmp_path: Path) -> None:
    assert project.make("pdf", "OUT=build").returncode == 0
    build = project.path / "build"
    (build / "notes.txt").write_text("mine")
    (build / ".answers.json.tmp123").write_text("left over")
    (build / ".args.tmp9").write_text("left over")
    dry = project.make("-n", "clean")
    assert dry.returncode == 0 and "rm -rf -- build/solutions.pdf" in dry.stdout
    assert (build / "solutions.pdf").exists()

    run = project.make("clean")
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in build.iterdir()) == [".gitkeep", "notes.txt"]
    assert project.make("clean").returncode == 0  # nothing left to remove is fine


def test_clean_does_not_follow_symlinks(project: Project, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_text("keep")
    build = project.path / "build"
    (build / ".lock").touch()
    (build / "figures").symlink_to(outside)
    assert project.make("clean").returncode == 0
    assert not (build / "figures").exists() and (outside / "precious").read_text() == "keep"


def refused(project: Project, out: str, *expected: str) -> None:
    dry = project.make("-n", "clean", f"OUT={out}")
    assert dry.returncode != 0 and "rm -rf" not in dry.stdout
    run = project.make("clean", f"OUT={out}")
    assert run.returncode == 2 and "rm -rf" not in run.stdout
    for words in expected:
        assert words in run.stderr, run.stderr


@pytest.mark.parametrize("out, message", [
    ("", "OUT is empty"),
    ("/", "OUT is the root directory"),
    (".", "is not below the project"),
    ("..", "is not below the project"),
    ("build/../..", "is not below the project"),
    ("/tmp", "is not below the project"),
])
def test_clean_refuses(project: Project, out: str, message: str) -> None:
    refused(project, out, message, "remove anything else yourself")


def test_clean_refuses_home(project: Project) -> None:
    for name in ("solutions.pdf", ".lock", "answers.json"):
        (project.home / name).write_text("keep")
    refused(project, str(project.home), "OUT is your home directory")
    literal = project.make("clean", "OUT=$(HOME)")  # a directory named $(HOME) in the project
    assert literal.returncode == 0 and "nothing to remove" in literal.stdout
    assert sorted(p.name for p in project.home.iterdir()) == [".lock", "answers.json", "solutions.pdf"]


def test_clean_refuses_a_directory_the_solver_did_not_make(project: Project, tmp_path: Path) -> None:
    notes = project.path / "notes"   # the user's own folder, holding names the solver also writes
    (notes / "figures").mkdir(parents=True)
    (notes / "answers.json").write_text("mine")
    refused(project, "notes", "OUT=notes was not made by the solver")
    assert (notes / "figures").is_dir() and (notes / "answers.json").read_text() == "mine"


def test_clean_refuses_the_solvers_directory_outside_the_project(project: Project, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for name in ("solutions.pdf", ".lock"):
        (elsewhere / name).write_text("keep")
    (project.path / "link").symlink_to(elsewhere)
    refused(project, str(elsewhere), "is not below the project")
    refused(project, "link", "is not below the project")
    assert sorted(p.name for p in elsewhere.iterdir()) == [".lock", "solutions.pdf"]


@pytest.mark.parametrize("changed", ["pyproject.toml", "setup.py", "requirements.lock"])
def test_venv_is_redone_when_its_inputs_change(project: Project, changed: str) -> None:
    assert "pip install" not in project.make("-n", "venv").stdout
    backdate(project.path / ".venv" / ".installed")
    (project.path / changed).touch()
    dry = project.make("-n", "pdf")
    assert "pip install" in dry.stdout


@pytest.mark.parametrize("target", ["pdf", "answers", "worksheet"])
def test_python_starts_with_ctrl_c_held_until_the_solver_can_answer_it(project: Project, target: str) -> None:
    """A Ctrl-C while Python itself starts would print Python's traceback: every make target starts the
    interpreter with SIGINT blocked (the solver unblocks it once its handler is in place), so the signal
    waits and gets the solver's one line.  The interpreter here notes its blocked signals as it starts."""
    wrapper = project.path / ".venv" / "bin" / "python"
    masks = project.path / "masks"
    # bash, as dash would clear the mask it was given
    text = wrapper.read_text().replace("#!/bin/sh\n", f"#!/bin/bash\ngrep SigBlk /proc/self/status >> '{masks}'\n", 1)
    wrapper.write_text(text)
    run = project.make("-s", target, *(["WORKSHEET=sheet.toml"] if target == "worksheet" else []))
    assert run.returncode == 0, run.stderr
    blocked = [int(line.split()[1], 16) for line in masks.read_text().splitlines()]
    assert blocked and all(mask & (1 << (signal.SIGINT - 1)) for mask in blocked), blocked
