"""dense-layer: every gradient equals sympy's derivative of the written-out loss and finite differences of numpy."""
import itertools
import random

import numpy as np
import pytest
import sympy as sp

from symderiv import catalog
from symderiv.model.definitions import unfold
from symderiv.model.symbols import N, bound, index, vector

W, x, b, t = (vector(n) for n in ("W", "x", "b", "t"))
a, c = index("a"), index("c")
M = bound("M")
SIZES = [(2, 3), (3, 2), (4, 5), (5, 4)]


@pytest.fixture(scope="module")
def solution():
    return catalog.solve("dense-layer")


def loss(n: int, m: int) -> sp.Expr:
    """E written out at concrete sizes, independently of the catalog."""
    return sum((sum(W[i, j] * x[j] for j in range(1, m + 1)) + b[i] - t[i]) ** 2 for i in range(1, n + 1)) / 2


def written_out(expr: sp.Expr, definitions, n: int, m: int, at: dict) -> sp.Expr:
    concrete = unfold(expr, definitions).xreplace({N: n, M: m, **at})
    return concrete.replace(lambda s: isinstance(s, sp.Sum), lambda s: s.doit()).doit()


def test_every_part_is_verified(solution):
    assert solution.verified
    assert [p.id for p in solution.parts] == ["output", "weights", "bias", "input"]
    assert all("unknown" not in p.derivation.rules() for p in solution.parts)


@pytest.mark.parametrize("n, m", SIZES)
def test_results_equal_sympy_on_the_written_out_loss(solution, n, m):
    E = loss(n, m)
    variables = {"output": None, "weights": lambda p, q: W[p, q], "bias": lambda p, q: b[p], "input": lambda p, q: x[q]}
    for part in solution.parts:
        if variables[part.id] is None:
            continue
        for p, q in itertools.product(range(1, n + 1), range(1, m + 1)):
            got = written_out(part.derivation.result, solution.definitions, n, m, {a: p, c: q})
            assert sp.expand(got - sp.diff(E, variables[part.id](p, q))) == 0, (part.id, p, q)


def forward(Wv, xv, bv, tv):
    y = Wv @ xv + bv
    return 0.5 * float(np.sum((y - tv) ** 2))


@pytest.mark.parametrize("seed", range(4))
def test_results_equal_finite_differences_of_a_numpy_forward_pass(solution, seed):
    rng = random.Random(seed)
    n, m = rng.randint(2, 6), rng.randint(2, 6)
    values = np.random.default_rng(seed)
    Wv, xv, bv, tv = values.normal(size=(n, m)), values.normal(size=m), values.normal(size=n), values.normal(size=n)
    numbers = {W[i + 1, j + 1]: Wv[i, j] for i in range(n) for j in range(m)}
    numbers.update({x[j + 1]: xv[j] for j in range(m)})
    numbers.update({b[i + 1]: bv[i] for i in range(n)} | {t[i + 1]: tv[i] for i in range(n)})
    parts = {p.id: p for p in solution.parts}
    h = 1e-6
    for p, q in [(rng.randint(1, n), rng.randint(1, m)) for _ in range(3)]:
        bumped = Wv.copy()
        bumped[p - 1, q - 1] += h
        numeric = (forward(bumped, xv, bv, tv) - forward(Wv, xv, bv, tv)) / h
        exact = float(written_out(parts["weights"].derivation.result, solution.definitions, n, m, {a: p, c: q}).xreplace(numbers))
        assert abs(numeric - exact) < 1e-4 * max(1, abs(exact))
        bumped_x = xv.copy()
        bumped_x[q - 1] += h
        numeric = (forward(Wv, bumped_x, bv, tv) - forward(Wv, xv, bv, tv)) / h
        exact = float(written_out(parts["input"].derivation.result, solution.definitions, n, m, {c: q}).xreplace(numbers))
        assert abs(numeric - exact) < 1e-4 * max(1, abs(exact))


def test_matrix_forms_are_read_back_and_checked_entry_by_entry(solution):
    parts = {p.id: p for p in solution.parts}
    assert str(parts["weights"].statement.rhs) == "delta*x.T"
    assert str(parts["input"].statement.rhs) == "W.T*delta"
    assert str(parts["bias"].statement.rhs) == "delta"
    for part in parts.values():
        assert part.checks and all(check.ok is True and check.method == "entries" for check in part.checks)


def test_a_wrong_transpose_fails_the_entry_check():
    from symderiv.check.entries import check_entries

    A, v, l, k = vector("A"), vector("v"), index("l"), index("k")
    entry = sp.Sum(A[l, k] * v[l], (l, 1, N))  # (Aᵀv)_k
    right = sp.MatMul(sp.MatrixSymbol("A", N, N).T, sp.MatrixSymbol("v", N, 1))
    wrong = sp.MatMul(sp.MatrixSymbol("A", N, N), sp.MatrixSymbol("v", N, 1))
    assert check_entries(entry, right, (k,), {k: N}).ok is True
    refused = check_entries(entry, wrong, (k,), {k: N})
    assert refused.ok is False and "index form" in refused.detail


def test_json_results_carry_their_matrix_form(solution):
    import json

    from symderiv.output.render import render, solution_data

    data = json.loads(render(solution_data(solution), "json"))
    forms = {p["id"]: p["result"]["matrix"]["latex"] for p in data["parts"]}
    assert forms == {"output": "y - t", "weights": r"\delta x^{\top}", "bias": r"\delta", "input": r"W^{\top} \delta"}


@pytest.mark.parametrize("answer, correct", [("delta[a]*x[c]", True), ("(y[a] - t[a])*x[c]", True),
                                             ("delta[c]*x[a]", False), ("x[a]*delta[c]", False)])
def test_check_accepts_the_index_form_and_rejects_a_transpose_with_a_counterexample(answer, correct):
    from symderiv.read.answers import check_answer

    verdict = check_answer(answer, problem="dense-layer", part="weights")
    assert verdict.correct is correct
    if not correct:
        assert verdict.counterexample is not None
