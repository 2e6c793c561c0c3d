"""symderiv: step-by-step, machine-checked derivations of the calculus behind backpropagation.

    import symderiv as sd
    sol = sd.derive("softmax-jacobian")          # a catalog problem, derived and verified
    sol = sd.derive("x**2*exp(-x)", wrt="x")     # any expression (a string or a sympy expression)
    sd.check("softmax-jacobian", part="diagonal", answer="sigma_i*(1 - sigma_i)")
    sd.verify(text)                              # a hand-written derivation, line by line

Importing the package is cheap: sympy, Jinja and the rest load on first use.
"""
from __future__ import annotations

import importlib as _importlib
import types as _types
from typing import TYPE_CHECKING

from symderiv.model import presenting as _presenting

__version__ = "0.1.0"
__all__ = ["derive", "check", "verify", "compare", "render", "problems", "Solution", "Part", "Derivation",
           "Verdict", "WrittenVerdict", "SymderivError", "InputError", "__version__"]

_WHERE = {
    "verify": "symderiv.app.api", "compare": "symderiv.app.api", "render": "symderiv.app.api",
    "problems": "symderiv.app.api",
    "Verdict": "symderiv.app.api", "WrittenVerdict": "symderiv.app.api",
    "Solution": "symderiv.model.problem", "Part": "symderiv.model.problem", "Derivation": "symderiv.model.steps",
    "SymderivError": "symderiv.model.errors", "InputError": "symderiv.model.errors",
}

if TYPE_CHECKING:
    from symderiv.app.api import Verdict, WrittenVerdict, check, compare, derive, problems, render, verify
    from symderiv.model.errors import InputError, SymderivError
    from symderiv.model.problem import Part, Solution
    from symderiv.model.steps import Derivation


def __getattr__(name: str):
    """The public names, imported on first use."""
    if name not in _WHERE:
        raise AttributeError(f"module 'symderiv' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _presenter():
    """The output stage's presenter, loaded when a model object is first shown."""
    from symderiv.output import display

    return display


_presenting.install(_presenter)


class _StageAndFunction(_types.ModuleType):
    """`symderiv.derive` and `symderiv.check` are stages of the pipeline (subpackages) and, called, the public
    functions of the same name: `sd.derive(...)` is symderiv.app.api.derive, `sd.check(...)` api.check."""

    def __call__(self, *args, **kwargs):
        from symderiv.app import api

        return getattr(api, self.__name__.rpartition(".")[2])(*args, **kwargs)


for _stage in ("derive", "check"):
    _importlib.import_module(f"{__name__}.{_stage}").__class__ = _StageAndFunction
