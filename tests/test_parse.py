"""The parser: the grammar, exact numbers, the caps, refused code, error positions, round-trips."""
import ast
import builtins
import subprocess
import sys

import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symderiv.read import parse
from symderiv.model.errors import ParseError, SymderivError
from symderiv.model.functions import relu, sigmoid, softmax_component
from symderiv.read.parse import parse_equation, parse_expr
from symderiv.model.symbols import N, index, scalar, vector

a, b, x, y, z = (scalar(name) for name in "abxyz")
i, j, k, m = (index(name) for name in "ijkm")
X = vector("x")

GRAMMAR = [
    ("x", x),
    ("w1_out", scalar("w1_out")),
    ("N", N),
    ("pi", sp.pi),
    ("E", sp.E),
    ("42", sp.Integer(42)),
    ("x + y - z", x + y - z),
    ("x*y/z", x * y / z),
    ("x**2", x**2),
    ("x**-2", x**-2),
    ("x**(1/2)", sp.sqrt(x)),
    ("-x", -x),
    ("+x", x),
    ("-(x - y)", y - x),
    ("(x + y)*z", (x + y) * z),
    ("1/2", sp.Rational(1, 2)),
    ("exp(x)", sp.exp(x)),
    ("log(x)", sp.log(x)),
    ("sqrt(x)", sp.sqrt(x)),
    ("sin(x) + cos(x) + tan(x)", sp.sin(x) + sp.cos(x) + sp.tan(x)),
    ("tanh(x)", sp.tanh(x)),
    ("sigmoid(a*x + b)", sigmoid(a * x + b)),
    ("relu(x)", relu(x)),
    ("abs(x)", sp.Abs(x)),
    ("Abs(x - y)", sp.Abs(x - y)),
    ("x[i]", X[i]),
    ("x[i+1]", X[i + 1]),
    ("x[2*i - 1]", X[2 * i - 1]),
    ("x[2]", X[2]),
    ("x[N]", X[N]),
    ("Sum(exp(x[j]), (j, 1, N))", sp.Sum(sp.exp(X[j]), (j, 1, N))),
    ("Sum(x[j], (j, i, N - 1))", sp.Sum(X[j], (j, i, N - 1))),
    ("KroneckerDelta(i, k)", sp.KroneckerDelta(i, k)),
    ("softmax(x, i)", softmax_component(X, i, N, j)),
    ("softmax(x, j)", softmax_component(X, j, N, m)),
    ("softmax(x, i)*(KroneckerDelta(i, k) - softmax(x, k))",
     softmax_component(X, i, N, j) * (sp.KroneckerDelta(i, k) - softmax_component(X, k, N, j))),
    # A minus sign on a factor, or a product in a denominator, is read the way sympy prints products:
    # -(d - z)*z is the product of -1, d - z and z (Python's own arithmetic would give z*(z - d)).
    ("-(d - z)*z*(1 - z)*y", sp.Mul(-1, scalar("d") - z, z, 1 - z, y)),
    ("1/(2*(a + b))", sp.Mul(sp.Rational(1, 2), 1 / (a + b))),
    ("-(a + b)/a", sp.Mul(-1, a + b, 1 / a)),
    ("x/(y/z)", x * z / y),
]


@pytest.mark.parametrize("text, expected", GRAMMAR)
def test_each_grammar_feature_builds_the_expected_sympy_object(text, expected):
    assert parse_expr(text) == expected


@pytest.mark.parametrize("text, expected", [("ln(x)", sp.log(x)), ("ln(x)*log(y)", sp.log(x) * sp.log(y))])
def test_ln_is_log(text, expected):
    assert parse_expr(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("0.5", sp.Rational(1, 2)), ("0.1 + 0.2", sp.Rational(3, 10)), (".25*x", x / 4), ("5.", sp.Integer(5)),
    ("1e-3", sp.Rational(1, 1000)), ("1.5e3", sp.Integer(1500)), ("2.5E-1", sp.Rational(1, 4)),
    ("1_000.5", sp.Rational(2001, 2)), ("0.1*x", x / 10),
])
def test_decimals_are_exact_rationals(text, expected):
    value = parse_expr(text)
    assert value == expected
    assert not value.atoms(sp.Float)


