"""Exact identity of rational functions, with exponentials e^{c·s} read as powers of independent generators."""
from __future__ import annotations

import sympy as sp
from sympy.polys.fields import sfield

MAX_EXPANDED_POWER = 64


def exact_zero(expr: sp.Expr) -> bool | None:
    """True/False when `expr` is a rational function of independent generators; None when undecided."""
    if any(p.base.is_Add and p.exp.is_Integer and abs(p.exp) > MAX_EXPANDED_POWER for p in expr.atoms(sp.Pow)):
        return None  # (x + y + 1)**1000 would expand into half a million terms: leave it to sampling
    expr = as_rational(expr)
    try:
        field, value = sfield(expr)
        zero = value == 0
        independent = all(g.is_Symbol or isinstance(g, sp.Indexed) for g in field.symbols)
    except Exception:  # noqa: BLE001 - not a rational function the field can hold: expand the numerator
        zero = sp.expand(sp.together(expr).as_numer_denom()[0]) == 0
        independent = not any(_generators(expr))
    if zero:
        return True
    return False if independent else None


def as_rational(expr: sp.Expr) -> sp.Expr:
    """Exponentials e^{Σ c·s} become products of powers of fresh symbols T_s^c; tanh becomes (T²−1)/(T²+1)."""
    if expr.has(sp.tanh):
        expr = expr.replace(sp.tanh, lambda u: (sp.exp(2 * u) - 1) / (sp.exp(2 * u) + 1))
    generators = {}

    def power_of(node):
        factors = []
        for term in sp.Add.make_args(sp.expand(node.args[0])):
            coefficient, rest = term.as_coeff_Mul()
            if not (rest.is_Symbol or isinstance(rest, sp.Indexed)) or not coefficient.is_Rational:
                return None
            factors.append(generators.setdefault(rest, sp.Dummy("T")) ** coefficient)
        return sp.Mul(*factors)

    replaced = {node: value for node in expr.atoms(sp.exp) if (value := power_of(node)) is not None}
    return expr.xreplace(replaced) if replaced else expr


def _generators(expr: sp.Expr):
    """Subexpressions that are not rational in symbols: functions, derivatives, sums, cases, irrational powers."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Function, sp.Derivative, sp.Sum, sp.Piecewise)) or (
            isinstance(node, sp.Pow) and not node.exp.is_Rational
        ):
            yield node
