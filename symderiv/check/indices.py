"""Identities with free indices and finite sums Σ_{j=a}^{b}, decided for every N ≥ 1 by a finite case analysis.

Free indices i, k, … range over 1..N. An index expression is a free index, N or 0 plus an integer offset
(k + 1, N − 1, 3); the largest offset is r, and every position within w = 2r of a free index is "near" it.
The configurations (N and the values of the free indices) split into finitely many cases:

* small N (N ≤ the constants + w·(indices + 1)): every value of every index, sums written out term by term;
* larger N: each index is at a concrete low value (near 1), at N − q (near N), or in a cluster of indices at
  fixed offsets from each other, clusters far apart. Positions are written with fresh gaps g ≥ 0
  (k = 3 + g₀, N = k + 2 + g₁), so one case covers infinitely many N. Each sum is split into its terms at
  the special positions (near 1, near N, near each cluster), which it may contain or not, plus, for each
  stretch between them, a fresh symbol R standing for the rest of the sum there (a δ vanishes in the rest).
  Summands polynomial in j alone are summed in closed form.

A case holds when its sides are equal for all values of the gaps and rests (exact rational identity, or the
numeric oracle as evidence); that is sound, since the true rests are some values of R. A case that fails is
confirmed on a concrete N and index values before the identity is called false.
"""
from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import sympy as sp

from symderiv.check.classes import by_sizes, decide_by_sizes
from symderiv.check.exact import MAX_TERMS, exact_zero, expansion_size
from symderiv.check.sampling import Witness, describe
from symderiv.model.steps import Check
from symderiv.model.symbols import N

MAX_INDICES = 5  # free indices; beyond this the case analysis is refused
MAX_CONSTANT = 64  # an index constant or sum bound beyond this is kept symbolic (never written out)
MAX_CASES = 400  # index cases (or small-N instances) decided at most; beyond, the identity is undecided
MAX_SECONDS = 20.0  # time for one identity's case analysis; beyond, it is undecided


class Unsupported(Exception):
    """The identity is outside the index forms this procedure decides."""


@dataclass(frozen=True)
class Shape:
    """The index structure of an identity: its free indices and how far its offsets reach."""

    indices: tuple[sp.Symbol, ...]
    width: int  # w: positions within w of an index are near it
    low: int  # the largest constant position
    high: int  # the largest q in a position N − q
    least: int  # the smallest constant position
    above: int  # the largest c in a position N + c
    ordered: bool  # whether the order of far-apart indices matters (their values are used, not only as labels)
    symmetric: bool  # every sum runs over 1..N, no constant positions or offsets: only equalities of indices matter


@dataclass
class Case:
    """One case: the binding of N and every free index to an expression in nonnegative gaps."""

    binding: dict
    points: list  # special positions in increasing order
    stretches: list  # (after, before): the rest lies strictly between these special positions
    gaps: tuple = ()
    rests: dict = field(default_factory=dict)
    distinct: tuple = ()  # position symbols that stand for pairwise different values in 1..N
    symmetric: bool = False  # positions are `distinct`, N is symbolic, each sum has one rest


