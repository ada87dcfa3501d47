"""The rubric: each asked part's points split over the steps of its working, with partial credit.

A question's default split is data in its checker (RUBRIC: its Parts); this module reads and
writes the TOML file a TA edits (`hw1-solver rubric`), and turns a question's judgement of each
share (checker.judge(items): right, follows, wrong or blank) into points:

    right or follows   the share's points (follows: right for the student's own earlier values)
    blank              nothing, unless [rules] unwritten_steps_earn and a step it feeds is right
                       or follows (the value was worked to get there, not written down)
    wrong              nothing

A part left to a person (Q1(b)) is a column of the Grade Center file left empty.  Where the
homework's question total and its parts disagree (Question 3: "(40 points)" but 15 + 20 + 15),
`out_of` in the question's table decides: the parts' points are scaled to it.
"""
from __future__ import annotations

from solver.shown import one_line, shown_path

import difflib
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

STATES = ("right", "follows", "wrong", "blank")


class RubricError(ValueError):
    """The rubric file has problems: every one, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Share:
    id: str                        # a TOML key: z1, dW1, linear_branch
    points: float
    what: str                      # in words, for the rubric's comment and the reasons
    feeds: tuple[str, ...] = ()    # the shares whose step needs this one's value


@dataclass(frozen=True)
class Part:
    key: str                       # the Asked key: the column of grades.csv, e.g. "q3_loss1"
    title: str                     # "Q3, first bullet: the loss of the first iteration"
    points: float                  # as the homework writes it
    shares: tuple[Share, ...] = ()
    person: bool = False           # marked by a person, never automatically (Q1(b))


@dataclass(frozen=True)
class QuestionRubric:
    id: str
    title: str
    points: float                  # the question's total as the homework writes it
    parts: tuple[Part, ...]
    out_of: float                  # what it counts: the parts' sum unless the rubric says otherwise

    @property
    def parts_sum(self) -> float:
        return sum(p.points for p in self.parts)

    @property
    def scale(self) -> float:
        return self.out_of / self.parts_sum if self.parts_sum else 0.0

    @property
    def disagrees(self) -> bool:
        return abs(self.parts_sum - self.points) > 1e-9


@dataclass(frozen=True)
class Rubric:
    questions: tuple[QuestionRubric, ...]
    unwritten_steps_earn: bool = True

    def parts(self) -> list[tuple[QuestionRubric, Part]]:
        return [(q, p) for q in self.questions for p in q.parts]

    def possible(self, part: Part) -> float:
        """The part's points after its question's scaling: its column's Points Possible."""
        return part.points * next(q.scale for q in self.questions if part in q.parts)

    def columns(self) -> list[Part]:
        """The parts with a column in the grade files: every part with points (a person's too)."""
        return [p for _, p in self.parts() if p.points > 0]

    @property
    def total(self) -> float:
        return sum(self.possible(p) for p in self.columns())

    def discrepancies(self) -> list[str]:
        """One sentence per question whose total and parts disagree, naming the key that decides."""
        return [f"Question {q.id[1:]} is \"({q.points:g} points)\" in the homework but its parts are "
                f"{' + '.join(f'{p.points:g}' for p in q.parts if p.points)} = {q.parts_sum:g}; "
                f"the rubric's {q.id}.out_of decides what it counts (now {q.out_of:g})"
                for q in self.questions if q.disagrees]


@dataclass(frozen=True)
class Judged:
    """A question's verdict on one share of one part."""
    state: str                     # right | follows | wrong | blank
    why: str = ""                  # for wrong: what was wrong, in words
    implies: bool = True           # a right step shows the blank steps before it were worked; a mistake
                                   # already counted (the same slip again) earns its share but shows nothing


@dataclass
class PartMark:
    key: str
    score: float | None            # None: marked by a person
    possible: float
    reasons: list[str] = field(default_factory=list)
    blank: bool = False


# ---------------------------------------------------------------- the defaults

