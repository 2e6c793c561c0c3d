"""Tests for symderiv.model.definitions: named quantities, matched, unfolded and folded back."""

import pytest
import sympy as sp

from symderiv.model.definitions import Definition, fold, instances, match, unfold
from symderiv.model.functions import sigmoid
from symderiv.model.symbols import N, index, vector

x, sigma, a = vector("x"), vector("sigma"), vector("a")
i, j, k = index("i"), index("j"), index("k")
S = sp.Sum(sp.exp(x[j]), (j, 1, N))
SOFTMAX = Definition(name=sigma[i], expr=sp.exp(x[i]) / S, params=(i,))
u, v, q, r = sp.symbols("u v q r")

E, zz, p2, yy, p1, w1, w2, d, xs = sp.symbols("E z p2 y p1 w1 w2 d x")
BACKPROP = (
    Definition(name=E, expr=(d - zz) ** 2 / 2),
    Definition(name=zz, expr=sigmoid(p2)),
    Definition(name=p2, expr=w2 * yy),
    Definition(name=yy, expr=sigmoid(p1)),
    Definition(name=p1, expr=w1 * xs),
)


class TestMatch:
    @pytest.mark.parametrize(
        "pattern, candidate, params, expected",
        [
            (sigma[i], sigma[k], (i,), {i: k}),
            (sigma[i], sigma[2], (i,), {i: 2}),
            (sigma[i], sigma[i], (i,), {i: i}),
            (sigma[i], x[k], (i,), None),
            (sigma[i], sigma[k], (), None),
            (sigma[i], sigma[i], (), {}),
            (u**2, q**2, (u,), {u: q}),
            (u**2, q**3, (u,), None),
            (sp.exp(u), sp.exp(x[k] + 1), (u,), {u: x[k] + 1}),
            (sigmoid(u), sp.tanh(q), (u,), None),
        ],
    )
    def test_structural_match(self, pattern, candidate, params, expected):
        assert match(pattern, candidate, params) == expected

    def test_a_repeated_parameter_must_bind_the_same_value(self):
        pattern = sp.Mul(sp.exp(u), sp.log(u), evaluate=False)
        assert match(pattern, sp.Mul(sp.exp(q), sp.log(q), evaluate=False), (u,)) == {u: q}
        assert match(pattern, sp.Mul(sp.exp(q), sp.log(r), evaluate=False), (u,)) is None

    def test_bind(self):
        assert SOFTMAX.bind(sigma[k]) == {i: k}
        assert SOFTMAX.bind(x[k]) is None


class TestInstances:
    def test_every_occurrence_maps_to_its_definition(self):
        found = SOFTMAX.instances(sigma[i] * (1 - sigma[k]))
        assert found == {sigma[i]: sp.exp(x[i]) / S, sigma[k]: sp.exp(x[k]) / S}

    def test_module_function_collects_over_definitions(self):
        found = instances(E + zz, BACKPROP)
        assert found[E] == (d - zz) ** 2 / 2 and found[zz] == sigmoid(p2)

    def test_nothing_named(self):
        assert instances(sp.exp(q), (SOFTMAX,) + BACKPROP) == {}


class TestUnfold:
    def test_softmax_product(self):
        assert unfold(sigma[i] * sigma[k], (SOFTMAX,)) == sp.exp(x[i]) * sp.exp(x[k]) / S**2

    def test_keep_leaves_a_name_folded(self):
        assert unfold(sigma[i] * sigma[k], (SOFTMAX,), keep=frozenset({sigma[k]})) == sp.exp(x[i]) * sigma[k] / S

    def test_unfolds_a_chain_of_names_all_the_way(self):
        expected = (d - sigmoid(w2 * sigmoid(w1 * xs))) ** 2 / 2
        assert unfold(E, BACKPROP) == expected

    def test_keep_stops_the_chain(self):
        assert unfold(E, BACKPROP, keep=frozenset({p2})) == (d - sigmoid(p2)) ** 2 / 2

    def test_no_names_is_identity(self):
        assert unfold(sp.exp(q) + 1, BACKPROP) == sp.exp(q) + 1

    @pytest.mark.parametrize(
        "cycle",
        [
            (Definition(name=u, expr=v + 1), Definition(name=v, expr=2 * u)),
            (Definition(name=u, expr=sp.exp(u)),),
            (Definition(name=sigma[i], expr=sigma[i + 1], params=(i,)),),
        ],
        ids=["two-names", "self", "indexed"],
    )
    def test_cycle_raises(self, cycle):
        with pytest.raises(RecursionError):
            unfold(cycle[0].name.xreplace({i: 1}), cycle)


