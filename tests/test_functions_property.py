"""Property: random expression trees over the whole function grammar derive, every step verified, to sympy's
derivative (the checker's last link compares the result with sympy.diff)."""

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symderiv.check.verify import verify
from symderiv.derive.planner import derive
from symderiv.read.parse import parse_expr

x = sp.Symbol("x")
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# each function with its argument placed in its domain: {} is the argument
UNARY = [
    "exp({})", "log(1 + ({})**2)", "sqrt(1 + ({})**2)", "sin({})", "cos({})", "tan({}/8)", "sec({}/8)",
    "csc(2 + sigmoid({}))", "cot(1 + sigmoid({}))", "asin(tanh({})/2)", "acos(tanh({})/2)", "atan({})",
    "acot(1 + ({})**2)", "asec(2 + ({})**2)", "acsc(-2 - ({})**2)", "sinh({}/4)", "cosh({}/4)", "tanh({})",
    "coth(1 + ({})**2)", "sech({})", "csch(1 + ({})**2)", "asinh({})", "acosh(2 + ({})**2)",
    "atanh(tanh({})/2)", "acoth(2 + ({})**2)", "log2(2 + sin({}))", "log10(1 + exp({}))", "exp2({}/4)",
    "log(1 + ({})**2, 3)", "abs({})", "sign({})*({})", "Heaviside({})*({})", "erf({})", "sigmoid({})",
    "relu({})", "softplus({})", "softsign({})", "swish({})", "silu({})", "gelu({})", "gelu_tanh({})",
    "elu({})", "elu({}, 1/2)", "leaky_relu({})", "leaky_relu({}, 1/5)", "log_sigmoid({})", "arctan({})",
    "(1 + ({})**2)**sin(x)", "2**({})",
]
BINARY = ["({}) + ({})", "({})*({})", "({})/(2 + ({})**2)", "Max({}, {})", "Min({}, {})",
          "Piecewise(({}, x > 1), ({}, True))"]
LEAVES = st.sampled_from(["x", "2*x", "x + 1", "3", "x**2", "1 - x"])


def _trees():
    return st.recursive(
        LEAVES,
        lambda inner: st.one_of(
            st.tuples(st.sampled_from(UNARY), inner).map(lambda t: t[0].format(*[t[1]] * t[0].count("{}"))),
            st.tuples(st.sampled_from(BINARY), inner, inner).map(lambda t: t[0].format(t[1], t[2])),
        ),
        max_leaves=4,
    )


@SETTINGS
@given(_trees())
def test_random_trees_derive_verified_and_equal_sympys_derivative(text):
    derivation = verify(derive(parse_expr(text), x))
    assert not derivation.has_unknown(), text
    assert derivation.check is not None and derivation.check.ok is True, (text, derivation.check)
    assert derivation.verified, (text, [f for f in derivation.failures()][:1])


@pytest.mark.parametrize("template", UNARY + BINARY)
def test_every_form_of_the_grammar_derives_verified_around_a_composite_argument(template):
    text = template.format(*(["x**2 - x", "sin(x)"] * 2)[:template.count("{}")])
    derivation = verify(derive(parse_expr(text), x))
    assert derivation.verified and derivation.check.ok is True, (text, derivation.failures()[:1])
