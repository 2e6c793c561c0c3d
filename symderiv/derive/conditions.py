"""Where a derivative exists: the domain conditions of the functions in an expression, and which conditions go
without saying because they hold for every real value (e^x + 1 ≠ 0, x² + 1 > 0)."""
from __future__ import annotations

import sympy as sp

from symderiv.model import functions as fn

OPEN_UNIT = (sp.asin, sp.acos, sp.atanh)  # differentiable for −1 < u < 1
OUTSIDE_UNIT = (sp.asec, sp.acsc, sp.acoth)  # differentiable for |u| > 1
SWITCHES = (sp.Abs, sp.sign, sp.Heaviside)  # differentiable for u ≠ 0


def domain_conditions(expr: sp.Expr, var: sp.Expr) -> tuple[sp.Basic, ...]:
    """The conditions under which each function in `expr` is differentiable with respect to `var`."""
    found: list = []
    for node in sp.preorder_traversal(expr):
        found += [_solved(c) for c in _conditions_of(node, var)]
    return tuple(dict.fromkeys(c for c in found if c is not sp.true and not always_true(c)))


def _solved(condition: sp.Basic) -> sp.Basic:
    """A condition linear in one symbol, solved for it: 2·x > −1 as x > −1/2, 3 − x ≠ 0 as x ≠ 3."""
    if not isinstance(condition, sp.core.relational.Relational) or len(condition.free_symbols) != 1:
        return condition
    (s,) = condition.free_symbols
    difference = condition.lhs - condition.rhs
    slope = sp.diff(difference, s)
    if not slope.is_Number or slope == 0 or sp.diff(slope, s) != 0 or difference.has(sp.Abs):
        return condition
    root = -difference.subs(s, 0) / slope
    relation = type(condition) if slope > 0 else type(condition.reversed)
    return relation(s, root)


def _conditions_of(node: sp.Basic, var: sp.Expr) -> list:
    """The conditions one node needs, whatever its arguments."""
    if not node.args or not node.has(var):
        return []
    u = node.args[0]
    if isinstance(node, OPEN_UNIT):
        return [sp.Gt(u, -1), sp.Lt(u, 1)]
    if isinstance(node, OUTSIDE_UNIT):
        return [sp.Gt(sp.Abs(u), 1)]
    if isinstance(node, sp.acosh):
        return [sp.Gt(u, 1)]
    if isinstance(node, sp.log):
        return [sp.Gt(u, 0)]
    if isinstance(node, fn.logb):
        return [sp.Gt(u, 0)] + ([sp.Gt(node.args[1], 0), sp.Ne(node.args[1], 1)] if node.args[1].has(var) else [])
    if isinstance(node, SWITCHES):
        return [sp.Ne(u, 0)]
    if isinstance(node, (sp.Max, sp.Min)):
        return [sp.Ne(a, b) for n, a in enumerate(node.args) for b in node.args[n + 1:]]
    if isinstance(node, sp.Piecewise):
        return [sp.Ne(c.lhs, c.rhs) for _, c in node.args if isinstance(c, sp.core.relational.Relational)]
    if isinstance(node, sp.Pow) and node.exp.has(var) and node.base.has(var):
        return [sp.Gt(node.base, 0)]
    if isinstance(node, sp.Pow) and node.exp.is_Rational and not node.exp.is_Integer and node.exp < 1:
        return [sp.Gt(node.base, 0)]
    return []


def always_true(condition: sp.Basic) -> bool:
    """Whether the condition holds for all real values of its symbols (exponentials and σ taken as positive)."""
    if not isinstance(condition, sp.Basic):
        return False
    positive = {node: sp.Dummy(positive=True) for node in condition.atoms(sp.exp)}
    positive.update({node: 1 / (1 + sp.Dummy(positive=True)) for node in condition.atoms(fn.sigmoid)})  # 0 < σ < 1
    positive.update({s: sp.Dummy(positive=True) for s in condition.atoms(sp.Sum) if _positive_sum(s)})
    real = {s: sp.Dummy(real=True) for s in condition.free_symbols if isinstance(s, sp.Symbol) and s.is_real is None}
    real.update({s: sp.Dummy(real=True) for s in condition.atoms(sp.Indexed)})
    try:
        return condition.xreplace(positive).xreplace(real) is sp.true
    except (TypeError, ValueError):
        return False


def _positive_sum(node: sp.Sum) -> bool:
    """A sum of exponentials over j = 1..N, N ≥ 1: positive."""
    body, limits = node.function, node.limits
    if any(low != 1 or not high.is_positive for _, low, high in limits):
        return False
    return isinstance(body, sp.exp) or (body.is_Mul and all(isinstance(f, sp.exp) or f.is_positive for f in body.args))


def shown_conditions(conditions: tuple) -> tuple:
    """The conditions worth printing: without those that hold for every real value or follow from the others
    (x ≠ 0 beside x > 0; 1 − x² ≠ 0 beside −1 < x < 1); only conditions ≠ are ever left out as implied."""
    kept = [c for c in conditions if not always_true(c)]
    for condition in [c for c in kept if isinstance(c, sp.Ne)]:
        others = [c for c in kept if c is not condition]
        if others and _implied(condition, others):
            kept.remove(condition)
    return tuple(kept)


MAX_SOLVED_OPS = 12  # conditions larger than this are not solved for their variable


def _implied(condition: sp.Basic, others: list) -> bool:
    """Whether the other conditions on the same single variable imply this one (decided by sympy's solveset)."""
    symbols = condition.free_symbols
    if len(symbols) != 1 or sp.count_ops(condition) > MAX_SOLVED_OPS:
        return False
    (s,) = symbols
    same = [c for c in others if c.free_symbols == symbols and sp.count_ops(c) <= MAX_SOLVED_OPS]
    if not same:
        return False
    real = sp.Dummy(real=True)
    try:
        domain = sp.Intersection(*[sp.solveset(c.xreplace({s: real}), real, sp.S.Reals) for c in same])
        return domain.is_subset(sp.solveset(condition.xreplace({s: real}), real, sp.S.Reals)) is True
    except (NotImplementedError, TypeError, ValueError, AttributeError):
        return False
