"""Tests for the softmax-jacobian problem: the two tricks, the results against concrete softmax, the matrix."""

import pytest
import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix

from symderiv import catalog
from symderiv.catalog import softmax_jacobian as problem
from symderiv.model.errors import InputError
from symderiv.check.jacobian import check_numeric, check_symbolic, explicit_matrix
from symderiv.model.symbols import N, index, vector

X, SIGMA = vector("x"), vector("sigma")
i, k = index("i"), index("k")


def part(solution, part_id):
    return next(p for p in solution.parts if p.id == part_id)


def concrete(n):
    """x_1..x_n, softmax components e^{x_a}/Σ_b e^{x_b} built explicitly, and σ_a ↦ component."""
    xs = [X[a] for a in range(1, n + 1)]
    total = sp.Add(*[sp.exp(v) for v in xs])
    components = [sp.exp(v) / total for v in xs]
    return xs, components, {SIGMA[a]: components[a - 1] for a in range(1, n + 1)}


def is_zero(expr, xs):
    """Exactly zero as a rational function of t_b = e^{x_b}."""
    ts = sp.symbols(f"t1:{len(xs) + 1}", positive=True)
    return sp.cancel(expr.subs({sp.exp(v): t for v, t in zip(xs, ts)})) == 0


def test_parts(softmax):
    assert [p.id for p in softmax.parts] == ["diagonal", "off-diagonal", "matrix"]
    assert softmax.problem == "softmax-jacobian"
    assert softmax.verified and all(p.verified for p in softmax.parts)
    assert softmax.failures() == []


def test_diagonal_uses_the_quotient_rule(softmax):
    rules = [s.rule for s in part(softmax, "diagonal").derivation.steps]
    assert "quotient" in rules and "reciprocal" not in rules


def test_off_diagonal_uses_the_reciprocal_rule(softmax):
    rules = [s.rule for s in part(softmax, "off-diagonal").derivation.steps]
    assert "reciprocal" in rules and "quotient" not in rules


def test_results(softmax):
    diagonal = part(softmax, "diagonal").derivation
    off_diagonal = part(softmax, "off-diagonal").derivation
    assert diagonal.lhs == sp.Derivative(SIGMA[i], X[i])
    assert off_diagonal.lhs == sp.Derivative(SIGMA[i], X[k])
    assert sp.expand(diagonal.result - SIGMA[i] * (1 - SIGMA[i])) == 0
    # the lecture note lost this minus sign in the written matrix: −σ_iσ_k, never +σ_iσ_k
    assert sp.expand(off_diagonal.result + SIGMA[i] * SIGMA[k]) == 0
    assert not diagonal.conditions and sp.Ne(k, i) in off_diagonal.conditions


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_results_equal_sympys_derivative_of_concrete_softmax(softmax, n):
    xs, components, named = concrete(n)
    diagonal = part(softmax, "diagonal").derivation.result
    off_diagonal = part(softmax, "off-diagonal").derivation.result
    for a in range(1, n + 1):
        claimed = diagonal.xreplace({i: a}).xreplace(named)
        assert is_zero(sp.diff(components[a - 1], xs[a - 1]) - claimed, xs), (a, a)
        for b in range(1, n + 1):
            if a != b:
                claimed = off_diagonal.xreplace({i: a, k: b}).xreplace(named)
                assert is_zero(sp.diff(components[a - 1], xs[b - 1]) - claimed, xs), (a, b)


def test_matrix_part_is_diag_sigma_minus_outer_product(softmax):
    matrix = part(softmax, "matrix")
    row = sp.MatrixSymbol("sigma", 1, N)
    assert matrix.derivation.result.parent == DiagMatrix(row) - row.T * row
    assert matrix.statement.rhs == DiagMatrix(row) - row.T * row
    entry_formula = matrix.derivation.steps[-2].rhs
    assert sp.expand(entry_formula - SIGMA[i] * (sp.KroneckerDelta(i, k) - SIGMA[k])) == 0


@pytest.mark.parametrize("method", ["quotient", "reciprocal"])
def test_forced_method(solve_softmax, method):
    solution = solve_softmax(method=method)
    assert solution.verified
    off_rules = [s.rule for s in part(solution, "off-diagonal").derivation.steps]
    diag_rules = part(solution, "diagonal").derivation.rules()
    if method == "quotient":
        assert "quotient" in off_rules and "reciprocal" not in off_rules
        assert "reciprocal" not in diag_rules
    else:
        assert "reciprocal" in off_rules and "quotient" not in diag_rules
    # the results do not depend on the method
    assert sp.expand(part(solution, "diagonal").derivation.result - SIGMA[i] * (1 - SIGMA[i])) == 0
    assert sp.expand(part(solution, "off-diagonal").derivation.result + SIGMA[i] * SIGMA[k]) == 0


