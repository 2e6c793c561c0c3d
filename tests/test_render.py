"""Tests for symderiv.output.render: the JSON contract, escaping, and the text / Markdown / LaTeX outputs."""

import dataclasses
import json
import os
import re

import pytest
import sympy as sp
from sympy.core.symbol import Str
from sympy.functions.elementary.piecewise import ExprCondPair
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.matexpr import MatrixElement

from symderiv.model import functions
from symderiv.output import render
from symderiv.output.wording import words
from symderiv.output.render import Latex, escape_tex
from symderiv.model.symbols import index, vector

X, SIGMA = vector("x"), vector("sigma")
i, j, k = index("i"), index("j"), index("k")

NAMESPACE = {
    **vars(sp),
    "Str": Str,
    "ExprCondPair": ExprCondPair,
    "DiagMatrix": DiagMatrix,
    "MatrixElement": MatrixElement,
    "sigmoid": functions.sigmoid,
    "relu": functions.relu,
}


def from_srepr(text):
    """Trusted srepr strings produced by the engine itself: eval in a sympy namespace (tests only)."""
    return eval(text, dict(NAMESPACE))  # noqa: S307


def tex_available():
    from symderiv.output.pdf import tex_available as available

    return available()


@pytest.fixture(scope="module")
def data(softmax):
    return render.solution_data(softmax)


@pytest.fixture(scope="module")
def public(data):
    return json.loads(render.render(data, "json"))


@pytest.fixture(scope="module")
def text(data):
    return render.render(data, "text")


# ---------------------------------------------------------------- JSON contract

TOP = {"symderiv", "problem", "title", "verified", "definitions", "parts", "conditions", "remarks"}
PART = {"id", "question", "derivation", "result"}
RESULT = {"latex", "sympy", "expanded"}
DERIVATION = {"lhs", "steps", "conditions"}
STEP = {"rule", "rhs", "note", "check", "uses"}
EXPRESSION = {"latex", "sympy"}
PRESENTATION_ONLY = {"text", "conditions_text", "label", "rule_names"}


def derivations(d):
    yield d
    for step in d["steps"]:
        for used in step["uses"]:
            yield from derivations(used)


def keys_everywhere(value):
    if isinstance(value, dict):
        yield from value
        for v in value.values():
            yield from keys_everywhere(v)
    elif isinstance(value, list):
        for v in value:
            yield from keys_everywhere(v)


def test_top_level(public, softmax):
    assert TOP <= set(public)
    assert public["problem"] == "softmax-jacobian" and public["verified"] is True
    from symderiv import __version__

    assert public["symderiv"] == __version__
    assert public["title"] == softmax.title
    assert public["remarks"] == [words(remark) for remark in softmax.remarks]
    assert public["remarks"][0].startswith("The lecture note writes the off-diagonal entry as ∂σᵢ/∂xⱼ")


def test_parts(public):
    assert [p["id"] for p in public["parts"]] == ["diagonal", "off-diagonal", "matrix"]
    for part in public["parts"]:
        assert PART <= set(part)
        assert RESULT <= set(part["result"])
        assert part["question"].endswith("= ?")


def test_derivations_and_steps(public):
    count = 0
    for part in public["parts"]:
        for d in derivations(part["derivation"]):
            assert DERIVATION <= set(d)
            assert EXPRESSION <= set(d["lhs"])
            assert isinstance(d["conditions"], list)
            for step in d["steps"]:
                count += 1
                assert STEP <= set(step)
                assert EXPRESSION <= set(step["rhs"])
                assert isinstance(step["rule"], str) and isinstance(step["note"], str)
                assert step["check"]["ok"] is True and step["check"]["method"]
    assert count >= 20


def test_presentation_fields_stay_out_of_json(public):
    assert not PRESENTATION_ONLY & set(keys_everywhere(public))


def test_json_is_valid_unicode_json(data):
    out = render.render(data, "json")
    assert "\\u" not in out and "σ" in out  # ensure_ascii=False: Unicode is written as is
    assert json.loads(out)["problem"] == "softmax-jacobian"


def engine_and_json(derivation, d):
    """Every (engine expression, JSON expression) pair of a derivation tree, walked in parallel."""
    yield derivation.lhs, d["lhs"]
    for step, data in zip(derivation.steps, d["steps"], strict=True):
        yield step.rhs, data["rhs"]
        for used, used_data in zip(step.uses, data["uses"], strict=True):
            yield from engine_and_json(used, used_data)


