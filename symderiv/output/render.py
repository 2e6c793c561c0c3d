"""Rendering: a verified solution becomes plain data, then text, LaTeX or Markdown through Jinja templates."""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from contextlib import contextmanager
from string import ascii_lowercase
from functools import lru_cache
from pathlib import Path

import jinja2
import sympy as sp

from symderiv import __version__
from symderiv.derive.planner import rule_statements
from symderiv.output.printing import (latex_relation, negated, ordered_terms, text_relation, to_latex, to_latex_matrix, to_text,
                       to_text_matrix)
from symderiv.model.definitions import unfold
from symderiv.model.errors import InputError
from symderiv.model.problem import Prose, Solution
from symderiv.output.resources import read_capped, shown, template_directory
from symderiv.model.steps import Derivation

FORMATS = {"text": "text.j2", "tex": "document.tex.j2", "md": "markdown.md.j2"}
SPLIT_AT, LINE_LENGTH = 90, 60  # characters of one-line text: a longer sum is broken into lines of about this length
LETTERS = tuple(ascii_lowercase) + tuple(a + b for a in ascii_lowercase for b in ascii_lowercase)  # a … z, aa …
ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv", "xv", "xvi")
TEX_SPECIALS = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "^": r"\textasciicircum{}", "_": r"\_", "~": r"\textasciitilde{}", "%": r"\%",
}
TEX_PATTERN = re.compile("|".join(re.escape(c) for c in TEX_SPECIALS))
SPACES = re.compile(r"[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029]+")  # a blank line would end a paragraph (\par)
CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff]")  # no glyph; TeX stops on some
MAX_TEMPLATE_BYTES = 1_000_000


class Latex(str):
    """A string that is already LaTeX (made by sympy or by the problem's author) and is not escaped."""


def escape_tex(text: str) -> str:
    """Every LaTeX special character is made literal; line breaks and other spacing become one space, controls vanish."""
    text = CONTROLS.sub("", SPACES.sub(" ", text))
    return TEX_PATTERN.sub(lambda m: TEX_SPECIALS[m.group()], text)


def expression(expr: sp.Basic, **extra) -> Lazy:
    """An expression as the formats need it: LaTeX, one-line Unicode, sympy's srepr, and a long sum's lines.

    Each form is made when a template or the JSON output first reads it, so `-f text` never prints LaTeX;
    `extra` adds more fields the same way (a name and a function that makes the value)."""
    return Lazy({"latex": lambda: Latex(to_latex(expr)), "text": lambda: to_text(expr), "sympy": lambda: _srepr(expr),
                 "lines": lambda: _lines(expr, to_text(expr)), **extra})


class Lazy(Mapping):
    """A read-only mapping whose values are made on first reading, then kept (templates read it like a dict)."""

    def __init__(self, makers: dict):
        self._makers, self._values = makers, {}

    def __getitem__(self, key):
        if key not in self._values:
            self._values[key] = self._makers[key]()
        return self._values[key]

    def __iter__(self):
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)

    def __repr__(self) -> str:
        return f"Lazy({sorted(self._makers)})"


@lru_cache(maxsize=4096)
def _srepr(expr: sp.Basic) -> str:
    """sympy's srepr, made once per expression: a deep network's parts repeat the same factors."""
    return sp.srepr(expr)


def _matrix_form(statement) -> dict:
    """{"matrix": …} when the part restates its result as a matrix expression (δxᵀ, Wᵀδ), else nothing."""
    matrix = getattr(statement, "rhs", None)
    return {"matrix": lambda: expression(matrix)} if isinstance(matrix, sp.MatrixExpr) else {}


def _lines(expr: sp.Basic, text: str) -> list[Latex] | None:
    """A sum too long for one row, as LaTeX lines of whole terms (the 2nd line on start with their sign), or None."""
    if len(text) <= SPLIT_AT or not isinstance(expr, sp.Add):
        return None
    lines, current, width = [], "", 0
    for n, term in enumerate(ordered_terms(expr, expr.as_ordered_terms())):
        sign = "- " if n and term.could_extract_minus_sign() else "+ " if n else ""
        term = negated(term) if sign == "- " else term
        tex, size = to_latex(term), len(to_text(term))
        if current and width + size > LINE_LENGTH:
            lines.append(current)
            current, width = "", 0
        current += (" " if current else "") + sign + (rf"\left({tex}\right)" if term.is_Add else tex)
        width += size
    lines.append(current)
    return [Latex(line) for line in lines] if len(lines) > 1 else None


class Earlier:
    """What the parts already shown derived (their chains and cited sub-derivations), each with its part's label,
    found by its two sides first, so a deep network's hundreds of citations are not compared pairwise."""

    def __init__(self):
        self._by_sides: dict = {}

    def add(self, derivation: Derivation, label: str) -> None:
        self._by_sides.setdefault((derivation.lhs, derivation.result), []).append((derivation, label))

    def label(self, derivation: Derivation) -> str | None:
        """The label of the first part that derived `derivation` already, or None."""
        candidates = self._by_sides.get((derivation.lhs, derivation.result), ())
        return next((label for shown, label in candidates if shown is derivation or shown == derivation), None)


