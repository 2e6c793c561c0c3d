"""Matrices and tolerances for `assert_sym_equal`: entry-by-entry comparison with a readable diff, and `rtol=`
for floats (numbers compared within a relative tolerance, expressions at the numeric oracle's points)."""
from __future__ import annotations

from collections.abc import Mapping

import mpmath
import sympy as sp

from symderiv.check import sampling
from symderiv.model.steps import Check

MAX_SHOWN = 10  # differing entries listed in a failure message
DIGITS = 30


def is_matrix_like(value) -> bool:
    """A sympy matrix, a (nested) list or tuple, or an array (anything with .tolist() and .shape)."""
    return isinstance(value, (sp.MatrixBase, list, tuple)) or (hasattr(value, "tolist") and hasattr(value, "shape"))


def as_matrix(value, convert) -> sp.Matrix:
    """`value` as a sympy Matrix whose entries went through `convert` (a flat list is a column)."""
    if isinstance(value, sp.MatrixBase):
        rows = value.tolist()
    elif hasattr(value, "tolist") and not isinstance(value, (list, tuple)):
        rows = value.tolist()
    else:
        rows = value
    if not isinstance(rows, (list, tuple)):
        rows = [[rows]]
    if rows and not any(isinstance(row, (list, tuple)) for row in rows):
        rows = [[entry] for entry in rows]
    widths = {len(row) if isinstance(row, (list, tuple)) else -1 for row in rows}
    if len(widths) > 1 or -1 in widths:
        raise TypeError("a matrix must be given as rows of equal length, e.g. [[1, 2], [3, 4]]")
    return sp.Matrix([[convert(entry) for entry in row] for row in rows]) if rows else sp.zeros(0, 0)


def shape(matrix: sp.Matrix) -> str:
    return f"{matrix.rows}×{matrix.cols}"


def compare_matrices(a: sp.Matrix, b: sp.Matrix, compare_entry) -> tuple[Check, list]:
    """The verdict on two matrices and the entries that differ, as (row, col, a, b, check)."""
    if a.shape != b.shape:
        return Check(ok=False, method="shape", detail=f"actual is {shape(a)}, expected is {shape(b)}"), []
    differing, methods = [], []
    for r in range(a.rows):
        for c in range(a.cols):
            check = compare_entry(a[r, c], b[r, c])
            methods.append(check.method)
            if check.ok is not True:
                differing.append((r, c, a[r, c], b[r, c], check))
    if not differing:
        return Check(ok=True, method=", ".join(dict.fromkeys(methods)) or "structural",
                     detail=f"{a.rows * a.cols} entries"), []
    ok = False if any(d[4].ok is False for d in differing) else None
    return Check(ok=ok, method="entrywise", detail=f"{len(differing)} of {a.rows * a.cols} entries differ"), differing


def matrix_message(a: sp.Matrix, b: sp.Matrix, check: Check, differing: list, msg: str | None) -> str:
    """The shapes, or each differing entry [row, col] with both sides, their difference and a counterexample."""
    from symderiv.testing.equality import simplified_difference

    verdict = "the matrices have different shapes" if check.method == "shape" else \
        f"the matrices differ in {len(differing)} of {a.rows * a.cols} entries"
    lines = [f"{msg}: {verdict}" if msg else verdict]
    if check.method == "shape":
        return "\n".join([*lines, f"  {check.detail}"])
    for r, c, left, right, entry in differing[:MAX_SHOWN]:
        lines.append(f"  [{r}, {c}]: actual {left}, expected {right}, difference {simplified_difference(left, right)}"
                     + (f" ({entry.detail})" if entry.detail else ""))
    if len(differing) > MAX_SHOWN:
        lines.append(f"  … and {len(differing) - MAX_SHOWN} more")
    return "\n".join(lines)


def within(a: sp.Expr, b: sp.Expr, rtol: float) -> Check:
    """a ≈ b within the relative tolerance: numbers directly, expressions at the numeric oracle's points."""
    if not rtol >= 0:
        raise ValueError(f"rtol must be a nonnegative number, not {rtol!r}")
    variables = sorted(sampling.variables_of(a) | sampling.variables_of(b), key=str)
    points = [{}] if not variables else sampling.sample_points(variables)
    agreed, needed = 0, 1 if not variables else sampling.AGREEING
    for point in points:
        try:
            left, right = sampling.evaluate(a, point, DIGITS), sampling.evaluate(b, point, DIGITS)
        except (sampling.Undefined, ZeroDivisionError, OverflowError, TypeError, ValueError):
            continue
        if abs(left - right) > rtol * max(abs(left), abs(right)) + mpmath.mpf(10) ** (-DIGITS + 5):
            where = f" at {sampling.where(tuple(point.items()))}" if point else ""
            return Check(ok=False, method="numeric", detail=f"{mpmath.nstr(left, 8)} and {mpmath.nstr(right, 8)}"
                                                            f" differ by more than rtol={rtol:g}{where}")
        agreed += 1
        if agreed >= needed:
            return Check(ok=True, method="numeric", detail=f"equal within rtol={rtol:g} at {agreed} point{'s' if agreed > 1 else ''}")
    return Check(ok=None, method="numeric", detail=f"too few points where both sides are defined to test rtol={rtol:g}")


def known_from(value, found: dict, named, name) -> None:
    """The symbols of a matrix's or a nested list's entries, into `found`."""
    entries = value.tolist() if hasattr(value, "tolist") else value
    stack = [entries]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, sp.Basic):
            found.update((name(s), s) for s in named(item))


def is_mapping(value) -> bool:
    return isinstance(value, Mapping)
