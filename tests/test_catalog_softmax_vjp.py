"""softmax-vjp: z_i = Σ_j v_j ∂σ_j/∂x_i = σ_i (v_i − v·σᵀ), against v·J with J from sympy, at N = 2…5."""

import pytest
import sympy as sp

from symderiv.model.definitions import unfold
from symderiv.model.symbols import N, index, vector
from test_catalog_common import agree, said, solved

X, SIGMA, V = vector("x"), vector("sigma"), vector("v")
i, j = index("i"), index("j")


def derivation():
    return solved("softmax-vjp").parts[0].derivation


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_result_is_v_times_sympys_jacobian(n):
    """Instantiated at N = n and every i: the closed form equals Σ_j v_j ∂σ_j/∂x_i with sympy's own derivatives."""
    solution = solved("softmax-vjp")
    xs, vs = [X[a] for a in range(1, n + 1)], [V[a] for a in range(1, n + 1)]
    total = sp.Add(*[sp.exp(u) for u in xs])
    softmax = [sp.exp(u) / total for u in xs]
    closed = unfold(derivation().result, solution.definitions)
    for row in range(1, n + 1):
        oracle = sp.Add(*[vs[b] * sp.diff(softmax[b], xs[row - 1]) for b in range(n)])
        claimed = closed.xreplace({N: n, i: row}).doit()
        assert agree(claimed, oracle, set(xs) | set(vs), low=-2, high=2), (n, row)


def test_the_closed_form_is_folded_into_the_dot_product():
    result = derivation().result
    dot = solved("softmax-vjp").definitions[1].name
    assert result == SIGMA[i] * (V[i] - dot)
    assert str(dot) == "v_dot_sigma"


def test_the_jacobian_entry_is_cited_not_retyped():
    first = derivation().steps[0]
    (entry,) = first.uses
    assert entry.lhs == sp.Derivative(SIGMA[j], X[i])
    assert [s.rule for s in entry.steps][0] == "case-split"
    assert sp.expand(entry.result - SIGMA[j] * (sp.KroneckerDelta(i, j) - SIGMA[i])) == 0
    assert first.rhs == derivation().lhs.xreplace({entry.lhs: entry.result})


def test_index_steps_sift_pull_out_and_fold():
    rules = [s.rule for s in derivation().steps]
    assert rules == ["substitute", "algebra", "kronecker", "algebra", "fold", "algebra"]
    kronecker = derivation().steps[2].rhs
    assert not kronecker.has(sp.KroneckerDelta) and kronecker.has(V[i] * SIGMA[i])
    pulled = derivation().steps[3].rhs
    assert pulled.has(sp.Sum(SIGMA[j] * V[j], (j, 1, N)))


def test_every_index_step_was_decided_for_every_n():
    for step in derivation().steps:
        assert step.check.method in {"index", "exact"}
        assert "every N ≥ 1" in step.check.detail or "kept symbolic" in step.check.detail


def test_the_cost_remark():
    assert any("O(N)" in r and "O(N²)" in r for r in said(solved("softmax-vjp").remarks))
