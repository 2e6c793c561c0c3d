"""The checker: every link `previous = rhs` is decided by computer algebra, cheapest decisive method first."""
from __future__ import annotations

import dataclasses
from functools import lru_cache

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from .definitions import Definition, unfold
from .functions import expand_special
from .graph import decide_on_graph
from .identity import exact_zero
from .steps import Check, Derivation
from .symbols import N

INDEX_SIZES = (2, 3, 4, 5)
SIMPLIFY_MAX_OPS = 120
SAMPLES, DIGITS, TOLERANCE = 6, 30, sp.Float("1e-20", 30)


def verify(derivation: Derivation, definitions: tuple[Definition, ...] = ()) -> Derivation:
    """A copy of the tree with a check on every link, and the result checked against sympy's derivative."""
    checked = _verify(derivation, tuple(definitions), ())
    final = decide(derivation.lhs, derivation.result, tuple(definitions), derivation.conditions)
    if derivation.steps and final.method == "structural":
        final = Check(ok=None, method="none", detail="the result was not compared with an independent derivative")
    return dataclasses.replace(checked, check=final)


def _verify(derivation: Derivation, definitions: tuple, inherited: tuple) -> Derivation:
    conditions = inherited + tuple(c for c in derivation.conditions if c not in inherited)
    steps = []
    for previous, step in derivation.links():
        uses = tuple(_verify(used, definitions, conditions) for used in step.uses)
        check = decide(previous, step.rhs, definitions, conditions)
        if step.rule == "unknown":
            check = Check(ok=None, method="none", detail="no rule justifies this step")
        steps.append(dataclasses.replace(step, uses=uses, check=check))
    return dataclasses.replace(derivation, steps=tuple(steps))


def decide(a: sp.Expr, b: sp.Expr, definitions: tuple = (), conditions: tuple = ()) -> Check:
    """Whether a = b, by structure, exact rational identity, bounded simplify, then numeric sampling."""
    if a == b:
        return Check(ok=True, method="structural")
    return _decide(a, b, tuple(definitions), tuple(conditions))


@lru_cache(maxsize=4096)
def _decide(a, b, definitions, conditions) -> Check:
    on_graph = decide_on_graph(a, b, definitions)  # deep chains of names: no full unfolding
    if on_graph is not None and on_graph.ok is not None:
        return on_graph
    left, right = oracle(a, definitions), oracle(b, definitions)
    if _is_indexed(left) or _is_indexed(right):
        return _decide_by_instances(left, right, conditions)
    return decide_expressions(left, right)


def decide_expressions(left: sp.Expr, right: sp.Expr) -> Check:
    """a = b for expressions without symbolic indices."""
    difference = left - right
    verdict = exact_zero(difference)
    if verdict is not None:
        return Check(ok=verdict, method="exact", detail=_detail(verdict, left, right))
    if _equal_exponentials(left, right):
        return Check(ok=True, method="exact", detail="equal exponentials; every logarithm has a positive argument")
    if sp.count_ops(difference) <= SIMPLIFY_MAX_OPS and sp.simplify(difference) == 0:
        return Check(ok=True, method="simplify")
    return numeric(left, right)


def _equal_exponentials(left: sp.Expr, right: sp.Expr) -> bool:
    """Real a and b whose logarithms all take positive arguments are equal when e^a = e^b identically."""
    logs = (left - right).atoms(sp.log)
    if not logs or not all(_positive(log.args[0]) for log in logs):
        return False
    return exact_zero(sp.exp(left) - sp.exp(right)) is True


def _positive(expr: sp.Expr) -> bool:
    """Positive for real inputs: built from exponentials (and positive numbers) by +, ·, ÷."""
    exponentials = {e: sp.Dummy(positive=True) for e in expr.atoms(sp.exp)}
    return expr.xreplace(exponentials).is_positive is True


def oracle(expr: sp.Expr, definitions: tuple) -> sp.Expr:
    """The expression with every derivative done by sympy and every named quantity unfolded."""
    expr = expr.replace(lambda n: isinstance(n, MatrixElement), lambda n: _vector_components(n.doit()))
    derivatives = sorted(expr.atoms(sp.Derivative), key=sp.count_ops)
    for node in derivatives:
        if node in expr.atoms(sp.Derivative):
            (variable, _), = node.variable_count
            inner = expand_special(unfold(node.expr, definitions, keep=frozenset({variable})))
            if not _is_indexed(inner) or isinstance(variable, sp.Indexed) and not inner.has(sp.Sum):
                expr = expr.xreplace({node: sp.diff(inner, variable)})
            else:
                expr = expr.xreplace({node: sp.Derivative(inner, variable)})
    return expand_special(unfold(expr, definitions))


