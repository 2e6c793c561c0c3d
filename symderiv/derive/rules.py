"""The differentiation rules: one small class per rule, its statement in LaTeX, its docstring in words."""
from __future__ import annotations

from typing import ClassVar, Protocol

import sympy as sp

from symderiv.derive.context import Context, unfold_once
from symderiv.model.functions import relu, sigmoid
from symderiv.model.steps import Derivation, Step
from symderiv.model.symbols import sift_term


class Planner(Protocol):
    def derive(self, f: sp.Expr, ctx: Context) -> Derivation: ...


def d(f: sp.Expr, var: sp.Expr) -> sp.Derivative:
    """The unevaluated derivative ∂f/∂var."""
    return sp.Derivative(f, var, evaluate=False)


def product(*factors: sp.Expr) -> sp.Expr:
    """A product kept in the order and shape the rule states it (ones dropped)."""
    kept = [f for f in factors if f != 1]
    if not kept:
        return sp.S.One
    return kept[0] if len(kept) == 1 else sp.Mul(*kept, evaluate=False)


class Rule:
    """A rule applies to some expressions and turns ∂f/∂x into steps."""

    id: ClassVar[str]
    statement: ClassVar[str]

    def applies(self, f: sp.Expr, ctx: Context) -> bool:
        raise NotImplementedError

    def steps(self, f: sp.Expr, ctx: Context, planner: Planner) -> tuple[Step, ...]:
        raise NotImplementedError

    def instance_of(self, previous: sp.Expr, step: Step, cited: tuple, facts=None) -> bool:
        """Whether `step` is this rule applied to the derivative `previous` with the `cited` results (replayed)."""
        from symderiv.derive.kinds import Facts  # the step kinds build on the rules
        from symderiv.derive.replay import replays

        return replays(self, previous, step, cited, facts or Facts())


class Constant(Rule):
    """The derivative of an expression free of x is 0."""

    id, statement = "constant", r"\frac{\partial c}{\partial x} = 0"

    def applies(self, f, ctx):
        return not ctx.depends(f)

    def steps(self, f, ctx, planner):
        return (Step(rule=self.id, rhs=sp.S.Zero),)


class Identity(Rule):
    """∂x/∂x = 1, and for components ∂x_a/∂x_k = δ_ak."""

    id, statement = "identity", (r"\frac{\partial x}{\partial x} = 1, \quad \frac{\partial x_a}{\partial x_k} = \delta_{ak}, "
                                 r"\quad \frac{\partial W_{ij}}{\partial W_{ab}} = \delta_{ia} \delta_{jb}")

    def applies(self, f, ctx):
        return f == ctx.var or (isinstance(f, sp.Indexed) and isinstance(ctx.var, sp.Indexed) and ctx.occurs(f))

    def steps(self, f, ctx, planner):
        pairs = zip(f.indices, ctx.var.indices) if f != ctx.var else ()
        rhs = sp.Mul(*[sp.KroneckerDelta(a, k) for a, k in pairs])  # ∂W_ij/∂W_ab = δ_ia·δ_jb
        return (Step(rule=self.id, rhs=rhs),)


class Sum(Rule):
    """The derivative of a sum is the sum of the derivatives."""

    id, statement = "sum", r"(f + g)' = f' + g'"

    def applies(self, f, ctx):
        return isinstance(f, sp.Add)

    def steps(self, f, ctx, planner):
        parts = [planner.derive(term, ctx) for term in f.args if ctx.depends(term)]
        return (Step(rule=self.id, rhs=sp.Add(*[p.result for p in parts]), uses=tuple(parts)),)


