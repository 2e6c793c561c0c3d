"""The presenter: solutions, parts, derivations and verdicts in every format, for notebooks and for files.

`present(obj, fmt)` is what the model's `_repr_html_`, `to_latex()`, … call (the package installs it),
and what `symderiv.app.api.output` uses: one path from a result to its text, page or PDF.
"""
from __future__ import annotations

from pathlib import Path

import sympy as sp

from symderiv.model.errors import InputError
from symderiv.model.problem import Part, Solution
from symderiv.model.steps import Derivation
from symderiv.output.render import (derivation_data, render, render_template, rule_names, solution_data,
                                    to_json)

TEMPLATES = {"html": "display.html.j2", "page": "page.html.j2", "md": "markdown.md.j2"}


def present(obj, fmt: str, *, templates: Path | None = None, path=None, **options):
    """`obj` (Solution, Part, Derivation, or anything with a `presented` method) in format `fmt`."""
    if hasattr(obj, "presented"):
        return obj.presented(fmt, templates=templates, path=path)
    if isinstance(obj, Derivation):
        return _derivation(obj, fmt, templates)
    solution = obj if isinstance(obj, Solution) else _alone(obj)
    return solution_output(solution, fmt, templates=templates, path=path, part_only=isinstance(obj, Part), **options)


def solution_output(solution: Solution, fmt: str, *, templates: Path | None = None, path=None,
                    part_only: bool = False, parts: list[str] | None = None):
    """A solution as text, tex, md, json, html (a fragment), page (an HTML page), latex (for nbconvert), pdf, or
    numpy / jax (a module with forward and grad, checked against finite differences before it is returned)."""
    data = solution_data(solution, parts=parts)
    if fmt == "latex":
        return latex_display([(p["label"], p["derivation"]) for p in data["parts"]], data["rule_names"])
    if fmt == "md" and part_only:
        return render_template("part.md.j2", data, templates, tex=False)
    if fmt in ("html", "page"):
        return render_template(TEMPLATES[fmt], {**data, "part_only": part_only, **_katex(fmt)}, templates, tex=False, html=True)
    if fmt == "pdf":
        return typeset(render(data, "tex", templates), path)
    if fmt in ("numpy", "jax"):
        from symderiv.output.codegen import verified_module

        return verified_module(solution, fmt)
    if fmt not in ("text", "tex", "md", "json"):
        raise InputError(f"unknown format {fmt!r}: use text, tex, md, json, html, page, latex, pdf, numpy or jax.")
    return render(data, fmt, templates)


def _katex(fmt: str) -> dict:
    """For a page: KaTeX's CSS and JS to inline (already safe HTML)."""
    if fmt != "page":
        return {}
    from markupsafe import Markup

    from symderiv.output import katex_assets

    assets = katex_assets.inlined()
    return {"katex": {"css": Markup(assets["css"]), "js": Markup(assets["js"]), "version": katex_assets.version()}}


def typeset(tex: str, path) -> Path:
    """The one TeX path: `tex` compiled (timeout, sandbox) and placed atomically at `path`."""
    from symderiv.output.pdf import compile_pdf

    if path is None:
        raise InputError("to_pdf needs the path of the PDF to write, e.g. to_pdf(\"out.pdf\").")
    return compile_pdf(tex, Path(path))


def _alone(part: Part) -> Solution:
    """A part shown on its own, as a one-part solution (no definitions, no title)."""
    if not isinstance(part, Part):
        raise TypeError(f"cannot present a {type(part).__name__}")
    return Solution(problem="part", title=part.title, question="", definitions=(), parts=(part,))


def _derivation(derivation: Derivation, fmt: str, templates: Path | None) -> str:
    """A derivation alone: its chain in html, md or latex."""
    data = derivation_data(derivation)
    names = rule_names()
    if fmt == "latex":
        return latex_display([(None, data)], names)
    if fmt not in ("html", "md"):
        raise InputError(f"a derivation is shown as html, md or latex, not {fmt!r}.")
    context = {"derivation": data, "rule_names": names, "verified": derivation.verified}
    name = "derivation.html.j2" if fmt == "html" else "derivation.md.j2"
    return render_template(name, context, templates, tex=False, html=fmt == "html")


def latex_display(chains: list[tuple[str | None, dict]], names: dict) -> str:
    """Derivations as one aligned LaTeX display (for nbconvert): rule names and ✓ marks on the right, cited results below."""
    rows = []
    for label, data in chains:
        rows.extend(_latex_rows(data, names, rf"\text{{({label})}}\quad " if label else ""))
    return r"$$\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}$$"


def _latex_rows(data: dict, names: dict, prefix: str = "") -> list[str]:
    rows = []
    for n, step in enumerate(data["steps"]):
        left = prefix + data["lhs"]["latex"] if n == 0 else ""
        rows.append(rf"{left} &= {step['rhs']['latex']} && \text{{{_tex_text(_label(step, names))}}}")
        for used in step["uses"]:
            result = used["steps"][-1]["rhs"]["latex"] if used["steps"] else used["lhs"]["latex"]
            how = f"by ({used['ref']})" if used["ref"] else _label(used["steps"][-1], names) if used["steps"] else ""
            rows.append(rf"& \qquad \text{{where }} {used['lhs']['latex']} = {result} && \text{{{_tex_text(how)}}}")
    return rows or [data["lhs"]["latex"]]


def _label(step: dict, names: dict) -> str:
    """`[quotient rule (Trick 1)] ✓ exact`."""
    check = step.get("check")
    mark = "" if check is None else f" ✓ {check['method']}" if check["ok"] else " ✗ false" if check["ok"] is False else " ? undecided"
    return f"[{names.get(step['rule'], step['rule'])}]{mark}"


def _tex_text(text: str) -> str:
    """Plain text safe inside \\text{…}."""
    from symderiv.output.render import escape_tex

    return escape_tex(text)

