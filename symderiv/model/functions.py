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
    """Rewrite σ and relu into exp and Piecewise, for an independent oracle."""
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