def decide_indexed(left: sp.Expr, right: sp.Expr, conditions: tuple, decide: Callable, refute: bool = True) -> Check:
    """left = right for all N ≥ 1 and all values of the free indices in 1..N that satisfy `conditions`
    (`refute`: a failed case is confirmed by a concrete counterexample; otherwise it is undecided at once)."""
    left, right = _done(left), _done(right)
    if exact_zero(left - right) is True:
        return Check(ok=True, method="exact", detail="rational-function identity, sums and indices kept symbolic")
    left, right = renamed(left), renamed(right)
    if by_sizes(left - right, _plain(left - right)):
        by_patterns = decide_by_sizes(left, right, conditions, decide, _admissible, instance, _at, refute)
        if by_patterns.ok is not None or not _one_size(left - right):
            return by_patterns
        # one size N, vectors only: the cases below may still decide it (sums over other sums' terms kept whole)
    try:
        shape = shape_of(left - right)
    except Unsupported as reason:
        return Check(ok=None, method="index", detail=f"undecided: {reason}")
    if len(shape.indices) > MAX_INDICES:
        return Check(ok=None, method="index", detail=f"undecided: more than {MAX_INDICES} free indices")
    small = 0 if shape.symmetric else _small_sizes(shape)
    deadline = time.monotonic() + MAX_SECONDS
    for number, binding in enumerate(_concrete_bindings(shape, small)):
        if number > MAX_CASES or time.monotonic() > deadline:
            return Check(ok=None, method="index", detail="undecided: too many index cases to decide in time")
        if not _admissible(conditions, binding):
            continue
        check = decide(*(instance(side, binding) for side in (left, right)))
        if check.ok is not True:
            return _at(binding, check)
    methods, count = set(), 0
    for case in (symmetric_cases(shape) if shape.symmetric else cases(shape)):
        if not _admissible(conditions, case.binding):
            continue
        count += 1
        if count > MAX_CASES or time.monotonic() > deadline:
            return Check(ok=None, method="index", detail="undecided: too many index cases to decide in time")
        try:
            sides = [expand_case(side, case) for side in (left, right)]
        except Unsupported as reason:
            return Check(ok=None, method="index", detail=f"undecided: {reason}")
        check = decide(*sides)
        if check.ok is not True:
            if not refute:
                return Check(ok=None, method="index", detail=f"undecided: {check.detail}")
            return _refute(left, right, case, conditions, decide, check)
        methods.add(check.method)
    method = "index" if methods <= {"exact", "structural"} else "index+numeric"
    how = (f"{count} equality pattern{'s' * (count != 1)} of the indices, N and the rest of each sum symbolic" if shape.symmetric else
           f"N ≤ {small} written out, larger N in {count} index cases with symbolic gaps and rests")
    detail = f"every N ≥ 1: {how}, {'/'.join(sorted(methods)) or 'no case'}"
    return Check(ok=True, method=method, detail=detail)


def _done(expr: sp.Expr) -> sp.Expr:
    """Derivatives done by sympy's diff, sums left as they are (∂/∂x_k Σ_j f(x_j) = Σ_j f′(x_j) δ_jk)."""
    while expr.has(sp.Derivative):
        expr = expr.replace(lambda n: isinstance(n, sp.Derivative) and not n.expr.has(sp.Derivative),
                            lambda n: sp.diff(n.expr, *n.variables))
    return expr


def renamed(expr: sp.Expr) -> sp.Expr:
    """Every summation index renamed to a fresh one, so that no bound name is also a free index."""
    def fresh(node):
        new = {j: sp.Dummy(str(j), integer=True) for j, *_ in node.limits}
        return sp.Sum(node.function.xreplace(new), *[(new[j], low, high) for j, low, high in node.limits])

    return expr.replace(lambda n: isinstance(n, sp.Sum), fresh)


def _at(binding: dict, check: Check) -> Check:
    """A failed instance, its index values put before the point of the witness."""
    if check.witness is None:
        where = ", ".join(f"{k} = {v}" for k, v in binding.items())
        return Check(ok=check.ok, method=f"index+{check.method}", detail=f"at {where}: {check.detail}")
    witness = Witness(point=tuple(binding.items()) + check.witness.point, left=check.witness.left,
                      right=check.witness.right)
    return Check(ok=check.ok, method=f"index+{check.method}", detail=describe(witness), witness=witness)


def _refute(left, right, case: Case, conditions, decide, failed: Check) -> Check:
    """A failed case confirmed at concrete gaps (a counterexample), or undecided when no concrete one differs."""
    for value in (*range(8), 10, 13, 20, 30, 45, 60):
        concrete = {g: value for g in case.gaps}
        concrete.update({p: n + 1 for n, p in enumerate(case.distinct)})
        concrete.setdefault(N, max(len(case.distinct), 1) + value)
        binding = {N: sp.Integer(case.binding.get(N, N).xreplace(concrete))}
        binding.update({s: sp.Integer(e.xreplace(concrete)) for s, e in case.binding.items()})
        if binding[N] > 4 * MAX_CONSTANT or binding[N] < 1 or not _admissible(conditions, binding):
            continue
        check = decide(*(instance(side, binding) for side in (left, right)))
        if check.ok is False:
            return _at(binding, check)
    return Check(ok=None, method="index", detail=f"undecided: a case differs symbolically ({failed.detail}) "
                                                  "but no concrete counterexample was found")


