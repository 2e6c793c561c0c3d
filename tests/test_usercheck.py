"""usercheck: derive --expr, answers checked against every catalog problem, written derivations line by line."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from symderiv import catalog
from symderiv.read import answers as usercheck
from symderiv.model.definitions import unfold
from symderiv.model.errors import InputError, SymderivError
from symderiv.model.functions import expand_special, sigmoid
from symderiv.read.parse import parse_expr
from symderiv.model.symbols import index, scalar, vector
from symderiv.read.written import verify_written, written_data
from symderiv.read.answers import (
    check_answer, compare, counterexample, derive_expression, read_definitions, resolve_names,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
d, x, y, z, w1, w2 = (scalar(n) for n in ("d", "x", "y", "z", "w1", "w2"))
i, k = index("i"), index("k")


def solved(name):
    return usercheck._solved(name, (), "auto")


def typed(part) -> str:
    """The part's result as str() prints it; for a result the grammar cannot write (a matrix entry), the last form it can."""
    for step in reversed(part.derivation.steps):
        try:
            parse_expr(str(step.rhs))
        except SymderivError:
            continue
        return str(step.rhs)
    raise AssertionError(f"no typeable form of {part.derivation.result}")


def negated(text: str, result) -> str:
    return f"({text}) + 1" if result == 0 else f"-({text})"


# --- derive --expr ---------------------------------------------------------------------------------
def test_a_definition_gives_a_chain_derivation_equal_to_sympys_derivative():
    derived = derive_expression("(d - sigmoid(w2*y))**2/2", "w1", ["y = sigmoid(w1*x)"])
    derivation = derived.derivation
    assert derivation.verified and derived.warnings == ()
    assert "leibniz" in derivation.rules() and "substitute" in derivation.rules()
    expected = sp.diff((d - sigmoid(w2 * sigmoid(w1 * x))) ** 2 / 2, w1)
    assert compare(derivation.result, expected, derived.solution.definitions).ok is True


def test_the_expression_is_a_one_part_solution_named_expr():
    solution = derive_expression("x**2", "x").solution
    assert solution.problem == "expr" and len(solution.parts) == 1 and solution.verified
    assert solution.parts[0].derivation.result == 2 * x


def test_four_named_layers_give_the_leibniz_product():
    layers = ["p1 = w1*x", "y = sigmoid(p1)", "p2 = w2*y", "z = sigmoid(p2)"]
    derivation = derive_expression("(d - z)**2/2", "w1", layers).derivation
    assert derivation.verified
    assert [s.rule for s in derivation.steps[:2]] == ["leibniz", "substitute"]
    assert compare(derivation.result, -(d - z) * z * (1 - z) * w2 * y * (1 - y) * x).ok is True


def test_where_no_rule_applies_the_result_is_not_verified():
    derivation = derive_expression("leaky_relu(x, x)", "x").derivation
    assert derivation.has_unknown() and not derivation.verified


def test_a_variable_that_does_not_occur_gives_zero_and_a_warning():
    derived = derive_expression("x**2", "q", ["y = w1*x"])
    assert derived.derivation.result == 0 and derived.derivation.verified
    assert len(derived.warnings) == 1 and "q does not occur" in derived.warnings[0]


def test_a_component_is_a_variable():
    derivation = derive_expression("softmax(x, i)", "x[k]").derivation
    assert derivation.verified


@pytest.mark.parametrize("expr, wrt, defines, message", [
    ("x +", "x", (), "cannot read the expression"),
    ("", "x", (), "empty expression"),
    ("x", "2*x", (), "is not a variable"),
    ("x", "N", (), "is not a variable"),
    ("y", "x", ["y = z", "y = x"], "defined twice"),
    ("y", "x", ["y = z", "z = y*x"], "cycle"),
    ("y", "x", ["y == x"], "cannot read the definition"),
    ("y", "x", ["sigmoid = x"], "cannot read the definition"),
])
def test_bad_input_is_an_input_error(expr, wrt, defines, message):
    with pytest.raises(InputError, match=message):
        derive_expression(expr, wrt, defines)


def test_definitions_are_symbols():
    (definition,) = read_definitions(["y = sigmoid(w1*x)"])
    assert definition.name == y and definition.expr == sigmoid(w1 * x)


# --- answers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", catalog.names())
def test_every_part_accepts_its_own_result_and_rejects_its_negation(name):
    solution = solved(name)
    for part in solution.parts:
        right = typed(part)
        verdict = check_answer(right, problem=name, part=part.id)
        assert verdict.correct is True, (part.id, right, verdict.check)
        wrong = check_answer(negated(right, part.derivation.result), problem=name, part=part.id)
        assert wrong.correct is False, (part.id, right, wrong.check)
        assert wrong.counterexample is not None
        answer, expected = wrong.counterexample.values()
        assert answer != expected


