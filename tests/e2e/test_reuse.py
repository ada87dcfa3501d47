"""The cache decides correctly: a changed input re-solves and redraws exactly the affected
question, an unchanged one is reused (across output directories too, via the per-user
cache), the symbolic derivations are computed once per user cache, LaTeX is skipped when
nothing it reads changed, and the commands import only what they need.  No timings here:
`make bench` measures those."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import DEFAULT_BUILD_ARGS, EPOCH, REPO, requires_tex
from solver import cli
from solver.engine import pdflatex as compile, store as cache
from solver.questions import Question


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Which questions this process solves, and whose figures it has drawn (in its workers)."""
    from solver.engine import drawing

    seen: dict[str, list[str]] = {"solved": [], "drawn": []}
    solve, start = Question.solve, drawing.Drawing.start

    def solving(self: Question, cfg):  # noqa: ANN001, ANN202
        seen["solved"].append(self.id)
        return solve(self, cfg)

    def starting(self, solutions):  # noqa: ANN001, ANN202
        started = start(self, solutions)
        seen["drawn"].extend(q.id for q in self._missing)
        return started

    monkeypatch.setattr(Question, "solve", solving)
    monkeypatch.setattr(drawing.Drawing, "start", starting)
    return seen


def _build(out: Path, *more: str) -> None:
    assert cli.main(["build", "--out", str(out), *DEFAULT_BUILD_ARGS, *more]) == 0


def _run(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **(env or {})}, timeout=300)


@requires_tex
def test_a_changed_input_redoes_exactly_its_question_and_the_rest_is_reused_everywhere(
        copy_of_default_build: Path, tmp_path: Path, fixed_date: str, calls: dict[str, list[str]]) -> None:
    out = copy_of_default_build
    _build(out, "--set", "q1.learning_rate=0.0123")
    assert calls == {"solved": ["q1"], "drawn": ["q1"]}

    calls["solved"].clear(), calls["drawn"].clear()
    _build(out, "--set", "q1.learning_rate=0.0123")          # unchanged: all reused
    assert calls == {"solved": [], "drawn": []}

    other = tmp_path / "elsewhere"                            # a new output directory: the user cache serves it
    _build(other, "--set", "q1.learning_rate=0.0123")
    assert calls == {"solved": [], "drawn": []}
    for name in ("solutions.tex", "solutions.pdf", "answers.json", "figures/q1_saturation.pdf"):
        assert (other / name).read_bytes() == (out / name).read_bytes(), name

    # Question 3 anew: solved, and nothing drawn, as the submission includes no figure of it
    _build(other, "--set", "q1.learning_rate=0.0123", "--set", "q3.learning_rate=0.0123")
    assert calls == {"solved": ["q3"], "drawn": []}


@requires_tex
def test_a_new_directory_from_a_warm_user_cache_gives_the_fresh_build_bytes(
        default_build: Path, tmp_path: Path, fixed_date: str, calls: dict[str, list[str]]) -> None:
    out = tmp_path / "new"
    _build(out)
    assert calls == {"solved": [], "drawn": []}
    for name in ("solutions.tex", "solutions.pdf", "answers.json",
                 *(f"figures/{p.name}" for p in (default_build / "figures").iterdir())):
        assert (out / name).read_bytes() == (default_build / name).read_bytes(), name


@requires_tex
def test_latex_is_skipped_when_nothing_it_reads_changed(
        copy_of_default_build: Path, default_build: Path, fixed_date: str, monkeypatch: pytest.MonkeyPatch) -> None:
    out = copy_of_default_build
    ran: list[Path] = []
    real = compile.pdf
    monkeypatch.setattr(compile, "pdf", lambda tex, *more, **options: ran.append(tex) or real(tex, *more, **options))
    _build(out)
    assert ran == []
    assert (out / "solutions.pdf").read_bytes() == (default_build / "solutions.pdf").read_bytes()
    (out / ".work" / "solutions.pdf").write_bytes(b"damaged")     # its PDF is not as it left it: compile again
    _build(out)
    assert len(ran) == 1
    assert (out / "solutions.pdf").read_bytes() == (default_build / "solutions.pdf").read_bytes()
    _build(out, "--set", "student.id=123")                        # a new .tex
    assert len(ran) == 2


