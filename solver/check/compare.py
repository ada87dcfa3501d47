"""Check a student's whole submission: every question of the registry with a `checker` module,
in the homework's order.

A checker module (solver/questions/<name>/check.py) has
    check(cfg, work, report)   append its Items (steps.run_steps, or check_formula) to the report;
    worksheet(cfg)             its section of the fill-in TOML, as lines;
    RUBRIC                     its asked parts (rubric.Part), each split over its steps (rubric.Share);
    judge(items)               {part key: {share id: rubric.Judged}}: which shares the work earns;
    SLIPS                      the slips only it makes;
and optionally PROSE, ((part, points), ...) left to a person.

Formulas (typed text, compared by equivalence) are checked here; numbers step by step in
steps.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from types import ModuleType
from typing import Any, Mapping, Sequence

import numpy as np

from solver.check.steps import BadWork, Item, Report
from solver.questions import QUESTIONS, Question

__all__ = ["BadWork", "FormulaQuestion", "Item", "Report", "check", "check_formula", "checkers", "prose"]


def checkers(questions: Sequence[Question] = QUESTIONS) -> list[ModuleType]:
    """The checker module of every question that has one, in the registry's order."""
    return [import_module(q.checker) for q in questions if q.checker is not None]


def prose(checker: ModuleType) -> tuple[tuple[str, int], ...]:
    """The parts of a question left to a person: (part, points) each."""
    return getattr(checker, "PROSE", ())


def check(cfg: Any, work: Mapping[str, Any], questions: Sequence[Question] = QUESTIONS) -> Report:
    """The whole submission, question by question in the homework's order."""
    if not isinstance(work, Mapping):
        raise BadWork("the submission must be a table (TOML) or an object (JSON) like answers.json")
    report = Report()
    with np.errstate(all="ignore"):   # a student's 1e300 gives inf, compared as wrong, not a warning
        for checker in checkers(questions):
            checker.check(cfg, work, report)
    return report


# ---------------------------------------------------------------- formulas

@dataclass(frozen=True)
class FormulaQuestion:
    path: str
    part: str
    grammar: Any                                  # formula.Grammar
    expected: Any                                 # sympy expression
    slips: Mapping[str, Any]                      # slip id -> sympy expression (or list of them)
    ranges: Mapping[str, tuple[float, float, bool]]
    asks: str                                     # in words, for the worksheet
    answer: str                                   # the expected formula as shown to the student
    label: str = ""                               # in words, for people: "Q1(a): ∂L₂/∂θⱼ"
    judge: Any = None                             # expr -> {rubric share: right?} for a formula not equivalent


def read_formula(fq: FormulaQuestion, text: Any) -> Any:
    """The student's formula as a SymPy expression, or None when blank or unreadable."""
    from solver.check.formula import Unreadable, parse

    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return parse(text, fq.grammar)
    except Unreadable:
        return None


def check_formula(fq: FormulaQuestion, text: Any) -> Item:
    from solver.check.formula import Unreadable, equivalent, parse, random_points

    item = Item(path=fq.path, part=fq.part, expected=fq.answer, label=fq.label)
    if text is None or (isinstance(text, str) and not text.strip()):
        return item
    item.given = text if isinstance(text, str) else str(text)[:80]
    try:
        expr = parse(text, fq.grammar)
    except Unreadable as error:
        item.verdict, item.note = "wrong", f"unreadable formula: {error}"
        return item
    points = random_points(fq.grammar.symbols, fq.ranges)
    if equivalent(expr, fq.expected, points):
        item.verdict = "correct"
        return item
    item.verdict = "wrong"
    if fq.judge is not None:
        item.judged = fq.judge(expr)
    for slip, forms in fq.slips.items():
        if any(equivalent(expr, form, points) for form in (forms if isinstance(forms, list) else [forms])):
            item.slip = slip
            break
    return item
