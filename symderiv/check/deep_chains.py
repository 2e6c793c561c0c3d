"""Identities over deep chains of named quantities (z := σ(p₂), p₂ := w₂·y, …), decided on the definition graph.

Unfolding every name before comparing costs O(L²) per link of an L-layer chain (the derivative of an L-fold
composition is a product of L nested factors), so a whole network costs O(L³) and more. Here each named
quantity is evaluated once per sample point through its own definition, and ∂f/∂v by the chain rule over the
graph: the sum, over every path from f down to v, of the products of sympy's partial derivatives of single
definitions. Names are visited in one topological order, so no recursion grows with the depth. A derivative
through a few names goes forward from v; a longer one, such as ∂E/∂w_l for every layer l, takes one reverse sweep
from f per sample point (backpropagation), which gives ∂f/∂v for every v below f at once: checking a whole
network stays linear in the number of layers at each point.
"""
from __future__ import annotations

from functools import lru_cache

import mpmath
import sympy as sp

from symderiv.model.definitions import Definition, unfold
from symderiv.model.functions import SPECIAL_FUNCTIONS, expand_special
from symderiv.check import sampling
from symderiv.check.exact import exact_zero, without_shared_factors
from symderiv.model.steps import Check

MIN_NAMES = 6  # fewer reachable names than this: unfolding is cheap, the ordinary methods decide
SHORT_PATH = 1  # a derivative through at most this many names is done symbolically, names kept
EVALUATION_FAILURES = (sampling.Undefined, ValueError, TypeError, ZeroDivisionError, OverflowError)
SHORT_STRETCH = 8  # ∂f/∂v through more names than this: one reverse sweep from f gives ∂f/∂v for every v at once
EXACT_MAX_NODES = 120  # larger differences are not put over a common denominator (2^L terms for L factors)
SYMBOLIC_MAX_NODES = 4000  # larger links are not differentiated symbolically (a chain's product is linear in its length)


def decide_on_graph(a: sp.Expr, b: sp.Expr, definitions: tuple[Definition, ...]) -> Check | None:
    """a = b over a deep definition graph: exact when equal with names kept, else numeric; None if not applicable."""
    graph = Graph.of(tuple(definitions))
    if graph is None or not graph.applies(a, b):
        return None
    derivatives = [d for side in (a, b) for d in side.atoms(sp.Derivative)]
    short = all(graph.depth(d.expr, d.variables[0]) <= SHORT_PATH or graph.path(d.expr, d.variables[0])
                for d in derivatives)
    size = _size(a, SYMBOLIC_MAX_NODES) + _size(b, SYMBOLIC_MAX_NODES) if short else SYMBOLIC_MAX_NODES
    if size < SYMBOLIC_MAX_NODES:
        folded = (graph.folded(a), graph.folded(b))
        if None not in folded and (folded[0] == folded[1] or _identical(without_shared_factors(*folded))):
            return Check(ok=True, method="exact", detail="rational-function identity, derivatives along the chain "
                                                         "of names")
        sides = (graph.symbolic(a), graph.symbolic(b))
        attempts = (("kept", sides), ("unfolded down to the lowest names present", graph.unfold_higher(*sides)),
                    ("unfolded one level", tuple(graph.unfold_once(side) for side in sides)))
        for kept, (left, right) in attempts:  # the same expression: no algebra needed
            if left == right:
                return Check(ok=True, method="exact", detail=f"the same expression, named quantities {kept}")
        for kept, (left, right) in attempts if size <= EXACT_MAX_NODES else ():
            if _identical(left - right):
                return Check(ok=True, method="exact", detail=f"rational-function identity, named quantities {kept}")
    return graph.numeric(a, b)


@lru_cache(maxsize=64)
def _trusted(functions: frozenset) -> bool:
    """Whether sympy's derivative of every special function in `functions` (σ, relu: defined in this package) equals
    the derivative of its rewriting into exp and Piecewise, proved once for a real variable; built-ins are the oracle."""
    u = sp.Symbol("u", real=True)
    special = set(SPECIAL_FUNCTIONS.values())
    if any(f.__module__.startswith("symderiv") and f not in special for f in functions):
        return False  # a function of this package whose derivative is not proved here
    for function in functions & special:
        difference = expand_special(sp.diff(function(u), u)) - sp.diff(expand_special(function(u)), u)
        if exact_zero(difference) is not True and sp.piecewise_fold(difference.rewrite(sp.Piecewise)) != 0:
            return False  # relu′ = H(u, 0) against the cases of relu's own rewriting: the same in every case
    return True


