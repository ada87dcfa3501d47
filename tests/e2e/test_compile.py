"""solver.engine.pdflatex runs pdflatex as often as the references need and no more.

Each case is a small document whose right output is known without the solver: a \\ref to a
label that moves, a list of figures that must show a changed caption, a document that never
settles.  The passes are counted by wrapping `compile._pass`; the text is read back from the
PDF with pdftotext (poppler), or pypdf where poppler is missing.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from solver.engine import pdflatex as compile
from tests.conftest import requires_tex


def pdf_text(pdf: Path) -> str:
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    from pypdf import PdfReader

    return " ".join(page.extract_text() or "" for page in PdfReader(pdf).pages)


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    ran: list[Path] = []
    real = compile._pass
    monkeypatch.setattr(compile, "_pass", lambda tex, *rest, **options: ran.append(tex) or real(tex, *rest, **options))
    return ran


def document(body: str, preamble: str = "") -> str:
    return f"\\documentclass{{article}}\n{preamble}\n\\begin{{document}}\n{body}\n\\end{{document}}\n"


def test_writefile_lines_and_bookmark_source_lines_are_not_acted_on() -> None:
    aux = (b"\\relax\n\\newlabel{a}{{1}{2}}\n\\@writefile{lof}{\\contentsline {figure}{eta = 0.01}{3}}\n"
           b"\\BKM@entry{id=1,dest={73},srcline={405}}{5C33}\n")
    moved = aux.replace(b"eta = 0.01", b"eta = 0.02").replace(b"srcline={405}", b"srcline={406}")
    assert compile.settled({".aux": aux}, {".aux": moved})
    assert not compile.settled({".aux": aux}, {".aux": aux.replace(b"{{1}{2}}", b"{{1}{3}}")})   # a page moved
    assert not compile.settled({".aux": aux}, {".aux": aux.replace(b"dest={73}", b"dest={74}")})  # a bookmark moved
    assert not compile.settled({}, {".aux": aux})                                                # a first pass
    assert not compile.settled({".aux": aux, ".lof": b"x"}, {".aux": aux, ".lof": b"y"})          # a list changed


@requires_tex
def test_a_reference_to_a_label_is_right_and_a_second_run_costs_one_pass(tmp_path: Path, passes: list[Path]) -> None:
    tex = tmp_path / "doc.tex"
    tex.write_text(document("See section~\\ref{far} on page~\\pageref{far}.\n\\newpage\\section{First}\\newpage"
                            "\\section{Far}\\label{far}"))
    compile.pdf(tex)
    assert len(passes) == 2  # the first pass cannot know the label
    assert "See section 2 on page 3." in pdf_text(tex.with_suffix(".pdf"))
    tex.write_text(document("See section~\\ref{far} on page~\\pageref{far}.\n\\newpage\\section{First}\\newpage"
                            "\\section{Far}\\label{far} More text."))
    compile.pdf(tex)
    assert len(passes) == 3  # nothing the reference reads moved: one pass
    tex.write_text(document("See section~\\ref{far} on page~\\pageref{far}.\n\\section{First}\\newpage\\section{Second}"
                            "\\newpage\\section{Far}\\label{far}"))
    compile.pdf(tex)
    assert len(passes) == 5  # the label moved: a second pass, and the text says where it went
    assert "See section 3 on page 3." in pdf_text(tex.with_suffix(".pdf"))


def figure(caption: str) -> str:
    return f"\\begin{{figure}}\\centering\\fbox{{x}}\\caption{{{caption}}}\\end{{figure}}"


@requires_tex
def test_a_changed_caption_reaches_a_list_of_figures_but_costs_nothing_without_one(
        tmp_path: Path, passes: list[Path]) -> None:
    listed = tmp_path / "listed.tex"
    for eta in ("0.01", "0.02"):
        listed.write_text(document(f"\\listoffigures\n{figure(f'Loss with eta {eta}')}"))
        compile.pdf(listed)
        assert pdf_text(listed.with_suffix(".pdf")).count(f"Loss with eta {eta}") == 2  # the list and the caption
    assert len(passes) == 4  # two passes each time: the list is one pass behind the caption

    plain = tmp_path / "plain.tex"
    for eta in ("0.01", "0.02"):
        plain.write_text(document(f"Text.\n{figure(f'Loss with eta {eta}')}"))
        compile.pdf(plain)
        assert f"Loss with eta {eta}" in pdf_text(plain.with_suffix(".pdf"))
    assert len(passes) == 4 + 2 + 1  # the second caption changes a line of the .aux nothing reads


@requires_tex
def test_a_document_that_never_settles_is_an_error_after_max_passes(tmp_path: Path, passes: list[Path]) -> None:
    tex = tmp_path / "restless.tex"
    tex.write_text(document("Runs: \\runs.", preamble="\\makeatletter\\providecommand\\runs{0}\n"
                            "\\AtBeginDocument{\\immediate\\write\\@auxout{\\gdef\\string\\runs{\\the\\numexpr\\runs+1}}}"
                            "\n\\makeatother"))
    with pytest.raises(compile.LatexError, match=f"still changed after {compile.MAX_PASSES} passes"):
        compile.pdf(tex)
    assert len(passes) == compile.MAX_PASSES


def test_a_pass_stopped_by_a_signal_says_so(tmp_path: Path) -> None:
    """pdflatex killed before it logged an error (its log holds none): the message names the
    signal instead of a bare "no error message found"."""
    import signal as signals

    tex = tmp_path / "doc.tex"
    tex.write_text(document("Text."))
    tex.with_suffix(".log").write_text("This is pdfTeX ...\n(./doc.tex\n")
    said = compile.explain(tex, "", -signals.SIGKILL)
    assert "stopped by SIGKILL" in said and "doc.log" in said
    assert "exited with status 3" in compile.explain(tex, "", 3)
    tex.with_suffix(".log").write_text("! Undefined control sequence.\n")
    assert "Undefined control sequence" in compile.explain(tex, "", -signals.SIGKILL)


# ---------------------------------------------------------------- figures drawn while LaTeX runs

def include_figure_macro() -> str:
    """The document's own \\includefigure, as templates/base.tex.j2 defines it."""
    base = (Path(__file__).resolve().parents[2] / "templates" / "base.tex.j2").read_text()
    start = base.index("\\newread\\figurewait")
    end = base.index("\\includegraphics[#1]{#2}}", start) + len("\\includegraphics[#1]{#2}}")
    return base[start:end]


