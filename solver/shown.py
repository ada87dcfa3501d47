"""How a value, a key or a path is shown to the user: on one line, as TOML, never as
Python prints it; and config.toml itself, written by tomli_w."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import tomli_w

MAX_DIGITS = 4300  # Python's own limit on converting an integer from text (sys.get_int_max_str_digits)


def shown_path(path: str | Path) -> str:
    """A path as messages show it: on one line (control characters escaped), at most 200 characters."""
    name = one_line(str(path))
    return name if len(name) <= 200 else name[:197] + "..."


def one_line(text: str) -> str:
    """`text` with every character that would break or reorder a message line escaped."""
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def dumps(resolved: dict[str, dict[str, Any]]) -> str:
    """The resolved configuration as TOML that `load` reads back to the same values."""
    return tomli_w.dumps(resolved)


def as_toml(value: Any) -> str:
    """A value on one line as the user would write it in TOML (true, "text", inf, {a = 1}),
    not as Python prints it."""
    # tomli_w leaves a tab, U+2028, a right-to-left override... raw inside strings, where
    # they would break the message's line or reorder it on the terminal.
    return "".join(c if c.isprintable() else _escape(c) for c in _inline(value))


SHOWN_DEPTH = 20  # deeper arrays are shown as [...]: messages are cut at 60 characters anyway


def _inline(value: Any, depth: int = 0) -> str:
    if isinstance(value, (list, dict)) and depth >= SHOWN_DEPTH:
        return "[...]" if isinstance(value, list) else "{...}"
    if isinstance(value, list):  # tomli_w puts each element on its own line
        return "[" + ", ".join(_inline(v, depth + 1) for v in value) + "]"
    if isinstance(value, dict):  # tomli_w writes a table as a [section]; its keys as tomli_w spells them
        keys = (tomli_w.dumps({k: 0}).removesuffix(" = 0\n") for k in value)
        return "{" + ", ".join(f"{k} = {_inline(v, depth + 1)}" for k, v in zip(keys, value.values())) + "}"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 3 * MAX_DIGITS:
        try:
            str(value)
        except ValueError:  # beyond Python's limit on printing it
            return f"<an integer of more than {MAX_DIGITS} digits>"
    try:
        return tomli_w.dumps({"v": value}).removeprefix("v = ").removesuffix("\n")
    except (TypeError, ValueError):  # not a TOML value at all
        return repr(value)


def _escape(c: str) -> str:
    return "\\t" if c == "\t" else f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"


def show(value: Any) -> str:
    text = as_toml(value)
    return text if len(text) <= 60 else text[:57] + "..."
