"""Rendering: a verified solution becomes plain data, then text, LaTeX or Markdown through Jinja templates."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import jinja2
import sympy as sp

from . import __version__
from .planner import rule_statements
from .printing import latex_relation, text_relation, to_latex, to_latex_matrix, to_text, to_text_matrix
from .problem import Solution
from .steps import Derivation

FORMATS = {"text": "text.j2", "tex": "document.tex.j2", "md": "markdown.md.j2"}
TEX_SPECIALS = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "^": r"\textasciicircum{}", "_": r"\_", "~": r"\textasciitilde{}", "%": r"\%",
}
TEX_PATTERN = re.compile("|".join(re.escape(c) for c in TEX_SPECIALS))


class Latex(str):
    """A string that is already LaTeX (made by sympy or by the problem's author) and is not escaped."""


def escape_tex(text: str) -> str:
    """Every LaTeX special character is made literal."""
    return TEX_PATTERN.sub(lambda m: TEX_SPECIALS[m.group()], text)


def expression(expr: sp.Basic) -> dict:
    """An expression as the formats need it: LaTeX, one-line Unicode, and sympy's srepr."""
    return {"latex": Latex(to_latex(expr)), "text": to_text(expr), "sympy": sp.srepr(expr)}


def derivation_data(derivation: Derivation) -> dict:
    """A derivation tree as nested dicts of strings (the JSON contract's DERIVATION)."""
    return {
        "lhs": expression(derivation.lhs),
        "steps": [
            {
                "rule": step.rule,
                "rhs": expression(step.rhs),
                "note": step.note,
                "check": _check_data(step.check),
                "uses": [derivation_data(used) for used in step.uses],
            }
            for step in derivation.steps
        ],
        "conditions": [Latex(latex_relation(c)) for c in derivation.conditions],
        "conditions_text": [text_relation(c) for c in derivation.conditions],
        "check": _check_data(derivation.check),
    }


def solution_data(solution: Solution) -> dict:
    """The whole solution as plain data: the single context every template and the JSON output use."""
    parts = []
    for number, part in enumerate(solution.parts):
        derivation = part.derivation
        unfolded = _expanded(derivation.result, solution)
        parts.append({
            "id": part.id,
            "label": "abcdefghijklmnopqrstuvwxyz"[number],
            "title": part.title,
            "question": Latex(to_latex(derivation.lhs) + " = ?"),
            "derivation": derivation_data(derivation),
            "result": {**expression(derivation.result), "expanded": sp.srepr(unfolded)},
            "statement": expression(part.statement) if part.statement is not None else None,
            "matrix": _matrix_data(part.matrix),
            "checks": [_check_data(c) for c in part.checks],
            "remarks": list(part.remarks),
            "verified": part.verified,
        })
    conditions = list(dict.fromkeys(c for part in solution.parts for c in part.derivation.conditions))
    return {
        "symderiv": __version__,
        "sympy": sp.__version__,
        "problem": solution.problem,
        "title": solution.title,
        "question": Latex(solution.question),
        "verified": solution.verified,
        "definitions": [
            {"name": Latex(to_latex(d.name)), "latex": Latex(to_latex(d.expr)), "text": f"{to_text(d.name)} := {to_text(d.expr)}",
             "sympy": sp.srepr(d.expr)}
            for d in solution.definitions
        ],
        "parts": parts,
        "conditions": [Latex(latex_relation(c)) for c in conditions],
        "conditions_text": [text_relation(c) for c in conditions],
        "remarks": list(solution.remarks),
        "params": {k: v for k, v in solution.params.items() if v is not None},
        "rules": {rule: Latex(statement) for rule, statement in rule_statements().items()},
        "rule_names": rule_names(),
    }


@lru_cache(maxsize=1)
def rule_names() -> dict:
    """Each rule id's name on the page, from templates/rule_names.json."""
    return json.loads((template_directory() / "rule_names.json").read_text(encoding="utf-8"))


def to_json(data: dict) -> str:
    """The JSON contract: the plain data minus presentation-only fields."""
    return json.dumps(_public(data), indent=2, ensure_ascii=False)


def render(data: dict, fmt: str, templates: Path | None = None) -> str:
    """The solution in one format: json directly, the others through their Jinja template."""
    if fmt == "json":
        return to_json(data)
    return environment(fmt == "tex", templates).get_template(FORMATS[fmt]).render(**data)


@lru_cache(maxsize=8)
def environment(tex: bool, override: Path | None = None) -> jinja2.Environment:
    """A Jinja environment: LaTeX-safe delimiters and escaping for tex, plain for text and Markdown."""
    loaders = [jinja2.FileSystemLoader(str(override))] if override else []
    loaders.append(jinja2.FileSystemLoader(str(template_directory())))
    options = dict(loader=jinja2.ChoiceLoader(loaders), undefined=jinja2.StrictUndefined, trim_blocks=True,
                   lstrip_blocks=True, keep_trailing_newline=True, autoescape=False)
    if tex:
        options.update(block_start_string="((*", block_end_string="*))", variable_start_string="(((",
                       variable_end_string=")))", comment_start_string="((=", comment_end_string="=))",
                       finalize=lambda value: value if isinstance(value, Latex) else escape_tex(str(value)))
    env = jinja2.Environment(extensions=["jinja2.ext.do"], **options)
    env.filters["assembled"] = Latex  # a macro's output, whose parts were escaped already
    env.filters["indent_quote"] = lambda text: "\n".join("> " + line for line in text.splitlines())
    return env


def template_directory() -> Path:
    """The templates folder: inside the installed package, or the top-level folder of a checkout."""
    from importlib import resources

    try:
        packaged = Path(str(resources.files("symderiv.templates")))
        if (packaged / "text.j2").is_file():
            return packaged
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "templates"


def _expanded(expr: sp.Expr, solution: Solution) -> sp.Expr:
    from .definitions import unfold

    return unfold(expr, solution.definitions)


def _check_data(check) -> dict | None:
    return None if check is None else {"ok": check.ok, "method": check.method, "detail": check.detail}


def _matrix_data(matrix) -> dict | None:
    if matrix is None:
        return None
    return {"size": matrix.rows, "latex": Latex(to_latex_matrix(matrix)), "text": to_text_matrix(matrix),
            "entries": [[sp.srepr(matrix[a, b]) for b in range(matrix.cols)] for a in range(matrix.rows)]}


PRESENTATION = {"text", "conditions_text", "label", "rules", "rule_names"}


def _public(value):
    """Drop the presentation-only keys (text forms, labels) from the plain data."""
    if isinstance(value, dict):
        return {k: _public(v) for k, v in value.items() if k not in PRESENTATION}
    if isinstance(value, list):
        return [_public(v) for v in value]
    return value
