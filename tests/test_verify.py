"""Tests for symderiv.check.verify: the checker must be able to fail (mutation tests), and each decision method."""


import pytest
import sympy as sp

from mutation import assert_fails_only_where_allowed, mutate, step_at, step_paths
from symderiv.derive import planner
from symderiv.check import verify
from symderiv.model.functions import relu, sigmoid
from symderiv.model.steps import Derivation, Step
from symderiv.model.symbols import N, index, vector
from symderiv.check.verify import decide, decide_expressions

x, y = sp.symbols("x y")
X, SIGMA = vector("x"), vector("sigma")
i, j, k = index("i"), index("j"), index("k")
S = sp.Sum(sp.exp(X[j]), (j, 1, N))






def _softmax_tree():
    from conftest import solved

    solution = solved()
    return solution.parts[-1].derivation, solution.definitions


def pytest_generate_tests(metafunc):
    if "mutation_path" in metafunc.fixturenames:
        tree, _ = _softmax_tree()
        params = []
        for path, derivation, n in step_paths(tree):
            label = "-".join(map(str, path)) + f":{derivation.steps[n].rule}"
            params.append(pytest.param(path, id=label))
        metafunc.parametrize("mutation_path", params)


@pytest.fixture(scope="module")
def softmax_tree():
    return _softmax_tree()


def test_the_softmax_tree_verifies_unmutated(softmax_tree):
    tree, definitions = softmax_tree
    checked = verify.verify(tree, definitions)
    assert checked.verified and checked.check.ok is True
    assert len(list(step_paths(tree))) >= 15


@pytest.mark.parametrize("change", [lambda e: -e, lambda e: 2 * e], ids=["negated", "doubled"])
def test_mutation_is_rejected_exactly_there(softmax_tree, mutation_path, change):
    """Mutating one rhs makes that link false; the only other link allowed to fail is the next one in the
    same derivation (its `previous` changed), and the step citing it if it is the last of a cited derivation (a wrong
    justification: the rule no longer gives that step); every other link of the tree, and the final comparison with
    sympy's derivative unless the mutated step is the last step of the top derivation, still holds."""
    tree, definitions = softmax_tree
    original = step_at(tree, mutation_path).rhs
    if change(original) == original:
        pytest.skip("the mutation does not change this rhs")
    checked = verify.verify(mutate(tree, mutation_path, change), definitions)

    assert step_at(checked, mutation_path).check.ok is False
    assert_fails_only_where_allowed(tree, checked, mutation_path)
    assert checked.verified is False
    last_of_top = mutation_path == (len(tree.steps) - 1,)
    assert checked.check.ok is (False if last_of_top else True)


@pytest.mark.parametrize(
    "lhs, wrong",
    [
        (sp.Derivative(SIGMA[i], X[k]), sp.S.Zero),
        (sp.Derivative(SIGMA[i], X[k]), 2 * sp.Derivative(SIGMA[i], X[k])),
        (sp.Derivative(S, X[k]), sp.S.Zero),
        (sp.Derivative(sp.Sum(X[j] ** 2, (j, 1, N)), X[k]), sp.S.Zero),
    ],
    ids=["dsigma=0", "dsigma=2dsigma", "dSum=0", "dSumSquares=0"],
)
def test_false_derivative_claims_over_a_free_index_are_rejected(sym, lhs, wrong):
    """Regression: k occurs only as the derivative's variable x_k (sympy leaves it out of free_symbols), so
    the checker must still instantiate it; it once sampled k at non-integers, where every δ(a, k) is 0."""
    assert decide(lhs, wrong, (sym.softmax,), (sp.Ne(k, i),)).ok is False


@pytest.mark.parametrize(
    "lhs, wrong",
    [(sp.Derivative(SIGMA[i], X[k]), SIGMA[i] * SIGMA[k]), (sp.Derivative(S, X[k]), -sp.exp(X[k]))],
)
def test_false_derivative_claims_naming_the_index_are_rejected(sym, lhs, wrong):
    assert decide(lhs, wrong, (sym.softmax,), (sp.Ne(k, i),)).ok is False


@pytest.mark.parametrize(
    "lhs, right",
    [
        (sp.Derivative(SIGMA[i], X[k]), -SIGMA[i] * SIGMA[k]),
        (sp.Derivative(S, X[k]), sp.exp(X[k])),
    ],
)
def test_true_derivative_claims_over_a_free_index_are_accepted(sym, lhs, right):
    check = decide(lhs, right, (sym.softmax,), (sp.Ne(k, i),))
    assert check.ok is True and check.method == "index"


SCALAR_TREES = [x * sp.exp(x), 1 / (1 + sp.exp(-x)), sp.sin(x**2), sigmoid(2 * x) * x, sp.log(x) / x]


@pytest.mark.parametrize("expr", SCALAR_TREES, ids=map(str, SCALAR_TREES))
def test_scalar_mutations_are_rejected_where_made(expr):
    tree = planner.derive(expr, x)
    for path, derivation, n in step_paths(tree):
        if derivation.steps[n].rhs == 0:
            continue
        checked = verify.verify(mutate(tree, path, lambda e: -e))
        assert step_at(checked, path).check.ok is False, path
        assert_fails_only_where_allowed(tree, checked, path)


