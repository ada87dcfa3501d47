"""The question registry: one entry is all it takes to add a question, and the
divergence check reads each result's iterations from the registry, not by sniffing."""
from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from conftest import pdf_text, requires_tex
from solver import config, divergence
from solver.questions import QUESTIONS, Question

ROOT = Path(__file__).resolve().parents[2]
SOLVER = ROOT / "solver"


# ---------------------------------------------------------------- a tiny extra question, this module

@dataclasses.dataclass(frozen=True)
class Step:
    index: int
    loss: float


@dataclasses.dataclass(frozen=True)
class TinyResult:
    halvings: tuple[Step, ...]
    total: float


START = 0.8


def solve(inputs: None, report: object) -> TinyResult:
    losses = [START / 2**k for k in range(3)]
    return TinyResult(halvings=tuple(Step(k + 1, v) for k, v in enumerate(losses)), total=sum(losses))


def answers(result: TinyResult) -> dict[str, object]:
    return {"total": result.total, "losses": [s.loss for s in result.halvings]}


def halvings(result: TinyResult, directory: Path) -> Path:
    from solver.figures import save, subplots

    fig, ax = subplots()
    ax.plot([s.index for s in result.halvings], [s.loss for s in result.halvings], "o-")
    return save(fig, directory, "q9_halvings")


TINY = Question("q9", "Halving", 5, solver=__name__, figures=__name__, template="tiny.tex.j2",
                iterations="halvings", figure_parts=("halvings",), figure_heights=(2.0,))
TINY_TEMPLATE = r"""\section*{Question 9: \VAR{questions[-1].title}}
The halvings give \BLOCK{for step in s.q9.halvings}$\VAR{step.loss | num}$\BLOCK{if not loop.last}, \BLOCK{endif}\BLOCK{endfor}; in all $\VAR{s.q9.total | num}$.
\begin{center}\includefigure[width=0.4\linewidth]{\VAR{fig.q9_halvings}}\end{center}
"""


@requires_tex
def test_a_question_added_by_one_registry_entry_is_solved_drawn_typeset_and_answered(
        tmp_path: Path, fixed_date: str) -> None:
    from solver.pipeline import build

    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "tiny.tex.j2").write_text(TINY_TEMPLATE)
    cfg = config.load()
    out = tmp_path / "out"
    build(cfg, out, say=lambda _: None, questions=(QUESTIONS[1], TINY), templates=[tmp_path / "templates"])

    answers_json = json.loads((out / "answers.json").read_text())
    assert list(answers_json) == ["q2", "q9"]
    assert answers_json["q9"]["total"] == pytest.approx(0.8 + 0.4 + 0.2)
    text = pdf_text(out / "solutions.pdf")
    assert "Question 2" in text and "Question 9: Halving" in text
    assert "0.8000, 0.4000, 0.2000; in all 1.4000" in text
    assert (out / "figures" / "q9_halvings.pdf").stat().st_size > 1000
    assert "Question 1" not in text and "Question 3" not in text


def test_divergence_is_found_in_the_iterations_the_registry_names() -> None:
    def nan_at_second(cfg: config.Config) -> TinyResult:
        good = solve(None, cfg.report)
        return dataclasses.replace(good, halvings=(good.halvings[0], Step(2, math.nan)))

    with pytest.raises(divergence.Diverged) as caught:
        divergence.solve_finite(config.load(), (TINY,), lambda q, cfg: nan_at_second(cfg))
    [problem] = caught.value.problems
    assert problem.startswith("q9: the computation diverged at iteration 2 (q9.halvings[1].loss is nan)")
    assert problem.endswith("check the [q9] values")


def test_renaming_the_iteration_class_keeps_the_growth_warning() -> None:
    """The old check sniffed class names containing "iteration"; the registry names the attribute."""
    def growing(cfg: config.Config) -> TinyResult:
        return TinyResult(halvings=(Step(1, 1.0), Step(2, 5000.0)), total=5001.0)

    with pytest.warns(divergence.DivergenceWarning, match=r"q9: the loss grows from 1 at iteration 1 to 5000"):
        divergence.solve_finite(config.load(), (TINY,), lambda q, cfg: growing(cfg))


def test_no_question_template_reads_the_config() -> None:
    for q in QUESTIONS:
        text = (ROOT / "templates" / q.template).read_text()
        included = re.findall(r'include "([^"]+)"', text)
        for name in [q.template, *included]:
            assert not re.search(r"\bcfg\b", (ROOT / "templates" / name).read_text()), name


@pytest.fixture(scope="module")
def default_solutions():
    from solver.questions import solve_all

    return solve_all(config.load())


def test_document_includes_every_registered_question_in_order(default_solutions) -> None:
    from solver.pipeline import answers_json

    sols = default_solutions
    assert list(sols) == [q.id for q in QUESTIONS]
    assert list(json.loads(answers_json(sols))) == [q.id for q in QUESTIONS]
    document = (ROOT / "templates" / "solutions.tex.j2").read_text()
    assert "include q.template" in document and not re.search(r'include "q\d', document)


def test_iterations_attribute_exists_on_results(default_solutions) -> None:
    sols = default_solutions
    for q in QUESTIONS:
        for it in q.iterations_of(sols[q.id]):
            assert isinstance(it.index, int) and isinstance(it.loss, float) and np.isfinite(it.loss)


def test_each_figure_is_a_registered_part_included_by_its_name_and_waited_for() -> None:
    """The figures' paths are known before any is drawn (solver/engine/drawing.py): every
    `fig.<name>` a template includes is one of the registry's figure_names, each of those is
    a function of its question's figures module, and a figure is included through
    \\includefigure, which waits while it is still being drawn (never \\includegraphics)."""
    from importlib import import_module

    templates = Path(__file__).resolve().parents[2] / "templates"
    names = {name for q in QUESTIONS for name in q.figure_names}
    for q in QUESTIONS:
        for part in q.figure_parts:
            assert callable(getattr(import_module(q.figures), part)), (q.id, part)
    used = set()
    for template in templates.rglob("*.j2"):
        text = template.read_text()
        used |= set(re.findall(r"\\includefigure\[[^]]*\]\{\\VAR\{fig\.(\w+)\}\}", text))
        assert not re.search(r"\\includegraphics\[[^]]*\]\{\\VAR\{fig", text), template.name
    assert used == names