def test_the_symbolic_derivations_are_computed_once_per_user_cache(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    first = _run("""
        from solver import config
        from solver.questions import solve_all
        solve_all(config.load(None, ["q1.seed=1"]))
    """, env)
    assert first.returncode == 0, first.stderr
    memo = sorted(p.name.split("-")[0] for p in (tmp_path / "xdg" / "hw1-solver" / "memo").iterdir())
    assert memo == ["q1.curvature", "q1.derivation", "q1.likelihood", "q1.saturation", "q2.derivation",
                    "q3.derivation"]
    # Another process, other numbers: every derivation comes from the user cache (deriving would fail).
    second = _run("""
        import importlib
        from solver import config
        from solver.questions import solve_all

        def refuse(*args):
            raise AssertionError("derived again")

        for module, names in (("solver.questions.q1_l2_logistic", ("derive", "saturation", "curvature", "likelihood")),
                              ("solver.questions.q2_huber.solve", ("derive",)), ("solver.questions.q3_mlp.solve", ("derive",))):
            for name in names:
                setattr(importlib.import_module(module), name, refuse)
        solve_all(config.load(None, ["q1.seed=2", "q2.delta=0.7", "q3.learning_rate=0.05"]))
    """, env)
    assert second.returncode == 0, second.stderr


def test_answers_imports_no_matplotlib() -> None:
    run = _run("""
        import sys
        from solver import cli
        assert cli.main(["answers"]) == 0
        print("matplotlib" in sys.modules, "matplotlib.pyplot" in sys.modules, file=sys.stderr)
    """)
    assert run.returncode == 0, run.stderr
    assert run.stderr.split() == ["False", "False"]


@requires_tex
def test_a_build_whose_questions_all_come_from_the_cache_imports_neither_sympy_nor_matplotlib(
        copy_of_default_build: Path) -> None:
    """A new name, everything else as the last build had it: the results, the inputs' arrays and
    answers.json are not read again (numpy is never imported), and the outputs are the same numbers."""
    answers = (copy_of_default_build / "answers.json").read_bytes()
    run = _run(f"""
        import sys
        from solver import cli
        assert cli.main(["build", "--out", {str(copy_of_default_build)!r}, "--set", "student.name=Someone Else"]) == 0
        print(sorted(m for m in ("sympy", "matplotlib", "numpy") if m in sys.modules), file=sys.stderr)
    """)
    assert run.returncode == 0, run.stderr
    assert run.stderr.strip() == "[]"
    assert (copy_of_default_build / "answers.json").read_bytes() == answers
    assert "Someone Else" in (copy_of_default_build / "solutions.tex").read_text(encoding="utf-8")


@requires_tex
def test_a_rebuild_that_reads_no_result_gives_its_warning_again(tmp_path: Path, fixed_date: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A growing loss is built with a warning; the rebuild that changes only the name reads no result
    but says the same."""
    growing = ["--set", "q3.learning_rate=1e6", "--set", "q3.iterations=3"]
    said = []
    for name in ("One", "Two"):
        assert cli.main(["build", "--out", str(tmp_path / "out"), *growing, "--set", f"student.name={name}"]) == 0
        said.append([line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")])
    assert said[0] == said[1] and len(said[0]) == 1
    assert said[0][0].startswith("warning: q3: the loss grows from 1.893 at iteration 1 to ")


@requires_tex
def test_a_seed_latex_cannot_read_costs_a_fresh_compile_only(
        default_build: Path, tmp_path: Path, fixed_date: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import base64

    xdg = tmp_path / "xdg"
    shutil.copytree(cache.user_dir().parent, xdg)
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    state = cache.user_dir() / "latex" / "state.json"
    aux = base64.b64encode(b"\\relax\\undefinedmacro\n").decode()
    cache.store(state, cache.key("latex state"), {".aux": aux})
    out = tmp_path / "out"
    _build(out)
    for name in ("solutions.tex", "solutions.pdf"):
        assert (out / name).read_bytes() == (default_build / name).read_bytes(), name


@requires_tex
@pytest.mark.parametrize("damage", ["garbage", "unwritable"])
def test_a_damaged_or_unwritable_user_cache_costs_time_never_the_build(
        damage: str, default_build: Path, tmp_path: Path, fixed_date: str, monkeypatch: pytest.MonkeyPatch) -> None:
    xdg = tmp_path / "xdg"
    if damage == "unwritable":
        xdg.write_text("a file where the cache directory would be")
    else:
        shutil.copytree(cache.user_dir().parent, xdg)
        for path in (xdg / "hw1-solver").rglob("*"):
            if path.is_file():
                path.write_bytes(b"\xff{" if damage == "garbage" else
                                 b'{"key": "' + path.stem.encode() + b'", "value": {"dataclass": "os:system"}}')
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    out = tmp_path / "out"
    _build(out)
    for name in ("solutions.tex", "solutions.pdf", "answers.json"):
        assert (out / name).read_bytes() == (default_build / name).read_bytes(), name


def test_answers_come_from_the_user_cache_without_sympy_and_give_the_same_bytes(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    code = """
        import sys
        from solver import cli
        assert cli.main(["answers", "--set", "q3.learning_rate=0.0234"]) == 0
        print(sorted(m for m in ("sympy", "matplotlib") if m in sys.modules), file=sys.stderr)
    """
    fresh = _run(code, env)                  # an empty user cache: solved, and stored as a build would
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stderr.strip() == "['sympy']"
    assert sorted(p.name.split("-")[0] for p in (tmp_path / "xdg" / "hw1-solver" / "results").iterdir()) == [
        "q1", "q2", "q3"]
    cached = _run(code, env)                 # every result from the user cache: SymPy values stay encoded
    assert cached.returncode == 0, cached.stderr
    assert cached.stderr.strip() == "[]"
    assert cached.stdout == fresh.stdout


def test_answers_read_the_results_a_build_stored(tmp_path: Path) -> None:
    """Same key as a build: what `build` would store under is what `answers` reads."""
    from solver import pipeline as build, config

    from solver.engine.workers import Pool

    cfg = config.load(None, ["q2.delta=0.8"])
    keys = build.keys_of(cfg)
    with Pool() as pool:
        solutions, _ = build._solve(cfg, cache.Store(tmp_path / "work-cache"), keys, build.QUESTIONS, pool, (), True)
    for q in build.QUESTIONS:
        assert cache.entry("results", q.id, keys[q.id]).exists(), q.id
    assert build.answers_json(build.solve_cached(cfg)) == build.answers_json(solutions)


def test_sequential_drawing_gives_the_bytes_the_pool_drew(every_figure: dict[str, Path], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """On one CPU the figures are drawn in this process, no pool forked, and come out as the session's
    `every_figure`, drawn by the pool's workers (this machine has two CPUs or more)."""
    from solver import pipeline as build, config
    from solver.engine import drawing, workers

    assert workers.cpus() >= 2
    cfg = config.load()
    solutions, keys = build.solve_cached(cfg), build.keys_of(cfg)
    pools: list[int] = []
    real_pool = workers.ProcessPoolExecutor

    def pool(size: int, **options):  # noqa: ANN003, ANN202
        pools.append(size)
        return real_pool(size, **options)

    monkeypatch.setattr(workers, "ProcessPoolExecutor", pool)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))   # nothing drawn yet anywhere
    monkeypatch.setattr(workers, "cpus", lambda: 1)
    sequential = drawing.draw_all(solutions, tmp_path / "sequential", keys, build.QUESTIONS)
    assert pools == []
    assert list(sequential) == list(every_figure) == [
        "q1_saturation", "q1_landscape", "q1_training", "q2_huber", "q3_loss"]
    for name, path in sequential.items():
        assert every_figure[name].read_bytes() == path.read_bytes(), name
    assert [p.name for p in (tmp_path / "sequential").glob(".*")] == []
    assert_declared_sizes(sequential, tmp_path / "stand-ins")


