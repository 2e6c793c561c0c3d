"""The rules for every elementary and activation function beyond the core ones, general powers, |·|, max/min and cases.

Each rule is a small class with its statement in LaTeX; a table rule states the derivative of a function of the
variable itself, and `FunctionChain` composes it with an inner expression. Domain conditions (where the derivative
exists) are collected from the expression by symderiv.derive.conditions, not by the rules.
"""
from __future__ import annotations

import dataclasses
from typing import ClassVar

import sympy as sp

from symderiv.derive import rules as r
from symderiv.derive.conditions import domain_conditions
from symderiv.model import functions as fn
from symderiv.derive.kinds import Facts, same
from symderiv.model.steps import Derivation, Step


class Table(r.Rule):
    """f′(x) from a table, for f applied to the variable itself (its other arguments free of the variable)."""

    table: ClassVar[dict] = {}

    def applies(self, f, ctx):
        return type(f) in self.table and f.args[0] == ctx.var and not any(ctx.depends(a) for a in f.args[1:])

    def steps(self, f, ctx, planner):
        return (Step(rule=self.id, rhs=self.table[type(f)](*f.args)),)


class Reciprocals(Table):
    """(sec x)′ = sec x·tan x, (csc x)′ = −csc x·cot x, (cot x)′ = −(1 + cot² x)."""

    id = "reciprocal-trig"
    statement = r"(\sec x)' = \sec x \tan x,\ (\csc x)' = -\csc x \cot x,\ (\cot x)' = -\left(1 + \cot^{2} x\right)"
    table = {sp.sec: lambda u: r.product(sp.sec(u), sp.tan(u)), sp.csc: lambda u: -sp.csc(u) * sp.cot(u),
             sp.cot: lambda u: -(1 + sp.cot(u) ** 2)}


def _root(expr: sp.Expr) -> sp.Expr:
    return sp.sqrt(expr)


class InverseTrig(Table):
    """(arcsin x)′ = 1/√(1 − x²), (arctan x)′ = 1/(1 + x²), (arcsec x)′ = 1/(|x|√(x² − 1)), and their co-functions."""

    id = "inverse-trig"
    statement = (r"(\arcsin x)' = -(\arccos x)' = \frac{1}{\sqrt{1 - x^{2}}},\ (\arctan x)' = -(\operatorname{arccot} x)' "
                 r"= \frac{1}{1 + x^{2}},\ (\operatorname{arcsec} x)' = -(\operatorname{arccsc} x)' = \frac{1}{|x| \sqrt{x^{2} - 1}}")
    table = {sp.asin: lambda u: 1 / _root(1 - u**2), sp.acos: lambda u: -1 / _root(1 - u**2),
             sp.atan: lambda u: 1 / (1 + u**2), sp.acot: lambda u: -1 / (1 + u**2),
             sp.asec: lambda u: 1 / (sp.Abs(u) * _root(u**2 - 1)), sp.acsc: lambda u: -1 / (sp.Abs(u) * _root(u**2 - 1))}


class Hyperbolic(Table):
    """(sinh x)′ = cosh x, (cosh x)′ = sinh x, (coth x)′ = 1 − coth² x, (sech x)′ = −sech x·tanh x, (csch x)′ = −csch x·coth x."""

    id = "hyperbolic"
    statement = (r"(\sinh x)' = \cosh x,\ (\cosh x)' = \sinh x,\ (\coth x)' = 1 - \coth^{2} x,\ "
                 r"(\operatorname{sech} x)' = -\operatorname{sech} x \tanh x,\ (\operatorname{csch} x)' = -\operatorname{csch} x \coth x")
    table = {sp.sinh: sp.cosh, sp.cosh: sp.sinh, sp.coth: lambda u: 1 - sp.coth(u) ** 2,
             sp.sech: lambda u: -sp.sech(u) * sp.tanh(u), sp.csch: lambda u: -sp.csch(u) * sp.coth(u)}


class InverseHyperbolic(Table):
    """(arsinh x)′ = 1/√(x² + 1), (arcosh x)′ = 1/√(x² − 1), (artanh x)′ = (arcoth x)′ = 1/(1 − x²)."""

    id = "inverse-hyperbolic"
    statement = (r"(\operatorname{arsinh} x)' = \frac{1}{\sqrt{x^{2} + 1}},\ (\operatorname{arcosh} x)' = \frac{1}{\sqrt{x^{2} - 1}},\ "
                 r"(\operatorname{artanh} x)' = (\operatorname{arcoth} x)' = \frac{1}{1 - x^{2}}")
    table = {sp.asinh: lambda u: 1 / _root(u**2 + 1), sp.acosh: lambda u: 1 / _root(u**2 - 1),
             sp.atanh: lambda u: 1 / (1 - u**2), sp.acoth: lambda u: 1 / (1 - u**2)}


