"""Configuration: defaults.toml, then a user TOML file, then --set KEY=VALUE; validated
against the schema (solver/schema.py).

Every problem found is collected and reported together (ConfigError), one line
each, naming the key, what was given and what was expected.
"""
from __future__ import annotations

import difflib
import functools
import importlib.resources
import json
import math
import os
import re
import tomllib
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from solver import BrokenInstallation, schema
# MAX_COLUMNS, MAX_TEXT, Config and _typesettable are also used from here as config.*
from solver.schema import MAX_COLUMNS, MAX_ELEMENTS, MAX_MAGNITUDE, MAX_TEXT, Array, Choice, Config, Positive, \
    Row, Text, Whole
from solver.schema import typesettable as _typesettable
from solver.shown import MAX_DIGITS, as_toml as _as_toml, dumps, one_line, show as _show, shown_path  # noqa: F401

if TYPE_CHECKING:
    import numpy as np

# defaults.toml of the document (student, report), then each question's, in the homework's order:
# packages whose defaults.toml holds the sections, read through importlib.resources.
DEFAULTS_PACKAGES = ("solver", *(q.inputs.rpartition(".")[0] for q in schema.QUESTIONS if q.inputs))
MAX_CONFIG_BYTES = 1_000_000


class ConfigError(Exception):
    """Invalid user input; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


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


def _unknown(key: str, known: dict[str, Any], origin: str) -> str:
    key = one_line(key)
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
            problems.append(f"[{one_line(name)[:60]}]: unknown table (from {origin}); {hint}")
        else:
            problems.append(_unknown(name, defaults, origin))
    return values, problems


def _read_text(path: Path) -> str:
    from solver.engine import files

    name = shown_path(path)
    try:
        data = files.read(path, "config")
    except files.Refused as refused:
        if refused.missing:
            raise ConfigError([f"{name}: no such config file; give the path of a TOML file"]) from None
        message = refused.message.replace(": cannot read it:", ": cannot read the config file:")
        raise ConfigError([f"{message}; --config takes the path of a TOML file"]) from None
    path = name  # as the messages below show it
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
    path = shown_path(path)  # type: ignore[assignment]
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
        raise ConfigError([f"{shown_path(path)}: arrays or tables nested too deeply to read"]) from None
    except ValueError:  # Python refuses to convert integers of more than 4300 digits
        raise ConfigError([f"{shown_path(path)}: {TOO_MANY_DIGITS}"]) from None


TOO_MANY_DIGITS = (f"an integer of more than {MAX_DIGITS} digits; numbers must have magnitude at most "
                   f"{MAX_MAGNITUDE:g}")


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
    if isinstance(defaults[key], str) and text and not text.strip():
        return key, text  # only spaces: refused by validation, as in a config file
    text = text.strip()
    if not text and not isinstance(defaults[key], str):
        raise ConfigError([f"--set {_show(item)}: no value after '='; e.g. --set {key}={_as_toml(defaults[key])}"])
    try:
        document = tomllib.loads(f"v = {text}")
        if list(document) != ["v"]:  # a newline in VALUE must not smuggle in more TOML
            raise tomllib.TOMLDecodeError("more than one value")
        value = document["v"]
    except RecursionError:
        raise ConfigError([f"--set {one_line(key)}=...: arrays nested too deeply to read"]) from None
    except ValueError as error:  # a TOMLDecodeError, or an integer beyond Python's 4300 digits
        if not isinstance(error, tomllib.TOMLDecodeError) and not isinstance(defaults[key], str):
            raise ConfigError([f"--set {key}=...: {TOO_MANY_DIGITS}"]) from None
        if isinstance(defaults[key], str) or BARE_WORD.fullmatch(text):
            return key, text
        raise ConfigError([
            f"--set {_show(item)}: cannot read {_show(text)} as a TOML value "
            "(numbers 0.1, arrays [1, 2], nested arrays [[1, 0], [0, 1]], strings \"text\")"
        ]) from None
    if isinstance(defaults[key], str) and not isinstance(value, str):
        value = text
    return key, value


@functools.cache
def _defaults_text() -> str:
    """Every defaults.toml as the package ships it, one after the other (each holds its own
    sections), read once per process (so a build that later runs with fewer permissions, or
    after the source tree moved, still has them)."""
    texts = []
    for package in DEFAULTS_PACKAGES:
        try:
            texts.append(importlib.resources.files(package).joinpath("defaults.toml").read_text(encoding="utf-8"))
        except FileNotFoundError:
            where = package.replace(".", "/")
            raise BrokenInstallation(f"broken installation: defaults.toml is missing from the hw1-solver package "
                                     f"({where}/); reinstall it (pip install --force-reinstall hw1-solver)") from None
    return "\n".join(texts)


def read_defaults() -> dict[str, Any]:
    """The defaults as flat `section.name` keys: defaults.toml files are the one place default values live."""
    return _flatten(tomllib.loads(_defaults_text()))


def load(config_file: str | Path | None = None, assignments: list[str] = ()) -> Config:
    """Resolve defaults ← config file ← assignments, then validate."""
    return _load(config_file, assignments)[0]


def _load(config_file: str | Path | None, assignments: list[str]) -> tuple[Config, dict[str, str]]:
    """The configuration and, for each key, where its value came from: "default", the
    config file's path as given, or "--set"."""
    known = read_defaults()
    flat = dict(known)
    source = dict.fromkeys(known, "default")
    problems: list[str] = []
    if config_file is not None:
        path = Path(config_file)
        try:
            values, problems = _file_values(_read_toml(path), known, shown_path(path))
        except ConfigError as error:  # unreadable: still check the --set values below
            problems = list(error.problems)
        else:
            flat.update(values)
            source.update(dict.fromkeys(values, shown_path(path)))
    for item in assignments:
        try:
            key, value = parse_assignment(item, known)
        except ConfigError as error:
            problems.extend(error.problems)
        else:
            flat[key] = value
            source[key] = "--set"
    try:
        cfg = validate(flat, remember=True)  # the values that could be read, so that every problem shows at once
    except ConfigError as error:
        problems.extend(error.problems)
    if problems:
        raise ConfigError(problems)
    return cfg, source


