"""Configuration: defaults.toml, then a user TOML file, then --set KEY=VALUE; validated.

Every problem found is collected and reported together (ConfigError), one line
each, naming the key, what was given and what was expected.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from solver.layout import MAX_MATRIX_COLUMNS

DEFAULTS_PATH = Path(__file__).with_name("defaults.toml")

MODES = ("sgd", "batch")
LAYOUTS = ("Wx", "xW")
MAX_TEXT = 120
MAX_ITERATIONS = 100         # each iteration is worked in full: ~3 pages, ~0.1 s of LaTeX
MAX_WORKED_PASSES = 100      # iterations × samples per iteration (m in batch mode)
MAX_CURVE_ITERATIONS = 10_000
MAX_ELEMENTS = 10_000
MAX_ROWS = 100            # length of q2.z: one table row each
MAX_COLUMNS = MAX_MATRIX_COLUMNS  # m, n, h, k: bmatrix columns (batch mode shows X with m columns)
MAX_MAGNITUDE = 1e6       # given data and hyperparameters, far beyond any homework's
MAX_CONFIG_BYTES = 1_000_000


class ConfigError(Exception):
    """Invalid user input; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Student:
    name: str
    id: str


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


# ---------------------------------------------------------------- loading

def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and not prefix:
            flat.update(_flatten(value, f"{key}."))
        else:
            flat[key] = value
    return flat


def _unflatten(flat: dict[str, Any]) -> dict[str, dict[str, Any]]:
    nested: dict[str, dict[str, Any]] = {}
    for key, value in flat.items():
        section, name = key.split(".", 1)
        nested.setdefault(section, {})[name] = value
    return nested


def _unknown(key: str, known: dict[str, Any], origin: str) -> str:
    key = key if len(key) <= 60 else key[:57] + "..."
    close = _suggest(key, list(known))
    hint = f"; did you mean {close}?" if close else "; see the configuration reference in README.md"
    return f"{key}: unknown key (from {origin}){hint}"


def _suggest(key: str, known: list[str]) -> str | None:
    """The known key a typo most likely meant: an abbreviation (q3.lr) or a near spelling,
    preferably in the same section."""
    for k in known:
        if k.lower() == key.lower():
            return k
    section, _, name = key.rpartition(".")
    same = [k for k in known if k.rpartition(".")[0] == section]
    for k in same:
        words = k.rpartition(".")[2].lower().split("_")
        if len(name) > 1 and name.lower() in ("".join(w[0] for w in words if w), words[0]):
            return k
    names = {k.rpartition(".")[2]: k for k in same}
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if close:
        return names[close[0]]
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return close[0] if close else None


def _file_values(table: dict[str, Any], defaults: dict[str, Any], origin: str) -> tuple[dict[str, Any], list[str]]:
    """The known keys of a parsed config file, and a problem for each table or key we do not know."""
    sections = {key.split(".", 1)[0]: [k for k in defaults if k.startswith(key.split(".", 1)[0] + ".")]
                for key in defaults}
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, value in table.items():
        if name in sections and not isinstance(value, dict):
            keys = ", ".join(sections[name])
            problems.append(f"{name}: got {_show(value)}, expected a table [{name}] holding {keys} (from {origin})")
        elif name in sections:
            for inner, item in value.items():
                key = f"{name}.{inner}"
                if key in defaults:
                    values[key] = item
                else:
                    problems.append(_unknown(key, defaults, origin))
        elif isinstance(value, dict):
            close = difflib.get_close_matches(name, sections, n=1, cutoff=0.6)
            listed = ", ".join(f"[{s}]" for s in sections)
            hint = f"did you mean [{close[0]}]?" if close else f"the sections are {listed}"
            problems.append(f"[{name}]: unknown table (from {origin}); {hint}")
        else:
            problems.append(_unknown(name, defaults, origin))
    return values, problems


def _read_text(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such config file; give the path of a TOML file"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{path}: is a directory; --config takes the path of a TOML file"]) from None
    except OSError as error:  # permissions, a name too long, ...
        name = str(path) if len(str(path)) <= 80 else str(path)[:77] + "..."
        raise ConfigError([f"{name}: cannot read the config file: {error.strerror or error}"]) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError([f"{path}: larger than {MAX_CONFIG_BYTES} bytes; a config file is a few lines of TOML"])
    try:
        return data.decode("utf-8-sig")  # tolerate the byte-order mark some editors write
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - data.rfind(b"\n", 0, error.start)
        raise ConfigError([
            f"{path}, line {line}, column {column}: not UTF-8 text (byte 0x{data[error.start]:02x}); save it as UTF-8"
        ]) from None


