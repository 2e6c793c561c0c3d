"""Named rearrangements that lead from a rule's raw output to the textbook form; no blind simplify."""
from __future__ import annotations

import math

import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.matexpr import MatrixElement

from symderiv.model.definitions import Definition, fold
from symderiv.model.steps import Step

MAX_EXPANDED_TERMS = 256  # tidy and combine_cases expand only what is estimated below this many terms
MAX_TIDIED_NODES = 400  # larger formulas only get their factors cancelled (linear work)


def evaluate(expr: sp.Expr) -> sp.Expr:
    """Rebuild an expression with sympy's automatic normalisation (undoes evaluate=False)."""
    if not expr.args or isinstance(expr, (sp.Derivative, sp.Sum, MatrixElement)):
        return expr
    return expr.func(*[evaluate(a) for a in expr.args])


def tidy(expr: sp.Expr) -> sp.Expr:
    """The shortest of the normalised form, its factors cancelled against each other, and (only for a formula of at
    most MAX_TIDIED_NODES nodes whose expansion is estimated small) its factored form over one denominator;
    ties go to the cancelled, then the factored one."""
    plain = evaluate(expr)
    shared = cancel_factors(plain)
    candidates = (shared, plain) if shared is not plain else (plain,)
    if nodes(shared) > MAX_TIDIED_NODES:  # cancel, factor_terms and count_ops cost more than linear time
        best = min(candidates, key=nodes)
        return best if nodes(best) < nodes(expr) else expr
    small = shared.has(sp.Pow) and expansion_size(shared) <= MAX_EXPANDED_TERMS
    factored = sp.factor_terms(sp.cancel(shared) if small else shared)
    if factored.has(sp.Product) and not expr.has(sp.Product):  # cancel writes e^{Σ_j u_j} as Π_j e^{u_j}
        factored = shared
    best = min((shared, factored, plain) if shared is not plain else (factored, plain), key=sp.count_ops)
    if sp.count_ops(best) < sp.count_ops(expr):
        return best
    if best is not plain and best != plain and expr == plain:
        return best
    return expr


def nodes(expr: sp.Basic, limit: int = 50_000) -> int:
    """The number of nodes of the expression tree, counted without recursion up to `limit` (then `limit` + 1)."""
    stack, count = [expr], 0
    while stack and count <= limit:
        count += 1
        stack.extend(stack.pop().args)
    return count


def cancel_factors(expr: sp.Expr) -> sp.Expr:
    """A product with each base of its denominator cancelled against the same base negated in its numerator
    (z − d)/(z − 1)·(1 − z) = d − z, without expanding anything; other expressions as they are."""
    if not isinstance(expr, sp.Mul):
        return expr
    powers: dict = {}
    for factor in expr.args:
        base, exponent = (factor.base, factor.exp) if factor.is_Pow and factor.exp.is_Integer else (factor, 1)
        powers[base] = powers.get(base, 0) + exponent
    sign = 1
    for base in [b for b, e in powers.items() if e < 0 and not b.is_Number]:
        opposite = -base
        if powers.get(base, 0) < 0 and powers.get(opposite, 0) > 0:
            e, f = powers.pop(base), powers.pop(opposite)
            kept, power, flips = (opposite, e + f, e) if e + f >= 0 else (base, e + f, f)
            powers[kept], sign = power, sign * (-1) ** (flips % 2)
    if sign == 1 and len(powers) == len(expr.args) and all(e != 0 for e in powers.values()):
        return expr
    factors = [b**e for b, e in powers.items() if e != 0]
    if sign == -1:
        sums = [n for n, f in enumerate(factors) if isinstance(f, sp.Add)]  # d − z becomes z − d, 1 − y stays
        at = next((n for n in sums if not factors[n].as_coeff_Add()[0]), sums[0] if sums else None)
        factors = factors[:at] + [-factors[at]] + factors[at + 1:] if at is not None else [-1, *factors]
    return sp.Mul(*factors)