# ---------------------------------------------------------------- verify() itself


def test_verify_is_pure_and_fills_every_check():
    tree = planner.derive(x * sp.exp(x), x)
    checked = verify.verify(tree)
    assert all(step.check is None for d in tree.walk() for step in d.steps)
    assert tree.check is None
    assert all(step.check is not None for d in checked.walk() for step in d.steps)
    assert [s.rule for s in checked.steps] == [s.rule for s in tree.steps]
    assert checked.result == tree.result


def test_the_final_result_is_compared_with_sympy():
    wrong_but_consistent = Derivation(lhs=sp.Derivative(x**2, x), steps=(Step(rule="power", rhs=3 * x),))
    checked = verify.verify(wrong_but_consistent)
    assert checked.steps[0].check.ok is False
    assert checked.check.ok is False and checked.verified is False


def test_a_chain_that_never_leaves_the_lhs_is_not_verified():
    lhs = sp.Derivative(x**2, x)
    checked = verify.verify(Derivation(lhs=lhs, steps=(Step(rule="algebra", rhs=lhs),)))
    assert checked.steps[0].check.ok is True
    assert checked.check.ok is None and checked.verified is False


def test_an_unknown_step_is_undecided_even_if_true():
    lhs = sp.Derivative(x**2, x)
    checked = verify.verify(Derivation(lhs=lhs, steps=(Step(rule="unknown", rhs=2 * x),)))
    assert checked.steps[0].check.ok is None and checked.verified is False


def test_conditions_are_inherited_by_cited_derivations():
    # ∂σ_i/∂x_k = −σ_i σ_k holds only for k ≠ i; the condition sits on the parent
    lhs = sp.Derivative(SIGMA[i], X[k])
    from conftest import solved

    definitions = solved().definitions
    inner = Derivation(lhs=lhs, steps=(Step(rule="algebra", rhs=-SIGMA[i] * SIGMA[k]),))
    outer = Derivation(
        lhs=sp.Symbol("q"), steps=(Step(rule="algebra", rhs=sp.Symbol("q"), uses=(inner,)),), conditions=(sp.Ne(k, i),)
    )
    # the link holds under k ≠ i, so only its label (algebra does not differentiate) is refused
    assert verify.verify(outer, definitions).steps[0].uses[0].steps[0].check.method == "justification"
    alone = verify.verify(inner, definitions).steps[0].check
    assert alone.ok is False and alone.method != "justification"


# ---------------------------------------------------------------- decide(): the methods


@pytest.mark.parametrize(
    "a, b, method",
    [
        (x**2, x**2, "structural"),
        (x * (x + 1), x**2 + x, "exact"),
        (sp.exp(x) / (1 + sp.exp(x)), 1 - 1 / (1 + sp.exp(x)), "exact"),
        (sp.Derivative(x**3, x), 3 * x**2, "exact"),
        (sp.tanh(x), (sp.exp(2 * x) - 1) / (sp.exp(2 * x) + 1), "exact"),
        (sp.sin(x) ** 2 + sp.cos(x) ** 2, sp.S.One, "simplify"),
        (sp.Sum(sp.KroneckerDelta(j, k) * X[j], (j, 1, N)), X[k], "index"),
    ],
)
def test_decide_method(a, b, method):
    check = decide(a, b)
    assert check.ok is True and check.method == method


@pytest.mark.parametrize(
    "a, b",
    [
        (x**2, x**3),
        (sp.sin(x), sp.cos(x)),
        (sp.Derivative(x**2, x), x),
        (sp.exp(x) / (1 + sp.exp(x)), 1 / (1 + sp.exp(x))),
        (sigmoid(x) * (1 - sigmoid(x)), sigmoid(x)),
    ],
)
def test_false_identity_has_a_counterexample(a, b):
    check = decide(a, b)
    assert check.ok is False
    assert "at x = " in check.detail and "left side" in check.detail and "right side" in check.detail


def test_numeric_fallback_when_simplify_is_out_of_budget(monkeypatch):
    monkeypatch.setattr(verify, "SIMPLIFY_MAX_OPS", -1)
    check = decide_expressions(sp.sin(y) ** 2 + sp.cos(y) ** 2, sp.S.One)
    assert check.ok is True and check.method == "numeric"
    refuted = decide_expressions(sp.sin(y) ** 2 + sp.cos(y) ** 2, sp.S(2))
    assert refuted.ok is False and refuted.method in {"simplify", "numeric"}


def test_numeric_directly():
    assert verify.numeric(sp.sin(y) ** 2 + sp.cos(y) ** 2, sp.S.One).ok is True
    wrong = verify.numeric(sp.sin(y), sp.sin(y) + sp.Float("1e-10"))
    assert wrong.ok is False and wrong.method == "numeric" and "at y = " in wrong.detail


def test_numeric_undecided_where_nothing_is_defined():
    assert verify.numeric(sp.log(-1 - y**2), sp.log(-2 - y**2)).ok is None


