"""The derivation planner: tries the rules in the order of one strategy table and proves each step."""
from __future__ import annotations

import dataclasses

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from symderiv.derive import functions_rules as fr, rules as r
from symderiv.derive.rearrange import cancel_step, combine_cases, fold_steps, matrix_form, singular_conditions, tidy_step
from symderiv.derive.conditions import domain_conditions, shown_conditions
from symderiv.derive.context import METHODS, Context
from symderiv.derive.kinds import Leibniz, MatrixForm, Substitute, Unfold, registry
from symderiv.model.definitions import Definition
from symderiv.model.errors import InputError
from symderiv.model.steps import Derivation, Step


class NamedChain(r.Rule):
    """Leibniz along named intermediates: ∂f/∂x = ∂f/∂q₁·∂q₁/∂q₂·…·∂q_m/∂x, each factor derived."""

    id, statement = Leibniz.id, Leibniz.statement
    tidies_itself = True  # each factor is tidy; only a cancellation between factors needs an algebra step

    def applies(self, f, ctx):
        return len(self.path(f, ctx)) > 2

    def path(self, f, ctx) -> list[sp.Expr]:
        """f, q₁, …, x: the single path by which f depends on x through named quantities."""
        key = ("path", f)
        if key not in ctx.memo:
            ctx.memo[key] = self._path(f, ctx)
        return ctx.memo[key]

    def _path(self, f, ctx) -> list[sp.Expr]:
        path, body = [f], self.body(f, ctx)
        while not ctx.occurs(body) and len(path) < 256:
            dependent = [q for q in ctx.named(body) if ctx.depends(q)]
            if len(dependent) != 1:
                return [f]
            path.append(dependent[0])
            body = self.body(dependent[0], ctx)
        return path + [ctx.var]

    @staticmethod
    def body(q, ctx) -> sp.Expr:
        """The definition of a named quantity, or the expression itself."""
        definition = ctx.definition_of(q)
        return definition.expr.xreplace(definition.bind(q)) if definition else q

    def steps(self, f, ctx, planner):
        path = self.path(f, ctx)
        factors = [planner.derive(a, ctx.at(b)) for a, b in zip(path, path[1:])]
        leibniz = r.product(*[factor.lhs for factor in factors])
        results = [factor.result for factor in factors]
        steps = (
            Step(rule=self.id, rhs=leibniz),
            Step(rule=Substitute.id, rhs=r.product(*results), uses=tuple(factors)),
        )
        if any(r.split_fraction(result)[1] != 1 for result in results):
            steps += cancel_step(steps[-1].rhs)  # a factor's denominator may cancel against another factor
        return steps


class Unfolding(r.Rule):
    """A named quantity is replaced by its definition, differentiated, then folded back."""

    id, statement = Unfold.id, Unfold.statement

    def applies(self, f, ctx):
        return any(ctx.depends(q) for q in ctx.named(f))

    def steps(self, f, ctx, planner):
        names = {q: value for q, value in ctx.named(f).items() if ctx.depends(q)}
        unfolded = f.xreplace(names)
        inner = planner.derive(unfolded, ctx)
        steps = (Step(rule=self.id, rhs=r.d(unfolded, ctx.var)),) + inner.steps
        for definition in dict.fromkeys(ctx.definition_of(q) for q in names):
            steps += fold_steps(steps[-1].rhs, definition)
        return steps + tidy_step(steps[-1].rhs)


STRATEGY: tuple[r.Rule, ...] = (
    r.Constant(), r.Identity(), NamedChain(), Unfolding(), r.Sum(),
    r.Reciprocal(), r.Quotient(), r.ConstantMultiple(), r.Product(), r.Power(),
    r.Exp(), r.Log(), r.Sigmoid(), r.Tanh(), r.Relu(), r.Trig(), *fr.RULES, fr.FunctionChain(),
    r.IndexSum(), r.Linearity(), r.Unknown(),
)
UNTIDIED = {"constant", "identity", "unknown", "unfold", "fold", "exp", "log", "power", "kronecker",
            *(rule.id for rule in fr.TABLES), "exp-base"}


