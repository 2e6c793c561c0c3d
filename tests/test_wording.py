"""Tests for symderiv.output.wording: titles, remarks and failure messages come from templates/prose/*.j2, their
formulas are printed per format (never typed as text with carets), and --templates overrides them."""

import ast
import dataclasses
import os
import subprocess
from pathlib import Path

import pytest
import sympy as sp
from click.testing import CliRunner

from symderiv import catalog
from symderiv.app.cli import main
from symderiv.model.errors import InputError
from symderiv.model.problem import Prose, prose
from symderiv.model.symbols import index, scalar, vector
from symderiv.output.pdf import tex_available
from symderiv.output.wording import resolve, words
from symderiv.output.render import Latex, render, solution_data
from symderiv.output.resources import template_directory
from test_catalog_common import part, solved

CATALOG = Path(__file__).resolve().parent.parent / "symderiv" / "catalog"
x, i = vector("x"), index("i")
m = scalar("m")


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_sentence(result, code=2) -> str:
    """The one line a failing command writes on stderr, with no traceback anywhere."""
    assert result.exit_code == code, (result.exit_code, result.stderr, result.exception)
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def templates_with(tmp_path, file: str, text: str) -> Path:
    """A --templates folder holding one prose file."""
    (tmp_path / "prose").mkdir(exist_ok=True)
    (tmp_path / "prose" / file).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture
def softmax_cli(monkeypatch, softmax):
    """`derive softmax-jacobian` answers from the session's solution instead of solving again."""
    monkeypatch.setattr(catalog, "solve", lambda *args, **kwargs: softmax)


# ---------------------------------------------------------------- the record and its words


