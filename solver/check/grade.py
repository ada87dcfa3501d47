"""Marks for a class: one check per submission, the homework's points from the registry's
Asked quantities, follow-through credit, a reason per lost mark, and a class summary.

Rules (points from solver.questions.QUESTIONS):
  q1a        15  q1.gradient equivalent to the solution's.
  q2         30  shared equally between the parts given: q2.gradient and q2.example.dJ_dz
                 (both right 30, one of two 15, none given 0).
  q3_loss1   15  iterations[0].loss (in sgd mode forward[0].loss if the mean is not given) correct.
  q3_params  20  5 for each of params_after W1, b1, W2, b2 of iteration 1: correct, or `follows`
                 when nothing in the update's own working (grads, params_after) is wrong, i.e.
                 the error was made earlier and is not penalised twice.
  q3_loss2   15  iterations[1].loss correct, or `follows` (right for the student's own updated
                 parameters) with nothing in iteration 2's own forward pass wrong.
Q1(b) (15 points) is prose and is left to a person.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from solver.check.compare import BadWork, Item, Report, check
from solver.check.output import read_work
from solver.check.slips import BY_ID
from solver.questions import QUESTIONS

POINTS = {a.key: a.points for q in QUESTIONS for a in q.asked if a.points}  # graded parts only
COLUMNS = ("id", *POINTS, "total", "reasons")
PROSE = "Q1(b) (15 points) is prose and is not graded here: a person marks it."


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


def _why(i: Item | None, path: str) -> str:
    if i is None or i.verdict == "missing":
        return f"{path} not given"
    if i.note:
        return f"{path}: {i.note}"
    slip = f" ({i.slip})" if i.slip else ""
    return f"{path} {'follows from an earlier error in the same part' if i.verdict == 'follows' else 'wrong'}{slip}"


def mark(student: str, report: Report) -> Marks:
    items = report.by_path()
    marks = Marks(id=student, slips={i.slip for i in report.items if i.slip})

    def lose(key: str, points: float, why: str) -> None:
        if points > 0:
            marks.reasons.append(f"{key} -{points:g}: {why}")

    def part_clean(part: str) -> bool:
        return not any(i.verdict == "wrong" for i in report.items if i.part == part)

    q1 = items["q1.gradient"]
    marks.scores["q1a"] = POINTS["q1a"] if q1.verdict == "correct" else 0
    lose("q1a", POINTS["q1a"] - marks.scores["q1a"], _why(q1, "q1.gradient"))

    given = [items[p] for p in ("q2.gradient", "q2.example.dJ_dz") if items[p].verdict != "missing"]
    right = sum(i.verdict == "correct" for i in given)
    marks.scores["q2"] = POINTS["q2"] * right / len(given) if given else 0
    for i in (given or [items["q2.gradient"]]):
        if i.verdict != "correct":
            lose("q2", POINTS["q2"] / (len(given) or 1), _why(i, i.path))

    def loss_item(k: int) -> Item | None:
        mean = items.get(f"q3.iterations[{k}].loss")
        single = items.get(f"q3.iterations[{k}].forward[0].loss")
        if mean is not None and mean.verdict == "missing" and single is not None and \
                f"q3.iterations[{k}].forward[1].loss" not in items:
            return single
        return mean

    first = loss_item(0)
    marks.scores["q3_loss1"] = POINTS["q3_loss1"] if first and first.verdict == "correct" else 0
    lose("q3_loss1", POINTS["q3_loss1"] - marks.scores["q3_loss1"], _why(first, "q3.iterations[0].loss"))

    each = POINTS["q3_params"] / 4
    marks.scores["q3_params"] = 0
    for name in ("W1", "b1", "W2", "b2"):
        path = f"q3.iterations[0].params_after.{name}"
        i = items.get(path)
        if i is not None and (i.verdict == "correct" or (i.verdict == "follows" and part_clean("q3_params"))):
            marks.scores["q3_params"] += each
        else:
            lose("q3_params", each, _why(i, path))

    second = loss_item(1)
    ok = second is not None and (second.verdict == "correct" or
                                 (second.verdict == "follows" and part_clean("q3_loss2")))
    marks.scores["q3_loss2"] = POINTS["q3_loss2"] if ok else 0
    lose("q3_loss2", POINTS["q3_loss2"] - marks.scores["q3_loss2"], _why(second, "q3.iterations[1].loss"))
    return marks


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
    lines = [f"{len(graded)} of {len(results)} submissions graded. {PROSE}"]
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
            lines.append(f"  - {BY_ID[slip].reteach} ({count} of {len(graded)}: {BY_ID[slip].words})")
    else:
        lines.append("No slip from the catalogue was found.")
    return "\n".join(lines) + "\n"
