"""What users type: expressions to derive and answers to check (written derivations: written.py).

Text in, data out: every function here takes strings and returns dataclasses of sympy objects (or plain
dicts of strings for the templates). No click, no Jinja, no file I/O.
"""
from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from .definitions import Definition, unfold
from .errors import InputError, SymderivError
from .functions import expand_special
from .parse import parse_equation, parse_expr
from .printing import to_latex, to_text
from .problem import Part, Solution
from .steps import Check, Derivation
from .symbols import N, index, scalar
from .verify import decide, exact_zero, oracle, verify

NICE_VALUES = tuple(sp.Rational(v) for v in ("1/2", "2", "3/2", "3", "1/4", "5/2", "3/4", "5/4"))
INDEX_SIZES = (2, 3, 4, 5)
DIGITS = 30
SHOWN_DIGITS = 8


# --- reading user text ---------------------------------------------------------------------------
def read(text: str, what: str) -> sp.Expr:
    """`text` parsed by the safe parser; a ParseError says which input it was about."""
    try:
        return parse_expr(text)
    except SymderivError as error:
        raise InputError(f"cannot read {what} {quoted(text)}: {error}") from None


def read_definitions(texts: Iterable[str]) -> tuple[Definition, ...]:
    """`NAME = EXPR` texts as named quantities; duplicate names and cycles are input errors."""
    definitions, seen = [], set()
    for text in texts:
        try:
            name, expr = parse_equation(text)
        except SymderivError as error:
            raise InputError(f"cannot read the definition {quoted(text)}: {error}") from None
        if name in seen:
            raise InputError(f"{name!r} is defined twice.")
        seen.add(name)
        definitions.append(Definition(name=scalar(name), expr=expr))
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


def derive_expression(expr: str, wrt: str, defines: Sequence[str] = (), method: str = "auto") -> Derived:
    """∂expr/∂wrt by the planner, every link verified, packed as the problem named "expr"."""
    from .planner import context, derive

    definitions = read_definitions(defines)
    f, var = read(expr, "the expression"), read_variable(wrt)
    warnings = ()
    if not context(var, definitions=definitions, method=method).depends(f):
        warnings = (f"{var} does not occur in the expression or its definitions, so the derivative is 0.",)
    derivation = verify(derive(f, var, definitions=definitions, method=method), definitions)
    part = Part(id="derivative", title="Step by step", derivation=derivation)
    solution = Solution(problem="expr", title=f"Derivative with respect to {var}",
                        question=rf"\(\displaystyle {to_latex(derivation.lhs)} = ?\)",
                        definitions=definitions, parts=(part,))
    return Derived(solution=solution, warnings=warnings)


# --- comparing two expressions ---------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Counterexample:
    """A point where two expressions differ, with both values there."""

    point: tuple[tuple[sp.Expr, sp.Expr], ...]
    left: sp.Expr
    right: sp.Expr

    def where(self) -> str:
        """`x = 0.5, y = 2`."""
        return ", ".join(f"{name} = {_number(value)}" for name, value in self.point)

    def values(self) -> tuple[str, str]:
        """Both values, to 8 significant digits."""
        return _number(self.left), _number(self.right)


def compare(a: sp.Expr, b: sp.Expr, definitions: tuple = (), conditions: tuple = ()) -> Check:
    """Whether a = b, by the cheapest decisive method: structure, exact identity, then verify.decide's ladder."""
    if a == b:
        return Check(ok=True, method="structural", detail="identical expressions")
    definitions, conditions = tuple(definitions), tuple(conditions)
    difference = a - b
    if definitions or difference.has(sp.Derivative, MatrixElement):
        difference = oracle(a, definitions) - oracle(b, definitions)
    if not difference.has(sp.Derivative) and vanishes(difference):
        return Check(ok=True, method="exact", detail="rational-function identity")
    check = decide(a, b, definitions, conditions)
    if check.ok is True and "numeric" in check.method + check.detail:
        found = counterexample(a, b, definitions, conditions)  # decide samples positive values only
        if found is not None:
            left, right = found.values()
            return Check(ok=False, method=check.method, detail=f"at {found.where()}: left side {left}, right side {right}")
    return check


def vanishes(expr: sp.Expr) -> bool:
    """True when `expr` is 0 as a rational function of its atoms (sound; never refutes)."""
    return exact_zero(expand_special(expr)) is True


