"""The worked-solution outputs: `derive -f pdf`, the LaTeX typography, "by (a)" references, template overrides."""

import json
import os
import subprocess
from pathlib import Path

import pytest
import sympy as sp
from click.testing import CliRunner

from symderiv import __version__
from symderiv import catalog
from symderiv.app.cli import main
from symderiv.output.pdf import compile_pdf_with_log, overfull_boxes, tex_available
from symderiv.output.render import render, solution_data

needs_tex = pytest.mark.skipif(not tex_available() and not os.environ.get("CI"),
                               reason="pdflatex is not installed (run `make setup`); in CI these tests always run")


def tex_test(function):
    """A test that runs TeX: slow, and skipped only outside CI when TeX is missing."""
    return pytest.mark.slow(needs_tex(function))


def derive(*args, env=None):
    return CliRunner(env=env).invoke(main, ["derive", *map(str, args)])


def pdf_pages(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def squeeze(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def data():
    return solution_data(catalog.solve("softmax-jacobian"))


@pytest.fixture(scope="module")
def tex(data):
    return render(data, "tex")


# --- the LaTeX source ------------------------------------------------------------------------------------
def test_each_step_is_an_aligned_row_with_its_rule_on_the_right(tex):
    assert r"\begin{align*}" in tex and r"\allowdisplaybreaks" in tex
    assert r"&= \fitmath{\chainwidth}" in tex
    assert r"\steprule{quotient rule (Trick 1)}" in tex and r"\steprule{reciprocal rule (Trick 2)}" in tex


def test_cited_sub_derivations_are_indented_blocks(tex):
    assert tex.count(r"\begin{cited}") == tex.count(r"\end{cited}") >= 3
    assert r"\steprule{index sum}" in tex and r"\steprule{Kronecker delta}" in tex


def test_parts_are_numbered_and_end_with_the_boxed_result_and_conditions(tex):
    assert r"\section*{Question 1}" in tex
    for label in "abc":
        assert rf"\subsection*{{\partref{{{label}}}" in tex
    assert tex.count(r"\resultline{") == 3 and r"when \( k \neq i\)" in tex


def test_the_matrix_part_cites_the_earlier_parts_instead_of_repeating_them(tex):
    assert r"\steprule{by \partref{a}}" in tex and r"\steprule{by \partref{b}}" in tex
    assert tex.count(r"\steprule{quotient rule (Trick 1)}") == 1  # derived once, in (a)


def test_the_verification_appendix_lists_every_step_and_the_versions(tex, data):
    appendix = tex[tex.index(r"\section*{Verification}"):]
    assert f"sympy {sp.__version__}" in appendix and f"symderiv {__version__}" in appendix
    rows = sum(len(part["audit"]) for part in data["parts"])
    assert appendix.count(r"\\") >= rows and "index instances" in appendix and "by \\partref{a}" in appendix
    assert r"\hypersetup{pdftitle={The Jacobian of softmax}" in tex


def test_text_and_markdown_cite_earlier_parts_too(data):
    text = render(data, "text")
    assert "where ∂σ_i/∂x_i = σ_i·(1 − σ_i)    [by (a)]" in text and "[by (b)]" in text
    assert text.count("[quotient rule (Trick 1)]") == 1
    markdown = render(data, "md")
    assert "(by (a))" in markdown and markdown.count("quotient rule (Trick 1)") == 1


def test_json_marks_the_reference(data):
    parts = json.loads(render(data, "json"))["parts"]
    assert [used["ref"] for used in parts[2]["derivation"]["steps"][0]["uses"]] == ["a", "b"]
    assert "audit" not in parts[0] and "label" not in parts[0]


def test_templates_override_the_built_in_ones_by_file_name(tmp_path):
    (tmp_path / "text.j2").write_text("OVERRIDDEN {{ title }} has {{ parts | length }} parts\n")
    (tmp_path / "rule_names.json").write_text('{"quotient": "Trick One"}')
    result = derive("softmax-jacobian", "--templates", tmp_path)
    assert result.exit_code == 0 and result.stdout == "OVERRIDDEN The Jacobian of softmax has 3 parts\n"
    tex = derive("softmax-jacobian", "-f", "tex", "--templates", tmp_path).stdout
    assert r"\steprule{Trick One}" in tex and r"\steprule{reciprocal rule (Trick 2)}" in tex  # the rest stays


def test_jupyter_shows_the_first_row_as_lhs_equals_rhs():
    from symderiv.output.printing import to_latex

    derivation = catalog.solve("softmax-jacobian").parts[0].derivation
    latex = derivation._repr_latex_()
    rows = latex.removeprefix(r"$$\begin{aligned}").removesuffix(r"\end{aligned}$$").split(r" \\ ")
    steps = [row for row in rows if not row.startswith(r"& \qquad \text{where }")]  # cited results sit between
    assert len(steps) == len(derivation.steps) and len(rows) > len(steps)
    assert steps[0].startswith(to_latex(derivation.lhs) + " &= ") and all(r.startswith(" &= ") for r in steps[1:])


# --- derive -f pdf ----------------------------------------------------------------------------------------
@tex_test
def test_derive_pdf_writes_output_problem_pdf_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = derive("softmax-jacobian", "-f", "pdf")
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "output" / "softmax-jacobian.pdf"
    assert "wrote output/softmax-jacobian.pdf" in result.stderr and result.stdout == ""
    pages = pdf_pages(pdf)
    first = squeeze(pages[0])
    for fragment in ["TheJacobianofsoftmax", "Question1", "(a)Diagonalentries", "quotientrule(Trick1)", "definition",
                     "where", "σi(1−σi)"]:
        assert fragment in first, fragment
    everything = squeeze("".join(pages))
    for fragment in ["(b)Off-diagonal", "(c)Thewholematrix", "by(a)", "by(b)", "−σiσk", "diag(σ)−σ⊤σ",
                     "Verification", f"sympy{sp.__version__}", f"symderiv{__version__}", "indexinstances"]:
        assert fragment in everything, fragment
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Title:           The Jacobian of softmax" in info


@tex_test
def test_the_worked_solution_has_no_overfull_box_and_takes_one_pass(tex, tmp_path):
    result = compile_pdf_with_log(tex, tmp_path / "a.pdf")
    assert overfull_boxes(result.log) == [] and result.passes == 1


@tex_test
def test_derive_pdf_with_an_explicit_matrix_fits_the_page(tmp_path):
    tex = render(solution_data(catalog.solve("softmax-jacobian", {"n": "8"})), "tex")
    assert overfull_boxes(compile_pdf_with_log(tex, tmp_path / "n8.pdf").log) == []


def test_derive_pdf_without_tex_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pdflatex anywhere
    result = derive("softmax-jacobian", "-f", "pdf", "-o", tmp_path / "a.pdf")
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert "\n" not in message and "make setup" in message and "Traceback" not in result.output
    assert not (tmp_path / "a.pdf").exists()


@tex_test
def test_a_tex_failure_shows_the_log_lines_and_keeps_the_earlier_pdf(tmp_path):
    override = tmp_path / "templates"
    override.mkdir()
    (override / "document.tex.j2").write_text("\\documentclass{article}\\begin{document}\\nosuchmacro\\end{document}\n")
    destination = tmp_path / "out" / "a.pdf"
    destination.parent.mkdir()
    destination.write_bytes(b"%PDF-1.5 earlier")
    result = derive("softmax-jacobian", "-f", "pdf", "-o", destination, "--templates", override)
    assert result.exit_code == 1
    assert "Undefined control sequence" in result.stderr and "nosuchmacro" in result.stderr
    assert f"any earlier PDF at {destination} is unchanged" in result.stderr and "Traceback" not in result.output
    assert destination.read_bytes() == b"%PDF-1.5 earlier"
    assert [p.name for p in destination.parent.iterdir()] == ["a.pdf"]