def defaults(checkers: Sequence[Any] | None = None, questions: Sequence[Any] | None = None) -> Rubric:
    """The homework's points and each question's own split (its checker's RUBRIC)."""
    from solver.check.compare import checkers as all_checkers
    from solver.questions import QUESTIONS

    questions = QUESTIONS if questions is None else questions
    found = []
    for q in questions:
        if q.checker is None:
            continue
        module = next(m for m in (checkers or all_checkers(questions)) if m.__name__ == q.checker)
        parts = tuple(getattr(module, "RUBRIC", ()))
        found.append(QuestionRubric(q.id, q.title, float(q.points), parts, float(sum(p.points for p in parts))))
    return Rubric(tuple(found))


# ---------------------------------------------------------------- marking

def mark(rubric: Rubric, q: QuestionRubric, part: Part, judged: Mapping[str, Judged]) -> PartMark:
    """Points for one part from its shares' judgements."""
    possible = part.points * q.scale
    if part.person:
        return PartMark(part.key, None, possible)
    states = {s.id: judged.get(s.id, Judged("blank")).state for s in part.shares}
    earns = {sid: st in ("right", "follows") for sid, st in states.items()}
    if rubric.unwritten_steps_earn:
        shares = {s.id: s for s in part.shares}
        shows = {sid: earns[sid] and judged[sid].implies for sid in earns}

        def implied(sid: str, seen: frozenset[str] = frozenset()) -> bool:
            return any(shows.get(f) or (states.get(f) == "blank" and f not in seen and implied(f, seen | {sid}))
                       for f in shares[sid].feeds)
        for sid, st in states.items():
            if st == "blank" and implied(sid):
                earns[sid] = True
    mark_ = PartMark(part.key, 0.0, possible, blank=all(st == "blank" for st in states.values()))
    for s in part.shares:
        points = s.points * q.scale
        if earns[s.id]:
            mark_.score += points
        elif points > 0:
            why = "not given" if states[s.id] == "blank" else judged[s.id].why or "wrong"
            mark_.reasons.append(f"{part.key} -{points:g}: {s.what}: {why}")
    if mark_.blank and part.shares:
        mark_.reasons = [f"{part.key} -{possible:g}: {part.title}: not given"] if possible > 0 else []
    return mark_


def from_items(items: Sequence[Any]) -> Judged:
    """The share of a step (or of the same step over several samples) from its items: blank when none
    is given; else wrong if any given is wrong, follows if any follows, right otherwise."""
    given = [i for i in items if i is not None and i.verdict != "missing"]
    if not given:
        return Judged("blank")
    wrong = next((i for i in given if i.verdict == "wrong"), None)
    if wrong is not None:
        why = f"{wrong.name} wrong" + (f" ({wrong.slip})" if wrong.slip else "") + (f": {wrong.note}" if wrong.note
                                                                                   else "")
        return Judged("wrong", why)
    follows = [i for i in given if i.verdict == "follows"]
    return Judged("follows" if follows else "right", implies=not any(i.repeated for i in follows))


# ---------------------------------------------------------------- the TOML file a TA edits

def toml_text(rubric: Rubric) -> str:
    lines = [
        "# The rubric for ELEG 5491 Homework 1: `hw1-solver grade DIR --rubric THIS_FILE`.",
        "# Each asked part's points are split over the steps of its working (its shares).  A step",
        "# right, or right for the student's own earlier values (follow-through), earns its share;",
        "# a wrong one earns nothing; a blank earns nothing (but see unwritten_steps_earn).",
        "# A part's shares must add up to its points.  Edit the numbers; keep the keys.",
        "",
        "[rules]",
        "# A step left out of the working earns its share when a later step that needs its value is",
        "# right (it was worked, not written down).  The homework says \"Show enough details of your",
        "# solutions to earn full points\": set false to give only what is written.",
        f"unwritten_steps_earn = {'true' if rubric.unwritten_steps_earn else 'false'}",
    ]
    for q in rubric.questions:
        lines += ["", f"[{q.id}]", f"# Question {q.id[1:]}: {q.title}; \"({q.points:g} points)\" in the homework."]
        if q.disagrees:
            lines += [f"# The homework's parts say {' + '.join(f'{p.points:g}' for p in q.parts if p.points)} "
                      f"= {q.parts_sum:g}, not {q.points:g}.",
                      "# out_of decides what this question counts: the parts' points below are scaled to it",
                      f"# ({q.parts_sum:g}: the parts as written; {q.points:g}: the question's total as written)."]
        else:
            lines.append("# out_of: what this question counts; the parts' points below are scaled to it.")
        lines.append(f"out_of = {q.out_of:g}")
        for p in q.parts:
            lines += ["", f"[{q.id}.{p.key}]", f"# {p.title}."]
            if p.person:
                lines.append("# Marked by a person: the grade files have an empty column for it.")
            elif p.points == 0:
                lines.append("# Checked, with no points: give it points (and its shares) to mark it.")
            lines.append(f"points = {p.points:g}")
            width = max((len(s.id) for s in p.shares), default=0)
            for s in p.shares:
                lines.append(f"{s.id:<{width}} = {s.points:<4g} # {s.what}")
    return "\n".join(lines) + "\n"


