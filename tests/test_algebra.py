"""Tests for symderiv.derive.rearrange: named rearrangements, singular points, cases in one formula, matrix form."""

import pytest
import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix

from symderiv.derive.rearrange import (
    combine_cases,
    evaluate,
    fold_steps,
    matrix_form,
    singular_conditions,
    tidy,
    tidy_step,
)
from symderiv.model.definitions import Definition
from symderiv.model.functions import sigmoid
from symderiv.model.symbols import N, index, vector

x, sigma, t = vector("x"), vector("sigma"), vector("t")
i, j, k = index("i"), index("j"), index("k")
S = sp.Sum(sp.exp(x[j]), (j, 1, N))
SOFTMAX = Definition(name=sigma[i], expr=sp.exp(x[i]) / S, params=(i,))
ROW = sp.MatrixSymbol("sigma", 1, N)
T_ROW = sp.MatrixSymbol("t", 1, N)
y, z, w = sp.symbols("y z w")
pos = sp.Symbol("pos", positive=True)


class TestEvaluate:
    @pytest.mark.parametrize(
        "raw, expected",
        [
            (sp.Mul(2, 3, evaluate=False), 6),
            (sp.Add(y, y, evaluate=False), 2 * y),
            (sp.Mul(sp.Add(y, 1), sp.Pow(sp.Add(y, 1), -2, evaluate=False), evaluate=False), 1 / (y + 1)),
        ],
    )
    def test_renormalises(self, raw, expected):
        assert evaluate(raw) == expected

    def test_leaves_derivatives_and_sums_alone(self):
        der = sp.Derivative(sp.Mul(y, y, evaluate=False), y, evaluate=False)
        assert evaluate(der) is der
        assert evaluate(S) is S


class TestTidy:
    @pytest.mark.parametrize(
        "expr, expected",
        [
            (sp.Add(sp.Mul(2, y, evaluate=False), sp.Mul(3, y, evaluate=False), evaluate=False), 5 * y),
            (y**2 - y, y * (y - 1)),
            (sp.exp(y) * y + sp.exp(y), (y + 1) * sp.exp(y)),
            (sigma[i] - sigma[i] ** 2, sigma[i] * (1 - sigma[i])),
        ],
    )
    def test_shorter_or_factored_form(self, expr, expected):
        tidied = tidy(expr)
        assert tidied == expected
        assert sp.expand(tidied - expr) == 0

    @pytest.mark.parametrize("expr", [y * (1 - y), sp.exp(y), y, sp.Integer(0), sigmoid(y) * (1 - sigmoid(y))])
    def test_already_tidy_is_unchanged(self, expr):
        assert tidy(expr) == expr

    def test_never_a_blind_simplify(self):
        # sympy's simplify turns σ(1 − σ) into 1/(4 cosh²(x/2)); tidy must keep the textbook form
        expr = sigmoid(y) * (1 - sigmoid(y))
        assert not tidy(expr).has(sp.cosh)

    def test_tidy_step(self):
        assert tidy_step(y * (1 - y)) == ()
        (step,) = tidy_step(y**2 - y)
        assert step.rule == "algebra" and step.rhs == y * (y - 1)


class TestFoldSteps:
    def test_a_fold_step_when_shorter(self):
        (step,) = fold_steps(sp.exp(x[i]) * sp.exp(x[k]) / S**2, SOFTMAX)
        assert step.rule == "fold" and step.rhs == sigma[i] * sigma[k]

    def test_nothing_to_fold(self):
        assert fold_steps(sp.exp(y), SOFTMAX) == ()


class TestSingularConditions:
    @pytest.mark.parametrize(
        "expr, expected",
        [
            (1 / z, (sp.Ne(z, 0),)),
            (sp.log(z), (sp.Gt(z, 0),)),
            (1 / (z - 1) + sp.log(w), (sp.Ne(z - 1, 0), sp.Gt(w, 0))),
            (sp.log(z) / z, (sp.Ne(z, 0), sp.Gt(z, 0))),
            (-t[i] / sigma[i], (sp.Ne(sigma[i], 0),)),
            (z**2 + 1, ()),
            (sp.exp(-z), ()),
            (1 / pos, ()),
            (sp.log(pos), ()),
            (sp.Rational(1, 2), ()),
            (1 / (z**2 + 1), (sp.Ne(z**2 + 1, 0),)),
        ],
    )
    def test_conditions(self, expr, expected):
        assert set(singular_conditions(expr)) == set(expected)

    def test_each_condition_once(self):
        assert singular_conditions(1 / z + 2 / z**2) == (sp.Ne(z, 0),)

    def test_sees_through_unevaluated_products(self):
        raw = sp.Mul(-1, sp.Pow(z, -2, evaluate=False), evaluate=False)
        assert singular_conditions(raw) == (sp.Ne(z, 0),)


class TestCombineCases:
    def test_softmax(self):
        combined = combine_cases(sigma[i] * (1 - sigma[i]), -sigma[i] * sigma[k], i, k)
        assert sp.expand(combined - sigma[i] * (sp.KroneckerDelta(i, k) - sigma[k])) == 0

    @pytest.mark.parametrize(
        "equal, different",
        [
            (2 * x[i], sp.S.Zero),
            (sigma[i] * (1 - sigma[i]), -sigma[i] * sigma[k]),
            (1 - t[i], -t[k]),
            (sp.exp(x[i]), sp.exp(x[i]) * sp.exp(x[k])),
        ],
    )
    def test_both_cases_are_recovered(self, equal, different):
        combined = combine_cases(equal, different, i, k)
        assert sp.expand(combined.xreplace({k: i}) - equal) == 0
        assert sp.expand(combined.subs(sp.KroneckerDelta(i, k), 0) - different) == 0


