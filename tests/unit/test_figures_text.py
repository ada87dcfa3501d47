"""The figures' text is real text: extracted from the PDF it reads −10, θ, δ and z = θ, not the
"¡10", "µ", "±" that fonts without a Unicode map give; and the fonts are TrueType, never Type 3."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from solver.questions.q2_huber import QUESTION as Q2
from solver.questions.q1_l2_logistic import QUESTION as Q1
from solver import config
from solver.questions import QUESTIONS
from solver.questions.q1_l2_logistic import solve as q1_l2_logistic
from solver.questions.q2_huber import solve as q2_huber

MINUS = ("\u2212", "-")
GARBLED = ("¡", "µ", "±")   # what the cm fonts' codes map to without a ToUnicode table


def extract(path: Path) -> str:
    """The PDF's text with all whitespace removed: pdftotext when installed, else pypdf."""
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    else:
        from pypdf import PdfReader

        text = "".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return "".join(text.split())


def fonts(path: Path) -> list[tuple[str, str, bool]]:
    """(name, subtype of the glyph program, has a ToUnicode map) for every font on the page."""
    from pypdf import PdfReader

    page = PdfReader(path).pages[0]
    found = []
    for ref in page["/Resources"]["/Font"].values():
        font = ref.get_object()
        subtype = font["/Subtype"]
        if subtype == "/Type0":
            subtype = font["/DescendantFonts"][0].get_object()["/Subtype"]
        found.append((str(font.get("/BaseFont")), str(subtype), "/ToUnicode" in font))
    return found


def draw(question: str, assignments: list[str], directory: Path) -> dict[str, Path]:
    from solver.figures import styled
    from solver.questions.q1_l2_logistic import figures as q1
    from solver.questions.q2_huber import figures as q2

    cfg = config.load(assignments=assignments)
    module, result = (q1, Q1.solve(cfg)) if question == "q1" else (q2, Q2.solve(cfg))
    registered = next(q for q in QUESTIONS if q.id == question)
    drawn = {}
    for part in registered.figure_parts:
        with styled(registered.figure_size(part)):
            drawn[f"{question}_{part}"] = getattr(module, part)(result, directory)
    return drawn


@pytest.fixture(scope="module")
def figures(every_figure: dict[str, Path]) -> dict[str, Path]:
    """Every figure of the defaults, as a build draws them."""
    return every_figure


EXPECTED = {
    "q1_saturation": ["z=θ", "−10", "|dℓ/dz|", "per-sampleloss"],
    "q1_landscape": ["θ0", "θ1", "θinit", "L2Hessianindefinite", "L2Hessiannegativedefinite",
                     "boundaryofthehatchedregion"],
    "q1_training": ["θinit", "trainingaccuracy"],
    "q2_huber": ["δ", "−δ", "δ|r|", "r=z", "(i)", "workedexample"],   # pdftotext may set z's (i) apart
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_figure_text_extracts_as_written(figures: dict[str, Path], name: str) -> None:
    text = extract(figures[name])
    for label in EXPECTED[name]:
        assert label.replace("−", MINUS[0]) in text or label.replace("−", MINUS[1]) in text, (name, label, text)
    assert not any(bad in text for bad in GARBLED), (name, text)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_figure_fonts_are_truetype_with_a_unicode_map(figures: dict[str, Path], name: str) -> None:
    found = fonts(figures[name])
    assert found
    for base, subtype, unicode in found:
        assert subtype in ("/CIDFontType2", "/TrueType"), (name, base, subtype)
        assert unicode, (name, base)


def test_q2_triangle_legend_only_when_a_sample_is_beyond_the_plot(tmp_path: Path) -> None:
    (tmp_path / "inside").mkdir()
    (tmp_path / "beyond").mkdir()
    inside = extract(draw("q2", [], tmp_path / "inside")["q2_huber"])
    beyond = extract(draw("q2", ["q2.z=[100.0]", "q2.z_hat=[0.0]"], tmp_path / "beyond")["q2_huber"])
    assert "beyondtheplottedrange" not in inside and "workedexample" in inside
    assert "beyondtheplottedrange" in beyond
