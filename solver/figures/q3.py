"""Question 3's figures."""
from __future__ import annotations

from pathlib import Path

from solver.questions.q3_mlp import Result


def draw(result: Result, directory: Path) -> dict[str, Path]:
    return {}
