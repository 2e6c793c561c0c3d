"""Exact identity of rational functions, with exponentials e^{c·s} read as powers of independent generators."""
from __future__ import annotations

import sympy as sp
from sympy.polys.fields import sfield

MAX_EXPANDED_POWER = 64
MAX_TERMS = 4000  # an identity whose expansion would have more terms is left to the numeric oracle


def exact_zero(expr: sp.Expr) -> bool | None:
    """True/False when `expr` is a rational function of independent generators; None when undecided."""
    if expansion_size(expr) > MAX_TERMS:
        return None  # (a + b + … + h)**20 would expand into 888,030 terms: leave it to sampling
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


def without_shared_factors(left: sp.Expr, right: sp.Expr) -> sp.Expr:
    """A − B where left = C·A and right = C·B, C the factors (with their powers) the two products share.

    left − right = C·(A − B), so A − B = 0 proves left = right: a product of L binomials on both sides, too large
    to put over a common denominator, leaves a difference a few factors long."""
    a, b = sp.Mul(left).as_powers_dict(), sp.Mul(right).as_powers_dict()
    shared = {base for base in a if base in b and a[base] == b[base]}
    rest = lambda powers: sp.Mul(*[base**power for base, power in powers.items() if base not in shared])  # noqa: E731
    return rest(a) - rest(b)


def expansion_size(expr: sp.Expr, limit: int = 10 * MAX_TERMS) -> int:
    """An upper estimate of the number of terms of `expr` expanded over a common denominator (capped at `limit`)."""
    memo: dict = {}

    def size(node) -> int:
        if node in memo:
            return memo[node]
        if node.is_Add:
            numerators = [size(a) for a in node.args]
            denominators = [size(a.as_numer_denom()[1]) if a.is_Mul or a.is_Pow else 1 for a in node.args]
            value = sum(numerators) * _product(denominators, limit)
        elif node.is_Mul:
            value = _product([size(a) for a in node.args], limit)
        elif node.is_Pow and node.exp.is_Integer:
            base, n = size(node.base), abs(int(node.exp))
            value = _binomial(base + n - 1, n, limit) if base > 1 else 1
        else:
            value = 1  # a generator: a symbol, a function, an irrational power
        memo[node] = min(value, limit)
        return memo[node]

    return min(size(expr), _monomials(expr, limit))


def _monomials(expr: sp.Expr, limit: int) -> int:
    """The number of monomials of degree ≤ d in v generators, C(d + v, v): a bound for a polynomial's expansion."""
    numerator, denominator = expr.as_numer_denom()
    generators = len(expr.free_symbols | {n for n in expr.atoms(sp.Function)})
    degree = max(_degree(numerator), _degree(denominator))
    return _binomial(degree + generators, generators, limit)


def _degree(expr: sp.Expr) -> int:
    """An upper bound of the total degree (a generator counts 1; a non-integer power counts as a generator)."""
    if expr.is_Add:
        return max((_degree(a) for a in expr.args), default=0)
    if expr.is_Mul:
        return sum(_degree(a) for a in expr.args)
    if expr.is_Pow and expr.exp.is_Integer:
        return abs(int(expr.exp)) * _degree(expr.base)
    return 0 if expr.is_number else 1


def _product(values, limit: int) -> int:
    result = 1
    for value in values:
        result = min(result * value, limit)
    return result


def _binomial(n: int, k: int, limit: int) -> int:
    """C(n, k), or `limit` once it is exceeded (without computing huge factorials)."""
    result = 1
    for m in range(1, min(k, n - k) + 1):
        result = result * (n - min(k, n - k) + m) // m
        if result > limit:
            return limit
    return result


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
