"""Step kinds: every kind of step is a type with an id, a statement and `instance_of`, the check that a step
really is what its label says. Differentiation rules replay themselves (derive/replay.py); the kinds below are
the steps no rule replays: cite, substitute, assume, fold, unfold, algebra and the named rearrangements
(recognize among them: σ and tanh read off exponentials, for the textbook form)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from symderiv.model.definitions import Definition, fold, instances, unfold
from symderiv.model.steps import Step


@dataclass(frozen=True)
class Facts:
    """What a justification may use: the question's definitions and the conditions recorded on the way down."""

    definitions: tuple[Definition, ...] = ()
    conditions: tuple[sp.Basic, ...] = ()
    contexts: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


def canonical(expr: sp.Expr) -> sp.Expr:
    """The expression in sympy's automatic canonical form: two instances of a rule compare structurally here."""
    from symderiv.derive.rearrange import evaluate  # rearrange makes steps of these kinds

    return evaluate(sp.sympify(expr))


def same(a: sp.Expr, b: sp.Expr) -> bool:
    """Structurally equal, up to sympy's automatic normalisation."""
    return a == b or canonical(a) == canonical(b)


def bind(expr: sp.Expr, binding: tuple) -> sp.Expr:
    """`expr` with each component v_a of a bound vector v replaced by value(a) (a Lambda) or w_a (a vector)."""
    for base, value in binding:
        pick = (lambda n, w=value: w[n.indices[0]]) if isinstance(value, sp.IndexedBase) else (
            lambda n, f=value: f(n.indices[0]))
        expr = expr.replace(lambda n, b=base: isinstance(n, sp.Indexed) and n.base == b, pick)
    return expr


class StepKind:
    """A kind of step: its id, its statement in LaTeX, and whether a given step is an instance of it."""

    id: ClassVar[str]
    statement: ClassVar[str]

    def instance_of(self, previous: sp.Expr, step: Step, cited: tuple, facts: Facts = Facts()) -> bool:
        raise NotImplementedError


class Unfold(StepKind):
    """A named quantity is replaced by its definition (q := its definition)."""

    id, statement = "unfold", r"q \to \text{its definition}"

    def instance_of(self, previous, step, cited, facts=Facts()):
        if cited:
            return False
        if isinstance(previous, sp.Derivative) and isinstance(step.rhs, sp.Derivative):
            if previous.variables != step.rhs.variables:
                return False
            keep = previous.variables[0]
            previous, rhs = previous.expr, step.rhs.expr
        else:
            keep, rhs = None, step.rhs
        variables = {v for node in previous.atoms(sp.Derivative) for v in node.variables}
        named = {q: v for q, v in instances(previous, facts.definitions).items() if q != keep and q not in variables}
        chosen = {q: v for q, v in named.items() if not rhs.has(q)}
        if chosen and same(previous.xreplace(chosen), rhs):
            return True
        return keep is None and bool(named) and same(unfold(previous, facts.definitions), rhs)


class Fold(StepKind):
    """A result is written back in terms of a named quantity (its definition read from right to left)."""

    id, statement = "fold", r"\text{its definition} \to q"

    def instance_of(self, previous, step, cited, facts=Facts()):
        candidates = [d for d in facts.definitions if d.params or step.rhs.has(d.name)]  # a fold brings its name in
        return not cited and any(fold(previous, d) == step.rhs for d in candidates)


class Substitute(StepKind):
    """The cited derivations' results are put in place of their left-hand sides."""

    id, statement = "substitute", r"\frac{\partial f}{\partial x} \to \text{its derived value}"

    def instance_of(self, previous, step, cited, facts=Facts()):
        if not cited or step.binding or not all(previous.has(c.lhs) for c in cited):
            return False
        return same(previous.xreplace({c.lhs: c.result for c in cited}), step.rhs)


class Cite(StepKind):
    """A cited general result (an earlier problem or lemma) used at particular values of its vectors."""

    id, statement = "cite", r"F(v) = G(v) \implies F(w) = G(w)"

    def instance_of(self, previous, step, cited, facts=Facts()):
        if len(cited) != 1 or not step.binding or not same(bind(cited[0].lhs, step.binding), previous):
            return False
        bases = {base for base, _ in step.binding}
        meaning = tuple(d for d in facts.definitions if any(n.base in bases for n in d.expr.atoms(sp.Indexed)))
        return same(bind(unfold(cited[0].result, meaning), step.binding), step.rhs)


class Assume(StepKind):
    """A recorded condition (such as Σ_j t_j = 1) is used: its left side is replaced by its right side."""

    id, statement = r"assume", r"a = b \text{ assumed}: a \to b"

    def instance_of(self, previous, step, cited, facts=Facts()):
        equations = [c for c in facts.conditions if isinstance(c, sp.Eq)]
        return not cited and any(same(previous.xreplace({c.lhs: c.rhs}), step.rhs) for c in equations
                                 if previous.has(c.lhs))


