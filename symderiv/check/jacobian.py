"""The explicit n×n Jacobian of a vector function, checked entry by entry against independent oracles."""
from __future__ import annotations

import random

import mpmath
import sympy as sp

from symderiv.model.steps import Check

FD_STEP, FD_DIGITS, FD_TOLERANCE = mpmath.mpf("1e-12"), 40, mpmath.mpf("1e-15")


def explicit_matrix(entry: sp.Expr, row: sp.Symbol, column: sp.Symbol, n: int) -> sp.Matrix:
    """The n×n matrix whose (a, b) entry is `entry` at row = a, column = b (1-based)."""
    return sp.Matrix(n, n, lambda a, b: entry.xreplace({row: a + 1, column: b + 1}))


def check_symbolic(matrix: sp.Matrix, components: list, variables: list, named: dict, seed: int = 7) -> Check:
    """Every diagonal entry and a sample of off-diagonal ones equal sympy's derivative, in exact arithmetic."""
    rng = random.Random(seed)
    n = matrix.rows
    off = [(a, b) for a in range(n) for b in range(n) if a != b]
    sample = [(a, a) for a in range(n)] + rng.sample(off, min(len(off), 16))
    ratios = [sp.Rational(rng.randint(1, 997), rng.randint(1, 997)) for _ in variables]
    point = {v: sp.log(r) for v, r in zip(variables, ratios)}
    exact = {name: value.xreplace(point) for name, value in named.items()}
    plain = {v: sp.Dummy(f"x{n}", **v.assumptions0) for n, v in enumerate(variables)}  # sympy differentiates by
    renamed = sp.Tuple(*components).xreplace(plain)  # a Symbol much faster than by an Indexed x[a]
    shared = _shared_parts(renamed, {plain[v]: value for v, value in point.items()})  # Σ_j e^(x_j) once
    for a, b in sample:
        oracle = sp.diff(renamed[a], plain[variables[b]]).xreplace(shared)
        if oracle != matrix[a, b].xreplace(exact):
            return Check(ok=False, method="exact", detail=f"entry ({a + 1}, {b + 1}) differs from sympy's derivative")
    detail = f"{n} diagonal and {len(sample) - n} off-diagonal entries against sympy's derivative, exact rational point"
    return Check(ok=True, method="exact", detail=detail)


def _shared_parts(components: list, point: dict) -> dict:
    """The point, plus each subexpression every component contains (a common denominator) with the point put in:
    the same values xreplace(point) gives, each computed once instead of once per entry."""
    common = set.intersection(*[set(sp.preorder_traversal(c)) for c in components]) if len(components) > 1 else set()
    common = {e for e in common if not e.is_Atom and e.free_symbols & set(point)}
    return {**point, **{e: e.xreplace(point) for e in common}}


def check_numeric(entry: sp.Expr, row, column, function, n: int, components: sp.IndexedBase, seed: int = 11) -> Check:
    """Every entry of the formula agrees with central finite differences of the concrete function."""
    rng = random.Random(seed)
    s_row, s_column, delta = sp.symbols("s_row s_column delta")
    local = entry.xreplace({components[row]: s_row, components[column]: s_column, sp.KroneckerDelta(row, column): delta})
    formula = sp.lambdify((s_row, s_column, delta), local, modules="mpmath")
    with mpmath.workdps(FD_DIGITS):
        for _ in range(2):
            point = [mpmath.mpf(rng.uniform(-3, 3)) for _ in range(n)]
            values = function(point)
            for b in range(n):
                up, down = list(point), list(point)
                up[b] += FD_STEP
                down[b] -= FD_STEP
                f_up, f_down = function(up), function(down)
                for a in range(n):
                    estimate = (f_up[a] - f_down[a]) / (2 * FD_STEP)
                    if abs(estimate - formula(values[a], values[b], int(a == b))) > FD_TOLERANCE:
                        return Check(ok=False, method="numeric", detail=f"entry ({a + 1}, {b + 1}) at a random point")
    return Check(ok=True, method="numeric", detail=f"all {n * n} entries at 2 random points, central differences, tolerance 1e-15")
