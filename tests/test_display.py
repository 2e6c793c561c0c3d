"""Rich display in notebooks: Solution, Part, Derivation and Verdict show as HTML (MathJax math, rule names, ✓ with
the method, cited sub-derivations folded in <details>), Markdown and LaTeX; text is escaped; the page works offline."""

import dataclasses
import html
import re

import pytest

from symderiv.output.wording import resolve

import symderiv as sd
from symderiv import catalog
from symderiv.output.render import rule_names


@pytest.fixture(scope="module")
def solutions():
    return {name: catalog.solve(name) for name in catalog.names()}


def math_of(text: str) -> list[str]:
    """The \\( … \\) formulas of an HTML fragment, unescaped as the browser reads them."""
    return [html.unescape(m) for m in re.findall(r"\\\((.*?)\\\)", text, flags=re.S)]


def test_a_solution_shows_like_the_pdf(softmax):
    shown = softmax._repr_html_()
    assert shown.startswith('<div class="symderiv">')
    assert "quotient rule (Trick 1)" in shown and "reciprocal rule (Trick 2)" in shown  # names, not ids
    assert "✓&nbsp;exact" in shown and "✓&nbsp;index" in shown  # the mark with its method
    assert "<details" in shown and "<summary>where" in shown  # a cited sub-derivation folds
    assert "by (a)" in shown  # a result cited from an earlier part is not repeated
    formulas = math_of(shown)
    assert any(r"\frac{\partial \sigma_{i}}{\partial x_{i}}" in f for f in formulas)
    assert not any(r"\frac{d}{d" in f for f in formulas)


@pytest.mark.parametrize("name", catalog.names())
def test_every_problem_displays_in_every_notebook_format(solutions, name):
    solution = solutions[name]
    shown = solution._repr_html_()
    for part in solution.parts:
        title = resolve(part.title)  # a catalog title is prose from templates/prose/
        assert html.escape(title) in shown
        assert part._repr_html_().count("<h3>") == 1
        assert part.derivation._repr_html_().startswith('<div class="symderiv">')
        assert part._repr_markdown_().startswith(f"### {title}")
        assert part.derivation._repr_latex_().startswith(r"$$\begin{aligned}")
    assert solution._repr_markdown_().startswith(f"# {solution.title}")
    assert "&&" in solution._repr_latex_()


def test_logarithms_print_as_ln(solutions):
    formulas = math_of(solutions["cross-entropy-grad"]._repr_html_())
    assert any(r"\ln" in f for f in formulas) and not any(r"\log" in f for f in formulas)


def test_the_latex_display_names_rules_and_marks(softmax):
    latex = softmax.parts[0].derivation._repr_latex_()
    assert r"\text{[quotient rule (Trick 1)] ✓ index}" in latex
    assert r"\text{where }" in latex


def test_text_is_escaped(softmax):
    part = dataclasses.replace(softmax.parts[0], title="<script>alert(1)</script>", remarks=("a & b < c",))
    shown = part._repr_html_()
    assert "<script>" not in shown and "&lt;script&gt;" in shown and "a &amp; b &lt; c" in shown


def test_a_failed_step_is_marked(softmax):
    from symderiv.model.steps import Check

    derivation = softmax.parts[0].derivation
    bad = dataclasses.replace(derivation.steps[1], check=Check(ok=False, method="index", detail="at N = 2"))
    broken = dataclasses.replace(derivation, steps=(derivation.steps[0], bad, *derivation.steps[2:]))
    shown = broken._repr_html_()
    assert "✗&nbsp;false" in shown and "NOT VERIFIED" in shown


def test_verdicts_display():
    right = sd.check("softmax-jacobian", part="diagonal", answer="sigma_i*(1-sigma_i)")
    wrong = sd.check("softmax-jacobian", part="off-diagonal", answer="sigma_i*sigma_k")
    assert "✓&nbsp;correct" in right._repr_html_() and "✗&nbsp;incorrect" in wrong._repr_html_()
    assert "Counterexample: at N = 2" in wrong._repr_html_()
    assert wrong._repr_markdown_().startswith("**✗ incorrect:**")
    assert r"\text{expected: }" in wrong._repr_latex_()


def test_a_written_verdict_displays():
    verdict = sd.verify("d/dz (d - z)**2/2\n= (d - z)\n= -(z - d)\n")
    shown = verdict._repr_html_()
    assert "✗&nbsp;false" in shown and "✓&nbsp;structural" in shown and "NOT VERIFIED" in shown
    assert "| 2 |" in verdict._repr_markdown_()


def test_the_page_is_self_contained(softmax):
    page = softmax.to_html()
    assert page.startswith("<!DOCTYPE html>") and "renderMathInElement" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing is fetched
    assert "url(data:font/woff2;base64," in page and "url(fonts/" not in page
    assert page.count('class="sd-row sd-reveal"') + page.count('class="sd-result sd-reveal"') > 10
    assert 'id="sd-next"' in page


def test_katex_ships_with_its_license():
    from symderiv.output import katex_assets

    assert "MIT License" in (katex_assets.FOLDER / "LICENSE").read_text()
    assert katex_assets.version().count(".") == 2


def test_rule_names_come_from_the_rule_names_file(softmax):
    shown = softmax._repr_html_()
    for step in softmax.parts[0].derivation.steps:
        assert html.escape(rule_names()[step.rule]) in shown
