"""A build cache of data only: a question's solution and figures are reused while its
inputs and the solver's code are unchanged, so a rebuild after changing one number
recomputes only what that number feeds.

Entries are JSON, never pickles: reading one can build only plain values, numpy
arrays of numbers, this package's own dataclasses and SymPy expressions from
SymPy's own classes, so a file planted in the cache folder cannot run anything.
An entry that is damaged, foreign or from other code is ignored and recomputed:
it costs time, never the build.
"""
from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import json
import os
import sys
from importlib import import_module
from pathlib import Path
from typing import Any, Callable

from solver import installed_version

PACKAGE = Path(__file__).resolve().parent.parent   # solver/: every module a result may depend on
FORMAT = 2   # 2: each entry carries its value's digest


@functools.lru_cache(maxsize=1)
def code_digest(package: Path = PACKAGE) -> str:
    """Changes whenever any of the solver's code (every module of `package`, the questions' included)
    or a library it computes with changes."""
    digest = hashlib.sha256(f"cache format {FORMAT}".encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    for number in library_versions().values():
        digest.update(number.encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    """The libraries the solver computes with and their versions, read once (each reading searches sys.path)."""
    return {library: installed_version(library) or "not installed" for library in ("numpy", "sympy", "matplotlib")}


def user_dir() -> Path:
    """The per-user cache, shared by every output directory: $XDG_CACHE_HOME/hw1-solver
    (~/.cache/hw1-solver when unset or not absolute, as the XDG spec says)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "hw1-solver"


def entry(kind: str, name: str, wanted: str) -> Path:
    """Where the user cache keeps `name` under key `wanted`: one file per key, so that
    variants built side by side do not evict each other."""
    return user_dir() / kind / f"{name}-{wanted[:40]}.json"


def memo(name: str, compute: Callable[..., Any], *args: Any, lazy: bool = False) -> Any:
    """compute(*args), computed once per user cache: for what does not depend on the
    configuration (the symbolic derivations), keyed by `args` and the code.  lazy=True
    (for a value that is only typeset, never computed with) keeps its SymPy expressions
    encoded, as `Sym`s."""
    wanted = key("memo", name, *args)
    path = entry("memo", name, wanted)
    value = load(path, wanted, lazy)
    if value is None:
        value = compute(*args)
        store(path, wanted, value)
    return value


def key(*inputs: Any) -> str:
    text = json.dumps(inputs, sort_keys=True, default=str)
    return hashlib.sha256(f"{code_digest()}\0{text}".encode()).hexdigest()


def load(path: Path, wanted: str, lazy: bool = False) -> Any | None:
    """The value stored at `path` under key `wanted`, or None.  lazy=True leaves SymPy
    expressions encoded, as `Sym`s, so that a build typesetting them from the user cache's
    memo (solver.latex.fmt_sym) never imports SymPy."""
    try:
        entry = json.loads(read_regular(path))
        if not isinstance(entry, dict) or entry.get("key") != wanted or entry.get("sum") != _sum(entry["value"]):
            return None   # another key's, or damaged: any change to the value is a miss
        return decode(entry["value"], lazy)
    except Exception:  # missing, truncated, foreign or from another version: recompute
        return None


def read_regular(path: Path) -> bytes:
    """The bytes of a regular file of our own: a link planted at `path` (to /dev/zero, a FIFO,
    anyone's file) raises OSError instead of being followed, and nothing blocks or reads without end."""
    from solver.engine import files

    return files.read(path, "cache", follow=False)


def write_atomic(path: Path, data: bytes) -> None:
    """`data` at `path`, whole or not at all: written beside it (`.NAME.tmpPID`, swept as any
    `.*.tmp*` if this process dies) and renamed into place; never through a link planted at
    either name."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    finally:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # e.g. its directory is a file: there is no tmp either
            pass


def _sum(encoded: Any) -> str:
    """The digest of an entry's value as stored: a value damaged in any way no longer matches it."""
    return hashlib.sha256(json.dumps(encoded, separators=(",", ":")).encode()).hexdigest()


def store(path: Path, wanted: str, value: Any) -> None:
    """Best effort, atomic: a cache that cannot be written only costs time."""
    try:
        encoded = encode(value)
        data = json.dumps({"key": wanted, "sum": _sum(encoded), "value": encoded}, separators=(",", ":")).encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    except Exception:  # unwritable, or a value the codec does not know
        pass


class Store:
    """Every cached value of one output directory: looked for in OUT/.work/cache (`local`), then in
    the per-user cache (`entry`), else made and stored in both (local=None: the user cache alone).  With defer=True, what belongs in
    `local` is held until `flush` (a build writes into OUT only once it holds OUT's lock)."""

    def __init__(self, local: Path | None, defer: bool = False) -> None:
        self.local, self.defer = local, defer
        self.pending: dict[Path, tuple[str, Any]] = {}

    def get(self, kind: str, name: str, wanted: str, lazy: bool = False,
            check: Callable[[Any], bool] = lambda value: True) -> Any | None:
        """The value under `wanted`, or None; a value that fails `check` is no value."""
        local = None if self.local is None else self.local / f"{name}.{kind}.json"
        value = None if local is None else load(local, wanted, lazy)
        if value is not None and check(value):
            return value
        value = load(entry(kind, name, wanted), wanted, lazy)
        if value is None or not check(value):
            return None
        self._keep(local, wanted, value)   # found in another directory's work: kept here too
        return value

    def put(self, kind: str, name: str, wanted: str, value: Any) -> None:
        store(entry(kind, name, wanted), wanted, value)
        self._keep(None if self.local is None else self.local / f"{name}.{kind}.json", wanted, value)

    def get_or_make(self, kind: str, name: str, wanted: str, make: Callable[[], Any], lazy: bool = False,
                    check: Callable[[Any], bool] = lambda value: True) -> Any:
        value = self.get(kind, name, wanted, lazy, check)
        if value is None:
            value = make()
            self.put(kind, name, wanted, value)
        return value

    def _keep(self, path: Path | None, wanted: str, value: Any) -> None:
        if path is None:
            return
        if self.defer:
            self.pending[path] = (wanted, value)
        else:
            store(path, wanted, value)

    def flush(self) -> None:
        """Write what was held back, now that OUT may be written (best effort, as every store)."""
        self.defer = False
        for path, (wanted, value) in self.pending.items():
            store(path, wanted, value)
        self.pending.clear()


# ---------------------------------------------------------------- the codec

ARRAY_KINDS = "biuf"   # bool, int, unsigned, float: never object arrays


def encode(value: Any) -> Any:
    """A JSON-ready form of `value`; raises TypeError for anything the decoder would refuse."""
    if value is None or isinstance(value, (bool, str)):
        return value
    np = sys.modules.get("numpy")   # not imported: no value here is one of its types
    if isinstance(value, int) or (np is not None and isinstance(value, np.integer) and not isinstance(value, np.bool_)):
        return int(value)
    if np is not None and isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, float) or (np is not None and isinstance(value, np.floating)):
        return {"float": repr(float(value))}  # inf and nan too, and every bit of the value
    if np is not None and isinstance(value, np.ndarray):
        if value.dtype.kind not in ARRAY_KINDS:
            raise TypeError(f"cannot cache an array of {value.dtype}")
        data = np.ascontiguousarray(value)
        return {"ndarray": data.dtype.str, "shape": list(data.shape), "writeable": bool(value.flags.writeable),
                "data": base64.b64encode(data.tobytes()).decode("ascii")}
    if isinstance(value, list):
        return [encode(x) for x in value]
    if isinstance(value, tuple):
        return {"tuple": [encode(x) for x in value]}
    if isinstance(value, dict):
        return {"dict": [[encode(k), encode(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        if not cls.__module__.startswith("solver."):
            raise TypeError(f"cannot cache a {cls.__module__}.{cls.__qualname__}")
        return {"dataclass": f"{cls.__module__}:{cls.__qualname__}",
                "fields": {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, Sym):   # as it was read: its number as text, as `_number` writes it
        return {"sympy": value.data, "number": None if value.number is None else repr(value.number)}
    if "sympy" in sys.modules and isinstance(value, sys.modules["sympy"].Basic):
        return {"sympy": _encode_sympy(value), "number": _number(value)}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def decode(data: Any, lazy: bool = False) -> Any:
    if data is None or isinstance(data, (bool, int, str)):
        return data
    if isinstance(data, list):
        return [decode(x, lazy) for x in data]
    if not isinstance(data, dict) or len(data) < 1:
        raise ValueError("not a cache value")
    if "float" in data:
        return float(data["float"])
    if "ndarray" in data:
        import numpy as np

        dtype = np.dtype(data["ndarray"])
        if dtype.kind not in ARRAY_KINDS:
            raise ValueError(f"refusing an array of {dtype}")
        array = np.frombuffer(base64.b64decode(data["data"]), dtype=dtype).reshape(data["shape"]).copy()
        array.setflags(write=bool(data["writeable"]))
        return array
    if "tuple" in data:
        return tuple(decode(x, lazy) for x in data["tuple"])
    if "dict" in data:
        return {decode(k, lazy): decode(v, lazy) for k, v in data["dict"]}
    if "dataclass" in data:
        return _decode_dataclass(data["dataclass"], data["fields"], lazy)
    if "sympy" in data:
        number = data.get("number")
        if not (number is None or isinstance(number, str)):
            raise ValueError("not a cache value")
        if lazy:
            _check_sympy(data["sympy"])
            return Sym(data["sympy"], None if number is None else float(number))
        return _decode_sympy(data["sympy"])
    raise ValueError("not a cache value")


def _decode_dataclass(name: str, fields: dict[str, Any], lazy: bool = False) -> Any:
    module, _, qualname = name.partition(":")
    if module.split(".")[0] != "solver" or not all(part.isidentifier() for part in module.split(".")):
        raise ValueError(f"refusing {name}")  # only this package's own classes
    cls: Any = import_module(module)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise ValueError(f"refusing {name}")
    names = {f.name for f in dataclasses.fields(cls)}
    if set(fields) != names:
        raise ValueError(f"{name}: fields differ")
    value = object.__new__(cls)  # as pickle does: no __init__ or __post_init__ runs
    for field, item in fields.items():
        object.__setattr__(value, field, decode(item, lazy))
    return value


def _number(e: Any) -> str | None:
    """float(e) for a numeric expression (what answers.json and the `num` filter take), else None."""
    try:
        return repr(float(e)) if e.is_number else None
    except (TypeError, ValueError, ArithmeticError):
        return None


def _check_sympy(data: Any) -> None:
    """What _decode_sympy would refuse, refused without importing SymPy: class names outside sympy."""
    if not isinstance(data, dict):
        raise ValueError("not a SymPy value")
    if "class" in data:
        module = str(data["class"]).partition(":")[0]
        if module.split(".")[0] != "sympy" or not isinstance(data.get("args"), list):
            raise ValueError(f"refusing {data['class']}")
        for arg in data["args"]:
            _check_sympy(arg)
    elif not {"symbol", "float", "rational", "singleton", "str"} & set(data):
        raise ValueError("not a SymPy value")


class Sym:
    """A cached SymPy expression kept in its encoded form until something needs the
    expression itself: `float()` gives the value recorded when it was stored, and
    solver.latex.fmt_sym looks its LaTeX up by `digest` in the user cache's memo.  Anything
    else (sympify via `_sympy_`, attributes, comparison) decodes it, importing SymPy."""

    __slots__ = ("data", "number", "_expr", "_digest")

    def __init__(self, data: Any, number: float | None) -> None:
        self.data, self.number, self._expr, self._digest = data, number, None, None

    @property
    def digest(self) -> str:
        if self._digest is None:
            self._digest = hashlib.sha256(json.dumps(self.data, sort_keys=True).encode()).hexdigest()
        return self._digest

    def _sympy_(self) -> Any:
        if self._expr is None:
            self._expr = _decode_sympy(self.data)
        return self._expr

    def __float__(self) -> float:
        return self.number if self.number is not None else float(self._sympy_())

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._sympy_(), name)

    def __eq__(self, other: object) -> bool:
        return bool(self._sympy_() == (other._sympy_() if isinstance(other, Sym) else other))

    def __hash__(self) -> int:
        return hash(self._sympy_())

    def __bool__(self) -> bool:
        return bool(self._sympy_())

    def __str__(self) -> str:
        return str(self._sympy_())

    def __repr__(self) -> str:
        return f"Sym({self._sympy_()!r})"


def sym_digest(value: Any) -> str | None:
    """The digest a `Sym` of `value` has: the same for an expression and its cached form."""
    if isinstance(value, Sym):
        return value.digest
    try:
        return hashlib.sha256(json.dumps(_encode_sympy(value), sort_keys=True).encode()).hexdigest()
    except Exception:
        return None


_TYPESET: dict[str, str] = {}
_TYPESET_STATE = {"loaded": False, "changed": False}


def _typeset_entry() -> tuple[Path, str]:
    return user_dir() / "tex" / "sym.json", key("typeset memo")


def typeset(expr: Any, options: Any, make: Callable[[Any], str]) -> str:
    """make(expr), the LaTeX of a SymPy expression (or `Sym`), memoised per user cache by
    the expression's encoding and `options` (solver.latex.fmt_sym's decimals and order):
    a build whose results all come from the cache typesets them without SymPy."""
    digest = sym_digest(expr)
    if digest is None:
        return make(expr)
    if not _TYPESET_STATE["loaded"]:
        _TYPESET_STATE["loaded"] = True
        stored = load(*_typeset_entry())
        if isinstance(stored, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in stored.items()):
            _TYPESET.update(stored)
    name = f"{digest}:{json.dumps(options)}"
    if name not in _TYPESET:
        _TYPESET[name] = make(expr)
        _TYPESET_STATE["changed"] = True
    return _TYPESET[name]


def save_typeset() -> None:
    """Store what `typeset` added (best effort; concurrent builds merge what they find)."""
    if _TYPESET_STATE["changed"]:
        path, wanted = _typeset_entry()
        stored = load(path, wanted)
        store(path, wanted, {**(stored if isinstance(stored, dict) else {}), **_TYPESET})
        _TYPESET_STATE["changed"] = False


def _encode_sympy(e: Any) -> Any:
    import sympy

    cls = type(e)
    if isinstance(e, sympy.Symbol):   # Symbol, Dummy, Wild: name and assumptions make it
        return {"symbol": cls.__name__, "name": e.name, "assumptions": e._assumptions_orig
                if hasattr(e, "_assumptions_orig") else e.assumptions0}
    if isinstance(e, sympy.Float):
        sign, man, exp, bc = e._mpf_
        return {"float": [sign, str(man), exp, bc], "prec": e._prec}
    if isinstance(e, sympy.Rational):
        return {"rational": [str(e.p), str(e.q)]}
    if getattr(sympy.S, cls.__name__, None) is e:  # pi, E, oo, zoo, nan, true, ...
        return {"singleton": cls.__name__}
    if isinstance(e, sympy.core.symbol.Str):
        return {"str": e.name}
    if cls.__module__.split(".")[0] != "sympy":
        raise TypeError(f"cannot cache {cls.__module__}.{cls.__qualname__}")
    return {"class": f"{cls.__module__}:{cls.__qualname__}", "args": [_encode_sympy(a) for a in e.args]}


def _decode_sympy(data: dict[str, Any]) -> Any:
    import sympy

    if "symbol" in data:
        kind = {"Symbol": sympy.Symbol, "Dummy": sympy.Dummy}[data["symbol"]]
        return kind(data["name"], **{k: bool(v) for k, v in data["assumptions"].items() if v is not None})
    if "float" in data:
        sign, man, exp, bc = data["float"]
        return sympy.Float._new((int(sign), int(man), int(exp), int(bc)), int(data["prec"]))
    if "rational" in data:
        return sympy.Rational(int(data["rational"][0]), int(data["rational"][1]))
    if "singleton" in data:
        value = getattr(sympy.S, data["singleton"])
        if not isinstance(value, sympy.Basic):
            raise ValueError("not a SymPy singleton")
        return value
    if "str" in data:
        return sympy.core.symbol.Str(data["str"])
    module, _, qualname = data["class"].partition(":")
    if module.split(".")[0] != "sympy":
        raise ValueError(f"refusing {data['class']}")
    cls: Any = import_module(module)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    if not (isinstance(cls, type) and issubclass(cls, sympy.Basic)):
        raise ValueError(f"refusing {data['class']}")
    args = [_decode_sympy(a) for a in data["args"]]
    # As built: an unevaluated product keeps its order, so a cached rebuild typesets as a fresh one.
    if issubclass(cls, sympy.core.operations.AssocOp):
        return cls._from_args(args)
    return _rebuild(cls, args)


def _rebuild(cls: Any, args: list[Any]) -> Any:
    try:
        return cls(*args, evaluate=False)
    except TypeError:
        return cls(*args)