def derivation_data(derivation: Derivation, earlier: Earlier | None = None) -> dict:
    """A derivation tree as nested dicts of strings (the JSON contract's DERIVATION).

    `earlier` holds what the parts already shown derived; a cited sub-derivation met again gets `ref` = that
    part's label, so the page says "by (a)" instead of repeating it.
    """
    earlier = earlier or Earlier()
    return {
        "lhs": expression(derivation.lhs),
        "steps": [
            {
                "rule": step.rule,
                "rhs": expression(step.rhs),
                "note": step.note,
                "check": _check_data(step.check),
                "uses": [_cited(used, earlier) for used in step.uses],
            }
            for step in derivation.steps
        ],
        "conditions": [Latex(latex_relation(c)) for c in derivation.conditions],
        "conditions_text": [text_relation(c) for c in derivation.conditions],
        "check": _check_data(derivation.check),
        "ref": None,
    }


def _cited(used: Derivation, earlier: Earlier) -> dict:
    """A cited sub-derivation's data, with `ref` set when an earlier part derived it already."""
    data = derivation_data(used, earlier)
    data["ref"] = earlier.label(used)
    return data


def audit(derivation: dict, prefix: str = "") -> list[dict]:
    """Every link of a derivation's data, depth first, numbered 1, 2, 2.1.1 (step 2, cited 1, step 1), with its check."""
    rows = []
    for n, step in enumerate(derivation["steps"], 1):
        number = f"{prefix}{n}"
        rows.append({"step": number, "rule": step["rule"], "check": step["check"], "ref": None})
        for u, used in enumerate(step["uses"], 1):
            if used["ref"]:
                rows.append({"step": f"{number}.{u}", "rule": None, "check": None, "ref": used["ref"]})
            else:
                rows.extend(audit(used, f"{number}.{u}."))
    return rows


def solution_data(solution: Solution, *, parts: list[str] | None = None, labels=LETTERS) -> dict:
    """The whole solution as plain data: the single context every template and the JSON output use.

    `parts` picks some part ids (in the solution's order; default all); `labels` names them on the page.
    """
    chosen = [part for part in solution.parts if parts is None or part.id in parts]
    shown, earlier = [], Earlier()
    for number, part in enumerate(chosen):
        derivation = part.derivation
        label = labels[number]
        data = derivation_data(derivation, earlier)
        shown.append({
            "id": part.id,
            "label": label,
            "title": part.title,
            "question": Latex(to_latex(derivation.lhs) + " = ?"),
            "derivation": data,
            "result": expression(derivation.result, expanded=_expanded(derivation.result, solution.definitions),
                                 **_matrix_form(part.statement)),
            "statement": expression(part.statement) if part.statement is not None else None,
            "matrix": _matrix_data(part.matrix),
            "checks": [_check_data(c) for c in part.checks],
            "remarks": list(part.remarks),
            "verified": part.verified,
            "complete": not part.derivation.has_unknown(),
            "audit": audit(data),
        })
        for shown_here in derivation.walk():
            if len(shown_here.steps) > 1:
                earlier.add(shown_here, label)
    conditions = list(dict.fromkeys(c for part in chosen for c in part.derivation.conditions))
    return {
        "symderiv": __version__,
        "sympy": sp.__version__,
        "problem": solution.problem,
        "title": solution.title,
        "question": Latex(solution.question),
        "verified": all(part.verified for part in chosen),
        "definitions": [
            _definition_data(d) for d in solution.definitions
        ],
        "parts": shown,
        "conditions": [Latex(latex_relation(c)) for c in conditions],
        "conditions_text": [text_relation(c) for c in conditions],
        "remarks": list(solution.remarks),
        "params": {k: v for k, v in solution.params.items() if v is not None},
        "rules": {rule: Latex(statement) for rule, statement in rule_statements().items()},
        "rule_names": rule_names(),
    }


def _expanded(result: sp.Expr, definitions) -> callable:
    """The maker of a result's srepr with every named quantity unfolded (read by the JSON output only)."""
    return lambda: sp.srepr(unfold(result, definitions))


@lru_cache(maxsize=1)
def rule_names() -> dict:
    """Each rule id's name on the page, from templates/rule_names.json."""
    return _names_file(template_directory() / "rule_names.json")


