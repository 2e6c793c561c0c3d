"""What a problem states (its question) and what solving it yields (verified parts)."""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from symderiv.model.definitions import Definition
from symderiv.model.errors import InputError, nearest
from symderiv.model.steps import Derivation


@dataclass(frozen=True, kw_only=True)
class Param:
    """A `-p KEY=VALUE` parameter: an integer in [low, high], or one of `choices`."""

    name: str
    default: object
    low: int | None = None
    high: int | None = None
    choices: tuple[str, ...] = ()
    help: str = ""

    def parse(self, text: str) -> object:
        """The value of `text`, or an InputError that says what is allowed."""
        if self.choices:
            if text not in self.choices:
                raise InputError(f"{self.name}={text} is not allowed: choose one of {', '.join(self.choices)}.")
            return text
        try:
            value = int(text)
        except ValueError:
            raise InputError(f"{self.name}={text} is not a whole number.") from None
        if not self.low <= value <= self.high:
            raise InputError(f"{self.name}={value} is out of range: use {self.low} to {self.high}.")
        return value


@dataclass(frozen=True)
class Prose:
    """Words for the page, kept out of Python: a template key "FILE/MACRO" and the values the words show.

    The macro MACRO of templates/prose/FILE.j2 holds the words; the values are sympy expressions (printed as
    formulas in each format), numbers, strings, or tuples of these.
    """

    key: str
    values: tuple[tuple[str, object], ...] = ()

    @property
    def arguments(self) -> dict:
        """The values by name."""
        return dict(self.values)


def prose(file: str, name: str, **values) -> Prose:
    """The words of macro `name` in templates/prose/`file`.j2, showing `values` (lists become tuples)."""
    frozen = {key: tuple(value) if isinstance(value, list) else value for key, value in values.items()}
    return Prose(key=f"{file}/{name}", values=tuple(frozen.items()))


@dataclass(frozen=True, kw_only=True)
class Part:
    """One question of a problem and its derivation; `statement` restates the result (e.g. in matrix form)."""

    id: str
    title: str | Prose
    derivation: Derivation
    statement: sp.Basic | None = None
    remarks: tuple[str | Prose, ...] = ()
    matrix: sp.Matrix | None = None
    checks: tuple = ()

    @property
    def verified(self) -> bool:
        """The derivation and every extra check hold."""
        return self.derivation.verified and all(c.ok is True for c in self.checks)


@dataclass(frozen=True, kw_only=True)
class Solution:
    """A solved problem: its definitions, its verified parts, conditions and remarks."""

    problem: str
    title: str
    question: str
    definitions: tuple[Definition, ...]
    parts: tuple[Part, ...]
    conditions: tuple[sp.Basic, ...] = ()
    remarks: tuple[str | Prose, ...] = ()
    params: dict = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        """Every part holds."""
        return all(part.verified for part in self.parts)

    def failures(self) -> list[tuple[Part, Derivation, int]]:
        """The parts and links that did not verify."""
        return [(part, d, n) for part in self.parts for d, n, _ in part.derivation.failures()]


def parse_params(given: dict[str, str], spec: dict[str, Param], problem: str) -> dict:
    """The problem's parameters with defaults filled in; unknown keys are an InputError."""
    for key in given:
        if key not in spec:
            known = ", ".join(spec) or "none"
            raise InputError(f"{problem} has no parameter {key!r} (its parameters: {known}).")
    return {name: spec[name].parse(given[name]) if name in given else p.default for name, p in spec.items()}


def closest(name: str, names) -> str:
    """' Did you mean X?' for the closest known name, or ''."""
    match = nearest(name, names)
    return f" Did you mean {match!r}?" if match else ""
