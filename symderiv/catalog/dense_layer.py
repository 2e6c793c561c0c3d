"""A dense layer y = Wx + b with the loss E = ½‖y − t‖²: the gradients by W, b and x, in index and matrix form."""
from __future__ import annotations

import sympy as sp

from symderiv.check.verify import verify
from symderiv.check.entries import check_entries
from symderiv.derive.matrices import read_back
from symderiv.derive.sums import shorthand
from symderiv.derive.planner import derive
from symderiv.model.definitions import Definition
from symderiv.model.problem import Part, Solution, prose
from symderiv.model.symbols import N, bound, index, vector

NAME = "dense-layer"
TITLE = "The gradients of a dense layer"
SUMMARY = "y = Wx + b, E = ½‖y − t‖²: ∂E/∂W = δxᵀ, ∂E/∂b = δ, ∂E/∂x = Wᵀδ with δ = y − t"
QUESTION = (
    r"A dense layer maps $x \in \mathbb{R}^{M}$ to $y = Wx + b \in \mathbb{R}^{N}$, "
    r"$y_i = \sum_{j=1}^{M} W_{ij} x_j + b_i$, and is trained on the loss "
    r"$E = \tfrac12 \lVert y - t \rVert^2 = \tfrac12 \sum_{i=1}^{N} (y_i - t_i)^2$. "
    r"Find $\partial E / \partial y$, $\partial E / \partial W$, $\partial E / \partial b$ and $\partial E / \partial x$."
)
PARAMS: dict = {}
def solve(params: dict, method: str = "auto") -> Solution:
    """Derive each gradient by the planner, read back its matrix form, and check every link and entry."""
    W, x, b, t, y, delta = (vector(n) for n in ("W", "x", "b", "t", "y", "delta"))
    i, j, a, c = (index(n) for n in ("i", "j", "a", "c"))
    M = bound("M")
    layer = Definition(name=y[i], expr=sp.Sum(W[i, j] * x[j], (j, 1, M)) + b[i], params=(i,))
    error = Definition(name=delta[i], expr=y[i] - t[i], params=(i,), note="δ_i = ∂E/∂y_i")
    E = sp.Symbol("E")
    loss = Definition(name=E, expr=sp.Sum((y[i] - t[i]) ** 2, (i, 1, N)) / 2)
    definitions = (layer, loss, error)
    asked = {"output": (y[a], (a,)), "weights": (W[a, c], (a, c)), "bias": (b[a], (a,)), "input": (x[c], (c,))}
    sizes = {a: N, c: M}
    parts = []
    for name, (variable, free) in asked.items():
        derivation = verify(derive(E, variable, definitions=definitions, method=method), definitions)
        parts.append(_part(name, derivation, free, sizes, variable))
    return Solution(problem=NAME, title=TITLE, question=QUESTION, definitions=definitions, parts=tuple(parts),
                    remarks=(prose(NAME, "read_back"),), params=params)


def _part(name: str, derivation, free: tuple, sizes: dict, variable) -> Part:
    """A part with its matrix form, when the result has one, checked entry by entry."""
    matrix = read_back(derivation.result, free, sizes)
    if matrix is None:
        return Part(id=name, title=prose(NAME, name), derivation=derivation)
    name_of = str(variable.base)
    gradient = shorthand(f"dE_d{name_of}", f"∂E/∂{name_of}", rf"\frac{{\partial E}}{{\partial {name_of}}}")
    statement = sp.Eq(gradient, matrix, evaluate=False)
    check = check_entries(derivation.result, matrix, free, sizes)
    return Part(id=name, title=prose(NAME, name), derivation=derivation, statement=statement, checks=(check,))
