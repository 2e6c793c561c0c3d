"""General index calculus: Σ differentiated term by term for any summand, δ's sifted out of (nested) sums within
their ranges, and the chain rule through indexed named quantities (vector backprop)."""
from __future__ import annotations

import sympy as sp

from symderiv.derive import rules as r
from symderiv.derive.context import Context
from symderiv.derive.rearrange import fold_steps, tidy_step
from symderiv.model.definitions import unfold
from symderiv.model.ranges import RangeConflict, index_ranges
from symderiv.model.steps import Step
from symderiv.model.symbols import N, index, sift_term


def sizes_in(expr: sp.Expr, var: sp.Expr, definitions=()) -> tuple:
    """The size of each free index of the question (k ∈ 1..M when x is summed over 1..M), N by default.

    Sizes that conflict (x summed over 1..N and over 1..M) give none: each sift then states its range."""
    bodies = []
    for d in definitions:
        own = {p: sp.Dummy(str(p), integer=True) for p in d.params}
        bodies += [d.name.xreplace(own), d.expr.xreplace(own)]
    try:
        found = index_ranges(expr, var, *bodies)
    except RangeConflict:
        return ()
    return tuple(sorted(((k, size) for k, size in found.items() if size != N), key=str))


class IndexedSum(r.Rule):
    """∂/∂x_k Σ_j f_j = Σ_j ∂f_j/∂x_k, for any summand; then each δ_jk is sifted out of its sum (kronecker)."""

    id, statement = "index-linearity", r"\frac{\partial}{\partial x_k} \sum_{j} f_j = \sum_{j} \frac{\partial f_j}{\partial x_k}"

    def applies(self, f, ctx):
        return isinstance(f, sp.Sum) and isinstance(ctx.var, sp.Indexed)

    def steps(self, f, ctx, planner):
        inner = planner.derive(f.function, ctx)
        first = Step(rule=self.id, rhs=sp.Sum(inner.result, *f.limits), uses=(inner,))
        return (first,) + sift_steps(first.rhs, ctx)


def sift_steps(expr: sp.Expr, ctx: Context) -> tuple[Step, ...]:
    """The kronecker step that sifts every δ out of the sums of `expr`, when it changes anything."""
    sifted = sift_all(expr, ctx)
    return (Step(rule="kronecker", rhs=sifted),) if sifted != expr else ()


def sift_all(expr: sp.Expr, ctx: Context) -> sp.Expr:
    """Σ_{j=a}^{b} f_j·δ_jk = f_k (when a ≤ k ≤ b), in every sum, innermost first; other terms stay summed.

    A δ that does not involve a sum's own index is moved out of it first, so that an outer sum can sift it."""
    def sift(node):
        if len(node.limits) > 1:  # Σ_i Σ_j: the inner index first, then the outer ones on what is left
            first = sift(sp.Sum(node.function, node.limits[0]))
            first = first.replace(lambda n: isinstance(n, sp.Sum), _deltas_out)
            return sp.Sum(first, *node.limits[1:]) if isinstance(first, sp.Sum) else sift(sp.Sum(first, *node.limits[1:]))
        moved = _deltas_out(node)
        if isinstance(moved, sp.Sum):
            return _sift_sum(moved, ctx)
        return moved.func(*[_sift_sum(a, ctx) if isinstance(a, sp.Sum) else a for a in moved.args])

    return expr.replace(lambda n: isinstance(n, sp.Sum) and n.has(sp.KroneckerDelta), sift)


def _deltas_out(node: sp.Sum) -> sp.Expr:
    """Σ_j δ_ik·f_j = δ_ik·Σ_j f_j: the δ factors free of every index of the sum, in front of it."""
    own = {j for j, *_ in node.limits}
    factors = _factors(node.function)
    out = [f for f in factors if isinstance(f, sp.KroneckerDelta) and not (f.free_symbols & own)]
    if not out:
        return node
    return sp.Mul(*out) * sp.Sum(sp.Mul(*[f for f in factors if f not in out]), *node.limits)


