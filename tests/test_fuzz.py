"""Property and fuzz tests: random grammar trees derive to sympy's derivative; random text never escapes as a crash."""
import os
import tempfile
from pathlib import Path

import sympy as sp
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symderiv.app.cli import main
from symderiv.model.errors import SymderivError
from symderiv.model.functions import expand_special
from symderiv.read.parse import parse_expr
from symderiv.read.answers import check_answer, compare, derive_expression
from symderiv.read.written import verify_written

EXAMPLES = int(os.environ.get("SYMDERIV_FUZZ_EXAMPLES", "40"))  # raise it for a long fuzzing run
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
x = sp.Symbol("x")

LEAVES = st.sampled_from(["x", "y", "w1", "2", "3", "1/2", "0.5"])


def _grow(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(children, st.sampled_from(["2", "3", "-1", "-2"])).map(lambda t: f"({t[0]})**{t[1]}"),
        st.tuples(st.sampled_from(["exp", "sin", "cos", "tanh", "sigmoid"]), children).map(lambda t: f"{t[0]}({t[1]})"),
        children.map(lambda c: f"log(1 + ({c})**2)"),
        children.map(lambda c: f"-{c}"),
    )


EXPRESSIONS = st.recursive(LEAVES, _grow, max_leaves=6)


def parsed(text):
    try:
        return parse_expr(text)
    except SymderivError:  # 1/(x - x) and the like
        assume(False)


@SETTINGS
@given(EXPRESSIONS)
def test_derive_expr_gives_a_verified_result_equal_to_sympys_derivative(text):
    f = parsed(text)
    derivation = derive_expression(text, "x").derivation
    assert derivation.verified, [(step.rule, step.check) for _, _, step in derivation.failures()]
    assert compare(derivation.result, sp.diff(expand_special(f), x)).ok is True


@SETTINGS
@given(EXPRESSIONS)
def test_printing_and_parsing_round_trip(text):
    f = parsed(text)
    assert parse_expr(str(f)) == f


@SETTINGS
@given(EXPRESSIONS)
def test_its_own_derivative_is_a_correct_answer(text):
    parsed(text)
    derivation = derive_expression(text, "x").derivation
    assert check_answer(str(derivation.result), expr=text, wrt="x").correct is True


GRAMMAR_CHARACTERS = "xyzdiNjk0123456789.+-*/^()[],_= #\n\texpsigmoidlnqrtanhSumKroneckerDelta\"'{}:;@!<>%&|~`\\"
NOISE = st.one_of(st.text(alphabet=GRAMMAR_CHARACTERS, max_size=40), st.text(max_size=20))


@SETTINGS
@given(NOISE)
def test_the_parser_raises_only_symderiv_errors(text):
    try:
        parse_expr(text)
    except SymderivError:
        pass


@SETTINGS
@given(NOISE)
def test_verify_written_raises_only_symderiv_errors(text):
    try:
        verify_written(text)
    except SymderivError:
        pass


@settings(max_examples=EXAMPLES * 3 // 2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["expr", "wrt", "define", "answer", "file"]), NOISE)
def test_the_command_line_exits_cleanly_on_random_text(where, text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.txt"
        path.write_bytes(text.encode("utf-8", "replace"))
        args = {
            "expr": ["derive", "--expr", text, "--wrt", "x"],
            "wrt": ["derive", "--expr", "x*y", "--wrt", text],
            "define": ["derive", "--define", text, "--expr", "x", "--wrt", "x"],
            "answer": ["check", "--expr", "x**2", "--wrt", "x", "--answer", text],
            "file": ["verify", str(path)],
        }[where]
        result = CliRunner().invoke(main, args)
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