def _admissible(conditions: tuple, binding: dict) -> bool:
    """False when a condition on the indices is false under the binding (others are not about indices)."""
    for condition in conditions:
        if not (condition.free_symbols & set(binding)):
            continue
        value = renamed(condition).xreplace(binding)
        if value == sp.false:
            return False
    return True


# --- the shape of an identity --------------------------------------------------------------------------------

def affine(expr: sp.Expr, dummies: set) -> tuple[sp.Basic, int]:
    """An index expression as (base, offset): base is 0, N, a free index or a summation index."""
    expr = sp.sympify(expr)
    if expr.is_Integer:
        return sp.S.Zero, int(expr)
    base, offset = expr.as_coeff_Add() if expr.is_Add else (sp.S.Zero, expr)
    offset, base = (base, offset) if base.is_Integer else (offset, base)
    if not (isinstance(base, sp.Symbol) and (base.is_integer or base in dummies)) or not sp.sympify(offset).is_Integer:
        raise Unsupported(f"the index expression {expr} is not an index plus a whole number")
    return base, int(offset)


def shape_of(expr: sp.Expr) -> Shape:
    """The free indices and offsets of `expr`; Unsupported for index forms beyond an index plus a number."""
    sums = list(expr.atoms(sp.Sum))
    dummies = set()
    for node in sums:
        if len(node.limits) != 1:
            raise Unsupported("a sum over several indices at once")
        dummies.add(node.limits[0][0])
    for node in sums:
        (j, low, high), = node.limits
        if (node.function.free_symbols | low.free_symbols | high.free_symbols) & (dummies - {j}):
            raise Unsupported("a sum whose range or terms depend on another sum's index")
    positions, labels_only = [], True
    for node in expr.atoms(sp.Indexed):
        positions += [affine(i, dummies) for i in node.indices]
    for node in expr.atoms(sp.KroneckerDelta):
        positions += [affine(i, dummies) for i in node.args]
    for node in sums:
        positions += [affine(bound, dummies) for bound in node.limits[0][1:]]
    labelled = {i for node in expr.atoms(sp.Indexed, sp.KroneckerDelta) for i in node.free_symbols}
    indices = sorted((s for s in expr.free_symbols if isinstance(s, sp.Symbol) and s.is_integer and s != N
                      and s not in dummies), key=str)
    for s in indices:
        if s not in labelled or _used_as_number(expr, s):
            labels_only = False
    for rel in _index_relations(expr):
        positions += [affine(side, dummies) for side in (rel.lhs, rel.rhs)]
    constants = [o for b, o in positions if b == 0]
    from_top = [o for b, o in positions if b == N]
    reach = max([abs(o) for b, o in positions if b != 0 and b != N] + [0])
    if any(abs(c) > MAX_CONSTANT for c in constants + from_top):
        raise Unsupported(f"an index constant or sum bound beyond {MAX_CONSTANT}")
    bound_by_index = any(b in indices for node in sums for b, _ in (affine(x, dummies) for x in node.limits[0][1:]))
    full_range = all(node.limits[0][1:] == (1, N) for node in sums)
    symmetric = full_range and labels_only and reach == 0 and set(constants) <= {1} and set(from_top) <= {0} and not any(
        b == 0 or b == N for b, _ in positions if (b, _) not in [(0, 1), (N, 0)]) and not _constant_positions(expr)
    return Shape(indices=tuple(indices), width=2 * reach, low=max(constants + [1]), high=max([-o for o in from_top] + [0]),
                 least=min(constants + [1]), above=max([o for o in from_top] + [0]),
                 ordered=not labels_only or bound_by_index, symmetric=symmetric)


def _one_size(expr: sp.Expr) -> bool:
    """Every sum over 1..N with one limit, and every component a vector's: the form the cases below handle."""
    sums = expr.atoms(sp.Sum)
    return (all(len(s.limits) == 1 and s.limits[0][2] == N for s in sums)
            and all(len(q.indices) == 1 for q in expr.atoms(sp.Indexed)))


