"""What a rule needs to know: the variable, the named quantities, the method, and which indices differ."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import sympy as sp

from symderiv.model.definitions import Definition, instances, lookup
from symderiv.model.symbols import N

METHODS = ("auto", "quotient", "reciprocal")


@dataclass(frozen=True, kw_only=True)
class Context:
    """The variable of differentiation and the facts the planner may use about it."""

    var: sp.Expr
    definitions: tuple[Definition, ...] = ()
    method: str = "auto"
    distinct: frozenset = frozenset()
    notes: tuple[tuple[sp.Expr, str], ...] = ()
    ranges: tuple[tuple[sp.Symbol, sp.Symbol], ...] = ()  # the size of each free index (k ∈ 1..M); N if absent
    memo: dict = field(default_factory=dict, init=False, compare=False, hash=False, repr=False)

    def __hash__(self) -> int:
        if "hash" not in self.memo:
            self.memo["hash"] = hash((self.var, self._facts_hash()))
        return self.memo["hash"]

    def _facts_hash(self) -> int:
        """The hash of everything but the variable, computed once and handed on by `at` (long definition tuples)."""
        if "facts" not in self.memo:
            self.memo["facts"] = hash((self.definitions, self.method, self.distinct, self.notes, self.ranges))
        return self.memo["facts"]

    def at(self, var: sp.Expr) -> Context:
        """The same facts, differentiating by another variable."""
        moved = replace(self, var=var)
        moved.memo["facts"] = self._facts_hash()
        return moved

    def sized(self, pairs: tuple) -> Context:
        """The same facts, plus the sizes of more indices (k ∈ 1..M for the index of a chain's sum)."""
        new = tuple(pair for pair in pairs if pair not in self.ranges and pair[1] != N)
        return replace(self, ranges=self.ranges + new) if new else self

    def assuming_distinct(self, a: sp.Symbol, b: sp.Symbol) -> Context:
        """The same facts, plus a ≠ b."""
        return replace(self, distinct=self.distinct | {frozenset((a, b))})

    def note_for(self, lhs: sp.Expr) -> str:
        """The annotation the question attaches to this derivative, if any."""
        return next((text for key, text in self.notes if key == lhs), "")

    def named(self, expr: sp.Expr) -> dict[sp.Expr, sp.Expr]:
        """The named quantities occurring in `expr` other than the variable, with their definitions."""
        var = self.var
        same = (lambda q: isinstance(q, sp.Indexed) and q.base == var.base) if isinstance(var, sp.Indexed) else (lambda q: False)
        return {k: v for k, v in instances(expr, self.definitions).items() if k != var and not same(k)}

    def definition_of(self, expr: sp.Expr) -> Definition | None:
        """The definition whose name `expr` is an instance of."""
        return lookup(expr, self.definitions)

    def occurs(self, expr: sp.Expr) -> bool:
        """Whether the variable occurs literally in `expr` (for x_k: some x_a with a = k, or a ≠ k undecided)."""
        var = self.var
        if isinstance(var, sp.Indexed):
            return any(self._may_equal(node, var) for node in expr.atoms(sp.Indexed))
        return var in expr.free_symbols or (not var.is_Symbol and expr.has(var))

    def depends(self, expr: sp.Expr) -> bool:
        """Whether `expr` depends on the variable, literally or through a named quantity."""
        return _depends(expr, self)

    def ambiguous_indices(self, expr: sp.Expr) -> list[sp.Symbol]:
        """Free indices a of x_a in `expr` whose relation to the variable's index k is not known."""
        var = self.var
        if not isinstance(var, sp.Indexed) or len(var.indices) != 1:
            return []
        k = var.indices[0]
        unfolded = unfold_once(self, expr)
        bound = _bound_symbols(expr) | _bound_symbols(unfolded)
        found = []
        for node in expr.atoms(sp.Indexed) | unfolded.atoms(sp.Indexed):
            a = node.indices[0]
            if node.base == var.base and a != k and a.is_Symbol and a not in bound and a not in found:
                if frozenset((a, k)) not in self.distinct:
                    found.append(a)
        return found

    def size_of(self, k: sp.Expr) -> sp.Expr:
        """The size M of the range 1..M of the free index k (N unless the question sums k's places over M)."""
        return dict(self.ranges).get(k, N)

    def _may_equal(self, node: sp.Indexed, var: sp.Indexed) -> bool:
        if node.base != var.base or len(node.indices) != len(var.indices):
            return False
        return all(self._may_equal_index(a, k) for a, k in zip(node.indices, var.indices))

    def _may_equal_index(self, a: sp.Expr, k: sp.Expr) -> bool:
        if a == k:
            return True
        if a.is_Integer and k.is_Integer:
            return False
        return frozenset((a, k)) not in self.distinct


def unfold_once(ctx: Context, expr: sp.Expr) -> sp.Expr:
    """`expr` with each named quantity replaced by its definition, one level deep."""
    found = ctx.named(expr)
    return expr.xreplace(found) if found else expr


def _bound_symbols(expr: sp.Expr) -> set:
    return {limit[0] for s in expr.atoms(sp.Sum) for limit in s.limits}


def _depends(expr: sp.Expr, ctx: Context) -> bool:
    """Memoised per context, walked without recursion; a quantity met again while its answer is pending is a cycle."""
    memo, children, stack, opened = ctx.memo, {}, [expr], []
    try:
        while stack:
            node = stack[-1]
            key = ("depends", node)
            if memo.get(key) is not None:
                stack.pop()
                continue
            if key not in memo:
                if ctx.occurs(node):
                    memo[key] = True
                    stack.pop()
                    continue
                memo[key] = None
                opened.append(key)
                children[node] = list(ctx.named(node).values())
            states = [memo.get(("depends", child), "new") for child in children[node]]
            if None in states and True not in states:
                raise RecursionError("named quantities refer to each other in a cycle")
            if True in states or "new" not in states:
                memo[key] = True in states
                stack.pop()
            else:
                stack.append(children[node][states.index("new")])
    except RecursionError:
        for key in opened:
            if memo.get(key, False) is None:
                del memo[key]
        raise
    return memo[("depends", expr)]