def _sift_sum(node: sp.Sum, ctx: Context) -> sp.Expr:
    """One sum (of one or more limits, the innermost first) with its δ's on the summation index sifted."""
    (j, low, high), *outer = node.limits
    body = node.function
    if not any(_partner(d, j) is not None for d in body.atoms(sp.KroneckerDelta)):
        inner = sp.Sum(body, (j, low, high))
    else:
        inner = sp.Add(*[_sift_term(term, j, low, high, ctx) for term in _sift_terms(body, j)])
    return sp.Sum(inner, *outer) if outer else inner


def _sift_terms(body: sp.Expr, j: sp.Symbol) -> list[sp.Expr]:
    """The terms of the summand, a product distributed over its sums only when no δ_jk is a factor already."""
    terms = []
    for term in sp.Add.make_args(body):
        direct = any(_partner(f, j) is not None for f in _factors(term))
        if direct or not any(_partner(d, j) is not None for d in term.atoms(sp.KroneckerDelta)):
            terms.append(term)
        else:
            spread = sp.expand(term, deep=False, power_base=False, power_exp=False, log=False, multinomial=False)
            terms += list(sp.Add.make_args(spread)) if spread != term else [term]
    return terms


def _sift_term(term: sp.Expr, j: sp.Symbol, low, high, ctx: Context) -> sp.Expr:
    """Σ_j term: sifted when a factor of the term is δ_jk with k free of j, else kept as a sum."""
    factors = _factors(term)
    for factor in factors:
        k = _partner(factor, j)
        if k is not None:
            rest = sp.Mul(*[f for f in factors if f is not factor])
            return sift_term(rest.xreplace({j: k}), k, low, high, ctx.size_of(k))
    return sp.Sum(term, (j, low, high))


def _factors(term: sp.Expr) -> list[sp.Expr]:
    """The factors of a product, nested products (kept unevaluated by a rule) flattened."""
    if not isinstance(term, sp.Mul):
        return [term]
    return [f for a in term.args for f in _factors(a)]


def _partner(delta: sp.Expr, j: sp.Symbol) -> sp.Expr | None:
    """The value of j that δ fixes: k for δ_jk, k − c for δ_{j+c, k}; None when δ does not fix j."""
    if not isinstance(delta, sp.KroneckerDelta) or j not in delta.free_symbols:
        return None
    a, b = delta.args if j in delta.args[0].free_symbols else delta.args[::-1]
    shift = a - j
    if j in b.free_symbols or j in shift.free_symbols or not shift.is_Integer:
        return None
    return b - shift


