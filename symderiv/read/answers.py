"""What users type: expressions to derive and answers to check (written derivations: written.py).

Text in, data out: every function here takes strings and returns dataclasses of sympy objects (or plain
dicts of strings for the templates). No click, no Jinja, no file I/O.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from symderiv.model.definitions import MAX_DEFINITIONS, Definition, check_combined, unfold
from symderiv.model.errors import InputError, SymderivError
from symderiv.read.parse import parse_definition, parse_expr
from symderiv.output.printing import to_latex, to_text
from symderiv.model.problem import Part, Solution
from symderiv.model.steps import Check, Derivation
from symderiv.model.symbols import N, index, scalar, unclash
from symderiv.check import sampling
from symderiv.check.verify import decide, oracle, verify



# --- reading user text ---------------------------------------------------------------------------
def read(text: str, what: str) -> sp.Expr:
    """`text` parsed by the safe parser; a ParseError says which input it was about."""
    try:
        return parse_expr(text)
    except SymderivError as error:
        raise InputError(f"cannot read {what} {quoted(text)}: {error}") from None


def read_definitions(texts: Iterable[str]) -> tuple[Definition, ...]:
    """`NAME = EXPR` texts as named quantities; too many, duplicate names, cycles and caps broken once the names
    are substituted are input errors."""
    texts = list(texts)
    if len(texts) > MAX_DEFINITIONS:
        raise InputError(f"too many definitions: {len(texts)} (at most {MAX_DEFINITIONS}).")
    definitions, seen = [], set()
    for text in texts:
        try:
            name, params, expr = parse_definition(text)
        except SymderivError as error:
            raise InputError(f"cannot read the definition {quoted(text)}: {error}") from None
        base = str(name.base if params else name)
        if base in seen:
            raise InputError(f"{base!r} is defined twice.")
        seen.add(base)
        definitions.append(Definition(name=name, expr=expr, params=params))
    check_combined({d.name: f"the definition of {d.name}" for d in definitions}, tuple(definitions))
    check_acyclic(tuple(definitions))
    return tuple(definitions)


def read_variable(text: str) -> sp.Expr:
    """The variable of differentiation: a name such as w1, or a component such as x[k]."""
    var = read(text, "the variable")
    if not isinstance(var, (sp.Symbol, sp.Indexed)) or var == N:
        raise InputError(f"{quoted(text)} is not a variable: give a name such as w1 or a component such as x[k].")
    return var


def check_acyclic(definitions: tuple[Definition, ...]) -> None:
    """Definitions that refer to each other in a cycle are an InputError."""
    try:
        for definition in definitions:
            unfold(definition.name, definitions)
    except RecursionError:
        raise InputError("the definitions refer to each other in a cycle.") from None


def quoted(text: str) -> str:
    """User text as it is quoted in messages: spaces folded, at most 60 characters."""
    text = " ".join(str(text).split())
    return repr(text if len(text) <= 60 else text[:57] + "...")


# --- derive --expr --------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Derived:
    """A user's expression derived and verified, as a one-part Solution, with warnings for stderr."""

    solution: Solution
    warnings: tuple[str, ...] = ()

    @property
    def derivation(self) -> Derivation:
        return self.solution.parts[0].derivation


def derive_expression(expr: str, wrt: str, defines: Sequence[str] = (), method: str = "auto",
                      fold: bool = True) -> Derived:
    """∂expr/∂wrt by the planner, then (unless `fold` is False) in textbook form, every link verified, packed as the
    problem named "expr"."""
    from symderiv.derive.planner import context, derive
    from symderiv.derive.textbook import textbook

    definitions = read_definitions(defines)
    var = read_variable(wrt)
    f = unclash(read(expr, "the expression"), var.atoms(sp.Symbol))
    check_combined({f: "the expression"}, definitions)
    warnings = ()
    if not context(var, definitions=definitions, method=method).depends(f):
        warnings = (f"{var} does not occur in the expression or its definitions, so the derivative is 0.",)
    derivation, introduced = derive(f, var, definitions=definitions, method=method), ()
    if fold:
        conditions = derivation.conditions
        derivation, introduced = textbook(
            derivation, definitions, holds=lambda before, after, known: decide(before, after, known, conditions).ok)
    definitions = tuple(definitions) + introduced
    derivation = verify(_in_typed_order(derivation, _as_typed(expr, f, derivation.lhs)), definitions)
    part = Part(id="derivative", title="Step by step", derivation=derivation)
    solution = Solution(problem="expr", title=f"Derivative with respect to {var}",
                        question=rf"\(\displaystyle {to_latex(derivation.lhs)} = ?\)",
                        definitions=definitions, parts=(part,))
    return Derived(solution=solution, warnings=warnings)


def _as_typed(text: str, f: sp.Expr, lhs: sp.Expr) -> sp.Expr:
    """The question ∂f/∂x with f's sums in the order the user typed them (w·x + b, not b + w·x), when that reads
    back as the same expression; else `lhs` as it is."""
    from symderiv.derive.rearrange import evaluate

    if not isinstance(lhs, sp.Derivative) or lhs.expr != f:
        return lhs
    try:
        typed = unclash(parse_expr(text, keep_order=True), lhs.variables[0].atoms(sp.Symbol))
    except SymderivError:
        return lhs
    return sp.Derivative(typed, *lhs.variables, evaluate=False) if typed != f and evaluate(typed) == f else lhs


