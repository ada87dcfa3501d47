"""The precompiled preamble (solver/engine/formats.py): a format that is not the one the
document's preamble, this TeX and this code would dump is never used as it is, and a build
from the format prints what the build without it prints.

Each case is a small document whose preamble defines a word the body prints, so a format from
another preamble would show in the PDF's text.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from solver import config, pipeline
from solver.engine import formats, pdflatex, store
from tests.conftest import EPOCH, REPO, requires_tex

pytestmark = requires_tex


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def document(word: str) -> str:
    return ("\\documentclass{article}\n\\usepackage{xcolor}\n"
            f"\\newcommand{{\\word}}{{{word}}}\n{formats.MARKER}\n"
            "\\begin{document}\nThe word is \\word.\n\\end{document}\n")


def compile_in(folder: Path, word: str) -> tuple[str, str]:
    """The PDF's text, and the format the last pass loaded (from its log's first line)."""
    folder.mkdir(parents=True, exist_ok=True)
    tex = folder / "doc.tex"
    tex.write_text(document(word), encoding="utf-8")
    for suffix in pdflatex.READ_BACK:
        tex.with_suffix(suffix).unlink(missing_ok=True)
    pdf = pdflatex.pdf(tex)
    first = tex.with_suffix(".log").read_text(errors="replace").splitlines()[0]
    return pdf_text(pdf), first


def fmt_of(word: str) -> str:
    return formats.name(formats.preamble(document(word)) or "")


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    formats.installation.cache_clear()


def test_a_pass_starts_from_the_format_and_prints_the_same(tmp_path: Path) -> None:
    text, loaded = compile_in(tmp_path / "a", "apple")
    assert "The word is apple." in text
    assert f"format={fmt_of('apple')}" in loaded
    kept = store.user_dir() / "formats" / f"{fmt_of('apple')}.fmt"
    assert kept.read_bytes()[:2] != b"\x1f\x8b"   # kept inflated, as pdflatex did not dump it
    # Another folder takes the user cache's format; the text is that of the document compiled alone.
    again, loaded = compile_in(tmp_path / "b", "apple")
    assert again == text and f"format={fmt_of('apple')}" in loaded
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "doc.tex").write_text(document("apple"))
    subprocess.run(["pdflatex", "-interaction=batchmode", "doc.tex"], cwd=alone, check=True, capture_output=True)
    assert pdf_text(alone / "doc.pdf") == text


def test_a_format_from_another_preamble_is_rebuilt(tmp_path: Path) -> None:
    compile_in(tmp_path / "b", "banana")
    folder = tmp_path / "a"
    folder.mkdir()
    apple = fmt_of("apple")
    for directory in (folder, store.user_dir() / "formats"):   # banana's format, under apple's name
        for suffix in (".fmt", ".json"):
            shutil.copyfile(tmp_path / "b" / f"{fmt_of('banana')}{suffix}", directory / f"{apple}{suffix}")
    text, loaded = compile_in(folder, "apple")
    assert "The word is apple." in text and f"format={apple}" in loaded


def test_a_damaged_format_is_rebuilt(tmp_path: Path) -> None:
    folder = tmp_path / "a"
    compile_in(folder, "apple")
    fmt = folder / f"{fmt_of('apple')}.fmt"
    data = bytearray(fmt.read_bytes())
    data[len(data) // 2:] = b"\0" * (len(data) - len(data) // 2)
    for directory in (folder, store.user_dir() / "formats"):
        target = directory / fmt.name
        target.unlink()
        target.write_bytes(bytes(data))
    text, loaded = compile_in(folder, "apple")
    assert "The word is apple." in text and f"format={fmt.stem}" in loaded
    assert fmt.read_bytes() != bytes(data)


def test_a_format_pdflatex_refuses_despite_its_digest_is_rebuilt(tmp_path: Path) -> None:
    """A file with the right digest beside it that pdflatex cannot load (as one dumped by another
    TeX): the pass fails on it, the format is dumped again and the compile goes on."""
    folder = tmp_path / "a"
    compile_in(folder, "apple")
    fmt = folder / f"{fmt_of('apple')}.fmt"
    for directory in (folder, store.user_dir() / "formats"):
        (directory / fmt.name).unlink()
        (directory / fmt.name).write_bytes(b"not a format\n")
        formats._record(directory / fmt.name, hashlib.sha256(b"not a format\n").hexdigest())
    text, loaded = compile_in(folder, "apple")
    assert "The word is apple." in text and f"format={fmt.stem}" in loaded
    assert fmt.read_bytes() != b"not a format\n"


def test_a_format_from_another_tex_installation_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "a"
    compile_in(folder, "apple")
    before = fmt_of("apple")
    monkeypatch.setattr(formats, "installation", lambda: "pdfTeX 3.14-other (TeX Live 2099)")
    after = fmt_of("apple")
    assert after != before
    text, loaded = compile_in(folder, "apple")
    assert "The word is apple." in text and f"format={after}" in loaded


def test_a_preamble_latex_cannot_dump_costs_the_format_not_the_compile(tmp_path: Path) -> None:
    folder = tmp_path / "a"
    folder.mkdir()
    tex = folder / "doc.tex"
    tex.write_text("\\documentclass{article}\n\\makeatletter\\@undefinedincompatible\n"
                   f"{formats.MARKER}\n\\begin{{document}}x\\end{{document}}\n")
    with pytest.raises(pdflatex.LatexError):   # the document's own error, reported as before
        pdflatex.pdf(tex)
    assert not list(folder.glob("*.fmt"))


# ---------------------------------------------------------------- whole documents, with and without


def without_format(tmp_path: Path) -> Path:
    """The project's base template without the marker: the same document, compiled without a format."""
    folder = tmp_path / "plain-templates"
    folder.mkdir(parents=True, exist_ok=True)
    base = (REPO / "templates" / "base.tex.j2").read_text(encoding="utf-8")
    (folder / "base.tex.j2").write_text(base.replace(formats.MARKER, "\\relax"), encoding="utf-8")
    return folder


def pages(pdf: Path, folder: Path) -> list[bytes]:
    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(folder / "p")], check=True)
    return [page.read_bytes() for page in sorted(folder.glob("p*.png"))]


def drawn(seed: int) -> config.Config:
    """A configuration as `variants` draws one (solver/variants.py)."""
    from solver import variants

    return config.validate(variants.flat(variants.variant(config.load().resolved, seed, 1)))


def test_the_same_text_and_pages_with_and_without_the_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once for the format cache (a drawn configuration: not the numbers the rest of the suite builds)."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    cfg = drawn(1)
    say = lambda line: None  # noqa: E731
    with_fmt = pipeline.build(cfg, tmp_path / "with", say=say)
    assert list((tmp_path / "with" / ".work").glob("preamble-*.fmt"))
    plain = pipeline.build(cfg, tmp_path / "without", say=say, templates=[without_format(tmp_path)])
    assert not list((tmp_path / "without" / ".work").glob("preamble-*.fmt"))
    assert pdf_text(with_fmt) == pdf_text(plain)
    assert pages(with_fmt, tmp_path / "p-with") == pages(plain, tmp_path / "p-without")
    for document in ("problems",):
        a = pipeline.build(cfg, tmp_path / "with", document, say=say)
        b = pipeline.build(cfg, tmp_path / "without", document, say=say, templates=[without_format(tmp_path)])
        assert pdf_text(a) == pdf_text(b)
