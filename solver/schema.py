"""The configuration schema: one row per key (kind, bounds, meaning), the checks that
relate keys to each other, and the frozen dataclasses a valid configuration becomes.

Validation (config.py), the README's configuration table and `python -m solver config`
all follow from ROWS. Default values are not here: they are the homework's data and
live in defaults.toml only.
"""
from __future__ import annotations

import hashlib
import json
import typing
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, Callable, Mapping

import numpy as np

from solver.layout import MAX_MATRIX_COLUMNS

MAX_TEXT = 120
MAX_MAGNITUDE = 1e6               # given data and hyperparameters, far beyond any homework's
MAX_ELEMENTS = 10_000
MAX_COLUMNS = MAX_MATRIX_COLUMNS  # m, n, h, k: bmatrix columns (batch mode shows X with m columns)
MAX_STEPS = 10_000                # points of a training curve in a figure
MAX_WORKED_PASSES = 100           # iterations × samples per iteration (m in batch mode)


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
            limits.append(f"{'length' if len(self.exact) == 1 else 'shape'} {_dims(self.exact)}")
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


# ---------------------------------------------------------------- the rows

ROWS: tuple[Row, ...] = (
    Text("student.name", "name in the title block, header and PDF metadata; blank line when empty"),
    Text("student.id", "student ID in the title block; blank line when empty"),

    Whole("report.decimals", "decimal places of every displayed number; computation is always full precision",
          low=0, high=12),

    Whole("q1.seed", "random seed of Question 1's 1-D dataset", low=0, high=2**32 - 1),  # numpy's seed range
    Whole("q1.samples", "m, the dataset size; labels alternate 0, 1, 0, …",
          low=2, high=1000),  # the loss landscape costs grid² × samples
    Positive("q1.separation", "d: x⁽ⁱ⁾ ~ N(−d/2, 1) for y = 0 and N(+d/2, 1) for y = 1"),
    Array("q1.theta_init", "[θ₀, θ₁] where both gradient-descent runs start; the default is confidently wrong",
          axes=vector(), exact=(2,), why="[theta_0, theta_1] of the 1-D model"),
    Positive("q1.learning_rate", "step size used for both L2 and L_bce/m"),
    Whole("q1.steps", "gradient-descent steps per run", low=1, high=MAX_STEPS),

    Positive("q2.delta", "the Huber loss's δ, used everywhere in Question 2's text"),
    Array("q2.z", "inputs z⁽ⁱ⁾ of the worked numeric example", axes=vector(100, "inputs")),  # a table row each
    Array("q2.z_hat", "ground truths ẑ⁽ⁱ⁾ of the example, one per input in `q2.z`", axes=vector()),

    Array("q3.X", "training inputs, row i is x⁽ⁱ⁾ (m×n)",
          axes=(Axis(MAX_COLUMNS, "samples (rows)"), Axis(MAX_COLUMNS, "inputs (columns)"))),
    Array("q3.Y", "one-hot labels, row i is y⁽ⁱ⁾ (m×k)", axes=(FREE, Axis(MAX_COLUMNS, "classes (columns)"))),
    Array("q3.W1", "first layer's weights: h×n under layout `Wx`, n×h under `xW`", axes=MATRIX),
    Array("q3.b1", "first layer's biases, h of them", axes=vector(MAX_COLUMNS, "hidden units")),
    Array("q3.W2", "second layer's weights: k×h under layout `Wx`, h×k under `xW`", axes=MATRIX),
    Array("q3.b2", "second layer's biases, k of them", axes=vector()),
    Positive("q3.learning_rate", "SGD step size η"),
    Whole("q3.iterations", f"iterations worked in full; in batch mode iterations × m is at most {MAX_WORKED_PASSES}",
          low=1, high=100),  # each is worked in full: ~3 pages, ~0.1 s of LaTeX
    Choice("q3.mode", '`"sgd"`: iteration k uses the single sample x⁽⁽ᵏ⁻¹⁾ ᵐᵒᵈ ᵐ⁺¹⁾, in order; '
                      '`"batch"`: mean loss and gradient over all m samples', options=("sgd", "batch")),
    Choice("q3.layout", '`"Wx"`: z = W x + b, rows of W are the layer\'s output units; '
                        '`"xW"`: z = Wᵀx + b (row vector x times W)', options=("Wx", "xW")),
    Whole("q3.curve_iterations", "length of the loss curve in Question 3's figure; the two asked iterations are "
          "marked, and in sgd mode the figure also plots the mean loss over all m samples", low=1, high=MAX_STEPS),
)


# ---------------------------------------------------------------- checks between keys
# Each takes the values that were read successfully (a key that failed is absent) and
# returns one line per problem.

def shape_problem(key: str, array: np.ndarray | None, shape: tuple[int, ...], why: str) -> list[str]:
    if array is None or array.shape == shape:
        return []
    return [f"{key}: got shape {_dims(array.shape)}, expected {_dims(shape)} ({why})"]


def z_hat_matches_z(values: Mapping[str, Any]) -> list[str]:
    z = values.get("q2.z")
    if z is None:
        return []
    return shape_problem("q2.z_hat", values.get("q2.z_hat"), z.shape, "one ground truth per input in q2.z")


