"""The lecture note's backpropagation question: a scalar network p_l = w_l·y_{l−1}, y_l = act(p_l), loss E."""
from __future__ import annotations

import dataclasses

import sympy as sp

from symderiv.derive.leibniz import derive_backward
from symderiv.model.definitions import Definition
from symderiv.model.functions import relu, sigmoid
from symderiv.derive.planner import Planner, derive
from symderiv.model.problem import Param, Part, Prose, Solution, prose
from symderiv.model.symbols import scalar
from symderiv.check.verify import verify

NAME = "backprop"
TITLE = "Backpropagation through a scalar network"
SUMMARY = "∂E/∂w₂ and ∂E/∂w₁ for p₁ = w₁x, y = σ(p₁), p₂ = w₂y, z = σ(p₂), E = ½(d − z)²: the chain rule"
QUESTION = (
    r"A network with one neuron per layer computes $p_1 = w_1 x$, $y = \sigma(p_1)$, $p_2 = w_2 y$, "
    r"$z = \sigma(p_2)$ from the input $x$, and is trained on the error $E = \tfrac{1}{2}(d - z)^2$ "
    r"between the label $d$ and the prediction $z$. Find $\partial E / \partial w_2$ and $\partial E / \partial w_1$."
)
GENERAL_QUESTION = (  # for other -p values than the lecture note's
    r"A network of {layers} layer(s) with one neuron each computes $p_l = w_l\, y_{{l-1}}$ and "
    r"$y_l = {activation}(p_l)$ for $l = 1, \dots, {layers}$, from the input $y_0 = x$; the "
    r"prediction is $z = y_{{{layers}}}$ and the loss is {loss}. Find $\partial E / \partial w_l$ for every layer."
)
ACTIVATION_TEXT = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\operatorname{relu}"}
LOSS_TEXT = {"mse": r"$E = \tfrac{1}{2}(d - z)^2$",
             "bce": r"$E = -\left(d \ln z + (1 - d) \ln(1 - z)\right)$, with a sigmoid output layer"}
PARAMS = {
    "layers": Param(name="layers", default=2, low=1, high=64, help="the number of layers L"),
    "activation": Param(name="activation", default="sigmoid", choices=("sigmoid", "tanh", "relu"),
                        help="the activation function of every layer"),
    "loss": Param(name="loss", default="mse", choices=("mse", "bce"),
                  help="squared error ½(d − z)² or binary cross-entropy −(d ln z + (1 − d) ln(1 − z)), "
                       "which takes a sigmoid output layer"),
}
ACTIVATIONS = {"sigmoid": sigmoid, "tanh": sp.tanh, "relu": relu}
LOSSES = {
    "mse": lambda d, z: sp.Rational(1, 2) * (d - z) ** 2,
    "bce": lambda d, z: -(d * sp.log(z) + (1 - d) * sp.log(1 - z)),
}
NOTES = {
    "loss": "from the label and the output of the current layer",
    "activation": {"sigmoid": "from the output of the current layer", "tanh": "from the output of the current layer",
                   "relu": "from the pre-activation of the current layer: 1 where it is positive, else 0"},
    "weight": "weight of the next layer, known from the forward pass",
    "input": "input of the current layer",
}


def network(layers: int, activation: str, loss: str):
    """The symbols and definitions of the network, in forward order (p₁ := w₁x first, E last)."""
    x, d, E = scalar("x"), scalar("d"), scalar("E")
    weights = [scalar(f"w{l}") for l in range(1, layers + 1)]
    pre = [scalar(f"p{l}") for l in range(1, layers + 1)]
    hidden = [scalar("y")] if layers == 2 else [scalar(f"y{l}") for l in range(1, layers)]
    outputs = [x, *hidden, scalar("z")]
    definitions = []
    for l in range(1, layers + 1):
        act = ACTIVATIONS[layer_activations(layers, activation, loss)[l - 1]]
        definitions.append(Definition(name=pre[l - 1], expr=weights[l - 1] * outputs[l - 1]))
        definitions.append(Definition(name=outputs[l], expr=act(pre[l - 1])))
    definitions.append(Definition(name=E, expr=LOSSES[loss](d, outputs[-1])))
    return E, weights, pre, outputs, tuple(definitions)


