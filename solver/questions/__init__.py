"""The registry: the homework's questions, in order.  Each is a package in this folder (see
solver/question.py); solving, answers.json, the figures, the document, the problem sheet, the
answer summary, answer keys and checking all iterate over QUESTIONS.

Adding a question: copy a question's folder here and its template folder (templates/<id>/),
edit them, and add the folder's name to ORDER.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from solver.question import Asked, Question

if TYPE_CHECKING:
    from solver.config import Config

__all__ = ["Asked", "ORDER", "QUESTIONS", "Question", "Solutions", "answers", "solve_all"]

ORDER = ("q1_l2_logistic", "q2_huber", "q3_mlp")

QUESTIONS: tuple[Question, ...] = tuple(import_module(f"{__name__}.{name}").QUESTION for name in ORDER)

Solutions = Mapping[str, Any]   # question id -> its Result


def solve_all(cfg: Config, questions: Sequence[Question] = QUESTIONS,
              solve: Callable[[Question, Config], Any] | None = None) -> Solutions:
    """Every question solved (by `solve`, default Question.solve); raises divergence.Diverged
    rather than return inf or NaN."""
    from solver import divergence

    return divergence.solve_finite(cfg, questions, solve)


def answers(solutions: Solutions, questions: Sequence[Question] = QUESTIONS) -> dict[str, Any]:
    """Full-precision answers, JSON-ready."""
    return {q.id: q.answers(solutions[q.id]) for q in questions}