class TestFold:
    @pytest.mark.parametrize(
        "expr, expected",
        [
            (sp.exp(x[i]) / S, sigma[i]),
            (sp.exp(x[k]) / S, sigma[k]),
            (sp.exp(x[i]) * sp.exp(x[k]) / S**2, sigma[i] * sigma[k]),
            (sp.exp(2 * x[i]) / S**2, sigma[i] ** 2),
            (sp.exp(x[i]) * (S - sp.exp(x[i])) / S**2, sigma[i] - sigma[i] ** 2),
            (-sp.exp(x[i]) * sp.exp(x[k]) / S**2, -sigma[i] * sigma[k]),
        ],
    )
    def test_written_in_the_named_quantity(self, expr, expected):
        folded = fold(expr, SOFTMAX)
        assert sp.expand(folded - expected) == 0
        assert not folded.has(sp.exp)

    @pytest.mark.parametrize("expr", [sp.exp(q) + 1, S, sp.log(S), sp.Integer(3)])
    def test_leaves_other_expressions_alone(self, expr):
        assert fold(expr, SOFTMAX) == expr

    def test_fold_undoes_unfold(self):
        for expr in (sigma[i], sigma[i] * sigma[k], sigma[i] * (1 - sigma[i])):
            assert sp.expand(fold(unfold(expr, (SOFTMAX,)), SOFTMAX) - expr) == 0

    def test_plain_definition(self):
        assert fold(sigmoid(p2) * (1 - sigmoid(p2)), BACKPROP[1]) == zz * (1 - zz)


def test_definition_is_frozen_and_hashable():
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        SOFTMAX.name = sigma[k]
    assert hash(SOFTMAX) == hash(Definition(name=sigma[i], expr=sp.exp(x[i]) / S, params=(i,)))


class TestCheckCombined:
    """The parser's caps hold once the names are substituted, and nothing they refuse is ever built."""

    y, z = sp.symbols("y z")

    @pytest.mark.parametrize(
        "values, expr, message",
        [
            ({"y": sp.Integer(10) ** 99}, xs * 2 ** sp.Symbol("y"), "exponent about 10\\^99"),
            ({"y": sp.Integer(10) ** 99}, xs * sp.Symbol("y") ** 3, "power with more than 100 digits"),
            ({"y": sp.Integer(10) ** 60, "z": sp.Integer(10) ** 60}, sp.Mul(sp.Symbol("y"), sp.Symbol("z"), xs),
             "product with more than 100 digits"),
            ({"y": xs**600}, sp.Symbol("y") ** 2, "exponent 1200"),
            ({"y": sp.Integer(0)}, xs / sp.Symbol("y"), "undefined"),
            ({"y": sp.Integer(-4)}, xs * sp.sqrt(sp.Symbol("y")), "not a real number"),
        ],
    )
    def test_numbers_and_exponents(self, values, expr, message):
        from symderiv.model.definitions import check_combined
        from symderiv.model.errors import InputError

        definitions = tuple(Definition(name=sp.Symbol(n), expr=v) for n, v in values.items())
        with pytest.raises(InputError, match=f"with its definitions substituted, the expression .*{message}"):
            check_combined({expr: "the expression"}, definitions)

    def test_depth_and_size_of_chains(self):
        from symderiv.model import definitions as D
        from symderiv.model.errors import InputError

        names = sp.symbols(f"y1:{D.MAX_COMBINED_DEPTH + 2}")
        deep = tuple(Definition(name=n, expr=sp.sin(p)) for n, p in zip(names, (xs,) + names))
        D.check_combined({names[-3]: "y"}, deep)
        with pytest.raises(InputError, match=f"y is nested too deeply \\(more than {D.MAX_COMBINED_DEPTH} levels"):
            D.check_combined({names[-1]: "y"}, deep)
        doubling = tuple(Definition(name=n, expr=p + sp.sin(p)) for n, p in zip(names[:20], (xs,) + names))
        with pytest.raises(InputError, match=f"too large \\(more than {D.MAX_COMBINED_PARTS} parts"):
            D.check_combined({names[19]: "y"}, doubling)  # 2**20 parts, a small graph: never built as a tree

    def test_a_cycle(self):
        from symderiv.model.definitions import check_combined
        from symderiv.model.errors import InputError

        with pytest.raises(InputError, match="cycle"):
            check_combined({u: "u"}, (Definition(name=u, expr=v + 1), Definition(name=v, expr=2 * u)))


def test_long_chains_unfold_without_recursion():
    names = sp.symbols("y1:3001")
    chain = tuple(Definition(name=n, expr=p) for n, p in zip(names, (xs,) + names))
    assert unfold(names[-1], chain) == xs


def test_fold_leaves_alone_what_a_definition_cannot_solve_for():
    s, t = sp.symbols("s t")
    for value in (sp.sin(sp.exp(t)), sp.exp(t) * (t + 1) ** 64 * (q + 1) ** 64 * (r + 1) ** 64):
        expr = sp.exp(t) * sp.cos(sp.exp(t))
        assert fold(expr, Definition(name=s, expr=value)) == expr
