"""A copy of the project for running make in (tests/e2e/test_make.py, and make check/grade in
tests/unit/test_check.py): its `.venv/bin/python` is a small wrapper whose `-m solver build` is a
stand-in recording its arguments; anything else runs the real interpreter.  pdflatex is a stand-in
on PATH so that `make pdf` never tries to install TeX."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("Makefile", "pyproject.toml", "requirements.lock", "LICENSE", "setup.py", "scripts", "solver", "templates")

FAKE_BUILD = r'''
import json, os, sys
from pathlib import Path
args = sys.argv[1:]
with open(os.path.join(os.path.dirname(__file__), "build.log"), "a") as log:
    log.write(json.dumps(args) + "\n")
if os.environ.get("FAKE_BUILD_FAILS"):
    print("error: the stand-in build fails as asked", file=sys.stderr)
    sys.exit(1)
out = Path(next(a[len("--out="):] for a in args if a.startswith("--out=")))
(out / "figures").mkdir(parents=True, exist_ok=True)
(out / ".work").mkdir(exist_ok=True)
(out / ".lock").touch()
(out / "figures" / "q1.pdf").write_text("figure")
for name in ("solutions.pdf", "solutions.tex", "answers.json", "config.toml"):
    (out / name).write_text(" ".join(args))
'''


class Project:
    def __init__(self, path: Path, home: Path, tools: Path) -> None:
        self.path, self.home, self.tools = path, home, tools
        self.log = path / ".venv" / "build.log"

    def make(self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        clean = {k: v for k, v in os.environ.items()
                 if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "OUT", "CONFIG", "SET", "PYTEST_ARGS")
                 and not k.startswith("HW_")}
        clean.update(HOME=str(self.home), PATH=f"{self.tools}{os.pathsep}{os.environ['PATH']}",
                     SOURCE_DATE_EPOCH="1767225600")
        clean.update(env or {})
        return subprocess.run(["make", "--no-print-directory", "-C", str(self.path), *args],
                              capture_output=True, text=True, env=clean, cwd=cwd or self.path, timeout=300)

    def builds(self) -> list[list[str]]:
        """The argument lists the stand-in build was called with, in order."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    path = tmp_path / "project"
    path.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, path / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, path / name)
    (path / "build").mkdir()
    (path / "build" / ".gitkeep").touch()
    venv = path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "fake_build.py").write_text(FAKE_BUILD)
    wrapper = venv / "bin" / "python"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'if [ "$1 $2 $3" = "-m solver build" ]; then shift 3; exec "{sys.executable}" "{venv / "fake_build.py"}" "$@"; fi\n'
        f'exec "{sys.executable}" "$@"\n'
    )
    wrapper.chmod(0o755)
    (venv / ".installed").touch()  # newer than pyproject.toml and requirements.lock: nothing to install
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in ("pdflatex",):
        (tools / tool).write_text("#!/bin/sh\nexit 0\n")
        (tools / tool).chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    return Project(path, home, tools)


def backdate(*paths: Path, seconds: float = 10) -> None:
    """Make `paths` (and everything in them) look written `seconds` ago."""
    then = time.time() - seconds
    for path in paths:
        for each in [path, *(path.rglob("*") if path.is_dir() else ())]:
            os.utime(each, (then, then), follow_symlinks=False)


def no_file_named_x(*places: Path) -> bool:
    return not any((place / "X").exists() for place in places)