class IndexedChain(r.Rule):
    """Through an indexed named quantity y: ∂f/∂v = Σ_i ∂f/∂y_i · ∂y_i/∂v, each factor derived, then δ's sifted."""

    id, statement = "chain-index", r"\frac{\partial f}{\partial v} = \sum_{i} \frac{\partial f}{\partial y_i} \frac{\partial y_i}{\partial v}"
    tidies_itself = True

    def instance_of(self, previous, step, cited, facts=None):
        """∂f/∂v = Σ_{i=1}^{B} ∂f/∂y_i·∂y_i/∂v: f reaches v only through y, and B is the size of y's index in f."""
        if cited or not isinstance(previous, sp.Derivative) or not isinstance(step.rhs, sp.Sum):
            return False
        f, v = previous.expr, previous.variables[0]
        factors = [a for a in sp.Mul.make_args(step.rhs.function) if isinstance(a, sp.Derivative)]
        if len(factors) != 2 or len(sp.Mul.make_args(step.rhs.function)) != 2:
            return False
        outer, inner = sorted(factors, key=lambda d: d.expr != f)
        y = outer.variables[0]
        indices = tuple(j for j, *_ in step.rhs.limits)
        if outer.expr != f or inner.expr != y or inner.variables[0] != v or not isinstance(y, sp.Indexed):
            return False
        if tuple(y.indices) != indices or any(low != 1 for _, low, _ in step.rhs.limits):
            return False
        definitions = tuple(facts.definitions) if facts else ()
        rest = unfold(f, definitions, keep_vectors=frozenset({y.base}))
        leaf = v.base if isinstance(v, sp.Indexed) else v
        if any(q.base == leaf for q in rest.atoms(sp.Indexed)) or leaf in rest.free_symbols:
            return False
        sizes = [_size_at(f, y.base, place, None) for place in range(len(indices))]
        return sizes == [high for _, _, high in step.rhs.limits]

    def applies(self, f, ctx):
        return self.through(f, ctx) is not None

    def through(self, f, ctx) -> tuple | None:
        """(y, its index symbols, their sizes) when f depends on the variable only through components of y."""
        key = ("through", f)
        if key not in ctx.memo:
            ctx.memo[key] = self._through(f, ctx)
        return ctx.memo[key]

    def _through(self, f, ctx):
        if ctx.occurs(f) or ctx.definition_of(f) is not None:
            return None
        dependent = [q for q in ctx.named(f) if ctx.depends(q) and isinstance(q, sp.Indexed)]
        bases = {q.base for q in dependent}
        if len(bases) != 1 or any(not isinstance(q, sp.Indexed) for q in ctx.named(f) if ctx.depends(q)):
            return None
        definition = ctx.definition_of(dependent[0])
        if definition is None or len(definition.params) != len(dependent[0].indices):
            return None
        if not definition.expr.has(sp.Sum):  # y_i = f(p_i) elementwise: unfolded in place, no chain over i
            return None
        sizes = [_size_at(f, dependent[0].base, place, ctx) for place in range(len(definition.params))]
        if any(size is None for size in sizes) or not any(summed_over(q, f) for q in dependent):
            return None
        return dependent[0].base, sizes

    def steps(self, f, ctx, planner):
        base, sizes = self.through(f, ctx)
        taken = {str(s) for s in (f.free_symbols | ctx.var.free_symbols)}
        spare = [index(n) for n in ("l", "m", "n", "p", "q", "r", "s", "u", "v") + tuple(f"i{n}" for n in range(99))
                 if n not in taken]
        chain_indices = spare[:len(sizes)]
        y = base[tuple(chain_indices)]
        ctx = ctx.sized(tuple(zip(chain_indices, sizes)))
        outer = planner.derive(f, ctx.at(y))
        inner = planner.derive(y, ctx)
        limits = [(i, 1, size) for i, size in zip(chain_indices, sizes)]
        leibniz = sp.Sum(r.product(outer.lhs, inner.lhs), *limits)
        rhs = leibniz.xreplace({outer.lhs: outer.result, inner.lhs: inner.result})
        steps = (Step(rule=self.id, rhs=leibniz), Step(rule="substitute", rhs=rhs, uses=(outer, inner)))
        steps += sift_steps(rhs, ctx)
        for definition in dict.fromkeys(ctx.definitions):
            steps += fold_steps(steps[-1].rhs, definition)
        return steps + tidy_step(steps[-1].rhs)


def _size_at(f: sp.Expr, base: sp.IndexedBase, place: int, ctx: Context) -> sp.Expr | None:
    """The size of the `place`-th index of `base` in f: the upper limit of a sum over it from 1."""
    for node in f.atoms(sp.Sum):
        for j, low, high in node.limits:
            for q in node.function.atoms(sp.Indexed):
                if q.base == base and len(q.indices) > place and q.indices[place] == j and low == 1:
                    return high
    free = [q.indices[place] for q in f.atoms(sp.Indexed) if q.base == base and q.indices[place].is_Symbol]
    return (ctx.size_of(free[0]) if ctx is not None else N) if free else None


def summed_over(q: sp.Expr, f: sp.Expr) -> bool:
    """Whether some index of the component q is summed over in f (y_i in Σ_i (y_i − t_i)²)."""
    bound = {j for node in f.atoms(sp.Sum) for j, *_ in node.limits}
    return isinstance(q, sp.Indexed) and bool(set(q.indices) & bound)


def sifted_for(previous: sp.Expr, definitions: tuple = ()) -> sp.Expr:
    """`previous` with its δ's sifted within the sizes read off it and the definitions (the kronecker kind's check)."""
    from symderiv.derive.context import Context

    own = [n for n in previous.atoms(sp.Sum) if any(j in d.free_symbols for d in n.function.atoms(sp.KroneckerDelta)
                                                     for j, *_ in n.limits)]
    if not own:
        return None  # nothing to sift: not a kronecker step
    ranges = sizes_in(previous, sp.S.Zero, definitions)
    return sift_all(previous, Context(var=sp.S.Zero, definitions=tuple(definitions), ranges=ranges))
