"""Checking a hand-written derivation: `d/dVAR EXPR` or EXPR, then `= EXPR  # why` lines, each link decided."""
from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from symderiv import __version__
from symderiv.model.definitions import Definition, check_combined
from symderiv.model.errors import InputError, SymderivError
from symderiv.read.parse import parse_expr
from symderiv.output.printing import to_latex, to_text
from symderiv.model.steps import Check
from symderiv.read.answers import Counterexample, check_acyclic, quoted, compare, counterexample, read_definitions

MAX_WRITTEN_LINES, MAX_WRITTEN_CHARS = 1000, 100_000
_DERIVATIVE_LINE = re.compile(r"d\s*/\s*d\s*([A-Za-z][A-Za-z0-9_]*(?:\[[^\]]*\])?)(?=[\s(])\s*(.*)\Z", re.S)
_WHERE_LINE = re.compile(r"where\s+(.*)\Z", re.S)


@dataclass(frozen=True, kw_only=True)
class WrittenLine:
    """One line of a written chain: its line number, expression, justification, and (after the first) its check."""

    number: int
    expr: sp.Expr
    source: str = ""
    justification: str = ""
    check: Check | None = None
    counterexample: Counterexample | None = None


@dataclass(frozen=True, kw_only=True)
class WrittenDerivation:
    """A hand-written chain `first = second = …`, each link checked; `conclusion` compares first and last."""

    name: str
    definitions: tuple[Definition, ...]
    lines: tuple[WrittenLine, ...]
    conclusion: Check | None = None
    where: tuple[str, ...] = ()  # the `where` lines as written

    @property
    def ok(self) -> bool:
        """Every link holds."""
        return all(line.check is not None and line.check.ok is True for line in self.lines[1:])

    def first_failure(self) -> WrittenLine | None:
        """The first line whose link to the previous line is false or undecided."""
        return next((line for line in self.lines[1:] if line.check is None or line.check.ok is not True), None)


def verify_written(text: str, name: str = "derivation") -> WrittenDerivation:
    """Check a written derivation: `d/dVAR EXPR` or EXPR, then `= EXPR  # why` lines, and `where NAME = EXPR`."""
    if len(text) > MAX_WRITTEN_CHARS or text.count("\n") >= MAX_WRITTEN_LINES:
        raise InputError(f"{name} is too long to check (at most {MAX_WRITTEN_LINES} lines, {MAX_WRITTEN_CHARS} characters).")
    wheres, chain = [], []
    for number, raw in enumerate(re.split(r"\r\n?|\n", text), start=1):  # not splitlines: \f is no line break
        content, _, comment = raw.partition("#")
        content = content.strip()
        if not content:
            continue
        where = _WHERE_LINE.match(content)
        if where:
            wheres.append((number, where[1]))
        elif content.startswith("="):
            if not chain:
                raise InputError(f"line {number} starts with '=' but no expression comes before it.")
            chain.append((number, content[1:], comment.strip()))
        elif chain:
            raise InputError(f"line {number} should start with '=' (or be a 'where NAME = EXPR' line).")
        else:
            chain.append((number, content, comment.strip()))
    if len(chain) < 2:
        raise InputError(f"{name} has no line starting with '=', so there is nothing to check.")
    definitions = _where_definitions(wheres)
    exprs = [_first_line(*chain[0][:2])] + [_line(number, body) for number, body, _ in chain[1:]]
    roots = {d.name: f"the definition of {d.name}" for d in definitions}
    roots.update({expr: f"line {number}" for (number, *_), expr in zip(chain, exprs)})
    check_combined(roots, definitions)  # all together: 2**y with y := 10**99 is refused, never computed
    lines = [WrittenLine(number=chain[0][0], expr=exprs[0], source=chain[0][1], justification=chain[0][2])]
    for (number, body, why), previous, expr in zip(chain[1:], exprs, exprs[1:]):
        check = compare(previous, expr, definitions)
        found = counterexample(previous, expr, definitions) if check.ok is not True else None
        lines.append(WrittenLine(number=number, expr=expr, source=body.strip(), justification=why, check=check,
                                 counterexample=found))
    conclusion = None
    if not all(line.check.ok is True for line in lines[1:]) and len(lines) > 2:
        conclusion = compare(exprs[0], exprs[-1], definitions)
    return WrittenDerivation(name=name, definitions=definitions, lines=tuple(lines), conclusion=conclusion,
                             where=tuple(" ".join(body.split()) for _, body in wheres))


