"""Tests for symderiv.read.function_names: every name and alias parses; a hint names only the same function."""

import pytest
import sympy as sp

from symderiv.model import functions as fn
from symderiv.model.errors import ParseError
from symderiv.read import function_names
from symderiv.read.parse import parse_expr

x = sp.Symbol("x")


@pytest.mark.parametrize("name", function_names.all_names())
def test_every_name_and_alias_parses_with_its_example_arguments(name):
    known = function_names.lookup(name)
    expr = parse_expr(f"{name}({known.example})")
    assert expr.has(x) and not isinstance(expr, sp.Symbol)


@pytest.mark.parametrize("alias, name", list(function_names.ALIASES.items()))
def test_an_alias_builds_the_same_expression_as_its_name(alias, name):
    example = function_names.lookup(name).example
    assert parse_expr(f"{alias}({example})") == parse_expr(f"{name}({example})")


@pytest.mark.parametrize("text, expected", [
    ("log(x, 2)", fn.logb(x, 2)), ("log2(x)", fn.logb(x, 2)), ("log10(x)", fn.logb(x, 10)),
    ("exp2(x)", 2**x), ("leaky_relu(x)", fn.leaky_relu(x, sp.Rational(1, 100))), ("elu(x)", fn.elu(x, 1)),
    ("Heaviside(x)", sp.Heaviside(x, 0)), ("Max(0.01*x, x)", sp.Max(x / 100, x)), ("silu(x)", fn.swish(x)),
    ("Piecewise((x, x > 0), (0, True))", sp.Piecewise((x, x > 0), (0, True))),
    ("Piecewise((x, 0 <= x < 1), (1, True))", sp.Piecewise((x, (x >= 0) & (x < 1)), (1, True))),
])
def test_functions_with_parameters_and_cases_build_what_they_say(text, expected):
    assert parse_expr(text) == expected


def test_cosh_is_a_function_of_its_own():
    assert parse_expr("cosh(x)") == sp.cosh(x)


@pytest.mark.parametrize("typed", ["atan2", "selu", "sinc", "expm1", "log1p", "relu6", "coshh2", "cosine"])
def test_a_hint_never_names_a_different_function(typed):
    with pytest.raises(ParseError) as err:
        parse_expr(f"{typed}(x)")
    assert "did you mean" not in str(err.value)


@pytest.mark.parametrize("typed, meant", [("sigmod", "sigmoid"), ("Arctan", "arctan"), ("LeakyReLU", "leaky_relu"),
                                          ("tnah", "tanh"), ("Kronecker", "KroneckerDelta"), ("SoftPlus", "softplus")])
def test_a_misspelling_of_a_function_gets_its_name(typed, meant):
    with pytest.raises(ParseError) as err:
        parse_expr(f"{typed}(x)")
    assert f"did you mean {meant!r}?" in str(err.value)


@pytest.mark.parametrize("text, message", [
    ("log(x, 2, 3)", "log() takes 1 or 2 arguments, got 3"),
    ("Max(x)", "Max() takes at least 2 arguments, got 1"),
    ("Piecewise((x, x == 0))", "a condition compares with <, <=, > or >="),
    ("Piecewise(x)", "each piece is written (expression, condition)"),
    ("Piecewise((x, y))", "a condition is a comparison"),
])
def test_wrong_arguments_are_one_clear_sentence(text, message):
    with pytest.raises(ParseError) as err:
        parse_expr(text)
    assert message in str(err.value)
