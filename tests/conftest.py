"""Shared test helpers: TeX availability, PDF text, a default build."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI") == "true"
HAVE_TEX = shutil.which("latexmk") is not None and shutil.which("pdflatex") is not None

# End-to-end tests need TeX; they may skip on a developer's machine without it, never in CI.
requires_tex = pytest.mark.skipif(not HAVE_TEX and not IN_CI, reason="TeX (latexmk, pdflatex) not installed")

EPOCH = "1767225600"  # 2026-01-01, a fixed date for reproducible builds


def pdf_text(path: Path) -> str:
    """The PDF's text, whitespace collapsed, for searching."""
    from pypdf import PdfReader

    text = " ".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return " ".join(text.split())


@pytest.fixture
def fixed_date(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    return EPOCH
