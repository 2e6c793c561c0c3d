"""`assert_sym_equal` for test suites: equal expressions (or matrices) pass, others fail with a counterexample.

    from symderiv.testing import assert_sym_equal
    assert_sym_equal(sp.diff(sp.log(1 + sp.exp(x)), x), "sigmoid(x)")

Strings go through symderiv's safe parser (never `eval`). The cheapest decisive method is used:
structural equality, then an exact rational-function identity, then a size-bounded simplify, then
numeric sampling at random points with 30 digits. Floats are read as the decimals they print as.
"""
from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping

import sympy as sp

from symderiv.model.functions import expand_special
from symderiv.check.exact import MAX_TERMS, expansion_size
from symderiv.read.parse import parse_expr
from symderiv.model.steps import Check
from symderiv.read.answers import compare, counterexample
from symderiv.testing.matrices import as_matrix, compare_matrices, is_matrix_like, known_from, matrix_message, within

SIMPLIFY_MAX_OPS = 150


def assert_sym_equal(actual, expected, *, symbols=None, msg: str | None = None, rtol: float | None = None) -> Check:
    """Assert that two expressions (sympy objects or strings), or two matrices of them (sympy Matrix, nested
    lists, arrays), are mathematically equal; return how it was decided.

    `symbols` (Symbols, IndexedBases, or a mapping name -> object) says what the names in strings mean;
    the symbols of a non-string argument are used too, so `assert_sym_equal(f, "2*x")` means f's x.
    With `rtol`, sides that are not exactly equal pass when they agree within that relative tolerance
    (numbers directly; expressions at the numeric oracle's points, which is evidence, not proof).
    """
    __tracebackhide__ = True
    check, message = _decided(actual, expected, symbols, rtol, msg)
    if check.ok is not True:
        raise AssertionError(message())
    return check


def decide_equal(actual, expected, *, symbols=None, rtol: float | None = None) -> Check:
    """How `assert_sym_equal` decides, without raising: the Check (its detail says why on failure)."""
    check, message = _decided(actual, expected, symbols, rtol, None)
    return check if check.ok is True else Check(ok=check.ok, method=check.method, detail=message(),
                                                witness=check.witness)


def _decided(actual, expected, symbols, rtol, msg):
    """The Check, and a function giving the failure message (worked out only when needed)."""
    known = _known(symbols, actual, expected)
    if is_matrix_like(actual) or is_matrix_like(expected):
        a, b = (as_matrix(value, lambda entry: as_expression(entry, known)) for value in (actual, expected))
        check, differing = compare_matrices(a, b, lambda left, right: _entry(left, right, rtol))
        return check, lambda: matrix_message(a, b, check, differing, msg)
    a, b = as_expression(actual, known), as_expression(expected, known)
    check = _entry(a, b, rtol)
    return check, lambda: failure_message(a, b, check, msg)


def _entry(a: sp.Expr, b: sp.Expr, rtol: float | None) -> Check:
    """Exactly equal, or (with rtol) equal within the tolerance."""
    check = compare(a, b)
    if check.ok is True or rtol is None:
        return check
    return within(a, b, rtol)


def as_expression(value, known: Mapping[str, sp.Basic] | None = None) -> sp.Expr:
    """A sympy expression: strings parsed safely (names resolved through `known`), floats made exact."""
    if isinstance(value, str):
        value = parse_expr(value)
        renames = {s: known[_name(s)] for s in _named(value) if known and _name(s) in known and known[_name(s)] != s}
        value = value.xreplace(renames) if renames else value
    elif isinstance(value, numbers.Real) and not isinstance(value, (bool, sp.Basic)):
        value = sp.Integer(int(value)) if isinstance(value, numbers.Integral) else sp.Rational(repr(float(value)))
    elif not isinstance(value, sp.Basic):
        raise TypeError(f"expected a sympy expression or a string, got {type(value).__name__}")
    floats = {f: sp.Rational(str(f)) for f in value.atoms(sp.Float)}
    return value.xreplace(floats) if floats else value


def failure_message(a: sp.Expr, b: sp.Expr, check: Check, msg: str | None = None) -> str:
    """Both expressions, their simplified difference, and a counterexample point with both values."""
    verdict = ("the expressions are not equal" if check.ok is False
               else "could not decide whether the expressions are equal")
    lines = [f"{msg}: {verdict}" if msg else verdict,
             f"  actual:     {a}", f"  expected:   {b}", f"  difference: {simplified_difference(a, b)}"]
    found = counterexample(a, b)
    if found is not None:
        left, right = found.values()
        lines.append(f"  counterexample: at {found.where()}: actual = {left}, expected = {right}")
    lines.append(f"  decided by: {check.method}" + (f" ({check.detail})" if check.detail and found is None else ""))
    return "\n".join(lines)


def explain_comparison(left: sp.Basic, right: sp.Basic) -> list[str]:
    """pytest's report for a failed `left == right` on sympy objects (== is structural in sympy)."""
    header = f"{_short(left)} == {_short(right)}"
    if isinstance(left, sp.MatrixBase) and isinstance(right, sp.MatrixBase):
        check, message = _decided(left, right, None, None, None)
        if check.ok is True:
            return [header, f"structurally different, but mathematically equal entry by entry ({check.method});",
                    "use sym_equal(actual, expected) to compare mathematically"]
        return [header, *message().splitlines()]
    if not (isinstance(left, sp.Expr) and isinstance(right, sp.Expr)):
        return [header, "sympy objects differ structurally"]
    left, right = as_expression(left), as_expression(right)
    check = compare(left, right)
    if check.ok is True:
        return [header, f"structurally different, but mathematically equal ({check.method});",
                "use sym_equal(actual, expected) to compare mathematically"]
    return [header, *failure_message(left, right, check).splitlines()]


def simplified_difference(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """a − b, simplified when small enough for simplify to be quick (and not one it crashes on)."""
    difference = expand_special(a - b)
    if expansion_size(difference) > MAX_TERMS:
        return difference  # simplify and cancel would expand it term by term
    try:
        if sp.count_ops(difference) <= SIMPLIFY_MAX_OPS and not difference.has(sp.Sum, sp.KroneckerDelta):
            return sp.simplify(difference)
        return sp.factor_terms(sp.cancel(difference))
    except Exception:  # noqa: BLE001 - a failed simplification must not hide the assertion
        return difference


def _known(symbols, *values) -> dict:
    found = {}
    for value in values:
        if isinstance(value, sp.Basic) and not isinstance(value, sp.MatrixBase):
            found.update((_name(s), s) for s in _named(value))
        elif is_matrix_like(value):
            known_from(value, found, _named, _name)
    if isinstance(symbols, Mapping):
        found.update(symbols)
    elif isinstance(symbols, Iterable):
        found.update((_name(s), s) for s in symbols)
    elif symbols is not None:
        raise TypeError("symbols must be an iterable of sympy symbols or a mapping of names to them")
    return found


def _named(expr: sp.Basic) -> set:
    """The symbols of `expr` and its vectors (IndexedBase), without the vectors' label symbols."""
    bases = {node.base for node in expr.atoms(sp.Indexed)}
    labels = {base.label for base in bases}
    return ({s for s in expr.free_symbols if isinstance(s, sp.Symbol)} - labels) | bases


def _name(s) -> str:
    return str(s.label) if isinstance(s, sp.IndexedBase) else str(s)


def _short(expr, limit: int = 70) -> str:
    text = str(expr)
    return text if len(text) <= limit else text[: limit - 3] + "..."
