"""Identities over tensors of any rank, several sizes (N, M, …) and nested sums, decided for every size ≥ 1.

Applies when every sum runs over a whole range 1..B of a size B, and every index is written plainly (no x_1, no
x_{j+1}, no k used as a number): then only the equality pattern of the free indices matters. Each free index takes
the size of the places it is written at (model/ranges.py; a conflict is undecided). One case per equality pattern
within each size: each block of equal indices at its own position, the sizes symbolic. Sums are split from the
outside in: Σ_{j=1}^{B} f_j = Σ_p f_p over the case's positions p of size B, plus a fresh symbol R for the rest
(where every δ_jp vanishes), one per summand and size. Two equal summands share R; different ones get independent
symbols, which is sound (the true rests are some values of them) and may only leave an identity undecided.
A case that fails is confirmed at concrete sizes and index values before the identity is called false.
"""
from __future__ import annotations

import itertools

import sympy as sp

from symderiv.check.exact import MAX_TERMS, expansion_size
from symderiv.model.ranges import RangeConflict, index_ranges, is_size
from symderiv.model.steps import Check

MAX_FREE = 5  # free indices over all sizes
MAX_PATTERNS = 400  # equality patterns decided at most
_GENERIC = "ȷ"  # the summation index of a rest; user names are ASCII, so it never meets one


def by_sizes(expr: sp.Expr, plain_free: bool) -> bool:
    """Whether the identity is of the form decided here, and needs it (several sizes, tensors or nested sums)."""
    sums = list(expr.atoms(sp.Sum))
    if not plain_free or not all(low == 1 and is_size(high) for s in sums for _, low, high in s.limits):
        return False
    places = [i for n in expr.atoms(sp.Indexed) for i in n.indices] + [a for d in expr.atoms(sp.KroneckerDelta) for a in d.args]
    if not all(isinstance(i, sp.Symbol) and not is_size(i) for i in places):
        return False
    sizes = {high for s in sums for _, _, high in s.limits}
    tensors = any(len(n.indices) > 1 for n in expr.atoms(sp.Indexed))
    inside = any(len(s.limits) > 1 or s.function.has(sp.Sum) for s in sums)
    return len(sizes) > 1 or tensors or inside or bool(sizes - {sp.Symbol("N", integer=True, positive=True)})


def decide_by_sizes(left: sp.Expr, right: sp.Expr, conditions: tuple, decide, admissible, instance, at,
                    refute: bool = True) -> Check:
    """left = right for all sizes ≥ 1 and all values of the free indices within their sizes."""
    try:
        ranges = index_ranges(left, right)
    except RangeConflict as conflict:
        if not refute:
            return Check(ok=None, method="index", detail=f"undecided: {conflict}")
        return _search(left, right, conditions, decide, admissible, instance, at, str(conflict))
    free = sorted((s for s in (left - right).free_symbols if isinstance(s, sp.Symbol) and s.is_integer
                   and not is_size(s) and not isinstance(s, sp.Dummy)), key=str)
    if len(free) > MAX_FREE:
        return Check(ok=None, method="index", detail=f"undecided: more than {MAX_FREE} free indices")
    groups: dict = {}
    for k in free:
        groups.setdefault(ranges.get(k, sp.Symbol("N", integer=True, positive=True)), []).append(k)
    count, methods = 0, set()
    for case in _patterns(groups):
        if not admissible(conditions, case["binding"]):
            continue
        count += 1
        if count > MAX_PATTERNS:
            return Check(ok=None, method="index", detail="undecided: too many index cases to decide")
        rests: dict = {}
        sides = [_placed(side, case, rests) for side in (left, right)]
        check = decide(*sides)
        if check.ok is not True:
            if not refute:
                return Check(ok=None, method="index", detail=f"undecided: {check.detail}")
            return _refute(left, right, case, groups, conditions, decide, admissible, instance, at, check)
        methods.add(check.method)
    every = " and ".join(f"{b} ≥ 1" for b in sorted(_sizes(left, right) | set(groups), key=str)) or "size"
    method = "index" if methods <= {"exact", "structural"} else "index+numeric"
    return Check(ok=True, method=method, detail=f"every {every}: {count} equality pattern"
                 f"{'s' * (count != 1)} of the indices, sizes and the rest of each sum symbolic, "
                 f"{'/'.join(sorted(methods)) or 'no case'}")


