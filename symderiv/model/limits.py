"""The caps on numbers every expression obeys, typed or built: digits, exponents, undefined values."""
from __future__ import annotations

import math

import sympy as sp

MAX_DIGITS = 100  # digits of any number, typed (with its e-exponent) or computed (2**300)
MAX_EXPONENT = 1000  # numerator and denominator of any numeric exponent
UNDEFINED = (sp.zoo, sp.nan, sp.oo, -sp.oo)


def digits(number: sp.Rational) -> float:
    """About how many decimal digits a rational number's numerator and denominator have together."""
    return (math.log10(abs(number.p)) if number.p else 0) + math.log10(number.q)


def build_problem(func, args: tuple) -> str | None:
    """What building func(*args) would break, said before it is built: an exponent, or the digits of a power or product."""
    if func is sp.Pow and args[1].is_Rational:
        base, exponent = args
        total = exponent * base.exp if base.is_Pow and base.exp.is_Rational else exponent
        if max(abs(total.p), total.q) > MAX_EXPONENT:
            return f"has exponent {_short_number(total)}, too large (at most {MAX_EXPONENT})"
        if base.is_Rational and abs(exponent) * digits(base) > MAX_DIGITS:
            return f"has a power with more than {MAX_DIGITS} digits"
    if func is sp.Mul and sum(digits(a) for a in args if a.is_Rational) > MAX_DIGITS:
        return f"has a product with more than {MAX_DIGITS} digits"
    return None


def node_problem(value: sp.Expr) -> str | None:
    """What a newly built node breaks, seen in it and its direct parts: a number's digits, an exponent, a value
    that is undefined or not real."""
    for part in (value, *value.args):
        if part in UNDEFINED or part is sp.I:
            return "is not a real number" if part is sp.I else "is undefined (division by zero?)"
        if part.is_Rational and digits(part) > MAX_DIGITS:
            return f"has a number with more than {MAX_DIGITS} digits"
        if part.is_Pow and part.exp.is_Rational and max(abs(part.exp.p), part.exp.q) > MAX_EXPONENT:
            return f"has exponent {_short_number(part.exp)}, too large (at most {MAX_EXPONENT})"
    return None


def _short_number(number: sp.Rational) -> str:
    text = str(number)
    return text if len(text) <= 12 else f"about 10^{round(digits(number))}"
