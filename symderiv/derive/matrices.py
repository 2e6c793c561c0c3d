"""Index form read back as matrix form, where one exists: δ_a x_b = (δxᵀ)_ab, Σ_i W_ib δ_i = (Wᵀδ)_b,
Σ_j A_kj x_j + Σ_i A_ik x_i = ((A + Aᵀ)x)_k, u_a v_a = (u ⊙ v)_a (checked entry by entry: check/entries.py)."""
from __future__ import annotations

import sympy as sp


def matrix_of(base: sp.IndexedBase, rows: sp.Expr, cols: sp.Expr | None = None) -> sp.MatrixSymbol:
    """The matrix named like `base`: a column vector when `cols` is None."""
    return sp.MatrixSymbol(str(base.label), rows, 1 if cols is None else cols)


def read_back(entry: sp.Expr, free: tuple, sizes: dict) -> sp.MatrixExpr | None:
    """The matrix (or column vector) whose entry at the free indices (a, b) or (a,) is `entry`, or None."""
    terms = sp.Add.make_args(entry)
    parts = [_term(term, free, sizes) for term in terms]
    if any(p is None for p in parts):
        return None
    return sp.MatAdd(*parts).doit() if len(parts) > 1 else parts[0]


def _term(term: sp.Expr, free: tuple, sizes: dict):
    """One term: a scalar times a product of vectors and matrices at the free indices."""
    if isinstance(term, sp.Sum):
        return _contraction(term, free, sizes)
    coefficient, factors = sp.S.One, []
    for factor in sp.Mul.make_args(term):
        if factor.free_symbols & set(free):
            factors.append(factor)
        else:
            coefficient *= factor
    if not factors:
        return None
    if len(free) == 2:
        return _outer(factors, free, sizes, coefficient)
    vectors = [_vector(f, free[0], sizes) for f in factors]
    if any(v is None for v in vectors):
        whole = elementwise(sp.Mul(*factors), free[0], sizes.get(free[0]))
        sums = [f for f in factors if isinstance(f, sp.Sum)]
        if len(sums) == 1:  # (Wᵀδ) ⊙ f′(p): the contraction, times the rest elementwise
            rest = elementwise(sp.Mul(*[f for f in factors if f is not sums[0]]), free[0], sizes.get(free[0]))
            contraction = _contraction(sums[0], free, sizes)
            vectors = [contraction, rest] if rest is not None and contraction is not None else [whole]
        else:
            vectors = [whole]
        if any(v is None for v in vectors):
            return None
    product = vectors[0] if len(vectors) == 1 else sp.HadamardProduct(*vectors)
    return coefficient * product if coefficient != 1 else product


class Elementwise(sp.MatrixSymbol):
    """A column vector whose entry a is a formula in the entries a of other vectors: σ′(p) = a ⊙ (1 − a)."""

    formulas: dict = {}  # name -> the formula with each vector written as a scalar symbol named like it

    def entry(self, row: sp.Expr) -> sp.Expr:
        """The entry at `row` (counted from 1)."""
        formula = self.formulas[self.name]
        return formula.xreplace({s: sp.IndexedBase(s.name)[row] for s in formula.free_symbols})

    def _latex(self, printer, exp=None):
        return rf"\left({printer._print(self.formulas[self.name])}\right)"

    def _symderiv_text(self, printer):
        return f"({printer._print(self.formulas[self.name])})"


def elementwise(factor: sp.Expr, a: sp.Symbol, size: sp.Expr) -> Elementwise | None:
    """The factor as an elementwise vector, when a occurs in it only as the index of vectors."""
    components = [q for q in factor.atoms(sp.Indexed) if a in q.free_symbols]
    if not components or any(q.indices != (a,) for q in components):
        return None
    formula = factor.xreplace({q: sp.Symbol(str(q.base.label)) for q in components})
    if a in formula.free_symbols or formula.has(sp.Sum, sp.KroneckerDelta):
        return None
    name = f"ew[{sp.srepr(formula)}]"
    Elementwise.formulas[name] = formula
    return Elementwise(name, size, 1)


def _vector(factor: sp.Expr, a: sp.Symbol, sizes: dict):
    """x_a as the column vector x; a formula in entries a as an elementwise vector; Σ_l W_la v_l as Wᵀv."""
    if isinstance(factor, sp.Indexed) and factor.indices == (a,):
        return matrix_of(factor.base, sizes.get(a))
    if isinstance(factor, sp.Sum):
        return _contraction(factor, (a,), sizes)
    return elementwise(factor, a, sizes.get(a))


def _outer(factors: list, free: tuple, sizes: dict, coefficient):
    """u_a v_b = (u vᵀ)_ab; W_ab = W; W_ba = (Wᵀ)_ab."""
    a, b = free
    if len(factors) == 1 and isinstance(factors[0], sp.Indexed) and len(factors[0].indices) == 2:
        W = factors[0]
        shape = (sizes.get(a), sizes.get(b))
        if W.indices == (a, b):
            matrix = matrix_of(W.base, *shape)
        elif W.indices == (b, a):
            matrix = matrix_of(W.base, *shape[::-1]).T
        else:
            return None
        return coefficient * matrix if coefficient != 1 else matrix
    left = [f for f in factors if f.free_symbols & {a} and not f.free_symbols & {b}]
    right = [f for f in factors if f.free_symbols & {b} and not f.free_symbols & {a}]
    if len(left) != 1 or len(right) != 1 or len(factors) != 2:
        return None
    u, v = _vector(left[0], a, sizes), _vector(right[0], b, sizes)
    if u is None or v is None:
        return None
    outer = sp.MatMul(u, v.T)
    return coefficient * outer if coefficient != 1 else outer


def _contraction(node: sp.Sum, free: tuple, sizes: dict):
    """Σ_l W_la v_l = (Wᵀv)_a and Σ_l W_al v_l = (Wv)_a, for one free index a."""
    if len(node.limits) != 1 or len(free) != 1:
        return None
    (l, _, size), a = node.limits[0], free[0]
    factors = [f for f in sp.Mul.make_args(node.function)]
    matrices = [f for f in factors if isinstance(f, sp.Indexed) and len(f.indices) == 2]
    vectors = [f for f in factors if isinstance(f, sp.Indexed) and f.indices == (l,)]
    if len(matrices) != 1 or len(vectors) != 1 or len(factors) != 2:
        return None
    W, v = matrices[0], matrix_of(vectors[0].base, size)
    if W.indices == (l, a):
        return sp.MatMul(matrix_of(W.base, size, sizes.get(a)).T, v)
    if W.indices == (a, l):
        return sp.MatMul(matrix_of(W.base, sizes.get(a), size), v)
    return None