def split_fraction(f: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """f = numerator / denominator, the denominator collecting the negative powers."""
    numerator, denominator = [], []
    for factor in sp.Mul.make_args(f):
        base, exponent = factor.as_base_exp()
        if isinstance(factor, sp.Pow) and exponent.is_Number and exponent < 0:
            denominator.append(base ** -exponent)
        else:
            numerator.append(factor)
    return sp.Mul(*numerator), sp.Mul(*denominator)


def is_fraction(f: sp.Expr, ctx: Context) -> bool:
    """A product or power whose denominator depends on the variable."""
    if not isinstance(f, (sp.Mul, sp.Pow)):
        return False
    if isinstance(f, sp.Pow) and f.exp != -1:
        return False
    return ctx.depends(split_fraction(f)[1])


class Reciprocal(Rule):
    """Trick 2: with c constant, (c·f⁻¹)′ = −c·f⁻²·f′."""

    id, statement = "reciprocal", r"\left(c \cdot f^{-1}\right)' = -c \cdot f^{-2} \cdot f'"

    def applies(self, f, ctx):
        return is_fraction(f, ctx) and ctx.method != "quotient" and not ctx.depends(split_fraction(f)[0])

    def steps(self, f, ctx, planner):
        c, g = split_fraction(f)
        g_prime = planner.derive(g, ctx)
        rhs = product(sp.S.NegativeOne, c, sp.Pow(g, -2, evaluate=False), g_prime.result)
        return (Step(rule=self.id, rhs=rhs, uses=(g_prime,)),)


class Quotient(Rule):
    """Trick 1: (f/g)′ = (f′·g − f·g′)/g²."""

    id, statement = "quotient", r"\left(\frac{f}{g}\right)' = \frac{f' g - f g'}{g^{2}}"

    def applies(self, f, ctx):
        if not is_fraction(f, ctx):
            return False
        return ctx.method == "quotient" or (ctx.method == "auto" and ctx.depends(split_fraction(f)[0]))

    def steps(self, f, ctx, planner):
        num, den = split_fraction(f)
        f_prime, g_prime = planner.derive(num, ctx), planner.derive(den, ctx)
        top = sp.Add(product(f_prime.result, den), product(sp.S.NegativeOne, num, g_prime.result), evaluate=False)
        rhs = sp.Mul(top, sp.Pow(den, -2, evaluate=False), evaluate=False)
        return (Step(rule=self.id, rhs=rhs, uses=(f_prime, g_prime)),)


class ConstantMultiple(Rule):
    """(c·f)′ = c·f′ for c free of x."""

    id, statement = "constant-multiple", r"(c f)' = c f'"

    def applies(self, f, ctx):
        return isinstance(f, sp.Mul) and any(not ctx.depends(a) for a in f.args)

    def steps(self, f, ctx, planner):
        c = sp.Mul(*[a for a in f.args if not ctx.depends(a)])
        inner = planner.derive(sp.Mul(*[a for a in f.args if ctx.depends(a)]), ctx)
        return (Step(rule=self.id, rhs=c * inner.result, uses=(inner,)),)


class Product(Rule):
    """(f·g)′ = f′·g + f·g′, and likewise for more factors."""

    id, statement = "product", r"(f g)' = f' g + f g'"

    def applies(self, f, ctx):
        return isinstance(f, sp.Mul)

    def steps(self, f, ctx, planner):
        factors = f.args
        parts = [planner.derive(a, ctx) for a in factors]
        terms = [product(*factors[:n], parts[n].result, *factors[n + 1:]) for n in range(len(factors))]
        return (Step(rule=self.id, rhs=sp.Add(*terms, evaluate=False), uses=tuple(parts)),)


class Power(Rule):
    """(xⁿ)′ = n·xⁿ⁻¹ for n free of x."""

    id, statement = "power", r"\left(x^{n}\right)' = n x^{n-1}"

    def applies(self, f, ctx):
        return isinstance(f, sp.Pow) and f.base == ctx.var and not ctx.depends(f.exp)

    def steps(self, f, ctx, planner):
        return (Step(rule=self.id, rhs=f.exp * f.base ** (f.exp - 1)),)


class Elementary(Rule):
    """The derivative of an elementary function of the variable itself, from a table."""

    table: ClassVar[dict] = {}

    def applies(self, f, ctx):
        return type(f) in self.table and f.args[0] == ctx.var

    def steps(self, f, ctx, planner):
        return (Step(rule=self.id, rhs=self.table[type(f)](f.args[0])),)


class Exp(Elementary):
    """(eˣ)′ = eˣ."""

    id, statement = "exp", r"\left(e^{x}\right)' = e^{x}"
    table = {sp.exp: sp.exp}


class Log(Elementary):
    """(ln x)′ = 1/x."""

    id, statement = "log", r"\left(\ln x\right)' = \frac{1}{x}"
    table = {sp.log: lambda u: 1 / u}


class Sigmoid(Elementary):
    """By the lemma, σ′(x) = σ(x)·(1 − σ(x))."""

    id, statement = "sigmoid", r"\sigma'(x) = \sigma(x)\left(1 - \sigma(x)\right)"
    table = {sigmoid: lambda u: product(sigmoid(u), 1 - sigmoid(u))}


class Tanh(Elementary):
    """(tanh x)′ = 1 − tanh² x."""

    id, statement = "tanh", r"\left(\tanh x\right)' = 1 - \tanh^{2} x"
    table = {sp.tanh: lambda u: 1 - sp.tanh(u) ** 2}


class Relu(Elementary):
    """relu′(x) = H(x), the unit step, taken as 0 at x = 0."""

    id, statement = "relu", r"\operatorname{relu}'(x) = H(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}"
    table = {relu: lambda u: sp.Heaviside(u, 0)}


class Trig(Elementary):
    """(sin x)′ = cos x, (cos x)′ = −sin x, (tan x)′ = 1 + tan² x."""

    id, statement = "trig", r"(\sin x)' = \cos x,\ (\cos x)' = -\sin x,\ (\tan x)' = 1 + \tan^{2} x"
    table = {sp.sin: sp.cos, sp.cos: lambda u: -sp.sin(u), sp.tan: lambda u: 1 + sp.tan(u) ** 2}


OUTER_FUNCTIONS = (sp.exp, sp.log, sigmoid, sp.tanh, relu, sp.sin, sp.cos, sp.tan)


class Chain(Rule):
    """(g∘u)′ = g′(u)·u′, with g′ derived for a fresh variable u."""

    id, statement = "chain", r"\frac{\partial f}{\partial x} = \frac{\partial f}{\partial u} \cdot \frac{\partial u}{\partial x}"

    def applies(self, f, ctx):
        if isinstance(f, OUTER_FUNCTIONS) and len(f.args) == 1:
            return True
        return isinstance(f, sp.Pow) and not ctx.depends(f.exp)

    def steps(self, f, ctx, planner):
        inner_expr = f.base if isinstance(f, sp.Pow) else f.args[0]
        u = sp.Dummy("u")
        outer = planner.derive(f.xreplace({inner_expr: u}), ctx.at(u))
        inner = planner.derive(inner_expr, ctx)
        with sp.evaluate(False):  # g′(u) at u = inner, as the rule states it: 2·(d − z), not 2d − 2z
            at_inner = outer.result.xreplace({u: inner_expr})
        rhs = product(at_inner, inner.result)
        return (Step(rule=self.id, rhs=rhs, uses=(outer, inner)),)


class IndexSum(Rule):
    """∂/∂x_k Σ_j f(x_j) = Σ_j f′(x_j)·δ_jk, then Σ_j a_j δ_jk = a_k (kronecker)."""

    id, statement = "index-sum", r"\frac{\partial}{\partial x_k} \sum_{j} f(x_j) = \sum_{j} f'(x_j)\, \delta_{jk}"

    def applies(self, f, ctx):
        if not isinstance(f, sp.Sum) or len(f.limits) != 1 or not isinstance(ctx.var, sp.Indexed) or len(ctx.var.indices) != 1:
            return False
        j = f.limits[0][0]
        used = [n for n in unfold_once(ctx, f.function).atoms(sp.Indexed) if n.base == ctx.var.base]
        return bool(used) and all(n.indices[0] == j for n in used)

    def steps(self, f, ctx, planner):
        j, k = f.limits[0][0], ctx.var.indices[0]
        inner = planner.derive(f.function, ctx.at(ctx.var.base[j]))
        sifted = sp.Sum(product(inner.result, sp.KroneckerDelta(j, k)), f.limits[0])
        return (
            Step(rule=self.id, rhs=sifted, uses=(inner,)),
            Step(rule="kronecker", rhs=sift_term(inner.result.xreplace({j: k}), k, *f.limits[0][1:], ctx.size_of(k))),
        )


class Linearity(Rule):
    """∂/∂x Σ_j f_j = Σ_j ∂f_j/∂x, for a sum over an index."""

    id, statement = "linearity", r"\frac{\partial}{\partial x} \sum_j f_j = \sum_j \frac{\partial f_j}{\partial x}"

    def applies(self, f, ctx):
        return isinstance(f, sp.Sum) and not isinstance(ctx.var, sp.Indexed)

    def steps(self, f, ctx, planner):
        inner = planner.derive(f.function, ctx)
        return (Step(rule=self.id, rhs=sp.Sum(inner.result, *f.limits), uses=(inner,)),)


class Unknown(Rule):
    """No rule applies: the derivative is left as it is, and the derivation cannot be verified."""

    id, statement = "unknown", r"\text{no rule applies}"

    def applies(self, f, ctx):
        return True

    def steps(self, f, ctx, planner):
        return (Step(rule=self.id, rhs=d(f, ctx.var)),)
