"""The checker: every link `previous = rhs` is decided by computer algebra, cheapest decisive method first."""
from __future__ import annotations

import dataclasses
from functools import lru_cache

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from symderiv.model.definitions import Definition, unfold
from symderiv.model.functions import expand_special
from symderiv.check.deep_chains import decide_on_graph
from symderiv.check import sampling
from symderiv.check.exact import MAX_TERMS, exact_zero, expansion_size, without_shared_factors
from symderiv.check.indices import decide_indexed
from symderiv.derive.kinds import Facts, kind
from symderiv.model.steps import Check, Derivation, Step
from symderiv.model.symbols import unclash

SIMPLIFY_MAX_OPS = 120


def verify(derivation: Derivation, definitions: tuple[Definition, ...] = ()) -> Derivation:
    """A copy of the tree with a check on every link, and the result checked against sympy's derivative."""
    checked = _verify(derivation, tuple(definitions), ())
    final = decide(derivation.lhs, derivation.result, tuple(definitions), derivation.conditions)
    if derivation.steps and final.method == "structural":
        final = Check(ok=None, method="none", detail="the result was not compared with an independent derivative")
    return dataclasses.replace(checked, check=final)


def _verify(derivation: Derivation, definitions: tuple, inherited: tuple) -> Derivation:
    conditions = inherited + tuple(c for c in derivation.conditions if c not in inherited)
    facts = Facts(definitions=definitions, conditions=conditions)
    steps = []
    for previous, step in derivation.links():
        uses = tuple(_verify(used, definitions, conditions) for used in step.uses)
        check = decide(previous, step.rhs, definitions, conditions)
        if step.rule == "unknown":
            check = Check(ok=None, method="none", detail="no rule justifies this step")
        elif check.ok is True and not justified(previous, step, facts):
            check = Check(ok=False, method="justification", detail=f"wrong justification: the two sides are "
                          f"equal, but the step is not an instance of `{step.rule}`")
        steps.append(dataclasses.replace(step, uses=uses, check=check))
    return dataclasses.replace(derivation, steps=tuple(steps))


def justified(previous: sp.Expr, step: Step, facts: Facts) -> bool:
    """Whether the step is an instance of the kind it names, given the line before and what it cites."""
    try:
        return _justified(previous, step, facts)
    except TypeError:  # something in the step cannot be hashed: no memo
        return _justified.__wrapped__(previous, step, facts)


@lru_cache(maxsize=4096)
def _justified(previous: sp.Expr, step: Step, facts: Facts) -> bool:
    """justified, once per link: a deep network cites the same sub-derivations in every part."""
    step_kind = kind(step.rule)
    return step_kind is not None and step_kind.instance_of(previous, step, step.uses, facts)


def decide(a: sp.Expr, b: sp.Expr, definitions: tuple = (), conditions: tuple = ()) -> Check:
    """Whether a = b, by structure, exact rational identity, bounded simplify, then numeric sampling."""
    a, b = sp.sympify(a), sp.sympify(b)
    if a == b:
        return Check(ok=True, method="structural")
    return _decide(a, b, tuple(definitions), tuple(conditions))


@lru_cache(maxsize=4096)
def _decide(a, b, definitions, conditions) -> Check:
    on_graph = decide_on_graph(a, b, definitions)  # deep chains of names: no full unfolding
    if on_graph is not None and on_graph.ok is not None:
        return on_graph
    try:
        return _decide_unfolded(a, b, definitions, conditions)
    except RecursionError:  # names nested too deep to unfold
        return on_graph or Check(ok=None, method="none", detail="undecided: the expression is nested too deeply")


def _decide_unfolded(a, b, definitions, conditions) -> Check:
    left, right = oracle(a, definitions), oracle(b, definitions)
    difference = left - right
    if difference.is_Number and difference != 0:  # what is left after cancelling common terms is a constant
        found = numeric(left, right)
        detail = found.detail if found.ok is False else f"the two sides differ by {difference}"
        return Check(ok=False, method="exact", detail=detail, witness=found.witness)
    if _is_indexed(left) or _is_indexed(right):
        return _decide_by_instances(left, right, conditions)
    return decide_expressions(left, right, conditions)


