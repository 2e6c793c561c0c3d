"""Named quantities kept as symbols where that is enough: the checker's way to stay linear in deep networks.

Two sound shortcuts. (1) Differentiating by v, a named quantity whose definition does not reach v is a constant:
it is kept as a symbol instead of being unfolded down to the inputs. (2) A link that holds with the names in it
kept as independent symbols holds for their actual values too; so a link is first decided with its names kept,
then with them unfolded one level, and only then with everything unfolded. Only a proof is taken from (2): a
link that does not hold with names kept is decided again with the names unfolded.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from symderiv.model.definitions import Definition, instances, unfold


def constants_for(variable: sp.Expr, definitions: tuple[Definition, ...]) -> tuple[frozenset, frozenset]:
    """The names (without parameters) and vector bases (with) whose definitions do not reach `variable`."""
    return _constants(variable.base if isinstance(variable, sp.Indexed) else variable, tuple(definitions))


@lru_cache(maxsize=512)
def _constants(target, definitions: tuple) -> tuple[frozenset, frozenset]:
    refs = _references(definitions)
    reaching: dict = {}

    def reaches(key) -> bool:  # through the graph of direct references, each name once
        if key not in reaching:
            reaching[key] = False
            reaching[key] = any(r == target or (r in refs and reaches(r)) for r in refs[key])
        return reaching[key]

    names, bases = set(), set()
    for d in definitions:
        key = _key(d)
        if key == target or reaches(key):
            continue
        if isinstance(d.name, sp.Indexed):
            bases.add(d.name.base)
        elif not d.params:
            names.add(d.name)  # a patterned name such as σ(u) := 1/(1 + e^{−u}) is a rewriting, never kept
    return frozenset(names), frozenset(bases)


def _key(d: Definition):
    return d.name.base if isinstance(d.name, sp.Indexed) else d.name


@lru_cache(maxsize=64)
def _references(definitions: tuple) -> dict:
    """Each definition's key (a name, or a vector's base) with what its body mentions: names, bases, symbols."""
    refs = {}
    for d in definitions:
        mentioned = {q.base for q in d.expr.atoms(sp.Indexed)} | set(d.expr.free_symbols)
        mentioned |= {_key(e) for e in definitions if not e.params and d.expr.has(e.name)}
        refs[_key(d)] = mentioned
    return refs


@lru_cache(maxsize=64)
def chained(definitions: tuple[Definition, ...]) -> bool:
    """Whether some indexed definition refers to another named quantity (vector layers: unfolding nests deeply)."""
    return any(d.params and instances(d.expr, tuple(definitions)) for d in definitions)


def top_level(sides: list, definitions: tuple[Definition, ...]) -> list:
    """The sides with their highest named quantities unfolded once (a := σ(p) before p := Wx + b), so that both
    sides come down the same levels of the network together."""
    found = [instances(side, tuple(definitions)) for side in sides]
    levels = _levels(tuple(definitions))
    level = lambda q: levels.get(q.base if isinstance(q, sp.Indexed) else q, 0)  # noqa: E731
    top = max((level(q) for names in found for q in names), default=0)
    return [side.xreplace({q: v for q, v in names.items() if level(q) == top}) for side, names in zip(sides, found)]


@lru_cache(maxsize=64)
def _levels(definitions: tuple) -> dict:
    """Each name's level: 1 + the highest level of the names in its definition (1 for none)."""
    key = lambda d: d.name.base if d.params else d.name  # noqa: E731
    levels: dict = {}
    for _ in range(len(definitions) + 1):
        for d in definitions:
            inner = [levels.get(q.base if isinstance(q, sp.Indexed) else q, 0) for q in instances(d.expr, definitions)]
            levels[key(d)] = 1 + max(inner, default=0)
    return levels


def has_names(expr: sp.Expr, definitions: tuple[Definition, ...]) -> bool:
    return bool(instances(expr, tuple(definitions)))
