"""cross-entropy-grad: ∂ℓ/∂z_i = −t_i/z_i from the index sum and δ, against sympy at N = 2…5, with z_i ≠ 0."""

import pytest
import sympy as sp

from symderiv import catalog
from symderiv.model.symbols import N, index, vector
from test_catalog_common import said, solved

Z, T = vector("z"), vector("t")
i, j = index("i"), index("j")


def derivation():
    return solved("cross-entropy-grad").parts[0].derivation


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_every_entry_is_sympys_derivative(n):
    loss = -sp.Add(*[T[a] * sp.log(Z[a]) for a in range(1, n + 1)])
    for row in range(1, n + 1):
        assert derivation().result.xreplace({i: row}) == sp.diff(loss, Z[row])
    assert sp.Sum(-T[j] * sp.log(Z[j]), (j, 1, N)).xreplace({N: n}).doit() == loss


def test_index_sum_then_kronecker():
    rules = derivation().rules()
    assert "index-sum" in rules and "kronecker" in rules and "log" in rules
    assert derivation().result == -T[i] / Z[i]


def test_the_singular_point_is_a_condition():
    assert sp.Ne(Z[i], 0) in derivation().conditions


@pytest.mark.parametrize("n", [1, 4, 7])
def test_the_row_vector(n):
    statement = catalog.solve("cross-entropy-grad", {"n": str(n)}).parts[0].statement
    row = statement.rhs
    assert row.shape == (1, n)
    assert list(row) == [-T[a] / Z[a] for a in range(1, n + 1)]


def test_the_one_hot_example_is_derived():
    remark = said(solved("cross-entropy-grad").remarks)[1]
    assert "[0, 0, 1, 0]" in remark and "[0, 0, −1/z_3, 0]" in remark
