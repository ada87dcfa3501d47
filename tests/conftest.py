"""Shared test helpers: TeX availability, PDF text, the one default build the suite shares."""
from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import settings

# pytest keeps each test module with its asserts rewritten in __pycache__, which saves each worker
# about 3 s of start-up; a PYTHONDONTWRITEBYTECODE set for everything on a machine would make every
# run rewrite them again.  (The package's own modules are compiled when it is installed.)
sys.dont_write_bytecode = False

# The same examples on every run, here and in CI: a property test that passes here cannot fail there on a
# draw nobody has seen (new edge cases are found by widening the strategies, deliberately).
settings.register_profile("repeatable", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("repeatable")

# Tests never read or write the real per-user cache (~/.cache/hw1-solver): one temporary
# XDG_CACHE_HOME for the whole session, inherited by the builds they run in subprocesses.  The
# process that loads this first (pytest-xdist's controller) makes it and removes it at its exit; its
# workers inherit the variable and share the folder, as concurrent builds share a user's cache.
_XDG = os.environ.get("HW1_TEST_XDG_CACHE_HOME")
if _XDG is None or not os.path.isdir(_XDG):
    _XDG = tempfile.mkdtemp(prefix="hw1-test-xdg-")
    os.environ["HW1_TEST_XDG_CACHE_HOME"] = _XDG
    atexit.register(shutil.rmtree, _XDG, ignore_errors=True)
os.environ["XDG_CACHE_HOME"] = _XDG

IN_CI = os.environ.get("CI") == "true"
HAVE_TEX = shutil.which("pdflatex") is not None

# End-to-end tests need TeX; they may skip on a developer's machine without it, never in CI.
requires_tex = pytest.mark.skipif(not HAVE_TEX and not IN_CI, reason="TeX (pdflatex) not installed")

EPOCH = "1767225600"  # 2026-01-01, a fixed date for reproducible builds
REPO = Path(__file__).resolve().parent.parent
NAME, ID = "Ada Lovelace-Byron", "20261126"
DEFAULT_BUILD_ARGS = ["--set", f"student.name={NAME}", "--set", f"student.id={ID}"]


def pdf_text(path: Path) -> str:
    """The PDF's text, whitespace collapsed, for searching."""
    from pypdf import PdfReader

    text = " ".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return " ".join(text.split())


@pytest.fixture(scope="session")
def default_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real build of the defaults (with a name and ID) through the command line, shared
    by every test that needs a finished build; copy it before changing anything in it."""
    if not HAVE_TEX and not IN_CI:
        pytest.skip("TeX (pdflatex) not installed")
    out = tmp_path_factory.mktemp("default") / "build"
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    run = subprocess.run([sys.executable, "-m", "solver", "build", "--out", str(out), *DEFAULT_BUILD_ARGS],
                         capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert run.returncode == 0, run.stderr
    assert [line.split()[0] for line in run.stdout.splitlines()[:4]] == ["solve", "figures", "render", "compile"]
    return out


@pytest.fixture(scope="session")
def every_figure(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every figure of the defaults (the study edition's: the submission includes fewer), drawn once: name -> path."""
    from solver import config, pipeline
    from solver.engine import drawing

    cfg = config.load()
    return drawing.draw_all(pipeline.solve_cached(cfg), tmp_path_factory.mktemp("figures"), pipeline.keys_of(cfg),
                            pipeline.QUESTIONS)


@pytest.fixture
def copy_of_default_build(default_build: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(default_build, out)
    return out


@pytest.fixture
def fixed_date(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    return EPOCH


@contextlib.contextmanager
def unprivileged(reach: Path | None = None) -> Iterator[None]:
    """Run the body without root's power to ignore file permissions (CI runs as root):
    the effective user becomes `nobody`, with the directories above `reach`, the checkout
    and the virtual environment made traversable for the duration, and everything is
    restored afterwards."""
    if os.geteuid() != 0:
        yield
        return
    # `nobody` must also reach the code it runs: the checkout, the interpreter's environment and
    # the standard library it was made from (a module imported first inside the body, e.g. cmath)
    # may sit in a directory other users cannot enter (a clone or pyenv under /root, `mktemp -d`).
    needed = {d for place in (reach, REPO, Path(sys.prefix), Path(sys.base_prefix)) if place
              for d in place.resolve().parents}
    # One such block at a time on the machine (both workers, and a second `make test` beside this one): each
    # restores the modes it changed, which would shut out a block running meanwhile in another process.
    import fcntl

    lock = os.open(os.path.join(tempfile.gettempdir(), "hw1-solver-tests-unprivileged.lock"),
                   os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        opened = [(d, d.stat().st_mode) for d in sorted(needed) if not d.stat().st_mode & 0o001]
        for directory, mode in opened:
            directory.chmod(mode | 0o001)
        os.setegid(65534)
        os.seteuid(65534)
        try:
            yield
        finally:
            os.seteuid(0)
            os.setegid(0)
            for directory, mode in opened:
                directory.chmod(mode)
    finally:
        os.close(lock)   # and its lock with it