def numeric(left: sp.Expr, right: sp.Expr, seed: int = 20240517) -> Check:
    """Agreement at random points to DIGITS significant digits, within TOLERANCE relative error."""
    import random

    rng = random.Random(seed)
    symbols = sorted(left.free_symbols | right.free_symbols, key=str)
    agreed = 0
    for _ in range(SAMPLES * 3):
        point = {s: rng.choice((-1, 1)) * sp.Rational(rng.randint(150, 1850), 1000) for s in symbols}
        try:
            u, v = (sp.N(e.xreplace(point), DIGITS) for e in (left, right))
        except (ValueError, TypeError, ZeroDivisionError):
            continue
        if not (u.is_number and v.is_number) or u.has(sp.nan, sp.zoo) or v.has(sp.nan, sp.zoo):
            continue
        if abs(u - v) > TOLERANCE * max(1, abs(u), abs(v)):
            return Check(ok=False, method="numeric", detail=_at(point, u, v))
        agreed += 1
        if agreed == SAMPLES:
            return Check(ok=True, method="numeric", detail=f"{SAMPLES} random points, {DIGITS} digits, tolerance 1e-20")
    return Check(ok=None, method="numeric", detail="too few points where both sides are defined")


def _decide_by_instances(left: sp.Expr, right: sp.Expr, conditions: tuple) -> Check:
    """Index identities: instantiate N = 2…5 and every admissible equality pattern of the free indices."""
    bound = {limit[0] for e in (left, right) for s in e.atoms(sp.Sum) for limit in s.limits}
    symbols = left.atoms(sp.Symbol) | right.atoms(sp.Symbol)  # includes a derivative's variable index
    indices = sorted((s for s in symbols if s.is_integer and s != N and s not in bound), key=str)
    count, methods = 0, set()
    for n in INDEX_SIZES:
        for values in _index_patterns(indices, n):
            binding = {N: n, **dict(zip(indices, values))}
            relevant = [c for c in conditions if c.free_symbols & set(indices) and c.free_symbols <= set(binding)]
            if not all(c.xreplace(binding) == sp.true for c in relevant):
                continue
            key = tuple(sorted(binding.items(), key=str))
            check = _decide_instance(left, right, key)
            if check.ok is not True:
                where = ", ".join(f"{k} = {val}" for k, val in binding.items())
                return Check(ok=check.ok, method=f"index+{check.method}", detail=f"at {where}: {check.detail}")
            count, methods = count + 1, methods | {check.method}
    if not count:
        return Check(ok=None, method="index", detail="no admissible instance")
    return Check(ok=True, method="index", detail=f"N = 2…5, {count} index cases, {'/'.join(sorted(methods))}")


@lru_cache(maxsize=8192)
def _instance(expr: sp.Expr, binding: tuple) -> sp.Expr:
    """The expression at concrete N and indices, with sums expanded and derivatives done."""
    return _expand_sums(expr.xreplace(dict(binding))).doit()


def _expand_sums(expr: sp.Expr) -> sp.Expr:
    """Σ_{j=a}^{b} f with integer bounds written out term by term (Sum.doit first hunts for closed forms)."""
    def written_out(node):
        (j, low, high), = node.limits
        return sp.Add(*[node.function.xreplace({j: value}) for value in range(int(low), int(high) + 1)])

    return expr.replace(
        lambda n: isinstance(n, sp.Sum) and len(n.limits) == 1 and n.limits[0][1].is_Integer and n.limits[0][2].is_Integer,
        written_out,
    )


@lru_cache(maxsize=8192)
def _decide_instance(left: sp.Expr, right: sp.Expr, binding: tuple) -> Check:
    return decide_expressions(_instance(left, binding), _instance(right, binding))


def _index_patterns(indices: list, n: int):
    """One value tuple in 1..n for every equality pattern of the indices (a set partition each)."""
    def partitions(count):
        if count == 0:
            yield ()
            return
        for head in partitions(count - 1):
            for block in range(max(head, default=-1) + 2):
                yield head + (block,)

    for blocks in partitions(len(indices)):
        if max(blocks, default=-1) < n:
            yield tuple(n - b for b in blocks)


def _is_indexed(expr: sp.Expr) -> bool:
    return expr.has(sp.Sum, sp.KroneckerDelta) or any(not i.is_Integer for n in expr.atoms(sp.Indexed) for i in n.indices)


def _vector_components(expr: sp.Expr) -> sp.Expr:
    """Element (0, a) of a row vector named s is the indexed quantity s_a."""
    return expr.replace(
        lambda n: isinstance(n, MatrixElement) and n.parent.shape[0] == 1,
        lambda n: sp.IndexedBase(str(n.parent.name))[n.j],
    )


def _detail(verdict: bool, left: sp.Expr, right: sp.Expr) -> str:
    if verdict:
        return "rational-function identity"
    refuted = numeric(left, right)
    return refuted.detail if refuted.ok is False else "the two sides differ as rational functions"


def _at(point: dict, u, v) -> str:
    where = ", ".join(f"{k} = {val}" for k, val in point.items())
    return f"at {where}: left side {sp.N(u, 8)}, right side {sp.N(v, 8)}"