def test_prose_is_a_frozen_key_and_values():
    item = prose("softmax-cross-entropy", "underflow", shifted=x[i], exponential=sp.exp(x[i] - m),
                 exponent=x[i] - m, threshold=-745.13, extra=[1, 2])
    assert item.key == "softmax-cross-entropy/underflow"
    assert item.arguments["extra"] == (1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.key = "other"


def test_a_formula_is_text_in_text_and_math_in_tex():
    item = prose("softmax-cross-entropy", "underflow", shifted=sp.Eq(vector("sigma")[i], sp.exp(x[i] - m)),
                 exponential=sp.exp(x[i] - m), exponent=x[i] - m, threshold=-745.1333)
    text, tex = words(item), words(item, tex=True)
    assert "once e^(x_i − m) underflows, that is for x_i − m below about -745.13 in float64" in text
    assert isinstance(tex, Latex) and r"once $e^{x_{i} - m}$ underflows" in tex and r"$x_{i} - m$ below" in tex
    assert r"(m = max\_j x\_j," in tex  # the words around the formulas are escaped
    assert "textasciicircum" not in tex and "\x02" not in tex


def test_values_that_are_not_formulas_are_escaped_in_tex():
    item = prose("failures", "step", part="p", previous=x[i], rhs=m, rule="a_b", outcome="false", detail="50% & $")
    tex = words(item, tex=True)
    assert r"[a\_b]" in tex and r"(50\% \& \$)" in tex and "$x_{i}$" in tex


def test_a_string_value_cannot_carry_raw_latex():
    item = prose("failures", "step", part="p", previous=m, rhs=m, rule="r", outcome="false",
                 detail="\x02\\input{/etc/passwd}\x03")
    tex = words(item, tex=True)
    assert r"\textbackslash{}input\{/etc/passwd\}" in tex and "$\\input" not in tex


def test_resolve_reaches_prose_at_any_depth_and_keeps_strings():
    context = {"parts": [{"title": prose("softmax-jacobian", "matrix"), "remarks": ["plain"]}], "n": 3}
    assert resolve(context) == {"parts": [{"title": "The whole matrix", "remarks": ["plain"]}], "n": 3}
    assert isinstance(resolve(context, tex=True)["parts"][0]["title"], Latex)


def test_every_catalog_prose_key_has_its_macro():
    for name in catalog.names():
        solution = solved(name)
        items = [*solution.remarks, *(p.title for p in solution.parts), *(r for p in solution.parts for r in p.remarks)]
        assert all(isinstance(item, Prose) for item in items), name
        assert all(words(item) for item in items), name


# ---------------------------------------------------------------- the underflow remark's formulas


def test_the_tex_of_softmax_cross_entropy_has_real_formulas():
    data = solution_data(solved("softmax-cross-entropy"))
    tex = render(data, "tex")
    assert r"\textasciicircum" not in tex
    assert r"$\sigma_{i} = \frac{e^{x_{i} - m}}{\sum_{j=1}^{N} e^{x_{j} - m}}$" in tex
    assert r"once $e^{x_{i} - m}$ underflows" in tex
    assert r"the naive $\ln{\left(\frac{e^{x_{i}}}{\sum_{j=1}^{N} e^{x_{j}}} \right)}$ gives" in tex


def test_the_text_and_markdown_of_the_underflow_remark_keep_their_meaning():
    data = solution_data(solved("softmax-cross-entropy"))
    for fmt in ("text", "md"):
        out = render(data, fmt)
        assert "Even the shifted softmax σ_i = e^(x_i − m)/(Σ_j e^(x_j − m)) (m = max_j x_j, so the denominator " \
               "is at least 1) returns exactly 0.0 once e^(x_i − m) underflows, that is for x_i − m below about " \
               "-745.13 in float64." in out, fmt
        assert "the stable x_i − m − ln(Σ_j e^(x_j − m)) gives [0.0, -1000.0, -1005.0]" in out
        assert "{" not in out.split("Even the shifted softmax")[1].split("in float64")[0]



def test_a_title_with_a_formula_reads_as_before_in_text_and_is_math_in_tex():
    title = part(solved("softmax-cross-entropy"), "singularity").title
    assert words(title) == "Where ∂ℓ/∂z_i = −t_i/z_i is undefined, and when softmax outputs 0 in float64"
    assert words(title, tex=True).startswith(r"Where $\frac{\partial \ell}{\partial z_{i}} = - \frac{t_{i}}{z_{i}}$ is")
    vjp = solved("softmax-vjp").parts[0].title
    assert words(vjp) == "The entry z_i: the Jacobian entry, the Kronecker delta, and the dot product v·σᵀ"
    assert r"$z_{i}$" in words(vjp, tex=True) and r"$v \cdot \sigma^{\top}$" in words(vjp, tex=True)

@pytest.mark.slow
@pytest.mark.skipif(not tex_available() and not os.environ.get("CI"), reason="pdflatex is not installed")
def test_the_pdf_shows_the_underflow_formula(tmp_path, monkeypatch):
    monkeypatch.setattr(catalog, "solve", lambda *args, **kwargs: solved("softmax-cross-entropy"))
    result = cli("derive", "softmax-cross-entropy", "-f", "pdf", "-o", tmp_path / "sce.pdf")
    assert result.exit_code == 0, result.stderr
    text = subprocess.run(["pdftotext", str(tmp_path / "sce.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    remark = text.split("Even the shifted softmax")[1].split("in float64")[0]
    assert "σi =" in remark and "underflows" in remark  # σ_i set as math: the subscript is a lowered i
    assert "^" not in remark and "{" not in remark and "textasciicircum" not in remark


def test_no_catalog_module_types_a_caret_or_imports_the_printer():
    for path in CATALOG.glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not any(name and name.startswith("symderiv.output") for name in imported), path.name
        prose_calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
                       and getattr(node.func, "id", None) == "prose"]
        for call in prose_calls:
            for value in ast.walk(call):
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    assert "^" not in value.value and "{" not in value.value, (path.name, value.value)


# ---------------------------------------------------------------- --templates and broken templates


def test_templates_override_a_prose_file(tmp_path, softmax_cli):
    default = (template_directory() / "prose" / "softmax-jacobian.j2").read_text("utf-8")
    changed = default.replace("The whole matrix", "Die ganze Matrix").replace(
        "The matrix is symmetric", "Die Matrix ist symmetrisch")
    folder = templates_with(tmp_path, "softmax-jacobian.j2", changed)
    out = cli("derive", "softmax-jacobian", "--templates", folder)
    assert out.exit_code == 0, out.stderr
    assert "(c) Die ganze Matrix" in out.stdout and "Die Matrix ist symmetrisch, so it does not matter" in out.stdout
    assert "(a) Diagonal entries (Trick 1: the quotient rule)" in out.stdout  # the macros not changed stay
    tex = cli("derive", "softmax-jacobian", "-f", "tex", "--templates", folder)
    assert "Die ganze Matrix" in tex.stdout
    json_out = cli("derive", "softmax-jacobian", "-f", "json", "--templates", folder)
    assert "Die Matrix ist symmetrisch" in json_out.stdout
    plain = cli("derive", "softmax-jacobian")
    assert "The whole matrix" in plain.stdout and "Die ganze Matrix" not in plain.stdout


def test_an_override_may_show_a_formula(tmp_path):
    macro = "{% macro weight(w, l) %}∂E/∂{{ w }} at layer {{ l }}{% endmacro %}"
    folder = templates_with(tmp_path, "backprop.j2", macro)
    item = prose("backprop", "weight", w=scalar("w2"), l=2)
    assert words(item, folder) == "∂E/∂w₂ at layer 2"
    assert words(item, folder, tex=True) == r"∂E/∂$w_{2}$ at layer 2"


@pytest.mark.parametrize("broken, says", [
    ("{% macro matrix() %}The whole {{ matrix{% endmacro %}", "prose/softmax-jacobian.j2, line 1"),
    ("{% macro diagonal() %}only one{% endmacro %}", "has no macro 'off_diagonal'"),
    ("{% macro diagonal() %}{{ nothing }}{% endmacro %}", "cannot be rendered"),
    ("{% macro diagonal(a, b) %}{{ a }}{% endmacro %}{% macro off_diagonal() %}o{% endmacro %}", "diagonal"),
])
def test_a_broken_prose_template_is_one_sentence(tmp_path, softmax_cli, broken, says):
    folder = templates_with(tmp_path, "softmax-jacobian.j2", broken)
    for fmt in ("text", "tex", "json"):
        line = one_sentence(cli("derive", "softmax-jacobian", "-f", fmt, "--templates", folder))
        assert says in line and "template" in line, line


def test_an_unknown_value_for_a_macro_is_an_input_error(tmp_path):
    folder = templates_with(tmp_path, "backprop.j2", "{% macro weight(w) %}{{ w }}{% endmacro %}")
    with pytest.raises(InputError, match="macro weight"):
        words(prose("backprop", "weight", w=scalar("w2"), l=2), folder)


# ---------------------------------------------------------------- the failure messages


def _undecided(softmax):
    first = softmax.parts[0]
    last = first.derivation.steps[-1]
    undecided = dataclasses.replace(last, check=dataclasses.replace(last.check, ok=None, detail="no decision"))
    derivation = dataclasses.replace(first.derivation, steps=first.derivation.steps[:-1] + (undecided,))
    return dataclasses.replace(softmax, parts=(dataclasses.replace(first, derivation=derivation),) + softmax.parts[1:])


def test_the_failure_message_reads_as_before(monkeypatch, softmax):
    monkeypatch.setattr(catalog, "solve", lambda *args, **kwargs: _undecided(softmax))
    result = cli("derive", "softmax-jacobian")
    assert result.exit_code == 1
    assert "symderiv: in part diagonal, the step σ_i − σ_i² = σ_i·(1 − σ_i) [algebra] could not be verified " \
           "(no decision)." in result.stderr


def test_the_failure_message_comes_from_the_prose_template(tmp_path, monkeypatch, softmax):
    monkeypatch.setattr(catalog, "solve", lambda *args, **kwargs: _undecided(softmax))
    default = (template_directory() / "prose" / "failures.j2").read_text("utf-8")
    folder = templates_with(tmp_path, "failures.j2", default.replace("could not be verified", "blieb offen"))
    result = cli("derive", "softmax-jacobian", "--templates", folder)
    assert result.exit_code == 1
    assert "[algebra] blieb offen (no decision)." in result.stderr


def test_the_wrong_justification_message():
    item = prose("failures", "step", part="p", previous=m, rhs=m, rule="quotient", outcome="justification", detail="x")
    assert words(item) == ("in part p, the step m = m [quotient] has the wrong justification: the two sides are "
                           "equal, but the rule does not produce it.")


def test_shipped_prose_files_are_all_used():
    used = {name.replace("_", "-") for name in catalog.MODULES.values()} | {"failures"}
    shipped = {path.stem for path in (template_directory() / "prose").glob("*.j2")}
    assert shipped == used