def _patterns(groups: dict):
    """Each equality pattern of the free indices, within each size: a binding to distinct positions."""
    from symderiv.check.indices import _set_partitions

    sizes = list(groups)
    for blocks_per_size in itertools.product(*[list(_set_partitions(groups[b])) for b in sizes]):
        binding, points, distinct = {}, {}, []
        for size, blocks in zip(sizes, blocks_per_size):
            points[size] = [sp.Dummy(f"p{n}", integer=True, positive=True) for n in range(len(blocks))]
            distinct.append(points[size])
            binding.update({k: p for block, p in zip(blocks, points[size]) for k in block})
        yield {"binding": binding, "points": points, "distinct": distinct}


def _placed(expr: sp.Expr, case: dict, rests: dict) -> sp.Expr:
    """The expression in one case: indices placed, sums split from the outside in, δ's between positions decided."""
    placed = _split_all(expr.xreplace(case["binding"]), case, rests)
    distinct = {p for group in case["distinct"] for p in group}
    placed = placed.replace(lambda n: isinstance(n, sp.KroneckerDelta) and set(n.args) <= distinct,
                            lambda n: sp.S.One if n.args[0] == n.args[1] else sp.S.Zero)
    return placed.replace(lambda n: isinstance(n, (sp.Eq, sp.Ne)) and set(n.args) <= distinct,
                          lambda n: sp.true if (n.args[0] == n.args[1]) == isinstance(n, sp.Eq) else sp.false)


def _split_all(expr: sp.Expr, case: dict, rests: dict) -> sp.Expr:
    if isinstance(expr, sp.Sum):
        return _split(expr, case, rests)
    if not expr.args or not expr.has(sp.Sum):
        return expr
    return expr.func(*[_split_all(a, case, rests) for a in expr.args])


def _split(node: sp.Sum, case: dict, rests: dict) -> sp.Expr:
    """Σ over the outermost limit split at the case's positions, plus the rests; inner limits stay a sum."""
    (j, _, size), inner = node.limits[-1], node.limits[:-1]
    body = sp.Sum(node.function, *inner) if inner else node.function
    total = []
    whole = _transcendental(body) or expansion_size(body) > MAX_TERMS  # kept whole: its rest in one canonical form
    for term in sp.Add.make_args(body if whole else sp.expand(body)):
        if j not in term.free_symbols:
            total.append(_split_all(term, case, rests) * size)
            continue
        if not term.has(sp.Indexed, sp.KroneckerDelta, sp.Function, sp.Sum) and term.is_polynomial(j):
            total.append(sp.summation(term, (j, 1, size)))
            continue
        total += [_split_all(term.xreplace({j: p}), case, rests) for p in case["points"].get(size, [])]
        total.append(_rest(term, j, size, case, rests))
    return sp.Add(*total)


def _rest(term: sp.Expr, j: sp.Symbol, size: sp.Symbol, case: dict, rests: dict) -> sp.Expr:
    """Σ of `term` over the j in 1..size at none of the case's positions: a fresh symbol per summand and size."""
    depth = sum(1 for s in term.free_symbols if s.name.startswith(_GENERIC))  # rests within rests: fresh names
    generic = sp.Symbol(f"{_GENERIC}{depth}_{size}", integer=True)
    points = set(case["points"].get(size, []))
    off = lambda n: isinstance(n, sp.KroneckerDelta) and generic in n.args and set(n.args) - {generic} <= points
    body = term.xreplace({j: generic}).replace(off, lambda n: sp.S.Zero)
    for factor in sp.Mul.make_args(body):  # Σ_{j off the positions} f_j δ_jg = f_g for g off them too
        other = set(factor.args) - {generic} if isinstance(factor, sp.KroneckerDelta) and generic in factor.args else set()
        if len(other) == 1 and isinstance(next(iter(other)), sp.Symbol) and next(iter(other)).name.endswith(f"_{size}") and next(iter(other)).name.startswith(_GENERIC):
            return _split_all((body / factor).xreplace({generic: next(iter(other))}), case, rests)
    body = _split_all(body, case, rests)  # sums inside, over other indices, split too (their rests depend on j)
    body = body.replace(off, lambda n: sp.S.Zero)
    total = []
    transcendental = _transcendental(body)
    parts = [sp.factor_terms(body)] if transcendental else sp.Add.make_args(
        sp.expand(body) if expansion_size(body) <= MAX_TERMS else body)
    for part in parts:
        factors = sp.Mul.make_args(part)
        constant = sp.Mul(*[f for f in factors if generic not in f.free_symbols])
        varying = sp.Mul(*[f for f in factors if generic in f.free_symbols])
        if transcendental and expansion_size(varying) <= MAX_TERMS:  # one canonical form of a rational function
            content, varying = sp.cancel(varying).as_content_primitive()
            constant *= content
        varying = _canonical(varying)
        if varying == 1:  # a term free of j: it is summed over the size − (positions) other places
            total.append(constant * (size - len(points)))
            continue
        key = (varying, size)
        if key not in rests:
            positive = _positive(varying)
            rests[key] = sp.Dummy(f"R{len(rests)}", nonnegative=True) if positive else sp.Dummy(f"R{len(rests)}")
        total.append(constant * rests[key])
    return sp.Add(*total)


