"""Tests for symderiv.output.printing: textbook LaTeX and one-line Unicode text."""

import ast
import os
import sys
from pathlib import Path

import pytest
import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.matexpr import MatrixElement

from symderiv.model.functions import relu, sigmoid
from symderiv.output.pdf import compile_pdf, tex_available
from symderiv.output.printing import (
    latex_relation,
    text_relation,
    to_latex,
    to_latex_matrix,
    to_text,
    to_text_matrix,
)

sigma, x, t, zv = sp.IndexedBase("sigma"), sp.IndexedBase("x"), sp.IndexedBase("t"), sp.IndexedBase("z")
i, j, k = sp.symbols("i j k", integer=True)
N = sp.Symbol("N", integer=True, positive=True)
S = sp.Sum(sp.exp(x[j]), (j, 1, N))
w1, w2, p1, p2, y, z, d, p, E = sp.symbols("w1 w2 p1 p2 y z d p E")
u = sp.Dummy("u")
row = sp.MatrixSymbol("sigma", 1, N)
JACOBIAN = DiagMatrix(row.T) - row.T * row

LEIBNIZ = sp.Mul(sp.Derivative(E, z), sp.Derivative(z, p2), sp.Derivative(p2, w2), evaluate=False)
RECIPROCAL = sp.Mul(-1, sp.exp(x[i]), sp.Pow(S, -2), sp.exp(x[k]), evaluate=False)
DIAGONAL = sigma[i] * (1 - sigma[i])
OFF_DIAGONAL = -sigma[i] * sigma[k]
CASES = sp.Piecewise((DIAGONAL, sp.Eq(k, i)), (OFF_DIAGONAL, True))
DW2 = -(d - z) * z * (1 - z) * y

