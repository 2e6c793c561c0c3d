"""Question 1(d): where the gradient of (c) fails in floating point, and the fused, stable fix."""
from __future__ import annotations

import math

import sympy as sp

from symderiv.derive.leibniz import through_vector
from symderiv.model.definitions import Definition
from symderiv.derive.planner import derive, with_conditions
from symderiv.model.problem import Part, Prose, Solution, prose
from symderiv.model.steps import Check, Derivation
from symderiv.derive.sums import assume, derive_within, instance, log_sum_exp, shorthand, sum_steps
from symderiv.model.symbols import N, index, scalar, vector
from symderiv.check.verify import verify
from symderiv.catalog import softmax_vjp

NAME = "softmax-cross-entropy"
TITLE = "Softmax with cross-entropy: the singularity and the fix"
SUMMARY = "where −t_i/z_i fails (z_i = 0: softmax underflow), the fused gradient σ_i − t_i, and log-sum-exp"
QUESTION = (
    r"The cross-entropy gradient $\partial \ell / \partial z_i = -t_i / z_i$ (problem cross-entropy-grad) is "
    r"used at the prediction $z = \sigma(x)$ of softmax. "
    r"Where does it fail, and why does that happen in floating point? Derive the gradient with respect to the "
    r"logits $x$ through softmax instead, and a numerically stable form of $\ln \sigma_i$."
)
PARAMS: dict = {}
DEMO_X = (0.0, -800.0, 5.0)  # the singularity: e^{−805} underflows
DEMO_T = (0.0, 1.0, 0.0)
LSE_X = (1000.0, 0.0, -5.0)  # log-sum-exp: e^{1000} overflows
ELL = shorthand("ell", "ℓ", r"\ell")  # the loss, by name


def solve(params: dict, method: str = "auto") -> Solution:
    """The three parts, each derived by the planner and checked; the float64 numbers are computed here."""
    z, t, x, sigma, tau = vector("z"), vector("t"), vector("x"), vector("sigma"), vector("tau")
    i, j, k = index("i"), index("j"), index("k")
    softmax, dot = softmax_vjp.definitions(dummy="l")  # k is the loss's own index here
    normalised = Definition(name=t[i], expr=tau[i] - (sp.Sum(tau[k], (k, 1, N)) - 1) / N, params=(i,))
    parts = (singularity(z, t, i, j, method), fused(x, sigma, t, i, j, k, softmax, dot, normalised, method),
             stable_log(x, sigma, i, j, method))
    return Solution(problem=NAME, title=TITLE, question=QUESTION, definitions=(softmax, dot, normalised),
                    parts=parts, params=params)


def singularity(z, t, i, j, method) -> Part:
    """The cross-entropy gradient again; its conditions give the singular set, and float64 shows softmax reach it."""
    derivation = verify(derive(-sp.Sum(t[j] * sp.log(z[j]), (j, 1, N)), z[i], method=method))
    where = tuple(sp.Eq(*c.args) for c in derivation.conditions if isinstance(c, sp.Ne))
    demo = float64_singularity(DEMO_X, DEMO_T)
    remarks = (prose(NAME, "singular", where=where, cares=sp.Gt(t[i], 0)), underflow(),
               prose(NAME, "demo", **demo, gradient_form=derivation.result, fused_form=vector("sigma")[i] - t[i]))
    hit = any(v == 0.0 for v in demo["z"]) and any(isinstance(g, str) for g in demo["gradient"])
    check = Check(ok=hit, method="float64",
                  detail="softmax(x) has an exact 0.0 where t > 0, and −t_i/z_i divides by zero there" if hit
                  else "the float64 evaluation did not reach the singular set")
    title = prose(NAME, "singularity", gradient=sp.Eq(sp.Derivative(ELL, z[i]), derivation.result, evaluate=False))
    return Part(id="singularity", title=title, derivation=derivation, remarks=remarks, checks=(check,))


def fused(x, sigma, t, i, j, k, softmax, dot, normalised, method) -> Part:
    """∂ℓ/∂x_i = Σ_j ∂ℓ/∂σ_j·∂σ_j/∂x_i, the vector–Jacobian product with v_j = −t_j/σ_j, then Σ_j t_j = 1."""
    z, v = vector("z"), vector("v")
    chain = through_vector(-sp.Sum(t[k] * sp.log(z[k]), (k, 1, N)), z, sigma, x[i], j, N, method=method)
    vjp = derive_within(sp.Sum(v[j] * sp.Derivative(sigma[j], x[i]), (j, 1, N)), (dot,),
                        definitions=[softmax], method=method)
    steps = chain.steps + (instance(vjp, (dot,), v, lambda a: -t[a] / sigma[a]),)
    steps += sum_steps(steps[-1].rhs)
    condition = sp.Eq(sp.Sum(t[j], (j, 1, N)), 1)
    steps += assume(steps[-1].rhs, condition)
    derivation = with_conditions(Derivation(lhs=chain.lhs, steps=steps), (condition,))
    derivation = verify(derivation, (softmax, dot, normalised))
    return Part(id="fused-gradient", title=prose(NAME, "fused_gradient", entry=sp.Derivative(ELL, x[i])),
                derivation=derivation, remarks=(prose(NAME, "fused", normalised=condition),))


