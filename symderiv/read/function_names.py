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


def spelling_of(name: str, others: tuple[str, ...] = ()) -> str | None:
    """The grammar's name that `name` is a misspelling of, or None: the same name in other case or without
    underscores (LeakyReLU), a long name cut short (Kronecker), or one slip inside the name, its first and last
    letters kept (sigmod, tnah). A name that adds or changes letters at an end (cosh, atan2, expm1) or changes one
    (selu) is taken
    to be a different function and gets no hint."""
    known = (*NAMES, *ALIASES, *others)
    key = _key(name)
    same = next((k for k in known if _key(k) == key), None)
    if same is not None:
        return same
    cut = [k for k in known if len(key) >= 6 and _key(k).startswith(key)]
    if len(cut) == 1:
        return cut[0]
    slips = [k for k in known if len(key) >= 4 and _one_inner_slip(key, _key(k))]
    return slips[0] if len(slips) == 1 else None


def _one_inner_slip(a: str, b: str) -> bool:
    """a and b share their first and last letters and differ by one letter inserted, dropped or swapped between
    (a changed letter is not a slip: selu and silu are different functions)."""
    if a[0] != b[0] or a[-1] != b[-1] or abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        diff = [n for n in range(len(a)) if a[n] != b[n]]
        return (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])
    short, long = sorted((a, b), key=len)
    return any(long[:n] + long[n + 1:] == short for n in range(1, len(long) - 1))


def _key(name: str) -> str:
    return name.lower().replace("_", "")


def all_names() -> list[str]:
    """Every function name and alias the grammar reads."""
    return [*NAMES, *ALIASES]
