"""sigmoid-derivative: σ′ = σ(1 − σ) by the reciprocal rule, checked against sympy's derivative of 1/(1 + e^{−p})."""

import sympy as sp

from symderiv import catalog
from symderiv.model.functions import sigmoid
from test_catalog_common import said, solved

p = sp.Symbol("p")


def derivation(method="auto"):
    return catalog.solve("sigmoid-derivative", {}, method).parts[0].derivation


def test_result_is_sympys_derivative_of_the_logistic_function():
    result = solved("sigmoid-derivative").parts[0].derivation.result
    oracle = sp.diff(1 / (1 + sp.exp(-p)), p)
    assert sp.simplify(result.replace(sigmoid, lambda u: 1 / (1 + sp.exp(-u))) - oracle) == 0


def test_result_is_folded_back_into_sigma():
    result = solved("sigmoid-derivative").parts[0].derivation.result
    assert result == sigmoid(p) * (1 - sigmoid(p))
    assert not result.has(sp.exp)


def test_auto_picks_the_reciprocal_rule_trick_2():
    rules = [step.rule for step in derivation().steps]
    assert rules[:2] == ["unfold", "reciprocal"] and "quotient" not in derivation().rules()


def test_quotient_method_reaches_the_same_result():
    forced = derivation("quotient")
    assert "quotient" in [step.rule for step in forced.steps] and forced.verified
    assert forced.result == derivation().result


def test_no_conditions_the_sigmoid_is_smooth():
    assert solved("sigmoid-derivative").parts[0].derivation.conditions == ()


def test_the_remark_quotes_the_derived_lemma():
    solution = solved("sigmoid-derivative")
    assert any("σ(p)·(1 − σ(p))" in remark for remark in said(solution.remarks))