def _in_typed_order(derivation: Derivation, lhs: sp.Expr) -> Derivation:
    """The derivation asked as `lhs`; the sums the user typed (w·x + b) keep their order in the result too."""
    from symderiv.derive.rearrange import evaluate

    typed = {evaluate(n): n for n in sp.preorder_traversal(lhs.expr) if n.is_Add} if lhs is not derivation.lhs else {}
    typed = {k: v for k, v in typed.items() if k != v}
    steps = derivation.steps
    if typed and steps:
        last = steps[-1]
        steps = steps[:-1] + (dataclasses.replace(last, rhs=last.rhs.xreplace(typed)),)
    return dataclasses.replace(derivation, lhs=lhs, steps=steps)


# --- comparing two expressions ---------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Counterexample:
    """A point where two expressions differ (index values first), with both values there."""

    point: tuple[tuple[sp.Expr, sp.Expr], ...]
    left: sp.Expr
    right: sp.Expr

    def where(self) -> str:
        """`N = 2, k = 1, x[1] = 0.5`."""
        return sampling.where(self.point)

    def values(self) -> tuple[str, str]:
        """Both values, to 8 significant digits."""
        return sampling.shown(self.left), sampling.shown(self.right)


def compare(a: sp.Expr, b: sp.Expr, definitions: tuple = (), conditions: tuple = ()) -> Check:
    """Whether a = b: verify.decide (structure, exact identity, index cases, bounded simplify, the numeric oracle)."""
    if a == b:
        return Check(ok=True, method="structural", detail="identical expressions")
    return decide(a, b, tuple(definitions), tuple(conditions))


def counterexample(a: sp.Expr, b: sp.Expr, definitions: tuple = (), conditions: tuple = ()) -> Counterexample | None:
    """The point where the checker found a and b to differ, or None when it found none."""
    witness = compare(a, b, definitions, conditions).witness
    if witness is None:
        return None
    return Counterexample(point=witness.point, left=witness.left, right=witness.right)


def _variables(expr: sp.Expr) -> set:
    """The free symbols and components x[1] of `expr`, without the labels of its vectors."""
    return sampling.variables_of(expr)


# --- check an answer -------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class AnswerCheck:
    """The verdict on a user's answer to one question."""

    question: sp.Expr  # the derivative asked for, unevaluated
    answer: sp.Expr
    expected: sp.Expr
    check: Check
    counterexample: Counterexample | None = None
    problem: str = "expr"
    part: str = ""
    matches_part: str = ""  # when wrong here: the other part whose result the answer is
    typeable: sp.Expr | None = None  # the expected result in a form the parser reads, if it has one

    @property
    def correct(self) -> bool | None:
        return self.check.ok


@dataclass(frozen=True, kw_only=True)
class _Target:
    lhs: sp.Expr
    expected: sp.Expr
    definitions: tuple
    conditions: tuple
    known: tuple  # the problem's symbols and vectors, to resolve the answer's names
    typeable: sp.Expr | None = None


def check_answer(answer: str, *, problem: str | None = None, part: str | None = None, params: dict | None = None,
                 method: str = "auto", expr: str | None = None, wrt: str | None = None,
                 defines: Sequence[str] = (), solution: Solution | None = None) -> AnswerCheck:
    """Whether `answer` is ∂expr/∂wrt, or the result of a catalog problem's part (default: its last part).

    `solution` is the question already solved (by read.questions.solve); without it, it is solved here."""
    if (problem is None) == (expr is None):
        raise InputError("give either a problem name or an expression, not both.")
    if problem is not None:
        solution = solution or _solved(problem, tuple(sorted((params or {}).items())), method)
        chosen = _part(solution, part)
        target = _target_of(chosen, solution.definitions)
    else:
        derived = Derived(solution=solution) if solution is not None else derive_expression(expr, wrt, defines, method)
        target, chosen, solution = _expression_target(derived), None, derived.solution
    given = resolve_names(read(answer, "the answer"), target.known)
    check_combined({given: "the answer"}, target.definitions)  # 2**y with y := 10**99 is refused, never computed
    check = compare(given, target.expected, target.definitions, target.conditions)
    found = None
    if check.ok is not True:
        found = counterexample(given, target.expected, target.definitions, target.conditions)
    matches = ""
    if check.ok is False and problem is not None and part is None:
        matches = next((p.id for p in solution.parts if p is not chosen and _is_result_of(given, p, solution)), "")
    return AnswerCheck(question=target.lhs, answer=given, expected=target.expected, check=check,
                       counterexample=found, problem=solution.problem, part=chosen.id if chosen else "",
                       matches_part=matches, typeable=target.typeable)


@lru_cache(maxsize=16)
def _solved(name: str, params: tuple, method: str) -> Solution:
    from symderiv.read.questions import solve

    return solve(name, params=dict(params), method=method).solution


