"""The public Python API: `import symderiv as sd` is cheap, and sd.derive / sd.check / sd.verify / sd.render
take the same path as the command line (their output is the CLI's, byte for byte)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp
from click.testing import CliRunner

import symderiv as sd
from symderiv.app.cli import main
from symderiv.model.errors import InputError
from symderiv.testing import assert_sym_equal

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def cli(*args):
    return CliRunner().invoke(main, list(args))


def test_importing_symderiv_loads_neither_sympy_nor_the_output_stage():
    code = ("import sys, symderiv; print(sorted(m for m in ('sympy', 'jinja2', 'click', 'numpy', 'symderiv.app.api')"
            " if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_the_public_names_are_listed_and_documented():
    for name in ("derive", "check", "verify", "render", "compare", "problems", "Solution", "Part", "Derivation",
                 "Verdict", "WrittenVerdict"):
        assert name in dir(sd) and name in sd.__all__
        assert getattr(sd, name).__doc__
    with pytest.raises(AttributeError):
        sd.no_such_name


def test_derive_and_check_are_callable_and_still_the_stage_packages():
    import symderiv.derive.planner  # the subpackage stays importable under the name of the function
    import symderiv.check.verify

    assert callable(sd.derive) and callable(sd.check)
    assert sd.derive.planner is symderiv.derive.planner and sd.check.verify is symderiv.check.verify


def test_a_catalog_problem(softmax):
    sol = sd.derive("softmax-jacobian")
    assert isinstance(sol, sd.Solution) and sol.verified
    assert sol.parts.ids() == ["diagonal", "off-diagonal", "matrix"]
    assert sol.parts["diagonal"].steps == softmax.parts[0].derivation.steps
    assert sol.result == softmax.parts[-1].derivation.result
    assert_sym_equal(sol.parts["diagonal"].result, "sigma[i]*(1 - sigma[i])")
    with pytest.raises(KeyError, match="no part 'nope'"):
        sol.parts["nope"]


def test_an_expression_as_a_string_with_definitions():
    sol = sd.derive("(d - sigmoid(w2*y))**2/2", wrt="w1", define={"y": "sigmoid(w1*x)"})
    assert sol.verified and sol.problem == "expr"
    w1, w2, x, d = sp.symbols("w1 w2 x d")
    y = 1 / (1 + sp.exp(-w1 * x))
    exact = sp.diff((d - 1 / (1 + sp.exp(-w2 * y))) ** 2 / 2, w1)
    assert_sym_equal(sol.result.subs(sp.Symbol("y"), y).rewrite(sp.exp), exact)


def test_a_sympy_expression_and_a_sympy_variable():
    x = sp.Symbol("x")
    sol = sd.derive(x**2 * sp.exp(-x), wrt=x)
    assert sol.verified
    assert_sym_equal(sol.result, sp.diff(x**2 * sp.exp(-x), x))


def test_sympy_definitions_as_equations_or_pairs():
    w, x, z = sp.symbols("w x z")
    for define in ({z: w * x}, [sp.Eq(z, w * x)], ["z = w*x"]):
        assert_sym_equal(sd.derive(sp.tanh(z), wrt=w, define=define).result, "(1 - tanh(z)**2)*x")


def test_bad_questions_are_one_sentence():
    with pytest.raises(InputError, match="needs the variable"):
        sd.derive(sp.Symbol("x") ** 2)
    with pytest.raises(InputError, match="unknown problem 'softmax-jacobain'. Did you mean 'softmax-jacobian'"):
        sd.derive("softmax-jacobain")
    with pytest.raises(InputError, match="params belong to catalog problems"):
        sd.derive("x**2", wrt="x", params={"n": 3})
    with pytest.raises(InputError, match="must be a string or a sympy expression"):
        sd.derive(object(), wrt="x")


def test_a_variable_that_does_not_occur_warns():
    with pytest.warns(UserWarning, match="y does not occur"):
        assert sd.derive("x**2", wrt="y").result == 0


def test_params_take_numbers():
    sol = sd.derive("softmax-jacobian", params={"n": 3})
    assert sol.parts["matrix"].matrix.shape == (3, 3)


def test_check_a_correct_and_a_wrong_answer():
    verdict = sd.check("softmax-jacobian", part="diagonal", answer="sigma_i*(1-sigma_i)")
    assert isinstance(verdict, sd.Verdict) and verdict and verdict.correct is True
    wrong = sd.check("softmax-jacobian", part="off-diagonal", answer="sigma_i*sigma_k")
    assert not wrong and wrong.correct is False and wrong.counterexample is not None
    assert str(wrong) == cli("check", "softmax-jacobian", "--part", "off-diagonal", "--answer", "sigma_i*sigma_k").stdout


def test_check_an_expression_with_sympy_objects():
    x = sp.Symbol("x")
    verdict = sd.check(sp.log(1 + sp.exp(x)), wrt=x, answer=1 / (1 + sp.exp(-x)))
    assert verdict.correct is True and verdict.method == "exact"


def test_verify_a_written_derivation():
    text = (EXAMPLES / "backprop-slip.txt").read_text()
    verdict = sd.verify(text, "backprop-slip.txt")
    assert isinstance(verdict, sd.WrittenVerdict) and not verdict.ok
    assert verdict.written.first_failure().number == 5
    assert str(verdict) == cli("verify", str(EXAMPLES / "backprop-slip.txt")).stdout
    assert sd.verify((EXAMPLES / "backprop-correct.txt").read_text()).ok


@pytest.mark.parametrize("method, fmt", [("to_text", "text"), ("to_latex", "tex"), ("to_markdown", "md"),
                                         ("to_json", "json"), ("to_html", "html")])
def test_every_output_is_the_command_line_output(method, fmt, tmp_path):
    sol = sd.derive("softmax-jacobian")
    ours = getattr(sol, method)()
    out = tmp_path / f"out.{fmt}"
    assert cli("derive", "softmax-jacobian", "-f", fmt, "-o", str(out)).exit_code == 0
    assert out.read_text() == ours
    if fmt == "json":
        assert json.loads(ours)["verified"] is True


def test_render_is_the_one_renderer():
    sol = sd.derive("sigmoid-derivative")
    assert sd.render(sol, "md") == sol.to_markdown()
    assert sd.render(sol, "page") == sol.to_html()
    with pytest.raises(InputError, match="unknown format"):
        sd.render(sol, "docx")


def test_compare_decides_like_assert_sym_equal():
    assert sd.compare("sigmoid(x)*(1 - sigmoid(x))", "exp(-x)/(1 + exp(-x))**2").ok is True
    check = sd.compare([[1, "x"]], [[1, "-x"]])
    assert check.ok is False and "[0, 1]" in check.detail


def test_problems_lists_the_catalog():
    assert "softmax-jacobian" in sd.problems()


@pytest.mark.slow
def test_to_pdf_goes_through_the_tex_path(tmp_path):
    from symderiv.output.pdf import tex_available

    if not tex_available():
        pytest.skip("pdflatex is not installed")
    path = sd.derive("sigmoid-derivative").to_pdf(tmp_path / "s.pdf")
    assert Path(path).read_bytes().startswith(b"%PDF")
    with pytest.raises(InputError, match="needs the path"):
        sd.derive("sigmoid-derivative").to_pdf(None)


def test_a_broken_html_template_is_one_sentence(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "chain.html.j2").write_text("{% macro chain( %}")
    result = cli("derive", "sigmoid-derivative", "-f", "html", "--templates", str(templates))
    assert result.exit_code == 2 and "chain.html.j2" in result.stderr and "Traceback" not in result.output
