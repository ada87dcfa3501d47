"""The build cache holds data only: a rebuild from it typesets the same bytes as a fresh
build, and nothing planted or damaged in it can run code or break a build."""
from __future__ import annotations

import base64
import json
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import sympy

from conftest import DEFAULT_BUILD_ARGS, requires_tex
from solver import cli, config, latex
from solver.engine import store as cache
from solver.questions import QUESTIONS, solve_all


class Boom:
    """Unpickling this runs a command: what a planted pickle would do."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # noqa: ANN204
        return (os.system, (f"touch {self.path}",))


@pytest.fixture(scope="module")
def solutions():
    return solve_all(config.load())


def test_every_result_survives_the_round_trip_and_typesets_the_same(solutions) -> None:
    from solver.pipeline import about

    cfg = config.load()
    again = {q.id: cache.decode(json.loads(json.dumps(cache.encode(solutions[q.id])))) for q in QUESTIONS}
    context = dict(cfg=cfg, questions=QUESTIONS, fig={}, about=about(cfg))
    assert latex.render("solutions.tex.j2", 4, s=again, **context) == \
        latex.render("solutions.tex.j2", 4, s=solutions, **context)
    q3 = again["q3"]
    assert isinstance(q3.iterations, tuple) and q3.iterations[0].params_after.W1.dtype == np.float64
    np.testing.assert_array_equal(q3.iterations[0].params_after.W1, solutions["q3"].iterations[0].params_after.W1)


@pytest.mark.parametrize("value", [
    0.1, -0.0, 1e-310, float("inf"), 3, True, None, "x", (1, [2.5, "a"]), {"a": (1,)},
    np.array([[1.5, -2.0]]), np.array([True, False]), np.arange(3),
])
def test_plain_values_round_trip_exactly(value) -> None:
    back = cache.decode(json.loads(json.dumps(cache.encode(value))))
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and np.array_equal(back, value)
    else:
        assert back == value and type(back) is type(value)


@pytest.mark.parametrize("expr", [
    sympy.Mul(-1, sympy.Symbol("m", positive=True) ** -1, evaluate=False),
    sympy.Add(sympy.Symbol("y"), -sympy.Symbol("h"), evaluate=False),
    sympy.Piecewise((sympy.Symbol("r"), sympy.Abs(sympy.Symbol("r")) <= 1), (sympy.Symbol("r") ** 2, True)),
    sympy.Sum(sympy.IndexedBase("x")[sympy.Symbol("i", integer=True)], (sympy.Symbol("i", integer=True), 1, 3)),
    sympy.Float("0.1234567890123", 20), sympy.Rational(4, 27), -sympy.log(2), sympy.oo, sympy.pi,
])
def test_sympy_expressions_come_back_as_built(expr) -> None:
    back = cache.decode(json.loads(json.dumps(cache.encode(expr))))
    assert sympy.srepr(back) == sympy.srepr(expr)
    assert sympy.latex(back, order="none") == sympy.latex(expr, order="none")


@pytest.mark.parametrize("planted", [
    {"dataclass": "os:system", "fields": {}},
    {"dataclass": "subprocess:Popen", "fields": {}},
    {"dataclass": "solver.cli:main", "fields": {}},
    {"dataclass": "solver.questions:os.system", "fields": {}},
    {"sympy": {"class": "os:system", "args": []}},
    {"sympy": {"class": "sympy.utilities.lambdify:lambdify", "args": []}},
    {"sympy": {"class": "sympy:sympify", "args": [{"str": "__import__('os').system('touch X')"}]}},
    {"ndarray": "|O", "shape": [1], "writeable": True, "data": base64.b64encode(b"\0" * 8).decode()},
])
def test_a_planted_entry_is_refused_and_runs_nothing(planted, tmp_path: Path) -> None:
    path = tmp_path / "q3.json"
    path.write_text(json.dumps({"key": "k", "value": planted}))
    assert cache.load(path, "k") is None


def test_a_pickle_in_the_cache_is_never_unpickled(tmp_path: Path) -> None:
    sentinel = tmp_path / "ran"
    path = tmp_path / "q3.json"
    path.write_bytes(pickle.dumps(("k", Boom(str(sentinel)))))
    assert cache.load(path, "k") is None
    assert not sentinel.exists()


@pytest.mark.parametrize("damage", ["truncate", "empty", "garbage", "other-key", "directory"])
def test_a_damaged_entry_costs_a_recomputation_only(damage: str, tmp_path: Path) -> None:
    path = tmp_path / "q2.json"
    cache.store(path, "k", {"a": np.arange(4.0)})
    assert np.array_equal(cache.load(path, "k")["a"], np.arange(4.0))
    data = path.read_bytes()
    if damage == "directory":
        path.unlink()
        path.mkdir()
    else:
        path.write_bytes({"truncate": data[: len(data) // 2], "empty": b"", "garbage": b"\xff\xfe{",
                          "other-key": data}[damage])
    assert cache.load(path, "other" if damage == "other-key" else "k") is None


def test_store_does_not_write_through_a_planted_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    link = tmp_path / "cache" / "q1.results.json"
    link.parent.mkdir()
    link.symlink_to(outside)
    cache.store(link, "k", [1, 2])
    assert outside.read_text() == "keep"
    assert cache.load(link, "k") == [1, 2]   # the link itself was replaced by the entry


@requires_tex
def test_a_rebuild_from_the_cache_gives_the_fresh_build_bytes(
        copy_of_default_build: Path, default_build: Path, fixed_date: str) -> None:
    out = copy_of_default_build
    for stale in (out / ".work").glob("solutions.*"):  # force LaTeX to run again on cached results
        stale.unlink()
    # What a rebuild reads: each fragment, the answer summary and the outcome of solving; the results
    # themselves only where something uses them (kept here once read from the user cache).
    read = {f"{q.id}.fragments.json" for q in QUESTIONS} | {"summary.fragments.json", "solutions.outcome.json"}
    cached = {p.name for p in (out / ".work" / "cache").iterdir()}
    assert read <= cached <= read | {f"{q.id}.results.json" for q in QUESTIONS}
    assert cli.main(["build", "--out", str(out), *DEFAULT_BUILD_ARGS]) == 0
    for name in ("solutions.tex", "solutions.pdf", "answers.json"):
        assert (out / name).read_bytes() == (default_build / name).read_bytes(), name


@requires_tex
def test_planted_entries_and_a_broken_figure_do_not_break_the_next_build(
        copy_of_default_build: Path, default_build: Path, fixed_date: str, tmp_path: Path) -> None:
    out = copy_of_default_build
    sentinel = tmp_path / "ran"
    work = out / ".work"
    (work / "cache" / "q3.results.json").write_bytes(pickle.dumps(("x", Boom(str(sentinel)))))
    (work / "cache" / "q1.results.json").write_text(json.dumps({"key": "forged", "value": {"dataclass": "os:system"}}))
    (work / "figures" / "q1_saturation.pdf").write_bytes(b"")   # as an interrupted draw left it before
    assert cli.main(["build", "--out", str(out), *DEFAULT_BUILD_ARGS]) == 0
    assert not sentinel.exists()
    figure = "figures/q1_saturation.pdf"
    assert (out / figure).read_bytes() == (default_build / figure).read_bytes()
    assert (out / "solutions.pdf").read_bytes() == (default_build / "solutions.pdf").read_bytes()
