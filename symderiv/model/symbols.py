"""Canonical symbols, so that the catalog, the parser and the checker agree on names and assumptions."""
from __future__ import annotations

import re

import sympy as sp

from symderiv.model.errors import InputError

NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")

N = sp.Symbol("N", integer=True, positive=True)


def checked_name(name: str) -> str:
    """A user-facing symbol name must match [A-Za-z][A-Za-z0-9_]*, or TeX could be injected."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name) or name.startswith("__"):
        raise InputError(f"{name!r} is not a valid symbol name: use letters, digits and _, starting with a letter.")
    return name


def scalar(name: str) -> sp.Symbol:
    """A real-valued scalar quantity such as w1, x or d (no assumptions, as sympy's default)."""
    return sp.Symbol(checked_name(name))


def index(name: str) -> sp.Symbol:
    """An integer index such as i, j or k."""
    if name == "N":
        return N
    return sp.Symbol(checked_name(name), integer=True)


def bound(name: str) -> sp.Symbol:
    """A size such as N or M, the upper limit of sums Σ_{j=1}^{M}: a positive whole number."""
    return sp.Symbol(checked_name(name), integer=True, positive=True)


def vector(name: str) -> sp.IndexedBase:
    """A vector whose components are written x[i]."""
    return sp.IndexedBase(checked_name(name))


def within(k: sp.Expr, low: sp.Expr, high: sp.Expr, size: sp.Expr = N) -> sp.Basic:
    """The condition low ≤ k ≤ high, without the parts every free index meets (1 ≤ k ≤ size for k in 1..size)."""
    free = k.is_Symbol and k.is_integer and k != N
    parts = []
    if not (free and low == 1) and (k - low).is_nonnegative is not True:
        parts.append(sp.Le(low, k))
    if not (free and high == size) and (high - k).is_nonnegative is not True:
        parts.append(sp.Le(k, high))
    return sp.And(*parts)


def sift_term(term: sp.Expr, k: sp.Expr, low: sp.Expr, high: sp.Expr, size: sp.Expr = N) -> sp.Expr:
    """Σ_{j=low}^{high} a_j δ_jk = a_k when k lies in the range, 0 otherwise: a_k, or a case split on the range."""
    condition = within(k, low, high, size)
    return term if condition == sp.true else sp.Piecewise((term, condition), (0, True))


def unclash(expr: sp.Expr, taken: set) -> sp.Expr:
    """Each summation index named like a free index (of `expr` or in `taken`) renamed to an unused index name."""
    names = {str(s) for s in expr.atoms(sp.Symbol)} | {str(s) for s in taken}
    free = {str(s) for s in expr.free_symbols} | {str(s) for s in taken}

    def rename(node):
        if not any(str(j) in free for j, *_ in node.limits):
            return node
        new = {}
        for j, *_ in node.limits:
            if str(j) in free:
                new[j] = next(index(n) for n in _spare_names() if n not in names)
                names.add(str(new[j]))
        limits = [(new.get(j, j), low, high) for j, low, high in node.limits]
        return sp.Sum(node.function.xreplace(new), *limits)

    return expr.replace(lambda n: isinstance(n, sp.Sum), rename)


def _spare_names():
    yield from ("j", "l", "m", "n", "p", "q", "r", "s", "t", "u")
    yield from (f"j{n}" for n in range(1, 10**6))