def test_sympy_fields_are_srepr_of_the_engines_objects(public, softmax):
    seen = 0
    for part, solved in zip(public["parts"], softmax.parts, strict=True):
        for obj, field in engine_and_json(solved.derivation, part["derivation"]):
            assert field["sympy"] == sp.srepr(obj)
            seen += 1
        assert part["result"]["sympy"] == sp.srepr(solved.derivation.result)
    assert seen >= 20


def test_sympy_fields_round_trip(public, softmax):
    """eval of srepr gives back the same mathematics (steps built with evaluate=False come back evaluated)."""
    for part, solved in zip(public["parts"], softmax.parts):
        for obj, field in engine_and_json(solved.derivation, part["derivation"]):
            back = from_srepr(field["sympy"])
            same = back == obj or sp.srepr(back) == field["sympy"] or sp.expand(back - obj) == 0
            assert same, field["sympy"]
            assert sp.srepr(from_srepr(sp.srepr(back))) == sp.srepr(back)
        for field in ("sympy", "expanded"):
            back = from_srepr(part["result"][field])
            assert sp.srepr(back) == part["result"][field]


def test_diagonal_expanded_is_in_exponentials(public):
    diagonal = public["parts"][0]
    expanded = from_srepr(diagonal["result"]["expanded"])
    S = sp.Sum(sp.exp(X[j]), (j, 1, sp.Symbol("N", integer=True, positive=True)))
    assert expanded.has(sp.exp(X[i])) and expanded.has(S)
    assert not expanded.has(SIGMA)
    assert sp.simplify(expanded - sp.exp(X[i]) / S * (1 - sp.exp(X[i]) / S)) == 0
    assert from_srepr(diagonal["result"]["sympy"]).has(SIGMA[i])


def test_conditions_are_latex(public):
    diagonal, off_diagonal = public["parts"][0], public["parts"][1]
    assert diagonal["derivation"]["conditions"] == []  # k = i was substituted: no k is left to mention
    assert off_diagonal["derivation"]["conditions"] == [r"k \neq i"]


def test_failed_check_is_in_the_json(softmax):
    part = softmax.parts[0]
    bad_step = dataclasses.replace(part.derivation.steps[-1], check=dataclasses.replace(
        part.derivation.steps[-1].check, ok=False, detail="at N = 2: no"))
    bad = dataclasses.replace(part.derivation, steps=part.derivation.steps[:-1] + (bad_step,))
    solution = dataclasses.replace(softmax, parts=(dataclasses.replace(part, derivation=bad),) + softmax.parts[1:])
    public = json.loads(render.render(render.solution_data(solution), "json"))
    assert public["verified"] is False
    last = public["parts"][0]["derivation"]["steps"][-1]
    assert last["check"] == {"ok": False, "method": bad_step.check.method, "detail": "at N = 2: no"}


# ---------------------------------------------------------------- escaping


@pytest.mark.parametrize(
    "raw, escaped",
    [
        ("50%", r"50\%"),
        ("a_b", r"a\_b"),
        ("$x$", r"\$x\$"),
        ("R&D", r"R\&D"),
        ("#1", r"\#1"),
        ("{}", r"\{\}"),
        ("~", r"\textasciitilde{}"),
        ("^", r"\textasciicircum{}"),
        ("\\input{/etc/passwd}", r"\textbackslash{}input\{/etc/passwd\}"),
        ("plain text, σ and ∂", "plain text, σ and ∂"),
    ],
)
def test_escape_tex(raw, escaped):
    assert escape_tex(raw) == escaped


@pytest.mark.parametrize("raw", ["\\input{/etc/passwd}", "100% & $5 #1 a_b ~ ^ {x}"])
def test_tex_environment_escapes_plain_strings(raw):
    template = render.environment(True).from_string("[((( value )))]")
    assert template.render(value=raw) == f"[{escape_tex(raw)}]"
    assert "\\input{" not in template.render(value=raw)


def test_tex_environment_keeps_latex_instances():
    template = render.environment(True).from_string("[((( value )))]")
    assert template.render(value=Latex(r"\frac{a_1}{2}")) == r"[\frac{a_1}{2}]"


def test_text_environment_does_not_escape():
    assert render.environment(False).from_string("{{ v }}").render(v="a_b & 50%") == "a_b & 50%"


def test_tex_undefined_variables_are_errors():
    import jinja2

    with pytest.raises(jinja2.UndefinedError):
        render.environment(True).from_string("((( missing )))").render()


