"""`make bench`: how close each kind of rebuild comes to what LaTeX alone costs.

Every row is the median wall time of --runs runs (default 5) after one warm-up, all in
this one run, against the floor measured in the same run: one Python start
(`python -c pass`) plus one pdflatex pass over the final .tex, in a copy of OUT/.work.
Prints a table (median, ratio to its reference, target, met or not) and writes
build/bench.json.  Informational only: timings on a shared machine are noisy, so nothing
here fails on a missed target (exit status 0 unless a build itself fails).

Standard library only, plus the project's own command line (`python -m solver`), make,
pdflatex and latexmk.  Caches are in a temporary directory: XDG_CACHE_HOME points there,
never at ~/.cache.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLASS = 300   # --full: the roster row's size
EPOCH = "1767225600"
PDFLATEX = ["pdflatex", "-interaction=batchmode", "-halt-on-error", "-file-line-error", "-no-shell-escape"]
SANDBOX_ENV = {"openin_any": "p", "openout_any": "p", "shell_escape": "f", "FORCE_SOURCE_DATE": "1"}
# A notebook doing the homework's computations and one figure, for `jupyter nbconvert --to pdf --execute`
# (measured only where nbconvert is installed; otherwise the comparison is left out).
NOTEBOOK_CELLS = [
    "from solver import config\nfrom solver.questions import QUESTIONS, answers\ncfg = config.load()",
    "solutions = {q.id: q.solve(cfg) for q in QUESTIONS}\nanswers(solutions)",
    "import matplotlib.pyplot as plt\nr = solutions['q3']\nplt.plot([it.loss for it in r.iterations], 'o-')",
]


def notebook(path: Path) -> Path:
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": text} for text in NOTEBOOK_CELLS]
    path.write_text(json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Homework 1"},
                                          *cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def timed(command: list[str], env: dict[str, str], cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    run = subprocess.run(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command)} failed ({run.returncode}):\n{run.stdout}{run.stderr}")
    return elapsed


def median_of(runs: int, one: "callable[[int], float]") -> tuple[float, list[float]]:
    one(-1)  # warm-up
    times = [one(i) for i in range(runs)]
    return statistics.median(times), times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per row, after one warm-up (default 5)")
    parser.add_argument("--python", default=sys.executable, help="the project's interpreter (default: this one)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench.json")
    parser.add_argument("--full", action="store_true",
                        help=f"also a class: variants with problem sheets for a {CLASS}-student roster (minutes)")
    args = parser.parse_args()
    runs = max(1, args.runs)
    py = args.python

    peer: float | None = None   # jupyter nbconvert on the same computations, where it is installed
    scratch = Path(tempfile.mkdtemp(prefix="hw1-bench-"))
    xdg = scratch / "xdg"
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "XDG_CACHE_HOME": str(xdg),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))}
    build = [py, "-m", "solver", "build"]
    rows: list[dict] = []

    def row(what: str, median: float, times: list[float], reference: float, reference_name: str,
            target: float | None, absolute: float | None = None) -> None:
        ratio = median / reference if reference else float("nan")
        met = (ratio <= target if target is not None else True) and (median < absolute if absolute is not None else True)
        rows.append({"what": what, "median_s": round(median, 3), "runs_s": [round(t, 3) for t in times],
                     "reference": reference_name, "reference_s": round(reference, 3), "ratio": round(ratio, 2),
                     "target": (f"≤ {target:g} × {reference_name}" if target is not None else "")
                     + (f"< {absolute:g} s" if absolute is not None else ""),
                     "met": met})
        print(f"  {what}: {median:.2f} s", flush=True)

    try:
        print(f"bench: {runs} runs per row after a warm-up; caches in {scratch}", flush=True)
        base = scratch / "base"
        timed([*build, "--out", str(base)], env)   # fills the user cache for the rows that reuse it

        # The floor: one Python start plus one pdflatex pass over the final .tex, in a copy of .work.
        def floor_once(i: int) -> float:
            copy = scratch / f"floor{i}"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(base / ".work", copy)
            start = timed([py, "-c", "pass"], env)
            return start + timed([*PDFLATEX, "solutions.tex"], {**env, **SANDBOX_ENV}, cwd=copy)

        floor, floor_times = median_of(runs, floor_once)
        print(f"  floor (python -c pass + one pdflatex pass): {floor:.2f} s", flush=True)

        name_dir = scratch / "name"
        timed([*build, "--out", str(name_dir)], env)
        median, times = median_of(runs, lambda i: timed(
            [*build, "--out", str(name_dir), "--set", f"student.name=Student {i + 2}"], env))
        row("change only the student's name", median, times, floor, "floor", 1.0)

        lr_dir = scratch / "lr"
        timed([*build, "--out", str(lr_dir)], env)
        median, times = median_of(runs, lambda i: timed(
            [*build, "--out", str(lr_dir), "--set", f"q3.learning_rate={0.0201 + 0.0001 * i}"], env))
        row("change one question's input (q3.learning_rate)", median, times, floor, "floor", 1.3)

        median, times = median_of(runs, lambda i: timed(
            [*build, "--out", str(scratch / f"variant{i + 1}"), "--set", f"q2.delta={0.61 + 0.01 * i}",
             "--set", f"q3.learning_rate={0.0301 + 0.0001 * i}"], env))
        row("new variant, new output directory", median, times, floor, "floor", 2.0)

        def first_build(i: int) -> float:
            empty = scratch / f"xdg-empty{i + 1}"
            return timed([*build, "--out", str(scratch / f"first{i + 1}")], {**env, "XDG_CACHE_HOME": str(empty)})

        median, times = median_of(runs, first_build)
        row("first build ever (empty caches)", median, times, floor, "floor", 4.0)
        if shutil.which("jupyter") and subprocess.run(["jupyter", "nbconvert", "--version"],
                                                      capture_output=True).returncode == 0:
            book = notebook(scratch / "hw1.ipynb")
            peer, _ = median_of(runs, lambda i: timed(["jupyter", "nbconvert", "--to", "pdf", "--execute", str(book),
                                                       "--output", f"peer{i + 1}"], {**env, "PYTHONPATH": str(ROOT)}))
            rows[-1]["nbconvert_s"] = round(peer, 3)

        imports, import_times = median_of(runs, lambda i: timed([py, "-c", "import numpy, sympy"], env))
        median, times = median_of(runs, lambda i: timed([py, "-m", "solver", "answers"], env))
        row("python -m solver answers", median, times, imports, "import numpy, sympy", 1.0)

        make = ["make", "-s", "pdf", f"OUT={scratch / 'make'}"]
        if not (ROOT / ".venv" / "bin" / "python").exists():
            # A worktree without its own .venv: the interpreter's venv, taken as up to date (-o).
            venv = Path(py).parent.parent
            make[3:3] = [f"VENV={venv}", "-o", f"{venv}/.installed"]
        timed(make, env)   # the build itself
        median, times = median_of(runs, lambda i: timed(make, env))
        row("make pdf, nothing changed", median, times, floor, "floor", None, absolute=0.1)

        if args.full:
            roster = scratch / "roster.csv"
            roster.write_text("id,name\n" + "".join(f"{9000 + k},Student {k}\n" for k in range(CLASS)))
            # Once, with the user cache as the rows above left it: minutes per run.
            seconds = timed([py, "-m", "solver", "variants", "--roster", str(roster), "--seed", "1",
                             "--out", str(scratch / "class")], env)
            row(f"{CLASS}-student roster: variants with problem sheets", seconds, [seconds], CLASS, "1 s per student",
                None, absolute=CLASS * 1.0)

        probe = ("import time, numpy as np\n"
                 "from solver.questions.q3_mlp.model import Params, loss_curve\n"
                 "g = np.random.default_rng(0); n, h, k = 3, 256, 3\n"
                 "p = Params(g.normal(size=(h, n)), g.normal(size=h), 0.1 * g.normal(size=(k, h)), g.normal(size=k))\n"
                 "X = g.normal(size=(4, n)); Y = np.eye(k)[[0, 1, 2, 0]]\n"
                 "t = []\n"
                 "for _ in range(6):\n"
                 "    s = time.perf_counter(); loss_curve(p, X, Y, 'sgd', 0.01, 1000); t.append(time.perf_counter() - s)\n"
                 "print(sorted(t[1:])[len(t[1:]) // 2])\n")
        curve = float(subprocess.run([py, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    result = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_average": list(os.getloadavg())},
        "runs": runs, "floor_s": round(floor, 3), "floor_runs_s": [round(t, 3) for t in floor_times],
        "import_numpy_sympy_s": round(imports, 3), "import_runs_s": [round(t, 3) for t in import_times],
        "loss_curve_1000_iterations_256_hidden_s": round(curve, 4),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    print()
    print(f"floor = python -c pass + one pdflatex pass = {floor:.2f} s (median of {runs}); "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print()
    print("| what | median | ratio | target | met |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        ratio = f"{r['ratio']:.2f} × {r['reference']}"
        print(f"| {r['what']} | {r['median_s']:.2f} s | {ratio} | {r['target']} | {'yes' if r['met'] else 'NO'} |")
    print()
    if peer is not None:
        print(f"first build {rows[3]['median_s']:.2f} s against `jupyter nbconvert --to pdf --execute` on the same "
              f"computations {peer:.2f} s: {rows[3]['median_s'] / peer:.2f} × the peer (target ≤ 0.35: "
              f"{'yes' if rows[3]['median_s'] <= 0.35 * peer else 'NO'})")
    else:
        print("first build against nbconvert: not measured (jupyter nbconvert is not installed)")
    print(f"loss curve, 1000 iterations with 256 hidden units: {curve:.3f} s (target < 1 s: "
          f"{'yes' if curve < 1 else 'NO'})")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
