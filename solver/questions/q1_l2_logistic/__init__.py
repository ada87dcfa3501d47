"""Question 1: the gradient of the L2 loss on logistic regression, and why not to use it.

Everything about the question is in this folder (its templates are in templates/q1/):
inputs.py and defaults.toml are its configuration, solve.py solves it, figures.py draws its figures, check.py checks a student's work on it.
"""
from solver.question import Asked, Question

QUESTION = Question(
    "q1", "Using L2 loss for binary logistic classification", 30,
    solver=f"{__name__}.solve", inputs=f"{__name__}.inputs", figures=f"{__name__}.figures", template="q1/solution.tex.j2",
    checker=f"{__name__}.check",
    statement="q1/statement.tex.j2", figure_parts=("saturation", "landscape", "training"),
    figure_heights=(2.6, 2.9, 2.5), study_only_figures=("landscape", "training"),
    asked=(Asked("q1a", "q1.gradient", 15, "the gradient of the L2 loss",
                 symbol=r"\frac{\partial L_2}{\partial \theta_j}", anchor="answer:q1a",
                 shown="derivation.l2.boxed"),),
)
