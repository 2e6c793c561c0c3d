"""The lemma σ′ = σ(1 − σ): the derivative of the logistic function, by the reciprocal rule (Trick 2)."""
from __future__ import annotations

import sympy as sp

from symderiv.model.definitions import Definition
from symderiv.model.functions import sigmoid
from symderiv.derive.planner import derive
from symderiv.model.problem import Part, Solution, prose
from symderiv.model.symbols import scalar
from symderiv.check.verify import verify

NAME = "sigmoid-derivative"
TITLE = "The derivative of the sigmoid"
SUMMARY = "σ′(p) for σ(p) = 1/(1 + e^{−p}): the reciprocal rule, folded back to σ(1 − σ)"
QUESTION = (
    r"The sigmoid (logistic) activation is $\sigma(p) = \dfrac{1}{1 + e^{-p}}$. "
    r"Find $\sigma'(p)$ and write it in terms of $\sigma(p)$ itself."
)
PARAMS: dict = {}


def definition() -> Definition:
    """σ(u) := 1/(1 + e^{−u}), with u a pattern variable, so that σ(p), σ(p₂), … are all instances."""
    u = sp.Symbol("u")
    return Definition(name=sigmoid(u), expr=1 / (1 + sp.exp(-u)), params=(u,))


def solve(params: dict, method: str = "auto") -> Solution:
    """Unfold σ, differentiate by the planner's rules, fold back into σ, and check every link."""
    p = scalar("p")
    lemma = definition()
    derivation = verify(derive(sigmoid(p), p, definitions=[lemma], method=method), (lemma,))
    part = Part(id="derivative", title=prose(NAME, "derivative"), derivation=derivation)
    remarks = (prose(NAME, "reciprocal"), prose(NAME, "lemma", result=derivation.result))
    return Solution(problem=NAME, title=TITLE, question=QUESTION, definitions=(lemma,), parts=(part,),
                    remarks=remarks, params=params)
