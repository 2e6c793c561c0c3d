"""Question 1(b): the vector–Jacobian product z = v·D_xσ of softmax, one entry z_i at a time."""
from __future__ import annotations

import sympy as sp

from symderiv.model.definitions import Definition
from symderiv.model.functions import softmax_component
from symderiv.model.problem import Part, Solution, prose
from symderiv.derive.sums import derive_within, shorthand
from symderiv.model.symbols import N, index, vector
from symderiv.check.verify import verify

NAME = "softmax-vjp"
TITLE = "A vector times the Jacobian of softmax"
SUMMARY = "z = v·D_xσ: z_i = Σ_j v_j ∂σ_j/∂x_i, sifted by δ and summed to σ_i (v_i − v·σᵀ)"
QUESTION = (
    r"For $v = [v_1, \dots, v_N] \in \mathbb{R}^{1 \times N}$ and the softmax Jacobian $D_x \sigma(x)$ "
    r"(problem softmax-jacobian), "
    r"let $z = v \cdot D_x \sigma(x) \in \mathbb{R}^{1 \times N}$. Find $z_i = \sum_{j=1}^{N} v_j "
    r"\, \partial \sigma_j / \partial x_i$ in closed form."
)
PARAMS: dict = {}


def definitions(dummy: str = "k"):
    """σ_i := e^{x_i}/Σ_k e^{x_k} (k named `dummy`), and the dot product v·σᵀ := Σ_j v_j σ_j as a named scalar."""
    x, sigma, v = vector("x"), vector("sigma"), vector("v")
    i, j, k = index("i"), index("j"), index(dummy)
    softmax = Definition(name=sigma[i], expr=softmax_component(x, i, N, k), params=(i,))
    dot = Definition(name=shorthand("v_dot_sigma", "v·σᵀ", r"v \cdot \sigma^{\top}"),
                     expr=sp.Sum(v[j] * sigma[j], (j, 1, N)))
    return softmax, dot


def solve(params: dict, method: str = "auto") -> Solution:
    """Cite the planner's Jacobian entry inside the sum, then the index steps; check every link by N = 2…5."""
    x, sigma, v = vector("x"), vector("sigma"), vector("v")
    i, j = index("i"), index("j")
    softmax, dot = definitions()
    lhs = sp.Sum(v[j] * sp.Derivative(sigma[j], x[i]), (j, 1, N))
    derivation = verify(derive_within(lhs, (dot,), definitions=[softmax], method=method), (softmax, dot))
    part = Part(id="z_i", title=prose(NAME, "z_i", entry=vector("z")[i], product=dot.name), derivation=derivation)
    remarks = (prose(NAME, "cited", jacobian_entry=sp.Derivative(sigma[j], x[i])), prose(NAME, "cost"))
    return Solution(problem=NAME, title=TITLE, question=QUESTION, definitions=(softmax, dot), parts=(part,),
                    remarks=remarks, params=params)
