"""Cells of the CSV files the tool writes (grades, the Grade Center upload, answer keys).

A spreadsheet runs a cell that starts with =, +, -, @ (or a tab or carriage return) as a
formula; `safe` puts a ' before such text, so a name or a reason is shown, never run.  A plain
number (-0.0745, 1e-05) is left as it is: it is read as a number, not a formula.
"""
from __future__ import annotations

import csv
import io
import math
import re
from typing import Any, Iterable

from solver import rounding
from solver.shown import one_line

TRIGGERS = ("=", "+", "-", "−", "@", "\t", "\r", "＝", "＋", "－", "＠")
PLAIN_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
SIGNIFICANT = 12


def safe(cell: Any) -> str:
    text = "" if cell is None else str(cell)
    # an escape sequence in a name never reaches a terminal that shows the file (tabs and line breaks are CSV's)
    text = "".join(c if c in "\t\r\n" else one_line(c) for c in text)
    if text.startswith(TRIGGERS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def table(header: Iterable[Any], rows: Iterable[Iterable[Any]], quote_all: bool = False) -> str:
    """CSV text, every cell through `safe`; quote_all quotes every cell (Blackboard's upload asks it)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerow([safe(c) for c in header])
    for row in rows:
        writer.writerow([safe(c) for c in row])
    return out.getvalue()


def decimal(x: float) -> str:
    """x at SIGNIFICANT significant digits (rounded by the one rule, rounding.rounded_text), printed
    as the shortest decimal that reads back to that: 0.05, not 0.04999999999999993."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return repr(x)
    places = SIGNIFICANT - 1 if abs(x) >= rounding.SCIENTIFIC_ABOVE else \
        SIGNIFICANT - 1 - math.floor(math.log10(abs(x)))
    return repr(float(rounding.rounded_text(x, places)))
