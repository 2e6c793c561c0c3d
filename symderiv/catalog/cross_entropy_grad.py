"""Question 1(c): the gradient of the cross-entropy ℓ(z, t) = −Σ_i t_i ln z_i with respect to z."""
from __future__ import annotations

import sympy as sp

from symderiv.derive.planner import derive
from symderiv.model.problem import Param, Part, Solution, prose
from symderiv.derive.sums import shorthand
from symderiv.model.symbols import N, index, vector
from symderiv.check.verify import verify

NAME = "cross-entropy-grad"
TITLE = "The gradient of the cross-entropy"
SUMMARY = "D_zℓ for ℓ(z, t) = −Σ_j t_j ln z_j: the index sum, the Kronecker delta, ∂ℓ/∂z_i = −t_i/z_i"
QUESTION = (
    r"The cross-entropy of a prediction $z = [z_1, \dots, z_N]$ against a target $t \in [0, 1]^{1 \times N}$ "
    r"(for example the one-hot $t = [0\ 0\ 1\ 0]$) is $\ell(z, t) = -\sum_{j=1}^{N} t_j \ln z_j$. "
    r"Find $D_z \ell(z, t) = \left[\partial \ell / \partial z_1, \dots, \partial \ell / \partial z_N\right] "
    r"\in \mathbb{R}^{1 \times N}$."
)
PARAMS = {"n": Param(name="n", default=4, low=1, high=64, help="the size of the explicit row vector D_zℓ")}
EXAMPLE = (0, 0, 1, 0)  # the lecture note's one-hot target
ELL = shorthand("ell", "ℓ", r"\ell")  # the loss, by name


def solve(params: dict, method: str = "auto") -> Solution:
    """Derive ∂ℓ/∂z_i by the planner (index sum, then δ), read off the row vector, and check every link."""
    z, t = vector("z"), vector("t")
    i, j = index("i"), index("j")
    loss = -sp.Sum(t[j] * sp.log(z[j]), (j, 1, N))
    derivation = verify(derive(loss, z[i], method=method))
    entry = derivation.result
    statement = sp.Eq(shorthand("D_z_ell", "D_zℓ", r"D_{z} \ell"), row(entry, i, params["n"]), evaluate=False)
    title = prose(NAME, "gradient", entry=sp.Derivative(ELL, z[i]))
    part = Part(id="gradient", title=title, derivation=derivation, statement=statement)
    example = row(entry, i, len(EXAMPLE)).xreplace({t[a + 1]: value for a, value in enumerate(EXAMPLE)})
    remarks = (prose(NAME, "summation_index"), prose(NAME, "one_hot", example=EXAMPLE, gradient=example))
    return Solution(problem=NAME, title=TITLE, question=QUESTION, definitions=(), parts=(part,), remarks=remarks,
                    params=params)


def row(entry: sp.Expr, i: sp.Symbol, n: int) -> sp.Matrix:
    """The row vector [entry at i = 1, …, entry at i = n]."""
    return sp.Matrix([[entry.xreplace({i: a}) for a in range(1, n + 1)]])
