"""The question registry: every question declared once.

Solving, answers.json, the figures, the document's include loop, the build cache,
the divergence advice, the problem sheet (each `statement`), the answer summary and
the answer keys (each `asked` quantity) all iterate over QUESTIONS.  Adding a question means a
solver module (solve(cfg) -> Result, answers(result) -> dict), a figure module
(draw(result, directory) -> {name: path}), a template in solver/templates/ and one entry here;
checking students' work, a checker module in solver/check/ (see solver/check/compare.py).

Modules are named, not imported, so that a build which takes every result from
its cache never imports sympy, and one that draws nothing never imports matplotlib.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

if TYPE_CHECKING:
    from solver.config import Config


@dataclass(frozen=True)
class Asked:
    """One quantity the homework asks for: what answer keys, summaries and grading walk over."""
    key: str        # short column name, e.g. "q3_loss1"
    path: str       # its place in answers.json, e.g. "q3.iterations[0].loss"
    points: int
    what: str       # in words, e.g. "the loss of the first iteration"
    symbol: str = ""                          # its name in LaTeX maths, e.g. "L^{(1)}"
    anchor: str | None = None                 # the \label in the solution where it is worked
    shown: str | None = None                  # a Result attribute path to print instead, for a formula
    parts: tuple[tuple[str, str], ...] = ()   # a table of several values: (its key, its symbol) each

    def find(self, answers: Mapping[str, Any]) -> Any:
        """Its value in answers.json's dict, None when answers.json does not hold it (a formula)."""
        value: Any = answers
        for name, index in PATH_STEP.findall(self.path):
            try:
                value = value[name] if name else value[int(index)]
            except (KeyError, IndexError, TypeError):
                return None
        return value


PATH_STEP = re.compile(r"([A-Za-z_]\w*)|\[(\d+)\]")  # "q3.iterations[0].loss" → q3, iterations, [0], loss


@dataclass(frozen=True)
class Question:
    id: str                        # also the config section holding its inputs
    title: str
    points: int
    solver: str                    # module with solve(cfg) -> Result and answers(result) -> dict
    figures: str | None            # module with the functions `figure_parts`
    template: str                  # the partial the document includes
    advice: str = "check the [{id}] values"   # what to change if it diverges; formatted with the resolved config
    iterations: str | None = None  # the Result attribute listing its iterations (each with .index and .loss)
    asked: tuple[Asked, ...] = ()
    statement: str | None = None   # the restated question alone: the solution and the problem sheet include it
    exercise: str | None = None    # a numeric task the problem sheet adds after the statement (the worked example)
    checker: str | None = None     # module with check(cfg, work, report), worksheet(cfg), marks(items): solver/check/
    figure_parts: tuple[str, ...] = ()  # functions of `figures`, each (result, directory) -> the path of the one
                                        # figure it draws, <id>_<part>.pdf (the template's fig.<id>_<part>)
    figure_heights: tuple[float, ...] = ()  # each part's height in inches, in that order (all are
                                            # layout.FIGURE_WIDTH_IN wide): known before it is drawn

    def __post_init__(self) -> None:
        if len(self.figure_heights) != len(self.figure_parts):
            raise ValueError(f"{self.id}: figure_heights must give one height per figure part {self.figure_parts}")

    def figure_size(self, part: str) -> tuple[float, float]:
        """Figure `part`'s width and height in inches: the size it is drawn at, exactly."""
        from solver.layout import FIGURE_WIDTH_IN

        return FIGURE_WIDTH_IN, self.figure_heights[self.figure_parts.index(part)]

    def solve(self, cfg: Config) -> Any:
        return import_module(self.solver).solve(cfg)

    def answers(self, result: Any) -> dict[str, Any]:
        return import_module(self.solver).answers(result)

    @property
    def figure_names(self) -> tuple[str, ...]:
        """The figures its template includes, known before any is drawn."""
        return tuple(f"{self.id}_{part}" for part in self.figure_parts) if self.figures else ()

    def iterations_of(self, result: Any) -> Sequence[Any]:
        return () if self.iterations is None else tuple(getattr(result, self.iterations))

    def what_to_change(self, cfg: Config) -> str:
        try:
            return self.advice.format(id=self.id, **cfg.resolved)
        except (KeyError, ValueError, TypeError, IndexError):
            return f"check the [{self.id}] values"


QUESTIONS: tuple[Question, ...] = (
    Question(
        "q1", "Using L2 loss for binary logistic classification", 30,
        solver="solver.questions.q1_l2_logistic", figures="solver.figures.q1", template="q1/solution.tex.j2",
        checker="solver.check.q1",
        statement="q1/statement.tex.j2", figure_parts=("saturation", "landscape", "training"),
        figure_heights=(2.6, 2.9, 2.5),
        asked=(Asked("q1a", "q1.gradient", 15, "the gradient of the L2 loss",
                     symbol=r"\frac{\partial L_2}{\partial \theta_j}", anchor="answer:q1a",
                     shown="derivation.l2.boxed"),),
    ),
    Question(
        "q2", "Huber loss", 30,
        solver="solver.questions.q2_huber", figures="solver.figures.q2", template="q2/solution.tex.j2",
        checker="solver.check.q2", figure_parts=("huber",), figure_heights=(2.7,),
        statement="q2/statement.tex.j2", exercise="q2/exercise.tex.j2",
        asked=(
            Asked("q2_formula", "q2.gradient", 0, "the backward output, for any input",
                  symbol=r"\frac{\partial J}{\partial z^{(i)}}", anchor="answer:q2-formula", shown="derivation.dJ_dz"),
            Asked("q2", "q2.example.dJ_dz", 30, "the backward output of the worked example",
                  symbol=r"\frac{\partial J}{\partial z}", anchor="answer:q2"),
            Asked("q2_J", "q2.example.J", 0, "the loss (forward output) of the worked example",
                  symbol="J", anchor="answer:q2"),
        ),
    ),
    Question(
        "q3", "Stochastic gradient descent for MLP", 40,
        solver="solver.questions.q3_mlp", figures="solver.figures.q3", template="q3/solution.tex.j2",
        checker="solver.check.q3", figure_parts=("loss",), figure_heights=(2.8,),
        statement="q3/statement.tex.j2",
        advice="lower q3.learning_rate (now {q3[learning_rate]:g}), or q3.iterations (now {q3[iterations]}) "
               "and q3.curve_iterations (now {q3[curve_iterations]})",
        iterations="iterations",
        asked=(
            Asked("q3_loss1", "q3.iterations[0].loss", 15, "the loss of the first iteration",
                  symbol="L^{(1)}", anchor="answer:q3-iteration1"),
            Asked("q3_params", "q3.iterations[0].params_after", 20, "the parameters after one update",
                  anchor="answer:q3-update1", parts=(("W1", "W_1"), ("b1", "b_1"), ("W2", "W_2"), ("b2", "b_2"))),
            Asked("q3_loss2", "q3.iterations[1].loss", 15, "the loss of the 2nd iteration",
                  symbol="L^{(2)}", anchor="answer:q3-iteration2"),
        ),
    ),
)

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