# (expression, LaTeX, text): one row per convention.
CASES_TABLE = [
    pytest.param(DIAGONAL, r"\sigma_{i} \left(1 - \sigma_{i}\right)", "σ_i·(1 − σ_i)", id="coefficient-then-sum"),
    pytest.param(OFF_DIAGONAL, r"- \sigma_{i} \sigma_{k}", "−σ_i·σ_k", id="off-diagonal"),
    pytest.param(
        LEIBNIZ,
        r"\frac{\partial E}{\partial z} \cdot \frac{\partial z}{\partial p_{2}} \cdot \frac{\partial p_{2}}{\partial w_{2}}",
        "∂E/∂z · ∂z/∂p₂ · ∂p₂/∂w₂",
        id="leibniz-chain-keeps-order",
    ),
    pytest.param(
        RECIPROCAL,
        r"- \frac{e^{x_{i}} e^{x_{k}}}{\left(\sum_{j=1}^{N} e^{x_{j}}\right)^{2}}",
        "−e^(x_i)·e^(x_k)/(Σ_j e^(x_j))²",
        id="reciprocal-rule-is-a-fraction",
    ),
    pytest.param(-d + z, "z - d", "z − d", id="no-leading-minus"),
    pytest.param(1 - z, "1 - z", "1 − z", id="one-minus"),
    pytest.param(-w1 - w2, r"- w_{1} - w_{2}", "−w₁ − w₂", id="all-negative"),
    pytest.param(DW2, r"y z \left(1 - z\right) \left(z - d\right)", "y·z·(1 − z)·(z − d)", id="backprop-dE-dw2"),
    pytest.param(sp.Rational(1, 2) * (d - z) ** 2, r"\frac{\left(d - z\right)^{2}}{2}", "(d − z)²/2", id="half-square"),
    pytest.param(sp.Derivative(sigma[i], x[k]), r"\frac{\partial \sigma_{i}}{\partial x_{k}}", "∂σ_i/∂x_k", id="d-indexed"),
    pytest.param(sp.Derivative(E, w1), r"\frac{\partial E}{\partial w_{1}}", "∂E/∂w₁", id="d-symbol"),
    pytest.param(sp.Derivative(sigmoid(p), p), r"\frac{\partial \sigma\left(p\right)}{\partial p}", "∂σ(p)/∂p", id="d-call"),
    pytest.param(
        sp.Derivative(sp.exp(x[i]) / S, x[i]),
        r"\frac{\partial}{\partial x_{i}} \left(\frac{e^{x_{i}}}{\sum_{j=1}^{N} e^{x_{j}}}\right)",
        "∂/∂x_i (e^(x_i)/(Σ_j e^(x_j)))",
        id="d-compound",
    ),
    pytest.param(sp.Derivative(u**2, u), r"\frac{\partial}{\partial u} \left(u^{2}\right)", "∂/∂u (u²)", id="d-dummy-partial"),
    pytest.param(sp.Derivative(E, w1, w2), r"\frac{\partial^{2} E}{\partial w_{2} \partial w_{1}}", "∂²E/∂w₂∂w₁", id="d-second"),
    pytest.param(-2 * sp.Derivative(E, z), r"- 2 \frac{\partial E}{\partial z}", "−2·∂E/∂z", id="number-before-derivative"),
    pytest.param(sp.KroneckerDelta(i, k), r"\delta_{ik}", "δ_ik", id="kronecker"),
    pytest.param(sp.KroneckerDelta(i, j + 1), r"\delta_{i, j + 1}", "δ_(i, j + 1)", id="kronecker-compound"),
    pytest.param(sigma[i] * (sp.KroneckerDelta(i, k) - sigma[k]), r"\sigma_{i} \left(\delta_{ik} - \sigma_{k}\right)",
                 "σ_i·(δ_ik − σ_k)", id="jacobian-entry"),
    pytest.param(JACOBIAN, r"\operatorname{diag}\left(\sigma\right) - \sigma^{\top} \sigma", "diag(σ) − σᵀ·σ", id="diag"),
    pytest.param(DiagMatrix(row), r"\operatorname{diag}\left(\sigma\right)", "diag(σ)", id="diag-row"),
    pytest.param(MatrixElement(JACOBIAN, i, k), r"\left(\operatorname{diag}\left(\sigma\right) - \sigma^{\top} \sigma\right)_{ik}",
                 "(diag(σ) − σᵀ·σ)_ik", id="matrix-element"),
    pytest.param(
        CASES,
        r"\begin{cases} \sigma_{i} \left(1 - \sigma_{i}\right) & \text{if } i = k \\ - \sigma_{i} \sigma_{k} & \text{otherwise} \end{cases}",
        "{σ_i·(1 − σ_i) if i = k; −σ_i·σ_k otherwise}",
        id="piecewise",
    ),
    pytest.param(sp.exp(x[i]) / S, r"\frac{e^{x_{i}}}{\sum_{j=1}^{N} e^{x_{j}}}", "e^(x_i)/(Σ_j e^(x_j))", id="softmax"),
    pytest.param(sp.exp(-p), r"e^{- p}", "e^(−p)", id="exp-negative"),
    pytest.param(sp.exp(p), r"e^{p}", "e^p", id="exp-atom"),
    pytest.param(sp.Sum(x[j], (j, 0, N - 1)), r"\sum_{j=0}^{N - 1} x_{j}", "Σ_{j=0}^{N − 1} x_j", id="sum-bounds"),
    pytest.param(-sp.Sum(t[i] * sp.log(zv[i]), (i, 1, N)), r"- \sum_{i=1}^{N} t_{i} \ln{\left(z_{i} \right)}",
                 "−Σ_i t_i·ln(z_i)", id="cross-entropy"),
    pytest.param(-t[i] / zv[i], r"- \frac{t_{i}}{z_{i}}", "−t_i/z_i", id="quotient"),
    pytest.param(1 / (1 + sp.exp(-p)), r"\frac{1}{1 + e^{- p}}", "1/(1 + e^(−p))", id="sigmoid-expanded"),
    pytest.param(sigmoid(p1) * (1 - sigmoid(p1)), r"\sigma\left(p_{1}\right) \left(1 - \sigma\left(p_{1}\right)\right)",
                 "σ(p₁)·(1 − σ(p₁))", id="sigmoid"),
    pytest.param(relu(p), r"\operatorname{relu}\left(p\right)", "relu(p)", id="relu"),
    pytest.param(sp.sqrt(p + 1), r"\sqrt{p + 1}", "√(p + 1)", id="sqrt"),
    pytest.param(p**-2, r"\frac{1}{p^{2}}", "1/p²", id="negative-power"),
    pytest.param(p**w1, r"p^{w_{1}}", "p^w₁", id="symbolic-power"),
    pytest.param((p1 + p2) / (w1 * w2), r"\frac{p_{1} + p_{2}}{w_{1} w_{2}}", "(p₁ + p₂)/(w₁·w₂)", id="fraction-parens"),
    pytest.param(sp.log(z), r"\ln{\left(z \right)}", "ln(z)", id="ln"),
    pytest.param(u, "u", "u", id="dummy"),
    pytest.param(sp.Symbol("delta") * sp.Symbol("Sigma"), r"\Sigma \delta", "Σ·δ", id="greek"),
    pytest.param(x[i + 1], r"x_{i + 1}", "x_(i + 1)", id="index-compound"),
    pytest.param(sp.Mul(2, 3, evaluate=False), r"2 \cdot 3", "2 · 3", id="two-numbers"),
]