def decide_expressions(left: sp.Expr, right: sp.Expr, conditions: tuple = ()) -> Check:
    """a = b for expressions without symbolic indices, where the recorded `conditions` hold."""
    difference = left - right
    verdict = exact_zero(difference)
    if verdict is None and exact_zero(without_shared_factors(left, right)) is True:
        verdict = True  # too large to expand, but equal once the factors both sides share are set aside
    if verdict is True:
        return Check(ok=True, method="exact", detail="rational-function identity")
    if verdict is False:
        refuted = numeric(left, right)
        detail = refuted.detail if refuted.ok is False else "the two sides differ as rational functions"
        return Check(ok=False, method="exact", detail=detail, witness=refuted.witness)
    if _equal_exponentials(left, right):
        return Check(ok=True, method="exact", detail="equal exponentials; every logarithm has a positive argument")
    if (sp.count_ops(difference) <= SIMPLIFY_MAX_OPS and expansion_size(difference) <= MAX_TERMS
            and sp.simplify(difference) == 0 and _same_domain(left, right)):
        return Check(ok=True, method="simplify")
    return numeric(left, right, conditions=conditions)


def _same_domain(left: sp.Expr, right: sp.Expr) -> bool:
    """simplify assumes what it needs; sides whose logarithms, roots or |·| differ may differ in domain."""
    kinds = (sp.log, sp.Abs, sp.sign, sp.Heaviside, sp.Piecewise)
    partial = lambda e: {n for n in e.atoms(sp.Pow, *kinds) if not isinstance(n, sp.Pow) or not n.exp.is_Integer}
    return partial(left) == partial(right)


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


def components(expr: sp.Expr) -> sp.Expr:
    """Each entry of a matrix expression written out in the components of its vectors ((σᵀσ)_ik = σ_i·σ_k)."""
    return expr.replace(lambda n: isinstance(n, MatrixElement), lambda n: _vector_components(n.doit()))


def oracle(expr: sp.Expr, definitions: tuple) -> sp.Expr:
    """The expression with every derivative done by sympy and every named quantity unfolded."""
    expr = components(expr)
    derivatives = sorted(expr.atoms(sp.Derivative), key=sp.count_ops)
    for node in derivatives:
        if node in expr.atoms(sp.Derivative):
            (variable, _), = node.variable_count
            inner = expand_special(unfold(node.expr, definitions, keep=frozenset({variable})))
            inner = unclash(inner, variable.atoms(sp.Symbol)).replace(sp.Abs, _piecewise_abs).replace(sp.sign, _piecewise_sign)
            if not _is_indexed(inner) or isinstance(variable, sp.Indexed) and not inner.has(sp.Sum):
                expr = expr.xreplace({node: sp.diff(inner, variable)})
            else:
                expr = expr.xreplace({node: sp.Derivative(inner, variable)})
    return expand_special(unfold(expr, definitions))


def _piecewise_abs(u: sp.Expr) -> sp.Expr:
    """|u| for real u, which sympy's diff would treat as complex (re, im)."""
    return sp.Piecewise((u, u >= 0), (-u, True))


def _piecewise_sign(u: sp.Expr) -> sp.Expr:
    """sign(u) for real u, by cases (sympy leaves the derivative of a complex sign undone)."""
    return sp.Piecewise((1, u > 0), (-1, u < 0), (0, True))


def numeric(left: sp.Expr, right: sp.Expr, seed: int = sampling.SEED, conditions: tuple = ()) -> Check:
    """The numeric oracle's verdict (evidence, shown as ✓ numeric): see sampling.compare."""
    evidence = sampling.compare(left, right, seed=seed, conditions=conditions)
    return Check(ok=evidence.ok, method="numeric", detail=evidence.detail, witness=evidence.witness)


def _decide_by_instances(left: sp.Expr, right: sp.Expr, conditions: tuple) -> Check:
    """Index identities: decided for every N ≥ 1 and every placement of the free indices (indexcheck)."""
    return decide_indexed(left, right, conditions, decide_expressions)


def _is_indexed(expr: sp.Expr) -> bool:
    return expr.has(sp.Sum, sp.KroneckerDelta) or any(not i.is_Integer for n in expr.atoms(sp.Indexed) for i in n.indices)


def _vector_components(expr: sp.Expr) -> sp.Expr:
    """Element (0, a) of a row vector named s is the indexed quantity s_a."""
    return expr.replace(
        lambda n: isinstance(n, MatrixElement) and n.parent.shape[0] == 1,
        lambda n: sp.IndexedBase(str(n.parent.name))[n.j],
    )