def test_n3_matrix_is_diag_minus_outer_explicitly(softmax_n3):
    matrix = part(softmax_n3, "matrix")
    s = [SIGMA[1], SIGMA[2], SIGMA[3]]
    diag = sp.Matrix(3, 3, lambda a, b: s[a] if a == b else 0)
    outer = sp.Matrix(3, 1, s) * sp.Matrix(1, 3, s)  # σᵀσ for the row vector σ
    expected = diag - outer
    assert matrix.matrix.shape == (3, 3)
    assert (matrix.matrix - expected).expand() == sp.zeros(3, 3)
    assert len(matrix.checks) == 2 and all(c.ok is True for c in matrix.checks)
    assert softmax_n3.params == {"n": 3}
    assert softmax_n3.verified


def test_no_matrix_without_n(softmax):
    assert part(softmax, "matrix").matrix is None and part(softmax, "matrix").checks == ()


@pytest.mark.parametrize("value", ["1", "0", "-3", "65", "1000"])
def test_n_out_of_range(value):
    with pytest.raises(InputError, match="out of range"):
        catalog.solve("softmax-jacobian", {"n": value})


@pytest.mark.parametrize("value", ["abc", "3.5", ""])
def test_n_not_a_number(value):
    with pytest.raises(InputError, match="whole number"):
        catalog.solve("softmax-jacobian", {"n": value})


def test_unknown_parameter():
    with pytest.raises(InputError, match="no parameter 'm'"):
        catalog.solve("softmax-jacobian", {"m": "3"})


def test_unknown_problem_suggests_the_closest():
    with pytest.raises(InputError, match="Did you mean 'softmax-jacobian'"):
        catalog.solve("softmax-jacobin")


# ---------------------------------------------------------------- the explicit-matrix checks

FORMULA = SIGMA[i] * (sp.KroneckerDelta(i, k) - SIGMA[k])


@pytest.mark.parametrize("n", [2, 3, 4])
def test_check_symbolic_accepts_the_right_matrix(n):
    xs, components, named = concrete(n)
    check = check_symbolic(explicit_matrix(FORMULA, i, k, n), components, xs, named)
    assert check.ok is True


@pytest.mark.parametrize("n", [2, 3, 4])
def test_check_symbolic_rejects_any_single_flipped_entry(n):
    xs, components, named = concrete(n)
    matrix = explicit_matrix(FORMULA, i, k, n)
    for a in range(n):
        for b in range(n):
            corrupted = matrix.copy()
            corrupted[a, b] = -corrupted[a, b]
            check = check_symbolic(corrupted, components, xs, named)
            assert check.ok is False, (a, b)
            assert f"({a + 1}, {b + 1})" in check.detail


def test_check_symbolic_rejects_the_lecture_notes_lost_minus_sign():
    xs, components, named = concrete(3)
    matrix = explicit_matrix(FORMULA, i, k, 3)
    matrix[0, 2] = SIGMA[1] * SIGMA[3]  # first row, last entry, as written in the note
    assert check_symbolic(matrix, components, xs, named).ok is False


@pytest.mark.parametrize("n", [2, 3, 5])
def test_check_numeric_accepts_the_formula(n):
    assert check_numeric(FORMULA, i, k, problem.softmax_numeric, n, SIGMA).ok is True


@pytest.mark.parametrize(
    "wrong",
    [
        -FORMULA,
        SIGMA[i] * (sp.KroneckerDelta(i, k) + SIGMA[k]),
        SIGMA[i] * sp.KroneckerDelta(i, k),
        SIGMA[i] * (sp.KroneckerDelta(i, k) - SIGMA[k]) * (1 + sp.KroneckerDelta(i, k)),
    ],
    ids=["negated", "plus-outer", "no-outer", "doubled-diagonal"],
)
def test_check_numeric_rejects_a_wrong_formula(wrong):
    check = check_numeric(wrong, i, k, problem.softmax_numeric, 3, SIGMA)
    assert check.ok is False and check.method == "numeric"


def test_softmax_numeric_sums_to_one():
    import mpmath

    values = problem.softmax_numeric([mpmath.mpf(v) for v in (0.3, -1.2, 2.5)])
    assert abs(mpmath.fsum(values) - 1) < mpmath.mpf("1e-14")
    assert values[2] > values[0] > values[1]
