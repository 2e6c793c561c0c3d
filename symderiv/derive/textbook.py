"""The textbook form: after the last rule, the result rewritten in the named quantities a reader knows.

Each fold is a step of its own, checked like every other step, and kept only when it makes the result shorter:
`recognize` for σ and tanh (derive/kinds.py replays it), `fold` for softmax σ_k and the user's own names, and
`algebra` for factors collected and cancelled.
"""
from __future__ import annotations

import sympy as sp

from symderiv.derive.rearrange import MAX_EXPANDED_TERMS, MAX_TIDIED_NODES, evaluate, expansion_size, nodes
from symderiv.model.definitions import Definition, fold
from symderiv.model.functions import sigmoid, softmax_component
from symderiv.model.steps import Derivation, Step

SOFTMAX_NAME = "sigma"
OPAQUE = (sp.Function, sp.Sum, sp.Indexed, sp.Derivative)  # treated as symbols while collecting


def textbook(derivation: Derivation, definitions: tuple[Definition, ...] = (),
             holds=None) -> tuple[Derivation, tuple[Definition, ...]]:
    """The derivation with its folds appended, and the definitions the folds introduced (σ_k for softmax).

    `holds(before, after, definitions)`, when given, decides each candidate fold first: one it cannot confirm is
    left out, so a fold never turns a verified derivation into one that fails.
    """
    result, steps, introduced = derivation.result, [], []
    if nodes(result) > MAX_TIDIED_NODES:
        return derivation, ()
    folds = [("recognize", _recognize_exponentials)]
    folds += [("fold", lambda e, lhs, _, d=d: (fold(e, d), None)) for d in definitions if not d.params]
    folds += [("fold", _recognize_softmax), ("algebra", _collect), ("algebra", _plain_switches)]
    for rule, fold_once in folds:
        folded, definition = fold_once(result, derivation.lhs, definitions)
        if folded is not None and folded != result and _shorter(folded, result):
            known = (*definitions, *introduced, *([definition] if definition is not None else []))
            if holds is not None and not holds(result, folded, known):
                continue
            steps.append(Step(rule=rule, rhs=folded))
            introduced += [definition] if definition is not None else []
            result = folded
    if not steps:
        return derivation, ()
    folded = Derivation(lhs=derivation.lhs, steps=derivation.steps + tuple(steps), conditions=derivation.conditions)
    return folded, tuple(introduced)


def _shorter(new: sp.Expr, old: sp.Expr) -> bool:
    """Fewer operations; at a tie, fewer exponentials, or the same expression written out (evaluated)."""
    plain = evaluate(old)
    if sp.count_ops(new) != sp.count_ops(plain):
        return sp.count_ops(new) < sp.count_ops(plain)
    return len(new.atoms(sp.exp)) < len(old.atoms(sp.exp)) or (new == plain and plain != old)


# --- σ and tanh from exponentials ---------------------------------------------------------------------------

def recognized(expr: sp.Expr) -> sp.Expr | None:
    """The shortest rewriting of `expr` with σ or tanh in place of its exponentials, or None."""
    return _recognize_exponentials(expr, None, ())[0]


def _recognize_exponentials(expr, lhs, definitions):
    """e^u/(1 + e^u) and 1/(1 + e^{−u}) as σ(u); (e^u − e^{−u})/(e^u + e^{−u}) and the like as tanh(u)."""
    best = None
    hyperbolic = expr.has(sp.sinh, sp.cosh, sp.coth, sp.sech, sp.csch)
    sources = [expr, expr.rewrite(sp.exp)] if hyperbolic else [expr]
    for source, u in [(source, u) for source in sources for u in _exponents(source)]:
        for candidate in (_as_sigmoid(source, u), _as_tanh(source, u)):
            if candidate is not None and (best is None or sp.count_ops(candidate) < sp.count_ops(best)):
                best = candidate
    return best, None


def _exponents(expr: sp.Expr) -> list[sp.Expr]:
    """The arguments u of the exponentials e^{±u} in `expr`, each once, with a leading minus taken off."""
    found = []
    bound = {j for s in expr.atoms(sp.Sum) for j, *_ in s.limits}  # e^{u_n} inside Σ_n is not one exponential
    for node in expr.atoms(sp.exp):
        u = node.args[0]
        u = -u if u.could_extract_minus_sign() else u
        if u not in found and not (u.free_symbols & bound):
            found.append(u)
    return found[:4]


