"""Question 1's figures."""
from __future__ import annotations

from pathlib import Path

from solver.questions.q1_l2_logistic import Result


def draw(result: Result, directory: Path) -> dict[str, Path]:
    return {}