def _names_file(path: Path) -> dict:
    """A rule_names.json: a JSON object of strings, or an InputError in one sentence."""
    try:
        names = json.loads(read_capped(path, MAX_TEMPLATE_BYTES, "template").decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        names = None
    if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
        raise InputError(f"{shown(path)} must be a JSON object of rule names, such as {{\"quotient\": \"Trick One\"}}.")
    return names


def to_json(data: dict) -> str:
    """The JSON contract: the plain data minus presentation-only fields."""
    return json.dumps(_public(data), indent=2, ensure_ascii=False)


def render(data: dict, fmt: str, templates: Path | None = None) -> str:
    """The solution in one format: json directly, the others through their Jinja template."""
    if fmt == "json":
        from symderiv.output.wording import resolve

        return to_json(resolve(data, templates))
    return render_template(FORMATS[fmt], data, templates, tex=fmt == "tex")


def render_template(name: str, context: dict, templates: Path | None = None, *, tex: bool = True, html: bool = False) -> str:
    """Any template by file name (e.g. a sheet's), with the LaTeX-safe environment unless tex is False (HTML-escaped with html)."""
    if templates is not None and (templates / "rule_names.json").is_file():
        context = {**context, "rule_names": {**context.get("rule_names", {}), **_names_file(templates / "rule_names.json")}}
    from symderiv.output.wording import resolve

    context = resolve(context, templates, tex=tex)
    with template_errors(name):
        return environment(tex and not html, templates, html).get_template(name).render(**context)


@contextmanager
def template_errors(name: str):
    """Any failure of template `name` (or of one it uses) as an InputError in one sentence."""
    try:
        yield
    except UnicodeDecodeError as error:
        raise InputError(f"a template that {name} uses is not UTF-8 text ({error.reason}); save it as UTF-8.") from None
    except RecursionError:
        raise InputError(f"template {name} recurses without end; fix the template.") from None
    except jinja2.TemplateSyntaxError as error:
        raise InputError(f"template {error.filename or error.name or name}, line {error.lineno}: {error.message}; "
                         "fix the template.") from None
    except jinja2.TemplateError as error:
        raise InputError(f"template {name} cannot be rendered: {error}; fix the template.") from None


@lru_cache(maxsize=8)
def environment(tex: bool, override: Path | None = None, html: bool = False) -> jinja2.Environment:
    """A Jinja environment: LaTeX-safe delimiters and escaping for tex, HTML escaping for html, plain for text and Markdown."""
    loaders = [CappedLoader(str(override))] if override else []
    loaders.append(CappedLoader(str(template_directory())))
    options = dict(loader=jinja2.ChoiceLoader(loaders), undefined=jinja2.StrictUndefined, trim_blocks=True,
                   lstrip_blocks=True, keep_trailing_newline=True, autoescape=html)
    if tex:
        options.update(block_start_string="((*", block_end_string="*))", variable_start_string="(((",
                       variable_end_string=")))", comment_start_string="((=", comment_end_string="=))",
                       finalize=lambda value: value if isinstance(value, Latex) else escape_tex(str(value)))
    env = jinja2.Environment(extensions=["jinja2.ext.do"], **options)
    env.filters["assembled"] = Latex  # a macro's output, whose parts were escaped already
    env.filters["indent_quote"] = lambda text: "\n".join("> " + line for line in text.splitlines())
    return env


class CappedLoader(jinja2.FileSystemLoader):
    """Jinja's file loader that refuses anything but a regular file of at most MAX_TEMPLATE_BYTES (a FIFO, /dev/zero)."""

    def get_source(self, environment, template):
        for folder in self.searchpath:
            path = Path(folder, *template.split("/"))
            if path.exists():
                if not path.is_file() or path.stat().st_size > MAX_TEMPLATE_BYTES:
                    raise InputError(f"template {shown(path)} is not a regular file of at most {MAX_TEMPLATE_BYTES:,} bytes.")
                break
        return super().get_source(environment, template)


def _definition_data(definition) -> Lazy:
    """A named quantity's definition in every format, each made on first reading."""
    name, expr = definition.name, definition.expr
    return Lazy({"name": lambda: Latex(to_latex(name)), "latex": lambda: Latex(to_latex(expr)),
                 "text": lambda: f"{to_text(name)} := {to_text(expr)}", "sympy": lambda: _srepr(expr)})


def _check_data(check) -> dict | None:
    return None if check is None else {"ok": check.ok, "method": check.method, "detail": check.detail}


def _matrix_data(matrix) -> dict | None:
    if matrix is None:
        return None
    return Lazy({"size": lambda: matrix.rows, "latex": lambda: Latex(to_latex_matrix(matrix)),
                 "text": lambda: to_text_matrix(matrix),
                 "entries": lambda: [[sp.srepr(matrix[a, b]) for b in range(matrix.cols)] for a in range(matrix.rows)]})


PRESENTATION = {"text", "conditions_text", "label", "rules", "rule_names", "audit", "lines"}


def _public(value):
    """Drop the presentation-only keys (text forms, labels) from the plain data."""
    if isinstance(value, Mapping):
        return {k: _public(v) for k, v in value.items() if k not in PRESENTATION}
    if isinstance(value, list):
        return [_public(v) for v in value]
    if isinstance(value, Prose):
        from symderiv.output.wording import words

        return words(value)
    return value
