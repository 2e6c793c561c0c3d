"""Tests for symderiv.derive.planner: a corpus checked against sympy, named quantities, cases, unknowns, Leibniz chains."""

import pytest
import sympy as sp

from symderiv.derive import planner
from symderiv.check import verify
from symderiv.model.definitions import Definition, unfold
from symderiv.model.functions import leaky_relu, relu, sigmoid
from symderiv.model.steps import Derivation

x, a, b = sp.symbols("x a b")

CORPUS = [
    # polynomials and powers
    x**3,
    3 * x**2 + 2 * x + 1,
    7 * x**5 - 2 * x**3,
    a * x**2 + b * x,
    (x + 1) ** 4,
    (2 * x + 3) ** -2,
    sp.sqrt(x),
    x ** sp.Rational(3, 2),
    sp.sqrt(x**2 + 1),
    1 / sp.sqrt(x),
    # products
    x * sp.exp(x),
    x * sp.sin(x),
    sp.sin(x) * sp.cos(x),
    x * sp.log(x),
    x**2 * sp.exp(x) * sp.sin(x),
    x * sp.tanh(x),
    sigmoid(x) * (1 - sigmoid(x)),
    # quotients
    sp.exp(x) / x,
    1 / x,
    2 / x**2,
    sp.log(x) / x,
    (x**2 + 1) / (x - 1),
    x / (1 + x**2),
    (x**3 - 1) / (x**3 + 1),
    (sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x)),
    sp.exp(a * x) / (1 + sp.exp(a * x)),
    # exp / log compositions
    1 / (1 + sp.exp(-x)),
    sp.log(x**2 + 1),
    sp.exp(sp.sin(x)),
    sp.exp(2 * x),
    sp.exp(-(x**2)),
    sp.log(sp.exp(x) + 1),
    sp.log(1 + sp.exp(-x)),
    sp.exp(sp.exp(x)),
    sp.log(sp.log(x)),
    # nested chains and trig
    sp.tan(x),
    sp.sin(x**2),
    sp.cos(3 * x + 1),
    sp.sin(sp.cos(sp.exp(x))),
    # sigmoid / tanh / relu
    sigmoid(x),
    sigmoid(2 * x + 1),
    sigmoid(sigmoid(x)),
    sp.tanh(x),
    sp.tanh(x**2),
    relu(x),
    relu(x) * x,
]


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 40 and len(set(CORPUS)) == len(CORPUS)


@pytest.mark.parametrize("expr", CORPUS, ids=[str(e) for e in CORPUS])
def test_corpus_derivation_is_verified_and_right(expr):
    derivation = planner.derive(expr, x)
    checked = verify.verify(derivation)
    assert not derivation.has_unknown(), derivation.rules()
    assert checked.failures() == []
    assert checked.verified is True
    assert checked.check.ok is True and checked.check.method != "structural"
    assert derivation.lhs == sp.Derivative(expr, x)
    # the test is the independent oracle
    oracle = sp.diff(expr, x)
    if expr.has(relu):
        points = [-1.5, -0.25, 0.5, 2]
        assert [sp.N(derivation.result.subs(x, p) - oracle.subs(x, p)) for p in points] == [0] * 4
    else:
        assert sp.simplify(derivation.result - oracle) == 0


def test_every_step_names_a_known_rule():
    known = set(planner.rule_statements())
    for expr in CORPUS:
        assert set(planner.derive(expr, x).rules()) <= known, expr


def test_conditions_record_singular_points():
    assert sp.Ne(x - 1, 0) in planner.derive(1 / (x - 1), x).conditions
    derivation = planner.derive(sp.log(x) / x, x)
    assert sp.Gt(x, 0) in derivation.conditions  # which excludes x = 0, so x ≠ 0 is not repeated
    assert sp.Ne(x, 0) not in derivation.conditions


# ---------------------------------------------------------------- named quantities and cases