def expansion_size(expr: sp.Expr, limit: int = MAX_EXPANDED_TERMS) -> int:
    """An upper bound on the terms of the numerator and denominator that cancel() expands `expr` into (products of
    sums multiply, a power of a t-term sum has C(t+n−1, n) terms); counting stops past `limit`; no recursion."""
    cap, sizes, stack = limit + 1, {}, [expr]
    while stack:
        node = stack[-1]
        inner = node.args if isinstance(node, (sp.Add, sp.Mul, sp.Pow)) else ()
        waiting = [a for a in inner if a not in sizes]
        if waiting:
            stack.extend(waiting)
            continue
        stack.pop()
        sizes[node] = _combined_size(node, [sizes[a] for a in inner], cap)
    numerator, denominator = sizes[expr]
    return min(numerator + denominator, cap)


def _combined_size(node: sp.Expr, parts: list, cap: int) -> tuple[int, int]:
    """(numerator terms, denominator terms) of a node from those of its arguments, saturating at `cap`."""
    if isinstance(node, (sp.Mul, sp.Add)):
        numerators, denominators = [n for n, _ in parts], [d for _, d in parts]
        denominator = _product(denominators, cap)
        if isinstance(node, sp.Mul):
            return _product(numerators, cap), denominator
        return min(sum(numerators) * denominator, cap), denominator  # a/b + c/d = (a·d + c·b)/(b·d)
    if isinstance(node, sp.Pow) and node.exp.is_Integer:
        n, d = (_power_terms(t, abs(int(node.exp)), cap) for t in parts[0])
        return (n, d) if node.exp > 0 else (d, n)
    return 1, 1


def _product(values: list, cap: int) -> int:
    """The product of positive integers, saturating at `cap`."""
    result = 1
    for value in values:
        result = min(result * value, cap)
    return result


def _power_terms(terms: int, power: int, cap: int) -> int:
    """Terms of (a₁ + … + a_t)ⁿ expanded: C(t+n−1, n), or `cap` when that is larger."""
    if terms <= 1 or power == 0:
        return 1
    if terms >= cap or power >= cap:
        return cap
    return min(math.comb(terms + power - 1, power), cap)


def tidy_step(expr: sp.Expr) -> tuple[Step, ...]:
    """An `algebra` step to the tidy form, when that changes anything."""
    tidied = tidy(expr)
    return (Step(rule="algebra", rhs=tidied),) if tidied != expr else ()


def cancel_step(product: sp.Expr) -> tuple[Step, ...]:
    """An `algebra` step that cancels a product's factors against each other, when that changes anything;
    linear in the number of factors (nothing is expanded or factored)."""
    cancelled = cancel_factors(evaluate(product))
    return (Step(rule="algebra", rhs=cancelled),) if cancelled != product else ()


def fold_steps(expr: sp.Expr, definition: Definition) -> tuple[Step, ...]:
    """A `fold` step that writes the result back in terms of the named quantity."""
    folded = fold(expr, definition)
    size = sp.count_ops if nodes(expr) <= MAX_TIDIED_NODES else nodes
    if folded == expr or size(folded) > size(expr):
        return ()
    return (Step(rule="fold", rhs=folded),)


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
    correction = equal - different.xreplace({k: a})
    if expansion_size(different + correction) > MAX_EXPANDED_TERMS:
        return different + sp.KroneckerDelta(a, k) * correction  # expanding it would not be shorter
    return sp.factor_terms(sp.expand(different + sp.KroneckerDelta(a, k) * sp.expand(correction)))


def matrix_form(entry: sp.Expr, row: sp.Symbol, column: sp.Symbol, vectors: dict) -> sp.Expr | None:
    """Entry a_row·δ_{row,column} + c·u_row·v_column of a matrix, as diag(a) + c·uᵀv; None if not of that shape."""
    total = None
    if expansion_size(entry) > MAX_EXPANDED_TERMS:
        return None
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
