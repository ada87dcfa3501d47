"""A fill-in TOML worksheet with answers.json's structure for the asked parts.

Every value is an empty placeholder ("" for a number or a formula, [] for a vector or
matrix), which `check` reads as not given; each has a comment saying what it is.  Each
question's section comes from its checker module, in the registry's order.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from solver.check.compare import checkers, prose
from solver.questions import QUESTIONS, Question


def shape(rows: int, cols: int | None = None) -> str:
    return f"{rows} values" if cols is None else f"{rows}×{cols} matrix, a list of {rows} rows"


def vec(v: np.ndarray) -> str:
    return "[" + ", ".join(f"{x:g}" for x in np.asarray(v, float)) + "]"


def worksheet(cfg: Any, questions: Sequence[Question] = QUESTIONS) -> str:
    modules = checkers(questions)
    lines = [
        "# ELEG 5491 Homework 1: worksheet for `python -m solver check THIS_FILE`",
        "# Fill in the values you computed, rounded to 4 decimals as you go; leave \"\" or [] for what you skip.",
        "# Numbers are numbers (0.1234, not \"0.1234\"); matrices are lists of rows: [[1, 2, 3], [4, 5, 6]].",
        "# Formulas are text, written like Python: (h - y) * x_j / m, abs(z), z**2.",
        *(f"# {part} is prose: it is marked by a person, not here." for m in modules for part, _ in prose(m)),
    ]
    for module in modules:
        lines += module.worksheet(cfg)
    return "\n".join(lines) + "\n"

