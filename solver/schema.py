"""The configuration schema: the rows of the document's own sections (student, report) and of
every question's inputs (solver/questions/<name>/inputs.py), the checks between keys, and the
frozen dataclasses a valid configuration becomes.

Validation (config.py), the README's configuration table and `python -m solver config`
all follow from ROWS.  Default values are not here: they are the homework's data and live in
defaults.toml (student, report) and each question's defaults.toml.
"""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Callable, Mapping

from solver.questions import QUESTIONS
# The kinds of row, also used from here as schema.*
from solver.rows import (FREE, MATRIX, MAX_COLUMNS, MAX_ELEMENTS, MAX_MAGNITUDE, MAX_STEPS, MAX_TEXT, Array,  # noqa: F401
                         Axis, Choice, Positive, Row, Text, Whole, cjk_font, shape_problem, typesettable, vector)

DOCUMENT_ROWS: tuple[Row, ...] = (
    Text("student.name", "name in the title block, header and PDF metadata; blank line when empty"),
    Text("student.id", "student ID in the title block; blank line when empty"),
    Text("student.date", "date in the title block, printed as given; when empty, the day of the build "
         "(today's local date, or SOURCE_DATE_EPOCH's when set)"),

    Whole("report.decimals", "decimal places of every displayed number; computation is always full precision",
          low=0, high=12),
    Choice("report.edition", '`"submission"`: what a student hands in (every asked part worked, no tool '
           'notes); `"study"`: the complete document (other readings, experiments, verification, provenance)',
           options=("submission", "study")),
)


@functools.cache
def _inputs(module: str) -> Any:
    return import_module(module)


QUESTION_INPUTS = {q.id: _inputs(q.inputs) for q in QUESTIONS}   # question id -> its inputs module

ROWS: tuple[Row, ...] = (*DOCUMENT_ROWS, *(row for m in QUESTION_INPUTS.values() for row in m.ROWS))

# Each check takes the values that were read successfully (a key that failed is absent) and
# returns one line per problem.
CHECKS: tuple[Callable[[Mapping[str, Any]], list[str]], ...] = tuple(
    check for m in QUESTION_INPUTS.values() for check in m.CHECKS)


@dataclass(frozen=True)
class Student:
    name: str
    id: str
    date: str

    @property
    def needs_cjk(self) -> bool:
        """Whether the document must load CJKutf8: only then, so Latin-only builds stay as fast."""
        return any(cjk_font(c) for c in self.name + self.id + self.date)


@dataclass(frozen=True)
class Report:
    decimals: int
    edition: str   # "submission" or "study"

    @property
    def study(self) -> bool:
        """The complete document; else the edition a student hands in."""
        return self.edition == "study"


@dataclass(frozen=True)
class Config:
    student: Student
    report: Report
    inputs: Mapping[str, Any]            # question id -> its inputs (its inputs.py's Inputs)
    resolved: dict[str, dict[str, Any]]  # plain TOML values, as written to config.toml

    def __getattr__(self, name: str) -> Any:
        """cfg.q3: Question 3's inputs."""
        try:
            return self.__dict__["inputs"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def digest(self) -> str:
        """A short hash of the resolved configuration."""
        text = json.dumps(self.resolved, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def sections() -> dict[str, type]:
    """Each section's dataclass by name, in the configuration's order: the document's, then the questions'."""
    return {"student": Student, "report": Report, **{qid: m.Inputs for qid, m in QUESTION_INPUTS.items()}}


def assemble(values: Mapping[str, Any], plain: Mapping[str, Any],
             later: Callable[[], Mapping[str, Any]] | None = None) -> Config:
    """The configuration from values that all passed (`values` as the solver uses them,
    `plain` as TOML writes them), one frozen dataclass per section.  `later`: the questions'
    values are not in `values` but made by later() when a question's inputs are first used."""
    def part(section: str, kind: type, values: Mapping[str, Any]) -> Any:
        return kind(**{row.name: values[row.key] for row in ROWS if row.section == section})

    kinds = sections()
    student, report = (part(section, kinds.pop(section), values) for section in ("student", "report"))
    inputs: Mapping[str, Any]
    if later is None:
        inputs = {section: part(section, kind, values) for section, kind in kinds.items()}
    else:
        def make() -> dict[str, Any]:
            made = later()
            return {section: part(section, kind, made) for section, kind in kinds.items()}
        inputs = Later(make)
    resolved: dict[str, dict[str, Any]] = {}
    for row in ROWS:
        resolved.setdefault(row.section, {})[row.name] = plain[row.key]
    return Config(student, report, inputs, resolved=resolved)


class Later(Mapping[str, Any]):
    """Each question's inputs (question id -> its Inputs), made by `make` when one is first used; a
    copy sent to another process (pickled) carries them made."""

    def __init__(self, make: Callable[[], dict[str, Any]]) -> None:
        self._make, self._made = make, None

    def _all(self) -> dict[str, Any]:
        if self._made is None:
            self._made = self._make()
        return self._made

    def __getitem__(self, key: str) -> Any:
        return self._all()[key]

    def __iter__(self) -> Any:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __reduce__(self) -> tuple[Any, ...]:
        return dict, (self._all(),)


def reference_table(defaults: dict[str, Any], as_toml: Callable[[Any], str]) -> str:
    """The README's configuration reference from the rows and the defaults: key, default, meaning."""
    lines = ["| key | default | meaning |", "| --- | --- | --- |"]
    for row in ROWS:
        value = defaults[row.key]
        if isinstance(value, list) and value and isinstance(value[0], list):
            default = f"a {len(value)}×{len(value[0])} array"  # its numbers would not fit in the column
        else:
            default = f"`{as_toml(value)}`"
        lines.append(f"| `{row.key}` | {default} | {row.help} — {row.summary} |")
    return "\n".join(lines) + "\n"
