"""Every statement in the PDF is true for every configuration the validator accepts.

A property test draws valid configurations across all keys, solves and renders them
(no figures), and checks the text against the printed numbers with a calculator written
here: half away from zero on the decimal digits.  Some of them are compiled and their
logs searched for overfull boxes.  Then tables pin the rounding rule and show that the
named predicates flip their sentences.
"""
from __future__ import annotations

import functools
import math
import re
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Iterator

import jinja2
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from conftest import requires_tex
from solver import config, latex, rounding
from solver.pipeline import about
from solver.config import ConfigError
from solver.questions import QUESTIONS
from solver.questions.q1_l2_logistic import solve as q1


# ---------------------------------------------------------------- a calculator, written here

def calc(text: str, places: int) -> Decimal:
    """The decimal `text` rounded to `places` as a calculator does: its 10-digit display first (15 digits when
    the places lie beyond those 10), then half away from zero."""
    exact = Decimal(text)
    if exact != 0:
        digits = 10 if exact.adjusted() - 9 <= -places else 15
        exact = exact.quantize(Decimal(1).scaleb(exact.adjusted() - digits + 1), rounding=ROUND_HALF_UP)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)(?:\\times 10\^\{(-?\d+)\})?")


def value(tex: str) -> float:
    """A printed number: 1.5, -0.0123 or 3.35\\times 10^{-4}."""
    match = NUMBER.fullmatch(tex.strip())
    assert match, tex
    return float(match[1]) * 10.0 ** int(match[2] or 0)


def places(tex: str) -> int:
    return len(tex.partition(".")[2]) if "times" not in tex else -1


# ---------------------------------------------------------------- (b) the rounding rule

@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (0.39125, 4, "0.3913"),      # Q2's J: f"{x:.4f}" gives 0.3912
        (0.125, 2, "0.13"),
        (0.625, 2, "0.63"),
        (-0.125, 2, "-0.13"),        # away from zero on both sides
        (2.675, 2, "2.68"),          # the binary float is 2.67499999...
        (1.0005, 3, "1.001"),
        (2.5, 0, "3"),
        (-2.5, 0, "-3"),
        (0.5, 0, "1"),
        (1.23456785, 7, "1.2345679"),
        (1234567.5, 1, "1.2e+06"),
        (9999999.5, 1, "1.0e+07"),   # the mantissa carries into the exponent
    ],
)
def test_rounding_is_a_calculators(x: float, decimals: int, expected: str) -> None:
    assert rounding.rounded_text(x, decimals) == expected
    if "e" not in expected:
        assert Decimal(expected) == calc(repr(x), decimals)


@pytest.mark.parametrize(
    ("x", "decimals", "significant", "expected"),
    [
        (3.35e-4, 2, 1, "3.35e-04"),      # 0.00 would hide it
        (-0.004, 2, 1, "-4.00e-03"),      # and its sign
        (0.0049999, 2, 1, "5.00e-03"),
        (0.005, 2, 1, "0.01"),            # rounds to a nonzero: stays fixed
        (0.001, 4, 1, "0.0010"),
        (0.0001, 4, 2, "1.00e-04"),       # a value whose size matters keeps two digits: not "0.0001"
        (-0.00012, 4, 2, "-1.20e-04"),
        (0.0012, 4, 2, "0.0012"),
        (0.0, 2, 2, "0.00"),              # an exact zero is a zero
        (9.996e-5, 2, 1, "1.00e-04"),
        (5.0, 0, 2, "5"),                 # significance is about small values only
    ],
)
def test_significant_figures_where_decimals_would_hide_a_value(x: float, decimals: int, significant: int,
                                                               expected: str) -> None:
    assert rounding.rounded_text(x, decimals, significant) == expected


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [(3.35e-4, 2, r"3.35\times 10^{-4}"), (-4e-5, 4, r"-4.00\times 10^{-5}"), (0.39125, 4, "0.3913")],
)
def test_the_filter_prints_by_the_rule(x: float, decimals: int, expected: str) -> None:
    assert latex.fmt_number(x, decimals) == expected


@pytest.mark.parametrize(
    ("a", "b", "decimals", "expected"),
    [(0.0483, 0.0499, 4, "by 16 in the 4th decimal place"), (3.03066, 3.0303, 4, "by 4 in the 4th decimal place"),
     (1.25, 1.35, 1, "by 1 in the 1st decimal place"), (2.4, 3.4, 0, "by 1 in the units place")],
)
def test_the_dagger_says_how_far(a: float, b: float, decimals: int, expected: str) -> None:
    assert latex.fmt_difference(a, b, decimals, lambda x: latex.fmt_number(x, decimals)) == expected


