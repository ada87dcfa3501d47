"""Question 3: two iterations of SGD on a two-layer ReLU/softmax MLP.

Everything about the question is in this folder (its templates are in templates/q3/):
inputs.py and defaults.toml are its configuration, solve.py solves it, figures.py draws its figures, check.py checks a student's work on it.
"""
from solver.question import Asked, Question

QUESTION = Question(
    "q3", "Stochastic gradient descent for MLP", 40,
    solver=f"{__name__}.solve", inputs=f"{__name__}.inputs", filters=f"{__name__}.layout",
    variant=f"{__name__}.variant", variant_order=0, figures=f"{__name__}.figures", template="q3/solution.tex.j2",
    checker=f"{__name__}.check", figure_parts=("loss",), figure_heights=(2.8,), study_only_figures=("loss",),
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
)
