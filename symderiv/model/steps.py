"""The data model: a derivation is a calc chain `lhs = e1 = e2 = … = result`, each link justified."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import sympy as sp


@dataclass(frozen=True, kw_only=True)
class Check:
    """The verdict on one link: ok is True (holds), False (refuted) or None (undecided)."""

    ok: bool | None
    method: str
    detail: str = ""
    witness: object = field(default=None, compare=False)  # sampling.Witness: where the sides differ


@dataclass(frozen=True, kw_only=True)
class Step:
    """One link `previous = rhs`, justified by the step kind with id `rule`, citing the sub-derivations in `uses`;
    `binding` holds the (vector, value) pairs at which a cited general result is used."""

    rule: str
    rhs: sp.Expr
    uses: tuple[Derivation, ...] = ()
    binding: tuple = ()
    note: str = ""
    check: Check | None = None


@dataclass(frozen=True, kw_only=True)
class Derivation:
    """A chain of justified equalities starting at `lhs`; `conditions` are sympy relations it assumes."""

    lhs: sp.Expr
    steps: tuple[Step, ...]
    conditions: tuple[sp.Basic, ...] = ()
    check: Check | None = None

    @property
    def result(self) -> sp.Expr:
        """The last right-hand side (the lhs itself for an empty chain)."""
        return self.steps[-1].rhs if self.steps else self.lhs

    def links(self) -> Iterator[tuple[sp.Expr, Step]]:
        """Each step with the expression it starts from."""
        previous = self.lhs
        for step in self.steps:
            yield previous, step
            previous = step.rhs

    def walk(self) -> Iterator[Derivation]:
        """This derivation and every cited sub-derivation, depth first."""
        yield self
        for step in self.steps:
            for used in step.uses:
                yield from used.walk()

    def rules(self) -> list[str]:
        """The rule ids of every step, sub-derivations included."""
        return [step.rule for d in self.walk() for step in d.steps]

    def has_unknown(self) -> bool:
        """Whether some link, here or in a sub-derivation, has no justifying rule."""
        return "unknown" in self.rules()

    def failures(self) -> list[tuple[Derivation, int, Step]]:
        """The links whose check is missing, false or undecided, with their position."""
        return [
            (d, n, step)
            for d in self.walk()
            for n, step in enumerate(d.steps)
            if step.check is None or step.check.ok is not True or step.rule == "unknown"
        ]

    @property
    def verified(self) -> bool:
        """True when every link of the tree has been checked and holds, and so does the whole chain."""
        return not self.failures() and (self.check is None or self.check.ok is True)

    def _repr_latex_(self) -> str:
        """Jupyter shows a derivation as an aligned chain: `lhs &= e1` on the first row, then `&= e2`, …, each with its rule."""
        rows = [rf"&= {sp.latex(s.rhs)} && \text{{{s.rule}}}" for s in self.steps] or [""]
        rows[0] = f"{sp.latex(self.lhs)} {rows[0]}".rstrip()
        return r"$\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}$"
