"""Tests for symderiv.derive.rules: each rule on its own, the quotient/reciprocal choice, and the rule statements."""

import re

import pytest
import sympy as sp

from symderiv.derive import planner
from symderiv.derive import rules as r
from symderiv.model.errors import InputError
from symderiv.model.functions import leaky_relu, relu, sigmoid
from symderiv.derive.planner import Planner, context, rule_statements
from symderiv.model.symbols import N, index, vector
from symderiv.check.verify import verify

x, a, b = sp.symbols("x a b")
X, A = vector("x"), vector("a")
i, j, k = index("i"), index("j"), index("k")


def equals_diff(result, f, var=x):
    """The independent oracle: sympy's own derivative."""
    return sp.simplify(result - sp.diff(f, var)) == 0


def first_rule(f, var=x, **options):
    return Planner().derive(f, context(var, **options)).steps[0].rule


# ---------------------------------------------------------------- applies


APPLIES = [
    # rule, expression, variable, expected
    (r.Constant(), a, x, True),
    (r.Constant(), sp.Integer(5), x, True),
    (r.Constant(), sp.sin(a) * b, x, True),
    (r.Constant(), x**2, x, False),
    (r.Constant(), X[i], X[k], False),
    (r.Identity(), x, x, True),
    (r.Identity(), x**2, x, False),
    (r.Identity(), a, x, False),
    (r.Identity(), X[k], X[k], True),
    (r.Identity(), X[i], X[k], True),
    (r.Identity(), X[1], X[2], False),
    (r.Identity(), A[k], X[k], False),
    (r.Sum(), x + 1, x, True),
    (r.Sum(), x * 2, x, False),
    (r.ConstantMultiple(), 3 * sp.sin(x), x, True),
    (r.ConstantMultiple(), a * x**2, x, True),
    (r.ConstantMultiple(), x * sp.sin(x), x, False),
    (r.Power(), x**3, x, True),
    (r.Power(), x**a, x, True),
    (r.Power(), sp.sqrt(x), x, True),
    (r.Power(), (x + 1) ** 3, x, False),
    (r.Power(), x**x, x, False),
    (r.Product(), x * sp.sin(x), x, True),
    (r.Product(), x + sp.sin(x), x, False),
    (r.Quotient(), sp.sin(x) / x, x, True),
    (r.Quotient(), sp.exp(x) / (1 + x), x, True),
    (r.Quotient(), 1 / x, x, False),
    (r.Quotient(), a / (x + 1), x, False),
    (r.Quotient(), x / 2, x, False),
    (r.Reciprocal(), 1 / x, x, True),
    (r.Reciprocal(), a / (x + 1), x, True),
    (r.Reciprocal(), 3 / (x**2 + 1), x, True),
    (r.Reciprocal(), sp.exp(x) / x, x, False),
    (r.Reciprocal(), x / 2, x, False),
    (r.Exp(), sp.exp(x), x, True),
    (r.Exp(), sp.exp(2 * x), x, False),
    (r.Exp(), sp.log(x), x, False),
    (r.Log(), sp.log(x), x, True),
    (r.Log(), sp.log(x**2), x, False),
    (r.Sigmoid(), sigmoid(x), x, True),
    (r.Sigmoid(), sigmoid(2 * x), x, False),
    (r.Tanh(), sp.tanh(x), x, True),
    (r.Tanh(), sp.tanh(x**2), x, False),
    (r.Relu(), relu(x), x, True),
    (r.Relu(), relu(x + 1), x, False),
    (r.Trig(), sp.sin(x), x, True),
    (r.Trig(), sp.cos(x), x, True),
    (r.Trig(), sp.tan(x), x, True),
    (r.Trig(), sp.sin(2 * x), x, False),
    (r.Trig(), sp.exp(x), x, False),
    (r.Chain(), sp.exp(2 * x), x, True),
    (r.Chain(), sp.sin(x**2), x, True),
    (r.Chain(), (x**2 + 1) ** 3, x, True),
    (r.Chain(), x * 2, x, False),
    (r.Chain(), x**x, x, False),
    (r.IndexSum(), sp.Sum(sp.exp(X[j]), (j, 1, N)), X[k], True),
    (r.IndexSum(), sp.Sum(A[j] * X[j], (j, 1, N)), X[k], True),
    (r.IndexSum(), sp.Sum(sp.exp(X[j]), (j, 1, N)), x, False),
    (r.IndexSum(), sp.Sum(X[j] * X[i], (j, 1, N)), X[k], False),
    (r.IndexSum(), sp.exp(X[j]), X[k], False),
    (r.Linearity(), sp.Sum(A[j] * x**2, (j, 1, N)), x, True),
    (r.Linearity(), sp.Sum(sp.exp(X[j]), (j, 1, N)), X[k], False),
    (r.Unknown(), x**x, x, True),
]


