"""Shared test helpers: TeX availability, PDF text, a default build."""
from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Iterator

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


@contextlib.contextmanager
def unprivileged(reach: Path | None = None) -> Iterator[None]:
    """Run the body without root's power to ignore file permissions (CI runs as root):
    the effective user becomes `nobody`, with the directories above `reach` made
    traversable for the duration, and everything is restored afterwards."""
    if os.geteuid() != 0:
        yield
        return
    opened = [(d, d.stat().st_mode) for d in (reach.resolve().parents if reach else ()) if not d.stat().st_mode & 0o001]
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
