"""The checker never certifies a false statement: false statements of every class are rejected (with a
counterexample where one exists) and true ones accepted, through verify, check, derive and assert_sym_equal."""
import pytest
import sympy as sp

from symderiv.model.errors import InputError
from symderiv.model.functions import relu
from symderiv.check.indices import decide_indexed
from symderiv.model.symbols import N, index, vector
from symderiv.testing import assert_sym_equal
from symderiv.read.answers import check_answer, derive_expression
from symderiv.check.verify import decide, decide_expressions
from symderiv.read.written import verify_written

x, y, p = sp.symbols("x y p")
i, j, k = index("i"), index("j"), index("k")
X = vector("x")


def written(*lines: str):
    return verify_written("\n".join(lines))


def rejected(text_a: str, text_b: str) -> bool:
    with pytest.raises(AssertionError, match="not equal"):
        assert_sym_equal(text_a, text_b)
    return True


# ------------------------------------------------------------------ index values: 1, N and every constant

@pytest.mark.parametrize("lower", [2, 3, 6])
def test_a_sum_that_starts_late_is_not_sifted_at_every_k(lower):
    derived = derive_expression(f"Sum(x[j]^2, (j, {lower}, N))", "x[k]")
    result = derived.derivation.result
    assert derived.derivation.verified
    assert result.has(sp.Piecewise)  # the range is stated
    assert check_answer("2*x[k]", expr=f"Sum(x[j]^2, (j, {lower}, N))", wrt="x[k]").correct is False


@pytest.mark.parametrize("upper", ["N - 1", "N - 3", "5"])
def test_a_sum_that_ends_early_is_not_sifted_at_every_k(upper):
    verdict = check_answer("2*x[k]", expr=f"Sum(x[j]^2, (j, 1, {upper}))", wrt="x[k]")
    assert verdict.correct is False and verdict.counterexample is not None
    assert derive_expression(f"Sum(x[j]^2, (j, 1, {upper}))", "x[k]").derivation.verified


def test_the_full_range_stays_clean():
    derived = derive_expression("Sum(x[j]^2, (j, 1, N))", "x[k]")
    assert derived.derivation.verified and derived.derivation.result == 2 * X[k]


def test_a_concrete_component_states_n_at_least_its_index():
    derived = derive_expression("Sum(x[j]^2, (j, 1, N))", "x[3]")
    assert derived.derivation.verified
    assert check_answer("2*x[3]", expr="Sum(x[j]^2, (j, 1, N))", wrt="x[3]").correct is False  # 0 at N = 2


@pytest.mark.parametrize("answer", ["sigma_N*(1 - sigma_N)", "sigma_1*(1 - sigma_1)", "sigma_i*(1 - sigma_N)"])
def test_an_index_fixed_at_a_boundary_is_not_the_general_index(answer):
    verdict = check_answer(answer, problem="softmax-jacobian", part="diagonal")
    assert verdict.correct is False and verdict.counterexample is not None


@pytest.mark.parametrize("answer", ["-t_N/z_N", "-t_1/z_1", "-t_i/z_N"])
def test_cross_entropy_boundary_indices_are_rejected(answer):
    assert check_answer(answer, problem="cross-entropy-grad").correct is False


def test_an_index_equal_to_a_literal_constant_is_tried():
    a = sp.Sum(X[j], (j, 1, N)) + sp.KroneckerDelta(k, 6) * X[1]
    assert decide(a, sp.Sum(X[j], (j, 1, N))).ok is False
    assert decide(sp.KroneckerDelta(k, 6) * X[k], sp.KroneckerDelta(k, 6) * X[6]).ok is True


# ------------------------------------------------------------------ polynomials in N, large N, N = 1

def test_faulhaber_with_a_polynomial_in_n_added_is_false():
    lines = written("Sum(j^3, (j, 1, N))", "= (N*(N+1)/2)^2 + (N-2)*(N-3)*(N-4)*(N-5)")
    assert not lines.ok and lines.lines[1].check.ok is False