# ---------------------------------------------------------------- validation

class _Refused(Exception):
    """args: what the value should have been, then optionally the value as the message shows it."""


def validate(flat: dict[str, Any], remember: bool = False) -> Config:
    """Every row of the schema, then the checks between keys; the dataclasses are built
    only when nothing was wrong, so no field ever holds a placeholder.

    remember=True (a configuration a user gave): that the questions' inputs passed is recorded in the
    user cache, and inputs recorded there before, exactly these values under this code, are not read
    again: their dataclasses are made when first used (`Config.inputs`, reading them then), so that a
    build which needs none of them (a new name, everything else as before) never imports numpy."""
    before = _passed_before(flat) if remember else None
    if before is not None:
        document = tuple(row for row in schema.ROWS if row.section not in schema.QUESTION_INPUTS)
        values, plain = _validated(flat, document, checks=())
        return schema.assemble(values, {**plain, **before}, later=lambda: _validated(flat, _question_rows())[0])
    values, plain = _validated(flat, schema.ROWS)
    if remember:
        _record_passed(flat)
    return schema.assemble(values, plain)


def _question_rows() -> tuple[Row, ...]:
    return tuple(row for row in schema.ROWS if row.section in schema.QUESTION_INPUTS)


def _question_inputs_key(flat: dict[str, Any]) -> str:
    """The questions' inputs exactly as given (a value's type tagged unless JSON has it: a TOML date
    is not the string that prints like it), under this code's digest."""
    from solver.engine import store

    def tagged(value: Any) -> Any:
        return {"type": type(value).__name__, "repr": repr(value)}

    given = json.dumps({row.key: flat[row.key] for row in _question_rows()}, sort_keys=True, default=tagged)
    return store.key("validated inputs", given)


def _passed_before(flat: dict[str, Any]) -> dict[str, Any] | None:
    """The questions' inputs as config.toml records them, when exactly these passed before under this
    code; else None.  They come from what was given: an array as it was given, any other value read
    again (no numpy needed for those)."""
    from solver.engine import store

    try:
        wanted = _question_inputs_key(flat)
    except (TypeError, ValueError, RecursionError):
        return None
    if store.load(store.entry("configs", "inputs", wanted), wanted) is not True:
        return None
    try:
        return {row.key: flat[row.key] if isinstance(row, Array) else _read(row, flat[row.key])[1]
                for row in _question_rows()}
    except _Refused:   # recorded wrongly: read in full
        return None


def _record_passed(flat: dict[str, Any]) -> None:
    from solver.engine import store

    wanted = _question_inputs_key(flat)
    store.store(store.entry("configs", "inputs", wanted), wanted, True)