def _where_definitions(wheres: list) -> tuple[Definition, ...]:
    definitions = []
    for number, body in wheres:
        try:
            definitions += read_definitions([body])
        except InputError as error:
            raise InputError(f"line {number}: {error}") from None
    names = [d.name for d in definitions]
    if len(set(names)) < len(names):
        raise InputError(f"{next(n for n in names if names.count(n) > 1)} is defined twice.")
    check_acyclic(tuple(definitions))
    return tuple(definitions)


def _first_line(number: int, body: str) -> sp.Expr:
    """`d/dVAR EXPR` is the unevaluated derivative; anything else is an expression."""
    derivative = _DERIVATIVE_LINE.match(body)
    if not derivative:
        return _line(number, body)
    var, expr = _line(number, derivative[1], "the variable"), _line(number, derivative[2])
    if not isinstance(var, (sp.Symbol, sp.Indexed)):
        raise InputError(f"line {number}: d/d must be followed by a variable name, such as d/dw2.")
    return sp.Derivative(expr, var, evaluate=False)


def _line(number: int, body: str, what: str = "the expression") -> sp.Expr:
    try:
        return parse_expr(body)
    except SymderivError as error:
        raise InputError(f"line {number}: cannot read {what} {quoted(body)}: {error}") from None


def written_data(written: WrittenDerivation) -> dict:
    """A checked written derivation as strings, the context of the verify templates and the JSON output."""
    lines = [_line_data(line, previous) for previous, line in zip((None, *written.lines), written.lines)]
    failure = written.first_failure()
    return {
        "name": written.name,
        "symderiv": __version__,
        "sympy": sp.__version__,
        "ok": written.ok,
        "definitions": [{"source": source, "text": f"{to_text(d.name)} = {to_text(d.expr)}",
                         "latex": f"{to_latex(d.name)} = {to_latex(d.expr)}"}
                        for d, source in zip(written.definitions, written.where)],
        "lines": lines,
        "links": len(lines) - 1,
        "false_lines": [line["number"] for line in lines if line["status"] == "false"],
        "undecided_lines": [line["number"] for line in lines if line["status"] == "undecided"],
        "first_failure": next((line for line in lines if failure and line["number"] == failure.number), None),
        "conclusion": None if written.conclusion is None else _status(written.conclusion),
    }


def _line_data(line: WrittenLine, previous: WrittenLine | None) -> dict:
    found = line.counterexample
    data = {"number": line.number, "previous": previous.number if previous else None, "source": line.source,
            "text": to_text(line.expr),
            "latex": _as_written(line), "justification": line.justification, "status": "first",
            "method": "", "detail": "", "counterexample": None}
    if line.check is not None:
        data.update(status=_status(line.check), method=line.check.method, detail=line.check.detail)
    if found is not None:
        data["counterexample"] = dict(zip(("where", "previous", "this"), (found.where(), *found.values())))
    return data


def _as_written(line: WrittenLine) -> str:
    """The line's LaTeX in the writer's own order, unevaluated (a derivative line d/dVAR EXPR as ∂/∂VAR (EXPR))."""
    from symderiv.read.verbatim import verbatim_latex

    derivative = _DERIVATIVE_LINE.match(line.source)
    try:
        if derivative and isinstance(line.expr, sp.Derivative):
            return rf"\frac{{\partial}}{{\partial {to_latex(line.expr.variables[0])}}} \left({verbatim_latex(derivative[2])}\right)"
        return verbatim_latex(line.source)
    except SymderivError:  # read once already; any doubt prints sympy's form
        return to_latex(line.expr)


def _status(check: Check) -> str:
    return {True: "holds", False: "false"}.get(check.ok, "undecided")
