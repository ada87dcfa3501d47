"""A formula a student typed, read without running any of it.

The text is parsed by `ast.parse(mode="eval")` and walked node by node; only an allow-list
becomes a SymPy object, built here: names of the question's symbols, int/float constants, e,
+ - * / ** (|exponent| at most MAX_EXPONENT), unary + -, calls of the listed functions with
positional arguments, and comparisons inside Piecewise conditions.  Everything else
(attributes, subscripts, lambdas, keywords, strings, huge exponents, long text) is refused
as Unreadable before anything is evaluated.  Never eval, sympify or parse_expr.

Written as people write: ^ for **, the minus sign, ·, ×; ln(x) for log(x), e^x for exp(x),
√x and √(x) for sqrt; a function the question allows names its aliases too.
"""
from __future__ import annotations

import ast
import operator
import random
import re
from dataclasses import dataclass
from typing import Callable, Mapping

import sympy

MAX_LENGTH = 400
MAX_NODES = 200
MAX_EXPONENT = 10
MAX_DEPTH = 40


class Unreadable(ValueError):
    """The text is not a formula this parser accepts; the message says why, in one line."""


def _clip(x: sympy.Expr, lo: sympy.Expr, hi: sympy.Expr) -> sympy.Expr:
    return sympy.Min(sympy.Max(x, lo), hi)


FUNCTIONS: dict[str, Callable[..., sympy.Expr]] = {
    "abs": sympy.Abs, "sign": sympy.sign, "min": sympy.Min, "max": sympy.Max, "clip": _clip,
    "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt,
}
ARITY = {"abs": (1, 1), "sign": (1, 1), "min": (2, 5), "max": (2, 5), "clip": (3, 3),
         "exp": (1, 1), "log": (1, 1), "sqrt": (1, 1)}
ALIASES = {"ln": "log"}   # another name for an allowed function
# What people type for the operators: ^ for **, the minus signs, the multiplication signs.
TYPED = str.maketrans({"^": "**", "−": "-", "–": "-", "·": "*", "×": "*", "⋅": "*"})
_ROOT = re.compile(r"√\s*(\(|[A-Za-z_][A-Za-z_0-9]*|\d+(?:\.\d*)?)")


def _roots(text: str) -> str:
    """√(x) → sqrt(x), √x → sqrt(x), √2 → sqrt(2)."""
    return _ROOT.sub(lambda m: "sqrt(" if m.group(1) == "(" else f"sqrt({m.group(1)})", text)
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_COMPARE = {ast.Lt: sympy.Lt, ast.LtE: sympy.Le, ast.Gt: sympy.Gt, ast.GtE: sympy.Ge}


@dataclass(frozen=True)
class Grammar:
    """The symbols (name -> SymPy symbol) and functions one question's formula may use."""
    symbols: Mapping[str, sympy.Symbol]
    functions: tuple[str, ...]
    piecewise: bool = False

    def describe(self) -> str:
        names = ", ".join(self.symbols)
        aliases = [a for a, f in ALIASES.items() if f in self.functions]
        calls = ", ".join([*self.functions, *aliases, *(["Piecewise"] if self.piecewise else [])])
        return f"symbols {names}" + (f"; functions {calls}" if calls else "")