def _evaluated(expr: sp.Expr) -> sp.Expr:
    """The expression rebuilt with sympy's evaluation, so a product grouped for the page, (y·(1 − y))·w, is flat."""
    if expr.is_Atom:
        return expr
    return expr.func(*[_evaluated(arg) for arg in expr.args])


def _size(expr: sp.Expr, cap: int) -> int:
    """The number of nodes of the expression tree, counted up to `cap`."""
    count = 0
    for count, _ in enumerate(sp.preorder_traversal(expr), 1):
        if count >= cap:
            break
    return count


def _identical(difference: sp.Expr) -> bool:
    """Zero as an expression in independent symbols (names included): sound for `=`, never a refutation."""
    return difference == 0 or _size(difference, EXACT_MAX_NODES + 1) <= EXACT_MAX_NODES and _zero(_renamed(difference))


def _renamed(expr: sp.Expr) -> sp.Expr:
    """The expression with its symbols renamed in order of appearance, assumptions kept: σ′(p₆) and σ′(p₇) are
    one identity, decided once."""
    symbols = list(dict.fromkeys(s for s in sp.preorder_traversal(expr) if isinstance(s, sp.Symbol)))
    return expr.xreplace({s: sp.Symbol(f"⟨{n}⟩", **s.assumptions0) for n, s in enumerate(symbols)})


@lru_cache(maxsize=1024)
def _zero(difference: sp.Expr) -> bool:
    return exact_zero(difference) is True