class Planner:
    """Derives ∂f/∂x by the first rule of the strategy table that applies, recursively."""

    def __init__(self, strategy: tuple[r.Rule, ...] = STRATEGY):
        self.strategy = strategy
        self.memo: dict = {}

    def derive(self, f: sp.Expr, ctx: Context) -> Derivation:
        """The derivation of ∂f/∂x, made once per (f, context) and reused (a deep chain repeats its factors)."""
        key = (f, ctx)
        if key not in self.memo:
            self.memo[key] = self._derive(f, ctx)
        return self.memo[key]

    def _derive(self, f: sp.Expr, ctx: Context) -> Derivation:
        """The derivation of ∂f/∂x, tidied when the rule's output has a shorter form."""
        rule = next(rule for rule in self.strategy if rule.applies(f, ctx))
        steps = rule.steps(f, ctx, self)
        if steps[-1].rule not in UNTIDIED and not getattr(rule, "tidies_itself", False):
            steps += tidy_step(steps[-1].rhs)
        lhs = r.d(f, ctx.var)
        note = ctx.note_for(lhs)
        if note:
            steps = steps[:-1] + (dataclasses.replace(steps[-1], note=note),)
        return Derivation(lhs=lhs, steps=steps)


def context(var, *, definitions=(), method="auto", distinct=(), notes=()) -> Context:
    """A planner context, with the method checked."""
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}: choose one of {', '.join(METHODS)}.")
    pairs = frozenset(frozenset(pair) for pair in distinct)
    return Context(var=var, definitions=tuple(definitions), method=method, distinct=pairs, notes=tuple(notes))


def derive(expr: sp.Expr, var: sp.Expr, planner: Planner | None = None, **options) -> Derivation:
    """∂expr/∂var, split into cases where an index may or may not equal the variable's.

    Pass one `planner` to several calls to share their sub-derivations (the factors of a deep chain).
    """
    ctx = context(var, **options)
    planner = planner or Planner()
    ambiguous = ctx.ambiguous_indices(expr)
    derivation = derive_by_cases(expr, ctx, ambiguous[0], planner) if ambiguous else planner.derive(expr, ctx)
    return with_conditions(derivation)


def with_conditions(derivation: Derivation, extra: tuple = ()) -> Derivation:
    """The derivation with its result's singular points (and `extra`) recorded as conditions."""
    domain = domain_conditions(derivation.lhs.expr, derivation.lhs.variables[0]) if derivation.lhs.is_Derivative else ()
    found = tuple(dict.fromkeys(derivation.conditions + extra + domain + singular_conditions(derivation.result)))
    found = shown_conditions(found)
    return Derivation(lhs=derivation.lhs, steps=derivation.steps, conditions=found)


def derive_by_cases(expr: sp.Expr, ctx: Context, a: sp.Symbol, planner: Planner | None = None) -> Derivation:
    """∂f/∂x_k for the cases k = a and k ≠ a, then both in one formula with δ_ak."""
    k = ctx.var.indices[0]
    planner = planner or Planner()
    equal = with_conditions(planner.derive(expr, ctx.at(ctx.var.base[a])))  # k = a is substituted: no k left
    different = with_conditions(planner.derive(expr, ctx.assuming_distinct(a, k)), (sp.Ne(k, a),))
    cases = sp.Piecewise((equal.result, sp.Eq(k, a)), (different.result, True))
    steps = (
        Step(rule="case-split", rhs=cases, uses=(equal, different)),
        Step(rule="algebra", rhs=combine_cases(equal.result, different.result, a, k)),
    )
    return Derivation(lhs=r.d(expr, ctx.var), steps=steps)


def derive_jacobian_entry(expr: sp.Expr, var: sp.Indexed, row: sp.Symbol, vectors: dict, **options) -> Derivation:
    """Entry (row, k) of a Jacobian by cases, then the whole matrix read off as diag(·) and outer products."""
    entry = derive(expr, var, **options)
    matrix = matrix_form(entry.result, row, var.indices[0], vectors)
    if matrix is None:
        return entry
    step = Step(rule=MatrixForm.id, rhs=MatrixElement(matrix, row, var.indices[0]))
    return Derivation(lhs=entry.lhs, steps=entry.steps + (step,), conditions=entry.conditions)


def rule_statements() -> dict[str, str]:
    """Each kind of step's id with its statement in LaTeX."""
    return {rule_id: kind.statement for rule_id, kind in registry().items()}


__all__ = ["Definition", "Planner", "STRATEGY", "derive", "derive_by_cases", "derive_jacobian_entry"]