def _validated(flat: dict[str, Any], rows: tuple[Row, ...],
               checks: tuple[Any, ...] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(values as the solver uses them, as config.toml records them) of `rows`, then the checks
    between keys (the schema's unless given); ConfigError with every problem found."""
    values: dict[str, Any] = {}
    plain: dict[str, Any] = {}
    problems: list[str] = []
    for row in rows:
        raw = flat[row.key]
        try:
            values[row.key], plain[row.key] = _read(row, raw)
        except _Refused as refused:
            expected, *given = refused.args
            problems.append(f"{row.key}: got {_show(given[0] if given else raw)}, expected {expected}")
        else:
            problems += row.misfits(values[row.key])
    for check in schema.CHECKS if checks is None else checks:
        problems += check(values)
    if problems:
        raise ConfigError(problems)
    return values, plain


@functools.singledispatch
def _read(row: Row, raw: Any) -> tuple[Any, Any]:
    """(the value as the solver uses it, as config.toml records it), or _Refused."""
    raise TypeError(f"no reader for {type(row).__name__} rows")


@_read.register
def _(row: Text, raw: Any) -> tuple[str, str]:
    if not isinstance(raw, str):
        raise _Refused(row.expected)
    value = unicodedata.normalize("NFC", raw)  # e + combining ¨ → ë, which T1 has
    if value and not value.strip():  # would print nothing where the blank line should be
        raise _Refused('text with at least one visible character, or "" for a blank line to fill in by hand')
    if len(value) > row.most:
        raise _Refused(f"at most {row.most} characters (this has {len(value)})", value)
    bad = sorted({c for c in value if not _typesettable(c)})
    if bad:
        shown = " ".join(repr(c) for c in bad[:5])
        raise _Refused(f"Latin letters, digits and punctuation, or Chinese characters; "
                       f"the PDF fonts cannot typeset {shown}", value)
    return value, value


@_read.register
def _(row: Whole, raw: Any) -> tuple[int, int]:
    value = int(raw) if isinstance(raw, float) and raw.is_integer() else raw  # 3.0 counts as 3
    if isinstance(value, bool) or not isinstance(value, int) or not row.low <= value <= row.high:
        raise _Refused(row.expected)
    return value, value


@_read.register
def _(row: Positive, raw: Any) -> tuple[float, Any]:
    value = _real(raw)
    if value is None or not 0 < value <= row.high:
        raise _Refused(row.expected)
    return value, raw


@_read.register
def _(row: Choice, raw: Any) -> tuple[str, str]:
    if not isinstance(raw, str) or raw not in row.options:
        raise _Refused(row.expected)
    return raw, raw


@_read.register(Array)   # numpy is imported here, where the first array is made
def _(row: Array, raw: Any) -> tuple[np.ndarray, Any]:
    what = row.expected
    matrix = len(row.axes) == 2
    rows = raw if matrix else [raw]
    if not isinstance(raw, list) or not raw or not all(isinstance(r, list) and r for r in rows):
        raise _Refused(what)
    if len({len(r) for r in rows}) != 1:
        raise _Refused(f"{what} (row lengths differ: {[len(r) for r in rows]})")
    if sum(len(r) for r in rows) > MAX_ELEMENTS:
        raise _Refused(f"at most {MAX_ELEMENTS} numbers")
    for i, row_values in enumerate(rows):
        for j, x in enumerate(row_values):
            where = f"[{i}][{j}]" if matrix else f"[{j}]"
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                raise _Refused(f"{what} (element {where} is {_show(x)})")
            number = _real(x)
            if number is None or abs(number) > MAX_MAGNITUDE:
                raise _Refused(f"finite numbers of magnitude at most {MAX_MAGNITUDE:g} (element {where} is {_show(x)})")
    import numpy as np

    array = np.array(raw, dtype=np.float64)
    array.setflags(write=False)
    return array, raw


def _real(value: Any) -> float | None:
    """A finite int or float as float; None for anything else (bool, inf, nan, ints beyond float)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


# ---------------------------------------------------------------- listing the keys

def listing(config_file: str | Path | None = None, assignments: list[str] = ()) -> str:
    """Every key, where its value came from and the value, one aligned line each."""
    cfg, source = _load(config_file, assignments)
    lines = [(row.key, source[row.key], _as_toml(cfg.resolved[row.section][row.name])) for row in schema.ROWS]
    key_width = max(len(key) for key, _, _ in lines)
    source_width = max(len(origin) for _, origin, _ in lines)
    return "".join(f"{key:<{key_width}}  {origin:<{source_width}}  {value}\n" for key, origin, value in lines)


def reference_table() -> str:
    """The README's configuration reference: key, default, meaning, one row per key."""
    return schema.reference_table(read_defaults(), _as_toml)
