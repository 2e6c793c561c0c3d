"""Question 1(a): the Jacobian of softmax, D_x σ(x) ∈ R^{N×N}."""
from __future__ import annotations

import mpmath
import sympy as sp

from symderiv.model.definitions import Definition
from symderiv.model.functions import Jacobian, softmax_component
from symderiv.check.jacobian import check_numeric, check_symbolic, explicit_matrix
from symderiv.derive.planner import derive_jacobian_entry
from symderiv.model.problem import Param, Part, Solution, prose
from symderiv.model.symbols import N, index, vector
from symderiv.check.verify import verify

NAME = "softmax-jacobian"
TITLE = "The Jacobian of softmax"
SUMMARY = "D_x σ for σ_i = e^{x_i} / Σ_j e^{x_j}: quotient rule on the diagonal, reciprocal rule off it"
QUESTION = (
    r"Softmax maps $x = [x_1, \dots, x_N] \in \mathbb{R}^{1 \times N}$ to $\sigma(x) = [\sigma_1(x), \dots, \sigma_N(x)]$ "
    r"with $\sigma_i(x) = e^{x_i} / \sum_{j=1}^{N} e^{x_j}$. Find the Jacobian $D_x \sigma(x) \in \mathbb{R}^{N \times N}$."
)
PARAMS = {"n": Param(name="n", default=None, low=2, high=64, help="also show and check the explicit n×n matrix")}
REMARKS = ("summation_index", "symmetric")  # the macros of templates/prose/softmax-jacobian.j2


def solve(params: dict, method: str = "auto") -> Solution:
    """Derive ∂σ_i/∂x_k by cases, read off the matrix, and check every link."""
    x, sigma = vector("x"), vector("sigma")
    i, j, k = index("i"), index("j"), index("k")
    softmax = Definition(name=sigma[i], expr=softmax_component(x, i, N, j), params=(i,))
    row_vector = sp.MatrixSymbol("sigma", 1, N)
    entry = derive_jacobian_entry(sigma[i], x[k], i, {sigma: row_vector}, definitions=[softmax], method=method)
    entry = verify(entry, (softmax,))
    diagonal, off_diagonal = entry.steps[0].uses
    jacobian = Jacobian(sp.Symbol("sigma"), sp.Symbol("x"))
    matrix_statement = sp.Eq(jacobian, entry.result.parent, evaluate=False)
    parts = [
        Part(id="diagonal", title=prose(NAME, "diagonal"), derivation=diagonal),
        Part(id="off-diagonal", title=prose(NAME, "off_diagonal"), derivation=off_diagonal),
        Part(id="matrix", title=prose(NAME, "matrix"), derivation=entry, statement=matrix_statement),
    ]
    if params.get("n"):
        parts[-1] = _with_explicit_matrix(parts[-1], params["n"], entry, x, sigma, i, k)
    return Solution(
        problem=NAME, title=TITLE, question=QUESTION, definitions=(softmax,), parts=tuple(parts),
        remarks=tuple(prose(NAME, remark) for remark in REMARKS), params=params,
    )


def softmax_numeric(point: list) -> list:
    """σ(x) evaluated in mpmath, independently of any derivation."""
    exponentials = [mpmath.exp(v) for v in point]
    total = mpmath.fsum(exponentials)
    return [e / total for e in exponentials]


def _with_explicit_matrix(part: Part, n: int, entry, x, sigma, i, k) -> Part:
    """The n×n matrix from the entry formula, checked against the concrete softmax."""
    matrix = explicit_matrix(entry.steps[-2].rhs, i, k, n)
    xs = [x[a] for a in range(1, n + 1)]
    total = sp.Add(*[sp.exp(v) for v in xs])
    components = [sp.exp(v) / total for v in xs]
    named = {sigma[a]: components[a - 1] for a in range(1, n + 1)}
    formula = entry.steps[-2].rhs
    checks = (check_symbolic(matrix, components, xs, named), check_numeric(formula, i, k, softmax_numeric, n, sigma))
    return Part(id=part.id, title=part.title, derivation=part.derivation, statement=part.statement,
                matrix=matrix, checks=checks)
