"""The kinds of configuration row (text, whole number, positive number, choice, array), each
knowing what it accepts and how to say so; every question's inputs.py declares its rows with them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from solver.layout import MAX_MATRIX_COLUMNS

if TYPE_CHECKING:
    import numpy as np

MAX_TEXT = 120
MAX_MAGNITUDE = 1e6               # given data and hyperparameters, far beyond any homework's
MAX_ELEMENTS = 10_000
MAX_COLUMNS = MAX_MATRIX_COLUMNS  # m, n, h, k: bmatrix columns (batch mode shows X with m columns)
MAX_STEPS = 10_000                # points of a training curve in a figure


# Latin-1 and Latin Extended-A letters that LaTeX's utf8 input declares for T1 fonts
# (t1enc.dfu); these few are missing there, so pdflatex would stop on them.
NOT_IN_T1 = set("ĦħĸĿŀŉŦŧſ")


def typesettable(c: str) -> bool:
    """What a Text value may hold: printable ASCII, the Latin-1 / Latin Extended-A
    letters T1 fonts carry, and the Chinese characters a CJK font carries (cjk_font)."""
    code = ord(c)
    latin = 0xC0 <= code <= 0x17E and c not in NOT_IN_T1
    return 0x20 <= code < 0x7F or latin or c in "¡¿«»°±²³µ·¹º¼½¾×÷" or cjk_font(c) is not None


# Chinese text is set with CJKutf8 (pdflatex keeps its engine) in the Arphic fonts of
# Debian's latex-cjk-chinese-arphic-*: gbsn covers GB2312 (simplified), bsmi Big5
# (traditional).  Only ideographs, CJK punctuation and full-width forms; no emoji.
CJK_BLOCKS = ((0x3000, 0x303F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xFF00, 0xFFEF))
CJK_FONTS = (("gbsn", "gb2312"), ("bsmi", "big5"))


def cjk_font(c: str) -> str | None:
    """The CJKutf8 font family that has `c`, or None: not Chinese, or in neither font."""
    if not any(low <= ord(c) <= high for low, high in CJK_BLOCKS):
        return None
    for font, encoding in CJK_FONTS:
        try:
            c.encode(encoding)
        except UnicodeEncodeError:
            continue
        return font
    return None


# ---------------------------------------------------------------- kinds of row

@dataclass(frozen=True)
class Row:
    key: str                      # "section.name"
    help: str                     # one line, for the README table

    @property
    def section(self) -> str:
        return self.key.partition(".")[0]

    @property
    def name(self) -> str:
        return self.key.partition(".")[2]

    @property
    def expected(self) -> str:
        """What a refused value should have been, as error messages say it."""
        raise NotImplementedError

    @property
    def summary(self) -> str:
        """What the key accepts, for the README table."""
        return self.expected

    def misfits(self, value: Any) -> list[str]:
        """Problems that leave a read value usable: an array too long for the page still
        has a shape that the checks between keys can compare."""
        return []


@dataclass(frozen=True, kw_only=True)
class Text(Row):
    most: int = MAX_TEXT

    @property
    def expected(self) -> str:
        return "a string"

    @property
    def summary(self) -> str:
        return f"a string of at most {self.most} characters: Latin letters, digits and punctuation, or Chinese"


@dataclass(frozen=True, kw_only=True)
class Whole(Row):
    low: int
    high: int

    @property
    def expected(self) -> str:
        return f"a whole number from {self.low} to {self.high}"


@dataclass(frozen=True, kw_only=True)
class Positive(Row):
    high: float = MAX_MAGNITUDE

    @property
    def expected(self) -> str:
        return f"a number > 0 and at most {self.high:g}"


@dataclass(frozen=True, kw_only=True)
class Choice(Row):
    options: tuple[str, ...]

    @property
    def expected(self) -> str:
        return "one of " + ", ".join(f'"{o}"' for o in self.options)


@dataclass(frozen=True)
class Axis:
    """One dimension of an array; `most` None when another key's shape bounds it."""
    most: int | None = None
    noun: str = ""


FREE = Axis()


@dataclass(frozen=True, kw_only=True)
class Array(Row):
    axes: tuple[Axis, ...]                  # one per dimension: a vector has one, a matrix two
    exact: tuple[int, ...] | None = None    # a shape fixed by the model itself
    why: str = ""

    @property
    def expected(self) -> str:
        if len(self.axes) == 1:
            return "a non-empty array of numbers"
        return "a non-empty array of equal-length rows of numbers"

    @property
    def summary(self) -> str:
        limits = [f"at most {a.most} {a.noun}" for a in self.axes if a.most is not None]
        if self.exact is not None:
            limits.append(f"{'length' if len(self.exact) == 1 else 'shape'} {dims(self.exact)}")
        return "; ".join([self.expected, *limits])

    def misfits(self, value: np.ndarray) -> list[str]:
        problems = [f"{self.key}: got {value.shape[i]} {a.noun}, expected at most {a.most}"
                    for i, a in enumerate(self.axes) if a.most is not None and value.shape[i] > a.most]
        if self.exact is not None:
            problems += shape_problem(self.key, value, self.exact, self.why)
        return problems


def vector(most: int | None = None, noun: str = "") -> tuple[Axis, ...]:
    return (Axis(most, noun),)


MATRIX = (FREE, FREE)


def shape_problem(key: str, array: np.ndarray | None, shape: tuple[int, ...], why: str) -> list[str]:
    if array is None or array.shape == shape:
        return []
    return [f"{key}: got shape {dims(array.shape)}, expected {dims(shape)} ({why})"]



def dims(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


def count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}{'es' if noun.endswith('s') else 's'}"