class CaseSplit(StepKind):
    """∂f/∂x_k is ∂f/∂x_i where k = i, and the cited derivation for k ≠ i elsewhere."""

    id, statement = "case-split", r"f = \begin{cases} f_{=} & k = i \\ f_{\neq} & k \neq i \end{cases}"

    def instance_of(self, previous, step, cited, facts=Facts()):
        rhs = step.rhs
        if not isinstance(rhs, sp.Piecewise) or len(cited) != 2 or not isinstance(previous, sp.Derivative):
            return False
        (equal_value, where), (other_value, otherwise) = rhs.args if len(rhs.args) == 2 else ((None, None), (None, None))
        if otherwise is not sp.true or not isinstance(where, sp.Eq):
            return False
        var = previous.variables[0]
        k, a = where.args if where.args[0] == var.indices[0] else where.args[::-1]
        at_a = sp.Derivative(previous.expr, var.base[a], evaluate=False)
        return (isinstance(var, sp.Indexed) and k == var.indices[0] and cited[0].lhs == at_a
                and cited[1].lhs == previous and same(equal_value, cited[0].result)
                and same(other_value, cited[1].result))


class Leibniz(StepKind):
    """Leibniz's chain rule along named quantities: ∂f/∂x = ∂f/∂q₁·∂q₁/∂q₂·…·∂q_m/∂x."""

    id, statement = "leibniz", r"\frac{\partial f}{\partial x} = \frac{\partial f}{\partial q} \cdot \frac{\partial q}{\partial x}"

    def instance_of(self, previous, step, cited, facts=Facts()):
        if cited or not isinstance(previous, sp.Derivative):
            return False
        factors = [f for f in sp.Mul.make_args(canonical(step.rhs))]
        if len(factors) < 2 or not all(isinstance(f, sp.Derivative) and len(f.variables) == 1 for f in factors):
            return False
        by_top = {f.expr: f for f in factors}
        if len(by_top) != len(factors):
            return False
        top, path = previous.expr, []
        while top in by_top and len(path) < len(factors):
            path.append(by_top[top])
            top = path[-1].variables[0]
        return len(path) == len(factors) and top == previous.variables[0]


class VectorChain(StepKind):
    """The chain rule through a vector: ∂F(σ)/∂x = Σ_j ∂F/∂z_j|_{z=σ} · ∂σ_j/∂x, citing ∂F/∂z_j."""

    id, statement = "chain-vector", (r"\frac{\partial F(\sigma)}{\partial x} = \sum_j \frac{\partial F}{\partial z_j}"
                                     r"\Big|_{z = \sigma} \frac{\partial \sigma_j}{\partial x}")

    def instance_of(self, previous, step, cited, facts=Facts()):
        rhs = step.rhs
        if len(cited) != 1 or not isinstance(previous, sp.Derivative) or not isinstance(rhs, sp.Sum):
            return False
        inner = [n for n in rhs.function.atoms(sp.Derivative) if isinstance(n.expr, sp.Indexed)]
        z = cited[0].lhs.variables[0] if isinstance(cited[0].lhs, sp.Derivative) else None
        if len(inner) != 1 or not isinstance(z, sp.Indexed) or len(rhs.limits) != 1:
            return False
        j, sigma = rhs.limits[0][0], inner[0].expr.base
        moved = {z.base: sigma}
        return (z.indices[0] == j and inner[0] == sp.Derivative(sigma[j], *previous.variables)
                and same(cited[0].lhs.expr.xreplace(moved), previous.expr)
                and same(rhs.function, cited[0].result.xreplace(moved) * inner[0]))


class Kronecker(StepKind):
    """Σ_j a_j·δ_jk = a_k: the Kronecker delta sifts out one term (0 when k is outside the sum's range)."""

    id, statement = "kronecker", r"\sum_{j} a_j \delta_{jk} = a_k"

    def instance_of(self, previous, step, cited, facts=Facts()):
        from symderiv.derive.sums import sift  # sums makes kronecker steps

        return not cited and previous.has(sp.KroneckerDelta) and same(sift(previous), step.rhs)


class LogSumExp(StepKind):
    """The log-sum-exp shift: ln Σ_j e^{u_j} = m + ln Σ_j e^{u_j − m}, for any m free of j."""

    id, statement = "log-sum-exp", r"\ln \sum_j e^{u_j} = m + \ln \sum_j e^{u_j - m}"

    def instance_of(self, previous, step, cited, facts=Facts()):
        shifts = {m for m in (_shift(node) for node in step.rhs.atoms(sp.log)) if m is not None}
        return not cited and len(shifts) == 1 and same(shift_logs(previous, shifts.pop()), step.rhs)


