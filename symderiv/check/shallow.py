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
    names, bases = set(), set()
    for d in definitions:
        kept = dict(keep_vectors=frozenset({target})) if isinstance(target, sp.IndexedBase) else dict(keep=frozenset({target}))
        body = unfold(d.expr, definitions, **kept)  # the target itself kept, so that reaching it shows
        reached = any(q.base == target for q in body.atoms(sp.Indexed)) or target in body.free_symbols
        if d.name == target or (isinstance(d.name, sp.Indexed) and d.name.base == target) or reached:
            continue
        (bases.add(d.name.base) if d.params else names.add(d.name))
    return frozenset(names), frozenset(bases)


def chained(definitions: tuple[Definition, ...]) -> bool:
    """Whether some indexed definition refers to another named quantity (vector layers: unfolding nests deeply)."""
    return any(d.params and instances(d.expr, tuple(definitions)) for d in definitions)


def one_level(expr: sp.Expr, definitions: tuple[Definition, ...]) -> sp.Expr:
    """Each named quantity in `expr` replaced by its definition, once."""
    found = instances(expr, tuple(definitions))
    return expr.xreplace(found) if found else expr


def has_names(expr: sp.Expr, definitions: tuple[Definition, ...]) -> bool:
    return bool(instances(expr, tuple(definitions)))
