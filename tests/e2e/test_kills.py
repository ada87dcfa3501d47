"""Fault injection for `variants`, `check --pdf` and a first `build`: each is stopped by SIGINT
(to its whole process group, as a terminal's Ctrl-C), SIGTERM or SIGKILL at a pause point
(HW1_SOLVER_PAUSE_AT), with TMPDIR and the user cache in the test's folder.  Whatever the moment:
  - `variants`: OUT holds the old set with the old answer key or the new set with the new key,
    as the message says (after SIGKILL mid-publication: until the next run, which completes it);
    no worker outlives the command; the next run succeeds and leaves no staging folder;
  - `check --pdf`: the earlier feedback PDF is untouched, one line, no folder left once the next
    run has swept;
  - a first `build` killed outright: the next build neither waits nor fails.
Every wait is on an event (a file, a process exit) with limits of minutes, never on speed."""
from __future__ import annotations

import contextlib
import csv
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

from conftest import EPOCH, requires_tex

pytestmark = [requires_tex, pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")]

REPO = Path(__file__).resolve().parents[2]
LIMIT = 300   # seconds: generous, so that only a hang runs into it
SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL}
STATUS = {"SIGINT": 130, "SIGTERM": 143, "SIGKILL": -9}
# variants --n 1 publishes variant-1, answer-key.csv, answer-key.json: renames 1..3
VARIANT_POINTS = ["compiling", "variants:built", "publish-set:staged", "publish-set:2"]
OLD, NEW = ["--seed", "1"], ["--seed", "2"]


def environment(root: Path, **extra: str) -> dict[str, str]:
    (root / "tmp").mkdir(exist_ok=True)
    return {**os.environ, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": EPOCH, "TMPDIR": str(root / "tmp"),
            "XDG_CACHE_HOME": str(root / "cache"), **extra}


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "solver", *args], cwd=root, env=environment(root),
                          capture_output=True, text=True, timeout=LIMIT, stdin=subprocess.DEVNULL)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def children(pid: int) -> set[int]:
    """Every live descendant of `pid` (Linux /proc)."""
    parents: dict[int, int] = {}
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            parents[int(proc.name)] = int((proc / "stat").read_text().rpartition(")")[2].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def stopped_at(root: Path, args: list[str], point: str, name: str) -> tuple[int, str, set[int]]:
    """The command paused at `point`, signalled, and waited for: its status, stderr, and the processes
    it had started then."""
    pause = root / "pause"
    pause.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, "-m", "solver", *args], cwd=root,
                            env=environment(root, HW1_SOLVER_PAUSE_AT=point, HW1_SOLVER_PAUSE_FILE=str(pause)),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + LIMIT
    while not pause.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"never reached {point}: {proc.communicate()[1]}")
        time.sleep(0.02)
    started = children(proc.pid)
    if name == "SIGINT":
        os.killpg(proc.pid, signal.SIGINT)   # Ctrl-C reaches the whole foreground group
    else:
        os.kill(proc.pid, SIGNALS[name])
    pause.unlink()
    _, err = proc.communicate(timeout=LIMIT)
    assert "Traceback" not in err, err
    return proc.returncode, err, started


def wait_gone(pids: set[int], allowed: str = "") -> list[int]:
    """The processes of `pids` still alive after a generous wait (LaTeX's, named by `allowed`, excepted)."""
    deadline = time.monotonic() + 120
    left = pids
    while time.monotonic() < deadline:
        left = {p for p in pids if alive(p) and not (allowed and allowed in _command(p))}
        if not left:
            return []
        time.sleep(0.1)
    return sorted(left)