def _plain(expr: sp.Expr) -> bool:
    """No free index used as a number, and no relation between indices other than = and ≠."""
    free = [s for s in expr.free_symbols if isinstance(s, sp.Symbol) and s.is_integer and s.is_positive is not True
            and not isinstance(s, sp.Dummy)]
    relations = [rel for rel in _index_relations(expr) if not _index_equality(rel)]
    return not relations and not any(_used_as_number(expr, s) for s in free)


def _constant_positions(expr: sp.Expr) -> bool:
    """Whether a component, delta or condition names a fixed position (x[1], N, δ_{k1}): sum bounds aside."""
    fixed = [i for node in expr.atoms(sp.Indexed) for i in node.indices] + [
        a for node in expr.atoms(sp.KroneckerDelta) for a in node.args]
    ordering = [rel for rel in _index_relations(expr) if not _index_equality(rel)]
    return any(not (i.free_symbols - {N}) for i in fixed) or bool(ordering)


def _index_relations(expr: sp.Expr) -> list:
    """The relations between indices in the conditions of case splits (k ≥ 2), not those between values."""
    return [rel for node in expr.atoms(sp.Piecewise) for _, condition in node.args
            for rel in condition.atoms(sp.core.relational.Relational)
            if all(isinstance(s, sp.Symbol) and s.is_integer for s in rel.free_symbols)]


def _used_as_number(expr: sp.Expr, index: sp.Symbol) -> bool:
    """Whether `index` occurs outside the subscripts of components and deltas (as in k·x_k)."""
    masked = expr.replace(lambda n: isinstance(n, (sp.Indexed, sp.KroneckerDelta)), lambda n: sp.S.One)
    masked = masked.replace(_index_equality, lambda n: sp.true)
    masked = masked.replace(lambda n: isinstance(n, sp.Sum), lambda n: sp.Sum(n.function, (n.limits[0][0], 1, 2)))
    return index in masked.free_symbols


# --- small N: every value ------------------------------------------------------------------------------------

def _small_sizes(shape: Shape) -> int:
    """The largest N not covered by the symbolic cases: constants and neighbourhoods fill 1..N."""
    return shape.low + shape.high + shape.width * (len(shape.indices) + 1) + shape.above


def _concrete_bindings(shape: Shape, largest: int) -> Iterator[dict]:
    for n in range(1, largest + 1):
        for values in itertools.product(range(1, n + 1), repeat=len(shape.indices)):
            yield {N: sp.Integer(n), **{s: sp.Integer(v) for s, v in zip(shape.indices, values)}}


def instance(expr: sp.Expr, binding: dict) -> sp.Expr:
    """The expression at concrete N and index values, with its sums written out term by term."""
    concrete = expr.xreplace(binding)

    def written_out(node):
        body = node.function
        for j, low, high in node.limits:
            if not (low.is_Integer and high.is_Integer):
                return node
            if high - low > 4 * MAX_CONSTANT:
                raise Unsupported(f"a sum of more than {4 * MAX_CONSTANT} terms")
            body = sp.Add(*[body.xreplace({j: value}) for value in range(int(low), int(high) + 1)])
        return body

    return concrete.replace(lambda n: isinstance(n, sp.Sum), written_out).doit()


# --- larger N: cases with gaps -------------------------------------------------------------------------------

def symmetric_cases(shape: Shape) -> Iterator[Case]:
    """For identities symmetric under permutations of 1..N: one case per equality pattern of the free indices,
    each block at its own distinct position, N kept symbolic, one rest per sum."""
    for blocks in _set_partitions(list(shape.indices)):
        positions = [sp.Dummy(f"p{n}", integer=True, positive=True) for n in range(len(blocks))]
        binding = {member: p for block, p in zip(blocks, positions) for member in block}
        yield Case(binding=binding, points=positions, stretches=[None], distinct=tuple(positions),
                   symmetric=True)


