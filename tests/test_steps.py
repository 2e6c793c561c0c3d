"""Tests for symderiv.model.steps: the calc-chain data model (Check, Step, Derivation)."""

import dataclasses

import pytest
import sympy as sp

from symderiv.model.steps import Check, Derivation, Step

x, y = sp.symbols("x y")
OK = Check(ok=True, method="exact")
FALSE = Check(ok=False, method="exact", detail="at x = 1: left side 1, right side 2")
UNDECIDED = Check(ok=None, method="numeric", detail="too few points")


def d(f, v=x):
    return sp.Derivative(f, v, evaluate=False)


def chain(*rhs, checks=None, lhs=None, uses=None):
    """A derivation lhs = rhs[0] = rhs[1] = …, with optional checks and cited sub-derivations per step."""
    checks = checks or [None] * len(rhs)
    uses = uses or [()] * len(rhs)
    steps = tuple(Step(rule=f"r{n}", rhs=e, check=c, uses=u) for n, (e, c, u) in enumerate(zip(rhs, checks, uses)))
    return Derivation(lhs=lhs if lhs is not None else d(x**2), steps=steps)


@pytest.fixture
def tree():
    """∂(x²·y)/∂x with a product step citing two sub-derivations, one of which cites another."""
    leaf = Derivation(lhs=d(x), steps=(Step(rule="identity", rhs=sp.S.One, check=OK),))
    inner = Derivation(lhs=d(x**2), steps=(Step(rule="power", rhs=2 * x, check=OK, uses=(leaf,)),))
    other = Derivation(lhs=d(y), steps=(Step(rule="constant", rhs=sp.S.Zero, check=OK),))
    top = Derivation(
        lhs=d(x**2 * y),
        steps=(
            Step(rule="product", rhs=2 * x * y + x**2 * 0, uses=(inner, other), check=OK),
            Step(rule="algebra", rhs=2 * x * y, check=OK),
        ),
        check=OK,
    )
    return top, inner, leaf, other


def with_leaf_step(tree, step):
    """The fixture tree with the innermost leaf's only step replaced, rebuilt with dataclasses.replace."""
    top, inner, leaf, other = tree
    leaf2 = dataclasses.replace(leaf, steps=(step,))
    inner2 = dataclasses.replace(inner, steps=(dataclasses.replace(inner.steps[0], uses=(leaf2,)),))
    top2 = dataclasses.replace(top, steps=(dataclasses.replace(top.steps[0], uses=(inner2, other)),) + top.steps[1:])
    return top2, leaf2


class TestFrozen:
    @pytest.mark.parametrize(
        "node, field, value",
        [
            (Check(ok=True, method="exact"), "ok", False),
            (Step(rule="exp", rhs=x), "rhs", y),
            (Step(rule="exp", rhs=x), "rule", "log"),
            (Derivation(lhs=x, steps=()), "steps", ()),
            (Derivation(lhs=x, steps=()), "lhs", y),
        ],
    )
    def test_assignment_raises(self, node, field, value):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(node, field, value)

    def test_keyword_only(self):
        with pytest.raises(TypeError):
            Step("exp", x)  # noqa: positional constructors are what the design forbids

    def test_nodes_are_hashable_and_compare_by_value(self, tree):
        top = tree[0]
        assert hash(top) == hash(dataclasses.replace(top))
        assert {top, dataclasses.replace(top)} == {top}

    def test_different_rules_are_different_steps(self):
        # the namedtuple pitfall of sympy_gamma: PowerRule(1, 2) == ExpRule(1, 2)
        assert Step(rule="power", rhs=x) != Step(rule="exp", rhs=x)
        assert Step(rule="power", rhs=x) == Step(rule="power", rhs=x)

    def test_replace_returns_a_new_node(self, tree):
        top = tree[0]
        changed = dataclasses.replace(top, check=FALSE)
        assert changed is not top and top.check == OK and changed.check == FALSE


class TestChain:
    def test_result_is_last_rhs(self):
        assert chain(2 * x, 2 * x + 0).result == 2 * x

    def test_empty_chain_result_is_lhs(self):
        assert Derivation(lhs=d(x), steps=()).result == d(x)

    def test_links_pair_each_step_with_its_previous_expression(self):
        der = chain(2 * x, x + x, 2 * x)
        pairs = [(prev, step.rhs) for prev, step in der.links()]
        assert pairs == [(d(x**2), 2 * x), (2 * x, x + x), (x + x, 2 * x)]

    def test_walk_is_depth_first_preorder(self, tree):
        top, inner, leaf, other = tree
        assert list(top.walk()) == [top, inner, leaf, other]

    def test_rules_cover_the_whole_tree_in_walk_order(self, tree):
        assert tree[0].rules() == ["product", "algebra", "power", "identity", "constant"]

    @pytest.mark.parametrize("rule, expected", [("unknown", True), ("exp", False)])
    def test_has_unknown_looks_into_sub_derivations(self, tree, rule, expected):
        top2, _ = with_leaf_step(tree, Step(rule=rule, rhs=sp.S.One, check=OK))
        assert top2.has_unknown() is expected
        assert ("unknown" in top2.rules()) is expected


class TestFailures:
    def test_all_checked_and_true_is_verified(self, tree):
        assert tree[0].failures() == []
        assert tree[0].verified is True

    @pytest.mark.parametrize("check", [None, FALSE, UNDECIDED], ids=["unchecked", "false", "undecided"])
    def test_a_bad_link_deep_in_the_tree_is_reported_with_its_position(self, tree, check):
        top2, bad_leaf = with_leaf_step(tree, dataclasses.replace(tree[2].steps[0], check=check))
        failures = top2.failures()
        assert [(der, n) for der, n, _ in failures] == [(bad_leaf, 0)]
        assert failures[0][2].check == check
        assert top2.verified is False

    def test_unknown_step_fails_even_if_marked_ok(self):
        der = Derivation(lhs=d(x**x), steps=(Step(rule="unknown", rhs=d(x**x), check=OK),))
        assert len(der.failures()) == 1
        assert der.verified is False

    @pytest.mark.parametrize("final, verified", [(None, True), (OK, True), (FALSE, False), (UNDECIDED, False)])
    def test_the_whole_chain_check_counts(self, final, verified):
        der = dataclasses.replace(chain(2 * x, checks=[OK]), check=final)
        assert der.verified is verified

    def test_failure_positions_are_per_derivation(self):
        der = chain(2 * x, 3 * x, 2 * x, checks=[OK, FALSE, UNDECIDED])
        assert [n for _, n, _ in der.failures()] == [1, 2]


def test_repr_latex_is_an_aligned_chain_naming_each_rule():
    text = chain(2 * x, x + x)._repr_latex_()
    assert text.startswith(r"$$\begin{aligned}") and text.endswith(r"\end{aligned}$$")
    assert text.count("&=") == 2 and r"\text{[r0]}" in text and r"\text{[r1]}" in text