def _transcendental(body: sp.Expr) -> bool:
    """A summand through exponentials or other functions (not a polynomial in the components)."""
    return body.has(sp.exp, sp.log, sp.Function) and not body.has(sp.Piecewise)


def _canonical(expr: sp.Expr, depth: int = 0) -> sp.Expr:
    """Summation indices renamed by their depth, so that equal sums written on the two sides are equal."""
    if isinstance(expr, sp.Sum):
        names = {j: sp.Symbol(f"ι{depth + n}", integer=True) for n, (j, *_) in enumerate(expr.limits)}
        limits = [(names[j], low, high) for j, low, high in expr.limits]
        return sp.Sum(_canonical(expr.function.xreplace(names), depth + len(limits)), *limits)
    if not expr.args or not expr.has(sp.Sum):
        return expr
    return expr.func(*[_canonical(a, depth) for a in expr.args])


def _positive(body: sp.Expr) -> bool:
    exponentials = {e: sp.Dummy(positive=True) for e in body.atoms(sp.exp)}
    return body.xreplace(exponentials).is_positive is True


def _refute(left, right, case, groups, conditions, decide, admissible, instance, at, failed: Check) -> Check:
    """A failed pattern confirmed at concrete sizes and index values, or undecided."""
    for extra in (0, 1, 2, 3, 5, 8):
        binding = {}
        for size, group in case["points"].items():
            binding[size] = sp.Integer(len(group) + extra)
        for k, p in case["binding"].items():
            size = next(b for b, group in case["points"].items() if p in group)
            binding[k] = sp.Integer(case["points"][size].index(p) + 1)
        for size in _sizes(left, right):
            binding.setdefault(size, sp.Integer(1 + extra))
        if not admissible(conditions, binding):
            continue
        check = decide(*(instance(side, binding) for side in (left, right)))
        if check.ok is False:
            return at(binding, check)
    return Check(ok=None, method="index", detail=f"undecided: a case differs symbolically ({failed.detail}) "
                                                  "but no concrete counterexample was found")


def _search(left, right, conditions, decide, admissible, instance, at, why: str) -> Check:
    """Sizes that conflict: no proof, but a counterexample at small sizes (each 1..3) still refutes."""
    sizes = sorted(_sizes(left, right), key=str)
    free = sorted((s for s in (left - right).free_symbols if isinstance(s, sp.Symbol) and s.is_integer
                   and not is_size(s) and not isinstance(s, sp.Dummy)), key=str)
    if len(sizes) + len(free) <= 6:
        for values in itertools.product(range(1, 4), repeat=len(sizes)):
            binding = dict(zip(sizes, map(sp.Integer, values)))
            for places in itertools.product(range(1, max(values, default=1) + 1), repeat=len(free)):
                binding.update(zip(free, map(sp.Integer, places)))
                if admissible(conditions, binding):
                    check = decide(*(instance(side, binding) for side in (left, right)))
                    if check.ok is False:
                        return at(dict(binding), check)
    return Check(ok=None, method="index", detail=f"undecided: {why}")


def _sizes(*sides: sp.Expr) -> set:
    """The sizes the sums of the sides run up to."""
    return {s for side in sides for n in side.atoms(sp.Sum) for _, _, s in n.limits}
