"""Leibniz chains with a known upper part, and backpropagation: each δ = ∂f/∂q derived from the next one."""
from __future__ import annotations

import sympy as sp

from symderiv.derive import rules as r
from symderiv.derive.kinds import Leibniz, Substitute, VectorChain
from symderiv.derive.planner import NamedChain, Planner, context, derive, with_conditions
from symderiv.model.steps import Derivation, Step


def derive_from(expr: sp.Expr, var: sp.Expr, known: sp.Expr, planner: Planner | None = None, **options) -> Derivation:
    """∂f/∂x = ∂f/∂q · ∂q/∂…·…/∂x along the named path from q down to x, with ∂f/∂q kept as it is (a δ)."""
    ctx = context(var, **options)
    planner = planner or Planner()
    path = NamedChain().path(known, ctx)
    path = path if len(path) > 1 else [known, var]
    factors = [planner.derive(a, ctx.at(b)) for a, b in zip(path, path[1:])]
    delta = r.d(expr, known)
    steps = (
        Step(rule=Leibniz.id, rhs=r.product(delta, *[factor.lhs for factor in factors])),
        Step(rule=Substitute.id, rhs=r.product(delta, *[factor.result for factor in factors]), uses=tuple(factors)),
    )
    return with_conditions(Derivation(lhs=r.d(expr, var), steps=steps))


def substitute(expr: sp.Expr, cited: Derivation) -> Step:
    """A `substitute` step that puts a cited derivation's result in place of its left-hand side (a factor stays in place)."""
    if isinstance(expr, sp.Mul) and cited.lhs in expr.args:
        factors = []
        for factor in expr.args:
            factors.extend(sp.Mul.make_args(cited.result) if factor == cited.lhs else (factor,))
        return Step(rule=Substitute.id, rhs=r.product(*factors), uses=(cited,))
    return Step(rule=Substitute.id, rhs=expr.xreplace({cited.lhs: cited.result}), uses=(cited,))


def derive_backward(expr: sp.Expr, var: sp.Expr, through: tuple, planner: Planner | None = None,
                    **options) -> Derivation:
    """∂f/∂x the backpropagation way, through q₁ (next to x), …, q_m (next to f).

    ∂f/∂x = ∂f/∂q₁·∂q₁/∂x; then each δ_k = ∂f/∂q_k is put in from δ_{k+1} (the δ recursion),
    and δ_m = ∂f/∂q_m is derived in full: one short cited derivation per layer.
    """
    planner = planner or Planner()
    head = derive_from(expr, var, through[0], planner, **options)
    steps = list(head.steps)
    for lower, upper in zip(through, through[1:]):
        steps.append(substitute(steps[-1].rhs, derive_from(expr, lower, upper, planner, **options)))
    steps.append(substitute(steps[-1].rhs, derive(expr, through[-1], planner=planner, **options)))
    return with_conditions(Derivation(lhs=head.lhs, steps=tuple(steps)))


def through_vector(outer: sp.Expr, z: sp.IndexedBase, inner: sp.IndexedBase, var: sp.Expr, j: sp.Symbol, n: sp.Expr,
                   **options) -> Derivation:
    """∂f(σ(x))/∂x_i = Σ_j ∂f/∂z_j|_{z=σ} · ∂σ_j/∂x_i: the chain rule through a vector, citing ∂f/∂z_j."""
    cited = derive(outer, z[j], **options)
    rhs = sp.Sum(cited.result.xreplace({z: inner}) * sp.Derivative(inner[j], var), (j, 1, n))
    lhs = sp.Derivative(outer.xreplace({z: inner}), var)
    return Derivation(lhs=lhs, steps=(Step(rule=VectorChain.id, rhs=rhs, uses=(cited,)),))
