"""The command line for issue-style inputs: every function derives verified in textbook form, `symderiv functions`
lists the grammar, --no-fold keeps the raw form, and hints never name a different function."""
import pytest
from click.testing import CliRunner

from symderiv.app.cli import main
from symderiv.read import function_names


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def result_line(output: str) -> str:
    return next(line for line in output.splitlines() if line.strip().startswith("Result:"))


@pytest.mark.parametrize("expr, result", [
    ("atan(x)", "= 1/(x² + 1)"), ("cosh(x)", "= sinh(x)"), ("x**x", "= x^x·(ln(x) + 1)"), ("2**x", "= 2^x·ln(2)"),
    ("a**x", "= a^x·ln(a)"), ("x**sin(x)", "x^(sin(x))·"), ("abs(x)", "= sign(x)"),
    ("Max(0.01*x, x)", "= H(−x)/100 + H(x)"), ("log(x, 2)", "= 1/(x·ln(2))"),
    ("Piecewise((x, x > 0), (exp(x) - 1, True))", "= {1 if x > 0; e^x otherwise}"), ("Heaviside(x)", "= 0"),
    ("sinh(x)", "= cosh(x)"), ("asinh(x)", "= 1/√(x² + 1)"), ("sec(x)", "= tan(x)·sec(x)"), ("cot(x)", "= −cot(x)² − 1"),
    ("erf(x)", "= 2·e^(−x²)/√(π)"), ("log10(x)", "= 1/(x·ln(10))"), ("log(1 + exp(x))", "= σ(x)"),
    ("gelu(x)", "erf("), ("softplus(x)", "= σ(x)"),
])
def test_the_issues_examples_derive_verified(expr, result):
    out = run("derive", "--expr", expr, "--wrt", "x")
    assert out.exit_code == 0, out.output
    assert result in result_line(out.stdout)


def test_the_logistic_loss_ends_at_x_times_sigma_minus_y_and_keeps_the_typed_order():
    out = run("derive", "--expr", "-(y*log(sigmoid(w*x + b)) + (1 - y)*log(1 - sigmoid(w*x + b)))", "--wrt", "w")
    assert out.exit_code == 0
    assert result_line(out.stdout).endswith("= x·(σ(w·x + b) − y)")
    assert "∂/∂w (−(y·ln(σ(w·x + b))" in result_line(out.stdout)


def test_log_sum_exp_ends_at_softmax_with_sigma_defined():
    out = run("derive", "--expr", "log(Sum(exp(x[j]), (j, 1, N)))", "--wrt", "x[k]")
    assert out.exit_code == 0
    assert result_line(out.stdout).endswith("= σ_k") and "σ_i := e^(x_i)/(Σ_j e^(x_j))" in out.stdout


def test_always_true_conditions_are_not_printed():
    out = run("derive", "--expr", "log(1 + exp(x))", "--wrt", "x", "--no-fold")
    assert out.exit_code == 0 and "when" not in out.stdout


def test_no_fold_keeps_the_raw_form():
    out = run("derive", "--expr", "log(1 + exp(x))", "--wrt", "x", "--no-fold")
    assert result_line(out.stdout).endswith("= e^x/(e^x + 1)") and "[recognize]" not in out.stdout


def test_functions_lists_every_function_with_its_rule():
    out = run("functions")
    assert out.exit_code == 0
    lines = out.stdout.splitlines()
    for name in function_names.NAMES:
        line = next(line for line in lines if line.startswith(f"{name}("))
        assert "d/dx = " in line and "[" in line and "no rule applies" not in line
    assert any("also: arcsin" in line for line in lines)


def test_a_function_that_looks_like_another_gets_no_hint_to_it():
    out = run("derive", "--expr", "selu(x)", "--wrt", "x")
    assert out.exit_code == 2 and "did you mean" not in out.stderr and "unknown function 'selu'" in out.stderr


def test_inverse_functions_print_as_textbooks_write_them():
    out = run("derive", "--expr", "asin(x) + atanh(x)", "--wrt", "x")
    assert out.exit_code == 0 and "arcsin(x)" in out.stdout and "artanh(x)" in out.stdout
    tex = run("derive", "--expr", "asin(x)", "--wrt", "x", "-f", "tex")
    assert r"\arcsin" in tex.stdout
