"""Index algebra on finite sums Σ_{j=1}^{N} (split, sift with δ, pull out constants, fold named sums back), and
the steps around it: derivatives cited inside a sum, a recorded condition used, and the log-sum-exp shift."""
from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from symderiv.derive.kinds import Assume, Cite, LogSumExp, Substitute, Unfold, bind, shift_logs
from symderiv.derive.rearrange import fold_steps, tidy_step
from symderiv.model.definitions import Definition, unfold
from symderiv.derive.planner import derive, with_conditions
from symderiv.model.steps import Derivation, Step
from symderiv.model.symbols import sift_term


class Shorthand(sp.Symbol):
    """A scalar that names a longer expression (v·σᵀ for Σ_j v_j σ_j) and prints in its own notation, which it
    carries itself (no table shared between solves)."""

    __slots__ = ("text", "latex")

    def __new__(cls, name: str, text: str = "", latex: str = ""):
        obj = sp.Symbol.__xnew__(cls, name)
        obj.text, obj.latex = text or name, latex or name
        return obj

    def __getnewargs_ex__(self):
        return (self.name, self.text, self.latex), {}

    def _hashable_content(self):
        return super()._hashable_content() + (self.text, self.latex)

    def _latex(self, printer, exp=None):
        return rf"\left({self.latex}\right)^{{{exp}}}" if exp else self.latex

    def _symderiv_text(self, printer):
        return self.text


def shorthand(name: str, text: str, latex: str) -> Shorthand:
    """The shorthand symbol `name`, printed as `text` on a terminal and `latex` in LaTeX."""
    return Shorthand(name, text, latex)


def split_sums(expr: sp.Expr) -> sp.Expr:
    """Σ_j (a_j + b_j) = Σ_j a_j + Σ_j b_j, after expanding each summand."""
    def split(node):
        terms = sp.Add.make_args(sp.expand(node.function))
        return sp.Add(*[sp.Sum(term, *node.limits) for term in terms]) if len(terms) > 1 else node

    return _rewrite_sums(expr, split)


def sift(expr: sp.Expr) -> sp.Expr:
    """Σ_{j=a}^{b} f_j·δ_jk = f_k when a ≤ k ≤ b, and 0 otherwise (k free in 1..N, or a number)."""
    def sift_one(node):
        (j, low, high), = node.limits
        for factor in sp.Mul.make_args(node.function):
            if isinstance(factor, sp.KroneckerDelta) and j in factor.args:
                k = factor.args[0] if factor.args[1] == j else factor.args[1]
                if j not in k.free_symbols:
                    return sift_term((node.function / factor).xreplace({j: k}), k, low, high)
        return node

    return _rewrite_sums(expr, sift_one)


def pull_constants(expr: sp.Expr) -> sp.Expr:
    """Σ_j c·a_j = c·Σ_j a_j, for every factor c free of the summation index."""
    def pulled(node):
        (j, *_), = node.limits
        constant, rest = [], []
        for factor in sp.Mul.make_args(node.function):
            (rest if j in factor.free_symbols else constant).append(factor)
        return sp.Mul(*constant) * sp.Sum(sp.Mul(*rest), *node.limits) if constant and rest else node

    return _rewrite_sums(expr, pulled)


def _rewrite_sums(expr: sp.Expr, change: Callable) -> sp.Expr:
    """`expr` with `change` applied to each one-index Sum in it, innermost first."""
    return expr.replace(lambda n: isinstance(n, sp.Sum) and len(n.limits) == 1, change)


SUM_STEPS = (("algebra", split_sums), ("kronecker", sift), ("algebra", pull_constants))


def sum_steps(expr: sp.Expr, definitions: tuple[Definition, ...] = ()) -> tuple[Step, ...]:
    """The index steps that apply, each once, in order: split, sift, pull out; then fold the named sums, tidy."""
    steps: tuple[Step, ...] = ()
    for rule, change in SUM_STEPS:
        changed = change(steps[-1].rhs if steps else expr)
        if changed != (steps[-1].rhs if steps else expr):
            steps += (Step(rule=rule, rhs=changed),)
    for definition in definitions:
        steps += fold_steps(steps[-1].rhs if steps else expr, definition)
    return steps + tidy_step(steps[-1].rhs if steps else expr)


def derive_within(expr: sp.Expr, named: tuple[Definition, ...] = (), **options) -> Derivation:
    """An expression holding derivatives (Σ_j v_j ∂σ_j/∂x_i): each derived by the planner and cited, then the
    index steps, folding the `named` sums (v·σᵀ) back."""
    cited = tuple(derive(node.expr, node.variables[0], **options) for node in sorted(expr.atoms(sp.Derivative), key=str))
    first = Step(rule=Substitute.id, rhs=expr.xreplace({d.lhs: d.result for d in cited}), uses=cited)
    return with_conditions(Derivation(lhs=expr, steps=(first,) + sum_steps(first.rhs, tuple(named))))


def assume(expr: sp.Expr, condition: sp.Eq) -> tuple[Step, ...]:
    """An `assume` step that uses a recorded condition such as Σ_j t_j = 1, when it changes anything."""
    changed = expr.xreplace({condition.lhs: condition.rhs})
    return (Step(rule=Assume.id, rhs=changed),) if changed != expr else ()


def instance(cited: Derivation, named: tuple[Definition, ...], base: sp.IndexedBase, value) -> Step:
    """A `cite` step: the cited result for a general vector `base` (v), at base_a = value(a), named sums unfolded."""
    a = sp.Dummy("a")
    binding = ((base, sp.Lambda(a, value(a))),)
    return Step(rule=Cite.id, rhs=bind(unfold(cited.result, tuple(named)), binding), uses=(cited,), binding=binding)


def log_steps(expr: sp.Expr, shift: sp.Expr) -> tuple[Step, ...]:
    """ln(a/b) = ln a − ln b with ln e^u = u, then ln Σ_j e^{u_j} = m + ln Σ_j e^{u_j − m} for any m (log-sum-exp)."""
    expanded = sp.expand_log(expr, force=True)
    steps = (Step(rule="algebra", rhs=expanded),) if expanded != expr else ()
    moved = shift_logs(expanded, shift)
    return steps + ((Step(rule=LogSumExp.id, rhs=moved),) if moved != expanded else ())


def log_sum_exp(expr: sp.Expr, definitions: tuple[Definition, ...], shift: sp.Expr) -> Derivation:
    """ln of a named quantity unfolded (ln σ_i = ln(e^{x_i}/Σ_j e^{x_j})), then the logarithm laws and the shift."""
    unfolded = unfold(expr, tuple(definitions))
    steps = ((Step(rule=Unfold.id, rhs=unfolded),) if unfolded != expr else ()) + log_steps(unfolded, shift)
    return with_conditions(Derivation(lhs=expr, steps=steps))