def cases(shape: Shape) -> Iterator[Case]:
    """Every placement of the free indices: near 1, near N, or in clusters far from both and from each other."""
    w, count = shape.width, len(shape.indices)
    low_values = range(1, shape.low + w * count + 1)
    high_values = range(0, shape.high + w * count + 1)
    for places in itertools.product(("low", "high", "far"), repeat=count):
        far = [s for s, p in zip(shape.indices, places) if p == "far"]
        lows = [s for s, p in zip(shape.indices, places) if p == "low"]
        highs = [s for s, p in zip(shape.indices, places) if p == "high"]
        for low in itertools.product(low_values, repeat=len(lows)):
            for high in itertools.product(high_values, repeat=len(highs)):
                for clusters in _clusters(far, w, shape.ordered):
                    yield _case(shape, dict(zip(lows, low)), dict(zip(highs, high)), clusters)


def _clusters(indices: list, w: int, ordered: bool) -> Iterator[list]:
    """Ordered groups of indices, each member at an offset in 0..w·(size−1) from the group's first position."""
    for blocks in _set_partitions(indices):
        for order in (itertools.permutations(blocks) if ordered else [blocks]):
            for offsets in itertools.product(*[_offsets(block, w) for block in order]):
                yield list(zip(order, offsets))


def _set_partitions(items: list) -> Iterator[list]:
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for partition in _set_partitions(rest):
        yield [[first]] + partition
        for n in range(len(partition)):
            yield partition[:n] + [[first] + partition[n]] + partition[n + 1:]


def _offsets(block: list, w: int) -> Iterator[tuple]:
    """Offsets of a cluster's members: the first at 0, consecutive sorted positions at most w apart."""
    if w == 0:
        yield (0,) * len(block)
        return
    for values in itertools.product(range(0, w * (len(block) - 1) + 1), repeat=len(block) - 1):
        offsets = (0,) + values
        ordered = sorted(offsets)
        if all(b - a <= w for a, b in zip(ordered, ordered[1:])):
            yield offsets


def _case(shape: Shape, lows: dict, highs: dict, clusters: list) -> Case:
    w = shape.width
    top_low = max([shape.low, *lows.values()])
    top_high = max([shape.high, *highs.values()])
    gaps = tuple(sp.Dummy(f"g{n}", integer=True, nonnegative=True) for n in range(len(clusters) + 1))
    binding, points, stretches = {}, list(range(min(shape.least, 1) - w, top_low + w + 1)), []
    edge = sp.Integer(top_low + w)
    for (members, offsets), gap in zip(clusters, gaps):
        start = edge + w + 1 + gap
        binding.update({m: start + o for m, o in zip(members, offsets)})
        stretches.append((edge, start - w))
        points += [start + d for d in range(-w, max(offsets) + w + 1)]
        edge = start + max(offsets) + w
    n = edge + top_high + w + 1 + gaps[-1]
    stretches.append((edge, n - top_high - w))
    points += [n - q for q in range(top_high + w, -shape.above - w - 1, -1)]
    binding.update({s: n - q for s, q in highs.items()})
    binding.update({s: sp.Integer(v) for s, v in lows.items()})
    return Case(binding={N: n, **binding}, points=points, stretches=stretches, gaps=gaps)


def expand_case(expr: sp.Expr, case: Case) -> sp.Expr:
    """The expression in one case: indices placed, each sum split into its special terms and rests."""
    placed = expr.xreplace(case.binding)
    split = placed.replace(lambda n: isinstance(n, sp.Sum), lambda n: _split(n, case))
    distinct = set(case.distinct)
    split = split.replace(lambda n: isinstance(n, sp.KroneckerDelta) and set(n.args) <= distinct,
                          lambda n: sp.S.One if n.args[0] == n.args[1] else sp.S.Zero)
    return split.replace(lambda n: _index_equality(n) and set(n.args) <= distinct,
                         lambda n: sp.true if (n.args[0] == n.args[1]) == isinstance(n, sp.Eq) else sp.false)


