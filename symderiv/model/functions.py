"""The special functions of neural networks, as sympy functions the planner knows by name."""
from __future__ import annotations

import sympy as sp


class sigmoid(sp.Function):
    """The logistic function σ(u) = 1/(1 + e^{−u}); its derivative is σ(u)(1 − σ(u))."""

    nargs = 1

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, u, **kwargs):
        return 1 / (1 + sp.exp(-u))

    def _eval_evalf(self, prec):
        return (1 / (1 + sp.exp(-self.args[0])))._eval_evalf(prec)

    def _latex(self, printer, exp=None):
        arg = printer._print(self.args[0])
        base = rf"\sigma\left({arg}\right)"
        return rf"{base}^{{{exp}}}" if exp else base


class relu(sp.Function):
    """The rectifier relu(u) = max(0, u); its derivative is the step H(u), taken as 0 at u = 0."""

    nargs = 1

    def fdiff(self, argindex=1):
        return sp.Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Piecewise(self, u, **kwargs):
        return sp.Piecewise((u, u > 0), (0, True))

    def _eval_evalf(self, prec):
        return sp.Max(0, self.args[0])._eval_evalf(prec)

    def _latex(self, printer, exp=None):
        arg = printer._print(self.args[0])
        base = rf"\operatorname{{relu}}\left({arg}\right)"
        return rf"{base}^{{{exp}}}" if exp else base


SPECIAL_FUNCTIONS = {"sigmoid": sigmoid, "relu": relu}


def expand_special(expr: sp.Expr) -> sp.Expr:
    """Rewrite σ, relu and the activation functions into exp and Piecewise, for an independent oracle."""
    if expr.has(*ACTIVATIONS):
        expr = expand_activations(expr)
    return expr.replace(sigmoid, lambda u: 1 / (1 + sp.exp(-u))).replace(
        relu, lambda u: sp.Piecewise((u, u > 0), (0, True))
    )


def softmax_component(x: sp.IndexedBase, i: sp.Expr, n: sp.Expr, dummy: sp.Symbol) -> sp.Expr:
    """σ_i(x) = e^{x_i} / Σ_{j=1}^{N} e^{x_j}, with `dummy` as the summation index j."""
    return sp.exp(x[i]) / sp.Sum(sp.exp(x[dummy]), (dummy, 1, n))


class Jacobian(sp.Function):
    """D_x f, the Jacobian of f with respect to x: a name used in statements, never differentiated."""

    nargs = 2

    def _latex(self, printer, exp=None):
        return rf"D_{{{printer._print(self.args[1])}}} {printer._print(self.args[0])}"

    def _symderiv_text(self, printer):
        return f"D_{printer._print(self.args[1])}{printer._print(self.args[0])}"


# --- the activation functions of a machine-learning course, each defined by an elementary formula -----------------

class Activation(sp.Function):
    """A named function with an elementary definition: printed by its name, evaluated and checked through it."""

    latex_name: str = ""

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        raise NotImplementedError

    def _eval_evalf(self, prec):
        return self.definition(*self.args)._eval_evalf(prec)

    def _eval_rewrite_as_exp(self, *args, **kwargs):
        return self.definition(*args)

    def _latex(self, printer, exp=None):
        args = ", ".join(printer._print(a) for a in self.args)
        name = self.latex_name or r"\operatorname{%s}" % type(self).__name__.replace("_", r"\_")
        base = rf"{name}\left({args}\right)"
        return rf"{base}^{{{exp}}}" if exp else base

    def _symderiv_text(self, printer):
        return f"{type(self).__name__}({', '.join(printer._print(a) for a in self.args)})"


class softplus(Activation):
    """softplus(u) = ln(1 + e^u)."""

    nargs = 1

    @classmethod
    def definition(cls, u):
        return sp.log(1 + sp.exp(u))


class softsign(Activation):
    """softsign(u) = u/(1 + |u|)."""

    nargs = 1

    @classmethod
    def definition(cls, u):
        return u / (1 + sp.Abs(u))


class swish(Activation):
    """swish(u) = silu(u) = u·σ(u)."""

    nargs = 1

    @classmethod
    def definition(cls, u):
        return u / (1 + sp.exp(-u))


class gelu(Activation):
    """gelu(u) = u·Φ(u) = u·(1 + erf(u/√2))/2, with Φ the standard normal distribution function."""

    nargs = 1

    @classmethod
    def definition(cls, u):
        return u * (1 + sp.erf(u / sp.sqrt(2))) / 2


GELU_C = sp.Rational(44715, 10**6)  # the cubic coefficient of the tanh approximation of GELU


class gelu_tanh(Activation):
    """gelu_tanh(u) = u·(1 + tanh(√(2/π)·(u + 0.044715·u³)))/2, the tanh approximation of GELU."""

    nargs = 1
    latex_name = r"\operatorname{gelu}_{\tanh}"

    @classmethod
    def definition(cls, u):
        return u * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (u + GELU_C * u**3))) / 2


class elu(Activation):
    """elu(u, α) = u for u > 0, α·(e^u − 1) otherwise."""

    nargs = 2

    @classmethod
    def definition(cls, u, alpha):
        return sp.Piecewise((u, u > 0), (alpha * (sp.exp(u) - 1), True))


class leaky_relu(Activation):
    """leaky_relu(u, a) = u for u > 0, a·u otherwise."""

    nargs = 2
    latex_name = r"\operatorname{leaky\_relu}"

    @classmethod
    def definition(cls, u, a):
        return sp.Piecewise((u, u > 0), (a * u, True))


class log_sigmoid(Activation):
    """log_sigmoid(u) = ln σ(u) = −ln(1 + e^{−u})."""

    nargs = 1
    latex_name = r"\ln\sigma"

    @classmethod
    def definition(cls, u):
        return -sp.log(1 + sp.exp(-u))


class logb(Activation):
    """log_b(u) = ln u / ln b, the logarithm to a base b > 0, b ≠ 1 (kept as one function so it prints as typed)."""

    nargs = 2

    @classmethod
    def definition(cls, u, b):
        return sp.log(u) / sp.log(b)

    def _latex(self, printer, exp=None):
        u, b = (printer._print(a) for a in self.args)
        base = rf"\log_{{{b}}}\left({u}\right)"
        return rf"{base}^{{{exp}}}" if exp else base

    def _symderiv_text(self, printer):
        return f"log_{printer._print(self.args[1])}({printer._print(self.args[0])})"


ACTIVATIONS = (softplus, softsign, swish, gelu, gelu_tanh, elu, leaky_relu, log_sigmoid, logb)


def expand_activations(expr: sp.Expr) -> sp.Expr:
    """Every activation function replaced by its elementary definition (innermost first)."""
    for _ in range(64):
        found = [node for node in expr.atoms(*ACTIVATIONS)]
        if not found:
            return expr
        expr = expr.xreplace({node: type(node).definition(*node.args) for node in found})
    return expr