def stable_log(x, sigma, i, j, method) -> Part:
    """ln σ_i unfolded, the logarithm laws, then the shift by any m (verified for any m)."""
    softmax = softmax_vjp.definitions(dummy="l")[0]
    m = scalar("m")
    derivation = verify(log_sum_exp(sp.log(sigma[i]), (softmax,), m), (softmax,))
    demo = float64_log_sum_exp(LSE_X)
    remarks = (prose(NAME, "lse", bounded=sp.Le(x[j] - m, 0)),
               prose(NAME, "lse_demo", **demo, **stable_forms(x, i, j, m)))
    ok = all(math.isfinite(v) for v in demo["stable"]) and not all(math.isfinite(v) for v in demo["naive"])
    check = Check(ok=ok, method="float64", detail="the naive form is not finite where the stable form is" if ok
                  else "the float64 evaluation did not show the overflow")
    return Part(id="log-sum-exp", title=prose(NAME, "log_sum_exp"), derivation=derivation, remarks=remarks,
                checks=(check,))


def underflow() -> Prose:
    """The remark on when the shifted softmax underflows, its formulas built here and the threshold found."""
    x, sigma, i, j, m = vector("x"), vector("sigma"), index("i"), index("j"), scalar("m")
    shifted = sp.Eq(sigma[i], sp.exp(x[i] - m) / sp.Sum(sp.exp(x[j] - m), (j, 1, N)), evaluate=False)
    return prose(NAME, "underflow", shifted=shifted, exponential=sp.exp(x[i] - m), exponent=x[i] - m,
                 threshold=underflow_threshold())


def stable_forms(x, i, j, m) -> dict:
    """ln σ_i computed naively (the log of the quotient) and stably (shifted by m), as formulas for the remark."""
    naive = sp.log(sp.exp(x[i]) / sp.Sum(sp.exp(x[j]), (j, 1, N)), evaluate=False)
    return {"naive_form": naive, "stable_form": x[i] - m - sp.log(sp.Sum(sp.exp(x[j] - m), (j, 1, N)))}


# --- float64 evaluations: plain Python floats, run at solve time --------------------------------------------


def ieee_exp(v: float) -> float:
    """e^v in float64 as IEEE 754 gives it: overflow is inf (Python's math.exp raises instead)."""
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


def softmax_float(x) -> list[float]:
    """The usual shifted softmax in float64: e^{x_i − m}/Σ_j e^{x_j − m}, m = max_j x_j."""
    m = max(x)
    exps = [ieee_exp(v - m) for v in x]
    total = math.fsum(exps)
    return [e / total for e in exps]


def float64_singularity(x, t) -> dict:
    """softmax(x), the gradient −t_i/z_i of (c), the loss, and the fused gradient σ_i − t_i, in float64."""
    z = softmax_float(x)
    gradient = [_divide(-ti, zi) for ti, zi in zip(t, z)]
    try:
        loss = -math.fsum(ti * math.log(zi) for ti, zi in zip(t, z) if ti)
    except ValueError:
        loss = "ln 0: math domain error (IEEE 754: +inf)"
    return {"x": list(x), "t": list(t), "z": z, "gradient": gradient, "loss": loss,
            "fused": [zi - ti for zi, ti in zip(z, t)]}


def float64_log_sum_exp(x) -> dict:
    """ln σ_i in float64, naively (ln of the unshifted quotient) and by log-sum-exp with m = max_j x_j."""
    exps = [ieee_exp(v) for v in x]
    total = math.fsum(exps) if all(math.isfinite(e) for e in exps) else math.inf
    naive = [_log(_quotient(e, total)) for e in exps]
    m = max(x)
    lse = m + math.log(math.fsum(math.exp(v - m) for v in x))
    return {"x": list(x), "naive": naive, "stable": [v - lse for v in x]}


def underflow_threshold() -> float:
    """The largest u (to 0.01) with e^u == 0.0 in float64, found by bisection at solve time."""
    low, high = -2000.0, 0.0
    while high - low > 1e-6:
        middle = (low + high) / 2
        low, high = (middle, high) if math.exp(middle) == 0.0 else (low, middle)
    return low


def _divide(a: float, b: float):
    try:
        return a / b
    except ZeroDivisionError:
        return "division by zero (IEEE 754: " + ("-inf" if a < 0 else "inf" if a > 0 else "nan") + ")"


def _quotient(a: float, b: float) -> float:
    return math.nan if math.isinf(a) and math.isinf(b) else a / b


def _log(v: float) -> float:
    if math.isnan(v):
        return math.nan
    return -math.inf if v == 0.0 else math.log(v)