def test_a_hostile_remark_is_escaped_in_the_document(softmax):
    hostile = r"\input{/etc/passwd} 100% & $x$ #1 ~ ^ _"
    solution = dataclasses.replace(softmax, remarks=(hostile,))
    tex = render.render(render.solution_data(solution), "tex")
    assert "\\input{/etc/passwd}" not in tex
    assert escape_tex(hostile) in tex


# ---------------------------------------------------------------- formats


def test_text_has_check_marks_and_rule_names(text, softmax):
    names = render.rule_names()
    assert text.count("✓") >= 10
    assert "✗" not in text and "NOT VERIFIED" not in text
    for part in softmax.parts:
        for step in part.derivation.steps:
            assert names[step.rule] in text, step.rule
    assert "quotient rule" in text and "reciprocal rule" in text
    assert "σ_i·(1 − σ_i)" in text and "−σ_i·σ_k" in text


def test_text_marks_a_failed_step(softmax):
    part = softmax.parts[1]
    step = part.derivation.steps[-1]
    bad = dataclasses.replace(step, check=dataclasses.replace(step.check, ok=False, detail="at N = 2: differs"))
    derivation = dataclasses.replace(part.derivation, steps=part.derivation.steps[:-1] + (bad,))
    solution = dataclasses.replace(softmax, parts=(softmax.parts[0], dataclasses.replace(part, derivation=derivation)))
    out = render.render(render.solution_data(solution), "text")
    assert "✗" in out and "NOT VERIFIED" in out and "at N = 2: differs" in out


def test_every_rule_has_a_page_name():
    from symderiv.derive.planner import rule_statements

    assert set(rule_statements()) <= set(render.rule_names())


def test_markdown_has_display_math(data):
    md = render.render(data, "md")
    assert md.startswith("# The Jacobian of softmax")
    blocks = re.findall(r"^\$\$$", md, flags=re.M)
    assert len(blocks) >= 6 and len(blocks) % 2 == 0
    assert r"\begin{aligned}" in md and r"\sigma_{i} \left(1 - \sigma_{i}\right)" in md
    assert "**Verified.**" in md


def test_markdown_keeps_rule_names_as_written(data):
    md = render.render(data, "md")
    assert "quotient rule (Trick 1)" in md
    assert "Quotient rule (trick 1)" not in md


def test_tex_document_structure(data):
    tex = render.render(data, "tex")
    assert tex.lstrip().startswith(r"\documentclass")
    assert tex.rstrip().endswith(r"\end{document}")
    assert tex.count(r"\begin{align*}") == tex.count(r"\end{align*}") >= 3
    assert "((" not in tex and "))" not in tex  # no template delimiters leaked


@pytest.mark.parametrize("fmt", ["text", "md", "tex"])
def test_explicit_matrix_is_rendered(softmax_n3, fmt):
    out = render.render(render.solution_data(softmax_n3), fmt)
    assert "3×3" in out or "3 \\times 3" in out or r"\begin{pmatrix}" in out or "bmatrix" in out or "⎡" in out


def test_explicit_matrix_in_json(softmax_n3):
    public = json.loads(render.render(render.solution_data(softmax_n3), "json"))
    matrix = public["parts"][-1]["matrix"]
    assert matrix["size"] == 3
    entries = [[from_srepr(e) for e in row] for row in matrix["entries"]]
    assert sp.expand(entries[0][1] + SIGMA[1] * SIGMA[2]) == 0
    assert sp.expand(entries[2][2] - SIGMA[3] * (1 - SIGMA[3])) == 0


@pytest.mark.slow
@pytest.mark.skipif(not tex_available() and not os.environ.get("CI"), reason="pdflatex is not installed")
@pytest.mark.parametrize("with_matrix", [False, True], ids=["symbolic", "n=3"])
def test_tex_compiles(softmax, softmax_n3, tmp_path, with_matrix):
    from symderiv.output.pdf import compile_pdf

    remark = r"Specials: \input{x} 100% & $ # ~ ^ _ {} and Unicode σ_i ≠ 0, ∂ℓ/∂z, Σ_j, D ∈ ℝ^{N×N} ✓"
    solution = dataclasses.replace(softmax_n3 if with_matrix else softmax, remarks=(remark,))
    destination = tmp_path / "out.pdf"
    compile_pdf(render.render(render.solution_data(solution), "tex"), destination)
    assert destination.read_bytes().startswith(b"%PDF")