def test_softmax_results_are_folded_back_into_sigma(sym):
    s, X, i, k = sym.sigma, sym.x, sym.i, sym.k
    derivation = planner.derive(s[i], X[k], definitions=[sym.softmax])
    diagonal, off_diagonal = derivation.steps[0].uses
    assert sp.expand(diagonal.result - s[i] * (1 - s[i])) == 0
    assert sp.expand(off_diagonal.result - (-s[i] * s[k])) == 0
    for part in (diagonal, off_diagonal, derivation):
        assert part.result.has(s[i]) and not part.result.has(sp.exp) and not part.result.has(sp.Sum)
    # unfolded first: the first step of each case is the `unfold` step to e^{x_i}/Σ_j e^{x_j}
    for part in (diagonal, off_diagonal):
        assert part.steps[0].rule == "unfold" and part.steps[0].rhs.has(sp.exp)


def test_case_split_on_an_ambiguous_index(sym):
    s, X, i, k = sym.sigma, sym.x, sym.i, sym.k
    derivation = planner.derive(s[i], X[k], definitions=[sym.softmax])
    first = derivation.steps[0]
    assert first.rule == "case-split"
    equal, different = first.uses
    assert equal.lhs == sp.Derivative(s[i], X[i]) and not any(c.has(k) for c in equal.conditions)
    assert different.lhs == sp.Derivative(s[i], X[k]) and sp.Ne(k, i) in different.conditions
    assert isinstance(first.rhs, sp.Piecewise)
    assert first.rhs.args[0].expr == equal.result and first.rhs.args[0].cond in (sp.Eq(k, i), sp.Eq(i, k))
    assert first.rhs.args[1].expr == different.result
    assert verify.verify(derivation, (sym.softmax,)).verified


def test_no_case_split_when_the_index_is_the_variables(sym):
    s, X, i = sym.sigma, sym.x, sym.i
    derivation = planner.derive(s[i], X[i], definitions=[sym.softmax])
    assert "case-split" not in derivation.rules()
    assert sp.expand(derivation.result - s[i] * (1 - s[i])) == 0


def test_case_split_without_definitions(sym):
    X, i, k = sym.x, sym.i, sym.k
    derivation = planner.derive(X[i] ** 2, X[k])
    assert derivation.steps[0].rule == "case-split"
    assert sp.expand(derivation.result - 2 * X[i] * sp.KroneckerDelta(i, k)) == 0
    assert verify.verify(derivation).verified


def test_known_distinct_indices_need_no_case_split(sym):
    X, i, k = sym.x, sym.i, sym.k
    derivation = planner.derive(X[i] ** 2, X[k], distinct=[(i, k)])
    assert [s.rule for s in derivation.steps] == ["constant"]


# ---------------------------------------------------------------- unknown


NO_RULE = leaky_relu(x, x)  # a slope that depends on the variable: no rule covers it


@pytest.mark.parametrize("expr", [NO_RULE, sp.sin(NO_RULE), NO_RULE + x**2])
def test_no_rule_gives_an_unknown_step_and_an_unverified_tree(expr):
    derivation = planner.derive(expr, x)
    assert isinstance(derivation, Derivation)
    assert derivation.has_unknown()
    checked = verify.verify(derivation)
    assert checked.verified is False
    unknown = [step for d in checked.walk() for step in d.steps if step.rule == "unknown"]
    assert unknown and all(step.check.ok is None for step in unknown)


# ---------------------------------------------------------------- Leibniz along named intermediates

E, z, p2, y, p1, w1, w2, d = sp.symbols("E z p2 y p1 w1 w2 d")
BACKPROP = [
    Definition(name=E, expr=(d - z) ** 2 / 2),
    Definition(name=z, expr=sigmoid(p2)),
    Definition(name=p2, expr=w2 * y),
    Definition(name=y, expr=sigmoid(p1)),
    Definition(name=p1, expr=w1 * x),
]


