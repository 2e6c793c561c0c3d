"""The catalog of problems: each module states a question; `solve` derives and verifies it."""
from __future__ import annotations

import importlib

from symderiv.model.errors import InputError
from symderiv.model.problem import Solution, closest, parse_params

MODULES = {
    "sigmoid-derivative": "sigmoid_derivative",
    "backprop": "backprop",
    "softmax-jacobian": "softmax_jacobian",
    "softmax-vjp": "softmax_vjp",
    "cross-entropy-grad": "cross_entropy_grad",
    "softmax-cross-entropy": "softmax_cross_entropy",
    "dense-layer": "dense_layer",
    "mlp": "mlp",
}


def names() -> list[str]:
    """The problem names, in the order of the lecture note."""
    return list(MODULES)


def module(name: str):
    """The module that states problem `name`, or an InputError suggesting the closest name."""
    if name not in MODULES:
        raise InputError(f"unknown problem {name!r}.{closest(name, MODULES)} Run `symderiv list` to see them all.")
    return importlib.import_module(f"{__name__}.{MODULES[name]}")


def solve(name: str, params: dict[str, str] | None = None, method: str = "auto") -> Solution:
    """Problem `name`, derived by the planner and verified, with `-p` parameters applied."""
    problem = module(name)
    return problem.solve(parse_params(params or {}, problem.PARAMS, name), method)
