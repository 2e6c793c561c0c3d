"""The generic justification of a differentiation rule: the rule re-applies itself to the previous line's
derivative, taking the cited sub-derivations as the answers to the derivatives it asks for, and the step must be
that instance (structurally, up to sympy's automatic canonical form)."""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symderiv.derive.context import METHODS, Context
from symderiv.derive.kinds import Facts, canonical, same


class Mismatch(Exception):
    """The rule asked for a derivative that the step does not cite (or cited more than it used)."""


@dataclass(frozen=True)
class Cited:
    """A cited result as the rule asked for it: ∂f/∂x and its value."""

    lhs: sp.Expr
    result: sp.Expr


class CitedPlanner:
    """A planner that answers each derivative a rule asks for with the next cited sub-derivation, if it is that one."""

    def __init__(self, cited: tuple):
        self.queue = list(cited)

    def derive(self, f: sp.Expr, ctx: Context) -> Cited:
        if not self.queue:
            raise Mismatch
        given, asked = self.queue.pop(0), sp.Derivative(f, ctx.var, evaluate=False)
        if given.lhs == asked:
            return Cited(lhs=asked, result=given.result)
        if isinstance(ctx.var, sp.Dummy) and isinstance(given.lhs, sp.Derivative):  # the chain rule's fresh u
            (old, _), = given.lhs.variable_count
            if isinstance(old, sp.Dummy) and given.lhs.xreplace({old: ctx.var}) == asked:
                return Cited(lhs=asked, result=given.result.xreplace({old: ctx.var}))
        raise Mismatch


def replays(rule, previous: sp.Expr, step, cited: tuple, facts: Facts) -> bool:
    """Whether `step` is what `rule` gives for the derivative `previous`, with the `cited` results."""
    if not isinstance(previous, sp.Derivative) or len(previous.variable_count) != 1 or previous.variable_count[0][1] != 1:
        return False
    var = previous.variables[0]
    # the expression as written, else in canonical form (a question printed in the order typed, w·x + b)
    return any(_replays_at(rule, f, var, step, cited, facts) for f in dict.fromkeys((previous.expr, canonical(previous.expr))))


def _replays_at(rule, f: sp.Expr, var: sp.Expr, step, cited: tuple, facts: Facts) -> bool:
    """Whether `rule`, applied to ∂f/∂var with the `cited` results, makes `step`."""
    for ctx in contexts(var, facts):
        if rule.applies(f, ctx):
            planner = CitedPlanner(cited)
            try:
                made = rule.steps(f, ctx, planner)
            except Mismatch:
                return False
            return not planner.queue and same(made[0].rhs, step.rhs) and made[0].rule == step.rule
    return False


def contexts(var: sp.Expr, facts: Facts) -> tuple[Context, ...]:
    """A context per method, with the definitions and the indices known to differ (k ≠ i) from the conditions."""
    key = ("contexts", var)
    if key not in facts.contexts:
        distinct = frozenset(frozenset(c.args) for c in facts.conditions
                             if isinstance(c, sp.Ne) and all(a.is_Symbol for a in c.args))
        facts.contexts[key] = tuple(Context(var=var, definitions=facts.definitions, method=method, distinct=distinct)
                                    for method in METHODS)
    return facts.contexts[key]
