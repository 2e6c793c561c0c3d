"""A vector network (multilayer perceptron) of L layers: the δ recursion and the weight gradients δˡ(aˡ⁻¹)ᵀ."""
from __future__ import annotations

import sympy as sp

from symderiv.check.entries import check_entries
from symderiv.check.verify import verify
from symderiv.derive.matrices import read_back
from symderiv.derive.planner import Planner, derive
from symderiv.derive.sums import shorthand
from symderiv.derive.vectors import derive_cited
from symderiv.model.definitions import Definition
from symderiv.model.functions import sigmoid
from symderiv.model.problem import Param, Part, Solution, prose
from symderiv.model.symbols import bound, index, vector

NAME = "mlp"
TITLE = "Backpropagation through a vector network"
SUMMARY = "pˡ = Wˡaˡ⁻¹ + bˡ, aˡ = f(pˡ), E = ½‖aᴸ − t‖²: δˡ = (Wˡ⁺¹ᵀδˡ⁺¹) ⊙ f′(pˡ), ∂E/∂Wˡ = δˡ(aˡ⁻¹)ᵀ"
QUESTION = (
    r"A network of {layers} layer(s) computes, from the input $a^{{0}} = x \in \mathbb{{R}}^{{N_0}}$, "
    r"$p^{{l}}_i = \sum_{{j=1}}^{{N_{{l-1}}}} W^{{l}}_{{ij}} a^{{l-1}}_j + b^{{l}}_i$ and $a^{{l}}_i = {activation}(p^{{l}}_i)$ "
    r"for $l = 1, \dots, {layers}$, and is trained on $E = \tfrac12 \sum_{{i=1}}^{{N_{{{layers}}}}} (a^{{{layers}}}_i - t_i)^2$. "
    r"With $\delta^{{l}}_i = \partial E / \partial p^{{l}}_i$, find $\delta^{{{layers}}}$, the recursion from $\delta^{{l+1}}$ to "
    r"$\delta^{{l}}$ (by the chain rule through $p^{{l+1}}$, the only way $E$ depends on $p^{{l}}$: "
    r"$\delta^{{l}}_a = \sum_k \delta^{{l+1}}_k \, \partial p^{{l+1}}_k / \partial p^{{l}}_a$), and $\partial E / \partial W^{{l}}$."
)
PARAMS = {
    "layers": Param(name="layers", default=2, low=1, high=64, help="the number of layers L"),
    "activation": Param(name="activation", default="sigmoid", choices=("sigmoid", "tanh"),
                        help="the activation function f of every layer"),
}
ACTIVATIONS = {"sigmoid": sigmoid, "tanh": sp.tanh}
ACTIVATION_TEXT = {"sigmoid": r"\sigma", "tanh": r"\tanh"}
def network(layers: int, activation: str):
    """The sizes, vectors and definitions of the network, in forward order (p¹ first, E last)."""
    f = ACTIVATIONS[activation]
    i, j = index("i"), index("j")
    sizes = [bound(f"N{l}") for l in range(layers + 1)]
    outputs = [vector("x")] + [vector(f"a{l}") for l in range(1, layers + 1)]
    pre = [None] + [vector(f"p{l}") for l in range(1, layers + 1)]
    weights = [None] + [vector(f"W{l}") for l in range(1, layers + 1)]
    biases = [None] + [vector(f"b{l}") for l in range(1, layers + 1)]
    definitions = []
    for l in range(1, layers + 1):
        body = sp.Sum(weights[l][i, j] * outputs[l - 1][j], (j, 1, sizes[l - 1])) + biases[l][i]
        definitions.append(Definition(name=pre[l][i], expr=body, params=(i,)))
        definitions.append(Definition(name=outputs[l][i], expr=f(pre[l][i]), params=(i,)))
    E, t = sp.Symbol("E"), vector("t")
    definitions.append(Definition(name=E, expr=sp.Sum((outputs[layers][i] - t[i]) ** 2, (i, 1, sizes[layers])) / 2))
    return E, sizes, outputs, pre, weights, tuple(definitions)


def solve(params: dict, method: str = "auto") -> Solution:
    """δᴸ by the planner; each δˡ and ∂E/∂Wˡ from the δ above, its derivatives derived and cited; every link checked."""
    layers, activation = params["layers"], params["activation"]
    E, sizes, outputs, pre, weights, definitions = network(layers, activation)
    a, c, k = index("a"), index("c"), index("k")
    deltas = [None] + [vector(f"delta{l}") for l in range(1, layers + 1)]
    options = dict(definitions=definitions, method=method)
    planner = Planner()
    L = layers
    output = verify(derive(E, pre[L][a], planner=planner, **options), definitions)
    parts = [_part("output", prose(NAME, "output", L=L), output, (a,), {a: sizes[L]}, f"delta{L}", "δ" + str(L))]
    for l in range(L - 1, 0, -1):
        lhs = sp.Sum(deltas[l + 1][k] * sp.Derivative(pre[l + 1][k], pre[l][a]), (k, 1, sizes[l + 1]))
        derivation = verify(derive_cited(lhs, planner=planner, **options), definitions)
        title = prose(NAME, "delta", l=l, m=l + 1)
        parts.append(_part(f"delta{l}", title, derivation, (a,), {a: sizes[l]}, f"delta{l}", "δ" + str(l)))
    for l in range(L, 0, -1):
        lhs = sp.Sum(deltas[l][k] * sp.Derivative(pre[l][k], weights[l][a, c]), (k, 1, sizes[l]))
        derivation = verify(derive_cited(lhs, planner=planner, **options), definitions)
        parts.append(_part(f"weights{l}", prose(NAME, "weights", l=l), derivation, (a, c),
                           {a: sizes[l], c: sizes[l - 1]}, f"dE_dW{l}", f"∂E/∂W{l}"))
    question = QUESTION.format(layers=L, activation=ACTIVATION_TEXT[activation])
    return Solution(problem=NAME, title=TITLE, question=question, definitions=definitions, parts=tuple(parts),
                    remarks=(prose(NAME, "sweep"),), params=params)


def _part(name: str, title: str, derivation, free: tuple, sizes: dict, symbol: str, text: str) -> Part:
    """A part with the matrix form of its result, when it has one, checked entry by entry."""
    matrix = read_back(derivation.result, free, sizes)
    if matrix is None:
        return Part(id=name, title=title, derivation=derivation)
    latex = text.replace("δ", r"\delta^{").replace("∂E/∂W", r"\frac{\partial E}{\partial W^{") + "}" * (1 + text.startswith("∂"))
    statement = sp.Eq(shorthand(symbol, text, latex), matrix, evaluate=False)
    return Part(id=name, title=title, derivation=derivation, statement=statement,
                checks=(check_entries(derivation.result, matrix, free, sizes),))
