"""Property: every true link of the catalog's derivations passes the checker, and every perturbation of one
(a wavy term, a δ at a constant, a shifted sum bound, a term alive in one orthant, a polynomial in N that
vanishes at a few N) is rejected."""
import functools

import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symderiv import catalog
from symderiv.model.functions import relu
from symderiv.check.sampling import variables_of
from symderiv.model.symbols import N
from symderiv.check.verify import decide, oracle

PROBLEMS = ["sigmoid-derivative", "backprop", "softmax-jacobian", "softmax-vjp", "cross-entropy-grad"]
SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@functools.lru_cache(maxsize=1)
def links() -> tuple:
    """(previous, next, definitions, conditions) for every verified link of the catalog's derivations."""
    found = []

    def walk(derivation, definitions, inherited):
        conditions = inherited + tuple(derivation.conditions)
        for previous, step in derivation.links():
            if step.check is not None and step.check.ok is True and step.check.method != "structural":
                found.append((previous, step.rhs, definitions, conditions))
            for used in step.uses:
                walk(used, definitions, conditions)

    for name in PROBLEMS:
        solution = catalog.solve(name, {}, "auto")
        for part in solution.parts:
            walk(part.derivation, tuple(solution.definitions), ())
    return tuple(found)


def variables(link) -> list:
    previous, rhs, definitions, _ = link
    found = variables_of(oracle(previous, definitions)) | variables_of(oracle(rhs, definitions))
    return sorted((v for v in found if not getattr(v, "is_integer", False) and v != N), key=sp.default_sort_key)


def free_indices(link) -> list:
    previous, rhs, _, _ = link
    bound = {limit[0] for e in (previous, rhs) for s in e.atoms(sp.Sum) for limit in s.limits}
    names = (previous.atoms(sp.Symbol) | rhs.atoms(sp.Symbol)) - bound - {N}
    return sorted((s for s in names if s.is_integer), key=str)


def rejected(link, perturbed) -> bool:
    previous, _, definitions, conditions = link
    return decide(previous, perturbed, definitions, conditions).ok is False


link_strategy = st.integers(min_value=0, max_value=10**6).map(lambda n: links()[n % len(links())])


def test_the_catalog_has_links_of_every_kind():
    assert len(links()) > 40
    assert any(free_indices(link) for link in links()) and any(not free_indices(link) for link in links())


@pytest.mark.parametrize("number", range(0, 400, 7))
def test_unperturbed_links_pass(number):
    previous, rhs, definitions, conditions = links()[number % len(links())]
    assert decide(previous, rhs, definitions, conditions).ok is True


@SETTINGS
@given(link=link_strategy, frequency=st.integers(min_value=1, max_value=5000), which=st.integers(0, 100),
       epsilon=st.sampled_from([1, sp.Rational(1, 1000), sp.Rational(1, 10**9)]))
def test_a_wavy_term_is_rejected(link, frequency, which, epsilon):
    found = variables(link)
    assume(found)
    v = found[which % len(found)]
    assert rejected(link, link[1] + epsilon * sp.sin(frequency * v))


@SETTINGS
@given(link=link_strategy, constant=st.integers(min_value=1, max_value=9), which=st.integers(0, 100))
def test_a_delta_at_a_constant_is_rejected(link, constant, which):
    indices = free_indices(link)
    assume(indices)
    assert rejected(link, link[1] + sp.KroneckerDelta(indices[which % len(indices)], constant))


@SETTINGS
@given(link=link_strategy, lower=st.booleans(), step=st.sampled_from([1, -1]))
def test_a_shifted_sum_bound_is_rejected(link, lower, step):
    sums = sorted(link[1].atoms(sp.Sum), key=sp.default_sort_key)
    assume(sums)
    (j, low, high), = sums[0].limits
    shifted = sp.Sum(sums[0].function, (j, low + step, high) if lower else (j, low, high + step))
    perturbed = link[1].xreplace({sums[0]: shifted})
    assume(perturbed != link[1])
    assert rejected(link, perturbed)


@SETTINGS
@given(link=link_strategy, which=st.integers(0, 100), offset=st.sampled_from([0, 3, -7, 250]))
def test_a_term_alive_in_one_orthant_is_rejected(link, which, offset):
    found = variables(link)
    assume(found)
    first, second = found[which % len(found)], found[(which + 1) % len(found)]
    term = relu(first - offset) * relu(-second) if first != second else relu(first - offset)
    assert rejected(link, link[1] + term)


@SETTINGS
@given(link=link_strategy, start=st.integers(min_value=1, max_value=8), count=st.integers(min_value=1, max_value=4))
def test_a_polynomial_in_n_vanishing_at_a_few_n_is_rejected(link, start, count):
    previous, rhs, _, _ = link
    assume(previous.has(N) or rhs.has(N) or any(d.expr.has(N) for d in link[2]))
    assert rejected(link, rhs + sp.Mul(*[N - a for a in range(start, start + count)]))
