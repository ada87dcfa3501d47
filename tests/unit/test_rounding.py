"""One rounding for everything printed: a calculator's (the value as its display shows it, then half away from
zero), written out here by hand, and the same in the PDF's filters, `check`'s terminal table and its answers."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from solver import latex, rounding
from solver.check import output

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("x", "decimals", "expected"), [
    (0.0449999999999, 2, "0.05"),        # a calculator's display shows 0.045
    (0.04499999999999999, 2, "0.05"),    # Question 2's J^(1) = 0.045 as a double
    (0.09 / 2, 2, "0.05"),
    (0.075 - 1e-17, 2, "0.08"),          # 0.07499999999999999: dJ/dz^(1) = 0.3 / 4 as computed
    (0.3 / 4, 2, "0.08"),
    (0.39125, 4, "0.3913"),              # Question 2's J: f"{x:.4f}" gives 0.3912
    (0.125, 2, "0.13"),
    (-0.125, 2, "-0.13"),                # away from zero on both sides
    (2.675, 2, "2.68"),                  # the double is 2.67499999999999982236431605997495353221893310546875
    (1.0005, 3, "1.001"),
    (2.5, 0, "3"),
    (0.5, 0, "1"),
    (0.1 + 0.2, 12, "0.300000000000"),   # 0.30000000000000004: the display shows 0.3
    (1 / 3, 12, "0.333333333333"),       # places beyond the display: the double's own digits
    (123.456789012345, 12, "123.456789012345"),
    (0.0449, 2, "0.04"),                 # a value that is not a tie stays where it is
    (-0.0000004, 2, "-4.00e-07"),        # never printed as 0
    (0.00049999999999, 3, "0.001"),      # the display shows 0.0005, which rounds up
    (1234567.5, 1, "1.2e+06"),
])
def test_a_calculators_rounding(x: float, decimals: int, expected: str) -> None:
    assert rounding.rounded_text(x, decimals) == expected


@pytest.mark.parametrize(("entries", "decimals", "expected"), [
    # every entry of a vector keeps two significant digits: 0.005 at 3 places would show one
    ([0.005, -0.006, 0.25], 3, [r"5.00\times 10^{-3}", r"-6.00\times 10^{-3}", "0.250"]),
    ([0.03, 0.0343], 2, [r"3.00\times 10^{-2}", r"3.43\times 10^{-2}"]),
    ([0.075 - 1e-17, -0.05, 0.125], 2, [r"7.50\times 10^{-2}", r"-5.00\times 10^{-2}", "0.13"]),
    ([0.0, 1.5, 0.12], 2, ["0", "1.50", "0.12"]),
])
def test_every_vector_entry_keeps_two_significant_digits(entries: list[float], decimals: int,
                                                          expected: list[str]) -> None:
    f = latex.filters(decimals)
    assert f["vec"](np.array(entries)) == r"\begin{bmatrix} " + r" \\ ".join(expected) + r" \end{bmatrix}"
    assert f["matrix"](np.array([entries])) == r"\begin{bmatrix} " + " & ".join(expected) + r" \end{bmatrix}"


@pytest.mark.parametrize(("value", "shown"), [
    (0.39125, "0.3913"), (0.0449999999999, "0.0450"), (-0.00002, "-2.00e-05"),
    ([0.0001, 0.5], "[1.00e-04, 0.5000]"),   # a vector's entries, as the PDF prints them
    ([[0.25], [0.00005]], "[[0.2500], [5.00e-05]]"),
])
def test_checks_table_prints_by_the_same_rule(value: object, shown: str) -> None:
    assert output.number(value) == shown


def test_check_prints_the_expected_j_as_the_pdf_does(tmp_path: Path) -> None:
    """Question 2's example J is 0.39125: the PDF prints 0.3913, and so does `check` beside a wrong J."""
    work = tmp_path / "work.json"
    work.write_text(json.dumps({"q2": {"example": {"J": 0.5}}}))
    run = subprocess.run([sys.executable, "-m", "solver", "check", str(work)], capture_output=True, text=True,
                         cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, timeout=300)
    assert "expected 0.3913" in run.stdout, run.stdout + run.stderr
    assert "0.3912" not in run.stdout


def test_the_stated_rule_holds_for_its_examples() -> None:
    """The opening note's examples are computed: 0.125 → 0.13, -0.125 → -0.13, 3.3524e-4 → 3.35 × 10^-4."""
    env = latex.make_environment(4)
    assert env.globals["rounding_examples"]["ties"] == [("0.125", "0.13"), ("-0.125", "-0.13")]
    assert env.globals["rounding_examples"]["small"] == r"3.35\times 10^{-4}"
