"""A rebuild's first LaTeX pass started ahead (solver/engine/pdflatex.py, Ahead): pdflatex loads
the format while the build solves and renders, then typesets the .tex the build writes, to the
bytes an ordinary pass writes; a pass never fed is stopped and leaves the folder as it was.

The small documents here print a word their body names, so a pass that typeset anything but the
text it was given would show in the PDF's text."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from solver import config, divergence, pipeline
from solver.engine import formats, pdflatex
from tests.conftest import ID, requires_tex
from tests.e2e.test_bad_inputs import DIVERGING

pytestmark = requires_tex


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def document(body: str) -> str:
    return (f"\\documentclass{{article}}\n\\usepackage{{xcolor}}\n{formats.MARKER}\n\\pdftrailerid{{}}\n"
            f"\\begin{{document}}\n{body}\n\\end{{document}}\n")


def compiled(folder: Path, body: str, ahead: bool = False) -> Path:
    """doc.tex of `body` in `folder`, compiled (by a pass started ahead when `ahead`, which needs
    an earlier compile there); its PDF."""
    folder.mkdir(parents=True, exist_ok=True)
    tex = folder / "doc.tex"
    started = pdflatex.Ahead(tex, formats.last_used(tex) or "") if ahead else None
    tex.write_text(document(body), encoding="utf-8")
    with started or contextlib.nullcontext():
        return pdflatex.pdf(tex, ahead=started)


def fed(folder: Path) -> bool:
    """Whether the last pass in `folder` read its text from the FIFO of a pass started ahead."""
    return "**doc.tex.feed" in (folder / "doc.log").read_text(errors="replace")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()
                  if p.name.endswith(pdflatex.FEED) or p.name == pdflatex.PID_FILE
                  or (p.name.startswith("preamble-") and p.suffix == ".fls"))


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixed_date: str) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    formats.installation.cache_clear()
    # However busy the machine, pdflatex gets to the FIFO before the pass is given up on here.
    monkeypatch.setattr(pdflatex.Ahead, "OPEN_WAIT", 60.0)


def test_a_pass_fed_ahead_writes_the_bytes_an_ordinary_pass_writes(tmp_path: Path) -> None:
    compiled(tmp_path / "ahead", "The word is apple.")
    pdf = compiled(tmp_path / "ahead", "The word is banana.", ahead=True)
    assert fed(tmp_path / "ahead")
    assert "The word is banana." in pdf_text(pdf)
    ordinary = compiled(tmp_path / "ordinary", "The word is banana.")
    assert not fed(tmp_path / "ordinary")
    assert pdf.read_bytes() == ordinary.read_bytes()
    assert leftovers(tmp_path / "ahead") == []


def test_a_pass_never_fed_is_stopped_and_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "doc"
    compiled(folder, "The word is apple.")
    before = files_of(folder)
    tex = folder / "doc.tex"
    ahead = pdflatex.Ahead(tex, formats.last_used(tex) or "")
    pid = ahead._run.pid if ahead._run is not None else 0
    time.sleep(0.5)   # its format loaded: it waits at the FIFO
    assert ahead.runs(tex, formats.last_used(tex))
    ahead.stop()
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    assert files_of(folder) == before and leftovers(folder) == []


def test_a_pass_that_ended_before_it_was_fed_is_run_the_ordinary_way(tmp_path: Path) -> None:
    folder = tmp_path / "doc"
    compiled(folder, "The word is apple.")
    tex = folder / "doc.tex"
    ahead = pdflatex.Ahead(tex, formats.last_used(tex) or "")
    assert ahead._run is not None
    os.killpg(ahead._run.pid, signal.SIGKILL)
    ahead._run.wait()
    tex.write_text(document("The word is cherry."), encoding="utf-8")
    pdf = pdflatex.pdf(tex, ahead=ahead)
    assert not fed(folder) and "The word is cherry." in pdf_text(pdf)
    assert leftovers(folder) == []


def test_a_pass_is_not_fed_a_text_its_format_is_not_for(tmp_path: Path) -> None:
    """The guess (the format of the last pass) is wrong when the preamble changed: that pass is
    stopped, and the compile dumps and uses the right one."""
    folder = tmp_path / "doc"
    compiled(folder, "The word is apple.")
    tex = folder / "doc.tex"
    ahead = pdflatex.Ahead(tex, formats.last_used(tex) or "")
    tex.write_text(document("The word is plum.").replace("{xcolor}", "{graphicx}"), encoding="utf-8")
    pdf = pdflatex.pdf(tex, ahead=ahead)
    assert not fed(folder) and "The word is plum." in pdf_text(pdf)
    assert formats.last_used(tex) == formats.name(formats.preamble(tex.read_text()) or "")
    assert leftovers(folder) == []


def test_an_error_in_a_document_given_to_a_pass_started_ahead_names_the_tex_and_its_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "doc"
    compiled(folder, "The word is apple.")
    given: list[bool] = []
    real = pdflatex._pass

    def recording(tex, *rest, **options):  # noqa: ANN001, ANN002, ANN003, ANN202
        given.append(options.get("ahead") is not None)
        return real(tex, *rest, **options)

    monkeypatch.setattr(pdflatex, "_pass", recording)
    with pytest.raises(pdflatex.LatexError) as raised:
        compiled(folder, "The word is\n\\undefinedword.", ahead=True)
    assert given[0] is True   # the first pass was the one started ahead, then the compile ran without the format
    message = str(raised.value)
    assert "LaTeX error in ./doc.tex line 7: Undefined control sequence." in message, message
    assert "> " in message and "\\undefinedword" in message and pdflatex.FEED not in message
    assert leftovers(folder) == []


# ---------------------------------------------------------------- the build

def test_a_name_change_is_typeset_by_the_pass_started_ahead_to_the_same_bytes(
        copy_of_default_build: Path, tmp_path: Path) -> None:
    cfg = config.load(None, [f"student.id={ID}", "student.name=Grace Hopper"])
    pipeline.build(cfg, copy_of_default_build, say=lambda line: None)
    log = (copy_of_default_build / ".work" / "solutions.log").read_text(errors="replace")
    assert "**solutions.tex.feed" in log
    assert "Grace Hopper" in pdf_text(copy_of_default_build / "solutions.pdf")
    fresh = tmp_path / "fresh"
    pipeline.build(cfg, fresh, say=lambda line: None)
    assert "**solutions.tex.feed" not in (fresh / ".work" / "solutions.log").read_text(errors="replace")
    assert (copy_of_default_build / "solutions.pdf").read_bytes() == (fresh / "solutions.pdf").read_bytes()
    assert leftovers(copy_of_default_build / ".work") == []


def test_a_configuration_refused_on_a_rebuild_leaves_the_directory_as_it_was(copy_of_default_build: Path) -> None:
    """OUT's lock is taken and LaTeX started before solving: a configuration that diverges then
    stops that pass, and every file of OUT, .work included, is as it was."""
    out = copy_of_default_build
    before = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    diverging = out.parent / "diverging.toml"
    diverging.write_text(DIVERGING)
    cfg = config.load(diverging)
    with pytest.raises(divergence.Diverged):
        pipeline.build(cfg, out, say=lambda line: None)
    after = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert after == before
    assert leftovers(out / ".work") == []


def test_what_a_pass_started_ahead_leaves_when_its_build_is_killed_is_swept(copy_of_default_build: Path) -> None:
    work = copy_of_default_build / ".work"
    os.mkfifo(work / f"solutions.tex{pdflatex.FEED}")
    (work / "preamble-0123456789abcdef012312345.fls").write_text("PWD /nowhere\n")
    cfg = config.load(None, ["student.name=Grace Hopper"])
    pipeline.build(cfg, copy_of_default_build, say=lambda line: None)
    assert leftovers(work) == []