class LogBase(Table):
    """(log_b x)′ = 1/(x·ln b), for a constant base b > 0, b ≠ 1."""

    id, statement = "log-base", r"\left(\log_{b} x\right)' = \frac{1}{x \ln b}"
    table = {fn.logb: lambda u, b: 1 / (u * sp.log(b))}


class Absolute(Table):
    """|x|′ = sign(x), for x ≠ 0."""

    id, statement = "abs", r"|x|' = \operatorname{sign}(x), \quad x \neq 0"
    table = {sp.Abs: sp.sign}


class Steps(Table):
    """The unit step and the sign are constant on each side of 0: H′(x) = sign′(x) = 0, for x ≠ 0."""

    id, statement = "step", r"H'(x) = \operatorname{sign}'(x) = 0, \quad x \neq 0"
    table = {sp.Heaviside: lambda *args: sp.S.Zero, sp.sign: lambda u: sp.S.Zero}


class Erf(Table):
    """erf′(x) = (2/√π)·e^(−x²)."""

    id, statement = "erf", r"\operatorname{erf}'(x) = \frac{2}{\sqrt{\pi}} e^{-x^{2}}"
    table = {sp.erf: lambda u: 2 / sp.sqrt(sp.pi) * sp.exp(-u**2)}


def _gelu_tanh_prime(u: sp.Expr) -> sp.Expr:
    inner = sp.sqrt(2 / sp.pi) * (u + fn.GELU_C * u**3)
    return (1 + sp.tanh(inner)) / 2 + u * (1 - sp.tanh(inner) ** 2) * sp.sqrt(2 / sp.pi) * (1 + 3 * fn.GELU_C * u**2) / 2


class Activations(Table):
    """The activation functions of a course: softplus′ = σ, log_sigmoid′ = 1 − σ, swish′ = σ(1 + x(1 − σ)),
    softsign′ = 1/(1 + |x|)², gelu′ = Φ + x·φ, and the cases of elu′ and leaky_relu′."""

    id = "activation"
    statement = (r"\operatorname{softplus}'(x) = \sigma(x),\ (\ln\sigma)'(x) = 1 - \sigma(x),\ "
                 r"\operatorname{swish}'(x) = \sigma(x)\left(1 + x\left(1 - \sigma(x)\right)\right),\ "
                 r"\operatorname{softsign}'(x) = \frac{1}{(1 + |x|)^{2}},\ \operatorname{gelu}'(x) = \Phi(x) + x \varphi(x),\ "
                 r"\operatorname{elu}'(x) = \begin{cases} 1 & x > 0 \\ \alpha e^{x} & x \le 0 \end{cases},\ "
                 r"\operatorname{leaky\_relu}'(x) = \begin{cases} 1 & x > 0 \\ a & x \le 0 \end{cases}")
    table = {
        fn.softplus: fn.sigmoid,
        fn.log_sigmoid: lambda u: 1 - fn.sigmoid(u),
        fn.swish: lambda u: r.product(fn.sigmoid(u), 1 + u * (1 - fn.sigmoid(u))),
        fn.softsign: lambda u: 1 / (1 + sp.Abs(u)) ** 2,
        fn.gelu: lambda u: (1 + sp.erf(u / sp.sqrt(2))) / 2 + u * sp.exp(-u**2 / 2) / sp.sqrt(2 * sp.pi),
        fn.gelu_tanh: _gelu_tanh_prime,
        fn.elu: lambda u, alpha: sp.Piecewise((1, u > 0), (alpha * sp.exp(u), True)),
        fn.leaky_relu: lambda u, a: sp.Piecewise((1, u > 0), (a, True)),
    }


TABLES = (Reciprocals(), InverseTrig(), Hyperbolic(), InverseHyperbolic(), LogBase(), Absolute(), Steps(), Erf(),
          Activations())
CHAINED = tuple(t for table in TABLES for t in table.table)


class ExponentialBase(r.Rule):
    """(aˣ)′ = aˣ·ln a, for a constant base a > 0."""

    id, statement = "exp-base", r"\left(a^{x}\right)' = a^{x} \ln a"

    def applies(self, f, ctx):
        return isinstance(f, sp.Pow) and f.exp == ctx.var and not ctx.depends(f.base)

    def steps(self, f, ctx, planner):
        return (Step(rule=self.id, rhs=r.product(f, sp.log(f.base))),)