@pytest.mark.parametrize("text, expected", [
    ("x^2", x**2), ("2^3", sp.Integer(8)), ("x^-2", x**-2), ("(x + 1)^2", (x + 1) ** 2), ("(x^2) + 1", x**2 + 1),
    ("exp(x^2)", sp.exp(x**2)), ("x[i]^2", X[i] ** 2), ("x^y**2", x ** (y**2)),
])
def test_caret_is_power(text, expected):
    assert parse_expr(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("x^2 + 1", x**2 + 1), ("-x^2", -x**2), ("a*x^2", a * x**2), ("x^2*a", a * x**2),
    ("2^x^2", 2 ** (x**2)), ("x**y^2", x ** (y**2)), ("x^2/2", x**2 / 2),
])
def test_caret_binds_like_power_not_like_pythons_xor(text, expected):
    # In Python syntax x^2 + 1 would be x xor 3; here ^ is ** with the precedence of **.
    assert parse_expr(text) == expected


@pytest.mark.parametrize("text, column", [("x^^2", 3), ("y + x^2 + foo(x)", 11), ("a^2 + b^2 +", 12)])
def test_error_columns_count_each_caret_as_one_character(text, column):
    with pytest.raises(ParseError) as raised:
        parse_expr(text)
    assert raised.value.column == column


def test_exp_of_one_is_e():
    assert parse_expr("exp(1)") == sp.E
    assert parse_expr(str(parse_expr("exp(1)"))) == sp.E


def test_indices_are_integer_symbols_and_scalars_are_plain():
    component = parse_expr("x[i]")
    assert component.indices[0].is_integer is True
    assert parse_expr("x").is_integer is None
    assert parse_expr("N").is_positive is True


def test_a_name_used_as_an_index_is_an_index_everywhere():
    assert parse_expr("Sum(j*x[j], (j, 1, N))") == sp.Sum(j * X[j], (j, 1, N))
    assert parse_expr("i*KroneckerDelta(i, k)") == i * sp.KroneckerDelta(i, k)


def test_softmax_sums_over_a_dummy_the_text_does_not_use():
    n = index("n")
    assert parse_expr("softmax(x, j)*m") == softmax_component(X, j, N, n) * scalar("m")


def test_a_name_cannot_be_both_a_vector_and_a_scalar():
    with pytest.raises(ParseError, match="'x' is a vector") as err:
        parse_expr("x[i] + x")
    assert err.value.column == 8


def test_parse_equation_returns_the_name_and_the_expression():
    assert parse_equation("y = sigmoid(w1*x)") == ("y", sigmoid(scalar("w1") * x))
    assert parse_equation("  p2=w2*y") == ("p2", scalar("w2") * y)


@pytest.mark.parametrize("text, message, column", [
    ("y == x", "expected 'NAME = EXPR'", 1),
    ("sigmoid(x)", "expected 'NAME = EXPR'", 1),
    ("exp = x", "'exp' cannot be defined", 1),
    ("N = 3", "'N' cannot be defined", 1),
    ("_y = 2", "'_y' cannot be defined", 1),
    ("y = y + 1", "'y' is defined in terms of itself", 1),
    ("y = foo(x)", "unknown function 'foo'", 5),
    ("y = ", "empty expression", 5),
])
def test_parse_equation_errors(text, message, column):
    with pytest.raises(ParseError, match=message) as err:
        parse_equation(text)
    assert err.value.column == column


# --- caps -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2**2**2**2**5", "2^(2^(2^(2^5)))", "10**10**10", "x**1001", "x**(1/1001)",
                                  "(x**40)**40", "x**600*x**600"])
def test_huge_exponents_are_refused_without_being_computed(text):
    with pytest.raises(ParseError, match="exponent"):
        parse_expr(text)


@pytest.mark.parametrize("text", ["2**1000", "9**999 * 9**999", "(2**(1/2))**999", "(10**90)*(10**90)",
                                  "1" * (parse.MAX_DIGITS + 2), "1e999", "1e-999", "0." + "1" * 200,
                                  "0x" + "F" * 100, "(x + 10**60)*10**60"])