@pytest.mark.parametrize(("expr", "latex", "text"), CASES_TABLE)
def test_latex(expr, latex, text):
    assert to_latex(expr) == latex


@pytest.mark.parametrize(("expr", "latex", "text"), CASES_TABLE)
def test_text(expr, latex, text):
    assert to_text(expr) == text


@pytest.mark.parametrize(("expr", "latex", "text"), CASES_TABLE)
def test_text_is_one_line_with_unicode_minus(expr, latex, text):
    assert "\n" not in to_text(expr)
    assert "-" not in to_text(expr)


def test_evaluated_product_puts_the_sum_last_although_sympy_stores_it_first():
    assert DIAGONAL.args[0].is_Add
    assert to_latex(DIAGONAL).startswith(r"\sigma_{i}")


def test_product_built_in_another_order_keeps_it():
    built = sp.Mul(1 - sigma[i], sigma[k], sigma[i], evaluate=False)
    assert to_latex(built) == r"\left(1 - \sigma_{i}\right) \sigma_{k} \sigma_{i}"
    assert to_text(built) == "(1 − σ_i)·σ_k·σ_i"


def test_chain_in_another_order_is_printed_in_that_order():
    chain = sp.Mul(sp.Derivative(p2, w2), sp.Derivative(E, z), sp.Derivative(z, p2), evaluate=False)
    assert to_text(chain) == "∂p₂/∂w₂ · ∂E/∂z · ∂z/∂p₂"


def test_subtracted_built_product_keeps_its_order():
    expr = sp.Add(sigma[i], RECIPROCAL, evaluate=False)
    assert to_latex(expr) == r"\sigma_{i} - \frac{e^{x_{i}} e^{x_{k}}}{\left(\sum_{j=1}^{N} e^{x_{j}}\right)^{2}}"
    assert to_text(expr) == "σ_i − e^(x_i)·e^(x_k)/(Σ_j e^(x_j))²"


def test_to_latex_passes_settings_through():
    assert to_latex(sp.log(z), ln_notation=False) == r"\log{\left(z \right)}"


@pytest.mark.parametrize(
    ("relation", "latex", "text"),
    [
        (sp.Ne(zv[i], 0), r"z_{i} \neq 0", "z_i ≠ 0"),
        (sp.Eq(k, i), "k = i", "k = i"),
        (sp.Gt(p, 0), "p > 0", "p > 0"),
        (sp.Le(p, 1), r"p \leq 1", "p ≤ 1"),
    ],
)
def test_relations(relation, latex, text):
    assert latex_relation(relation) == latex
    assert text_relation(relation) == text


def test_small_matrix_is_shown_whole():
    matrix = sp.Matrix([[sigma[1], -sigma[1] * sigma[2]], [0, 1]])
    assert to_latex_matrix(matrix) == r"\begin{bmatrix} \sigma_{1} & - \sigma_{1} \sigma_{2} \\ 0 & 1 \end{bmatrix}"
    assert to_text_matrix(matrix) == "⎡ σ_1  −σ_1·σ_2 ⎤\n⎣   0         1 ⎦"
    assert to_text_matrix(sp.Matrix([[1, -2]])) == "[ 1  −2 ]"


