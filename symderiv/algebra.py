"""Named rearrangements that lead from a rule's raw output to the textbook form; no blind simplify."""
from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.matexpr import MatrixElement

from .definitions import Definition, fold
from .steps import Step


def evaluate(expr: sp.Expr) -> sp.Expr:
    """Rebuild an expression with sympy's automatic normalisation (undoes evaluate=False)."""
    if not expr.args or isinstance(expr, (sp.Derivative, sp.Sum, MatrixElement)):
        return expr
    return expr.func(*[evaluate(a) for a in expr.args])


def tidy(expr: sp.Expr) -> sp.Expr:
    """The shorter of the normalised form and its factored form (ties go to the factored one)."""
    plain = evaluate(expr)
    factored = sp.factor_terms(sp.cancel(plain) if plain.has(sp.Pow) else plain)
    best = min((factored, plain), key=sp.count_ops)
    if sp.count_ops(best) < sp.count_ops(expr):
        return best
    if best is factored and factored != plain and expr == plain:
        return factored
    return expr


def tidy_step(expr: sp.Expr) -> tuple[Step, ...]:
    """An `algebra` step to the tidy form, when that changes anything."""
    tidied = tidy(expr)
    return (Step(rule="algebra", rhs=tidied),) if tidied != expr else ()


def fold_steps(expr: sp.Expr, definition: Definition) -> tuple[Step, ...]:
    """A `definition` step that writes the result back in terms of the named quantity."""
    folded = fold(expr, definition)
    if folded == expr or sp.count_ops(folded) > sp.count_ops(expr):
        return ()
    return (Step(rule="definition", rhs=folded),)


def singular_conditions(expr: sp.Expr) -> tuple[sp.Basic, ...]:
    """Where the expression is undefined: each denominator ≠ 0, each logarithm's argument > 0."""
    found = []
    for node in sp.preorder_traversal(evaluate(expr)):
        if isinstance(node, sp.Pow) and node.exp.is_negative and not node.base.is_positive:
            condition = sp.Ne(node.base, 0)
        elif isinstance(node, sp.log) and not node.args[0].is_positive:
            condition = sp.Gt(node.args[0], 0)
        else:
            continue
        if condition not in found and condition is not sp.true:
            found.append(condition)
    return tuple(found)


def combine_cases(equal: sp.Expr, different: sp.Expr, a: sp.Symbol, k: sp.Symbol) -> sp.Expr:
    """{e if k = a; f otherwise} = f + δ_ak·(e − f|_{k=a}), the two cases in one formula."""
    correction = sp.expand(equal - different.xreplace({k: a}))
    return sp.factor_terms(sp.expand(different + sp.KroneckerDelta(a, k) * correction))


def matrix_form(entry: sp.Expr, row: sp.Symbol, column: sp.Symbol, vectors: dict) -> sp.Expr | None:
    """Entry a_row·δ_{row,column} + c·u_row·v_column of a matrix, as diag(a) + c·uᵀv; None if not of that shape."""
    total = None
    for term in sp.Add.make_args(sp.expand(entry)):
        coefficient, factors = term.as_coeff_mul()
        deltas = [f for f in factors if isinstance(f, sp.KroneckerDelta)]
        rest = [f for f in factors if not isinstance(f, sp.KroneckerDelta)]
        if deltas == [sp.KroneckerDelta(row, column)] and len(rest) == 1 and _component(rest[0], vectors):
            piece = coefficient * DiagMatrix(vectors[rest[0].base].T)
        elif not deltas and len(rest) == 2:
            left = next((f for f in rest if _component(f, vectors) and f.indices[0] == row), None)
            right = next((f for f in rest if _component(f, vectors) and f.indices[0] == column), None)
            if left is None or right is None or left is right:
                return None
            piece = coefficient * vectors[left.base].T * vectors[right.base]
        else:
            return None
        total = piece if total is None else total + piece
    return total


def _component(factor: sp.Expr, vectors: dict) -> bool:
    return isinstance(factor, sp.Indexed) and factor.base in vectors