@pytest.mark.parametrize(
    "var, path, expected",
    [
        (w2, [E, z, p2, w2], -(d - z) * z * (1 - z) * y),
        (w1, [E, z, p2, y, p1, w1], -(d - z) * z * (1 - z) * w2 * y * (1 - y) * x),
    ],
    ids=["dE/dw2", "dE/dw1"],
)
def test_backprop_named_chain(var, path, expected):
    derivation = planner.derive(E, var, definitions=BACKPROP)
    leibniz, product = derivation.steps[:2]
    assert leibniz.rule == "leibniz" and product.rule == "substitute"
    factors = [sp.Derivative(q, v) for q, v in zip(path, path[1:])]
    assert list(leibniz.rhs.args) == factors  # ∂E/∂z · ∂z/∂p2 · … in path order
    assert [used.lhs for used in product.uses] == factors
    assert sp.expand(derivation.result - expected) == 0
    # the lecture note's slip: ∂E/∂z is −(d − z) = z − d, not (d − z)
    assert sp.expand(product.uses[0].result - (z - d)) == 0
    checked = verify.verify(derivation, tuple(BACKPROP))
    assert checked.verified
    oracle = sp.diff(unfold(E, tuple(BACKPROP)), var)
    assert sp.simplify(unfold(derivation.result, tuple(BACKPROP)) - oracle) == 0


@pytest.mark.parametrize("layers", [1, 2, 3, 4])
def test_named_chain_any_depth(layers):
    ys = [x] + [sp.Symbol(f"y{n}") for n in range(1, layers + 1)]
    ps = [sp.Symbol(f"p{n}") for n in range(layers + 1)]
    ws = [sp.Symbol(f"w{n}") for n in range(layers + 1)]
    definitions = [Definition(name=E, expr=(d - ys[layers]) ** 2 / 2)]
    for n in range(1, layers + 1):
        definitions += [Definition(name=ys[n], expr=sigmoid(ps[n])), Definition(name=ps[n], expr=ws[n] * ys[n - 1])]
    derivation = planner.derive(E, ws[1], definitions=definitions)
    path = [E] + [q for n in range(layers, 0, -1) for q in (ys[n], ps[n])] + [ws[1]]
    assert list(derivation.steps[0].rhs.args) == [sp.Derivative(q, v) for q, v in zip(path, path[1:])]
    assert verify.verify(derivation, tuple(definitions)).verified
    oracle = sp.diff(unfold(E, tuple(definitions)), ws[1])
    assert sp.simplify(unfold(derivation.result, tuple(definitions)) - oracle) == 0


def test_the_sigmoid_lemma_is_cited_not_rederived():
    derivation = planner.derive(E, w1, definitions=BACKPROP)
    rules = derivation.rules()
    assert 1 <= rules.count("sigmoid") <= 2  # by the lemma (at most once per layer)
    assert "reciprocal" not in rules and "quotient" not in rules  # σ′ is never re-derived from 1/(1 + e^{−p})


def test_notes_attach_to_the_derivative_they_annotate():
    note = "input of the current layer"
    derivation = planner.derive(E, w1, definitions=BACKPROP, notes=[(sp.Derivative(p1, w1), note)])
    (cited,) = [used for used in derivation.steps[1].uses if used.lhs == sp.Derivative(p1, w1)]
    assert cited.steps[-1].note == note
    others = [step.note for used in derivation.steps[1].uses if used is not cited for step in used.steps]
    assert set(others) == {""}


def test_jacobian_entry_ends_in_matrix_form(sym):
    s, X, i, k = sym.sigma, sym.x, sym.i, sym.k
    row = sp.MatrixSymbol("sigma", 1, sym.n)
    entry = planner.derive_jacobian_entry(s[i], X[k], i, {s: row}, definitions=[sym.softmax])
    assert [st.rule for st in entry.steps] == ["case-split", "algebra", "matrix-form"]
    element = entry.result
    assert element.parent == sp.matrices.expressions.diagonal.DiagMatrix(row) - row.T * row
    assert (element.i, element.j) == (i, k)


def test_dependence_through_a_long_chain_of_names_needs_no_recursion():
    names = sp.symbols("y1:3001")
    w = sp.Symbol("w")
    chain = tuple(Definition(name=n, expr=2 * p) for n, p in zip(names, (x,) + names))
    assert planner.context(x, definitions=chain).depends(names[-1])
    assert not planner.context(w, definitions=chain).depends(names[-1])