def counterexample(a: sp.Expr, b: sp.Expr, definitions: tuple = (), conditions: tuple = (),
                   seed: int = 20240517) -> Counterexample | None:
    """A point (index values first) where a and b differ beyond rounding, or None if none was found."""
    left, right = oracle(a, tuple(definitions)), oracle(b, tuple(definitions))
    rng = random.Random(seed)
    for binding in _index_bindings(left, right, tuple(conditions)):
        u, v = (e.xreplace(binding).doit() for e in (left, right))
        found = _differing_point(u, v, rng)
        if found is not None:
            point, left_value, right_value = found
            return Counterexample(point=tuple(binding.items()) + point, left=left_value, right=right_value)
    return None


def _index_bindings(left: sp.Expr, right: sp.Expr, conditions: tuple):
    """{} for index-free expressions; else N = 2…5 and every equality pattern of the free indices."""
    indices = sorted((s for s in (left.free_symbols | right.free_symbols)
                      if isinstance(s, sp.Symbol) and s.is_integer and s != N), key=str)
    uses_n = (left.free_symbols | right.free_symbols) & {N}
    if not indices and not uses_n:
        yield {}
        return
    for n in INDEX_SIZES:
        patterns = set()
        for values in itertools.product(range(1, n + 1), repeat=len(indices)):
            pattern = tuple(values.index(v) for v in values)
            if pattern in patterns:
                continue
            patterns.add(pattern)
            binding = {N: sp.Integer(n), **{i: sp.Integer(v) for i, v in zip(indices, values)}}
            relevant = [c for c in conditions if c.free_symbols & set(indices) and c.free_symbols <= set(binding)]
            if all(c.xreplace(binding) == sp.true for c in relevant):
                yield binding


def _differing_point(u: sp.Expr, v: sp.Expr, rng: random.Random):
    """A point of simple numbers where u and v are both defined and differ, with both values."""
    variables = sorted(_variables(u) | _variables(v), key=sp.default_sort_key)
    nice = [[NICE_VALUES[(m + t) % len(NICE_VALUES)] for m in range(len(variables))] for t in range(len(NICE_VALUES))]
    drawn = [[sp.Rational(rng.randint(10, 300), 100) for _ in variables] for _ in range(16)]
    signs = [[-1] * len(variables), [(-1) ** m for m in range(len(variables))], [(-1) ** (m + 1) for m in range(len(variables))]]
    signed = [[value * sign for value, sign in zip(row, flip)] for flip in signs for row in nice[:4] + drawn[:8]]
    for values in nice + drawn + signed:
        point = {s: value if value > 0 or not s.is_positive else -value for s, value in zip(variables, values)}
        try:
            p, q = (sp.N(e.xreplace(point), DIGITS) for e in (u, v))
        except (ValueError, TypeError, ZeroDivisionError, ArithmeticError):
            continue
        if not (p.is_real and q.is_real) or p.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or q.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            continue
        if abs(p - q) > sp.Float("1e-15", DIGITS) * max(1, abs(p), abs(q)):
            return tuple(point.items()), p, q
    return None


def _variables(expr: sp.Expr) -> set:
    """The free symbols and components x[1] of `expr`, without the labels of its vectors."""
    labels = {node.base.label for node in expr.atoms(sp.Indexed)}
    return {s for s in expr.free_symbols if isinstance(s, (sp.Symbol, sp.Indexed)) and s not in labels}


def _number(value: sp.Expr) -> str:
    """A rational coordinate as a decimal where exact (0.5), else a fraction; a computed value to 8 digits."""
    if value.is_Integer:
        return str(value)
    if value.is_Rational:
        q = value.q
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        return str(sp.N(value, 20)).rstrip("0") if q == 1 else str(value)
    return f"{float(value):.{SHOWN_DIGITS}g}"


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
                 defines: Sequence[str] = ()) -> AnswerCheck:
    """Whether `answer` is ∂expr/∂wrt, or the result of a catalog problem's part (default: its last part)."""
    if (problem is None) == (expr is None):
        raise InputError("give either a problem name or an expression, not both.")
    if problem is not None:
        solution = _solved(problem, tuple(sorted((params or {}).items())), method)
        chosen = _part(solution, part)
        target = _target_of(chosen, solution.definitions)
    else:
        derived = derive_expression(expr, wrt, defines, method)
        target, chosen, solution = _expression_target(derived), None, derived.solution
    given = resolve_names(read(answer, "the answer"), target.known)
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
    from .catalog import solve

    return solve(name, dict(params), method)


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
            replace[s] = vectors[base][sp.Integer(suffix) if suffix.isdigit() else _known_index(suffix, by_name)]
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
