"""What a question is: its entry (`Question`) and the quantities it asks for (`Asked`).

A question is one package, solver/questions/<name>/, whose __init__.py holds its QUESTION
entry, plus one template folder, templates/<id>/.  The entry names its modules rather than
importing them, so that a build which takes every result from its cache never imports SymPy,
and one that draws nothing never imports matplotlib:

    solve      solve(inputs, report) -> Result, answers(result) -> dict
    figures    one function per figure part, (result, directory) -> the path it drew
    check      check(cfg, work, report), worksheet(cfg), marks(items) (solver/check/compare.py)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, Mapping, Sequence

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
    example: bool = False                     # worked on illustrative data the homework does not give

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
    study_only_figures: tuple[str, ...] = ()  # parts only the study edition includes: a submission
                                              # build does not draw them
    inputs: str | None = None      # module with ROWS, CHECKS and Inputs; defaults.toml beside it
    filters: str | None = None     # module with filters(decimals) -> the Jinja filters its templates use
    variant: str | None = None     # module with draw(section, rng) and flaws(inputs): new inputs per student
    variant_order: int = 100       # its turn at a variant's random stream (a new question draws last)

    def __post_init__(self) -> None:
        if len(self.figure_heights) != len(self.figure_parts):
            raise ValueError(f"{self.id}: figure_heights must give one height per figure part {self.figure_parts}")
        if not set(self.study_only_figures) <= set(self.figure_parts):
            raise ValueError(f"{self.id}: study_only_figures must be among its figure parts {self.figure_parts}")

    def figure_size(self, part: str) -> tuple[float, float]:
        """Figure `part`'s width and height in inches: the size it is drawn at, exactly."""
        from solver.layout import FIGURE_WIDTH_IN

        return FIGURE_WIDTH_IN, self.figure_heights[self.figure_parts.index(part)]

    def solve(self, cfg: Config) -> Any:
        """Its Result from exactly its own inputs and the report options, nothing else of `cfg`."""
        return import_module(self.solver).solve(cfg.inputs.get(self.id), cfg.report)

    def answers(self, result: Any) -> dict[str, Any]:
        return import_module(self.solver).answers(result)

    @property
    def figure_names(self) -> tuple[str, ...]:
        """The figures its template includes, known before any is drawn."""
        return self.figure_names_of(study=True)

    def figure_parts_of(self, study: bool) -> tuple[str, ...]:
        """The figure parts one edition's document includes (the study edition: all of them)."""
        return tuple(part for part in self.figure_parts if study or part not in self.study_only_figures)

    def figure_names_of(self, study: bool) -> tuple[str, ...]:
        """Those parts' figure names, <id>_<part>."""
        return tuple(f"{self.id}_{part}" for part in self.figure_parts_of(study)) if self.figures else ()

    def iterations_of(self, result: Any) -> Sequence[Any]:
        return () if self.iterations is None else tuple(getattr(result, self.iterations))

    def what_to_change(self, cfg: Config) -> str:
        try:
            return self.advice.format(id=self.id, **cfg.resolved)
        except (KeyError, ValueError, TypeError, IndexError):
            return f"check the [{self.id}] values"


