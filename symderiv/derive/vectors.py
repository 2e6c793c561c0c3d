"""Expressions holding derivatives of indexed quantities (Σ_k δ_k ∂p_k/∂W_ac): each derivative derived by the
planner and cited, then the δ's sifted out of the sums within their sizes and constant factors moved out."""
from __future__ import annotations

import sympy as sp

from symderiv.derive.indexed import sift_steps, sizes_in
from symderiv.derive.planner import context, derive, with_conditions
from symderiv.derive.rearrange import tidy_step
from symderiv.derive.sums import pull_constants
from symderiv.model.steps import Derivation, Step


def derive_cited(expr: sp.Expr, planner=None, **options) -> Derivation:
    """`expr` with each derivative in it derived (and cited), then sifted, constants moved out of the sums, tidied."""
    derivatives = sorted(expr.atoms(sp.Derivative), key=str)
    cited = tuple(derive(node.expr, node.variables[0], planner=planner, **options) for node in derivatives)
    first = Step(rule="substitute", rhs=expr.xreplace({d.lhs: d.result for d in cited}), uses=cited)
    variables = [node.variables[0] for node in derivatives]
    ranges = sizes_in(expr, sp.Add(*variables) if variables else sp.S.Zero, options.get("definitions", ()))
    ctx = context(variables[0] if variables else sp.S.Zero, ranges=ranges,
                  definitions=options.get("definitions", ()))
    steps = (first,) + sift_steps(first.rhs, ctx)
    pulled = pull_constants(steps[-1].rhs)
    if pulled != steps[-1].rhs:
        steps += (Step(rule="algebra", rhs=pulled),)
    return with_conditions(Derivation(lhs=expr, steps=steps + tidy_step(steps[-1].rhs)))