def test_12_by_12_matrix_is_truncated():
    matrix = sp.Matrix(12, 12, lambda r, c: 12 * r + c)
    tex = to_latex_matrix(matrix)
    rows = tex.removeprefix(r"\begin{bmatrix} ").removesuffix(r" \end{bmatrix}").split(r" \\ ")
    assert len(rows) == 8
    assert rows[0] == r"0 & 1 & 2 & 3 & 4 & 5 & \cdots & 11"
    assert rows[6] == r" & ".join([r"\vdots"] * 6 + [r"\ddots", r"\vdots"])
    assert rows[7] == r"132 & 133 & 134 & 135 & 136 & 137 & \cdots & 143"
    lines = to_text_matrix(matrix).splitlines()
    assert len(lines) == 8
    assert lines[0] == "⎡   0    1    2    3    4    5  ⋯   11 ⎤"
    assert lines[6] == "⎢   ⋮    ⋮    ⋮    ⋮    ⋮    ⋮  ⋱    ⋮ ⎥"
    assert lines[7] == "⎣ 132  133  134  135  136  137  ⋯  143 ⎦"
    assert to_text(matrix).count("⋯") == 7


def test_matrix_wider_than_amsmath_allows_uses_an_array():
    tex = to_latex_matrix(sp.Matrix(12, 12, lambda r, c: r + c), max_size=12)
    assert tex.startswith(r"\left[\begin{array}{cccccccccccc}")


def test_matrix_size_below_three_is_rejected():
    with pytest.raises(ValueError, match="at least 3"):
        to_latex_matrix(sp.eye(4), max_size=2)


def test_printing_imports_only_sympy_and_the_standard_library():
    source = Path(__file__).parents[1].joinpath("symderiv", "output", "printing.py").read_text(encoding="utf-8")
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add((node.module or "").split(".")[0])
    assert modules <= {"sympy", "__future__"} | set(sys.stdlib_module_names)


COMPILED = [param.values[0] for param in CASES_TABLE] + [
    DiagMatrix(row.T),
    sp.Derivative(E, w1, 2),
    sp.exp(x[i]) * sp.Sum(x[j] * sp.exp(x[j]), (j, 1, N)) / S**2,
    sp.Mul(-1, sp.Derivative(E, z), y / w1, evaluate=False),
    sp.Symbol("w_1") ** 2,
    sp.IndexedBase("w1")[i, j],
]


@pytest.mark.slow
@pytest.mark.skipif(not tex_available() and not os.environ.get("CI"), reason="pdflatex is not installed (run `make setup`)")
def test_latex_compiles_with_pdflatex(tmp_path):
    body = "\n".join(f"$\\displaystyle {to_latex(expr)}$\\par" for expr in COMPILED)
    body += "\n".join(
        f"\n$\\displaystyle {tex}$\\par"
        for tex in (
            to_latex_matrix(sp.Matrix(12, 12, lambda r, c: sigma[r] * sp.KroneckerDelta(r, c))),
            to_latex_matrix(sp.Matrix(12, 12, lambda r, c: r - c), max_size=12),
            latex_relation(sp.Ne(zv[i], 0)),
        )
    )
    document = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n" + body + "\n\\end{document}\n"
    assert compile_pdf(document, tmp_path / "printing.pdf").stat().st_size > 0


def test_numbered_components_are_in_numeric_order():
    sigma = sp.IndexedBase("sigma")
    assert to_text(-sigma[64] * sigma[6]) == "−σ_6·σ_64"
    assert to_latex(sigma[10] * sigma[9]).index("9") < to_latex(sigma[10] * sigma[9]).index("10")


def test_the_unit_step_prints_as_H():
    p = sp.Symbol("p")
    assert to_text(sp.Heaviside(p, 0)) == "H(p)"
    assert to_latex(sp.Heaviside(p, 0)) == r"H\left(p\right)"


def test_printing_is_remembered_per_expression_but_floats_are_never_mixed_up_with_integers():
    from symderiv.output.printing import to_latex, to_text

    x = sp.Symbol("x")
    assert to_text(2 * x) == to_text(2 * x) and to_latex(2 * x) == to_latex(2 * x)
    assert "2.0" in to_text(sp.Float(2.0) * x) and "2.0" not in to_text(2 * x)
    assert "2.0" in to_latex(sp.Float(2.0) * x) and "2.0" not in to_latex(2 * x)


def test_a_shorthand_carries_its_notation_and_leaves_no_table_behind():
    from symderiv.derive.sums import Shorthand, shorthand

    first, other = shorthand("q_dot", "q·pᵀ", r"q \cdot p^{\top}"), shorthand("q_dot", "qp", "qp")
    assert to_text(2 * first) == "2·q·pᵀ" and to_text(other) == "qp"  # the second did not rewrite the first
    assert not hasattr(Shorthand, "notation")
