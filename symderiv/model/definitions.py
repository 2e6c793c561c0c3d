"""Named quantities (σ_i := e^{x_i}/Σ_j e^{x_j}, z := σ(p₂)): matching, unfolding and folding back."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import sympy as sp

from symderiv.model.errors import InputError
from symderiv.model.limits import build_problem, node_problem

MAX_DEFINITIONS = 200  # named quantities in one question
MAX_COMBINED_DEPTH = 128  # levels of an expression once every name in it is replaced by its definition
MAX_COMBINED_PARTS = 20000  # parts of that expression, each name counted once for every place it occurs


@dataclass(frozen=True, kw_only=True)
class Definition:
    """`name := expr`, where the symbols in `params` (an index i, an argument u) are pattern variables."""

    name: sp.Expr
    expr: sp.Expr
    params: tuple[sp.Symbol, ...] = ()
    note: str = ""

    def __hash__(self) -> int:
        return self._hash

    @cached_property
    def _hash(self) -> int:
        """Computed once: definitions are hashed often, as keys of the planner's and checker's caches."""
        return hash((self.name, self.expr, self.params, self.note))

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
    plain, patterned = _split(tuple(definitions))
    found = {name: plain[name] for name in _plain_names_in(expr, plain)}
    for definition in patterned:
        found.update(definition.instances(expr))
    return found


def unfold(expr: sp.Expr, definitions: tuple[Definition, ...], keep: frozenset = frozenset()) -> sp.Expr:
    """Replace named quantities by their definitions until none is left (except those in `keep`)."""
    definitions = tuple(definitions)
    closure = _plain_closure(definitions, frozenset(keep))
    _, patterned = _split(definitions)
    for _ in range(64):
        found = {name: closure[name] for name in _plain_names_in(expr, closure)}
        for definition in patterned:
            found.update((k, v) for k, v in definition.instances(expr).items() if k not in keep)
        if not found:
            return expr
        expr = expr.xreplace(found)
    raise RecursionError("definitions refer to each other in a cycle")


def check_combined(roots: dict, definitions: tuple[Definition, ...]) -> None:
    """Each expression of `roots` (mapped to how messages name it), with every parameterless name replaced by its
    definition, keeps the parser's caps on numbers and exponents, at most MAX_COMBINED_DEPTH levels and
    MAX_COMBINED_PARTS parts; else InputError.

    Substitution runs bottom-up without recursion and checks each node before building it, so 2**y with
    y := 10**99 is refused, never computed."""
    table = {d.name: d.expr for d in definitions if not d.params}
    built, size = {}, {}
    for root, what in roots.items():
        stack = [root]
        while stack:
            node = stack[-1]
            if node in built:
                stack.pop()
                continue
            parts = (table[node],) if node in table else node.args
            waiting = [part for part in parts if part not in built]
            if waiting:
                if node in size:
                    raise InputError("the definitions refer to each other in a cycle.")
                size[node] = None
                stack.extend(waiting)
                continue
            stack.pop()
            named = node in table
            size[node] = levels, count = (max((size[p][0] for p in parts), default=0) + (not named),
                                          sum(size[p][1] for p in parts) + (not named))
            built[node] = (f"is nested too deeply (more than {MAX_COMBINED_DEPTH} levels)" if levels > MAX_COMBINED_DEPTH
                           else f"is too large (more than {MAX_COMBINED_PARTS} parts)" if count > MAX_COMBINED_PARTS
                           else _rebuilt(node, [built[p] for p in parts], named))
            if isinstance(built[node], str):
                raise InputError(f"with its definitions substituted, {what} {built[node]}.")


def _rebuilt(node: sp.Expr, parts: list, named: bool):
    """The node over its substituted parts (a name is its definition's value), or what building it would break."""
    if named:
        return parts[0]
    if all(new is old for new, old in zip(parts, node.args)):
        return node
    problem = build_problem(node.func, tuple(parts))
    if problem:
        return problem
    try:
        value = node.func(*parts)
    except (TypeError, ValueError, ArithmeticError, NotImplementedError) as error:
        return f"cannot be built ({error})"
    return node_problem(value) or value


def lookup(expr: sp.Expr, definitions: tuple[Definition, ...]) -> Definition | None:
    """The definition whose name `expr` is an instance of (a table look-up for names without parameters)."""
    definitions = tuple(definitions)
    found = _tables(definitions)[2].get(expr)
    return found or next((d for d in _split(definitions)[1] if d.bind(expr) is not None), None)


def _split(definitions: tuple[Definition, ...]) -> tuple[dict, tuple[Definition, ...]]:
    """The definitions without parameters as a table name → value, and those with parameters."""
    return _tables(definitions)[:2]


_TABLES: dict[int, tuple] = {}


def _tables(definitions: tuple[Definition, ...]) -> tuple[dict, tuple, dict]:
    """Look-up tables of a definitions tuple, kept by the tuple's identity (hashing a long tuple costs more)."""
    entry = _TABLES.get(id(definitions))
    if entry is None or entry[0] is not definitions:
        if len(_TABLES) >= 256:
            _TABLES.clear()
        plain = {d.name: d.expr for d in definitions if not d.params}
        patterned = tuple(d for d in definitions if d.params)
        by_name = {d.name: d for d in reversed(definitions) if not d.params}
        entry = _TABLES[id(definitions)] = (definitions, (plain, patterned, by_name))
    return entry[1]


@lru_cache(maxsize=256)
def _plain_closure(definitions: tuple[Definition, ...], keep: frozenset) -> _Closure:
    """Each parameterless name (not kept), mapped to its value with the parameterless names inside unfolded too."""
    return _Closure({name: value for name, value in _split(definitions)[0].items() if name not in keep})


class _Closure(dict):
    """name → value with the names inside unfolded, each worked out when first asked for (with the names it
    uses): unfolding the first layer of a deep network never builds the fully unfolded last layer."""

    def __init__(self, values: dict):
        super().__init__()
        self.values = values

    def __contains__(self, name) -> bool:
        return name in self.values

    def __iter__(self):
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def __missing__(self, name):
        needed = _bottom_up({n: self.values[n] for n in _reachable(name, self.values) if not dict.__contains__(self, n)})
        for n in needed:
            inner = {m: self[m] for m in _plain_names_in(self.values[n], self.values)}
            dict.__setitem__(self, n, self.values[n].xreplace(inner) if inner else self.values[n])
        return dict.__getitem__(self, name)


def _reachable(name, values: dict) -> set:
    """`name` and every name its value uses, directly or through other names."""
    seen, stack = {name}, [name]
    while stack:
        for inner in _plain_names_in(values[stack.pop()], values):
            if inner not in seen:
                seen.add(inner)
                stack.append(inner)
    return seen


def _bottom_up(values: dict) -> list:
    """The names of `values`, each after the names its value uses (iterative, so any depth of chain is fine)."""
    order, opened, done = [], set(), set()
    for root in values:
        stack = [root]
        while stack:
            name = stack[-1]
            if name in done:
                stack.pop()
                continue
            waiting = [n for n in _plain_names_in(values[name], values) if n not in done]
            if not waiting:
                order.append(name)
                done.add(name)
                stack.pop()
            elif name in opened or any(n in opened for n in waiting):
                raise RecursionError("definitions refer to each other in a cycle")
            else:
                opened.add(name)
                stack.extend(waiting)
    return order


def _plain_names_in(expr: sp.Expr, table: dict) -> list:
    """The names of `table` that occur in `expr` (symbols by their free occurrence, others structurally)."""
    if not table:
        return []
    symbols = [name for name in expr.free_symbols if name in table]
    others = [name for name in table if not name.is_Symbol and expr.has(name)]
    return symbols + others


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
    if replaced == expr:
        return expr
    from symderiv.derive.rearrange import MAX_EXPANDED_TERMS, expansion_size  # algebra builds on this module

    return sp.cancel(replaced) if expansion_size(replaced) <= MAX_EXPANDED_TERMS else replaced


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
    try:
        return expr.replace(lambda n: isinstance(n, sp.exp) and not (n.free_symbols & bound), rewrite)
    except ValueError:  # the definition does not determine its exponential (q = sin(e^a)): nothing to replace
        return expr


def _solve_key(definition: Definition, binding: dict) -> sp.Expr:
    """The key exponential of a definition instance, expressed through the name (e^{x_i} = σ_i·Σ_j e^{x_j})."""
    return _solve_key_cached(definition.name.xreplace(binding), definition.expr.xreplace(binding))


@lru_cache(maxsize=256)
def _solve_key_cached(name: sp.Expr, value: sp.Expr) -> sp.Expr:
    """q = (a·t + b)/(c·t + d) in the key t gives t = (b − d·q)/(c·q − a)."""
    from symderiv.derive.rearrange import MAX_EXPANDED_TERMS, expansion_size

    if expansion_size(value) > MAX_EXPANDED_TERMS:
        raise ValueError(f"{name} = {value} is too large to solve for its exponential")
    (key,) = [n for n in value.atoms(sp.exp) if not _has_bound_symbol(n, value)]
    t = sp.Dummy("t")
    numerator, denominator = sp.fraction(sp.together(value.xreplace({key: t})))
    (a, b), (c, d) = (_linear_coefficients(part, t) for part in (numerator, denominator))
    if sp.expand(a * d - b * c) == 0:
        raise ValueError(f"{name} = {value} does not determine {key}")
    return sp.cancel((b - d * name) / (c * name - a))


def _linear_coefficients(expr: sp.Expr, t: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """(a, b) with expr = a·t + b, or ValueError when expr is not linear in t."""
    expanded = sp.expand(expr)
    a, b = expanded.coeff(t, 1), expanded.coeff(t, 0)
    if sp.expand(a * t + b - expanded) != 0:
        raise ValueError(f"{expr} is not linear in the key exponential")
    return a, b


def _has_bound_symbol(node: sp.Expr, within: sp.Expr) -> bool:
    """Whether `node` uses a summation index bound somewhere in `within`."""
    bound = set()
    for s in within.atoms(sp.Sum):
        bound.update(limit[0] for limit in s.limits)
    return bool(node.free_symbols & bound)