@pytest.mark.parametrize(
    "rule, f, var, expected", APPLIES, ids=[f"{c[0].id}:{c[1]}:{'yes' if c[3] else 'no'}" for c in APPLIES]
)
def test_applies(rule, f, var, expected):
    assert rule.applies(f, context(var)) is expected


def test_identity_does_not_apply_to_a_component_known_to_differ():
    assert r.Identity().applies(X[i], context(X[k], distinct=[(i, k)])) is False
    assert r.Constant().applies(X[i], context(X[k], distinct=[(i, k)])) is True


@pytest.mark.parametrize("method, expected", [("auto", True), ("reciprocal", True), ("quotient", False)])
def test_reciprocal_applies_by_method(method, expected):
    assert r.Reciprocal().applies(1 / (x + 1), context(x, method=method)) is expected


@pytest.mark.parametrize(
    "f, method, expected",
    [
        (sp.sin(x) / x, "auto", True),
        (sp.sin(x) / x, "quotient", True),
        (sp.sin(x) / x, "reciprocal", False),
        (1 / (x + 1), "auto", False),
        (1 / (x + 1), "quotient", True),
        (1 / (x + 1), "reciprocal", False),
    ],
)
def test_quotient_applies_by_method(f, method, expected):
    assert r.Quotient().applies(f, context(x, method=method)) is expected


# ---------------------------------------------------------------- each rule through the planner

SCALAR = [
    ("constant", a),
    ("constant", sp.Integer(7)),
    ("constant", sp.exp(a) * b),
    ("identity", x),
    ("sum", x + sp.sin(x)),
    ("sum", x**2 + 3 * x + a),
    ("constant-multiple", 3 * sp.sin(x)),
    ("constant-multiple", a * x**2),
    ("power", x**5),
    ("power", x**a),
    ("power", sp.sqrt(x)),
    ("power", x ** sp.Rational(-3, 2)),
    ("product", x * sp.sin(x)),
    ("product", sp.exp(x) * sp.log(x)),
    ("quotient", sp.sin(x) / x),
    ("quotient", sp.exp(x) / (1 + x**2)),
    ("reciprocal", 1 / x),
    ("reciprocal", a / (x**2 + 1)),
    ("reciprocal", 1 / (1 + sp.exp(-x))),
    ("exp", sp.exp(x)),
    ("log", sp.log(x)),
    ("sigmoid", sigmoid(x)),
    ("tanh", sp.tanh(x)),
    ("relu", relu(x)),
    ("trig", sp.sin(x)),
    ("trig", sp.cos(x)),
    ("trig", sp.tan(x)),
    ("chain", sp.exp(2 * x)),
    ("chain", sp.sin(x**2)),
    ("chain", (x**2 + 1) ** 3),
    ("chain", sigmoid(3 * x + 1)),
    ("chain", sp.log(sp.cos(x))),
    ("chain", sp.tanh(sp.exp(x))),
]