@pytest.mark.parametrize("rhs", ["(N*(N+1)/2)^2", "N^2*(N+1)^2/4"])
def test_faulhaber_itself_is_true(rhs):
    assert written("Sum(j^3, (j, 1, N))", f"= {rhs}").ok


@pytest.mark.parametrize("factor", ["(N-6)", "(N-1)", "(N-7)*(N-8)", "(N-40)"])
def test_a_term_vanishing_only_at_some_n_is_not_zero(factor):
    assert rejected(f"Sum(x[j], (j, 1, N)) + {factor}*x[k]", "Sum(x[j], (j, 1, N))")


def test_an_identity_that_fails_only_at_n_one():
    # Σ_j x_j − x_k = Σ_{j≠k} x_j, written with N − 1 terms of the mean: false at N = 1 only through 1/(N − 1)
    a = sp.Sum(X[j], (j, 1, N)) * (N - 1)
    b = sp.Sum(X[j], (j, 1, N)) * N - sp.Sum(X[j], (j, 1, N)) + (N - 1) * (N - 2) * 0
    assert decide(a, b).ok is True
    assert decide(a + sp.KroneckerDelta(N, 1), b).ok is False


# ------------------------------------------------------------------ sums with shifted and dependent ranges

def test_sums_over_different_ranges_are_compared_term_by_term():
    assert decide(sp.Sum(X[j], (j, 1, N)), X[1] + sp.Sum(X[j], (j, 2, N))).ok is True
    assert decide(sp.Sum(X[j], (j, 1, N)), X[2] + sp.Sum(X[j], (j, 2, N))).ok is False
    assert decide(sp.Sum(X[j], (j, 1, N)), sp.Sum(X[j], (j, 1, N - 1)) + X[N]).ok is True
    assert decide(sp.Sum(X[j], (j, 1, N)), sp.Sum(X[j], (j, 2, N - 1)) + X[N]).ok is False


def test_a_range_that_ends_at_a_free_index():
    assert decide(sp.Sum(X[j], (j, 1, k)) + sp.Sum(X[j], (j, k + 1, N)), sp.Sum(X[j], (j, 1, N))).ok is True
    assert decide(sp.Sum(X[j], (j, 1, k)) + sp.Sum(X[j], (j, k, N)), sp.Sum(X[j], (j, 1, N))).ok is False


def test_neighbouring_components():
    ahead = sp.Sum(X[j] * X[j + 1], (j, 1, N - 1))
    derivative = sp.Derivative(ahead, X[k])
    truth = sp.Piecewise((X[2], sp.Eq(k, 1)), (X[N - 1], sp.Eq(k, N)), (X[k - 1] + X[k + 1], True))
    assert decide(derivative, truth).ok is False  # at N = 1 the sum is empty
    assert decide(derivative, truth, (), (N >= 2,)).ok is True
    assert decide(derivative, X[k - 1] + X[k + 1], (), (N >= 2,)).ok is False  # wrong at k = 1 and k = N


def test_a_sifted_delta_outside_the_range_is_zero():
    term = sp.Sum(X[j] * sp.KroneckerDelta(j, k), (j, 2, N))
    assert decide(term, X[k]).ok is False
    assert decide(term, sp.Piecewise((X[k], k >= 2), (0, True))).ok is True


def test_free_and_bound_uses_of_one_name():
    assert decide(sp.Sum(X[j], (j, 1, N)) + X[j], sp.Sum(X[k], (k, 1, N)) + X[j]).ok is True
    assert decide(sp.Sum(X[j], (j, 1, N)), sp.Sum(X[k], (k, 1, N)) + X[j]).ok is False
    verdict = check_answer("2*x[j]", expr="Sum(x[j]^2, (j, 1, N)) + j", wrt="x[j]")
    assert verdict.correct is True


# ------------------------------------------------------------------ numeric sampling: no grid, any scale

@pytest.mark.parametrize("frequency", ["1000*pi", "100*pi", "2000*pi", "7*pi"])
def test_a_term_vanishing_on_a_grid_is_not_zero(frequency):
    lines = written("d/dx sin(x)^2", f"= 2*sin(x)*cos(x) + sin({frequency}*x)")
    assert lines.lines[1].check.ok is False