def assert_declared_sizes(drawn: dict[str, Path], stand_ins: Path) -> None:
    """A first pass lays the pages out around a blank page of each figure's declared size: every
    drawn figure's page is exactly that size, written as the stand-in writes it."""
    import re

    from pypdf import PdfReader

    from solver.engine import drawing
    from solver.questions import QUESTIONS

    box = re.compile(rb"/MediaBox\s*\[\s*([^\]]*?)\s*\]")
    stand_ins.mkdir()
    for q in QUESTIONS:
        for part in q.figure_parts:
            figure = drawn[f"{q.id}_{part}"]
            stand_in = stand_ins / f"{q.id}_{part}.pdf"
            drawing._stub(stand_in, q.figure_size(part))
            width, height = (float(x) for x in PdfReader(figure).pages[0].mediabox[2:])
            assert (width / 72, height / 72) == pytest.approx(q.figure_size(part), abs=1e-9), figure.name
            assert box.findall(figure.read_bytes()) == [b" ".join(box.findall(stand_in.read_bytes())[0].split())]


@requires_tex
def test_a_first_build_solves_in_workers_and_lays_out_around_stand_ins(tmp_path: Path, default_build: Path) -> None:
    """On a first build (an empty user cache) the pool's workers solve the questions (not this
    process); LaTeX's first pass lays the pages out around stand-ins of the figures' sizes, waiting
    at none, two passes are all it takes, and the figures published are those of any other build."""
    run = _run(f"""
        import json
        from pathlib import Path
        from solver import cli
        from solver.engine import pdflatex as compile
        from solver.question import Question
        passes, real_pass, here = [], compile._pass, []
        real_solve = Question.solve

        def passing(tex, *rest, **options):
            if "-ini" not in (options.get("options") or []):   # the preamble's format is dumped, not a pass
                passes.append([options.get("draft", False), len(list(Path(tex).parent.glob("figures/*.wait")))])
            return real_pass(tex, *rest, **options)

        def solving(self, cfg):
            here.append(self.id)   # in this process: a worker's call is not seen here
            return real_solve(self, cfg)

        compile._pass, Question.solve = passing, solving
        assert cli.main(["build", "--out", {str(tmp_path / "out")!r}, *{DEFAULT_BUILD_ARGS!r}]) == 0
        print(json.dumps([passes, here]))
    """, {"XDG_CACHE_HOME": str(tmp_path / "xdg"), "TMPDIR": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    passes, here = __import__("json").loads(run.stdout.splitlines()[-1])
    assert here == []
    assert len(passes) == 2 and passes[0] == [True, 0] and passes[1][0] is False, passes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "xdg"]   # nothing left in TMPDIR
    for published in (default_build / "figures").glob("*.pdf"):
        assert (tmp_path / "out" / "figures" / published.name).read_bytes() == published.read_bytes(), published.name


def test_a_stand_in_never_replaces_a_figure_in_place(tmp_path: Path) -> None:
    from solver.engine import drawing

    landed = tmp_path / "q3_loss.pdf"
    landed.write_bytes(b"the figure")
    with pytest.raises(FileExistsError):
        drawing._stub(landed, (6.0, 2.8))
    assert landed.read_bytes() == b"the figure" and [p.name for p in tmp_path.iterdir()] == ["q3_loss.pdf"]


def test_workers_forked_before_solving_draw_the_same_bytes_and_are_let_go(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pool forked before solving, its workers importing matplotlib as they start (a rebuild),
    draws what a pool forked at the first figure draws; its workers are stopped with it."""
    from solver import pipeline as build, config
    from solver.engine import drawing, mpl
    from solver.engine.workers import Pool

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    cfg = config.load(None, ["q2.delta=0.9", "q3.learning_rate=0.05"])
    questions = build.QUESTIONS[1:]
    solutions, keys = build.solve_cached(cfg, questions), build.keys_of(cfg, questions)
    reference = drawing.draw_all(solutions, tmp_path / "reference", keys, questions)
    for q in questions:   # nothing drawn yet for this directory, nor in the user cache
        cache.entry("figures", q.id, keys[q.id]).unlink(missing_ok=True)
    with Pool(warm=mpl.prepare) as pool:
        pool.start()
        processes = list(pool._executor._processes.values())
        paths = drawing.Drawing(pool, questions, tmp_path / "warm", keys).start(solutions).finish()
    assert processes and not any(p.is_alive() for p in processes)
    for figure, path in reference.items():
        assert paths[figure].read_bytes() == path.read_bytes(), figure
