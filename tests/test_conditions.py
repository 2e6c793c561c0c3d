"""Tests for symderiv.derive.conditions: domain conditions, the ones that go without saying, and implied ones."""

import pytest
import sympy as sp

from symderiv.derive.conditions import always_true, domain_conditions, shown_conditions
from symderiv.model.functions import logb, sigmoid

x, y = sp.symbols("x y")


@pytest.mark.parametrize("condition", [
    sp.Ne(sp.exp(x) + 1, 0), sp.Gt(x**2 + 1, 0), sp.Gt(1 - sigmoid(x), 0), sp.Gt(sigmoid(y), 0),
    sp.Ne(sp.exp(x) + sp.exp(-x), 0),
])
def test_conditions_true_for_every_real_value_go_without_saying(condition):
    assert always_true(condition)


@pytest.mark.parametrize("condition", [sp.Ne(x, 0), sp.Gt(x, 0), sp.Ne(sp.exp(x) - 1, 0), sp.Lt(sigmoid(x), sp.S.Half),
                                       sp.Gt(x**2 - 1, 0)])
def test_conditions_that_can_fail_are_kept(condition):
    assert not always_true(condition)


@pytest.mark.parametrize("expr, expected", [
    (sp.asin(x), {sp.Gt(x, -1), sp.Lt(x, 1)}), (sp.acosh(x), {sp.Gt(x, 1)}), (sp.Abs(x), {sp.Ne(x, 0)}),
    (sp.log(x), {sp.Gt(x, 0)}), (logb(x, 2), {sp.Gt(x, 0)}), (x**x, {sp.Gt(x, 0)}), (sp.Max(x, 3), {sp.Ne(x, 3)}),
    (sp.Max(x / 100, x), {sp.Ne(x, 0)}), (sp.Piecewise((x, x > 2), (0, True)), {sp.Ne(x, 2)}),
    (sp.asec(x), {sp.Gt(sp.Abs(x), 1)}), (sp.log(sp.exp(x) + 1), set()), (sp.sin(x), set()),
])
def test_each_function_states_where_it_is_differentiable(expr, expected):
    assert set(domain_conditions(expr, x)) == expected


def test_an_inequation_implied_by_the_other_conditions_is_left_out_and_nothing_else():
    kept = shown_conditions((sp.Gt(x, -1), sp.Lt(x, 1), sp.Ne(1 - x**2, 0), sp.Ne(sp.exp(x) + 1, 0)))
    assert kept == (sp.Gt(x, -1), sp.Lt(x, 1))
    assert shown_conditions((sp.Gt(x, 0), sp.Ne(x, 0))) == (sp.Gt(x, 0),)
    assert shown_conditions((sp.Ne(x, 1), sp.Gt(x, 0))) == (sp.Ne(x, 1), sp.Gt(x, 0))
