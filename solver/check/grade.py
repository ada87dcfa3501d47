"""Marks for a class: one check per submission, the homework's points from the registry's
Asked quantities, follow-through credit, a reason per lost mark, and a class summary.

Points come from solver.questions.QUESTIONS; each question's checker module gives the rules
for its own asked parts (its `marks(items)`), and names the parts left to a person (PROSE).
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from solver.check.compare import checkers, check, prose
from solver.check.output import read_work
from solver.check.slips import by_id
from solver.check.steps import BadWork, Item, Report
from solver.questions import QUESTIONS, Question

POINTS = {a.key: a.points for q in QUESTIONS for a in q.asked if a.points}  # graded parts only
COLUMNS = ("id", *POINTS, "total", "reasons")


@dataclass
class Marks:
    id: str
    scores: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    slips: set[str] = field(default_factory=set)
    problem: str | None = None      # not graded, and why

    @property
    def total(self) -> float:
        return sum(self.scores.values())


def why(i: Item | None, path: str) -> str:
    """Why a quantity earned nothing, in a few words."""
    if i is None or i.verdict == "missing":
        return f"{path} not given"
    if i.note:
        return f"{path}: {i.note}"
    slip = f" ({i.slip})" if i.slip else ""
    return f"{path} {'follows from an earlier error in the same part' if i.verdict == 'follows' else 'wrong'}{slip}"


def lost(key: str, points: float, reason: str) -> list[str]:
    """The line for `points` lost on part `key`, if any were."""
    return [f"{key} -{points:g}: {reason}"] if points > 0 else []


def mark(student: str, report: Report, questions: Sequence[Question] = QUESTIONS) -> Marks:
    items = report.by_path()
    marks = Marks(id=student, slips={i.slip for i in report.items if i.slip})
    for checker in checkers(questions):
        for key, (score, reasons) in checker.marks(items).items():
            marks.scores[key] = score
            marks.reasons += reasons
    return marks


def prose_note(questions: Sequence[Question] = QUESTIONS) -> str:
    return " ".join(f"{part} ({points} points) is prose and is not graded here: a person marks it."
                    for checker in checkers(questions) for part, points in prose(checker))


def submissions(directory: Path) -> list[tuple[str, Path]]:
    found: dict[str, Path] = {}
    for path in sorted(directory.iterdir()):
        if path.suffix.lower() in (".toml", ".json") and path.is_file():
            if path.stem in found:
                raise BadWork(f"{directory}: two submissions for {path.stem} ({found[path.stem].name}, {path.name})")
            found[path.stem] = path
    return sorted(found.items())


def grade(directory: Path, config_for: Callable[[str], Any]) -> list[Marks]:
    """Every submission in `directory`, each against config_for(id) (which may raise BadWork)."""
    results = []
    for student, path in submissions(directory):
        try:
            results.append(mark(student, check(config_for(student), read_work(path))))
        except BadWork as error:
            results.append(Marks(id=student, problem=str(error)))
    return results


def csv_text(results: list[Marks]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in results:
        if r.problem:
            writer.writerow([r.id, *([""] * (len(POINTS) + 1)), f"not graded: {r.problem}"])
        else:
            writer.writerow([r.id, *(f"{r.scores[k]:g}" for k in POINTS), f"{r.total:g}", "; ".join(r.reasons)])
    return out.getvalue()


def summary(results: list[Marks]) -> str:
    graded = [r for r in results if not r.problem]
    lines = [f"{len(graded)} of {len(results)} submissions graded. {prose_note()}"]
    for r in results:
        if r.problem:
            lines.append(f"  not graded: {r.id}: {r.problem}")
    if graded:
        most = sum(POINTS.values())
        mean = sum(r.total for r in graded) / len(graded)
        lines.append(f"Mean {mean:.1f} of {most} (automatically marked parts).")
        for key, points in POINTS.items():
            full = sum(r.scores[key] == points for r in graded)
            lines.append(f"  {key:<10} full marks {full} of {len(graded)}")
    counts = Counter(s for r in graded for s in r.slips)
    if counts:
        lines.append("Slips (students making each):")
        for slip, count in counts.most_common():
            lines.append(f"  {slip:<28} {count}")
        lines.append("To re-teach, most common first:")
        for slip, count in counts.most_common():
            lines.append(f"  - {by_id()[slip].reteach} ({count} of {len(graded)}: {by_id()[slip].words})")
    else:
        lines.append("No slip from the catalogue was found.")
    return "\n".join(lines) + "\n"