def _part(solution: Solution, part_id: str | None) -> Part:
    if part_id is None:
        return solution.parts[-1]
    for part in solution.parts:
        if part.id == part_id:
            return part
    ids = ", ".join(p.id for p in solution.parts)
    raise InputError(f"{solution.problem} has no part {part_id!r} (its parts: {ids}).")


def _target_of(part: Part, definitions: tuple) -> _Target:
    d = part.derivation
    typeable = next((s.rhs for s in reversed(d.steps) if _as_input(s.rhs)), None)
    return _Target(lhs=d.lhs, expected=d.result, definitions=tuple(definitions), conditions=tuple(d.conditions),
                   known=_symbols_of(d.lhs, d.result, *d.conditions, *definitions), typeable=typeable)


def _expression_target(derived: Derived) -> _Target:
    d, definitions = derived.derivation, derived.solution.definitions
    expected = d.result if d.verified else oracle(d.lhs, definitions)
    return _Target(lhs=d.lhs, expected=expected, definitions=definitions, conditions=tuple(d.conditions),
                   known=_symbols_of(d.lhs, *definitions), typeable=expected if _as_input(expected) else None)


def _is_result_of(given: sp.Expr, part: Part, solution: Solution) -> bool:
    target = _target_of(part, solution.definitions)
    return compare(given, target.expected, target.definitions, target.conditions).ok is True


def _symbols_of(*items) -> tuple:
    """Every symbol and vector name occurring in the expressions or definitions."""
    found = set()
    for item in items:
        exprs = (item.name, item.expr) if isinstance(item, Definition) else (item,)
        for expr in exprs:
            found |= {s for s in _variables(expr) if isinstance(s, sp.Symbol)}
            bound = {limit[0] for node in expr.atoms(sp.Sum) for limit in node.limits}
            found |= {s for s in expr.atoms(sp.Symbol) if s.is_integer and s not in bound}  # indices, as in ∂/∂x[k]
            found |= {node.base for node in expr.atoms(sp.Indexed)}
    return tuple(sorted(found, key=str))


def resolve_names(expr: sp.Expr, known: Iterable) -> sp.Expr:
    """The answer's names as the problem's objects: sigma_i is sigma[i], z is the problem's z; others are errors."""
    known = tuple(known)
    by_name = {str(getattr(s, "label", s)): s for s in known}
    vectors = {name: s for name, s in by_name.items() if isinstance(s, sp.IndexedBase)}
    replace = {}
    for node in expr.atoms(sp.Indexed):
        base = str(node.base.label)
        if base not in vectors:
            raise InputError(_unknown(base, by_name))
        if node.base != vectors[base]:
            replace[node.base] = vectors[base]
    expr = expr.xreplace(replace) if replace else expr
    replace = {}
    bound = {limit[0] for s in expr.atoms(sp.Sum) for limit in s.limits}
    for s in _variables(expr) - bound:
        if not isinstance(s, sp.Symbol) or s == N:
            continue
        if s.name in by_name and not isinstance(by_name[s.name], sp.IndexedBase):
            replace[s] = by_name[s.name]
            continue
        base, _, suffix = s.name.rpartition("_")
        if base in vectors and suffix:
            bound_here = {str(b): b for b in bound}
            component = sp.Integer(suffix) if suffix.isdigit() else bound_here.get(suffix) or _known_index(suffix, by_name)
            replace[s] = vectors[base][component]
        elif s.name in vectors:
            raise InputError(f"{s.name!r} is a vector here: write {s.name}[i] or {s.name}_i.")
        else:
            raise InputError(_unknown(s.name, by_name))
    return expr.xreplace(replace) if replace else expr


def _known_index(name: str, by_name: dict) -> sp.Symbol:
    if name not in by_name:
        raise InputError(_unknown(name, by_name))
    return by_name[name] if by_name[name].is_integer else index(name)


def _unknown(name: str, by_name: dict) -> str:
    names = ", ".join(sorted(by_name)) or "none"
    return f"unknown name {name!r} in the answer: this question uses {names}."


# --- plain data for the command line and the templates -----------------------------------------------
def answer_data(result: AnswerCheck) -> dict:
    """An answer's verdict as strings: question, answer, expected result, method, counterexample."""
    found = result.counterexample
    return {
        "problem": result.problem,
        "part": result.part,
        "correct": result.correct,
        "question": to_text(result.question),
        "answer": to_text(result.answer),
        "expected": to_text(result.expected),
        "expected_input": _as_input(result.typeable) if result.typeable is not None else "",
        "method": result.check.method,
        "detail": result.check.detail,
        "counterexample": None if found is None else dict(zip(("where", "answer", "expected"), (found.where(), *found.values()))),
        "matches_part": result.matches_part,
    }


def _as_input(expr: sp.Expr) -> str:
    """The expression as it may be typed back (sympy's str), or '' when the grammar cannot express it."""
    text = str(expr)
    try:
        return text if parse_expr(text) is not None else ""
    except SymderivError:
        return ""