@pytest.mark.parametrize("name", catalog.names())
def test_every_part_accepts_the_expanded_form(name):
    solution = solved(name)
    for part in solution.parts:
        expanded = str(unfold(parse_expr(typed(part)).xreplace(_problem_symbols(part)), solution.definitions))
        assert check_answer(expanded, problem=name, part=part.id).correct is True, (part.id, expanded)


@pytest.mark.parametrize("name", catalog.names())
def test_without_part_the_last_part_is_checked(name):
    solution = solved(name)
    last = solution.parts[-1]
    verdict = check_answer(typed(last), problem=name)
    assert verdict.part == last.id and verdict.correct is True


def _problem_symbols(part):
    """Parsed names as the problem's own objects (for unfold, which matches structurally)."""
    known = usercheck._symbols_of(part.derivation.lhs, part.derivation.result)
    return {scalar(str(s)): s for s in known if isinstance(s, sp.Symbol) and not s.is_integer}


def test_named_quantities_may_be_written_with_an_underscore():
    verdict = check_answer("sigma_i*(KroneckerDelta(i, k) - sigma_k)", problem="softmax-jacobian")
    assert verdict.correct is True and verdict.part == "matrix"
    assert check_answer("sigma_i*(1 - sigma_i)", problem="softmax-jacobian", part="diagonal").correct is True
    assert check_answer("-sigma_i*sigma_k", problem="softmax-jacobian", part="off-diagonal").correct is True


def test_a_wrong_answer_has_a_counterexample_with_index_values_and_names_the_part_it_matches():
    verdict = check_answer("-sigma_i*sigma_k", problem="softmax-jacobian")
    assert verdict.correct is False and verdict.matches_part == "off-diagonal"
    point = dict((str(name), value) for name, value in verdict.counterexample.point)
    assert point["i"] == point["k"] and "N" in point


def test_the_lecture_notes_slip_is_incorrect():
    verdict = check_answer("d - z", expr="(d - z)**2/2", wrt="z")
    assert verdict.correct is False and verdict.expected == z - d
    assert check_answer("z - d", expr="(d - z)**2/2", wrt="z").correct is True
    assert check_answer("-(d - z)*z*(1 - z)*y", expr="(d - z)**2/2", wrt="w2",
                        defines=["p2 = w2*y", "z = sigmoid(p2)"]).correct is True


@pytest.mark.parametrize("answer, message", [
    ("q*sigma_i", "unknown name 'q'"),
    ("sigma*2", "'sigma' is a vector here"),
    ("y[i]", "unknown name 'y'"),
    ("sigma_q", "unknown name 'q'"),
    ("", "empty expression"),
    ("lambda: 0", "cannot read the answer"),
])
def test_bad_answers_are_input_errors(answer, message):
    with pytest.raises(InputError, match=re.escape(message)):
        check_answer(answer, problem="softmax-jacobian")


def test_unknown_problem_and_part():
    with pytest.raises(InputError, match="unknown problem"):
        check_answer("x", problem="softmax-jacobain")
    with pytest.raises(InputError, match="no part 'nope'"):
        check_answer("x", problem="softmax-jacobian", part="nope")
    with pytest.raises(InputError, match="either"):
        check_answer("x", problem="softmax-jacobian", expr="x", wrt="x")


def test_resolve_names_maps_underscores_to_components():
    sigma = vector("sigma")
    assert resolve_names(scalar("sigma_i") * scalar("sigma_2"), (sigma, i)) == sigma[i] * sigma[2]


# --- comparing -------------------------------------------------------------------------------------
def test_compare_takes_the_cheapest_decisive_method():
    assert compare(x, x).method == "structural"
    assert compare(sp.exp(x) / (1 + sp.exp(x)), sigmoid(x)).method == "exact"
    assert compare(x, x + 1).ok is False


def test_compare_respects_conditions():
    sigma = vector("sigma")
    entry = sigma[i] * (sp.KroneckerDelta(i, k) - sigma[k])
    assert compare(entry, -sigma[i] * sigma[k], (), (sp.Ne(k, i),)).ok is True
    assert compare(entry, -sigma[i] * sigma[k]).ok is False


def test_a_counterexample_is_a_simple_point_where_both_sides_differ():
    found = counterexample(d - z, z - d)
    assert found.where() == "d = 0.5, z = 2" and found.values() == ("-1.5", "1.5")
    assert counterexample(x, x) is None


