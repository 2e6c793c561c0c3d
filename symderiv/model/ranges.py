"""The range of every index: Σ_{j=1}^{M} gives j the size M, and an index written where j is written shares it.

A free index k in x_k ranges over 1..M when x is summed as Σ_{j=1}^{M} x_j: the sizes of the tensors are read
off the sums over them. Two indices joined by a δ, or written at the same place of the same tensor, share a size.
An index whose size no sum states ranges over 1..N. Places summed over two different sizes are a conflict.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from symderiv.model.symbols import N


class RangeConflict(ValueError):
    """Two different sizes meet at one index (x summed over 1..N and over 1..M)."""


def is_size(expr: sp.Expr) -> bool:
    """A size: a symbol that is a positive whole number, such as N or M."""
    return isinstance(expr, sp.Symbol) and expr.is_integer is True and expr.is_positive is True


def index_ranges(*exprs: sp.Expr) -> dict[sp.Symbol, sp.Symbol]:
    """Each index symbol of `exprs` (free or summed) with its size: N, M, …; RangeConflict when sizes meet."""
    parent: dict = {}

    def find(a):
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def join(a, b):
        parent[find(a)] = find(b)

    sizes: dict = {}
    for expr in exprs:
        for node in sp.preorder_traversal(scoped(expr)):
            if isinstance(node, sp.Sum):
                for j, low, high in node.limits:
                    if low == 1 and is_size(high):
                        sizes.setdefault(j, set()).add(high)
            elif isinstance(node, sp.Indexed):
                for place, i in enumerate(node.indices):
                    if isinstance(i, sp.Symbol) and i.is_integer:
                        join(i, (node.base.label, len(node.indices), place))
            elif isinstance(node, sp.KroneckerDelta) and all(isinstance(a, sp.Symbol) for a in node.args):
                join(*node.args)
    found: dict = {}
    for j, bounds in sizes.items():
        found.setdefault(find(j), set()).update(bounds)
    for root, bounds in found.items():
        if len(bounds) > 1:
            raise RangeConflict(f"one index ranges over both 1..{' and 1..'.join(map(str, sorted(bounds, key=str)))}")
    return {a: next(iter(found.get(find(a), {N}))) for a in parent
            if isinstance(a, sp.Symbol) and not is_size(a) and not isinstance(a, sp.Dummy)}


@lru_cache(maxsize=4096)
def scoped(expr: sp.Expr) -> sp.Expr:
    """Every summation index renamed to a fresh one of its own, so that two sums never share an index."""
    def fresh(node):
        limits = [(sp.Dummy(str(j), integer=True), low, high) for j, low, high in node.limits]
        body = node.function.xreplace({old[0]: new[0] for old, new in zip(node.limits, limits)})
        return sp.Sum(body, *limits)

    return sp.sympify(expr).replace(lambda n: isinstance(n, sp.Sum), fresh)
