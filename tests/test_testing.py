"""assert_sym_equal: the cheapest decisive method, strings through the safe parser, failures with a counterexample."""
import pytest
import sympy as sp

from symderiv.model.errors import SymderivError
from symderiv.model.functions import relu, sigmoid
from symderiv.testing import as_expression, assert_sym_equal, explain_comparison

x, y = sp.symbols("x y")


@pytest.mark.parametrize("actual, expected, method", [
    (x + y, y + x, "structural"),
    (sp.exp(2 * x), sp.exp(x) ** 2, "structural"),
    ((x + 1) ** 2, x**2 + 2 * x + 1, "exact"),
    (sp.diff(sp.log(1 + sp.exp(x)), x), sigmoid(x), "exact"),
    (sp.Derivative(sigmoid(x), x), sigmoid(x) * (1 - sigmoid(x)), "exact"),
    (sp.sin(x) ** 2 + sp.cos(x) ** 2, 1, "simplify"),
])
def test_equal_expressions_pass_and_say_how(actual, expected, method):
    assert assert_sym_equal(actual, expected).method == method


def test_numeric_sampling_comes_last():
    big = sp.Add(*[sp.sin(x + n) ** 2 + sp.cos(x + n) ** 2 for n in range(1, 40)])
    assert assert_sym_equal(big, 39).method == "numeric"


def test_strings_are_parsed_and_use_the_other_sides_symbols():
    positive = sp.Symbol("x", positive=True)
    assert assert_sym_equal(sp.sqrt(positive**2), "x").ok
    assert assert_sym_equal("sigma[i]*(1 - sigma[i])", "sigma[i] - sigma[i]**2").method == "exact"


def test_symbols_say_what_names_in_strings_mean():
    t = sp.Symbol("t", positive=True)
    assert assert_sym_equal("sqrt(t**2)", "t", symbols=[t]).ok
    assert assert_sym_equal("sqrt(t**2)", "t", symbols={"t": t}).ok
    with pytest.raises(AssertionError):
        assert_sym_equal("sqrt(t**2)", "t")  # a t of unknown sign: sqrt(t**2) is |t|


def test_floats_are_the_decimals_they_print_as():
    assert assert_sym_equal(0.1 * x + 0.2 * x, "0.3*x").ok
    assert assert_sym_equal(sp.Float(0.5) * x, x / 2).ok


def test_a_failure_shows_both_expressions_the_difference_and_a_counterexample():
    with pytest.raises(AssertionError) as failure:
        assert_sym_equal("d - z", "z - d", msg="dE/dz")
    message = str(failure.value)
    assert message.splitlines()[0] == "dE/dz: the expressions are not equal"
    assert "actual:     d - z" in message and "expected:   -d + z" in message
    assert "difference: 2*d - 2*z" in message
    assert "counterexample: at d = 0.5, z = 2: actual = -1.5, expected = 1.5" in message
    assert "decided by: exact" in message


def test_a_failure_with_indices_instantiates_them():
    with pytest.raises(AssertionError, match=r"counterexample: at N = 1, i = 1, x\[1\] = 0.5"):
        assert_sym_equal("Sum(x[j], (j, 1, N))", "Sum(x[j], (j, 1, N)) + x[i]")


def test_sigmoid_with_the_wrong_sign_fails():
    with pytest.raises(AssertionError, match="counterexample: at x = 0.5"):
        assert_sym_equal(sp.diff(sp.log(1 + sp.exp(x)), x), sigmoid(-x))


@pytest.mark.parametrize("payload", [
    "__import__('os').system('touch X')", "().__class__.__base__.__subclasses__()", "lambda: 0", "x.__class__",
    "f'{x}'",
])
def test_strings_never_run_code(payload):
    with pytest.raises(SymderivError):
        assert_sym_equal(payload, "x")


def test_other_types_are_refused():
    with pytest.raises(TypeError):
        as_expression([x])
    with pytest.raises(TypeError):
        assert_sym_equal(x, x, symbols=3)


def test_explain_comparison_tells_structural_from_mathematical_difference():
    assert "mathematically equal" in "\n".join(explain_comparison((x + 1) ** 2, x**2 + 2 * x + 1))
    assert any("counterexample" in line for line in explain_comparison(x, x + 1))


@pytest.mark.parametrize("actual, expected", [
    (sp.Abs(x), x), (relu(x), x), (sp.Derivative(relu(x), x), 1), (sp.Heaviside(x), 1),
])
def test_identities_that_hold_only_for_positive_values_fail(actual, expected):
    with pytest.raises(AssertionError, match="counterexample: at x = -0.5"):
        assert_sym_equal(actual, expected)


def test_assumptions_are_respected():
    positive = sp.Symbol("x", positive=True)
    assert assert_sym_equal(sp.Abs(positive), positive).ok