def batch_passes(values: Mapping[str, Any]) -> list[str]:
    X, iterations = values.get("q3.X"), values.get("q3.iterations")
    if X is None or iterations is None or values.get("q3.mode") != "batch":
        return []
    passes = iterations * len(X)
    if passes <= MAX_WORKED_PASSES:
        return []
    return [f"q3.iterations: got {iterations} batch iterations over {len(X)} samples = "
            f"{passes} forward/backward passes worked in full, expected at most {MAX_WORKED_PASSES}; "
            'lower q3.iterations or use q3.mode = "sgd"']


def one_hot_labels(values: Mapping[str, Any]) -> list[str]:
    Y = values.get("q3.Y")
    if Y is None:
        return []
    one_hot = np.all((Y == 0) | (Y == 1), axis=1) & (Y.sum(axis=1) == 1)
    if one_hot.all():
        return []
    row = int(np.argmin(one_hot)) + 1
    return [f"q3.Y: row {row} is {Y[row - 1].tolist()}, expected one-hot rows (a single 1, the rest 0)"]


def network_shapes(values: Mapping[str, Any]) -> list[str]:
    """Shapes follow from X (m×n), Y (m×k) and b1 (h) under the layout."""
    X, Y, b1, layout = (values.get(f"q3.{name}") for name in ("X", "Y", "b1", "layout"))
    if X is None or Y is None or b1 is None or layout is None:
        return []
    (m, n), k, h = X.shape, Y.shape[1], b1.shape[0]
    wx = layout == "Wx"
    inputs, hidden, classes = _count(n, "input"), _count(h, "hidden unit"), _count(k, "class")
    return [
        *shape_problem("q3.Y", Y, (m, k), f"one label row per sample: q3.X has {m} row{'s' * (m != 1)}"),
        *shape_problem("q3.W1", values.get("q3.W1"), (h, n) if wx else (n, h),
                       f"{inputs} (columns of q3.X), {hidden} (length of q3.b1), layout {layout}"),
        *shape_problem("q3.W2", values.get("q3.W2"), (k, h) if wx else (h, k),
                       f"{hidden}, {classes} (columns of q3.Y), layout {layout}"),
        *shape_problem("q3.b2", values.get("q3.b2"), (k,), f"{classes} (columns of q3.Y)"),
    ]


CHECKS = (z_hat_matches_z, batch_passes, one_hot_labels, network_shapes)


def _dims(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}{'es' if noun.endswith('s') else 's'}"


# ---------------------------------------------------------------- what a valid configuration becomes

@dataclass(frozen=True)
class Student:
    name: str
    id: str

    @property
    def needs_cjk(self) -> bool:
        """Whether the document must load CJKutf8: only then, so Latin-only builds stay as fast."""
        return any(cjk_font(c) for c in self.name + self.id)


@dataclass(frozen=True)
class Report:
    decimals: int


@dataclass(frozen=True)
class Q1:
    seed: int
    samples: int
    separation: float
    theta_init: np.ndarray
    learning_rate: float
    steps: int


@dataclass(frozen=True)
class Q2:
    delta: float
    z: np.ndarray
    z_hat: np.ndarray


@dataclass(frozen=True)
class Q3:
    X: np.ndarray
    Y: np.ndarray
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    learning_rate: float
    iterations: int
    mode: str
    layout: str
    curve_iterations: int


@dataclass(frozen=True)
class Config:
    student: Student
    report: Report
    q1: Q1
    q2: Q2
    q3: Q3
    resolved: dict[str, dict[str, Any]]  # plain TOML values, as written to config.toml

    @property
    def digest(self) -> str:
        """A short hash of the resolved configuration."""
        text = json.dumps(self.resolved, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def sections() -> dict[str, type]:
    """Config's section dataclasses by name: the fields of Config are the one list of sections."""
    hints = typing.get_type_hints(Config)
    return {f.name: hints[f.name] for f in fields(Config) if is_dataclass(hints[f.name])}


def assemble(values: Mapping[str, Any], plain: Mapping[str, Any]) -> Config:
    """The configuration from values that all passed (`values` as the solver uses them,
    `plain` as TOML writes them), one frozen dataclass per section."""
    parts = {section: kind(**{row.name: values[row.key] for row in ROWS if row.section == section})
             for section, kind in sections().items()}
    resolved: dict[str, dict[str, Any]] = {}
    for row in ROWS:
        resolved.setdefault(row.section, {})[row.name] = plain[row.key]
    return Config(**parts, resolved=resolved)


def reference_table(defaults: dict[str, Any], as_toml: Callable[[Any], str]) -> str:
    """The README's configuration reference from the rows and the defaults: key, default, meaning."""
    lines = ["| key | default | meaning |", "| --- | --- | --- |"]
    for row in ROWS:
        value = defaults[row.key]
        if isinstance(value, list) and value and isinstance(value[0], list):
            default = f"a {len(value)}×{len(value[0])} array"  # its numbers would not fit in the column
        else:
            default = f"`{as_toml(value)}`"
        lines.append(f"| `{row.key}` | {default} | {row.help} — {row.summary} |")
    return "\n".join(lines) + "\n"