AT_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")


def _syntax_error(path: Path, text: str, error: tomllib.TOMLDecodeError) -> str:
    """`FILE, line L, column C: TOML syntax error: WHAT`, also for errors at the end of the file."""
    message = str(error)
    match = AT_POSITION.search(message)
    if match is None:
        return f"{path}: TOML syntax error: {message}"
    if match[1]:
        line, column = int(match[1]), int(match[2])
    else:
        lines = text.split("\n")
        line, column = len(lines), len(lines[-1]) + 1
    return f"{path}, line {line}, column {column}: TOML syntax error: {message[:match.start()]}"


def _read_toml(path: Path) -> dict[str, Any]:
    text = _read_text(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([_syntax_error(path, text, error)]) from None
    except RecursionError:
        raise ConfigError([f"{path}: arrays or tables nested too deeply to read"]) from None


BARE_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")


def parse_assignment(item: str, defaults: dict[str, Any]) -> tuple[str, Any]:
    """`KEY=VALUE` → (key, value); VALUE is TOML, a bare word is a string, and
    string-valued keys take the raw text unless it is a quoted TOML string."""
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError([f"--set {_show(item)}: expected KEY=VALUE, e.g. --set q3.learning_rate=0.1"])
    if key not in defaults:
        raise ConfigError([_unknown(key, defaults, f"--set {_show(item)}")])
    text = text.strip()
    if not text and not isinstance(defaults[key], str):
        raise ConfigError([f"--set {_show(item)}: no value after '='; e.g. --set {key}={json.dumps(defaults[key])}"])
    try:
        document = tomllib.loads(f"v = {text}")
        if list(document) != ["v"]:  # a newline in VALUE must not smuggle in more TOML
            raise tomllib.TOMLDecodeError("more than one value")
        value = document["v"]
    except RecursionError:
        raise ConfigError([f"--set {key}=...: arrays nested too deeply to read"]) from None
    except tomllib.TOMLDecodeError:
        if isinstance(defaults[key], str) or BARE_WORD.fullmatch(text):
            return key, text
        raise ConfigError([
            f"--set {_show(item)}: cannot read {_show(text)} as a TOML value "
            "(numbers 0.1, arrays [1, 2], nested arrays [[1, 0], [0, 1]], strings \"text\")"
        ]) from None
    if isinstance(defaults[key], str) and not isinstance(value, str):
        value = text
    return key, value


def load(config_file: str | Path | None = None, assignments: list[str] = ()) -> Config:
    """Resolve defaults ← config file ← assignments, then validate."""
    defaults = _flatten(tomllib.loads(DEFAULTS_PATH.read_text(encoding="utf-8")))
    flat = dict(defaults)
    problems: list[str] = []
    if config_file is not None:
        path = Path(config_file)
        try:
            values, problems = _file_values(_read_toml(path), defaults, str(path))
        except ConfigError as error:  # unreadable: still check the --set values below
            problems = list(error.problems)
        else:
            flat.update(values)
    for item in assignments:
        try:
            key, value = parse_assignment(item, defaults)
        except ConfigError as error:
            problems.extend(error.problems)
        else:
            flat[key] = value
    try:
        cfg = validate(flat)  # the values that could be read, so that every problem shows at once
    except ConfigError as error:
        problems.extend(error.problems)
    if problems:
        raise ConfigError(problems)
    return cfg


# ---------------------------------------------------------------- validation

BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _as_toml(value: Any) -> str:
    """A value as the user wrote it in TOML (true, "text", inf, {a = 1}), not as Python prints it."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_as_toml(x) for x in value) + "]"
    if isinstance(value, dict):
        keys = (k if BARE_KEY.fullmatch(k) else json.dumps(k, ensure_ascii=False) for k in value)
        return "{" + ", ".join(f"{k} = {_as_toml(v)}" for k, v in zip(keys, value.values())) + "}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return repr(value)


def _show(value: Any) -> str:
    text = _as_toml(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Checker:
    """Reads one key at a time, converting it or recording why it is wrong."""

    def __init__(self, flat: dict[str, Any]) -> None:
        self.flat = dict(flat)
        self.problems: list[str] = []

    def fail(self, key: str, expected: str) -> None:
        self.problems.append(f"{key}: got {_show(self.flat[key])}, expected {expected}")

    def text(self, key: str) -> str | None:
        value = self.flat[key]
        if not isinstance(value, str):
            return self.fail(key, "a string")
        value = self.flat[key] = unicodedata.normalize("NFC", value)  # e + combining ¨ → ë, which T1 has
        if len(value) > MAX_TEXT:
            return self.fail(key, f"at most {MAX_TEXT} characters (this has {len(value)})")
        bad = sorted({c for c in value if not _typesettable(c)})
        if bad:
            shown = " ".join(repr(c) for c in bad[:5])
            return self.fail(key, f"Latin letters, digits and punctuation; the PDF fonts cannot typeset {shown}")
        return value

    def integer(self, key: str, low: int, high: int) -> int | None:
        value = self.flat[key]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return self.fail(key, f"a whole number from {low} to {high}")
        return value

    def positive(self, key: str, high: float = MAX_MAGNITUDE) -> float | None:
        value = _real(self.flat[key])
        if value is None or not 0 < value <= high:
            return self.fail(key, f"a number > 0 and at most {high:g}")
        return value

    def choice(self, key: str, options: tuple[str, ...]) -> str | None:
        value = self.flat[key]
        if value not in options:
            return self.fail(key, "one of " + ", ".join(f'"{o}"' for o in options))
        return value

    def array(self, key: str, ndim: int) -> np.ndarray | None:
        value = self.flat[key]
        what = "a non-empty array of numbers" if ndim == 1 else "a non-empty array of equal-length rows of numbers"
        rows = value if ndim == 2 else [value]
        if not isinstance(value, list) or not value or not all(isinstance(r, list) and r for r in rows):
            return self.fail(key, what)
        if len({len(r) for r in rows}) != 1:
            return self.fail(key, f"{what} (row lengths differ: {[len(r) for r in rows]})")
        if sum(len(r) for r in rows) > MAX_ELEMENTS:
            return self.fail(key, f"at most {MAX_ELEMENTS} numbers")
        for i, row in enumerate(rows):
            for j, x in enumerate(row):
                where = f"[{i}][{j}]" if ndim == 2 else f"[{j}]"
                if isinstance(x, bool) or not isinstance(x, (int, float)):
                    return self.fail(key, f"{what} (element {where} is {_show(x)})")
                number = _real(x)
                if number is None or abs(number) > MAX_MAGNITUDE:
                    return self.fail(key, f"finite numbers of magnitude at most {MAX_MAGNITUDE:g} "
                                          f"(element {where} is {_show(x)})")
        array = np.array(value, dtype=np.float64)
        array.setflags(write=False)
        return array

    def length(self, key: str, array: np.ndarray | None, axis: int, high: int, what: str) -> None:
        if array is not None and array.shape[axis] > high:
            self.problems.append(f"{key}: got {array.shape[axis]} {what}, expected at most {high}")

    def shape(self, key: str, array: np.ndarray | None, shape: tuple[int, ...], why: str) -> None:
        if array is not None and array.shape != shape:
            given = "×".join(map(str, array.shape))
            self.problems.append(f"{key}: got shape {given}, expected {'×'.join(map(str, shape))} ({why})")


def _real(value: Any) -> float | None:
    """A finite int or float as float; None for anything else (bool, inf, nan, ints beyond float)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


# Latin-1 and Latin Extended-A letters that LaTeX's utf8 input declares for T1 fonts
# (t1enc.dfu); these few are missing there, so pdflatex would stop on them.
NOT_IN_T1 = set("ĦħĸĿŀŉŦŧſ")


def _typesettable(c: str) -> bool:
    """Printable ASCII and the Latin-1 / Latin Extended-A letters T1 fonts carry."""
    code = ord(c)
    latin = 0xC0 <= code <= 0x17E and c not in NOT_IN_T1
    return 0x20 <= code < 0x7F or latin or c in "¡¿«»°±²³µ·¹º¼½¾×÷"


def validate(flat: dict[str, Any]) -> Config:
    check = _Checker(flat)
    student = Student(name=check.text("student.name"), id=check.text("student.id"))
    report = Report(decimals=check.integer("report.decimals", 0, 12))

    q1 = Q1(
        seed=check.integer("q1.seed", 0, 2**32 - 1),
        samples=check.integer("q1.samples", 2, 1000),  # the landscape costs grid² × samples
        separation=check.positive("q1.separation"),
        theta_init=check.array("q1.theta_init", 1),
        learning_rate=check.positive("q1.learning_rate"),
        steps=check.integer("q1.steps", 1, MAX_CURVE_ITERATIONS),
    )
    check.shape("q1.theta_init", q1.theta_init, (2,), "[theta_0, theta_1] of the 1-D model")

    q2 = Q2(delta=check.positive("q2.delta"), z=check.array("q2.z", 1), z_hat=check.array("q2.z_hat", 1))
    if q2.z is not None and q2.z_hat is not None:
        check.shape("q2.z_hat", q2.z_hat, q2.z.shape, "one ground truth per input in q2.z")
    check.length("q2.z", q2.z, 0, MAX_ROWS, "inputs")

    g = {name: check.array(f"q3.{name}", 2 if name[0] in "XYW" else 1) for name in ("X", "Y", "W1", "b1", "W2", "b2")}
    layout = check.choice("q3.layout", LAYOUTS)
    q3 = Q3(
        **g,
        learning_rate=check.positive("q3.learning_rate"),
        iterations=check.integer("q3.iterations", 1, MAX_ITERATIONS),
        mode=check.choice("q3.mode", MODES),
        layout=layout,
        curve_iterations=check.integer("q3.curve_iterations", 1, MAX_CURVE_ITERATIONS),
    )
    _check_network(check, q3)

    if check.problems:
        raise ConfigError(check.problems)
    resolved = _unflatten({key: check.flat[key] for key in sorted(check.flat)})
    resolved["report"]["decimals"] = report.decimals
    for name in ("seed", "samples", "steps"):
        resolved["q1"][name] = getattr(q1, name)
    resolved["q3"]["iterations"] = q3.iterations
    resolved["q3"]["curve_iterations"] = q3.curve_iterations
    return Config(student=student, report=report, q1=q1, q2=q2, q3=q3, resolved=resolved)


def _check_network(check: _Checker, q3: Q3) -> None:
    """Shapes follow from X (m×n), Y (m×k) and b1 (h) under the layout."""
    X, Y = q3.X, q3.Y
    passes = q3.iterations * len(X) if X is not None and q3.iterations is not None and q3.mode == "batch" else 0
    if passes > MAX_WORKED_PASSES:
        check.problems.append(
            f"q3.iterations: got {q3.iterations} batch iterations over {len(X)} samples = "
            f"{passes} forward/backward passes worked in full, expected at most {MAX_WORKED_PASSES}; "
            'lower q3.iterations or use q3.mode = "sgd"'
        )
    check.length("q3.X", X, 0, MAX_COLUMNS, "samples (rows)")
    check.length("q3.X", X, 1, MAX_COLUMNS, "inputs (columns)")
    check.length("q3.Y", Y, 1, MAX_COLUMNS, "classes (columns)")
    check.length("q3.b1", q3.b1, 0, MAX_COLUMNS, "hidden units")
    if Y is not None:
        one_hot = np.all((Y == 0) | (Y == 1), axis=1) & (Y.sum(axis=1) == 1)
        if not one_hot.all():
            row = int(np.argmin(one_hot)) + 1
            check.problems.append(
                f"q3.Y: row {row} is {Y[row - 1].tolist()}, expected one-hot rows (a single 1, the rest 0)"
            )
    if X is None or Y is None or q3.b1 is None or q3.layout is None:
        return
    (m, n), k, h = X.shape, Y.shape[1], q3.b1.shape[0]
    check.shape("q3.Y", Y, (m, k), f"one label row per sample: q3.X has {m} row{'s' * (m != 1)}")
    wx = q3.layout == "Wx"
    inputs, hidden, classes = _count(n, "input"), _count(h, "hidden unit"), _count(k, "class")
    check.shape("q3.W1", q3.W1, (h, n) if wx else (n, h),
                f"{inputs} (columns of q3.X), {hidden} (length of q3.b1), layout {q3.layout}")
    check.shape("q3.W2", q3.W2, (k, h) if wx else (h, k),
                f"{hidden}, {classes} (columns of q3.Y), layout {q3.layout}")
    check.shape("q3.b2", q3.b2, (k,), f"{classes} (columns of q3.Y)")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}{'es' if noun.endswith('s') else 's'}"


# ---------------------------------------------------------------- writing

def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        if value and isinstance(value[0], list):
            return "[\n" + "".join(f"    {_toml_value(row)},\n" for row in value) + "]"
        return "[" + ", ".join(_toml_value(x) for x in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def dumps(resolved: dict[str, dict[str, Any]]) -> str:
    """The resolved configuration as TOML that `load` reads back to the same values."""
    parts = []
    for section, table in resolved.items():
        lines = [f"[{section}]"] + [f"{name} = {_toml_value(value)}" for name, value in table.items()]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"
