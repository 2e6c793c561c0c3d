"""Identities over deep chains of named quantities (z := σ(p₂), p₂ := w₂·y, …), decided on the definition graph.

Unfolding every name before comparing costs O(L²) per link of an L-layer chain (the derivative of an L-fold
composition is a product of L nested factors), so a whole network costs O(L³). Here each named quantity is
evaluated once per sample point through its own definition, and ∂f/∂v by the chain rule over the graph: the
sum, over every path from f to v, of the products of sympy's partial derivatives of single definitions.
"""
from __future__ import annotations

import random

import mpmath
from functools import lru_cache

import sympy as sp

from .definitions import Definition, unfold
from .functions import expand_special
from .steps import Check

MIN_NAMES = 8  # fewer reachable names than this: unfolding is cheap, the ordinary methods decide
SHORT_PATH = 1  # a derivative through at most this many names is done symbolically, names kept
EXACT_MAX_OPS = 40  # larger differences are not put over a common denominator (2^L terms for L factors)
SAMPLES, DIGITS, TOLERANCE = 6, 30, mpmath.mpf("1e-20")


def decide_on_graph(a: sp.Expr, b: sp.Expr, definitions: tuple[Definition, ...]) -> Check | None:
    """a = b over a deep definition graph: exact when equal with names kept, else numeric; None if not applicable."""
    graph = Graph.of(tuple(definitions))
    if graph is None or not graph.applies(a, b):
        return None
    short = all(graph.depth(d.expr, d.variables[0]) <= SHORT_PATH for side in (a, b) for d in side.atoms(sp.Derivative))
    if short and sp.count_ops(a) + sp.count_ops(b) <= EXACT_MAX_OPS:
        left, right = graph.symbolic(a), graph.symbolic(b)
        for kept in ("kept", "unfolded one level"):
            if _identical(left, right):
                return Check(ok=True, method="exact", detail=f"rational-function identity, named quantities {kept}")
            left, right = graph.unfold_once(left), graph.unfold_once(right)
    return graph.numeric(a, b)


def _identical(left: sp.Expr, right: sp.Expr) -> bool:
    """Equal as expressions in independent symbols (names included): sound for `=`, never a refutation."""
    difference = left - right
    if difference == 0:
        return True
    if sp.count_ops(difference) > EXACT_MAX_OPS:
        return False
    return sp.expand(sp.together(difference).as_numer_denom()[0]) == 0


