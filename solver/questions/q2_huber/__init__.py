"""Question 2: the backward pass of the mean Huber loss.

Everything about the question is in this folder (its templates are in templates/q2/):
inputs.py and defaults.toml are its configuration, solve.py solves it, figures.py draws its figures, check.py checks a student's work on it.
"""
from solver.question import Asked, Question

QUESTION = Question(
    "q2", "Huber loss", 30,
    solver=f"{__name__}.solve", inputs=f"{__name__}.inputs",
    variant=f"{__name__}.variant", variant_order=1, figures=f"{__name__}.figures", template="q2/solution.tex.j2",
    checker=f"{__name__}.check", figure_parts=("huber",), figure_heights=(2.7,), study_only_figures=("huber",),
    statement="q2/statement.tex.j2", exercise="q2/exercise.tex.j2",
    asked=(
        Asked("q2", "q2.gradient", 30, "the backward output, for any input",
              symbol=r"\frac{\partial J}{\partial z^{(i)}}", anchor="answer:q2-formula", shown="derivation.dJ_dz"),
        Asked("q2_dJ_dz", "q2.example.dJ_dz", 0, "the backward output of the worked example",
              symbol=r"\frac{\partial J}{\partial z}", anchor="answer:q2", example=True),
        Asked("q2_J", "q2.example.J", 0, "the loss (forward output) of the worked example",
              symbol="J", anchor="answer:q2", example=True),
    ),
)
