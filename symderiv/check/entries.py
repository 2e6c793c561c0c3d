"""A matrix form checked against the index form it was read back from, entry by entry at concrete sizes."""
from __future__ import annotations

import itertools

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from symderiv.model.steps import Check


def check_entries(entry: sp.Expr, matrix: sp.MatrixExpr, free: tuple, sizes: dict, named=()) -> Check:
    """The matrix form equals the index form entry by entry, at concrete sizes (2…4, the sizes unequal)."""
    size_symbols = sorted({s for s in sizes.values() if s is not None} | _sizes_in(entry), key=str)
    for values in _size_choices(len(size_symbols)):
        concrete = dict(zip(size_symbols, map(sp.Integer, values)))
        explicit = sp.Matrix(matrix.xreplace(concrete).as_explicit()) if matrix.shape else None
        ranges = [range(1, int(sizes[k].xreplace(concrete)) + 1) for k in free]
        for place in itertools.product(*ranges):
            at = dict(zip(free, map(sp.Integer, place)))
            want = _written_out(entry.xreplace(concrete).xreplace(at))
            got = explicit[place[0] - 1, place[1] - 1 if len(place) > 1 else 0]
            got = got.replace(lambda n: isinstance(n, MatrixElement),
                              lambda n: _component(n, len(free) == 1 and n.parent.shape[1] == 1))
            if sp.expand(want - got) != 0:
                where = ", ".join(f"{k} = {v}" for k, v in {**concrete, **at}.items())
                return Check(ok=False, method="entries", detail=f"at {where}: index form {want}, matrix form {got}")
    sizes_text = " and ".join(f"{', '.join(map(str, v))}" for v in [list(_size_choices(len(size_symbols)))])
    return Check(ok=True, method="entries", detail=f"matrix form equal to the index form entry by entry at sizes {sizes_text}")


def _component(element, column: bool) -> sp.Expr:
    """Entry (r, c) of the matrix W as W_{r+1, c+1}; of a column vector x as x_{r+1}."""
    if hasattr(element.parent, "entry"):  # an elementwise vector: its formula at this entry
        return element.parent.entry(element.i + 1)
    base = sp.IndexedBase(str(element.parent.name))
    if element.parent.shape[1] == 1:
        return base[element.i + 1]
    return base[element.i + 1, element.j + 1]


def _written_out(expr: sp.Expr) -> sp.Expr:
    return expr.replace(lambda n: isinstance(n, sp.Sum), lambda n: n.doit()).doit()


def _sizes_in(expr: sp.Expr) -> set:
    return {high for s in expr.atoms(sp.Sum) for _, _, high in s.limits if high.is_Symbol}


def _size_choices(count: int) -> list[tuple]:
    """Sizes 2…4, unequal where there are several (so that a transpose cannot pass by a square shape)."""
    if count == 0:
        return [()]
    if count == 1:
        return [(2,), (3,)]
    return [tuple(2 + (n + shift) % 3 for n in range(count)) for shift in range(2)]
