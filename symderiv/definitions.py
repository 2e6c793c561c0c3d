"""Named quantities (σ_i := e^{x_i}/Σ_j e^{x_j}, z := σ(p₂)): matching, unfolding and folding back."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp


@dataclass(frozen=True, kw_only=True)
class Definition:
    """`name := expr`, where the symbols in `params` (an index i, an argument u) are pattern variables."""

    name: sp.Expr
    expr: sp.Expr
    params: tuple[sp.Symbol, ...] = ()
    note: str = ""

    def bind(self, candidate: sp.Expr) -> dict | None:
        """The parameter values that make `name` equal `candidate`, or None."""
        return match(self.name, candidate, self.params)

    def instances(self, expr: sp.Expr) -> dict[sp.Expr, sp.Expr]:
        """Every occurrence of the name in `expr`, mapped to its defining expression."""
        found = {}
        for node in sp.preorder_traversal(expr):
            if node in found:
                continue
            binding = self.bind(node)
            if binding is not None:
                found[node] = self.expr.xreplace(binding)
        return found


def match(pattern: sp.Basic, candidate: sp.Basic, params: tuple) -> dict | None:
    """Structural match in which each symbol of `params` stands for any subexpression."""
    binding: dict = {}

    def walk(p, c) -> bool:
        if p in params:
            if p in binding:
                return binding[p] == c
            binding[p] = c
            return True
        if not p.args or not c.args:
            return p == c
        return p.func == c.func and len(p.args) == len(c.args) and all(map(walk, p.args, c.args))

    return binding if walk(pattern, candidate) else None


def instances(expr: sp.Expr, definitions: tuple[Definition, ...]) -> dict[sp.Expr, sp.Expr]:
    """Every named quantity occurring in `expr`, mapped to its definition."""
    found = {}
    for definition in definitions:
        found.update(definition.instances(expr))
    return found


def unfold(expr: sp.Expr, definitions: tuple[Definition, ...], keep: frozenset = frozenset()) -> sp.Expr:
    """Replace named quantities by their definitions until none is left (except those in `keep`)."""
    for _ in range(64):
        found = {name: value for name, value in instances(expr, definitions).items() if name not in keep}
        if not found:
            return expr
        expr = expr.xreplace(found)
    raise RecursionError("definitions refer to each other in a cycle")


def fold(expr: sp.Expr, definition: Definition) -> sp.Expr:
    """Write `expr` in terms of the defined name: replace its expansion, or solve for its exponential."""
    pattern = definition.expr
    direct = {}
    for node in sp.preorder_traversal(expr):
        binding = match(pattern, node, definition.params)
        if binding is not None:
            direct[node] = definition.name.xreplace(binding)
    if direct:
        expr = expr.xreplace(direct)
    replaced = _replace_exponentials(expr, definition)
    return sp.cancel(replaced) if replaced != expr else expr


def _replace_exponentials(expr: sp.Expr, definition: Definition) -> sp.Expr:
    """Each e^{m·a}, where e^{a} is the key exponential of the definition, becomes (solution)^m."""
    keys = [node for node in definition.expr.atoms(sp.exp) if not _has_bound_symbol(node, definition.expr)]
    if len(keys) != 1:
        return expr
    key_arg = keys[0].args[0]

    def rewrite(node):
        factors = []
        for term in sp.Add.make_args(node.args[0]):
            coefficient, rest = term.as_coeff_Mul()
            for sign in (1, -1):
                binding = match(key_arg, sign * rest, definition.params)
                if binding is not None:
                    factors.append(_solve_key(definition, binding) ** (sign * coefficient))
                    break
            else:
                factors.append(sp.exp(term))
        return sp.Mul(*factors)

    bound = {limit[0] for s in expr.atoms(sp.Sum) for limit in s.limits}
    return expr.replace(lambda n: isinstance(n, sp.exp) and not (n.free_symbols & bound), rewrite)


def _solve_key(definition: Definition, binding: dict) -> sp.Expr:
    """The key exponential of a definition instance, expressed through the name (e^{x_i} = σ_i·Σ_j e^{x_j})."""
    return _solve_key_cached(definition.name.xreplace(binding), definition.expr.xreplace(binding))


@lru_cache(maxsize=256)
def _solve_key_cached(name: sp.Expr, value: sp.Expr) -> sp.Expr:
    (key,) = [n for n in value.atoms(sp.exp) if not _has_bound_symbol(n, value)]
    unknown = sp.Dummy("t", positive=True)
    solutions = sp.solve(sp.Eq(name, value.xreplace({key: unknown})), unknown)
    if len(solutions) != 1:
        raise ValueError(f"cannot solve {name} = {value} for {key}")
    return solutions[0]


def _has_bound_symbol(node: sp.Expr, within: sp.Expr) -> bool:
    """Whether `node` uses a summation index bound somewhere in `within`."""
    bound = set()
    for s in within.atoms(sp.Sum):
        bound.update(limit[0] for limit in s.limits)
    return bool(node.free_symbols & bound)
