"""Every number a solver returns must be finite: a config that makes training diverge
is refused with one line naming the question, the iteration and what to change,
never typeset as "nan" or "inf" in a box.
"""
from __future__ import annotations

import dataclasses
import sys
import warnings
from typing import TYPE_CHECKING, Any, Callable, Sequence

from solver.config import Config, ConfigError

if TYPE_CHECKING:
    from solver.questions import Question

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


def solve_finite(cfg: Config, questions: Sequence[Question],
                 solve: Callable[[Question, Config], Any] | None = None) -> dict[str, Any]:
    """Run each question's solver without numpy's overflow warnings; raise Diverged
    naming the first non-finite number any of them produced."""
    import numpy as np

    results: dict[str, Any] = {}
    for q in questions:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            try:
                results[q.id] = result = q.solve(cfg) if solve is None else solve(q, cfg)
            except (OverflowError, FloatingPointError) as error:
                raise Diverged([f"{q.id}: a number overflowed while solving ({error}); {q.what_to_change(cfg)}"])
        found = first_nonfinite(result, q.id, q.iterations)
        if found is not None:
            raise Diverged([message(q, found, cfg)])
        _warn_if_growing(q, result, cfg)
    return results


def _warn_if_growing(q: Question, result: Any, cfg: Config) -> None:
    losses = [(it.index, it.loss) for it in q.iterations_of(result)]
    if len(losses) < 2:
        return
    first = losses[0][1]
    index, worst = max(losses[1:], key=lambda pair: pair[1])
    if worst > GROWTH * max(first, 1.0):
        warnings.warn(DivergenceWarning(
            f"{q.id}: the loss grows from {first:.4g} at iteration {losses[0][0]} to {worst:.4g} at iteration "
            f"{index}: training diverges; the PDF shows these numbers as computed. To converge, {q.what_to_change(cfg)}"
        ), stacklevel=2)


def message(q: Question, found: Found, cfg: Config) -> str:
    where = f"at iteration {found.iteration} " if found.iteration is not None else ""
    return (f"{q.id}: the computation diverged {where}({found.path} is {found.value}), "
            f"so there is no finite answer to typeset; {q.what_to_change(cfg)}")


def first_nonfinite(result: Any, path: str, iterations: str | None = None) -> Found | None:
    """The first inf/NaN in a solver's result.  Its iterations (the attribute named
    `iterations`, each with an int `index`) are searched first, so that a number
    which overflowed during training is reported with the iteration it came from."""
    if iterations is not None:
        for k, it in enumerate(getattr(result, iterations)):
            found = _search(it, f"{path}.{iterations}[{k}]", it.index)
            if found is not None:
                return found
    return _search(result, path, None)


def _search(value: Any, path: str, iteration: int | None) -> Found | None:
    """Depth-first search of `value` for inf/NaN."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        children = ((f"{path}.{f.name}", getattr(value, f.name)) for f in dataclasses.fields(value))
    elif isinstance(value, (list, tuple)):
        children = ((f"{path}[{i}]", item) for i, item in enumerate(value))
    elif isinstance(value, dict):
        children = ((f"{path}[{key!r}]", item) for key, item in value.items())
    else:
        return _leaf(value, path, iteration)
    for child_path, child in children:
        found = _search(child, child_path, iteration)
        if found is not None:
            return found
    return None


def _leaf(value: Any, path: str, iteration: int | None) -> Found | None:
    import numpy as np

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
    elif "sympy" in sys.modules and isinstance(value, sys.modules["sympy"].Basic):  # no sympy, no sympy values
        # sympy's oo is a legitimate symbolic limit; nan and complex infinity are not.
        sympy = sys.modules["sympy"]
        if value.has(sympy.nan, sympy.zoo):
            return Found(path, value, iteration)
    return None