def layer_activations(layers: int, activation: str, loss: str) -> list[str]:
    """The activation of each layer: `activation`, except a sigmoid output under the cross-entropy."""
    return [("sigmoid" if l == layers and loss == "bce" else activation) for l in range(1, layers + 1)]


def annotations(E, weights, pre, outputs, activations: list[str]) -> tuple:
    """The note's annotations, keyed by the derivative they explain."""
    d = lambda f, v: sp.Derivative(f, v, evaluate=False)  # noqa: E731
    notes = [(d(E, outputs[-1]), NOTES["loss"])]
    for l in range(1, len(weights) + 1):
        notes.append((d(outputs[l], pre[l - 1]), NOTES["activation"][activations[l - 1]]))
        notes.append((d(pre[l - 1], weights[l - 1]), NOTES["input"]))
        if l > 1:
            notes.append((d(pre[l - 1], outputs[l - 1]), NOTES["weight"]))
    return tuple(notes)


def solve(params: dict, method: str = "auto") -> Solution:
    """Derive ∂E/∂w_l for every layer by the Leibniz chain, then ∂E/∂w₁ by the δ recursion; check every link."""
    layers, activation, loss = params["layers"], params["activation"], params["loss"]
    E, weights, pre, outputs, definitions = network(layers, activation, loss)
    notes = annotations(E, weights, pre, outputs, layer_activations(layers, activation, loss))
    options = dict(definitions=definitions, method=method, notes=notes)
    planner = Planner()  # one planner: the factors ∂y_l/∂p_l, … are derived once and shared by every part
    parts = []
    for l in range(layers, 0, -1):
        derivation = verify(derive(E, weights[l - 1], planner=planner, **options), definitions)
        title = prose(NAME, "weight", w=weights[l - 1], l=l)
        parts.append(Part(id=f"dE_dw{l}", title=title, derivation=with_relu(derivation, pre, activation)))
    backward = verify(derive_backward(E, weights[0], tuple(pre), planner=planner, **options), definitions)
    parts.append(Part(id="delta", title=prose(NAME, "delta"), derivation=with_relu(backward, pre, activation)))
    return Solution(problem=NAME, title=TITLE, question=question(params), definitions=definitions, parts=tuple(parts),
                    remarks=remarks(E, pre, outputs, definitions, activation, loss, planner, method), params=params)


def question(params: dict) -> str:
    """The lecture note's question for the defaults; the general one for other layers, activations or losses."""
    if params == {name: p.default for name, p in PARAMS.items()}:
        return QUESTION
    return GENERAL_QUESTION.format(layers=params["layers"], activation=ACTIVATION_TEXT[params["activation"]],
                                   loss=LOSS_TEXT[params["loss"]])


def with_relu(derivation, pre, activation: str):
    """For relu, the points p_l = 0 where the classical derivative does not exist, as conditions."""
    if activation != "relu":
        return derivation
    switched = {n.args[0] for d in derivation.walk() for s in d.steps for n in s.rhs.atoms(sp.Heaviside)}
    used = [p for p in pre if p in switched]  # one walk for all layers
    extra = tuple(sp.Ne(p, 0) for p in used if sp.Ne(p, 0) not in derivation.conditions)
    return dataclasses.replace(derivation, conditions=derivation.conditions + extra) if extra else derivation


def remarks(E, pre, outputs, definitions, activation, loss, planner, method) -> tuple[Prose, ...]:
    """The solution's remarks; the formulas in them are derived here, not typed."""
    found = []
    if loss == "mse":
        loss_expr = next(d.expr for d in definitions if d.name == E)
        found.append(prose(NAME, "slip", oracle=sp.diff(loss_expr, outputs[-1])))
    if activation == "sigmoid" or loss == "bce":
        found.append(prose(NAME, "lemma"))
    if loss == "bce":
        delta = derive(E, pre[-1], planner=planner, definitions=definitions, method=method)
        found.append(prose(NAME, "bce", delta=delta.result))
    if activation == "relu":
        found.append(prose(NAME, "relu"))
    found.append(prose(NAME, "sweep"))
    return tuple(found)