def _index_equality(node) -> bool:
    """i = k or i ≠ k between two free indices: what a symmetric case decides by its equality pattern."""
    return (isinstance(node, (sp.Eq, sp.Ne)) and node.lhs.is_Symbol and node.rhs.is_Symbol
            and node.lhs.is_integer and node.rhs.is_integer and N not in node.free_symbols)


def _split(node: sp.Sum, case: Case) -> sp.Expr:
    (j, low, high), = node.limits
    total = []
    summand = node.function
    for term in sp.Add.make_args(sp.expand(summand) if expansion_size(summand) <= MAX_TERMS else summand):
        if _polynomial_in(term, j):
            total.append(_closed_form(term, j, low, high))
            continue
        if case.symmetric:  # a symmetric case: every position lies in 1..N, one rest holds every other term
            inside, stretches = case.points, [0]
        else:
            inside = [p for p in case.points if _between(low, p, high)]
            stretches = [t for t, (after, before) in enumerate(case.stretches)
                         if _between(low, after, high) and _between(low, before, high)]
        total += [term.xreplace({j: p}) for p in inside]
        total += [_rest(term, j, case, stretch) for stretch in stretches]
    return sp.Add(*total)


def _polynomial_in(term: sp.Expr, j: sp.Symbol) -> bool:
    """A term whose dependence on j is polynomial and not through components or deltas."""
    inner = [n for n in term.atoms(sp.Indexed, sp.KroneckerDelta, sp.Function) if j in n.free_symbols]
    return not inner and term.is_polynomial(j)


def _closed_form(term: sp.Expr, j: sp.Symbol, low: sp.Expr, high: sp.Expr) -> sp.Expr:
    return sp.summation(term, (j, low, high)) if _nonnegative(high - low + 1) else sp.S.Zero


def _between(low: sp.Expr, point: sp.Expr, high: sp.Expr) -> bool:
    return _nonnegative(point - low) and _nonnegative(high - point)


def _nonnegative(expr: sp.Expr) -> bool:
    """The sign of a whole number plus nonnegative gaps with whole coefficients; Unsupported when it has none."""
    terms = sp.Add.make_args(sp.expand(expr))
    constant = sum((t for t in terms if t.is_Integer), sp.S.Zero)
    slopes = [t.as_coeff_Mul() for t in terms if not t.is_Integer]
    if not all(g.is_Symbol and g.is_nonnegative and c.is_Integer for c, g in slopes):
        sign = expr.is_nonnegative  # positions that are not gap expressions: ask sympy
        if sign is None:
            raise Unsupported("a sum bound that cannot be placed among the special positions")
        return bool(sign)
    if constant >= 0 and all(c >= 0 for c, _ in slopes):
        return True
    if constant < 0 and all(c <= 0 for c, _ in slopes):
        return False
    raise Unsupported("a sum bound that cannot be placed among the special positions")


def _rest(term: sp.Expr, j: sp.Symbol, case: Case, stretch: int) -> sp.Expr:
    """The sum of `term` over one stretch between special positions: a fresh symbol, one per term and stretch."""
    generic = sp.Symbol("J", integer=True)
    body = term.xreplace({j: generic})
    body = body.replace(lambda n: isinstance(n, sp.KroneckerDelta) and generic in (n.args[0] - n.args[1]).free_symbols,
                        lambda n: sp.S.Zero)  # in the rest, j is at no special position
    if body == 0:
        return sp.S.Zero
    factors = sp.Mul.make_args(body)
    constant = sp.Mul(*[f for f in factors if generic not in f.free_symbols])
    body = sp.Mul(*[f for f in factors if generic in f.free_symbols])
    key = (body, stretch)
    if key not in case.rests:
        # a rest of positive terms is nonnegative, not positive: its stretch may be empty
        case.rests[key] = sp.Dummy(f"R{len(case.rests)}", nonnegative=True) if _positive(body) else sp.Dummy(f"R{len(case.rests)}")
    return constant * case.rests[key]


def _positive(body: sp.Expr) -> bool:
    """Built from exponentials and positive numbers by +, ·, ÷ (so every term of the rest is positive)."""
    exponentials = {e: sp.Dummy(positive=True) for e in body.atoms(sp.exp)}
    return body.xreplace(exponentials).is_positive is True