def load(path: Path | None, base: Rubric | None = None) -> Rubric:
    """The defaults with a TA's file over them; RubricError lists every problem at once."""
    rubric = base or defaults()
    if path is None:
        return rubric
    from solver.engine import files

    try:
        data = tomllib.loads(files.text(path, "rubric"))
    except files.Refused as refused:
        raise RubricError([f"--rubric {refused.message}"]) from None
    except RecursionError:
        raise RubricError([f"--rubric {shown_path(path)}: nested too deeply"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, ValueError) as error:
        raise RubricError([f"--rubric {shown_path(path)}: {one_line(str(error))[:200]}"]) from None
    problems: list[str] = []

    def number(where: str, value: Any) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1000:
            problems.append(f"{path}: {where} = {str(value)[:40]}: expected a number of points from 0 to 1000")
            return None
        return float(value)

    def unknown(where: str, key: str, known: Sequence[str]) -> None:
        close = difflib.get_close_matches(key, known, 1)
        problems.append(f"{path}: unknown key {where}{key}" + (f" (did you mean {close[0]}?)" if close else
                                                               f"; known: {', '.join(known)}"))

    rules = data.get("rules", {})
    earn = rubric.unwritten_steps_earn
    for key, value in rules.items() if isinstance(rules, dict) else ():
        if key != "unwritten_steps_earn":
            unknown("rules.", key, ["unwritten_steps_earn"])
        elif not isinstance(value, bool):
            problems.append(f"{path}: rules.unwritten_steps_earn: expected true or false")
        else:
            earn = value
    known_q = {q.id: q for q in rubric.questions}
    for key in data:
        if key != "rules" and key not in known_q:
            unknown("", key, ["rules", *known_q])
    questions = []
    for q in rubric.questions:
        table = data.get(q.id, {})
        parts = {p.key: p for p in q.parts}
        out_of = q.out_of
        for key, value in table.items():
            if key == "out_of":
                v = number(f"{q.id}.out_of", value)
                out_of = out_of if v is None else v
            elif key not in parts:
                unknown(f"{q.id}.", key, ["out_of", *parts])
        new_parts = []
        for p in q.parts:
            given = table.get(p.key, {})
            if not isinstance(given, dict):
                problems.append(f"{path}: {q.id}.{p.key} must be a table")
                given = {}
            shares = {s.id: s for s in p.shares}
            points = p.points
            new_shares = dict(shares)
            for key, value in given.items():
                if key == "points":
                    points = number(f"{q.id}.{p.key}.points", value)
                    points = p.points if points is None else points
                elif key in shares:
                    v = number(f"{q.id}.{p.key}.{key}", value)
                    if v is not None:
                        new_shares[key] = replace(shares[key], points=v)
                else:
                    unknown(f"{q.id}.{p.key}.", key, ["points", *shares])
            total = sum(s.points for s in new_shares.values())
            if new_shares and abs(total - points) > 1e-9:
                problems.append(f"{path}: {q.id}.{p.key}: its shares add up to {total:g}, not its points = {points:g}; "
                                "make them agree")
            new_parts.append(replace(p, points=points, shares=tuple(new_shares[s.id] for s in p.shares)))
        if "out_of" not in table:
            out_of = sum(p.points for p in new_parts)
        questions.append(replace(q, parts=tuple(new_parts), out_of=out_of))
    if problems:
        raise RubricError(problems)
    return Rubric(tuple(questions), earn)
