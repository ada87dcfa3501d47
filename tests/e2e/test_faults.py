"""Fault injection: a real `python -m solver build` is stopped at each pause point
(HW1_SOLVER_PAUSE_AT) by SIGINT, SIGTERM and SIGKILL while it replaces an earlier good
build with a changed configuration: at every stage (BEFORE_PUBLISHING, LaTeX running
included) and after every rename of publishing (publish:1 ... publish:N).  Whatever the
moment, the published files are all old or all new (after SIGKILL mid-publish: mixed only
until the next build, which completes the publication from its journal), the exit status
says what happened, no LaTeX process is left running (after SIGKILL while LaTeX runs it
outlives the tool, and the next build stops it before anything else), and the next build
succeeds and leaves no temporary file.

Deterministic: the tool waits at the pause point until the test has sent the signal, and at
"compiling" its pdflatex stops itself, so LaTeX is still running whenever the signal comes.
Fast: one "old" and one "new" reference build per module; the cases of one point share a
directory whose OUT/.work holds the new configuration's cache and PDF, so an interrupted
build is mostly Python's start-up, and LaTeX runs only for "compiling"."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from conftest import DEFAULT_BUILD_ARGS, EPOCH, requires_tex
from solver import cli
from solver.engine import pdflatex as compile, publish, signals as interrupts

pytestmark = [requires_tex, pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs Linux /proc")]

REPO = Path(__file__).resolve().parents[2]
# new ≠ old in every published text: the name changes the text and the PDF, q2.delta the answers and
# the configuration; the submission's one figure (Question 1's) is the same in both.
NEW_ARGS = [*DEFAULT_BUILD_ARGS, "--set", "student.name=Grace Hopper", "--set", "q2.delta=1.0"]
TEXTS = ("answers.json", "config.toml", "solutions.tex", "solutions.pdf")

# Every stage: before the lock, after the sweep, while a figure is drawn, after the figures,
# after the .tex, while LaTeX runs ("compiling": its process group is still alive), after LaTeX,
# with every file staged; then each rename of publishing, "publish:1" ... "publish:N", where N is
# the number of files the reference build published (one rename each).
BEFORE_PUBLISHING = ["solved", "drawing:q1_saturation", "rendered", "compiling", "publish:staged"]
SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL}


def published(out: Path) -> dict[str, bytes]:
    files = {name: (out / name).read_bytes() for name in TEXTS}
    files.update({f"figures/{p.name}": p.read_bytes() for p in sorted((out / "figures").iterdir())
                  if not p.name.startswith(".")})  # what a killed build staged is not published
    return files


def temporary_files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if ".tmp" in p.name)


def processes_in(directory: Path) -> dict[int, str]:
    """Live processes whose working directory is DIRECTORY or inside it (Linux /proc): pid, command."""
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cwd = Path(os.readlink(proc / "cwd"))
            if cwd == directory.resolve() or cwd.is_relative_to(directory.resolve()):
                found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # gone, a zombie, or not ours to read
    return found


def latex_processes_in(out: Path) -> list[str]:
    return [f"{pid} {command}" for pid, command in processes_in(out).items()]


@pytest.fixture(autouse=True)
def no_leftover_processes(tmp_path: Path) -> Iterator[None]:
    """A failing case may leave the LaTeX it started running (stopped): kill it, whatever happened."""
    yield
    for pid in processes_in(tmp_path):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": EPOCH, **extra}


@pytest.fixture(scope="module")
def references(default_build: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(old, new): the shared default build, and the same directory rebuilt with NEW_ARGS."""
    new = tmp_path_factory.mktemp("faults") / "new"
    shutil.copytree(default_build, new)
    run = subprocess.run([sys.executable, "-m", "solver", "build", "--out", str(new), *NEW_ARGS],
                         cwd=REPO, env=env(), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    old_files, new_files = published(default_build), published(new)
    assert old_files.keys() == new_files.keys() == {*TEXTS, "figures/q1_saturation.pdf"}
    differ = {name for name in old_files if old_files[name] != new_files[name]}
    assert differ == {*TEXTS}, differ
    return default_build, new


@pytest.fixture
def in_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.delenv("HW1_SOLVER_PAUSE_AT", raising=False)
    yield


def start_paused(out: Path, point: str, pause: Path, **extra: str) -> subprocess.Popen[str]:
    # A shell's background job ignores SIGINT and its children inherit that: give the build
    # the default, as a terminal's foreground job has.
    proc = subprocess.Popen([sys.executable, "-m", "solver", "build", "--out", str(out), *NEW_ARGS],
                            cwd=REPO, env=env(HW1_SOLVER_PAUSE_AT=point, HW1_SOLVER_PAUSE_FILE=str(pause), **extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not (pause.exists() and pause.read_text() == point):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out_, err = proc.communicate()
            pytest.fail(f"the build never reached {point} (status {proc.returncode}): {err}")
        time.sleep(0.01)
    return proc


def interrupt(out: Path, point: str, signum: int, pause: Path, **extra: str) -> tuple[int, str]:
    """A build into OUT stopped by `signum` at `point`: its status and stderr."""
    proc = start_paused(out, point, pause, **extra)
    os.kill(proc.pid, signum)
    pause.unlink()
    _, stderr = proc.communicate(timeout=120)
    assert "Traceback" not in stderr, stderr
    return proc.returncode, stderr


def next_build_stopped_after_the_sweep(out: Path) -> None:
    """The next build in OUT completes (or discards) what a killed one left before anything
    else: run it in this process, stopped just after that, for the caller to look."""
    with pytest.MonkeyPatch.context() as patch:
        def stop_after_sweep(name: str) -> None:
            if name == "cached":
                raise KeyboardInterrupt
        patch.setattr(interrupts, "checkpoint", stop_after_sweep)
        assert cli.main(["build", "--out", str(out), *NEW_ARGS]) == 130


def assert_clean(out: Path) -> None:
    """No temporary file, no journal, no process working in OUT."""
    assert latex_processes_in(out) == []
    assert temporary_files(out) == []
    assert not (out / ".publish.json").exists()
    assert not (out / ".work" / "latex.pid").exists()


def assert_the_next_build_succeeds(out: Path, new_files: dict[str, bytes], capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli.main(["build", "--out", str(out), *NEW_ARGS]) == 0, capsys.readouterr().err
    assert published(out) == new_files
    assert_clean(out)


def prepared(old: Path, new: Path, out: Path) -> Path:
    """OUT with the old outputs and the cache and LaTeX's files of the new configuration, as a
    build stopped at "compiled" leaves them: the build finds its PDF up to date (latex.json), so
    each build here is Python's work only unless the case asks for more."""
    shutil.copytree(old, out, ignore=shutil.ignore_patterns(".work"))
    shutil.copytree(new / ".work", out / ".work")
    return out


def restore(old: Path, out: Path) -> None:
    """The old outputs back in place, for the next case in the same directory."""
    for name in published(old):
        shutil.copyfile(old / name, out / name)


def latex_that_stays(directory: Path) -> dict[str, str]:
    """PATH for a build whose LaTeX is still running whenever the build is signalled, and runs
    on after SIGKILL: pdflatex stops itself as it starts, and ignores SIGPIPE, so that what it
    writes to the pipe of a killed build once it goes on cannot end it."""
    directory.mkdir(exist_ok=True)
    real = shutil.which("pdflatex")
    assert real is not None
    wrapper = directory / "pdflatex"
    wrapper.write_text(f'#!/bin/sh\ntrap \'\' PIPE\nkill -STOP $$\nexec {real} "$@"\n')
    wrapper.chmod(0o755)
    return {"PATH": f"{directory}{os.pathsep}{os.environ['PATH']}"}


@pytest.mark.parametrize("point", BEFORE_PUBLISHING)
def test_a_signal_before_publishing_leaves_the_old_outputs(
    point: str, references: tuple[Path, Path], tmp_path: Path, in_process: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """SIGINT, SIGTERM, then SIGKILL at `point`, each into the directory as the last build left it:
    after SIGINT the next build is the one stopped by SIGTERM; after SIGTERM and after SIGKILL a
    complete one."""
    old, new = references
    old_files, new_files = published(old), published(new)
    out = prepared(old, new, tmp_path / "out")
    pause = tmp_path / "pause"
    extra: dict[str, str] = {}
    if point.startswith("drawing:"):  # a figure is drawn only when no cache holds it
        extra["XDG_CACHE_HOME"] = str(tmp_path / "user-cache")
    if point == "compiling":
        extra.update(latex_that_stays(tmp_path / "bin"))

    for signame, signum in SIGNALS.items():
        if signum == signal.SIGKILL:  # the build after SIGTERM published the new outputs
            restore(old, out)
        if point.startswith("drawing:"):  # no record of Question 1's figure: the build draws it
            (out / ".work" / "figures" / "q1.figures.json").unlink(missing_ok=True)
        if point == "compiling":  # without its record of the last compile, the build runs LaTeX
            (out / ".work" / "latex.json").unlink(missing_ok=True)
        status, stderr = interrupt(out, point, signum, pause, **extra)
        assert published(out) == old_files, signame
        assert not (out / ".publish.json").exists()
        if signum == signal.SIGKILL:
            assert status == -signal.SIGKILL
            # LaTeX outlives a build killed while it runs: the next one must stop it first.  It
            # runs while figures are drawn too (it waits at a figure, then reads on to the end),
            # and on a rebuild from before solving (a pass started ahead waits at its FIFO).
            if point in ("solved", "rendered", "compiling"):
                assert latex_processes_in(out)
            elif not point.startswith("drawing:"):
                assert not latex_processes_in(out), latex_processes_in(out)
            next_build_stopped_after_the_sweep(out)
            assert published(out) == old_files
            assert_clean(out)
        else:
            assert status == 128 + signum, stderr
            assert stderr.splitlines()[-1] == "interrupted: the previous outputs are unchanged"
            assert_clean(out)
            if signum == signal.SIGTERM:
                assert_the_next_build_succeeds(out, new_files, capsys)

    assert_the_next_build_succeeds(out, new_files, capsys)


@pytest.mark.parametrize("signame", list(SIGNALS))
def test_a_signal_while_publishing_leaves_old_or_new_never_a_mix(
    signame: str, references: tuple[Path, Path], tmp_path: Path, in_process: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`signame` after each rename in turn, publish:1 ... publish:N, in one directory whose old
    outputs are put back between the cases."""
    old, new = references
    old_files, new_files = published(old), published(new)
    renames = len(new_files)  # one per published file
    out = prepared(old, new, tmp_path / "out")
    pause = tmp_path / "pause"
    signum = SIGNALS[signame]

    for renamed in range(1, renames + 1):
        restore(old, out)
        status, stderr = interrupt(out, f"publish:{renamed}", signum, pause)
        if signum == signal.SIGKILL:  # mixed until the next build: the journal says what is still to do
            assert status == -signal.SIGKILL
            now = published(out)
            entries = json.loads((out / ".publish.json").read_text())
            assert len(entries) == renames
            for tmp, target in entries[:renamed]:
                assert now[target] == new_files[target], (renamed, target)
                assert not (out / tmp).exists()
            for tmp, target in entries[renamed:]:
                assert now[target] == old_files[target], (renamed, target)
                assert (out / tmp).read_bytes() == new_files[target], (renamed, target)
            assert latex_processes_in(out) == []
            next_build_stopped_after_the_sweep(out)
        else:  # held back until every rename was done: the new set is complete
            assert status == 128 + signum, stderr
            assert stderr.splitlines()[-1] == "interrupted after the new outputs were published; they are complete"
        assert published(out) == new_files, renamed
        assert_clean(out)

    assert_the_next_build_succeeds(out, new_files, capsys)


def test_a_recorded_latex_group_is_killed_only_while_it_works_in_the_directory(tmp_path: Path) -> None:
    """OUT/.work/latex.pid naming a group that works elsewhere (here: the tests' own, an id
    recycled after the LaTeX it named ended) is dropped, the group untouched; a FIFO planted at
    the name is neither waited on nor followed."""
    work = tmp_path / ".work"
    work.mkdir()
    (work / compile.PID_FILE).write_text(f"{os.getpgrp()}\n")
    assert compile.stop_orphan(work)  # still alive: it was not killed
    assert not (work / compile.PID_FILE).exists()
    os.mkfifo(work / compile.PID_FILE)
    assert compile.stop_orphan(work)
    assert not (work / compile.PID_FILE).exists()
    assert not compile.stop_orphan(work)  # nothing recorded: nothing was cut short


@pytest.mark.parametrize("where", [".work", ".work/problems"])
def test_the_sweep_stops_latex_left_running_and_drops_its_files(where: str, tmp_path: Path) -> None:
    """A build killed while LaTeX ran (solutions.pdf in .work, problems.pdf in .work/problems):
    the next one, under the lock, kills the group recorded there and forgets LaTeX's files."""
    out = tmp_path / "out"
    directory = out / where
    directory.mkdir(parents=True)
    for name in ("solutions.aux", "solutions.pdf", "problems.toc", "solutions.tex"):
        (directory / name).write_text("half-written")
    orphan = subprocess.Popen(["sleep", "60"], cwd=directory, start_new_session=True)
    try:
        (directory / compile.PID_FILE).write_text(f"{orphan.pid}\n")
        publish.sweep(out, out / ".work")
        assert orphan.wait(timeout=10) == -signal.SIGKILL
        assert sorted(p.name for p in directory.iterdir()) == ["solutions.tex"]
    finally:
        orphan.kill()
        orphan.wait()


# ---------------------------------------------------------------- Ctrl-C while the first modules load

def test_ctrl_c_while_the_first_modules_load_is_one_line() -> None:
    """Run as the command (argv[0] is "-m" while `python -m solver` imports the package), an interrupt
    right after the package's first lines is one line and death by SIGINT (130 in a shell), no traceback;
    imported as a library, the package leaves Python's own handling alone."""
    def interrupted(argv0: str) -> subprocess.CompletedProcess[str]:
        code = (f"import os, signal, sys, time; sys.argv[0] = {argv0!r}; import solver; "
                "os.kill(os.getpid(), signal.SIGINT); time.sleep(30)")
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "PYTHONPATH": str(REPO)},
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    command = interrupted("-m")
    assert command.returncode == -signal.SIGINT and command.stderr == "interrupted: the previous outputs are unchanged\n"
    library = interrupted("-c")
    assert library.returncode == -signal.SIGINT and "Traceback" in library.stderr


def test_an_interrupt_python_dropped_while_the_first_modules_loaded_is_still_acted_on() -> None:
    import solver
    from solver.engine import signals

    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        solver.EARLY_SIGNALS.append(signal.SIGINT)   # as `_early_interrupt` records one whose exception was dropped
        signals.install()
        assert signals.unreported() == signal.SIGINT and solver.EARLY_SIGNALS == []
    finally:
        signals.reported()
        solver.EARLY_SIGNALS.clear()
        for signum, handler in saved.items():
            signal.signal(signum, handler)
