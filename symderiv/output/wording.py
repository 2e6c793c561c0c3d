"""Wording: the words of titles, remarks and messages live in templates/prose/FILE.j2, one Jinja macro per text.

The core names a macro and hands over values (`model.problem.Prose`); here the macro is rendered and each
sympy value is printed as a formula of the format: one-line text for text and Markdown, `$…$` for LaTeX,
where the words around it are escaped.
"""
from __future__ import annotations

import re
from pathlib import Path

import sympy as sp

from symderiv.model.errors import InputError
from symderiv.model.problem import Prose
from symderiv.output.printing import to_latex, to_text
from symderiv.output.render import Latex, environment, escape_tex, template_errors

OPEN, CLOSE = "\x02", "\x03"  # around a formula's LaTeX in the rendered words, until the words are escaped
FORMULA = re.compile(f"{OPEN}([^{CLOSE}]*){CLOSE}")
# render's keys whose data is built from sympy alone, so holds no Prose
FROM_SYMPY = frozenset({"derivation", "audit", "result", "statement", "matrix", "definitions", "rules", "rule_names",
                        "lhs", "steps", "uses", "conditions", "conditions_text"})


class Formula:
    """A sympy value inside prose: prints as one-line text, or for LaTeX as a marked formula that `words` keeps."""

    def __init__(self, expr, tex: bool):
        self.expr, self.tex = expr, tex

    def __str__(self) -> str:
        return f"{OPEN}{to_latex(self.expr)}{CLOSE}" if self.tex else to_text(self.expr)


def words(item: Prose, templates: Path | None = None, *, tex: bool = False) -> str:
    """The words of `item` (`--templates` first), as plain text, or as LaTeX (a `Latex` string) when tex."""
    file, _, name = item.key.partition("/")
    template = f"prose/{file}.j2"
    with template_errors(template):
        macro = getattr(environment(False, templates).get_template(template).module, name, None)
    if macro is None or not callable(macro):
        raise InputError(f"template {template} has no macro {name!r}; restore it from symderiv's templates.")
    with template_errors(f"{template} (macro {name})"):
        try:
            said = str(macro(**{key: _shown(value, tex) for key, value in item.values}))
        except TypeError as error:
            raise InputError(f"template {template}, macro {name}: {error}; fix the template.") from None
    said = " ".join(said.split())  # the template may wrap its lines; the page decides the breaks
    return _latex(said) if tex else said


def resolve(value, templates: Path | None = None, *, tex: bool = False):
    """A template context with every Prose in it (in dicts and lists) turned into its words.

    What holds no Prose is returned as it is, not copied, and the data render builds from sympy alone
    (derivations, expressions, audits) is not searched: in a long derivation it is most of the context.
    """
    if isinstance(value, Prose):
        return words(value, templates, tex=tex)
    if isinstance(value, dict):
        done = {key: resolve(item, templates, tex=tex) for key, item in value.items()
                if key not in FROM_SYMPY and isinstance(item, (Prose, dict, list))}
        changed = {key: item for key, item in done.items() if item is not value[key]}
        return {**value, **changed} if changed else value
    if isinstance(value, list):
        done = [resolve(item, templates, tex=tex) for item in value]
        return done if any(new is not old for new, old in zip(done, value)) else value
    return value


def _shown(value, tex: bool):
    """A value as the macro sees it: sympy values become formulas, tuples lists of shown values."""
    if isinstance(value, (sp.Basic, sp.MatrixBase)):
        return Formula(value, tex)
    if isinstance(value, str):  # words, never a formula's marks: a string cannot smuggle raw LaTeX in
        return value.replace(OPEN, "").replace(CLOSE, "")
    if isinstance(value, (list, tuple)):
        return [_shown(item, tex) for item in value]
    return value


def _latex(said: str) -> Latex:
    """Rendered words as LaTeX: the words escaped, each marked formula set in $…$."""
    pieces = FORMULA.split(said)  # words, formula, words, formula, …, words
    return Latex("".join(f"${piece}$" if n % 2 else escape_tex(piece) for n, piece in enumerate(pieces)))