@pytest.mark.parametrize("rule, f", SCALAR, ids=[f"{rule}:{f}" for rule, f in SCALAR])
def test_planner_picks_the_rule_first_and_is_right(rule, f):
    derivation = Planner().derive(f, context(x))
    assert derivation.steps[0].rule == rule
    assert derivation.lhs == sp.Derivative(f, x)
    if rule == "relu":  # sympy's own derivative of relu is the function's fdiff; check it at points too
        assert [derivation.result.subs(x, v) for v in (-2, 3)] == [0, 1]
    assert equals_diff(derivation.result, f)
    assert verify(derivation).verified


@pytest.mark.parametrize("f, expected", [(X[i], sp.KroneckerDelta(i, k)), (X[k], sp.S.One)])
def test_identity_on_components_is_a_kronecker_delta(f, expected):
    derivation = Planner().derive(f, context(X[k]))
    assert [s.rule for s in derivation.steps] == ["identity"]
    assert derivation.result == expected
    assert derivation.result == sp.diff(f, X[k])


INDEXED = [
    (sp.Sum(sp.exp(X[j]), (j, 1, N)), sp.exp(X[k])),
    (sp.Sum(A[j] * X[j], (j, 1, N)), A[k]),
    (sp.Sum(X[j] ** 2, (j, 1, N)), 2 * X[k]),
    (sp.Sum(sp.log(X[j]), (j, 1, N)), 1 / X[k]),
]


@pytest.mark.parametrize("f, expected", INDEXED, ids=[str(f) for f, _ in INDEXED])
def test_index_sum_then_kronecker(f, expected):
    derivation = Planner().derive(f, context(X[k]))
    assert [s.rule for s in derivation.steps][:2] == ["index-sum", "kronecker"]
    sifted = derivation.steps[0].rhs
    assert isinstance(sifted, sp.Sum) and sifted.has(sp.KroneckerDelta(j, k))
    assert sp.simplify(derivation.result - expected) == 0
    # independent oracle: a concrete size, a concrete component, sympy's diff
    for n, kk in ((3, 2), (4, 4)):
        concrete = sp.diff(f.subs(N, n).doit(), X[kk])
        assert sp.simplify(derivation.result.subs(k, kk) - concrete) == 0
    assert verify(derivation).verified


def test_linearity_for_a_sum_over_an_index_by_a_scalar():
    f = sp.Sum(A[j] * x**2, (j, 1, N))
    derivation = Planner().derive(f, context(x))
    assert derivation.steps[0].rule == "linearity"
    assert sp.simplify((derivation.result - 2 * x * sp.Sum(A[j], (j, 1, N))).subs(N, 3).doit()) == 0


def test_chain_cites_outer_then_inner():
    f = sp.sin(x**2)
    step = Planner().derive(f, context(x)).steps[0]
    outer, inner = step.uses
    assert inner.lhs == sp.Derivative(x**2, x) and inner.result == 2 * x
    (u,) = outer.lhs.variables
    assert outer.lhs == sp.Derivative(sp.sin(u), u) and outer.result == sp.cos(u)


def test_quotient_cites_f_prime_and_g_prime():
    step = Planner().derive(sp.sin(x) / x, context(x)).steps[0]
    assert [used.lhs for used in step.uses] == [sp.Derivative(sp.sin(x), x), sp.Derivative(x, x)]


def test_reciprocal_rhs_is_minus_c_g_to_the_minus_two_times_g_prime():
    step = Planner().derive(a / (x**2 + 1), context(x)).steps[0]
    (g_prime,) = step.uses
    assert g_prime.lhs == sp.Derivative(x**2 + 1, x)
    assert sp.expand(step.rhs - (-a * (x**2 + 1) ** -2 * 2 * x)) == 0


def test_unknown_leaves_the_derivative_and_never_returns_none():
    no_rule = leaky_relu(x, x)  # a slope that depends on the variable: no rule covers it
    derivation = Planner().derive(no_rule, context(x))
    assert [s.rule for s in derivation.steps] == ["unknown"]
    assert derivation.result == sp.Derivative(no_rule, x)


