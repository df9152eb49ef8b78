"""Derived parameters: arithmetic over other parameters, written as a formula in a config.

``{dist: derived, expr: "stock_SAR * ((stock_SAR / 10) ** 2 - 1)"}`` makes a parameter a
function of others, drawn or derived, in the same prior set (AI 2027's later milestone gaps
scale with earlier ones through a correlated latent). The formula is parsed once into a
typed tree of a few node kinds (numbers, names, + - * / **, unary minus and a fixed list of
functions) and evaluated with JAX; nothing in it is ever executed as code: Python's parser
reads the text and every node outside that list is refused, naming the field.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp

from .._errors import ConfigError

_MAX_LENGTH = 500

FUNCTIONS: dict[str, Callable[..., jax.Array]] = {
    "log": jnp.log,
    "log2": jnp.log2,
    "log10": jnp.log10,
    "exp": jnp.exp,
    "sqrt": jnp.sqrt,
    "abs": jnp.abs,
    "min": jnp.minimum,
    "max": jnp.maximum,
}
_ARITY = {name: (2 if name in ("min", "max") else 1) for name in FUNCTIONS}
_OPERATORS: dict[type, Callable[[jax.Array, jax.Array], jax.Array]] = {
    ast.Add: jnp.add,
    ast.Sub: jnp.subtract,
    ast.Mult: jnp.multiply,
    ast.Div: jnp.divide,
    ast.Pow: jnp.power,
}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


@dataclasses.dataclass(frozen=True)
class Number:
    value: float


@dataclasses.dataclass(frozen=True)
class Name:
    name: str


@dataclasses.dataclass(frozen=True)
class Negate:
    operand: Expr


@dataclasses.dataclass(frozen=True)
class Binary:
    op: type  # one of the keys of _OPERATORS
    left: Expr
    right: Expr


@dataclasses.dataclass(frozen=True)
class Call:
    function: str  # a key of FUNCTIONS
    args: tuple[Expr, ...]


Expr = Number | Name | Negate | Binary | Call

ALLOWED = "numbers, parameter names, + - * / **, parentheses and " + ", ".join(
    f"{name}()" for name in FUNCTIONS
)


def parse(text: object, field: str) -> Expr:
    """The typed tree of a formula; ConfigError naming ``field`` for anything else."""
    if not isinstance(text, str) or not text.strip() or len(text) > _MAX_LENGTH:
        raise ConfigError(field, text, f"a formula of at most {_MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise ConfigError(field, text, f"a formula using {ALLOWED}") from None
    return _node(tree.body, field, text)


def _node(node: ast.AST, field: str, text: str) -> Expr:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return Number(float(node.value))
    if isinstance(node, ast.Name):
        return Name(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _node(node.operand, field, text)
        return Negate(operand) if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return Binary(type(node.op), _node(node.left, field, text), _node(node.right, field, text))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in FUNCTIONS
        and not node.keywords
        and len(node.args) == _ARITY[node.func.id]
    ):
        return Call(node.func.id, tuple(_node(a, field, text) for a in node.args))
    raise ConfigError(field, text, f"a formula using {ALLOWED}")


def names(expr: Expr) -> frozenset[str]:
    """The parameter names a formula reads."""
    if isinstance(expr, Name):
        return frozenset({expr.name})
    if isinstance(expr, Negate):
        return names(expr.operand)
    if isinstance(expr, Binary):
        return names(expr.left) | names(expr.right)
    if isinstance(expr, Call):
        return frozenset().union(*(names(a) for a in expr.args))
    return frozenset()


def evaluate(expr: Expr, values: Mapping[str, jax.Array], dtype: object) -> jax.Array:
    """The formula over arrays of parameter values (every name must be in ``values``)."""
    if isinstance(expr, Number):
        return jnp.asarray(expr.value, dtype)
    if isinstance(expr, Name):
        return values[expr.name]
    if isinstance(expr, Negate):
        return -evaluate(expr.operand, values, dtype)
    if isinstance(expr, Binary):
        left = evaluate(expr.left, values, dtype)
        return _OPERATORS[expr.op](left, evaluate(expr.right, values, dtype))
    return FUNCTIONS[expr.function](*(evaluate(a, values, dtype) for a in expr.args))


def render(expr: Expr) -> str:
    """The formula written back (fully parenthesised), for summaries and reports."""
    if isinstance(expr, Number):
        return f"{expr.value:g}"
    if isinstance(expr, Name):
        return expr.name
    if isinstance(expr, Negate):
        return f"-({render(expr.operand)})"
    if isinstance(expr, Binary):
        return f"({render(expr.left)} {_SYMBOLS[expr.op]} {render(expr.right)})"
    return f"{expr.function}({', '.join(render(a) for a in expr.args)})"


def evaluation_order(formulas: Mapping[str, Expr], known: frozenset[str], field: str) -> list:
    """Derived names in an order where each comes after the names it reads; ConfigError for
    an unknown name or a cycle."""
    for name, expr in formulas.items():
        for used in sorted(names(expr)):
            if used not in known and used not in formulas:
                allowed = sorted(known | set(formulas) - {name})
                raise ConfigError(
                    f"{field}.{name}.expr", used, f"a parameter name, one of {allowed}"
                )
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join((*trail, name))
            raise ConfigError(f"{field}.{name}.expr", cycle, "formulas without a cycle")
        state[name] = 1
        for used in sorted(names(formulas[name])):
            if used in formulas:
                visit(used, (*trail, name))
        state[name] = 2
        order.append(name)

    for name in formulas:
        visit(name, ())
    return order
