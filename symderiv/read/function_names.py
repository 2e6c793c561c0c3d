"""The function names of the grammar: what each builds, how many arguments it takes, and its aliases.

A name that is not in the table gets a hint only to a spelling of the same function (Arctan, arc_tan, LeakyReLU),
never to a different function that merely looks alike (cosh is not cos)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from symderiv.model import functions as fn


@dataclass(frozen=True)
class Name:
    """A function of the grammar: its builder, its least and greatest number of arguments (None: any)."""

    build: Callable
    least: int = 1
    most: int | None = 1
    example: str = "x"  # the arguments `symderiv functions` shows it with

    def arity(self) -> str:
        if self.most == self.least:
            return f"{self.least} argument{'s' * (self.least != 1)}"
        return f"at least {self.least} arguments" if self.most is None else f"{self.least} or {self.most} arguments"


def _log(u, base=None):
    return sp.log(u) if base is None else fn.logb(u, base)


def _heaviside(u, at_zero=sp.S.Zero):
    """H(u), taken as 0 at u = 0 (as relu′ is) unless a second argument says otherwise."""
    return sp.Heaviside(u, at_zero)


LEAKY_SLOPE = sp.Rational(1, 100)  # leaky_relu(x) is leaky_relu(x, 0.01)

_ONE = {"exp": sp.exp, "sqrt": sp.sqrt, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "sec": sp.sec, "csc": sp.csc,
        "cot": sp.cot, "asin": sp.asin, "acos": sp.acos, "atan": sp.atan, "acot": sp.acot, "asec": sp.asec,
        "acsc": sp.acsc, "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "coth": sp.coth, "sech": sp.sech,
        "csch": sp.csch, "asinh": sp.asinh, "acosh": sp.acosh, "atanh": sp.atanh, "acoth": sp.acoth,
        "log2": lambda u: fn.logb(u, 2), "log10": lambda u: fn.logb(u, 10), "exp2": lambda u: sp.Integer(2) ** u,
        "abs": sp.Abs, "sign": sp.sign, "erf": sp.erf, "sigmoid": fn.sigmoid, "relu": fn.relu,
        "softplus": fn.softplus, "softsign": fn.softsign, "swish": fn.swish, "gelu": fn.gelu,
        "gelu_tanh": fn.gelu_tanh, "log_sigmoid": fn.log_sigmoid}

NAMES: dict[str, Name] = {
    **{name: Name(build) for name, build in _ONE.items()},
    "log": Name(_log, 1, 2, "x, b"),
    "Heaviside": Name(_heaviside, 1, 2),
    "Max": Name(sp.Max, 2, None, "x, y"),
    "Min": Name(sp.Min, 2, None, "x, y"),
    "elu": Name(lambda u, alpha=sp.S.One: fn.elu(u, alpha), 1, 2, "x, alpha"),
    "leaky_relu": Name(lambda u, a=LEAKY_SLOPE: fn.leaky_relu(u, a), 1, 2, "x, a"),
}

ALIASES = {"ln": "log", "Abs": "abs", "silu": "swish", "max": "Max", "min": "Min",
           **{f"arc{name[1:]}": name for name in ("asin", "acos", "atan", "acot", "asec", "acsc")},
           **{f"ar{name[1:]}": name for name in ("asinh", "acosh", "atanh", "acoth")},
           **{f"arc{name[1:]}": name for name in ("asinh", "acosh", "atanh", "acoth")}}


def lookup(name: str) -> Name | None:
    """The grammar's function of this name or alias, or None."""
    return NAMES.get(ALIASES.get(name, name))


def spelling_of(name: str) -> str | None:
    """The grammar's name that `name` spells differently (case, underscores, an 'arc' prefix), or None."""
    key = _key(name)
    return next((known for known in (*NAMES, *ALIASES) if _key(known) == key), None)


def _key(name: str) -> str:
    return name.lower().replace("_", "")


def all_names() -> list[str]:
    """Every function name and alias the grammar reads."""
    return [*NAMES, *ALIASES]