class TestMatrixForm:
    def test_softmax_jacobian(self):
        assert matrix_form(sigma[i] * (sp.KroneckerDelta(i, k) - sigma[k]), i, k, {sigma: ROW}) == (
            DiagMatrix(ROW) - ROW.T * ROW
        )

    def test_outer_product_of_two_vectors(self):
        form = matrix_form(2 * sigma[i] * t[k], i, k, {sigma: ROW, t: T_ROW})
        assert form == 2 * ROW.T * T_ROW

    def test_diagonal_only(self):
        assert matrix_form(sigma[i] * sp.KroneckerDelta(i, k), i, k, {sigma: ROW}) == DiagMatrix(ROW)

    @pytest.mark.parametrize(
        "entry",
        [
            sigma[i] * sigma[k] ** 2,
            sigma[i] * sigma[i],
            sp.exp(x[i]),
            sigma[k] * sp.KroneckerDelta(i, j),
        ],
    )
    def test_other_shapes_are_not_claimed(self, entry):
        assert matrix_form(entry, i, k, {sigma: ROW}) is None

    def test_explicit_entries_agree(self):
        n = 3
        form = matrix_form(sigma[i] * (sp.KroneckerDelta(i, k) - sigma[k]), i, k, {sigma: ROW})
        explicit = form.subs(N, n).as_explicit()
        s = sp.MatrixSymbol("sigma", 1, n)
        expected = sp.diag(*[s[0, a] for a in range(n)]) - s.as_explicit().T * s.as_explicit()
        assert (explicit - expected).expand() == sp.zeros(n, n)


a, b, c, d = sp.symbols("a b c d")


class TestExpansionBound:
    """tidy, combine_cases and matrix_form expand only what is estimated small; estimates never expand."""

    @pytest.mark.parametrize(
        "expr, terms",
        [
            ((y + 1) ** 2, 3 + 1),
            ((y + 1) / (z + 1), 2 + 2),
            (1 / (y + 1) + 1 / (z + 1), 8 + 4),  # an upper bound: (z + 1) + (y + 1) has 4 terms
            ((y + z + w) ** 3, 10 + 1),
            (sp.exp(y) * (y + 1) ** 2, 3 + 1),
        ],
    )
    def test_estimates(self, expr, terms):
        from symderiv.derive.rearrange import expansion_size

        assert expansion_size(expr) == terms
        assert len(sp.Add.make_args(sp.expand(sp.fraction(sp.together(expr))[0]))) <= terms

    @pytest.mark.parametrize("expr", [
        (a + 1) ** 64 * (b + 1) ** 64 * (c + 1) ** 64 * (d + 1) ** 64,
        sp.Add(*sp.symbols("s1:9")) ** 20,
        (a + 1) ** 64 * (b + 1) ** 64 / ((c + 1) ** 64 * (d + 1) ** 63 + a),
        sp.Mul(*[(a + n) ** 10 for n in range(1, 30)]),
    ])
    def test_blow_ups_are_left_unexpanded_at_once(self, expr):
        import time

        from symderiv.derive.rearrange import MAX_EXPANDED_TERMS, expansion_size

        started = time.monotonic()
        assert expansion_size(expr) > MAX_EXPANDED_TERMS
        tidied = tidy(sp.Mul(64, expr, evaluate=False))
        assert evaluate(tidied) == 64 * expr  # kept as it is, not expanded
        assert combine_cases(expr * (sigma[i] + 1), expr * sigma[k], i, k).has(sp.KroneckerDelta)
        assert time.monotonic() - started < 5

    @pytest.mark.parametrize(
        "expr, expected",
        [
            ((d - z) / (z - 1) * (1 - z), z - d),
            ((d - z) / (z * (z - 1)) * z * (1 - z) * w * y * (1 - y), w * y * (1 - y) * (z - d)),
            ((d - z) / (z - 1) ** 2 * (1 - z), (d - z) / (1 - z)),
            ((1 - z) ** 3 / (z - 1), -(1 - z) ** 2),
            (y / (z - 1), y / (z - 1)),
        ],
    )
    def test_factors_cancel_without_expanding(self, expr, expected):
        from symderiv.derive.rearrange import cancel_factors

        cancelled = cancel_factors(expr)
        assert sp.cancel(cancelled - expected) == 0
        assert not cancelled.has(sp.Pow) or expected.has(sp.Pow)


def test_a_long_formula_only_gets_its_factors_cancelled():
    import time

    from symderiv.derive.rearrange import MAX_TIDIED_NODES, nodes

    long = sp.Add(*[sp.sin(sp.Symbol(f"s{n}") * y) * sp.Symbol(f"t{n}") for n in range(MAX_TIDIED_NODES // 4)])
    expr = sp.Mul((d - z) / (z - 1), 1 - z, long, evaluate=False)
    assert nodes(long) > MAX_TIDIED_NODES
    started = time.monotonic()
    assert tidy(expr) == (z - d) * long
    assert time.monotonic() - started < 5
