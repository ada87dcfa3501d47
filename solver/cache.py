"""A build cache in OUT/.work: a question's solution and figures are reused while
its inputs and the solver's code are unchanged, so a rebuild after changing one
number recomputes only what that number feeds."""
from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
from importlib.metadata import version
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """Changes whenever any of the solver's code or a library it computes with changes."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    for library in ("numpy", "sympy", "matplotlib"):
        digest.update(version(library).encode())
    return digest.hexdigest()


def key(*inputs: Any) -> str:
    text = json.dumps(inputs, sort_keys=True, default=str)
    return hashlib.sha256(f"{code_digest()}\0{text}".encode()).hexdigest()


def load(path: Path, wanted: str) -> Any | None:
    """The value stored at `path` under key `wanted`, or None."""
    try:
        with open(path, "rb") as handle:
            stored, value = pickle.load(handle)
    except Exception:  # missing, truncated or from another version: recompute
        return None
    return value if stored == wanted else None


def store(path: Path, wanted: str, value: Any) -> None:
    """Best effort: a cache that cannot be written only costs time."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle:
            pickle.dump((wanted, value), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except Exception:  # unwritable, or a value pickle cannot hold
        pass
    finally:
        tmp.unlink(missing_ok=True)