def _substituted(expr: sp.Expr, u: sp.Expr, up: sp.Expr, down: sp.Expr) -> sp.Expr | None:
    """`expr` with each e^{m·u} (m a whole number) → up^m and e^{−m·u} → down^m, cancelled; None if an exponential
    of u is left or the result would be too large."""
    def multiple(node):
        m = node.args[0] / u
        return m.is_Integer and 0 < abs(m) <= 8

    replaced = evaluate(expr).replace(lambda n: isinstance(n, sp.exp) and multiple(n),
                                      lambda n: up ** (n.args[0] / u) if (n.args[0] / u) > 0 else down ** (-n.args[0] / u))
    if any(u in n.args[0].free_symbols or n.args[0].has(u) for n in replaced.atoms(sp.exp)):
        return None
    if expansion_size(replaced) > MAX_EXPANDED_TERMS:
        return None
    folded = sp.factor(sp.cancel(replaced))
    if folded.has(sp.Product) and not expr.has(sp.Product):  # e^{Σ_j …} written out as Π_j e^{…}: not a fold
        return None
    return folded


def _as_sigmoid(expr: sp.Expr, u: sp.Expr) -> sp.Expr | None:
    """e^u = σ/(1 − σ), where σ = σ(u)."""
    s = sp.Dummy("s")
    found = _substituted(expr, u, s / (1 - s), (1 - s) / s)
    return None if found is None else found.xreplace({s: sigmoid(u)})


def _as_tanh(expr: sp.Expr, u: sp.Expr) -> sp.Expr | None:
    """e^u = (1 + t)/(1 − t), where t = tanh(u/2); or, when only even powers of e^u occur, with t = tanh(u)."""
    q, t = sp.Dummy("q"), sp.Dummy("t")
    found = _substituted(expr, u, q, 1 / q)
    if found is None:
        return None
    half = sp.factor(sp.cancel(found.xreplace({q: (1 + t) / (1 - t)}))).xreplace({t: sp.tanh(u / 2)})
    if sp.cancel(found - found.xreplace({q: -q})) != 0:
        return half
    whole = sp.factor(sp.cancel(found.xreplace({q: sp.sqrt((1 + t) / (1 - t))})))
    if any(p.exp.is_Rational and not p.exp.is_Integer for p in whole.atoms(sp.Pow)):
        return half
    whole = whole.xreplace({t: sp.tanh(u)})
    return min((half, whole), key=sp.count_ops)


# --- named quantities ---------------------------------------------------------------------------------------

def _recognize_softmax(expr, lhs, definitions):
    """e^{x_k}/Σ_j e^{x_j} as σ_k, softmax of x at k, with σ_i := e^{x_i}/Σ_j e^{x_j} defined in the output."""
    sums = [s for s in expr.atoms(sp.Sum) if len(s.limits) == 1 and isinstance(s.function, sp.exp)
            and isinstance(s.function.args[0], sp.Indexed) and s.function.args[0].indices[0] == s.limits[0][0]]
    taken = {str(s) for s in lhs.atoms(sp.Symbol)} | {str(s) for d in definitions for s in d.name.atoms(sp.Symbol)}
    if len(sums) != 1 or SOFTMAX_NAME in taken:  # σ would mean something else here
        return None, None
    total = sums[0]
    j, low, high = total.limits[0]
    vector = total.function.args[0].base
    i = next(sp.Symbol(n, integer=True) for n in ("i", "a", "b", "c") if sp.Symbol(n, integer=True) != j
             and sp.Symbol(n, integer=True) not in expr.free_symbols)
    if low != 1:
        return None, None
    definition = Definition(name=sp.IndexedBase(SOFTMAX_NAME)[i], expr=softmax_component(vector, i, high, j),
                            params=(i,), note="softmax")
    folded = fold(expr, definition)
    return (folded, definition) if folded != expr and _shorter(folded, expr) else (None, None)


# --- collected and cancelled factors ------------------------------------------------------------------------

def _collect(expr, lhs, definitions):
    """The result expanded and factored again with every function value held as a symbol: x(σ − y)."""
    plain = evaluate(expr)
    held = {node: sp.Dummy() for node in plain.atoms(*OPAQUE)}
    polynomial = plain.xreplace(held)
    if expansion_size(polynomial) > MAX_EXPANDED_TERMS:
        return None, None
    back = {v: k for k, v in held.items()}
    candidates = [sp.factor(polynomial), sp.factor_terms(sp.expand(polynomial)), sp.factor(sp.cancel(polynomial))]
    best = min(candidates, key=sp.count_ops).xreplace(back)
    if sp.count_ops(best) >= sp.count_ops(plain) and plain != expr:
        return plain, None  # no shorter form, but the rule's grouping (2·x)² is written 4·x²
    return best, None


def _plain_switches(expr, lhs, definitions):
    """H(c·u) = H(u) and sign(c·u) = sign(u) for a number c > 0 (H(−c·u) = H(−u))."""
    def plain(node):
        coefficient, rest = node.args[0].as_coeff_Mul()
        if not coefficient.is_Number or coefficient in (1, -1) or coefficient == 0:
            return node
        return node.func(sp.sign(coefficient) * rest, *node.args[1:])

    return evaluate(expr).replace(lambda n: isinstance(n, (sp.Heaviside, sp.sign)), plain), None
