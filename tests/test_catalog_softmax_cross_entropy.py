"""softmax-cross-entropy: the singular set, the fused gradient σ_i − t_i, log-sum-exp, and real float64 numbers."""

import math

import pytest
import sympy as sp

from symderiv.catalog import softmax_cross_entropy as problem
from symderiv.model.definitions import unfold
from symderiv.model.symbols import N, index, scalar, vector
from test_catalog_common import agree, part, said, solved

X, SIGMA, T, Z = vector("x"), vector("sigma"), vector("t"), vector("z")
i, j = index("i"), index("j")


def solution():
    return solved("softmax-cross-entropy")


def concrete_softmax(n):
    xs = [X[a] for a in range(1, n + 1)]
    total = sp.Add(*[sp.exp(u) for u in xs])
    return xs, [sp.exp(u) / total for u in xs]


# ------------------------------------------------------------------ (a) the singularity


def test_the_singular_set_comes_from_the_conditions_of_c():
    singularity = part(solution(), "singularity")
    assert sp.Ne(Z[i], 0) in singularity.derivation.conditions
    assert singularity.derivation.result == -T[i] / Z[i]
    assert "z_i = 0" in said(singularity.remarks)[0]


def test_float64_softmax_underflows_to_an_exact_zero():
    demo = problem.float64_singularity([0.0, -800.0, 5.0], [0.0, 1.0, 0.0])
    assert demo["z"][1] == 0.0 and demo["z"][0] > 0 and demo["z"][2] > 0
    assert "division by zero" in demo["gradient"][1]
    assert "domain error" in demo["loss"]
    assert all(math.isfinite(g) for g in demo["fused"])


def test_the_numbers_change_when_the_input_changes():
    first = problem.float64_singularity([0.0, -800.0, 5.0], [0.0, 1.0, 0.0])
    second = problem.float64_singularity([0.0, -10.0, 5.0], [0.0, 1.0, 0.0])
    assert first["z"] != second["z"]
    assert second["z"][1] > 0 and isinstance(second["gradient"][1], float) and math.isfinite(second["loss"])
    third = problem.float64_singularity([1.0, 2.0, 3.0], [0.2, 0.3, 0.5])
    assert math.isclose(math.fsum(third["z"]), 1.0) and third["z"] != first["z"]


def test_the_remarks_hold_the_computed_numbers():
    remarks = " ".join(said(part(solution(), "singularity").remarks))
    demo = problem.float64_singularity(problem.DEMO_X, problem.DEMO_T)
    assert repr(demo["z"][0]) in remarks and repr(demo["z"][2]) in remarks
    assert f"{problem.underflow_threshold():.2f}" in remarks
    assert math.exp(problem.underflow_threshold()) == 0.0 and math.exp(problem.underflow_threshold() + 0.01) > 0.0


def test_the_float64_check_is_recorded():
    (check,) = part(solution(), "singularity").checks
    assert check.ok is True and check.method == "float64"


# ------------------------------------------------------------------ (b) the fused gradient


def fused():
    return part(solution(), "fused-gradient").derivation


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_fused_gradient_is_sympys_derivative_when_t_sums_to_one(n):
    xs, softmax = concrete_softmax(n)
    ts = [T[a] for a in range(1, n + 1)]
    loss = -sp.Add(*[ts[a] * sp.log(softmax[a]) for a in range(n)])
    last = {ts[-1]: 1 - sp.Add(*ts[:-1])}  # Σ t = 1
    general = unfold(fused().steps[-2].rhs, solution().definitions[:2])
    for row in range(1, n + 1):
        oracle = sp.diff(loss, xs[row - 1])
        assert agree(general.xreplace({N: n, i: row}).doit(), oracle, set(xs) | set(ts), low=-2, high=2)
        claimed = softmax[row - 1] - ts[row - 1]
        assert agree(claimed.xreplace(last), oracle.xreplace(last), set(xs) | set(ts[:-1]), low=-2, high=2)
        assert not agree(claimed, oracle, set(xs) | set(ts), low=-2, high=2)  # the condition matters


def test_fused_gradient_records_the_condition_and_has_no_division():
    derivation = fused()
    assert sp.Eq(sp.Sum(T[j], (j, 1, N)), 1) in derivation.conditions
    assert derivation.result == SIGMA[i] - T[i]
    assert not any(isinstance(c, sp.Ne) for c in derivation.conditions)
    assert derivation.steps[-1].rule == "assume" and derivation.steps[-2].rhs.has(sp.Sum(T[j], (j, 1, N)))


def test_fused_gradient_uses_c_and_the_vjp_of_b():
    first, second = fused().steps[:2]
    assert first.rule == "chain-vector" and first.uses[0].result == -T[j] / Z[j]
    vjp = second.uses[0]
    assert vjp.lhs.has(vector("v")[j]) and second.rule == "cite" and second.binding


# ------------------------------------------------------------------ (c) log-sum-exp


def lse():
    return part(solution(), "log-sum-exp").derivation


@pytest.mark.parametrize("n", [2, 3, 5])
def test_log_sum_exp_holds_for_any_m(n):
    xs, softmax = concrete_softmax(n)
    m = scalar("m")
    for row in range(1, n + 1):
        claimed = lse().result.xreplace({N: n, i: row}).doit()
        assert agree(claimed, sp.log(softmax[row - 1]), set(xs) | {m}, low=-3, high=3)


def test_log_sum_exp_steps():
    assert [s.rule for s in lse().steps] == ["unfold", "algebra", "log-sum-exp"]
    assert lse().result.has(scalar("m"))


def test_naive_log_softmax_is_not_finite_where_log_sum_exp_is():
    demo = problem.float64_log_sum_exp([1000.0, 0.0, -5.0])
    assert math.isnan(demo["naive"][0]) and demo["naive"][1] == -math.inf
    assert demo["stable"] == [0.0, -1000.0, -1005.0]
    tame = problem.float64_log_sum_exp([1.0, 2.0, 3.0])
    assert all(math.isclose(a, b) for a, b in zip(tame["naive"], tame["stable"]))
    (check,) = part(solution(), "log-sum-exp").checks
    assert check.ok is True
    assert "nan" in said(part(solution(), "log-sum-exp").remarks)[1]