@pytest.mark.parametrize("shift", ["10", "100", "5000", "1000000"])
def test_a_step_far_away_is_found(shift):
    lines = written(f"d/dx relu(x - {shift})", "= 0")
    assert lines.lines[1].check.ok is False
    assert lines.lines[1].counterexample is not None


@pytest.mark.parametrize("shift", ["-10", "-3000"])
def test_a_step_far_away_on_the_other_side(shift):
    assert written(f"d/dx relu(x - ({shift}))", "= 1").lines[1].check.ok is False


def test_relu_derivative_is_a_step():
    assert decide(sp.Derivative(relu(x - 10), x), sp.Heaviside(x - 10, 0)).ok is True
    assert decide(sp.Derivative(relu(x - 10), x), sp.Heaviside(x - 11, 0)).ok is False


# ------------------------------------------------------------------ tolerance: relative to what cancels

@pytest.mark.parametrize("small", ["sin(x)", "1e-30*sin(x)", "x**3/1000"])
def test_a_small_term_beside_a_huge_one_is_not_lost(small):
    assert rejected(f"exp(10000*x**2) + {small}", "exp(10000*x**2)")


def test_a_tiny_constant_difference_is_not_lost():
    assert rejected("x + 1e-40", "x")
    assert decide_expressions(x + sp.Rational(1, 10**40) * sp.sin(x), x).ok is False


def test_true_identities_with_huge_and_tiny_terms_pass():
    assert_sym_equal("exp(10000*x**2)*(sin(x)^2 + cos(x)^2)", "exp(10000*x**2)")
    assert_sym_equal("exp(-10000*x**2)*(sin(x)^2 + cos(x)^2)", "exp(-10000*x**2)")
    assert_sym_equal("log(1 + exp(x)) - log(1 + exp(-x))", "x")


def test_a_true_zero_identity_over_a_deep_chain_of_names():
    text = ["y", "= 1 - cos(p)^2", "where y = sin(p)^2"] + [f"where q{n} = q{n - 1} + y" for n in range(2, 9)]
    text[-7] = "where q1 = y"
    assert verify_written("\n".join(text)).ok


# ------------------------------------------------------------------ domains

@pytest.mark.parametrize("left, right", [("log(x*y)", "log(x) + log(y)"), ("sqrt(x**2)", "x"),
                                          ("log(x**2)", "2*log(x)"), ("abs(x)", "x")])
def test_identities_true_only_on_part_of_the_domain_are_rejected_with_a_point(left, right):
    with pytest.raises(AssertionError, match="counterexample"):
        assert_sym_equal(left, right)


# ------------------------------------------------------------------ no traceback from checking input

@pytest.mark.parametrize("answer", ["N", "N*sigma_i", "KroneckerDelta(i, N)", "Sum(sigma_j, (j, 1, N))"])
def test_answers_with_n_and_sums_are_decided(answer):
    verdict = check_answer(answer, problem="softmax-jacobian", part="diagonal")
    assert verdict.correct is False


def test_answers_may_name_the_index_of_the_variable():
    assert check_answer("2*x[k]", expr="Sum(x[j]^2, (j, 1, N))", wrt="x[k]").correct is True
    assert check_answer("2*x_k", expr="Sum(x[j]^2, (j, 1, N))", wrt="x[k]").correct is True
    assert check_answer("x[k]", expr="Sum(x[j]^2, (j, 1, N))", wrt="x[k]").correct is False


def test_an_unknown_name_is_one_sentence():
    with pytest.raises(InputError):
        check_answer("q", problem="softmax-jacobian")


# ------------------------------------------------------------------ the case analysis itself

def test_every_index_placement_is_tried_with_three_indices():
    a = sp.KroneckerDelta(i, j) * sp.KroneckerDelta(j, k)
    assert decide_indexed(a, sp.KroneckerDelta(i, k) * sp.KroneckerDelta(i, j), (), decide_expressions).ok is True
    assert decide_indexed(a, sp.KroneckerDelta(i, k), (), decide_expressions).ok is False