def test_a_side_undefined_where_the_other_is_defined_differs():
    check = verify.numeric(sp.sqrt(-1 - y**2), sp.S.One)
    assert check.ok is False and "left side undefined" in check.detail


# ---------------------------------------------------------------- index identities


INDEX_IDENTITIES = [
    (sp.Sum(sp.KroneckerDelta(j, k) * X[j], (j, 1, N)), X[k]),
    (sp.Sum(sp.KroneckerDelta(i, j) * sp.KroneckerDelta(j, k), (j, 1, N)), sp.KroneckerDelta(i, k)),
    (sp.KroneckerDelta(i, k) * X[i], sp.KroneckerDelta(i, k) * X[k]),
    (sp.Sum(X[j], (j, 1, N)) - X[k], sp.Sum(X[j] * (1 - sp.KroneckerDelta(j, k)), (j, 1, N))),
    (sp.Sum(sp.exp(X[j]) * sp.KroneckerDelta(j, k), (j, 1, N)), sp.exp(X[k])),
    (sp.Derivative(S, X[k]), sp.Sum(sp.exp(X[j]) * sp.KroneckerDelta(j, k), (j, 1, N))),
]


@pytest.mark.parametrize("a, b", INDEX_IDENTITIES, ids=[str(a) for a, _ in INDEX_IDENTITIES])
def test_index_identity_holds_for_every_n(a, b):
    check = decide(a, b)
    assert check.ok is True and check.method in {"index", "exact"}
    assert "every N ≥ 1" in check.detail or "kept symbolic" in check.detail


@pytest.mark.parametrize(
    "a, b",
    [
        (sp.Sum(sp.KroneckerDelta(j, k) * X[j], (j, 1, N)), X[i]),
        (sp.Sum(X[j], (j, 1, N)), N * X[k]),
        (sp.KroneckerDelta(i, k), sp.S.One),
    ],
)
def test_false_index_identity_names_the_instance(a, b):
    check = decide(a, b)
    assert check.ok is False and check.method.startswith("index+")
    assert check.detail.startswith("at N = ")


def test_conditions_restrict_the_index_cases():
    wrong_on_the_diagonal = (sp.KroneckerDelta(i, k), sp.S.Zero)
    assert decide(*wrong_on_the_diagonal).ok is False
    assert decide(*wrong_on_the_diagonal, (), (sp.Ne(i, k),)).ok is True


def test_piecewise_case_link(sym):
    cases = sp.Piecewise((SIGMA[i] * (1 - SIGMA[i]), sp.Eq(i, k)), (-SIGMA[i] * SIGMA[k], True))
    combined = SIGMA[i] * (sp.KroneckerDelta(i, k) - SIGMA[k])
    check = decide(cases, combined, (sym.softmax,))
    assert check.ok is True and check.method == "index"
    wrong = sp.Piecewise((SIGMA[i] * (1 - SIGMA[i]), sp.Eq(i, k)), (SIGMA[i] * SIGMA[k], True))
    refuted = decide(wrong, combined, (sym.softmax,))
    assert refuted.ok is False and "i = " in refuted.detail and "k = " in refuted.detail


POSITIVE_SAMPLES_BUG = (
    "verify.numeric samples every symbol in [0.15, 1.85] only, so identities that hold just for positive "
    "arguments pass: relu′(x) = 1, relu(x) = x, H(x) = 1, |x| = x are all accepted"
)


@pytest.mark.parametrize(
    "a, b",
    [
        (sp.Derivative(relu(x), x), sp.S.One),
        (relu(x), x),
        (sp.Heaviside(x, 0), sp.S.One),
        (sp.Abs(x), x),
    ],
    ids=["relu-prime=1", "relu=x", "heaviside=1", "abs=x"],
)
def test_identities_true_only_for_positive_x_are_rejected(a, b):
    assert decide(a, b).ok is False


def test_a_wrong_relu_step_is_rejected():
    wrong = Derivation(lhs=sp.Derivative(relu(x), x), steps=(Step(rule="relu", rhs=sp.S.One),))
    assert verify.verify(wrong).verified is False


def test_the_relu_rule_itself_verifies():
    derivation = planner.derive(relu(x), x)
    assert verify.verify(derivation).verified
    assert [derivation.result.subs(x, v) for v in (-1, 0, 1)] == [0, 0, 1]


def test_log_sum_exp_is_decided_exactly_through_exponentials():
    x1, x2, m = sp.symbols("x1 x2 m")
    total = sp.exp(x1) + sp.exp(x2)
    stable = x1 - m - sp.log(sp.exp(x1 - m) + sp.exp(x2 - m))
    check = verify.decide_expressions(sp.log(sp.exp(x1) / total), stable)
    assert check.ok is True and check.method == "exact"
    wrong = x1 - m - sp.log(sp.exp(x1 - m) + sp.exp(x2 + m))
    assert verify.decide_expressions(sp.log(sp.exp(x1) / total), wrong).ok is False


def test_a_logarithm_of_a_quantity_of_unknown_sign_is_not_decided_through_exponentials():
    x = sp.Symbol("x")
    assert verify._equal_exponentials(sp.log(x**2), 2 * sp.log(x)) is False
