"""The answer summary: every asked quantity of the registry, with where it is worked.

solutions.pdf opens with it (templates/summary.tex.j2); answer keys (solver/staff.py)
read the same registry entries.  Values come from answers.json's dict, so the summary,
the answer key and answers.json cannot disagree; a formula (Question 1(a)) comes from
the question's Result instead.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from solver import layout
from solver.questions import QUESTIONS, Asked, Question, Solutions, answers

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Entry:
    question: int        # 1-based position in the registry: "Question 3"
    key: str             # the Asked key, with the part's key for a table of values: "q3_params.W1"
    what: str            # in words
    symbol: str          # LaTeX maths
    value: Any           # a float, a numpy array, or a SymPy expression (kind "formula")
    kind: str            # "number", "vector", "matrix" or "formula": which filter prints it
    anchor: str | None   # the \label and \hypertarget in the solution where it is worked
    example: bool = False  # worked on illustrative data, not asked by the homework
    beside: bool = False   # printed on the display line of the entry before it (a part of the same quantity)


def _kind(value: Any) -> str:
    import numpy as np

    return {0: "number", 1: "vector", 2: "matrix"}[np.ndim(value)]


def _attribute(result: Any, path: str) -> Any:
    for name in path.split("."):
        result = getattr(result, name)
    return result


def _entries_of(number: int, a: Asked, given: dict[str, Any], result: Any) -> list[Entry]:
    import numpy as np

    if a.shown is not None:
        return [Entry(number, a.key, a.what, a.symbol, _attribute(result, a.shown), "formula", a.anchor, a.example)]
    value = a.find(given)
    if value is None:
        return []  # not computed under this configuration (L(2) with q3.iterations = 1)
    if a.parts:
        return [Entry(number, f"{a.key}.{part}", a.what, symbol, np.asarray(value[part], dtype=float),
                      _kind(value[part]), a.anchor, a.example) for part, symbol in a.parts]
    array = np.asarray(value, dtype=float)
    return [Entry(number, a.key, a.what, a.symbol, float(array) if array.ndim == 0 else array, _kind(array), a.anchor,
                  a.example)]


def entries(solutions: Solutions, questions: Sequence[Question] = QUESTIONS, study: bool = True,
            decimals: int = 4) -> tuple[Entry, ...]:
    """The summary's rows, in the registry's order; the submission edition (`study` False) leaves out the
    worked examples on illustrative data, which the homework does not ask for.  Two parts of one quantity
    (W_1 and b_1) share a display line when both fit on it."""
    given = answers(solutions, questions)
    rows = [e for number, q in enumerate(questions, 1) for a in q.asked if study or not a.example
            for e in _entries_of(number, a, given, solutions[q.id])]
    for i in range(1, len(rows)):
        before, entry = rows[i - 1], rows[i]
        if (entry.key.partition(".")[0] == before.key.partition(".")[0] and "." in entry.key and not before.beside
                and _width(before, decimals) + _width(entry, decimals) <= layout.line_characters()):
            rows[i] = dataclasses.replace(entry, beside=True)
    return tuple(rows)


def _width(e: Entry, decimals: int) -> int:
    """Digit widths of a part printed as a bmatrix, with its name and the gaps around it."""
    import numpy as np

    columns = 1 if np.ndim(e.value) < 2 else np.shape(e.value)[1]
    return columns * (layout.printed_width(e.value, decimals) + layout.COLUMN_GAP_DIGITS) + 8


def columns(answers_json: dict[str, Any], questions: Sequence[Question] = QUESTIONS) -> dict[str, float]:
    """Every asked number of one answers.json, one column each, in the registry's order: `q3_loss1`,
    `W1[1,1]`, ... (1-based, matrices in the config's orientation as answers.json has them).
    Formulas have no column; a quantity not computed under the configuration is left out."""
    import numpy as np

    row: dict[str, float] = {}
    for q in questions:
        for a in q.asked:
            if a.shown is not None:
                continue
            value = a.find(answers_json)
            if value is None:
                continue
            named = [(part, value[part]) for part, _ in a.parts] if a.parts else [(a.key, value)]
            for name, v in named:
                array = np.asarray(v, dtype=float)
                for index in np.ndindex(array.shape):
                    label = f"{name}[{','.join(str(i + 1) for i in index)}]" if index else name
                    row[label] = float(array[index])
    return row