def one_word_pdf(directory: Path, word: str) -> bytes:
    tex = directory / f"{word}.tex"
    tex.write_text("\\documentclass{article}\\pagestyle{empty}\\begin{document}" + word + "\\end{document}\n")
    subprocess.run(["pdflatex", "-interaction=batchmode", tex.name], cwd=directory, check=True, capture_output=True)
    return tex.with_suffix(".pdf").read_bytes()


def pdflatex_open_files() -> set[str]:
    found = set()
    for comm in glob.glob("/proc/[0-9]*/comm"):
        try:
            if Path(comm).read_text().strip() == "pdflatex":
                found.update(os.readlink(fd) for fd in glob.glob(comm.replace("comm", "fd/*")))
        except OSError:
            continue   # gone meanwhile
    return found


class SlowDrawing:
    """A stand-in for solver.engine.drawing.Drawing: `figures/plot.pdf` holds last build's
    figure until, a while after LaTeX started, the new one lands."""

    def __init__(self, work: Path, new: bytes, fail: bool = False) -> None:
        self.paths = {"plot": work / "figures" / "plot.pdf"}
        self.pending = {"plot"}
        self.new, self.fail, self.waited = new, fail, False

    def stub(self) -> bool:
        return False   # a first pass waits as any other

    def completed(self):  # noqa: ANN201
        fifo = self.paths["plot"].with_name("plot.pdf" + compile.WAIT)
        deadline = time.monotonic() + 120
        while not self.waited and time.monotonic() < deadline:  # until pdflatex has the FIFO open: it waits there
            self.waited = str(fifo) in pdflatex_open_files()
            time.sleep(0.05)
        if self.fail:
            raise RuntimeError("the figure could not be drawn")
        self.paths["plot"].write_bytes(self.new)
        self.pending.discard("plot")
        yield "plot"