def _shift(node: sp.log):
    """m, when `node` is ln Σ_j e^{u_j − m} with m free of j."""
    inner = node.args[0]
    if not isinstance(inner, sp.Sum) or not isinstance(inner.function, sp.exp):
        return None
    j = inner.limits[0][0]
    m = [-t for t in sp.Add.make_args(inner.function.args[0]) if j not in t.free_symbols]
    return sp.Add(*m) if m else None


def shift_logs(expr: sp.Expr, m: sp.Expr) -> sp.Expr:
    """Every ln Σ_j e^{u_j} in `expr` written as m + ln Σ_j e^{u_j − m}."""
    def shifted(node):
        inner = node.args[0]
        if isinstance(inner, sp.Sum) and isinstance(inner.function, sp.exp):
            return m + sp.log(sp.Sum(sp.exp(inner.function.args[0] - m), *inner.limits))
        return node

    return expr.replace(lambda n: isinstance(n, sp.log), shifted)


class MatrixForm(StepKind):
    """An entry formula read back as the entry of a matrix expression (diag(σ) − σᵀσ)_ik."""

    id, statement = "matrix-form", r"a_i \delta_{ik} + c\, u_i v_k = \left(\operatorname{diag}(a) + c\, u^{\top} v\right)_{ik}"

    def instance_of(self, previous, step, cited, facts=Facts()):
        if cited or not isinstance(step.rhs, MatrixElement) or previous.has(MatrixElement):
            return False
        from symderiv.check.verify import components  # the checker reads matrix entries the same way

        return _on_deltas(sp.expand(components(step.rhs) - previous)) == 0


def _on_deltas(expr: sp.Expr) -> sp.Expr:
    """Each term a·δ_ik with k replaced by i in a (its value wherever δ_ik ≠ 0), expanded again."""
    terms = []
    for term in sp.Add.make_args(expr):
        for delta in [f for f in sp.Mul.make_args(term) if isinstance(f, sp.KroneckerDelta)]:
            low, high = sorted(delta.args, key=sp.default_sort_key)
            term = (term / delta).xreplace({high: low}) * delta
        terms.append(term)
    return sp.expand(sp.Add(*terms))


class Recognize(StepKind):
    """Exponentials written as the functions a reader knows: e^u/(1 + e^u) = σ(u), (e^u − e^{−u})/(e^u + e^{−u}) = tanh u."""

    id = "recognize"
    statement = r"\frac{e^{u}}{1 + e^{u}} = \sigma(u),\ \frac{e^{u} - e^{-u}}{e^{u} + e^{-u}} = \tanh u"
    NAMES = ("sigmoid", "tanh")

    def instance_of(self, previous, step, cited, facts=Facts()):
        from symderiv.derive.textbook import recognized  # the textbook stage makes these steps

        brought_in = {n for n in step.rhs.atoms(sp.Function) if type(n).__name__ in self.NAMES} - previous.atoms(sp.Function)
        if cited or not brought_in or previous.has(sp.Derivative):
            return False
        candidate = recognized(previous)
        return candidate is not None and same(candidate, step.rhs)


NAMED_REARRANGEMENTS = (Fold(), Kronecker(), LogSumExp(), MatrixForm(), Recognize())


class Algebra(StepKind):
    """Expand, factor, cancel, split or pull out of a sum: an identity that holds with every named quantity and
    derivative kept as it is, and not one of the named rearrangements (fold, kronecker, log-sum-exp, matrix-form,
    recognize)."""

    id, statement = "algebra", r"\text{factor, expand or cancel}"

    def instance_of(self, previous, step, cited, facts=Facts()):
        if cited or previous.atoms(sp.Derivative) != step.rhs.atoms(sp.Derivative):
            return False
        if previous.has(MatrixElement) != step.rhs.has(MatrixElement):
            return False
        if any(kind.instance_of(previous, step, cited, facts) for kind in NAMED_REARRANGEMENTS):
            return False
        from symderiv.check.verify import decide  # an identity, with every name opaque

        return decide(previous, step.rhs, (), ()).ok is True


class Unknown(StepKind):
    """No rule applies: the derivative is left as it is, and the derivation cannot be verified."""

    id, statement = "unknown", r"\text{no rule applies}"

    def instance_of(self, previous, step, cited, facts=Facts()):
        return not cited and previous == step.rhs


STEP_KINDS: tuple[StepKind, ...] = (
    Unfold(), Substitute(), Cite(), Assume(), CaseSplit(), Leibniz(), VectorChain(), *NAMED_REARRANGEMENTS,
    Algebra(), Unknown(),
)


@lru_cache(maxsize=1)
def registry() -> dict[str, object]:
    """Every kind of step by id: the planner's differentiation rules (which replay themselves) and the kinds above."""
    from symderiv.derive.planner import STRATEGY  # the planner builds steps of these kinds

    table = {rule.id: rule for rule in STRATEGY}
    table.update({kind.id: kind for kind in STEP_KINDS})
    return table


def kind(rule_id: str):
    """The kind of step with this id, or None."""
    return registry().get(rule_id)
