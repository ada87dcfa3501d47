"""Marks for a class: one check per submission, points by the rubric (rubric.py: each asked part
split over its steps, follow-through credited), a reason per lost share, a class summary, and
the files a TA posts: grades.csv (every part, the total and the reasons) and a Blackboard Grade
Center upload file.

Blackboard's Grade Center matches an uploaded row to a student by the Username column, and a
column to a Grade Center column by its header; a comma-delimited file has every value in quotes.
A part's header carries its points as Grade Center writes them when it downloads a column:
"HW1 Q3 loss 1 [Total Pts: 15 Score]".
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from solver import cells, rounding
from solver.shown import one_line
from solver.check.compare import check, checkers
from solver.check.output import read_work
from solver.check.rubric import PartMark, Rubric, mark as mark_part
from solver.check.slips import by_id
from solver.check.steps import BadWork, Report
from solver.questions import QUESTIONS, Question

ROSTER_ID, ROSTER_NAME = "id", "name"
GRADE_CENTER_PREFIX = "HW1"


@dataclass
class Marks:
    id: str
    name: str = ""
    parts: dict[str, PartMark] = field(default_factory=dict)
    slips: set[str] = field(default_factory=set)
    first_wrong: dict[str, str] = field(default_factory=dict)   # question -> the label of its first wrong step
    uncatalogued: list[str] = field(default_factory=list)     # first wrong steps no slip explains
    problem: str | None = None      # not graded, and why
    submitted: bool = True

    @property
    def total(self) -> float:
        return sum(m.score for m in self.parts.values() if m.score is not None)

    @property
    def reasons(self) -> list[str]:
        return [r for m in self.parts.values() for r in m.reasons]

    @property
    def status(self) -> str:
        if not self.submitted:
            return "no submission"
        return f"not graded: {self.problem}" if self.problem else "graded"


def mark(student: str, report: Report, rubric: Rubric, questions: Sequence[Question] = QUESTIONS) -> Marks:
    items = report.by_path()
    marks = Marks(id=student, slips={i.slip for i in report.items if i.slip})
    judged: dict[str, Any] = {}
    for checker in checkers(questions):
        judged.update(checker.judge(items))
    for q, part in rubric.parts():
        marks.parts[part.key] = mark_part(rubric, q, part, judged.get(part.key, {}))
    for question, first in report.first_wrong_by_question().items():
        marks.first_wrong[question] = first.name
        if not first.slip:
            marks.uncatalogued.append(first.name)
    return marks


def prose_note(rubric: Rubric) -> str:
    return " ".join(f"{p.title} ({rubric.possible(p):g} points) is marked by a person: its column is left empty."
                    for _, p in rubric.parts() if p.person)


def submissions(directory: Path) -> list[tuple[str, Path]]:
    found: dict[str, Path] = {}
    for path in sorted(directory.iterdir()):
        if path.suffix.lower() in (".toml", ".json") and path.is_file():
            if path.stem in found:
                raise BadWork(f"{directory}: two submissions for {path.stem} ({found[path.stem].name}, {path.name})")
            found[path.stem] = path
    return sorted(found.items())


def read_roster(path: Path) -> list[tuple[str, str]]:
    """(id, name) per row of a CSV with a column `id` (the Blackboard username) and optionally `name`;
    every problem at once (BadWork, one line each joined)."""
    from solver.engine import files

    try:
        text = files.text(path, "roster")
    except files.Refused as refused:
        raise BadWork(f"--roster {refused.message}") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    if ROSTER_ID not in header:
        raise BadWork(f"--roster {path}: no column {ROSTER_ID} (found: {', '.join(header) or 'no header line'}); "
                      "the first line names the columns id and name")
    reader.fieldnames = header
    students, problems, seen = [], [], {}
    for row in reader:
        sid, name = (row.get(ROSTER_ID) or "").strip(), (row.get(ROSTER_NAME) or "").strip()
        if not sid:
            problems.append(f"line {reader.line_num}: empty id")
        elif sid in seen:
            problems.append(f"line {reader.line_num}: id {sid!r} again (first on line {seen[sid]})")
        else:
            seen[sid] = reader.line_num
            students.append((sid, name))
    if problems:
        raise BadWork(f"--roster {path}: " + "; ".join(problems))
    return students


def grade(directory: Path, config_for: Callable[[str], Any], rubric: Rubric,
          roster: Sequence[tuple[str, str]] | None = None) -> list[Marks]:
    """Every submission in `directory`, each against config_for(id) (which may raise BadWork); with a
    roster, one row per roster student in its order (those without a file marked), then any other file."""
    found = dict(submissions(directory))
    order = [(sid, name) for sid, name in roster] if roster is not None else [(sid, "") for sid in found]
    order += [(sid, "") for sid in found if roster is not None and sid not in dict(roster)]
    results = []
    for student, name in order:
        if student not in found:
            results.append(Marks(id=student, name=name, submitted=False))
            continue
        try:
            marks = mark(student, check(config_for(student), read_work(found[student], directory)), rubric)
        except BadWork as error:
            marks = Marks(id=student, problem=str(error))
        marks.name = name
        results.append(marks)
    return results


# ---------------------------------------------------------------- the files

def _points(x: float) -> str:
    """Points at 2 decimals by the one rounding rule, without trailing zeros: 12.5, 4, 2.4."""
    text = rounding.rounded_text(x, 2)
    return text.rstrip("0").rstrip(".") if "." in text else text


def csv_text(results: list[Marks], rubric: Rubric) -> str:
    """grades.csv: every part's points (a person's part empty), the total, the status and the reasons."""
    columns = rubric.columns()
    header = ["id", "name", *(p.key for p in columns), "total", "status", "reasons"]
    rows = []
    for r in results:
        if r.problem or not r.submitted:
            rows.append([r.id, r.name, *([""] * (len(columns) + 1)), r.status, ""])
            continue
        scores = [("" if r.parts[p.key].score is None else _points(r.parts[p.key].score)) for p in columns]
        rows.append([r.id, r.name, *scores, _points(r.total), r.status, "; ".join(r.reasons)])
    return cells.table(header, rows)


def grade_center_header(rubric: Rubric) -> list[str]:
    head = [f"{GRADE_CENTER_PREFIX} {p.title.split(':')[0]} [Total Pts: {rubric.possible(p):g} Score]"
            for p in rubric.columns()]
    return ["Username", *head, f"{GRADE_CENTER_PREFIX} Total [Total Pts: {rubric.total:g} Score]"]


def grade_center_text(results: list[Marks], rubric: Rubric) -> str:
    """Blackboard's Grade Center upload: Username, one column per part with its points, a total;
    every value quoted.  A student without a graded submission gets empty cells (no grade entered);
    a person's part is empty for the person to fill in before the upload (or to untick)."""
    columns = rubric.columns()
    rows = []
    for r in results:
        if r.problem or not r.submitted:
            rows.append([r.id, *([""] * (len(columns) + 1))])
            continue
        rows.append([r.id, *("" if r.parts[p.key].score is None else _points(r.parts[p.key].score) for p in columns),
                     _points(r.total)])
    return cells.table(grade_center_header(rubric), rows, quote_all=True)