# ---------------------------------------------------------------- (c) the predicates flip their sentences

@functools.cache
def environment(decimals: int) -> jinja2.Environment:
    return latex.make_environment(decimals)   # one per number of decimals: templates compile once


def render(cfg: config.Config, solutions: dict | None = None) -> str:
    s = solutions or {q.id: q.solve(cfg) for q in QUESTIONS}
    return environment(cfg.report.decimals).get_template("solutions.tex.j2").render(
        cfg=cfg, questions=QUESTIONS, s=s, fig={}, about=about(cfg))


@pytest.fixture(scope="module", autouse=True)
def derive_once() -> Iterator[None]:
    """Question 1's symbolic parts do not depend on the configuration: derive them once for this module
    (about 0.6 s per solve otherwise)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("derive", "saturation", "curvature", "likelihood"):
            patch.setattr(q1, name, functools.cache(getattr(q1, name)))
        yield


SMALL = ["q1.samples=6", "q1.steps=3", "q3.curve_iterations=2"]


@pytest.mark.parametrize(
    ("settings_", "says", "never"),
    [
        # eta = 0.01: the loss after the update prints lower at 4 decimals, but not at 1
        (["report.decimals=4"], r"down from \$1\.8929\$", "the same as before it"),
        (["report.decimals=1"], "the same as before it at 1 decimal places", "down from"),
        # a learning rate far too large overshoots, and the text says "up from"
        (["q3.mode=batch", "q3.learning_rate=30"], "up from", "down from"),
    ],
)
def test_the_loss_comparison_follows_the_printed_numbers(settings_: list[str], says: str, never: str) -> None:
    tex = render(config.load(assignments=SMALL + settings_))
    assert re.search(says, tex)
    assert never not in tex


@pytest.mark.parametrize(("decimals", "noted"), [(1, True), (4, True), (6, False)])
def test_q2_sum_says_when_its_rounded_terms_disagree(decimals: int, noted: bool) -> None:
    """J^(i) = 0.15125 and 0.125, J = 0.138125: at 1 place the terms print 0.2 and 0.1, whose mean a calculator
    rounds to 0.2, not J's 0.1; at 4 places 0.1513 and 0.1250 give 0.1382, not 0.1381; at 6 they are exact."""
    tex = render(config.load(assignments=SMALL + [f"report.decimals={decimals}", "q2.z=[0.55, 0.5]",
                                                  "q2.z_hat=[0, 0]", "q2.delta=1"]))
    terms = re.search(r"\\frac\{1\}\{2\}\\bigl\((.*?)\\bigr\)\\\\\n&= ([-\d.]+)"
                      r"(\\ \\text\{\(from the rounded terms: \$(.*?)\$\)\})?,", tex)
    assert terms, tex[tex.find("The loss is"):][:400]
    printed = [Decimal(t.strip()) for t in terms[1].split("+")]
    mean = calc(str(sum(printed) / len(printed)), decimals)
    assert (terms[3] is not None) == noted == (mean != Decimal(terms[2]))
    if noted:
        assert Decimal(terms[4]) == mean


# ---------------------------------------------------------------- (a) every configuration

def finite(low: float, high: float) -> st.SearchStrategy[float]:
    """Tiny to huge magnitudes, with few decimals or many."""
    return st.one_of(
        st.floats(low, high, allow_nan=False, allow_infinity=False),
        st.integers(-40, 40).map(lambda k: max(low, min(high, k / 8))),
        st.floats(1e-7, 1e-3).map(lambda x: max(low, min(high, x))),
    ).map(lambda x: float(f"{x:.6g}"))


def array(shape: tuple[int, ...], low: float = -5.0, high: float = 5.0) -> st.SearchStrategy[str]:
    size = int(np.prod(shape))
    return st.lists(finite(low, high), min_size=size, max_size=size).map(
        lambda xs: repr(np.reshape(np.array(xs), shape).tolist()))