@requires_tex
def test_latex_waits_at_a_figure_still_being_drawn_and_includes_the_new_one(tmp_path: Path) -> None:
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "plot.pdf").write_bytes(one_word_pdf(tmp_path, "OLDFIGURE"))
    drawing = SlowDrawing(tmp_path, one_word_pdf(tmp_path, "NEWFIGURE"))
    tex = tmp_path / "doc.tex"
    tex.write_text(document("Before.\n\n\\includefigure[width=3cm]{figures/plot.pdf}\n\nAfter.",
                            preamble="\\usepackage{graphicx}\n" + include_figure_macro()))
    compile.pdf(tex, drawing)
    assert drawing.waited, "LaTeX never opened the figure's FIFO"
    text = pdf_text(tex.with_suffix(".pdf"))
    assert "NEWFIGURE" in text and "OLDFIGURE" not in text
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["plot.pdf"]  # no FIFO left
    compile.pdf(tex)  # on its own: no FIFO, no wait
    assert "NEWFIGURE" in pdf_text(tex.with_suffix(".pdf"))


class StubbingDrawing(SlowDrawing):
    """As SlowDrawing, but a first pass finds a blank page of the new figure's size in its place."""

    def __init__(self, work: Path, new: bytes, size: tuple[float, float]) -> None:
        super().__init__(work, new)
        self.size = size

    def stub(self) -> bool:
        from solver.engine import drawing

        drawing._stub(self.paths["plot"], self.size)
        return True


@requires_tex
def test_a_first_pass_lays_out_around_a_blank_page_of_the_figures_size_and_the_last_waits_for_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new directory's first pass (no .aux: its PDF is not kept) does not wait for a figure still
    being drawn: a blank page of its size stands in.  The next pass waits for the figure and
    includes it; two passes in all, and the PDF is byte for byte the one compiled with the
    figure in place from the start."""
    from pypdf import PdfReader

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    new = one_word_pdf(tmp_path, "NEWFIGURE")
    box = PdfReader(tmp_path / "NEWFIGURE.pdf").pages[0].mediabox
    size = (float(box.width) / 72, float(box.height) / 72)
    body = ("Before.\n\n\\includefigure[width=3cm]{figures/plot.pdf}\n\n"
            "After, on page \\pageref{end} of a document whose last page is \\pageref{end}.\\label{end}")
    text = document(body, preamble="\\usepackage{graphicx}\n" + include_figure_macro())
    reference = tmp_path / "reference"
    (reference / "figures").mkdir(parents=True)
    (reference / "figures" / "plot.pdf").write_bytes(new)
    (reference / "doc.tex").write_text(text)
    compile.pdf(reference / "doc.tex")

    work = tmp_path / "work"
    (work / "figures").mkdir(parents=True)
    (work / "doc.tex").write_text(text)
    seen: list[tuple[bool, bool]] = []
    real = compile._pass

    def recording(tex, *rest, **options):  # noqa: ANN001, ANN002, ANN003, ANN202
        seen.append((options.get("draft", False), (work / "figures" / ("plot.pdf" + compile.WAIT)).exists()))
        return real(tex, *rest, **options)

    monkeypatch.setattr(compile, "_pass", recording)
    drawing = StubbingDrawing(work, new, size)
    compile.pdf(work / "doc.tex", drawing)
    assert seen == [(True, False), (False, True)]   # the draft pass had no FIFO to wait at; the last did
    assert drawing.waited
    assert (work / "doc.pdf").read_bytes() == (reference / "doc.pdf").read_bytes()
    assert "NEWFIGURE" in pdf_text(work / "doc.pdf")


@requires_tex
def test_a_figure_that_fails_stops_latex_and_leaves_no_fifo(tmp_path: Path) -> None:
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "plot.pdf").write_bytes(one_word_pdf(tmp_path, "OLDFIGURE"))
    (tmp_path / "figures" / ("stale.pdf" + compile.WAIT)).touch()   # left by a killed build: removed first
    tex = tmp_path / "doc.tex"
    tex.write_text(document("\\includefigure[width=3cm]{figures/plot.pdf}",
                            preamble="\\usepackage{graphicx}\n" + include_figure_macro()))
    with pytest.raises(RuntimeError, match="could not be drawn"):
        compile.pdf(tex, SlowDrawing(tmp_path, b"", fail=True))
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["plot.pdf"]
    assert not (tmp_path / compile.PID_FILE).exists()
