"""The check's report as a terminal table and as JSON; reading a submission file."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from solver import rounding
from solver.shown import one_line
from solver.check.numbers import MAX_DIGITS, Work, toml_lines
from solver.check.slips import by_id
from solver.check.steps import BadWork, Item, Report
from solver.questions import QUESTIONS

MARKS = {"correct": "✓", "wrong": "✗", "follows": "→", "missing": "·"}


def read_work(path: str | Path, within: Path | None = None) -> dict[str, Any]:
    """A submission: TOML, or JSON when the name ends in .json; raises BadWork (one line).  `within`:
    the folder it was found in, which a link at `path` may not leave."""
    from solver.engine import files

    path = Path(path)
    try:
        text = files.text(path, "submission", within)
    except files.Refused as refused:
        raise BadWork(refused.message) from None
    try:
        work = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except json.JSONDecodeError as error:
        raise BadWork(f"{path}, line {error.lineno}: JSON syntax error: {error.msg}") from None
    except tomllib.TOMLDecodeError as error:
        raise BadWork(f"{path}: TOML syntax error: {error}") from None
    except RecursionError:
        raise BadWork(f"{path}: nested too deeply") from None
    except ValueError as error:   # e.g. an integer of thousands of digits
        raise BadWork(f"{path}: {str(error).split(';')[0]}; write numbers of at most {MAX_DIGITS} digits") from None
    if not isinstance(work, dict):
        raise BadWork(f"{path}: expected a table/object with {', '.join(q.id for q in QUESTIONS)} like answers.json")
    located = Work(work)
    if path.suffix.lower() != ".json":
        located.lines = toml_lines(text)
    return located


DECIMALS = 4  # the check compares at the homework's "round your results to 4 decimal places"


def number(x: Any, significant: int | None = None) -> str:
    """A value as the PDF prints it (solver/rounding.py), at DECIMALS places; a list's entries as a vector's
    or matrix's."""
    if isinstance(x, list):
        keep = significant or (rounding.significance(np.asarray(x, dtype=float)) if _numeric(x) else 1)
        return "[" + ", ".join(number(v, keep) for v in x) + "]"
    if isinstance(x, float):
        return rounding.rounded_text(x, DECIMALS, significant or 1)
    return str(x)


def _numeric(x: Any) -> bool:
    try:
        np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


def blank_parts(report: Report) -> list[str]:
    """The asked parts (of the default rubric, a person's parts aside) with nothing given."""
    from solver.check.compare import checkers
    from solver.check.rubric import defaults, mark

    rubric = defaults()
    judged: dict[str, Any] = {}
    for checker in checkers():
        judged.update(checker.judge(report.by_path()))
    return [p.title for q, p in rubric.parts()
            if not p.person and p.points > 0 and mark(rubric, q, p, judged.get(p.key, {})).blank]


def table(report: Report, source: str = "", blank: list[str] | None = None) -> str:
    """The verdicts, one line each in words, a count, and the first wrong step of each question."""
    shown = [i for i in report.items if i.verdict != "missing"]
    width = max([len(i.name) for i in shown] + [10])
    lines = [f"Checking {source}" if source else "Checking", ""]
    for i in shown:
        lines.append(f"  {MARKS[i.verdict]} {i.name:<{width}}  {_describe(i, report)}")
    counts = {v: sum(1 for i in report.items if i.verdict == v) for v in MARKS}
    lines += ["", f"{counts['correct']} right, {counts['wrong']} wrong, {counts['follows']} follow from earlier "
                  f"values, {counts['missing']} blank"]
    blank = blank_parts(report) if blank is None else blank
    if blank:
        lines.append(f"Blank asked parts ({len(blank)}): {'; '.join(blank)}.")
    firsts = report.first_wrong_by_question()
    if not firsts:
        lines.append("Nothing given is wrong." if shown and blank else "Nothing is wrong." if shown
                     else "Nothing was given to check.")
    for first in firsts.values():
        lines.append(f"First wrong step in {first.question}: {first.name}")
        lines.append(f"  given    {number(first.given)}")
        lines.append(f"  expected {number(first.expected)}")
        if first.note:
            lines.append(f"  {first.note}")
        if first.slip:
            slip = by_id()[first.slip]
            lines.append(f"  likely slip ({slip.id}): {slip.words}; {slip.recompute}.")
        elif not first.note:
            lines.append("  no slip in the catalogue reproduces this value; recompute this step from its inputs.")
    if firsts:
        lines.append("Recompute each and the steps after it; values marked → are right for your own earlier values.")
    return "\n".join(one_line(line) for line in lines) + "\n"   # a student's text never drives the terminal


def _describe(i: Item, report: Report) -> str:
    if i.verdict == "correct":
        return number(i.given)
    if i.verdict == "follows":
        same = f"; {i.note}" if i.note else ""
        return f"{number(i.given)}  (expected {number(i.expected)}; follows from {report.label_of(i.cause)}{same})"
    text = f"{number(i.given)}  expected {number(i.expected)}"
    if i.note:
        text += f"  [{i.note}]"
    if i.slip:
        text += f"  slip: {i.slip}"
    return text


def as_json(report: Report, blank: list[str] | None = None) -> str:
    data = report.as_json()
    data["blank_parts"] = blank_parts(report) if blank is None else blank
    for item, entry in zip(report.items, data["items"]):
        if item.note:
            entry["note"] = item.note
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"