# ---------------------------------------------------------------- --method


@pytest.mark.parametrize(
    "f, rule",
    [
        (sp.sin(x) / x, "quotient"),
        (sp.exp(x) / (x + 1), "quotient"),
        (x / (x**2 + 1), "quotient"),
        (1 / (x + 1), "reciprocal"),
        (a / sp.sin(x), "reciprocal"),
        (5 / (sp.exp(x) + 1), "reciprocal"),
    ],
)
def test_auto_picks_by_whether_the_numerator_depends_on_x(f, rule):
    assert first_rule(f) == rule


@pytest.mark.parametrize("f", [1 / (x + 1), a / sp.sin(x), 5 / (sp.exp(x) + 1), 1 / x])
def test_method_quotient_forces_quotient_on_a_constant_numerator(f):
    derivation = planner.derive(f, x, method="quotient")
    assert derivation.steps[0].rule == "quotient"
    assert "reciprocal" not in derivation.rules()
    assert equals_diff(derivation.result, f)
    assert verify(derivation).verified


@pytest.mark.parametrize("f", [sp.sin(x) / x, sp.exp(x) / (x + 1), x / (x**2 + 1)])
def test_method_reciprocal_on_a_dependent_numerator_uses_product_and_reciprocal(f):
    derivation = planner.derive(f, x, method="reciprocal")
    assert derivation.steps[0].rule == "product"
    assert "reciprocal" in derivation.rules() and "quotient" not in derivation.rules()
    assert equals_diff(derivation.result, f)
    assert verify(derivation).verified


@pytest.mark.parametrize("method", ["auto", "reciprocal"])
def test_reciprocal_stays_where_only_it_fits(method):
    assert planner.derive(1 / (x + 1), x, method=method).steps[0].rule == "reciprocal"


@pytest.mark.parametrize("method", ["auto", "quotient"])
def test_quotient_stays_where_only_it_fits(method):
    assert planner.derive(sp.sin(x) / x, x, method=method).steps[0].rule == "quotient"


@pytest.mark.parametrize("method", ["Quotient", "", "chain", "recip"])
def test_unknown_method_is_an_input_error(method):
    with pytest.raises(InputError, match="method"):
        planner.derive(1 / x, x, method=method)


# ---------------------------------------------------------------- statements

DESIGN_IDS = (
    "constant identity sum linearity constant-multiple power product quotient reciprocal exp log chain leibniz "
    "chain-vector sigmoid tanh unfold fold substitute cite assume index-sum kronecker case-split algebra "
    "matrix-form log-sum-exp unknown relu trig"
).split()


@pytest.mark.parametrize("rule_id", DESIGN_IDS)
def test_every_design_rule_has_a_latex_statement(rule_id):
    statement = rule_statements()[rule_id]
    assert isinstance(statement, str) and statement.strip()


def test_every_rule_in_the_strategy_has_a_statement():
    statements = rule_statements()
    assert {rule.id for rule in planner.STRATEGY} <= set(statements)
    for rule_id, statement in statements.items():
        assert statement.strip(), rule_id
        assert statement.count("{") == statement.count("}"), rule_id


def _normalised(latex):
    return re.sub(r"\s+|\\left|\\right", "", latex)


def test_reciprocal_statement_is_trick_2():
    assert _normalised(rule_statements()["reciprocal"]) == r"(c\cdotf^{-1})'=-c\cdotf^{-2}\cdotf'"


def test_quotient_statement_is_trick_1():
    assert _normalised(rule_statements()["quotient"]) == r"(\frac{f}{g})'=\frac{f'g-fg'}{g^{2}}"


def test_sum_and_linearity_are_distinct_kinds():
    assert _normalised(rule_statements()["sum"]) == "(f+g)'=f'+g'"
    assert r"\sum_j" in rule_statements()["linearity"]
