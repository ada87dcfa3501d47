"""Missing TeX: a message naming what to install, never a FileNotFoundError."""
from __future__ import annotations

from pathlib import Path

import pytest

from solver import cli
from solver.engine import toolchain


@pytest.fixture
def no_tex(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no pdflatex, no apt-get


def test_missing_tools_are_named(no_tex: None) -> None:
    assert toolchain.missing_tools() == ["pdflatex"]


def test_check_without_install_explains(no_tex: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["tex"]) == 1
    err = capsys.readouterr().err
    assert "pdflatex not found" in err
    for needle in ("apt-get install texlive-latex-base", "dnf install", "tlmgr install collection-latexrecommended"):
        assert needle in err


def test_install_needs_apt(no_tex: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["tex", "--install"]) == 1  # no apt-get on PATH: explain instead
    assert "Debian/Ubuntu" in capsys.readouterr().err


def test_build_without_tex_fails_cleanly(no_tex: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert cli.main(["build", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: TeX is missing") and "Traceback" not in err
    assert not (out / "solutions.pdf").exists()