class FunctionChain(r.Chain):
    """(g∘u)′ = g′(u)·u′, with g′ derived for a fresh variable u: the core chain rule, extended to the functions of
    the tables above and to aᵘ (one rule, one id: a step is replayed by the rule its id names)."""

    def applies(self, f, ctx):
        return super().applies(f, ctx) or self.extends(f, ctx)

    @staticmethod
    def extends(f, ctx) -> bool:
        if isinstance(f, sp.Pow):
            return ctx.depends(f.exp) and not ctx.depends(f.base)
        return isinstance(f, CHAINED) and ctx.depends(f.args[0]) and not any(ctx.depends(a) for a in f.args[1:])

    def steps(self, f, ctx, planner):
        if not self.extends(f, ctx):
            return super().steps(f, ctx, planner)
        inner_expr = f.exp if isinstance(f, sp.Pow) else f.args[0]
        u = sp.Dummy("u")
        outer_expr = f.base**u if isinstance(f, sp.Pow) else f.func(u, *f.args[1:])
        outer = planner.derive(outer_expr, ctx.at(u))
        if isinstance(outer, Derivation):  # g′(u) holds where g is differentiable (a replay cites bare results)
            outer = dataclasses.replace(outer, conditions=domain_conditions(outer_expr, u))
        inner = planner.derive(inner_expr, ctx)
        with sp.evaluate(False):
            at_inner = outer.result.xreplace({u: inner_expr})
        return (Step(rule=self.id, rhs=r.product(at_inner, inner.result), uses=(outer, inner)),)


class GeneralPower(r.Rule):
    """Logarithmic differentiation: (f^g)′ = f^g·(g·ln f)′, for f > 0, when both f and g depend on the variable."""

    id, statement = "log-differentiation", r"\left(f^{g}\right)' = f^{g} \left(g \ln f\right)', \quad f > 0"

    def applies(self, f, ctx):
        return isinstance(f, sp.Pow) and ctx.depends(f.base) and ctx.depends(f.exp)

    def steps(self, f, ctx, planner):
        inner = planner.derive(sp.Mul(f.exp, sp.log(f.base), evaluate=False), ctx)
        return (Step(rule=self.id, rhs=r.product(f, inner.result), uses=(inner,)),)


class Extremum(r.Rule):
    """max(f₁, …, fₙ)′ = Σᵢ fᵢ′·Πⱼ≠ᵢ H(fᵢ − fⱼ) (min: H(fⱼ − fᵢ)), where no two arguments tie."""

    id = "max-min"
    statement = (r"\max(f, g)' = H(f - g)\, f' + H(g - f)\, g',\ \min(f, g)' = H(g - f)\, f' + H(f - g)\, g', "
                 r"\quad f \neq g")

    def applies(self, f, ctx):
        return isinstance(f, (sp.Max, sp.Min))

    def steps(self, f, ctx, planner):
        parts = [planner.derive(a, ctx) for a in f.args]
        sign = 1 if isinstance(f, sp.Max) else -1
        terms = [r.product(part.result, *[sp.Heaviside(sign * (a - b), 0) for b in f.args if b is not a])
                 for a, part in zip(f.args, parts)]
        return (Step(rule=self.id, rhs=sp.Add(*terms, evaluate=False), uses=tuple(parts)),)


class Cases(r.Rule):
    """A function given by cases is differentiated case by case, away from the boundaries between the cases."""

    id = "piecewise"
    statement = (r"\frac{\partial}{\partial x} \begin{cases} f_1 & c_1 \\ f_2 & c_2 \end{cases} = "
                 r"\begin{cases} f_1' & c_1 \\ f_2' & c_2 \end{cases}, \quad x \text{ not on a boundary}")

    def applies(self, f, ctx):
        return isinstance(f, sp.Piecewise)

    def steps(self, f, ctx, planner):
        parts = [planner.derive(piece, ctx) for piece, _ in f.args]
        cases = sp.Piecewise(*[(part.result, condition) for part, (_, condition) in zip(parts, f.args)])
        return (Step(rule=self.id, rhs=cases, uses=tuple(parts)),)


class ChangeOfBase(r.Rule):
    """log_b u = ln u / ln b, when the base b depends on the variable."""

    id, statement = "change-of-base", r"\log_{b} u = \frac{\ln u}{\ln b}"

    def applies(self, f, ctx):
        return isinstance(f, fn.logb) and ctx.depends(f.args[1])

    @staticmethod
    def quotient(f: sp.Expr) -> sp.Expr:
        return sp.Mul(sp.log(f.args[0]), sp.Pow(sp.log(f.args[1]), -1), evaluate=False)

    def steps(self, f, ctx, planner):
        inner = planner.derive(self.quotient(f), ctx)
        return (Step(rule=self.id, rhs=r.d(self.quotient(f), ctx.var)),) + inner.steps

    def instance_of(self, previous, step, cited, facts=Facts()):
        """The step rewrites ∂/∂x log_b u as ∂/∂x (ln u / ln b), citing nothing."""
        if cited or not isinstance(previous, sp.Derivative) or not isinstance(previous.expr, fn.logb):
            return False
        rhs = step.rhs
        return (isinstance(rhs, sp.Derivative) and rhs.variables == previous.variables
                and same(rhs.expr, self.quotient(previous.expr)))


RULES = (*TABLES, ChangeOfBase(), ExponentialBase(), GeneralPower(), Extremum(), Cases())  # then FunctionChain