def test_huge_numbers_are_refused(text):
    with pytest.raises(ParseError, match="digits|too long"):
        parse_expr(text)


def test_largest_allowed_numbers_are_accepted():
    assert parse_expr("2**300") == sp.Integer(2) ** 300
    assert parse_expr("x**1000") == x**1000


def test_overly_long_input_is_refused():
    with pytest.raises(ParseError, match="too long"):
        parse_expr("x + " * (parse.MAX_LENGTH // 4) + "x")


def test_too_many_nodes_is_refused():
    text = "+".join(["1"] * (parse.MAX_NODES // 2 + 10))
    assert len(text) <= parse.MAX_LENGTH
    with pytest.raises(ParseError, match="too large"):
        parse_expr(text)


@pytest.mark.parametrize("text", [
    "(" * 100 + "x" + ")" * 100,
    "(" * 250 + "x" + ")" * 250,
    "exp(" * 70 + "x" + ")" * 70,
    "x" + "[x" * 70 + "]" * 70,
    "-" * 100 + "x",
    "-" * 4000 + "x",
    "x" + "**x" * 100,
])
def test_deep_nesting_is_refused(text):
    with pytest.raises(ParseError, match="nested too deeply"):
        parse_expr(text)


@pytest.mark.parametrize("wrapper", ["sin({})", "exp({})", "-({})", "1 + ({})", "x*({})", "2/({})", "sigmoid({})"])
def test_the_depth_cap_is_exact_and_always_a_parse_error(wrapper):
    """Expressions count as levels, operators and name contexts do not: the cap is MAX_DEPTH levels exactly."""
    def nest(levels):
        text = "i"
        for _ in range(levels - 1):
            text = wrapper.format(text)
        return text

    parse_expr(nest(parse.MAX_DEPTH))
    with pytest.raises(ParseError, match=f"nested too deeply \\(at most {parse.MAX_DEPTH} levels\\) \\(column"):
        parse_expr(nest(parse.MAX_DEPTH + 1))


def test_long_flat_chains_are_not_counted_as_nesting():
    assert parse_expr(" + ".join(f"w{n}*x{n}" for n in range(200))) == sum(
        scalar(f"w{n}") * scalar(f"x{n}") for n in range(200))


def test_a_realistic_2000_character_expression_parses():
    terms, n = [], 0
    while len(" + ".join(terms)) < 2000:
        n += 1
        terms.append(f"w{n}*sigmoid(v{n}*x[i] + b{n})**2 - 0.5*(d{n} - y{n})**2/Sum(exp(x[j]), (j, 1, N))")
    text = " + ".join(terms)
    assert len(text) >= 2000
    assert isinstance(parse_expr(text), sp.Add)


# --- code is never run ----------------------------------------------------------------------------

PAYLOADS = [
    "__import__('os').system('touch MARKER')",
    "__import__",
    "().__class__.__base__.__subclasses__()",
    "x.__class__",
    "lambda: 0",
    "(lambda: 0)()",
    'f"{x}"',
    'f"{__import__(\'os\').system(\'touch MARKER\')}"',
    "x.y",
    "exp.__globals__",
    '"abc"',
    "b'abc'",
    "[1, 2]",
    "(1, 2)",
    "{1: 2}",
    "{1, 2}",
    "[c for c in ()]",
    "x if y else z",
    "x < y",
    "x == y",
    "x and y",
    "not x",
    "~x",
    "x % y",
    "x // y",
    "x @ y",
    "x | y",
    "(y := 3)",
    "exp(*x)",
    "exp(**x)",
    "exp(x=1)",
    "(x + y)[i]",
    "x[i][j]",
    "x[1:2]",
    "x[i:j]",
    "_x",
    "__x__",
    "open('MARKER', 'w')",
    "eval('1')",
    "lambda",
    "if",
    "import os",
    "exec('import os')",
    "...",
    "None",
    "True",
    "1j",
    "x\x00",
    "sigma(x)",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_code_payloads_are_refused_and_nothing_runs(payload, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParseError):
        parse_expr(payload)
    assert not (tmp_path / "MARKER").exists()
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def no_evaluation(monkeypatch):
    """Make eval, exec and non-AST compile explode, so any use of them fails the test."""
    real_compile = builtins.compile

    def refuse(*args, **kwargs):
        raise AssertionError("user text was evaluated")

    def ast_only(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:
            raise AssertionError("user text was compiled to code")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    monkeypatch.setattr(builtins, "compile", ast_only)
    monkeypatch.setattr("sympy.parsing.sympy_parser.parse_expr", refuse)


def test_the_no_evaluation_guard_would_catch_sympify(no_evaluation):
    with pytest.raises(AssertionError, match="evaluated"):
        sp.sympify("x + 1")


@pytest.mark.parametrize("text, expected", GRAMMAR[:12] + GRAMMAR[-8:])
def test_parsing_never_evaluates_or_compiles_the_text(no_evaluation, text, expected):
    assert parse_expr(text) == expected


def test_the_parser_imports_only_sympy_and_the_standard_library():
    code = "import sys, symderiv.read.parse; print(sorted({'click', 'jinja2'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": ":".join(sys.path)}).stdout
    assert out.strip() == "[]"


# --- errors say what and where --------------------------------------------------------------------

@pytest.mark.parametrize("text, message, column, token", [
    ("2*foo(x)", "unknown function 'foo'", 3, "foo"),
    ("x.__class__", "attribute access is not allowed", 2, "x.__class__"),
    ("sigmod(x)", "did you mean 'sigmoid'?", 1, "sigmod"),
    ("Kronecker(i, j)", "did you mean 'KroneckerDelta'?", 1, "Kronecker"),
    ("exp(x, y)", "exp() takes 1 argument, got 2", 1, "exp"),
    ("softmax(x)", "softmax() takes 2 arguments, got 1", 1, "softmax"),
    ("Sum(x[j])", "Sum() takes at least 2 arguments, got 1", 1, "Sum"),
    ("Sum(x[j], j)", "Sum limits must be written", 11, "j"),
    ("KroneckerDelta(i)", "KroneckerDelta() takes 2 arguments, got 1", 1, "KroneckerDelta"),
    ("x + (y", "'(' is never closed", 5, "("),
    ("x + y)", "unmatched ')'", 6, ")"),
    ("2 x", "missing operator", 3, "x"),
    ("x + 2y", "invalid number", 5, "2y"),
    ("x % y", "operator '%' is not allowed", 3, "%"),
    ("x / 0", "division by zero", 5, "0"),
    ("1 + log(0)", "undefined", 5, "log(0)"),
    ("1 + sqrt(-1)", "not a real number", 5, "sqrt(-1)"),
    ("x[pi]", "'pi' cannot be an index", 3, "pi"),
    ("exp + 1", "'exp' is a function", 1, "exp"),
    ("x + __import__", "names start with a letter", 5, "__import__"),
    ("x + lambda", "'lambda' is a reserved word", 5, "lambda"),
    ("x − y", "character '−' is not allowed", 3, "−"),
    ("2**2**2**2**5", "exponent 4294967296 is too large", 7, "2**2**5"),
    ("  x +* y", "unexpected '*'", 6, "*"),
    ("(x +\n foo(y))", "unknown function 'foo'", 7, "foo"),  # columns count from the start of the text
])
def test_errors_state_what_was_wrong_with_column_and_token(text, message, column, token):
    with pytest.raises(ParseError) as err:
        parse_expr(text)
    assert message in str(err.value)
    assert (err.value.column, err.value.token) == (column, token)
    assert str(err.value).endswith(f"(column {column}, at {token!r})")


def test_error_message_format_exactly():
    with pytest.raises(ParseError) as err:
        parse_expr("2*foo(x)")
    assert str(err.value) == "unknown function 'foo'; for a product write foo*(...) (column 3, at 'foo')"


@pytest.mark.parametrize("text, message", [("", "empty expression"), ("   ", "empty expression"),
                                           ("x +", "unexpected end of input"), ("exp(x) *", "unexpected end of input")])
def test_empty_and_truncated_input(text, message):
    with pytest.raises(ParseError, match=message) as err:
        parse_expr(text)
    assert err.value.column == len(text.rstrip()) + 1 or err.value.column == len(text) + 1


def test_parse_error_is_a_symderiv_error_with_exit_code_2():
    with pytest.raises(SymderivError) as err:
        parse_expr("x +")
    assert err.value.exit_code == 2


# --- round trips ------------------------------------------------------------------------------------

ROUND_TRIP = [text for text, _ in GRAMMAR] + [
    "exp(1)", "exp(-x)/(1 + exp(-x))**2", "sigmoid(x)*(1 - sigmoid(x))", "x**(3/2) + 1/sqrt(x)", "2*pi*x/3",
    "Sum(x[j]*KroneckerDelta(j, k), (j, 1, N))", "Sum(x[i]*y[j], (i, 1, N), (j, 1, N))", "Abs(x[i] - 1/2)",
    "-log(softmax(x, i))", "-Sum(t[j]*log(z[j]), (j, 1, N))", "sin(pi/4)", "E**x", "relu(-x)",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_round_trip_of_grammar_examples(text):
    value = parse_expr(text)
    assert parse_expr(str(value)) == value


SCALARS = st.sampled_from([a, b, x, y])
UNARY = st.sampled_from([sp.exp, sp.log, sp.sin, sp.cos, sp.tanh, sigmoid])
LEAVES = SCALARS | st.integers(-5, 5).map(sp.Integer)


def _extend(children):
    pairs = st.tuples(children, children)
    return (pairs.map(lambda p: p[0] + p[1]) | pairs.map(lambda p: p[0] - p[1]) | pairs.map(lambda p: p[0] * p[1])
            | pairs.map(lambda p: p[0] / p[1]) | st.tuples(children, st.integers(-3, 3)).map(lambda p: p[0] ** p[1])
            | st.tuples(UNARY, children).map(lambda p: p[0](p[1])))


def _in_grammar(expr):
    """sympy can leave the grammar on its own, e.g. cos(log(-1)) is cosh(pi)."""
    allowed = (sp.exp, sp.log, sp.sin, sp.cos, sp.tanh, sigmoid)
    return all(isinstance(f, allowed) for f in expr.atoms(sp.Function))


def _within_caps(expr):
    numbers_ok = all(len(str(abs(r.p))) + len(str(r.q)) < parse.MAX_DIGITS for r in expr.atoms(sp.Rational))
    powers_ok = all(abs(p.exp) <= parse.MAX_EXPONENT for p in expr.atoms(sp.Pow) if p.exp.is_Rational)
    return numbers_ok and powers_ok and len(str(expr)) < parse.MAX_LENGTH


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.recursive(LEAVES, _extend, max_leaves=8))
def test_round_trip_property(expr):
    assume(not expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I) and _in_grammar(expr) and _within_caps(expr))
    parsed = parse_expr(str(expr))
    assert parsed == expr
    assert parse_expr(str(parsed)) == parsed


def _parses_or_refuses(text):
    try:
        value = parse_expr(text)
    except SymderivError as err:
        assert str(err)
    else:
        assert isinstance(value, sp.Basic)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_fuzz_random_text_only_raises_parse_errors(text):
    _parses_or_refuses(text)


TOKENS = ["x", "y", "i", "j", "k", "N", "0", "1", "2", "0.5", "1e3", "pi", "E", "+", "-", "*", "/", "**", "^",
          "(", ")", "[", "]", ",", " ", "exp", "log", "ln", "sqrt", "sigmoid", "relu", "abs", "Sum", "softmax",
          "KroneckerDelta", "(j, 1, N)", "x[i]", "=", ".", "_", "__", "'", "lambda", ":", "%", "<"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_fuzz_grammar_fragments_only_raise_parse_errors(text):
    _parses_or_refuses(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_fuzz_equations_only_raise_parse_errors(text):
    try:
        name, value = parse_equation("y = " + text)
    except SymderivError:
        return
    assert name == "y" and isinstance(value, sp.Basic)
