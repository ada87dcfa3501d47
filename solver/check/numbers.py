"""Numbers as students write them, and where in their file they wrote them.

A value in a submission is a number, text holding one, or a list (of lists) of those.  Text may
be a fraction (313/800, −3/40), scientific notation (1.2e-3, 1.2×10^-3), with a leading + or a
Unicode minus.  Nothing is evaluated: the text must match NUMBER exactly, and its digits are
bounded (MAX_DIGITS), so a 5000-digit integer is refused in one line.
"""
from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, Mapping

import numpy as np

MAX_DIGITS = 30           # digits in one number, as text or as an integer
MAX_MAGNITUDE = 1e15      # larger than any value of this homework by far

_DECIMAL = r"\d+(?:\.\d*)?|\.\d+"
_EXPONENT = r"(?:[eE][+-]?\d{1,3}|\s*[*×·]\s*10\s*(?:\^|\*\*)\s*\(?[+-]?\d{1,3}\)?)"
NUMBER = re.compile(rf"([+-]?)\s*({_DECIMAL})({_EXPONENT})?(?:\s*/\s*([+-]?)\s*({_DECIMAL})({_EXPONENT})?)?")
MINUS = str.maketrans({"−": "-", "–": "-", "—": "-", "﹣": "-", "－": "-", "＋": "+", "⁄": "/", "∕": "/"})
EXPECTED = "a number such as 0.3913, 313/800, -3/40 or 1.2e-3"


class NotANumber(ValueError):
    """Why a value is not a number, in a few words."""


def _scaled(sign: str, digits: str, exponent: str | None) -> Fraction:
    value = Fraction(digits)
    if exponent:
        exponent = exponent.lstrip()
        power = exponent[1:] if exponent[0] in "eE" else re.sub(r"[^0-9+-]", "", exponent.split("10", 1)[1])
        value *= Fraction(10) ** int(power)
    return -value if sign == "-" else value


def number(value: Any) -> float:
    """One number from what a student wrote; raises NotANumber."""
    if isinstance(value, bool):
        raise NotANumber("true/false is not a number")
    if isinstance(value, int):
        if abs(value) > 10 ** MAX_DIGITS:
            raise NotANumber(f"an integer of more than {MAX_DIGITS} digits")
        value = float(value)
    if isinstance(value, float):
        if not np.isfinite(value) or abs(value) > MAX_MAGNITUDE:
            raise NotANumber("not a finite number of a sensible size")
        return value
    if not isinstance(value, str):
        raise NotANumber(f"got {type(value).__name__}")
    text = value.translate(MINUS).strip()
    if not text:
        raise NotANumber("empty text")
    if len(text) > 3 * MAX_DIGITS or sum(c.isdigit() for c in text) > MAX_DIGITS:
        raise NotANumber(f"more than {MAX_DIGITS} digits")
    match = NUMBER.fullmatch(text)
    if match is None:
        raise NotANumber(f"cannot read {value[:40]!r}")
    sign, digits, exponent, sign2, digits2, exponent2 = match.groups()
    result = _scaled(sign, digits, exponent)
    if digits2 is not None:
        below = _scaled(sign2, digits2, exponent2)
        if below == 0:
            raise NotANumber(f"{value[:40]!r} divides by zero")
        result /= below
    if abs(result) > MAX_MAGNITUDE:
        raise NotANumber("not a number of a sensible size")
    return float(result)


def array(value: Any) -> np.ndarray:
    """A number, vector or matrix (lists of rows) from what a student wrote; raises NotANumber."""
    if isinstance(value, list):
        if len(value) > 1000:
            raise NotANumber("a list of more than 1000 values")
        rows = [array(v) for v in value]
        if len({r.shape for r in rows}) > 1:
            raise NotANumber("rows of different lengths")
        if rows and rows[0].ndim > 1:
            raise NotANumber("nested deeper than a matrix")
        return np.array(rows, dtype=float) if rows else np.zeros(0)
    if isinstance(value, Mapping):
        raise NotANumber("a table, not a number or a list")
    return np.asarray(number(value), dtype=float)


def blank(value: Any) -> bool:
    """The student left it empty ("" or [] or {} or absent)."""
    return value is None or (isinstance(value, (str, list, dict)) and not (value.strip() if isinstance(value, str)
                                                                            else value))


# ---------------------------------------------------------------- where a value is in a TOML file

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


def toml_lines(text: str) -> dict[str, int]:
    """{path: line} for every `key = value` in a TOML file, paths as the checker names them
    (q3.iterations[0].forward[1].z1); tables and arrays of tables are followed, inline ones not."""
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}        # array-of-tables path (with indices) -> how many so far
    table = ""
    for number_, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            names = [n.strip().strip("\"'") for n in header.group(2).split(".")]
            path = ""
            for k, name in enumerate(names):
                path = f"{path}.{name}" if path else name
                last = k == len(names) - 1
                if last and header.group(1) == "[[":
                    counts[path] = counts.get(path, 0) + 1
                    path = f"{path}[{counts[path] - 1}]"
                elif not last and path in counts:
                    path = f"{path}[{counts[path] - 1}]"
            table = path
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault(f"{table}.{key.group(1)}" if table else key.group(1), number_)
    return lines


class Work(dict):
    """A submission (its top-level table) that remembers the line of each value, when it knows it."""
    lines: Mapping[str, int] = {}


def where(work: Mapping[str, Any], path: str) -> str:
    line = getattr(work, "lines", {}).get(path)
    return f"line {line}: " if line else ""
