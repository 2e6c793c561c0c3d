"""Every problem of the lecture note: registered in order, verified, rendered, and its checker able to fail."""

import json
import random
from functools import lru_cache

import mpmath
import pytest
import sympy as sp

from mutation import assert_fails_only_where_allowed, mutate, step_at, step_paths
from symderiv import catalog
from symderiv.output.wording import words
from symderiv.output.render import render, solution_data
from symderiv.check.verify import verify

ORDER = ["sigmoid-derivative", "backprop", "softmax-jacobian", "softmax-vjp", "cross-entropy-grad",
         "softmax-cross-entropy", "dense-layer", "mlp"]  # the lecture note's order, then the vector networks
VECTOR = ("dense-layer", "mlp")
MINE = [name for name in ORDER if name != "softmax-jacobian"]


@lru_cache(maxsize=None)
def solved(name, **params):
    """catalog.solve(name, params), once per session."""
    return catalog.solve(name, {key: str(value) for key, value in params.items()})


def part(solution, part_id):
    return next(p for p in solution.parts if p.id == part_id)


def said(prose) -> list[str]:
    """Remarks (or titles) as the text output shows them, from the default templates."""
    return [words(item) for item in prose]






def assert_rejected_exactly_there(tree, definitions, path):
    """Negating the rhs at `path` makes that link false; only the next link of the same chain may fail too, and the
    step citing it when it is the last of a cited derivation (as a wrong justification)."""
    original = step_at(tree, path).rhs
    if sp.expand(-original - original) == 0:
        return False
    checked = verify(mutate(tree, path, lambda e: -e), definitions)
    assert step_at(checked, path).check.ok is False, path
    assert_fails_only_where_allowed(tree, checked, path)
    assert not checked.verified
    return True


# ------------------------------------------------------------------ numeric comparison helper


def agree(left, right, symbols, points=4, seed=3, low=0.15, high=0.9):
    """left = right at random points, both evaluated in mpmath at 40 digits; independent of verify."""
    rng = random.Random(seed)
    symbols = sorted(symbols, key=str)
    functions = [sp.lambdify(symbols, e, modules="mpmath") for e in (left, right)]
    with mpmath.workdps(40):
        for _ in range(points):
            point = [mpmath.mpf(rng.randint(int(low * 1000), int(high * 1000))) / 1000 for _ in symbols]
            u, v = (f(*point) for f in functions)
            if abs(u - v) > mpmath.mpf("1e-25") * max(1, abs(u), abs(v)):
                return False
    return True


# ------------------------------------------------------------------ the catalog


def test_problems_are_registered_in_the_order_of_the_lecture_note():
    assert catalog.names() == ORDER
    assert list(catalog.MODULES) == ORDER


@pytest.mark.parametrize("name", MINE)
def test_module_states_its_question(name):
    problem = catalog.module(name)
    assert problem.NAME == name
    assert problem.TITLE and problem.QUESTION and "\n" not in problem.SUMMARY
    assert isinstance(problem.PARAMS, dict) and callable(problem.solve)


@pytest.mark.parametrize("name", MINE)
def test_every_part_is_verified(name):
    solution = solved(name)
    assert solution.problem == name and solution.parts
    assert solution.verified and solution.failures() == []
    for p in solution.parts:
        assert p.verified and p.derivation.check.ok is True
        assert not p.derivation.has_unknown()


@pytest.mark.parametrize("fmt", ["text", "tex", "md", "json"])
@pytest.mark.parametrize("name", MINE)
def test_every_problem_renders(name, fmt):
    solution = solved(name)
    output = render(solution_data(solution), fmt)
    assert output.strip()
    if fmt == "json":
        data = json.loads(output)
        assert data["verified"] is True and data["problem"] == name
        assert [p["id"] for p in data["parts"]] == [p.id for p in solution.parts]
        assert all(p["verified"] is True for p in data["parts"])
    elif fmt == "text":
        assert "NOT VERIFIED" not in output and "Verified" in output


PART_IDS = {
    "sigmoid-derivative": ["derivative"],
    "backprop": ["dE_dw2", "dE_dw1", "delta"],
    "softmax-vjp": ["z_i"],
    "cross-entropy-grad": ["gradient"],
    "softmax-cross-entropy": ["singularity", "fused-gradient", "log-sum-exp"],
    "dense-layer": ["output", "weights", "bias", "input"],
    "mlp": ["output", "delta1", "weights2", "weights1"],
}


@pytest.mark.parametrize("name", MINE)
def test_expected_part_ids(name):
    assert [p.id for p in solved(name).parts] == PART_IDS[name]


# ------------------------------------------------------------------ mutation: the checker must be able to fail

MUTATED = [(name, part_id) for name in MINE if name not in VECTOR for part_id in PART_IDS[name]] + [
    ("dense-layer", "weights"), ("dense-layer", "input"), ("mlp", "delta1"), ("mlp", "weights1")]


@pytest.mark.parametrize("name, part_id", MUTATED, ids=[f"{n}:{p}" for n, p in MUTATED])
def test_a_flipped_sign_is_rejected_exactly_where_it_is(name, part_id):
    """Every step of every part, sub-derivations included, one at a time."""
    solution = solved(name)
    tree = part(solution, part_id).derivation
    mutated = [path for path, _, _ in step_paths(tree) if assert_rejected_exactly_there(tree, solution.definitions, path)]
    assert len(mutated) >= 3