def summary(results: list[Marks], rubric: Rubric) -> str:
    graded = [r for r in results if r.submitted and not r.problem]
    missing = [r for r in results if not r.submitted]
    lines = [f"{len(graded)} of {len(results)} students graded"
             + (f"; {len(missing)} without a submission ({', '.join(r.id for r in missing)})" if missing else "")
             + f". {prose_note(rubric)}"]
    lines += [f"Points: {d}." for d in rubric.discrepancies()]
    for r in results:
        if r.problem:
            lines.append(f"  not graded: {r.id}: {r.problem}")
    auto = sum(rubric.possible(p) for p in rubric.columns() if not p.person)
    if graded:
        mean = sum(r.total for r in graded) / len(graded)
        lines.append(f"Mean {mean:.1f} of {auto:g} (the automatically marked parts; {rubric.total:g} with the "
                     "parts a person marks).")
        for p in rubric.columns():
            if p.person:
                continue
            full = sum(abs(r.parts[p.key].score - rubric.possible(p)) < 1e-9 for r in graded)
            blank = sum(r.parts[p.key].blank for r in graded)
            lines.append(f"  {p.key:<10} full marks {full} of {len(graded)}, blank {blank}")
    counts = Counter(s for r in graded for s in r.slips)
    steps = Counter(step for r in graded for step in r.uncatalogued)
    if counts:
        lines.append("Slips (students making each):")
        for slip, count in counts.most_common():
            lines.append(f"  {slip:<28} {count}")
    if counts or steps:
        lines.append("To re-teach, most common first:")
        teach = [(count, f"{by_id()[slip].reteach} ({count} of {len(graded)}: {by_id()[slip].words})")
                 for slip, count in counts.items()]
        teach += [(count, f"{step}: a first wrong step no slip in the catalogue explains ({count} of {len(graded)})")
                  for step, count in steps.items()]
        for _, line in sorted(teach, key=lambda t: -t[0]):
            lines.append(f"  - {line}")
    else:
        lines.append("No slip from the catalogue was found.")
    return "\n".join(one_line(line) for line in lines) + "\n"   # file names never drive the terminal