class Graph:
    """Names without parameters as nodes; each node's definition, with σ and relu rewritten, as its body."""

    def __init__(self, bodies: dict, patterned: tuple):
        self.patterned = patterned
        self.memo: dict = {}
        self.errors: dict = {}  # a bound on the rounding error of each memoised value (sampling.rounding_error)
        self.bodies = {name: self.local(value) for name, value in bodies.items()}
        self.raw = dict(bodies)  # the definitions as written (σ kept), for derivatives folded back into names
        self.folds = {value: name for name, value in bodies.items() if not value.is_Atom}
        self.raw_functions = frozenset(type(f) for value in bodies.values() for f in value.atoms(sp.Function))
        self.order = self._topological()
        self.position = {name: index for index, name in enumerate(self.order)}
        self.children = {name: sorted(self.bodies[name].free_symbols, key=str) for name in self.order}
        self.below: dict = {}
        above: dict = {}
        for name in self.order:  # every symbol (name or leaf) a name depends on, and the names above each symbol
            children = self.children[name]
            self.below[name] = frozenset(children).union(*[self.below[s] for s in children if s in self.bodies])
            for s in self.below[name]:
                above.setdefault(s, set()).add(name)
        self.above = {s: frozenset(names) for s, names in above.items()}

    @staticmethod
    @lru_cache(maxsize=64)
    def of(definitions: tuple[Definition, ...]) -> Graph | None:
        """The graph of the parameterless definitions whose names are symbols, or None when there are none."""
        bodies = {d.name: d.expr for d in definitions if not d.params and d.name.is_Symbol}
        return Graph(bodies, tuple(d for d in definitions if d.params)) if bodies else None

    def _topological(self) -> list:
        """The names, each after every name its body uses (iterative depth-first search)."""
        order, state = [], {}
        for root in sorted(self.bodies, key=str):
            stack = [root]
            while stack:
                name = stack[-1]
                if state.get(name) == "done":
                    stack.pop()
                    continue
                children = [s for s in sorted(self.bodies[name].free_symbols, key=str) if s in self.bodies]
                pending = [s for s in children if state.get(s) != "done"]
                if state.get(name) == "open" and not pending:
                    state[name] = "done"
                    order.append(stack.pop())
                    continue
                if state.get(name) == "open" or any(state.get(s) == "open" for s in pending):
                    raise RecursionError("definitions refer to each other in a cycle")
                state[name] = "open"
                stack.extend(pending)
        return order

    def local(self, expr: sp.Expr) -> sp.Expr:
        """The expression with parameterised definitions and σ, relu unfolded, its names left as they are."""
        key = ("local", expr)
        if key not in self.memo:
            self.memo[key] = expand_special(unfold(expr, self.patterned) if self.patterned else expr)
        return self.memo[key]

    def applies(self, a: sp.Expr, b: sp.Expr) -> bool:
        """Index-free sides, derivatives by symbols only, and enough names below them to make unfolding costly."""
        for side in (a, b):
            if side.has(sp.Sum, sp.KroneckerDelta, sp.Indexed, sp.MatrixSymbol):
                return False
            if any(len(d.variables) != 1 or not d.variables[0].is_Symbol for d in side.atoms(sp.Derivative)):
                return False
        names = {s for s in a.free_symbols | b.free_symbols if s in self.bodies}
        return len(names.union(*[self.below[s] for s in names]) & set(self.bodies)) >= MIN_NAMES

    def depends(self, f: sp.Expr, v: sp.Symbol) -> list:
        """The symbols of `f` through which f depends on v (v itself, or names with v below them)."""
        return [s for s in f.free_symbols if s == v or (s in self.bodies and v in self.below[s])]

    def depth(self, f: sp.Expr, v: sp.Symbol) -> int:
        """The number of names on the longest path from f down to v (0 when f uses v directly or not at all)."""
        depths = self._per_name("depth", v, lambda name, inner: max(inner, default=0))
        if f in self.bodies:
            return depths.get(f, 0)
        return max((depths.get(s, 0) + 1 for s in self.depends(f, v) if s != v), default=0)

    def _per_name(self, kind: str, v: sp.Symbol, combine) -> dict:
        """For every name above v, bottom-up: combine(name, [value of each child on a path to v])."""
        key = (kind, v)
        if key not in self.memo:
            table = {}
            for name in self.order:
                if name != v and v in self.below[name]:
                    inner = [table.get(s, 0) + 1 for s in self.depends(self.bodies[name], v) if s != v]
                    table[name] = combine(name, inner)
            self.memo[key] = table
        return self.memo[key]

    def partial(self, body: sp.Expr, s: sp.Symbol) -> sp.Expr:
        """sympy's partial derivative of one definition's body by one of its symbols, the others held fixed."""
        key = ("partial", body, s)
        if key not in self.memo:
            self.memo[key] = sp.diff(body, s)
        return self.memo[key]

    # --- symbolic, for short paths: names kept -------------------------------------------------------------

    def path(self, f: sp.Expr, v: sp.Symbol) -> list | None:
        """The names from f down to v when f is a name that depends on v along a single path, else None."""
        if f not in self.bodies or v not in self.below[f]:
            return None
        key = ("path", f, v)
        if key not in self.memo:
            self.memo[key] = self._path(f, v)
        return self.memo[key]

    def _path(self, f: sp.Symbol, v: sp.Symbol) -> list | None:
        between = self._between(v, f)
        inside = set(between) | {v}
        below = {}
        for name in between:
            on_path = [s for s in self.children[name] if s in inside]
            if len(on_path) != 1:
                return None
            below[name] = on_path[0]
        names = [f]
        while names[-1] != v:
            names.append(below[names[-1]])
        return names

    def symbolic_derivative(self, f: sp.Expr, v: sp.Symbol) -> sp.Expr:
        """∂f/∂v by the chain rule over the graph, in terms of the names (v held as a variable): along a single
        path, the product of one partial derivative per name; otherwise over every path (short paths only)."""
        names = self.path(f, v)
        if names is not None:
            return sp.Mul(*[self.partial(self.bodies[q], s) for q, s in zip(names, names[1:])])
        if f in self.bodies and f != v:
            return self.symbolic_derivative(self.bodies[f], v)
        f = self.local(f)
        return sp.Add(*[self.partial(f, s) * (1 if s == v else self.symbolic_derivative(s, v)) for s in self.depends(f, v)])

    def symbolic(self, expr: sp.Expr) -> sp.Expr:
        """The expression with each derivative done over the graph, and σ, relu unfolded; names kept."""
        done = {node: self.symbolic_derivative(node.expr, node.variables[0]) for node in expr.atoms(sp.Derivative)}
        return self.local(expr.xreplace(done))

    def folded(self, expr: sp.Expr) -> sp.Expr | None:
        """Each derivative along a single path as the product of the partial derivatives of the definitions as
        written, then every definition's right-hand side replaced by its name (z(1 − z) for ∂z/∂p with z := σ(p));
        None when a derivative is not along a single path or a definition uses a function not checked here."""
        if self.patterned or not _trusted(self.raw_functions):
            return None
        key = ("folded", expr)
        if key not in self.memo:
            done = {node: self._folded_derivative(node.expr, node.variables[0]) for node in expr.atoms(sp.Derivative)}
            self.memo[key] = None if None in done.values() else _evaluated(expr.xreplace(done).xreplace(self.folds))
        return self.memo[key]

    def _folded_derivative(self, f: sp.Expr, v: sp.Symbol) -> sp.Expr | None:
        """∂f/∂v along the single path of names from f down to v, the partials of the definitions as written."""
        key = ("folded derivative", f, v)
        if key not in self.memo:
            names = self.path(f, v)
            self.memo[key] = None if names is None else sp.Mul(*[self.partial(self.raw[q], s)
                                                                 for q, s in zip(names, names[1:])])
        return self.memo[key]

    def unfold_higher(self, left: sp.Expr, right: sp.Expr) -> tuple:
        """Both sides with each name that has another present name below it replaced by its definition (one level):
        σ(p)·(1 − σ(p)) against y·(1 − y) with y := σ(p) becomes an identity in p (a substitution: sound)."""
        names = {s for s in left.free_symbols | right.free_symbols if s in self.bodies}
        higher = {s: self.bodies[s] for s in names if any(t in self.below[s] for t in names if t != s)}
        return left.xreplace(higher), right.xreplace(higher)

    def unfold_once(self, expr: sp.Expr) -> sp.Expr:
        """Each name replaced by its definition, one level deep (a substitution: equality is preserved)."""
        return expr.xreplace({s: self.bodies[s] for s in expr.free_symbols if s in self.bodies})

    # --- numeric, at the oracle's sample points, at its two precisions -----------------------------------

    def point(self, n: int) -> dict:
        """The leaves' values at sample point n: the oracle's points over every leaf of the graph."""
        if "points" not in self.memo:
            leaves = set().union(*[sampling.variables_of(body) for body in self.bodies.values()]) - set(self.bodies)
            self.memo["leaves"] = sorted(leaves, key=sp.default_sort_key)
            self.memo["points"] = sampling.sample_points(self.memo["leaves"])
            self.memo["drawn"] = []
        drawn = self.memo["drawn"]
        while len(drawn) <= n:
            drawn.append(next(self.memo["points"]))
        return drawn[n]

    def names_at(self, n: int, digits: int) -> dict:
        """Every name's value at sample point n, bottom-up through the definitions."""
        key = ("names", n, digits)
        if key not in self.memo:
            values = self.memo[key] = {}  # filled bottom-up; dropped when a name is undefined at this point
            try:
                for name in self.order:
                    values[name] = self.value(self.bodies[name], n, digits)
            except Exception:
                del self.memo[key]
                raise
        return self.memo[key]

    def derivative(self, f: sp.Expr, v: sp.Symbol, n: int, digits: int, key=None) -> mpmath.mpf:
        """∂f/∂v at sample point n (v held as a variable, whatever is below it fixed), its error under `key`."""
        if f == v:
            self.errors[key] = 0
            return mpmath.mpf(1)
        if f not in self.bodies:
            terms = [(s, self.partial(self.local(f), s)) for s in self.depends(self.local(f), v)]
            return self._combine(terms, lambda s: self._name_derivative(s, v, n, digits), n, digits, key)
        value, self.errors[key] = self._name_derivative(f, v, n, digits)
        return value

    def _name_derivative(self, f: sp.Symbol, v: sp.Symbol, n: int, digits: int) -> tuple:
        """∂f/∂v for a name or leaf f, and its error bound: forward along a short stretch, else one reverse sweep."""
        if f == v:
            return mpmath.mpf(1), 0
        if f not in self.bodies or v not in self.below[f]:
            return mpmath.mpf(0), 0
        if len(self._between(v, f)) > SHORT_STRETCH:
            found = self.adjoints(f, n, digits).get(v, (mpmath.mpf(0), 0))
            if isinstance(found, Exception):
                raise found
            return found
        table = {v: (mpmath.mpf(1), 0)}
        for name in self._between(v, f):
            key = ("forward", v, name, n, digits)
            if key not in self.memo:
                terms = [(s, self.partial(self.bodies[name], s)) for s in self.children[name] if s in table]
                value = self._combine(terms, table.__getitem__, n, digits, key)
                self.memo[key] = (value, self.errors[key])
            table[name] = self.memo[key]
        return table[f]

    def _between(self, v: sp.Symbol, f: sp.Symbol) -> list:
        """The names on some path from f down to v (f included, v excluded), bottom-up."""
        key = ("between", v, f)
        if key not in self.memo:
            inside = self.above.get(v, frozenset()) & (self.below[f] | {f})
            self.memo[key] = sorted(inside, key=self.position.__getitem__)
        return self.memo[key]

    def adjoints(self, f: sp.Symbol, n: int, digits: int) -> dict:
        """∂f/∂s at sample point n for every symbol s below f, with error bounds: one reverse sweep (backpropagation).

        A partial derivative that cannot be evaluated here (1/(1 − z) where z rounds to 1) is recorded, not
        raised, for the symbols below it: only a derivative that needs it raises it, so the point is skipped."""
        key = ("adjoints", f, n, digits)
        if key not in self.memo:
            incoming, failed, done = {f: ([mpmath.mpf(1)], [0])}, {}, {}  # each symbol's contributions from above
            for name in sorted(self.below[f] | {f}, key=lambda s: -self.position.get(s, -1)):
                terms, errors = incoming.pop(name, ([], []))
                with mpmath.workdps(digits):
                    total = mpmath.fsum(terms)
                    done[name] = failed.get(name) or (total, sampling.rounding_error(sp.Add, terms, errors, total, digits))
                if name in self.bodies and (name in failed or total != 0):
                    self._spread(name, done[name], n, digits, incoming, failed)
            self.memo[key] = done
        return self.memo[key]

    def _spread(self, name: sp.Symbol, adjoint, n: int, digits: int, incoming: dict, failed: dict) -> None:
        """One name's adjoint passed to each of its children, times the name's partial derivative by the child."""
        for s in self.children[name]:
            if isinstance(adjoint, Exception):
                failed.setdefault(s, adjoint)
                continue
            partial = self.partial(self.bodies[name], s)
            try:
                value, error = self.value(partial, n, digits), self.error(("value", partial, n, digits))
            except EVALUATION_FAILURES as problem:
                failed.setdefault(s, problem)
                continue
            with mpmath.workdps(digits):
                into = incoming.setdefault(s, ([], []))
                into[0].append(value * adjoint[0])
                into[1].append(_product_error(value, error, adjoint[0], adjoint[1]))

    def _combine(self, terms: list, inner, n: int, digits: int, key) -> mpmath.mpf:
        """Σ over (s, ∂f/∂s) of ∂f/∂s · inner(s), where inner(s) is (∂s/∂v, its error); the error under `key`."""
        values, errors = [], []
        for s, partial in terms:
            derivative, e_inner = inner(s)
            if derivative != 0:
                value = self.value(partial, n, digits)
                with mpmath.workdps(digits):
                    values.append(value * derivative)
                    errors.append(_product_error(value, self.error(("value", partial, n, digits)), derivative, e_inner))
        with mpmath.workdps(digits):
            total = mpmath.fsum(values)
            self.errors[key] = sampling.rounding_error(sp.Add, values, errors, total, digits)
        return total

    def error(self, key):
        """The rounding-error bound of the memoised quantity under `key` (0 for exact leaves)."""
        return self.errors.get(key, 0)

    def value(self, expr: sp.Expr, n: int, digits: int) -> mpmath.mpf:
        """The expression at sample point n: leaves from the oracle, names through their definitions, memoised."""
        key = ("value", expr, n, digits)
        if key not in self.memo:
            with mpmath.workdps(digits):
                self.memo[key] = self._value(expr, n, digits, key)
        return self.memo[key]

    def _value(self, expr: sp.Expr, n: int, digits: int, key) -> mpmath.mpf:
        if expr in self.bodies:
            result = self.names_at(n, digits)[expr]
            self.errors[key] = self.error(("value", self.bodies[expr], n, digits))
            return result
        if isinstance(expr, sp.Derivative):
            return self.derivative(expr.expr, expr.variables[0], n, digits, key)
        if expr.is_Symbol or expr.is_Number:
            result, self.errors[key] = sampling.evaluate_tracked(expr, self.point(n), digits)
            return result
        handler = sampling.FUNCTIONS.get(type(expr))
        if handler is not None and not isinstance(expr, sp.Piecewise):
            args = [self.value(a, n, digits) for a in expr.args]
            errors = [self.error(("value", a, n, digits)) for a in expr.args]
            result = sampling.real(handler(*args))
            self.errors[key] = sampling.rounding_error(type(expr), args, errors, result, digits)
            return result
        local = self.local(expr)
        if local != expr:
            result = self.value(local, n, digits)
            self.errors[key] = self.error(("value", local, n, digits))
            return result
        names = [s for s in expr.free_symbols if s in self.bodies]
        point = {**self.point(n), **{s: self.value(s, n, digits) for s in names}}
        result, error = sampling.evaluate_tracked(expr, {k: _exact(v) for k, v in point.items()}, digits)
        relative = max((self.error(("value", s, n, digits)) / abs(self.value(s, n, digits))
                        for s in names if self.value(s, n, digits) != 0), default=0)
        self.errors[key] = error + abs(result) * relative * 10  # names' relative errors, amplified at most tenfold
        return result

    def _defined(self, side: sp.Expr, n: int) -> bool | None:
        """Whether a side has a real value at point n; None when out of range or divided by a rounded zero."""
        try:
            self.value(self.local(side), n, sampling.TOP)
            return True
        except (sampling.OutOfRange, ZeroDivisionError, OverflowError):
            return None
        except (sampling.Undefined, ValueError, TypeError) as error:
            return None if "division by zero" in str(error) else False

    def _shown(self, side: sp.Expr, n: int) -> sp.Expr:
        try:
            return sp.Float(self.value(self.local(side), n, sampling.HIGH), 30)
        except (sampling.Undefined, ValueError, TypeError, ZeroDivisionError, OverflowError):
            return sp.nan

    def numeric(self, a: sp.Expr, b: sp.Expr) -> Check:
        """The oracle's test (sampling.is_noise) at its points, names evaluated through their definitions."""
        agreed = 0
        for n in range(sampling.MAX_POINTS):
            def residual(digits, n=n):
                sides = [self.value(self.local(side), n, digits) for side in (a, b)]
                errors = [self.error(("value", self.local(side), n, digits)) for side in (a, b)]
                with mpmath.workdps(digits):
                    difference = sides[0] - sides[1]
                    error = sampling.rounding_error(sp.Add, [sides[0], -sides[1]], errors, difference, digits)
                return difference, error, max(abs(sides[0]), abs(sides[1]))

            try:
                noise = sampling.is_noise(residual)
            except (sampling.Undefined, ValueError, TypeError, ZeroDivisionError, OverflowError):
                defined = [self._defined(side, n) for side in (a, b)]
                if None in defined or defined[0] == defined[1]:
                    continue
                noise = False  # one side is defined here and the other is not
            if noise is None:
                continue
            if not noise:
                u, v = (self._shown(side, n) for side in (a, b))
                used = sampling.variables_of(self.local(a) - self.local(b))
                used |= set().union(*[self.below[s] for s in used if s in self.bodies])
                point = tuple((k, x) for k, x in self.point(n).items() if k in used) or tuple(self.point(n).items())
                witness = sampling.Witness(point=point, left=u, right=v)
                return Check(ok=False, method="numeric", detail=sampling.describe(witness), witness=witness)
            agreed += 1
            needed = sampling.needed(len(self.memo["leaves"]))
            if agreed >= needed:
                detail = (f"{agreed} seeded random points, names evaluated through their definitions, "
                          f"{sampling.LOW} and {sampling.HIGH} digits")
                return Check(ok=True, method="numeric", detail=detail)
        return Check(ok=None, method="numeric", detail="too few points where both sides are defined")


def _product_error(a, e_a, b, e_b):
    """A bound on the error of a·b from the errors of a and b (first order, as sampling.rounding_error for Mul)."""
    return (abs(a) + e_a) * (abs(b) + e_b) - abs(a) * abs(b)


def _exact(value):
    """A sample value as sympy takes it: exact coordinates stay exact, computed values become Floats."""
    return value if isinstance(value, sp.Basic) else sp.Float(value, sampling.HIGH)
