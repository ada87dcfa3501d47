"""Every number a solver returns must be finite: a config that makes training diverge
is refused with one line naming the question, the iteration and what to change,
never typeset as "nan" or "inf" in a box.
"""
from __future__ import annotations

import dataclasses
import warnings
from typing import Any, Callable

import numpy as np
import sympy

from solver.config import Config, ConfigError

# What to change, per question; the keys that can push a computation past float range.
ADVICE = {
    "q3": "lower q3.learning_rate (now {q3[learning_rate]:g}), or q3.iterations (now {q3[iterations]}) "
          "and q3.curve_iterations (now {q3[curve_iterations]})",
}


GROWTH = 1000.0  # a loss this many times its first value (or 1, if larger) is taken as diverging


class Diverged(ConfigError):
    """The config is valid but a question's computation overflowed to inf or NaN."""


class DivergenceWarning(UserWarning):
    """Training stays finite but its loss grows: the PDF shows it as computed."""


@dataclasses.dataclass(frozen=True)
class Found:
    path: str
    value: Any
    iteration: int | None


def solve_finite(cfg: Config, solvers: dict[str, Callable[[Config], Any]]) -> dict[str, Any]:
    """Run each question's solver without numpy's overflow warnings; raise Diverged
    naming the first non-finite number any of them produced."""
    results: dict[str, Any] = {}
    for question, solve in solvers.items():
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            try:
                results[question] = solve(cfg)
            except (OverflowError, FloatingPointError) as error:
                raise Diverged([f"{question}: a number overflowed while solving ({error}); {advice(question, cfg)}"])
        found = first_nonfinite(results[question], question)
        if found is not None:
            raise Diverged([message(question, found, cfg)])
        _warn_if_growing(question, results[question], cfg)
    return results


def _warn_if_growing(question: str, result: Any, cfg: Config) -> None:
    losses = [(it.index, it.loss) for it in _iterations(result)]
    if len(losses) < 2:
        return
    first = losses[0][1]
    index, worst = max(losses[1:], key=lambda pair: pair[1])
    if worst > GROWTH * max(first, 1.0):
        warnings.warn(DivergenceWarning(
            f"{question}: the loss grows from {first:.4g} at iteration {losses[0][0]} to {worst:.4g} at iteration "
            f"{index}: training diverges; the PDF shows these numbers as computed. To converge, {advice(question, cfg)}"
        ), stacklevel=2)


def _iterations(value: Any) -> list[Any]:
    """The dataclasses named *Iteration* with an int `index` and float `loss`, in order."""
    if isinstance(value, (list, tuple)):
        return [it for item in value for it in _iterations(item)]
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return []
    if "iteration" in type(value).__name__.lower() and isinstance(getattr(value, "index", None), int) \
            and isinstance(getattr(value, "loss", None), float):
        return [value]
    return [it for f in dataclasses.fields(value) for it in _iterations(getattr(value, f.name))]


def advice(question: str, cfg: Config) -> str:
    template = ADVICE.get(question)
    if template is None:
        return f"check the [{question}] values"
    try:
        return template.format(**cfg.resolved)
    except (KeyError, ValueError, TypeError):
        return f"check the [{question}] values"


def message(question: str, found: Found, cfg: Config) -> str:
    where = f"at iteration {found.iteration} " if found.iteration is not None else ""
    return (f"{question}: the computation diverged {where}({found.path} is {found.value}), "
            f"so there is no finite answer to typeset; {advice(question, cfg)}")


def first_nonfinite(value: Any, path: str, iteration: int | None = None) -> Found | None:
    """Depth-first search of a solver's result for inf/NaN; `iteration` is the `index` of the
    innermost enclosing dataclass whose class name mentions an iteration."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        index = getattr(value, "index", None)
        if isinstance(index, int) and "iteration" in type(value).__name__.lower():
            iteration = index
        children = ((f"{path}.{f.name}", getattr(value, f.name)) for f in dataclasses.fields(value))
    elif isinstance(value, (list, tuple)):
        children = ((f"{path}[{i}]", item) for i, item in enumerate(value))
    elif isinstance(value, dict):
        children = ((f"{path}[{key!r}]", item) for key, item in value.items())
    else:
        return _leaf(value, path, iteration)
    for child_path, child in children:
        found = first_nonfinite(child, child_path, iteration)
        if found is not None:
            return found
    return None


def _leaf(value: Any, path: str, iteration: int | None) -> Found | None:
    if isinstance(value, np.ndarray) and value.dtype.kind in "fc":
        bad = np.argwhere(~np.isfinite(value))
        if bad.size:
            index = tuple(int(i) for i in bad[0])
            return Found(f"{path}[{', '.join(map(str, index))}]", value[index], iteration)
    elif isinstance(value, np.ndarray) and value.dtype == object:
        for index, item in np.ndenumerate(value):
            found = _leaf(item, f"{path}[{', '.join(map(str, index))}]", iteration)
            if found is not None:
                return found
    elif isinstance(value, (float, complex, np.floating, np.complexfloating)):
        if not np.isfinite(value):
            return Found(path, value, iteration)
    elif isinstance(value, sympy.Basic):
        # sympy's oo is a legitimate symbolic limit; nan and complex infinity are not.
        if value.has(sympy.nan, sympy.zoo):
            return Found(path, value, iteration)
    return None