# --- written derivations ---------------------------------------------------------------------------
def test_the_slip_example_is_flagged_at_the_notes_line():
    text = (EXAMPLES / "backprop-slip.txt").read_text()
    written = verify_written(text, "backprop-slip.txt")
    slip = next(n for n, line in enumerate(text.splitlines(), start=1) if "the note's line" in line)
    assert not written.ok and written.first_failure().number == slip
    assert [line.check.ok for line in written.lines[1:]] == [False, True]
    assert written.first_failure().counterexample is not None
    assert written.conclusion.ok is False


@pytest.mark.parametrize("name", ["backprop-correct.txt", "backprop-w2.txt", "backprop-w1.txt"])
def test_the_correct_examples_verify(name):
    written = verify_written((EXAMPLES / name).read_text(), name)
    assert written.ok and written.first_failure() is None, written_data(written)["lines"]


def test_a_derivative_line_is_checked_against_sympys_derivative():
    assert verify_written("d/dx sin(x)**2\n= 2*sin(x)*cos(x)").ok
    assert not verify_written("d/dx sin(x)**2\n= 2*sin(x)").ok
    assert verify_written("d/dx[k] Sum(x[j]**2, (j, 1, N))\n= 2*x[k]").ok
    assert verify_written("d/dx(x**3)\n= 3*x**2").ok


def test_where_lines_justifications_and_comments():
    text = "# a comment\nwhere u = w*x   # input\n\nd/dw sigmoid(u)\n= sigmoid(u)*(1 - sigmoid(u))*x  # chain rule\n"
    written = verify_written(text)
    assert written.ok and written.where == ("u = w*x",)
    assert written.lines[1].justification == "chain rule" and written.lines[1].number == 5


def test_a_plain_first_line_is_an_expression():
    written = verify_written("(a + b)**2\n= a**2 + 2*a*b + b**2\n= a**2 + b**2  # freshman's dream")
    assert [line.check.ok for line in written.lines[1:]] == [True, False]
    data = written_data(written)
    assert data["false_lines"] == [3] and data["first_failure"]["number"] == 3


@pytest.mark.parametrize("text, message", [
    ("x + 1", "nothing to check"),
    ("= x", "no expression comes before"),
    ("x\ny", "line 2 should start with '='"),
    ("x\n= (", "line 2: cannot read"),
    ("where y = y + 1\nx\n= x", "line 1"),
    ("where y = z\nwhere z = y\nx\n= x", "cycle"),
    ("where y = 1\nwhere y = 2\nx\n= x", "defined twice"),
    ("d/d2 x\n= 1", "line 1"),
    ("x\n" * 2000, "too long"),
])
def test_bad_written_derivations_are_input_errors(text, message):
    with pytest.raises(InputError, match=re.escape(message)):
        verify_written(text)


def test_the_core_imports_neither_click_nor_jinja():
    code = ("import sys, symderiv.read.answers, symderiv.testing; "
            "print(sorted({'click', 'jinja2'} & set(sys.modules)))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


def test_oracle_check_of_the_expression_derivative_agrees_with_sympy():
    derived = derive_expression("log(1 + exp(x))", "x")
    assert compare(derived.derivation.result, sp.diff(expand_special(sp.log(1 + sp.exp(x))), x)).ok is True


def test_a_problem_with_scalar_named_quantities(monkeypatch):
    """As the backprop problem will be: named scalars z, y; answers in the names or expanded."""
    layers = ["p1 = w1*x", "y = sigmoid(p1)", "p2 = w2*y", "z = sigmoid(p2)"]
    solution = derive_expression("(d - z)**2/2", "w1", layers).solution
    monkeypatch.setattr(usercheck, "_solved", lambda name, params, method: solution)
    assert check_answer("-(d - z)*z*(1 - z)*w2*y*(1 - y)*x", problem="backprop").correct is True
    expanded = "-(d - sigmoid(w2*sigmoid(w1*x)))*sigmoid(w2*sigmoid(w1*x))*(1 - sigmoid(w2*sigmoid(w1*x)))*w2*sigmoid(w1*x)*(1 - sigmoid(w1*x))*x"
    assert check_answer(expanded, problem="backprop").correct is True
    slip = check_answer("(d - z)*z*(1 - z)*w2*y*(1 - y)*x", problem="backprop")
    assert slip.correct is False and slip.counterexample is not None
    with pytest.raises(InputError, match="unknown name 'q'"):
        check_answer("q", problem="backprop")


def test_an_answer_right_only_for_positive_values_is_incorrect():
    verdict = check_answer("1", expr="relu(x)", wrt="x")
    assert verdict.correct is False and verdict.counterexample.where() == "x = -0.5"