@st.composite
def configurations(draw: st.DrawFn) -> list[str]:
    d = draw(st.integers(0, 12))
    sets = [f"report.decimals={d}",
            "student.name=" + repr(draw(st.text(st.sampled_from("Abcdefghij klmnopq-Ölé"), max_size=120))).replace("'", '"'),
            f"q1.samples={draw(st.integers(2, 8))}", f"q1.steps={draw(st.integers(1, 6))}",
            f"q1.seed={draw(st.integers(0, 2**32 - 1))}",
            f"q1.separation={draw(finite(1e-3, 20).filter(lambda x: x > 0))}",
            f"q1.learning_rate={draw(finite(1e-3, 10).filter(lambda x: x > 0))}",
            f"q1.theta_init={draw(array((2,), -20, 20))}"]
    N = draw(st.integers(1, 12))
    big = draw(st.sampled_from([1.0, 1e3, 1e6]))
    sets += [f"q2.delta={draw(st.sampled_from([1e-6, 1e-3, 0.5, 3.0, 1e6]))}",
             f"q2.z={draw(array((N,), -big, big))}", f"q2.z_hat={draw(array((N,), -big, big))}"]
    mode = draw(st.sampled_from(["sgd", "batch"]))
    wide = draw(st.integers(0, 3)) == 0
    top = 20 if wide else 4   # up to the validator's limits in a quarter of the draws
    m, n, h, k = (draw(st.integers(1 if i else 1, top)) for i in range(4))
    k = max(k, 2)
    labels = np.eye(k)[[draw(st.integers(0, k - 1)) for _ in range(m)]].astype(int).tolist()
    layout = draw(st.sampled_from(["Wx", "xW"]))
    w1, w2 = ((h, n), (k, h)) if layout == "Wx" else ((n, h), (h, k))
    sets += [f"q3.mode={mode}", f"q3.layout={layout}", f"q3.X={draw(array((m, n)))}", f"q3.Y={labels}",
             f"q3.W1={draw(array(w1))}", f"q3.b1={draw(array((h,)))}", f"q3.W2={draw(array(w2))}",
             f"q3.b2={draw(array((k,)))}",
             f"q3.learning_rate={draw(st.sampled_from([1e-6, 0.01, 0.5, 1e6]))}",
             f"q3.iterations={draw(st.integers(1, 2))}", f"q3.curve_iterations={draw(st.integers(1, 3))}"]
    return sets


def check_text(tex: str, decimals: int) -> None:
    """What a strict grader checks on the LaTeX, against the numbers printed in it."""
    body = tex[tex.index(r"\begin{document}"):]
    assert not re.search(r"\bnan\b|\binf\b", body, re.IGNORECASE)
    # a comparison of two printed losses holds for the printed numbers
    for after, word, before in re.findall(r"would be \$(.+?)\$,\s*(down|up) from \$(.+?)\$", body):
        assert (value(after) < value(before)) if word == "down" else (value(after) > value(before)), (after, before)
    # a ratio, an eigenvalue the convexity claim rests on, a gradient: never printed as 0
    ratio = re.search(r"a ratio of \$h\(1 - h\) = (.+?)\$", body)
    assert ratio and value(ratio[1]) != 0
    bce = re.search(r"smallest eigenvalue over the same grid is\s*\$(.+?)\$: its Hessian is positive definite", body)
    if bce:
        assert value(bce[1]) > 0
    # a fixed-point zero ("0.00") is printed only for an exact zero, in Question 2's table (its columns show decimals)
    # and the sum and vector worked from it (which print their entries as the table does)
    outside_tables = re.sub(r"\\begin\{tabular\}\{@\{\}rrrrlrrr@\{\}\}.*?\\end\{tabular\}", "", body, flags=re.S)
    outside_tables = re.sub(r"The loss is\n.*?\\partial \\hat z\} = -", "", outside_tables, flags=re.S)
    assert not re.search(r"(?<![\d.])-?0\.0+(?![\d])", outside_tables)
    # -log p = L: a calculator applied to the printed p gives the printed L; -log p \approx L: it gives the hand
    # value printed beside L, and that differs from L
    printed = r"(-?\d+(?:\.\d+)?(?:\\times 10\^\{-?\d+\})?)"
    for p, relation, loss, hand in re.findall(r"-\\log " + printed + r" (=|\\approx) " + printed
                                              + r"(?:(?:\\ |\\\\ &\\phantom\{\{\}=\{\}\})\\text\{\(full precision; by hand \$"
                                              + printed + r"\$)?", body):
        assert (relation == "=") == (hand == ""), (p, relation, loss, hand)
        assert hand != loss, (p, loss, hand)
        if value(p) <= 0:
            continue
        exact = -math.log(value(p))
        shown = hand or loss
        if "times" in shown:
            assert math.isclose(value(shown), exact, rel_tol=0.006, abs_tol=1e-300), (p, loss, hand)
        elif places(shown) == decimals or shown == "0":
            assert Decimal(shown) == calc(repr(exact), decimals), (p, loss, hand)


TO_COMPILE = 8
compiled: list[tuple[str, str]] = []   # (label, tex) of every 7th drawn configuration, TO_COMPILE of them
drawn: list[bool] = []


