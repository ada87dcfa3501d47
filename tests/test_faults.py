"""Fault injection: a real `python -m solver build` is stopped at each pause point
(HW1_SOLVER_PAUSE_AT) by SIGINT, SIGTERM or SIGKILL while it replaces an earlier good
build with a changed configuration.  Whatever the moment, the published files are all
old or all new (after SIGKILL mid-publish: mixed only until the next build, which
completes the publication from its journal), the exit status says what happened, no
LaTeX process is left running, and the next build succeeds and leaves no temporary file.

Deterministic: the tool waits at the pause point until the test has sent the signal.
Fast: one "old" and one "new" reference build per module; an interrupted build reuses
OUT/.work, so it is mostly Python's start-up (and, for points before publishing, one
LaTeX run)."""
from __future__ import annotations

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
from solver import cli, interrupts

pytestmark = [requires_tex, pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs Linux /proc")]

REPO = Path(__file__).resolve().parent.parent
# new ≠ old in every published file: the name changes the text and the PDF, q2.delta
# the answers, the configuration and one figure (q2_huber.pdf) but not the others.
NEW_ARGS = [*DEFAULT_BUILD_ARGS, "--set", "student.name=Grace Hopper", "--set", "q2.delta=1.0"]
TEXTS = ("answers.json", "config.toml", "solutions.tex", "solutions.pdf")

BEFORE_PUBLISHING = ["solved", "drawing:q2_huber", "compiled", "publish:staged"]
RENAMES = 9  # 5 figures, 3 texts, the PDF
PUBLISHING = [f"publish:{k}" for k in (1, 5, RENAMES)]  # the first, one in the middle, the last
SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL}


def published(out: Path) -> dict[str, bytes]:
    files = {name: (out / name).read_bytes() for name in TEXTS}
    files.update({f"figures/{p.name}": p.read_bytes() for p in sorted((out / "figures").iterdir())
                  if not p.name.startswith(".")})  # what a killed build staged is not published
    return files


def temporary_files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if ".tmp" in p.name)


def latex_processes_in(out: Path) -> list[str]:
    """Live processes whose working directory is OUT or inside it (Linux /proc)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cwd = Path(os.readlink(proc / "cwd"))
            if cwd == out.resolve() or cwd.is_relative_to(out.resolve()):
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                found.append(f"{proc.name} {command}")
        except OSError:
            continue  # gone, a zombie, or not ours to read
    return found


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
    assert old_files.keys() == new_files.keys() and len(old_files) == len(TEXTS) + 5
    differ = {name for name in old_files if old_files[name] != new_files[name]}
    assert differ == {*TEXTS, "figures/q2_huber.pdf"}, differ
    return default_build, new


@pytest.fixture
def in_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.delenv("HW1_SOLVER_PAUSE_AT", raising=False)
    yield


def start_paused(out: Path, point: str, pause: Path) -> subprocess.Popen[str]:
    # A shell's background job ignores SIGINT and its children inherit that: give the build
    # the default, as a terminal's foreground job has.  A figure is drawn only when no cache
    # holds it: for a "drawing:" point the build gets an empty user cache of its own.
    own_cache = {"XDG_CACHE_HOME": str(pause.parent / "user-cache")} if point.startswith("drawing:") else {}
    proc = subprocess.Popen([sys.executable, "-m", "solver", "build", "--out", str(out), *NEW_ARGS],
                            cwd=REPO, env=env(HW1_SOLVER_PAUSE_AT=point, HW1_SOLVER_PAUSE_FILE=str(pause), **own_cache),
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


@pytest.mark.parametrize("signame", list(SIGNALS))
@pytest.mark.parametrize("point", BEFORE_PUBLISHING + PUBLISHING)
def test_a_signal_at_any_point_leaves_old_or_new_never_a_mix(
    point: str, signame: str, references: tuple[Path, Path], tmp_path: Path, in_process: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old, new = references
    old_files, new_files = published(old), published(new)
    out = tmp_path / "out"
    shutil.copytree(old, out, ignore=shutil.ignore_patterns(".work"))
    # The cache and LaTeX's files of the new configuration, as a build stopped at "compiled" leaves
    # them: latexmk finds its PDF up to date, so each build here is Python's work only.  The Huber
    # figure's record is dropped, so that the build draws it and passes "drawing:q2_huber".
    shutil.copytree(new / ".work", out / ".work")
    (out / ".work" / "figures" / "q2.figures.json").unlink()
    pause = tmp_path / "pause"
    signum = SIGNALS[signame]

    proc = start_paused(out, point, pause)
    os.kill(proc.pid, signum)
    pause.unlink()
    stdout, stderr = proc.communicate(timeout=120)

    renamed = int(point.partition(":")[2]) if point.partition(":")[2].isdigit() else 0
    assert "Traceback" not in stderr, stderr
    assert latex_processes_in(out) == []
    if signum == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        now = published(out)
        journal = out / ".publish.json"
        if renamed:  # mid-publish: the journal says which files are still to be renamed
            entries = json.loads(journal.read_text())
            assert len(entries) == RENAMES
            for tmp, target in entries[:renamed]:
                assert now[target] == new_files[target], target
                assert not (out / tmp).exists()
            for tmp, target in entries[renamed:]:
                assert now[target] == old_files[target], target
                assert (out / tmp).read_bytes() == new_files[target], target
        else:
            assert now == old_files
            assert not journal.exists()
        # The next build in this directory completes (or discards) the publication before
        # anything else: stop it just after and look.
        with pytest.MonkeyPatch.context() as patch:
            def stop_after_sweep(name: str) -> None:
                if name == "cached":
                    raise KeyboardInterrupt
            patch.setattr(interrupts, "checkpoint", stop_after_sweep)
            assert cli.main(["build", "--out", str(out), *NEW_ARGS]) == 130
        expected = new_files if renamed else old_files
        assert published(out) == expected
        assert not journal.exists()
        assert temporary_files(out) == []
    else:
        assert proc.returncode == 128 + signum, stderr
        if renamed:  # held back until every rename was done: the new set is complete
            assert published(out) == new_files
            assert stderr.splitlines()[-1] == "interrupted after the new outputs were published; they are complete"
        else:
            assert published(out) == old_files
            assert stderr.splitlines()[-1] == "interrupted: the previous outputs are unchanged"
        assert temporary_files(out) == []
        assert not (out / ".publish.json").exists()

    capsys.readouterr()
    assert cli.main(["build", "--out", str(out), *NEW_ARGS]) == 0, capsys.readouterr().err
    assert published(out) == new_files
    assert temporary_files(out) == []
    assert not (out / ".publish.json").exists()
    assert latex_processes_in(out) == []


def test_the_publish_points_are_the_renames(references: tuple[Path, Path]) -> None:
    """RENAMES is what the build really renames: the files published, one each."""
    assert len(published(references[1])) == RENAMES