def parse(text: str, grammar: Grammar) -> sympy.Expr:
    """The SymPy expression the text writes; raises Unreadable."""
    if not isinstance(text, str):
        raise Unreadable("a formula must be text")
    text = text.strip()
    if not text:
        raise Unreadable("the formula is empty")
    if len(text) > MAX_LENGTH:
        raise Unreadable(f"the formula is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(_roots(text).translate(TYPED), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise Unreadable("not a formula (syntax)") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_NODES:
        raise Unreadable(f"the formula has more than {MAX_NODES} parts")
    return _Builder(grammar).build(tree.body, 0)


class _Builder:
    def __init__(self, grammar: Grammar) -> None:
        self.g = grammar

    def build(self, node: ast.AST, depth: int, condition: bool = False) -> sympy.Basic:
        if depth > MAX_DEPTH:
            raise Unreadable("the formula is nested too deeply")
        d = depth + 1
        if isinstance(node, ast.Name):
            if node.id in self.g.symbols:
                return self.g.symbols[node.id]
            if node.id in ("True", "otherwise") and condition:
                return sympy.true
            if node.id == "e" and "exp" in self.g.functions:
                return sympy.E
            raise Unreadable(f"unknown name {node.id!r}; use {self.g.describe()}")
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) and condition and node.value:
                return sympy.true
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise Unreadable("only numbers may be written as constants")
            if isinstance(node.value, int):
                if abs(node.value) > 10**12:
                    raise Unreadable("a constant is too large")
                return sympy.Integer(node.value)
            return sympy.nsimplify(node.value, rational=True) if abs(node.value) < 1e12 else _refuse("constant")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            value = self.build(node.operand, d)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                base = self.build(node.left, d)
                exponent = self.build(node.right, d)
                if base is sympy.E:       # e^x is exp(x)
                    return sympy.exp(exponent)
                if not exponent.is_number or not exponent.is_rational or abs(exponent) > MAX_EXPONENT:
                    raise Unreadable(f"exponents must be numbers of size at most {MAX_EXPONENT}")
                if base.is_number and base != 0 and abs(exponent) * max(1.0, abs(float(sympy.log(abs(base), 10)))) > 30:
                    raise Unreadable("a number in the formula is too large")
                result = base ** exponent
                if isinstance(result, sympy.Pow) and result.exp.is_number and abs(result.exp) > MAX_EXPONENT * 4:
                    raise Unreadable(f"exponents must be numbers of size at most {MAX_EXPONENT}")
                return result
            if type(node.op) in _BINARY:
                return _BINARY[type(node.op)](self.build(node.left, d), self.build(node.right, d))
            raise Unreadable("only + - * / ** are allowed")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.keywords:
                raise Unreadable("only calls like abs(x) of the listed functions are allowed")
            name = ALIASES.get(node.func.id, node.func.id)
            if name == "Piecewise" and self.g.piecewise:
                return self._piecewise(node, d)
            if name not in self.g.functions:
                raise Unreadable(f"unknown function {name!r}; use {self.g.describe()}")
            low, high = ARITY[name]
            if not low <= len(node.args) <= high or any(isinstance(a, ast.Starred) for a in node.args):
                raise Unreadable(f"{name} takes {low}" + ("" if low == high else f" to {high}") + " arguments")
            return FUNCTIONS[name](*(self.build(a, d) for a in node.args))
        if isinstance(node, ast.Compare) and condition:
            if len(node.ops) > 2 or any(type(op) not in _COMPARE for op in node.ops):
                raise Unreadable("a condition compares with <, <=, > or >= (a < b or a <= b <= c)")
            terms = [self.build(t, d) for t in (node.left, *node.comparators)]
            return sympy.And(*(_COMPARE[type(op)](a, b) for op, a, b in zip(node.ops, terms, terms[1:])))
        if isinstance(node, ast.BoolOp) and condition:
            joined = sympy.And if isinstance(node.op, ast.And) else sympy.Or
            return joined(*(self.build(v, d, condition=True) for v in node.values))
        raise Unreadable(f"{type(node).__name__} is not allowed in a formula")

    def _piecewise(self, node: ast.Call, depth: int) -> sympy.Expr:
        if not node.args or len(node.args) > 4:
            raise Unreadable("Piecewise takes 1 to 4 (value, condition) pairs")
        pairs = []
        for arg in node.args:
            if not isinstance(arg, ast.Tuple) or len(arg.elts) != 2:
                raise Unreadable("each Piecewise argument is a pair (value, condition)")
            value, cond = arg.elts
            pairs.append((self.build(value, depth), self.build(cond, depth, condition=True)))
        if pairs[-1][1] is not sympy.true:
            pairs.append((sympy.nan, True))
        return sympy.Piecewise(*pairs)


def _refuse(what: str) -> sympy.Expr:
    raise Unreadable(f"a {what} is too large")


# ---------------------------------------------------------------- comparing

def _numeric(expr: sympy.Expr, symbols: tuple[sympy.Symbol, ...]) -> Callable[..., float]:
    return sympy.lambdify(symbols, expr, modules=[{"Heaviside": lambda x: float(x > 0)}, "math"])


def agree_at(a: sympy.Expr, b: sympy.Expr, points: list[dict[sympy.Symbol, float]]) -> bool:
    """a and b have the same value (relative 1e-9) at every point where b is defined."""
    symbols = tuple(points[0])
    fa, fb = _numeric(a, symbols), _numeric(b, symbols)
    for point in points:
        args = [point[s] for s in symbols]
        try:
            va, vb = complex(fa(*args)), complex(fb(*args))
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            return False
        if vb != vb:  # undefined in the expected form: not a test point
            continue
        if va != va or abs(va - vb) > 1e-9 * max(1.0, abs(vb)):
            return False
    return True


def equivalent(a: sympy.Expr, b: sympy.Expr, points: list[dict[sympy.Symbol, float]]) -> bool:
    """Symbolic equivalence (SymPy), guarded by a numeric check at the points: the numeric
    check decides when SymPy cannot simplify Piecewise/min/max forms to zero."""
    if not agree_at(a, b, points):
        return False
    if any(e.has(f) for e in (a, b) for f in (sympy.Piecewise, sympy.Min, sympy.Max, sympy.Abs, sympy.sign)):
        # SymPy's simplify takes seconds on Min/Max/Piecewise forms and rarely proves them
        # equal; the points cover both sides of every branch, which decides it.
        return True
    try:
        difference = sympy.simplify(sympy.piecewise_fold((a - b).rewrite(sympy.Piecewise)))
        if difference == 0:
            return True
    except Exception:  # noqa: BLE001 - SymPy may give up; the numeric check then stands
        pass
    return True  # agrees at every random point in every branch


def random_points(symbols: Mapping[str, sympy.Symbol], ranges: Mapping[str, tuple[float, float, bool]],
                  count: int = 200, seed: int = 5491) -> list[dict[sympy.Symbol, float]]:
    """`count` points, each symbol drawn from its (low, high, whole) range."""
    rng = random.Random(seed)
    points = []
    for _ in range(count):
        point = {}
        for name, symbol in symbols.items():
            low, high, whole = ranges[name]
            point[symbol] = float(rng.randint(int(low), int(high))) if whole else rng.uniform(low, high)
        points.append(point)
    return points