def wide_batch(size: int) -> list[str]:
    """A batch run at the shape limits: size samples, inputs, hidden units and classes."""
    def grid(rows: int, cols: int, a: int, b: int, mod: int, scale: float) -> str:
        return repr([[((a * i + b * j) % mod - mod // 2) / scale for j in range(cols)] for i in range(rows)])
    return ["q3.mode=batch", f"q3.X={grid(size, size, 7, 3, 11, 4)}",
            f"q3.Y={[[int(c == i % size) for c in range(size)] for i in range(size)]}",
            f"q3.W1={grid(size, size, 1, 2, 9, 8)}", f"q3.b1={[0.1] * size}", f"q3.W2={grid(size, size, 3, 1, 7, 6)}",
            f"q3.b2={[0.0] * size}", "q3.iterations=1"]


# Compiled as they are, besides the drawn ones: the README's examples and the extremes.
EXPLICIT = [["q3.learning_rate=1e6"], ["report.decimals=12"], ["q3.b2=[1e6,-1e6,0]"],
            ["q2.delta=1e6", "q2.z=[1e6,-1e6]", "q2.z_hat=[0,0]"],
            ['student.name="' + "Abcdefghij " * 10 + 'Abcdefghi"'],   # 110 characters
            wide_batch(20),
            # targets whose probability rounds to 0 (the loss written with log-sum-exp), 18 samples, 1 decimal
            [*(s for s in wide_batch(18) if not s.startswith("q3.b2=")), f"q3.b2={[1000.0, -1000.0] + [0.0] * 16}",
             "report.decimals=1"]]


@settings(max_examples=100, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(sets=configurations())
def test_every_sentence_holds_for_every_configuration(sets: list[str]) -> None:
    try:
        cfg = config.load(assignments=sets)
    except ConfigError as error:  # e.g. a batch run too long for the validator: a refusal is fine
        assume(False)
        raise AssertionError from error
    try:
        solutions = {q.id: q.solve(cfg) for q in QUESTIONS}
    except FloatingPointError:
        assume(False)
    assume(np.all(np.isfinite(solutions["q3"].curve)))  # a diverging run is refused by the build, not printed
    try:
        tex = render(cfg, solutions)
    except ValueError as error:  # a non-finite number refused by the filter: the build refuses such a run
        assert "non-finite" in str(error)
        assume(False)
        return
    check_text(tex, cfg.report.decimals)
    drawn.append(True)   # a rendered configuration
    if len(drawn) % 7 == 1 and len(compiled) < TO_COMPILE:  # spread over the run, not only its start
        compiled.append((" ".join(sets)[:200], tex))


@requires_tex
def test_drawn_configurations_fit_the_page(tmp_path: Path) -> None:
    """Configurations drawn above (shapes up to the limits) and the explicit extremes, compiled (one pdflatex
    pass, no PDF written): no box over 1 pt too wide or too high, no nan or inf."""
    if len(compiled) < TO_COMPILE:
        test_every_sentence_holds_for_every_configuration()
    assert len(compiled) >= TO_COMPILE
    explicit = []
    for sets in EXPLICIT:
        tex = render(config.load(assignments=SMALL + sets))
        check_text(tex, config.load(assignments=SMALL + sets).report.decimals)
        explicit.append((" ".join(sets)[:200], tex))
    runs = []
    for i, (label, tex) in enumerate(compiled[:TO_COMPILE] + explicit):
        path = tmp_path / f"c{i}.tex"
        path.write_text(tex, encoding="utf-8")
        runs.append((label, path, subprocess.Popen(["pdflatex", "-interaction=batchmode", "-draftmode",
                                                    "-no-shell-escape", path.name], cwd=tmp_path,
                                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
        if len(runs) % 2 == 0:
            runs[-2][2].wait()
    problems = []
    for label, path, run in runs:
        run.wait(timeout=300)
        log = path.with_suffix(".log").read_text(encoding="latin-1")
        over = [float(x) for x in re.findall(r"Overfull \\hbox \((\d+\.\d+)pt too wide", log)]
        tall = [float(x) for x in re.findall(r"Overfull \\vbox \((\d+\.\d+)pt too high", log)]  # off the page's foot
        if run.returncode != 0 or any(x > 1 for x in over + tall):
            where = re.findall(r"Overfull \\hbox \((\d+\.\d+pt) too wide\) (?:in paragraph at|in alignment at|detected at) lines? ([\d-]+)", log)
            problems.append(f"{label}: rc={run.returncode}, overfull {where}, too high {tall} in {path}")
    assert not problems, "\n".join(problems)
