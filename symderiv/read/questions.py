"""The one entry to the planner: a question (a catalog problem, or an expression to differentiate) becomes a
verified Solution. `derive`, `check`, `build` and the Python API all ask it here.

Questions may be strings or sympy objects; sympy objects are read through the same safe parser as text
(by their printed form), so both mean the same thing and meet the same caps.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy as sp

from symderiv.model.errors import InputError
from symderiv.model.problem import Solution

Expression = str | sp.Basic
Definitions = Mapping[str, Expression] | Sequence[str] | str | None


@dataclass(frozen=True)
class Solved:
    """A verified Solution, with warnings for the user (e.g. the variable does not occur)."""

    solution: Solution
    warnings: tuple[str, ...] = ()


def solve(problem: str | None = None, *, expr: Expression | None = None, wrt: Expression | None = None,
          define: Definitions = (), params: Mapping[str, object] | None = None, method: str = "auto",
          fold: bool = True) -> Solved:
    """A catalog problem (with params) or ∂expr/∂wrt (with named quantities in define), derived and verified;
    `fold=False` leaves an expression's result in the raw form of its last rule (no textbook folds)."""
    if (problem is None) == (expr is None):
        raise InputError("give either a problem name or an expression (with wrt), not both and not neither.")
    if expr is None:
        from symderiv.catalog import solve as solve_problem

        if not isinstance(problem, str):
            raise InputError(f"a problem is named by a string such as 'softmax-jacobian', not {type(problem).__name__}.")
        return Solved(solve_problem(problem, param_texts(params), method))
    if params:
        raise InputError("params belong to catalog problems, not to an expression.")
    if wrt is None:
        raise InputError("an expression needs the variable to differentiate by (wrt), e.g. wrt=\"x\".")
    from symderiv.read.answers import derive_expression

    derived = derive_expression(as_text(expr, "the expression"), as_text(wrt, "the variable"),
                                definition_texts(define), method, fold=fold)
    return Solved(derived.solution, derived.warnings)


def as_text(value: Expression, what: str = "the expression") -> str:
    """What the safe parser reads: a string as it is, a sympy object (or a number) as sympy prints it."""
    if isinstance(value, str):
        return value
    if isinstance(value, (sp.Basic, int, float)) and not isinstance(value, bool):
        return sp.sstr(sp.sympify(value), order="none")
    raise InputError(f"{what} must be a string or a sympy expression, not {type(value).__name__}.")


def definition_texts(define: Definitions) -> tuple[str, ...]:
    """Named quantities as `NAME = EXPR` texts: from a mapping {name: expr}, a list of such texts, or one text."""
    if define is None:
        return ()
    if isinstance(define, str):
        return (define,)
    if isinstance(define, Mapping):
        return tuple(f"{as_text(name, 'a defined name')} = {as_text(expr, f'the definition of {name}')}"
                     for name, expr in define.items())
    if isinstance(define, sp.Eq):
        return (f"{as_text(define.lhs)} = {as_text(define.rhs)}",)
    return tuple(text for item in define for text in definition_texts(item))


def param_texts(params: Mapping[str, object] | None) -> dict[str, str]:
    """Problem parameters as the strings `-p KEY=VALUE` gives (True is "true")."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise InputError("params must be a mapping such as {\"n\": 3}.")
    return {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()}