def _command(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return ""


def key_and_folders(out: Path) -> tuple[list[dict[str, str]], dict[str, dict]]:
    """The answer key's rows and each listed folder's answers.json."""
    rows = list(csv.DictReader((out / "answer-key.csv").open(encoding="utf-8")))
    document = json.loads((out / "answer-key.json").read_text())
    folders = {row["directory"]: json.loads((out / row["directory"] / "answers.json").read_text())
               for row in document["variants"]}
    return rows, {"seed": document["seed"], **folders}


def agree(out: Path) -> int:
    """The answer key and the folders it lists were written by one run: returns that run's seed."""
    _, found = key_and_folders(out)
    document = json.loads((out / "answer-key.json").read_text())
    from solver import summary

    for row in document["variants"]:
        assert row["answers"] == summary.columns(found[row["directory"]]), row["directory"]
    return document["seed"]


@pytest.fixture(scope="module")
def old_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`variants --n 1 --seed 1`, built once; each case starts from a copy (and its cache)."""
    root = tmp_path_factory.mktemp("kills")
    done = run(root, "variants", "--n", "1", *OLD, "--jobs", "1", "--out", "v")
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def case(old_set: Path, tmp_path: Path) -> Iterator[Path]:
    shutil.copytree(old_set / "v", tmp_path / "v", symlinks=True)
    shutil.copytree(old_set / "cache", tmp_path / "cache", symlinks=True)
    yield tmp_path
    for pid in children(os.getpid()):   # a failing case's leftovers
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


# Each stage once, each signal at least once (a run costs seconds): Ctrl-C while a variant compiles,
# SIGTERM once all are built, Ctrl-C with the set staged, SIGKILL half-way through its renames.
VARIANT_KILLS = [("compiling", "SIGINT"), ("variants:built", "SIGTERM"), ("publish-set:staged", "SIGINT"),
                 ("publish-set:2", "SIGKILL")]


@pytest.mark.parametrize("point, name", VARIANT_KILLS)
def test_an_interrupted_variants_run_leaves_one_set(case: Path, point: str, name: str) -> None:
    out = case / "v"
    args = ["variants", "--n", "1", *NEW, "--jobs", "1", "--out", "v"]
    status, err, started = stopped_at(case, args, point, name)
    assert status == STATUS[name], err
    assert wait_gone(started, allowed="pdflatex" if name == "SIGKILL" else "") == []   # no worker outlives it
    if name != "SIGKILL":
        lines = [line for line in err.splitlines() if "%|" not in line and line.strip()]
        publishing = point.startswith("publish-set:") and point != "publish-set:staged"
        said = "interrupted after the new outputs were published" if publishing else \
            "interrupted: the previous outputs are unchanged"
        assert lines[-1].startswith(said), err
        assert agree(out) == (2 if publishing else 1)
        assert not list(out.glob(".staging-*")) and not list(out.glob(".publish-set*"))
    # The next run succeeds, publishes the new set, and leaves nothing behind.
    done = run(case, *args)
    assert done.returncode == 0, done.stderr
    assert agree(out) == 2
    assert not list(out.glob(".staging-*")) and not list(out.glob(".publish-set*"))
    assert not list((case / "tmp").iterdir())
    assert not [p for p in children(os.getpid()) if "pdflatex" in _command(p)]


@pytest.mark.parametrize("name", ["SIGINT", "SIGKILL"])
def test_an_interrupted_feedback_pdf_leaves_the_earlier_one(case: Path, name: str) -> None:
    sheet = case / "work.toml"
    assert run(case, "worksheet", "--out", str(sheet)).returncode == 0
    sheet.write_text(sheet.read_text().replace('gradient = ""', 'gradient = "(h - y) * x_j / m"', 1))
    earlier = case / "feedback.pdf"
    earlier.write_bytes(b"%PDF-1.5 the earlier feedback\n")
    status, err, started = stopped_at(case, ["check", str(sheet), "--pdf", str(earlier)], "compiling", name)
    assert status == STATUS[name], err
    if name != "SIGKILL":
        assert err.splitlines()[-1] == "interrupted: the previous outputs are unchanged", err
    assert earlier.read_bytes() == b"%PDF-1.5 the earlier feedback\n"
    assert wait_gone(started, allowed="pdflatex" if name == "SIGKILL" else "") == []
    done = run(case, "check", str(sheet), "--pdf", str(earlier))   # sweeps what a killed run left
    assert done.returncode == 1 and earlier.read_bytes().startswith(b"%PDF") and len(earlier.read_bytes()) > 1000
    assert not list((case / "tmp").iterdir())
    assert not list((case / "cache" / "hw1-solver" / "feedback").iterdir())
    assert not [p for p in children(os.getpid()) if "pdflatex" in _command(p)]


@pytest.mark.parametrize("point", ["drawing:q1_saturation"])
def test_a_first_build_killed_outright_costs_the_next_nothing(tmp_path: Path, point: str) -> None:
    status, err, _ = stopped_at(tmp_path, ["build", "--out", "b"], point, "SIGKILL")
    assert status == -9
    done = run(tmp_path, "build", "--out", "b", "--set", "q3.learning_rate=0.2")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "b" / "solutions.pdf").exists()
    assert not list((tmp_path / "b").rglob("*.wait")) and not list((tmp_path / "tmp").iterdir())


def test_a_latex_that_exits_0_without_a_pdf_is_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pdflatex stand-in that writes its .aux and exits 0 but writes no PDF: the PDF an earlier pass
    left in the folder is not passed off as this compile's."""
    from solver.engine import pdflatex

    fake = tmp_path / "fake-pdflatex"
    fake.write_text("#!/bin/sh\nfor last; do :; done\n: > \"${last%.tex}.aux\"\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setattr(pdflatex, "PDFLATEX", [str(fake)])
    monkeypatch.setattr(pdflatex.toolchain, "require", lambda: None)
    tex = tmp_path / "doc.tex"
    tex.write_text("\\documentclass{article}\\begin{document}x\\end{document}\n")
    (tmp_path / "doc.aux").write_text("")
    (tmp_path / "doc.pdf").write_bytes(b"%PDF an older compile's")
    with pytest.raises(pdflatex.LatexError, match="without writing doc.pdf"):
        pdflatex.pdf(tex)


@pytest.mark.parametrize("journal", [
    b"[[1, 2, 3]]", b"{}", b"[[\".answers.json.tmp1\", \"../outside\"]]",
    b"[[\".answers.json.tmp1\", \"config.toml\"]]", b"[[\"figures/.a.pdf.tmp1\", \"answers.json\"]]", b"\xff",
])
def test_a_planted_publish_journal_is_not_replayed(tmp_path: Path, journal: bytes) -> None:
    """A journal that is not the build's own (wrong shape, names outside OUT, a staged file onto
    another output's name) is dropped: the build runs and no output is moved onto another."""
    from solver.engine import publish

    out, work = tmp_path / "out", tmp_path / "out" / ".work"
    (out / "figures").mkdir(parents=True)
    work.mkdir()
    (out / "answers.json").write_text("answers")
    (out / "config.toml").write_text("config")
    (out / ".answers.json.tmp1").write_text("staged answers")
    (out / "figures" / ".a.pdf.tmp1").write_text("a figure")
    (out / publish.JOURNAL).write_bytes(journal)
    publish.sweep(out, work)
    assert (out / "answers.json").read_text() == "answers" and (out / "config.toml").read_text() == "config"
    assert not (tmp_path / "outside").exists() and not (out / publish.JOURNAL).exists()
