"""Tests for symderiv.derive.textbook: the folds into textbook form, over a corpus of course expressions."""

import pytest
import sympy as sp

from symderiv.derive.planner import derive
from symderiv.derive.textbook import textbook
from symderiv.check.verify import decide, verify
from symderiv.model.functions import sigmoid
from symderiv.read.answers import derive_expression
from symderiv.read.parse import parse_expr
from symderiv.testing.function_corpus import CORPUS

x, y, w, b = sp.symbols("x y w b")


def test_the_corpus_is_large_and_has_no_repeats():
    assert len(CORPUS) >= 60
    assert len({(e, v) for e, v, _ in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("expr, wrt, printed", CORPUS, ids=[f"{e} by {v}" for e, v, _ in CORPUS])
def test_every_corpus_entry_derives_verified_and_no_longer_than_the_textbook(expr, wrt, printed):
    derivation = derive_expression(expr, wrt).solution.parts[0].derivation
    assert derivation.verified, [(s.rule, s.check) for s in derivation.steps]
    expected = parse_expr(printed)
    assert decide(derivation.result, expected, derive_expression(expr, wrt).solution.definitions).ok is True
    assert sp.count_ops(derivation.result) <= sp.count_ops(expected)


def _folded(expr, var=x):
    derivation, introduced = textbook(derive(expr, var))
    return derivation, introduced


def test_softplus_folds_to_sigma_by_a_recognize_step():
    derivation, _ = _folded(sp.log(1 + sp.exp(x)))
    assert derivation.result == sigmoid(x)
    assert derivation.steps[-1].rule == "recognize"
    assert verify(derivation).verified


def test_logistic_loss_collects_to_x_times_sigma_minus_y():
    p = sigmoid(w * x + b)
    derivation, _ = _folded(-(y * sp.log(p) + (1 - y) * sp.log(1 - p)), w)
    assert sp.expand(derivation.result - x * (p - y)) == 0
    assert derivation.steps[-1].rule == "algebra"  # collected and cancelled
    assert verify(derivation).verified


def test_log_sum_exp_folds_to_softmax_with_its_definition():
    solution = derive_expression("log(Sum(exp(x[j]), (j, 1, N)))", "x[k]").solution
    derivation = solution.parts[0].derivation
    assert derivation.verified and derivation.steps[-1].rule == "fold"
    assert str(derivation.result) == "sigma[k]"
    assert any(d.note == "softmax" for d in solution.definitions)


def test_no_fold_keeps_the_raw_form():
    raw = derive_expression("log(1 + exp(x))", "x", fold=False).solution.parts[0].derivation
    assert raw.verified and not raw.result.has(sigmoid)
    assert "recognize" not in [s.rule for s in raw.steps]


def test_a_fold_never_lengthens_the_result():
    derivation, introduced = _folded(x**2 * sp.exp(-x))  # e^(−x) alone is not σ of anything
    assert not derivation.result.has(sigmoid) and introduced == ()


def test_each_fold_is_an_instance_of_its_own_kind_and_of_no_other():
    from symderiv.derive.kinds import Facts, registry

    solutions = [derive_expression(e, v).solution for e, v in [("log(1 + exp(x))", "x"), ("log(cosh(x))", "x"),
                 ("log(Sum(exp(x[j]), (j, 1, N)))", "x[k]"), ("exp(w*x)/(1 + exp(w*x))", "w"),
                 ("-(y*log(sigmoid(w*x + b)) + (1 - y)*log(1 - sigmoid(w*x + b)))", "w")]]
    checked = 0
    for solution in solutions:
        derivation = solution.parts[0].derivation
        facts = Facts(definitions=tuple(solution.definitions), conditions=derivation.conditions)
        for previous, step in derivation.links():
            if step.rule in ("recognize", "fold", "algebra"):
                checked += 1
                for other, kind in registry().items():
                    relabelled = type(step)(rule=other, rhs=step.rhs, uses=step.uses)
                    assert kind.instance_of(previous, relabelled, step.uses, facts) == (other == step.rule), other
    assert checked >= 5


def test_a_false_fold_would_be_caught_by_the_checker():
    derivation, _ = _folded(sp.log(1 + sp.exp(x)))
    wrong = derivation.steps[:-1] + (type(derivation.steps[-1])(rule="recognize", rhs=sigmoid(-x)),)
    tampered = type(derivation)(lhs=derivation.lhs, steps=wrong, conditions=derivation.conditions)
    checked = verify(tampered)
    assert not checked.verified and checked.steps[-1].check.ok is False


def test_tanh_is_recognized_from_exponentials_and_from_sinh_over_cosh():
    assert _folded((sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x)))[0].result == 1 - sp.tanh(x) ** 2
    assert _folded(sp.log(sp.cosh(x)))[0].result == sp.tanh(x)


def test_the_users_own_names_are_folded_back():
    solution = derive_expression("exp(w*x)/(1 + exp(w*x))", "w", ["q = sigmoid(w*x)"]).solution
    result = solution.parts[0].derivation.result
    assert solution.parts[0].derivation.verified
    assert sp.Symbol("q") in result.free_symbols and not result.has(sp.exp)


def test_the_question_keeps_the_order_typed():
    derivation = derive_expression("w*x + b", "w").solution.parts[0].derivation
    assert list(derivation.lhs.expr.args) == [w * x, b]
    loss = derive_expression("-(y*log(p) + (1 - y)*log(1 - p))", "p").solution.parts[0].derivation
    assert loss.lhs.expr.args[0] == -1 and loss.lhs.expr.args[1].is_Add  # −(…), not distributed


def test_always_true_conditions_are_not_printed():
    derivation = derive_expression("log(1 + exp(x))", "x", fold=False).solution.parts[0].derivation
    assert derivation.conditions == ()


def test_softmax_is_not_named_sigma_where_sigma_already_means_something():
    derivation = derive_expression("log(Sum(exp(x[j]), (j, 1, N))) + sigma[k]", "x[k]").solution.parts[0].derivation
    assert derivation.verified and "sigma" not in str(derivation.result)