def test_conditions_restrict_the_cases():
    a, b = sp.KroneckerDelta(i, k) * X[i], sp.S.Zero
    assert decide_indexed(a, b, (sp.Ne(i, k),), decide_expressions).ok is True
    assert decide_indexed(a, b, (), decide_expressions).ok is False


def test_many_free_indices_are_refused_not_hung():
    names = [index(n) for n in "abcdefg"]
    product = sp.Mul(*[X[n] for n in names])
    check = decide_indexed(product * sp.KroneckerDelta(names[0], names[1]), product, (), decide_expressions)
    assert check.ok is None and "free indices" in check.detail


# ------------------------------------------------------------------ found by attacking the checker

FALSE_LINKS = [
    ("sigmoid(200)", "1"), ("tanh(100)", "1"), ("exp(-1000)", "0"), ("1 + exp(-200)", "1"),
    ("log(1+exp(-200))", "0"), ("sigmoid(-200)*x", "0"), ("x + sigmoid(-150)", "x"),
    ("x", "x + 1e-60*sin(x)"), ("x[k]", "x[k] + exp(-k*200)"),
    ("(exp(x)+exp(60))^2 + 1", "exp(2*x)+2*exp(x+60)+exp(120)"),
    ("(abs(x)+1e30)^2 + 1", "x^2 + 2e30*abs(x) + 1e60"),
    ("relu(x^2 - 1e8)", "0"), ("relu(x^3 - 1e12)", "0"), ("abs(x^2 - 1e8)", "1e8 - x^2"),
    ("relu(x^2 - 4)*relu(4.01 - x^2)", "0"), ("relu(1/x - 1e4)", "0"), ("relu(-log(abs(x)) - 10)", "0"),
    ("relu(x*y - 1e8)", "0"),
    ("*".join(f"(N-{a})" for a in range(1, 43)), "0"),
    ("0^(Sum(exp(x[j]), (j, 1, N)) - exp(x[k]))", "0"),
    ("relu(Sum(exp(x[j]), (j, 1, N)) - exp(x[k]))/(Sum(exp(x[j]), (j, 1, N)) - exp(x[k]))", "1"),
    ("0^((Sum(exp(x[j]), (j, 1, k)) - exp(x[1]) - exp(x[k]))^2)", "0"),
    ("Sum(j^3,(j,1,N))", "(N*(N+1)/2)^2 + " + "*".join(f"(N-{a})" for a in range(1, 9))),
    ("x[k]", "x[k] + " + "*".join(f"(k-{a})" for a in range(1, 14))),
    ("x[k]", "x[k] + abs(k-50) - (50-k)"),
]


@pytest.mark.parametrize("left, right", FALSE_LINKS, ids=[f"{a} = {b}"[:60] for a, b in FALSE_LINKS])
def test_false_links_found_by_attack_are_rejected(left, right):
    assert written(left, f"= {right}").lines[1].check.ok is False


@pytest.mark.parametrize("left, right", [("d/dx abs(x)", "x/abs(x)"), ("d/dx log(abs(x))", "1/x")])
def test_derivatives_of_absolute_values(left, right):
    assert written(left, f"= {right}").ok


def test_unused_huge_definitions_do_not_hide_a_difference():
    names = ["where a = x*y", "where b = a + 1", "where c = b*2", "where d = c - 1", "where e = d + 3",
             "where f = e*x", "where h = exp(150)"]
    assert written("f", "= f + 1", *names).lines[1].check.ok is False
    assert written("log(f^2)", "= 2*log(f)", *names).lines[1].check.ok is False


@pytest.mark.parametrize("layers, activation", [(8, "relu"), (16, "sigmoid")])
def test_a_zero_gradient_of_a_network_is_rejected(layers, activation):
    verdict = check_answer("0", problem="backprop", params={"layers": str(layers), "activation": activation})
    assert verdict.correct is False
