"""Tests for symderiv.derive.functions_rules: each function's rule against sympy's derivative, near its domain's
edges too, with its conditions holding inside the domain and failing outside."""

import random

import pytest
import sympy as sp

from symderiv.check.verify import verify
from symderiv.derive.planner import derive
from symderiv.model.functions import expand_special
from symderiv.read import function_names
from symderiv.read.parse import parse_expr

x = sp.Symbol("x")
EDGE = [sp.Rational(1, 10**6), sp.Rational(1, 10**3)]  # distances from a domain boundary

# call, points inside the domain (besides random ones), a point outside it (or None), the random range
FUNCTIONS = {
    "exp(x)": ([], None), "sqrt(x)": ([*EDGE, 50], -1), "sin(x)": ([], None), "cos(x)": ([], None),
    "tan(x)": ([sp.pi / 2 - e for e in EDGE], None), "sec(x)": ([sp.pi / 2 - e for e in EDGE], None),
    "csc(x)": (EDGE, None), "cot(x)": (EDGE, None),
    "asin(x)": ([1 - e for e in EDGE] + [e - 1 for e in EDGE], 2), "acos(x)": ([1 - e for e in EDGE], -2),
    "atan(x)": ([], None), "acot(x)": (EDGE, None),
    "asec(x)": ([1 + e for e in EDGE] + [-1 - e for e in EDGE], sp.Rational(1, 2)),
    "acsc(x)": ([1 + e for e in EDGE] + [-1 - e for e in EDGE], sp.Rational(-1, 2)),
    "sinh(x)": ([], None), "cosh(x)": ([], None), "tanh(x)": ([], None), "coth(x)": (EDGE, None),
    "sech(x)": ([], None), "csch(x)": (EDGE, None), "asinh(x)": ([], None),
    "acosh(x)": ([1 + e for e in EDGE], sp.Rational(1, 2)), "atanh(x)": ([1 - e for e in EDGE], 3),
    "acoth(x)": ([1 + e for e in EDGE], sp.Rational(1, 2)),
    "log2(x)": (EDGE, -1), "log10(x)": (EDGE, -1), "exp2(x)": ([], None), "abs(x)": (EDGE + [-e for e in EDGE], 0),
    "sign(x)": (EDGE, 0), "erf(x)": ([], None), "sigmoid(x)": ([], None), "relu(x)": (EDGE + [-e for e in EDGE], None),
    "softplus(x)": ([], None), "softsign(x)": ([-e for e in EDGE], None), "swish(x)": ([], None),
    "gelu(x)": ([], None), "gelu_tanh(x)": ([], None), "log_sigmoid(x)": ([], None),
    "log(x, 3)": (EDGE, -1), "Heaviside(x)": (EDGE, 0), "Max(x, 2)": ([2 + e for e in EDGE] + [2 - e for e in EDGE], 2),
    "Min(x, 2)": ([2 + e for e in EDGE], 2), "elu(x, 1/2)": ([-e for e in EDGE], None),
    "leaky_relu(x, 1/5)": ([-e for e in EDGE], None),
}


def _call(name: str, known) -> str:
    """The function applied to x, its parameters given numbers."""
    return next((call for call in FUNCTIONS if call.startswith(name + "(")), None) or f"{name}({known.example})"


def test_every_function_of_the_grammar_is_tested_here():
    for name in function_names.NAMES:
        assert any(call.startswith(name + "(") for call in FUNCTIONS), name


def _holds(conditions, point) -> bool:
    return all(bool(c.subs(x, point)) for c in conditions)


def _inside(call: str, rng: random.Random):
    """Random points well inside the domain (where every condition holds)."""
    derivation = derive(parse_expr(call), x)
    points = []
    while len(points) < 8:
        candidate = sp.Rational(rng.randint(-4000, 4000), 1000)
        if _holds(derivation.conditions, candidate) and candidate != 0:
            points.append(candidate)
    return points


@pytest.mark.parametrize("call", list(FUNCTIONS))
def test_the_rule_equals_sympys_derivative_inside_and_near_the_edges(call):
    f = parse_expr(call)
    derivation = verify(derive(f, x))
    assert derivation.verified and not derivation.has_unknown()
    real = expand_special(f).replace(sp.Abs, lambda u: sp.Piecewise((u, u >= 0), (-u, True)))
    expected = sp.diff(real.replace(sp.sign, lambda u: sp.Piecewise((1, u > 0), (-1, u < 0), (0, True))), x)
    near, _ = FUNCTIONS[call]
    for point in _inside(call, random.Random(call)) + list(near):
        assert _holds(derivation.conditions, point), (call, point)
        ours, theirs = (sp.N(e.subs(x, point), 40) for e in (derivation.result, expected))
        assert abs(ours - theirs) <= sp.Float(10) ** -25 * (1 + abs(theirs)), (call, point, ours, theirs)


@pytest.mark.parametrize("call", [c for c, (_, outside) in FUNCTIONS.items() if outside is not None])
def test_the_conditions_fail_outside_the_domain(call):
    derivation = derive(parse_expr(call), x)
    assert derivation.conditions and not _holds(derivation.conditions, FUNCTIONS[call][1])


@pytest.mark.parametrize("call", ["sin(x**2)", "asin(x/3)", "cosh(2*x + 1)", "erf(x**2)", "softplus(3*x)",
                                  "leaky_relu(x**3, 1/10)", "2**(x**2)", "log(x**2 + 1, 10)", "abs(sin(x))"])
def test_each_function_composes_by_the_chain_rule(call):
    f = parse_expr(call)
    derivation = verify(derive(f, x))
    assert derivation.verified
    assert "chain" in derivation.rules()


def test_general_powers_by_logarithmic_differentiation_with_the_base_positive():
    derivation = verify(derive(parse_expr("x**sin(x)"), x))
    assert derivation.verified and derivation.steps[0].rule == "log-differentiation"
    assert sp.Gt(x, 0) in derivation.conditions


def test_a_constant_base_has_its_own_rule():
    derivation = derive(parse_expr("3**x"), x)
    assert derivation.steps[0].rule == "exp-base" and derivation.result == 3**x * sp.log(3)


def test_max_states_the_tie_and_piecewise_its_boundaries():
    assert sp.Ne(x, 2) in derive(parse_expr("Max(x, 2)"), x).conditions
    cases = derive(parse_expr("Piecewise((x**2, x < 1), (2*x - 1, True))"), x)
    assert sp.Ne(x, 1) in cases.conditions and cases.steps[0].rule == "piecewise"


def test_a_parameter_that_depends_on_the_variable_has_no_rule():
    derivation = verify(derive(parse_expr("leaky_relu(x, x)"), x))
    assert derivation.has_unknown() and not derivation.verified


@pytest.mark.parametrize("call", list(FUNCTIONS) + ["x**sin(x)", "asin(x/3)", "log(x**2 + 1, x)", "3**(x**2)",
                                                    "Piecewise((x**2, x < 1), (2*x - 1, True))"])
def test_every_step_is_an_instance_of_its_own_kind_and_of_no_other(call):
    from symderiv.derive.kinds import Facts, registry

    derivation = derive(parse_expr(call), x)
    for d in derivation.walk():
        facts = Facts(conditions=d.conditions)
        for previous, step in d.links():
            for other, kind in registry().items():
                relabelled = type(step)(rule=other, rhs=step.rhs, uses=step.uses)
                assert kind.instance_of(previous, relabelled, step.uses, facts) == (other == step.rule), (step.rule, other)
