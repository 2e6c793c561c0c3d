"""What a problem states (its question) and what solving it yields (verified parts)."""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from symderiv.model.definitions import Definition
from symderiv.model.errors import InputError, nearest
from symderiv.model.presenting import Presentable, present
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
class Part(Presentable):
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

    @property
    def steps(self) -> tuple:
        """The steps of the part's derivation."""
        return self.derivation.steps

    @property
    def result(self) -> sp.Expr:
        """The part's result: the last right-hand side of its derivation."""
        return self.derivation.result


class Parts(tuple):
    """A solution's parts, in order; `parts["diagonal"]` picks one by its id."""

    def __getitem__(self, key):
        if isinstance(key, str):
            for part in self:
                if part.id == key:
                    return part
            raise KeyError(f"no part {key!r} (the parts: {', '.join(self.ids())})")
        return super().__getitem__(key)

    def ids(self) -> list[str]:
        """The part ids, in order."""
        return [part.id for part in self]


@dataclass(frozen=True, kw_only=True)
class Solution(Presentable):
    """A solved problem: its definitions, its verified parts, conditions and remarks."""

    problem: str
    title: str
    question: str
    definitions: tuple[Definition, ...]
    parts: tuple[Part, ...]
    conditions: tuple[sp.Basic, ...] = ()
    remarks: tuple[str | Prose, ...] = ()
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "parts", Parts(self.parts))

    @property
    def verified(self) -> bool:
        """Every part holds."""
        return all(part.verified for part in self.parts)

    @property
    def result(self) -> sp.Expr:
        """The final result: that of the last part."""
        return self.parts[-1].result

    def to_text(self) -> str:
        """The solution as plain text (as `symderiv derive` prints it)."""
        return present(self, "text")

    def to_latex(self) -> str:
        """A complete LaTeX document."""
        return present(self, "tex")

    def to_markdown(self) -> str:
        """Markdown with $$ math."""
        return present(self, "md")

    def to_html(self) -> str:
        """A self-contained HTML page (KaTeX inlined: it works offline)."""
        return present(self, "page")

    def to_json(self) -> str:
        """The JSON contract (see the README)."""
        return present(self, "json")

    def to_numpy(self) -> str:
        """A Python module with forward and grad in numpy, checked against finite differences before it is returned."""
        return present(self, "numpy")

    def to_jax(self) -> str:
        """The same module in jax.numpy."""
        return present(self, "jax")

    def to_pdf(self, path) -> object:
        """Typeset the solution into the PDF at `path` (replaced atomically); return the path."""
        return present(self, "pdf", path=path)

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