class Graph:
    """Names without parameters as nodes; each node's definition, with sympy's σ and relu rewritten, as its body."""

    def __init__(self, bodies: dict, patterned: tuple):
        self.patterned = patterned
        self.memo: dict = {}
        self.bodies = {name: self.local(value) for name, value in bodies.items()}

    @staticmethod
    @lru_cache(maxsize=64)
    def of(definitions: tuple[Definition, ...]) -> Graph | None:
        """The graph of the parameterless definitions whose names are symbols, or None when there are none."""
        bodies = {d.name: d.expr for d in definitions if not d.params and d.name.is_Symbol}
        return Graph(bodies, tuple(d for d in definitions if d.params)) if bodies else None

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
            if any(not v.is_Symbol for d in side.atoms(sp.Derivative) for v in d.variables):
                return False
        return len(self.reach(a.free_symbols | b.free_symbols)) >= MIN_NAMES

    def depth(self, f: sp.Expr, v: sp.Symbol) -> int:
        """The number of names on the longest path from f down to v (0 when f uses v directly or not at all)."""
        if f in self.bodies:
            return self._name_depth(f, v)
        return max((self.depth(s, v) + 1 for s in self.depends(f, v) if s != v), default=0)

    def _name_depth(self, name: sp.Symbol, v: sp.Symbol) -> int:
        key = ("depth", name, v)
        if key not in self.memo:
            self.memo[key] = 0 if name == v else self.depth(self.bodies[name], v)
        return self.memo[key]

    def reach(self, symbols) -> set:
        """The names reachable from `symbols` through the definitions."""
        seen, stack = set(), [s for s in symbols if s in self.bodies]
        while stack:
            name = stack.pop()
            if name not in seen:
                seen.add(name)
                stack.extend(s for s in self.bodies[name].free_symbols if s in self.bodies)
        return seen

    def below(self, name: sp.Symbol) -> frozenset:
        """Every symbol (name or leaf) that `name` depends on."""
        key = ("below", name)
        if key not in self.memo:
            found = set()
            for s in self.bodies[name].free_symbols:
                found.add(s)
                if s in self.bodies:
                    found |= self.below(s)
            self.memo[key] = frozenset(found)
        return self.memo[key]

    def partial(self, body: sp.Expr, s: sp.Symbol) -> sp.Expr:
        """sympy's partial derivative of one definition's body by one of its symbols, the others held fixed."""
        key = ("partial", body, s)
        if key not in self.memo:
            self.memo[key] = sp.diff(body, s)
        return self.memo[key]

    def depends(self, f: sp.Expr, v: sp.Symbol) -> list:
        """The symbols of `f` through which f depends on v (v itself, or names with v below them)."""
        key = ("depends", f, v)
        if key not in self.memo:
            self.memo[key] = [s for s in f.free_symbols if s == v or (s in self.bodies and v in self.below(s))]
        return self.memo[key]

    def derivative(self, f: sp.Expr, v: sp.Symbol, n: int) -> mpmath.mpf:
        """∂f/∂v at sample point n, by the chain rule over every path of the graph (v held as a variable)."""
        key = ("derivative", f, v, n)
        if key not in self.memo:
            if f in self.bodies and f != v:
                self.memo[key] = self.derivative(self.bodies[f], v, n)
            else:
                f = self.local(f)
                total = mpmath.mpf(0)
                for s in self.depends(f, v):
                    inner = 1 if s == v else self.derivative(s, v, n)
                    if inner != 0:
                        total += self.value(self.partial(f, s), n) * inner
                self.memo[key] = total
        return self.memo[key]

    def symbolic_derivative(self, f: sp.Expr, v: sp.Symbol) -> sp.Expr:
        """∂f/∂v by the chain rule over the graph, in terms of the names (v held as a variable)."""
        if f in self.bodies and f != v:
            key = ("symbolic", f, v)
            if key not in self.memo:
                self.memo[key] = self.symbolic_derivative(self.bodies[f], v)
            return self.memo[key]
        f = self.local(f)
        return sp.Add(*[self.partial(f, s) * (1 if s == v else self.symbolic_derivative(s, v)) for s in self.depends(f, v)])

    def symbolic(self, expr: sp.Expr) -> sp.Expr:
        """The expression with each derivative done over the graph, and σ, relu unfolded; names kept."""
        done = {node: self.symbolic_derivative(node.expr, node.variables[0]) for node in expr.atoms(sp.Derivative)}
        return self.local(expr.xreplace(done))

    def unfold_once(self, expr: sp.Expr) -> sp.Expr:
        """Each name replaced by its definition, one level deep (a substitution: equality is preserved)."""
        return expr.xreplace({s: self.bodies[s] for s in expr.free_symbols if s in self.bodies})

    def value(self, expr: sp.Expr, n: int) -> mpmath.mpf:
        """The expression at sample point n: leaves random, names through their definitions, memoised per node."""
        key = ("value", expr, n)
        if key not in self.memo:
            self.memo[key] = self._value(expr, n)
        return self.memo[key]

    def _value(self, expr: sp.Expr, n: int) -> mpmath.mpf:
        if expr in self.bodies:
            return self.value(self.bodies[expr], n)
        if expr.is_Symbol:
            return _leaf(expr, n)
        if expr.is_Number:
            return mpmath.mpf(expr.p) / expr.q if expr.is_Rational else mpmath.mpf(sp.Float(expr, DIGITS + 10))
        if isinstance(expr, sp.Derivative) and len(expr.variables) == 1:
            return self.derivative(expr.expr, expr.variables[0], n)
        if type(expr) in NUMERIC:
            result = NUMERIC[type(expr)](*[self.value(a, n) for a in expr.args])
            if not isinstance(result, mpmath.mpf):
                raise ValueError(f"{expr} is not real at sample point {n + 1}")
            return result
        local = self.local(expr)
        if local != expr:
            return self.value(local, n)
        point = {s: sp.Float(self.value(s, n), DIGITS + 10) for s in expr.free_symbols}
        return _mpf(expr.xreplace(point))

    def numeric(self, a: sp.Expr, b: sp.Expr) -> Check:
        """Agreement at SAMPLES points, names evaluated through their definitions, within a relative TOLERANCE."""
        with mpmath.workdps(DIGITS + 10):
            return self._numeric(a, b)

    def _numeric(self, a: sp.Expr, b: sp.Expr) -> Check:
        agreed = 0
        for n in range(SAMPLES * 2):
            try:
                u, v = self.value(self.local(a), n), self.value(self.local(b), n)
            except (ValueError, TypeError, ZeroDivisionError):
                continue
            if not all(mpmath.isfinite(w) for w in (u, v)):
                continue
            if abs(u - v) > TOLERANCE * max(abs(u), abs(v)):
                return Check(ok=False, method="numeric", detail=f"at sample point {n + 1}: left side {mpmath.nstr(u, 8)}, right side {mpmath.nstr(v, 8)}")
            agreed += 1
            if agreed == SAMPLES:
                detail = f"{SAMPLES} random points, names evaluated through their definitions, {DIGITS} digits, relative tolerance 1e-20"
                return Check(ok=True, method="numeric", detail=detail)
        return Check(ok=None, method="numeric", detail="too few points where both sides are defined")


def _leaf(symbol: sp.Symbol, n: int) -> mpmath.mpf:
    """A leaf's value at sample point n: a rational in [0.15, 1.85], the same in every check."""
    return mpmath.mpf(random.Random(f"{n}:{symbol}").randint(150, 1850)) / 1000


def _power(base, exponent):
    if base < 0 and exponent != int(exponent):
        raise ValueError("a negative base to a fractional power")
    return base**exponent


def _log(x):
    if x <= 0:
        raise ValueError("the logarithm of a number that is not positive")
    return mpmath.log(x)


NUMERIC = {
    sp.Add: lambda *xs: mpmath.fsum(xs), sp.Mul: lambda *xs: mpmath.fprod(xs), sp.Pow: _power,
    sp.exp: mpmath.exp, sp.log: _log, sp.tanh: mpmath.tanh, sp.sin: mpmath.sin, sp.cos: mpmath.cos, sp.tan: mpmath.tan,
}

def _mpf(expr: sp.Expr) -> mpmath.mpf:
    """A real number from a numeric sympy expression, at DIGITS + 10 digits."""
    value = sp.N(expr, DIGITS + 10)
    if not value.is_real or not value.is_number:
        raise ValueError(f"{expr} is not a real number")
    return mpmath.mpf(value)
