"""The public Python API (re-exported by `import symderiv`): one path from a question to its output.

    solve (read.questions) → a verified Solution → render (output.display: text, tex, md, json, html, pdf, code)

The command line (derive, check, verify), `build` and the pytest plugin go through the same functions.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sympy as sp

from symderiv.model.presenting import Presentable, present
from symderiv.model.problem import Solution
from symderiv.model.steps import Check
from symderiv.read.questions import Definitions, Expression, as_text, definition_texts, param_texts, solve

__all__ = ["derive", "check", "verify", "compare", "render", "problems", "Verdict", "WrittenVerdict"]


def derive(problem_or_expr: Expression, *, wrt: Expression | None = None, define: Definitions = None,
           params: Mapping[str, object] | None = None, method: str = "auto", fold: bool = True) -> Solution:
    """A catalog problem (a name, with params) or the derivative of an expression by `wrt`, derived step by
    step by the planner with every step verified. `define` names intermediate quantities: {"y": "sigmoid(w1*x)"};
    `fold=False` keeps an expression's result in the raw form of its last rule (as `derive --no-fold`)."""
    if wrt is None and isinstance(problem_or_expr, str):
        solved = solve(problem_or_expr, params=params, method=method)
    else:
        solved = solve(expr=problem_or_expr, wrt=wrt, define=define, params=params, method=method, fold=fold)
    for message in solved.warnings:
        warnings.warn(message, stacklevel=2)
    return solved.solution


def check(problem_or_expr: Expression, *, answer: Expression, part: str | None = None, wrt: Expression | None = None,
          define: Definitions = None, params: Mapping[str, object] | None = None, method: str = "auto") -> Verdict:
    """Whether `answer` is the result of a catalog problem's part (default: its last part), or ∂expr/∂wrt."""
    from symderiv.read.answers import check_answer

    answer_text = as_text(answer, "the answer")
    if wrt is None and isinstance(problem_or_expr, str):
        solution = solve(problem_or_expr, params=params, method=method).solution
        return Verdict(check_answer(answer_text, problem=problem_or_expr, part=part, method=method, solution=solution))
    if part is not None:
        from symderiv.model.errors import InputError

        raise InputError("part belongs to catalog problems, not to an expression.")
    solution = solve(expr=problem_or_expr, wrt=wrt, define=define, params=params, method=method).solution
    return Verdict(check_answer(answer_text, expr=as_text(problem_or_expr), wrt=as_text(wrt, "the variable"),
                                defines=definition_texts(define), method=method, solution=solution))


def verify(text: str, name: str = "derivation") -> WrittenVerdict:
    """A hand-written derivation checked line by line: `d/dVAR EXPR`, then `= EXPR  # why` lines, and
    `where NAME = EXPR` lines (the format of `symderiv verify FILE`)."""
    from symderiv.read.written import verify_written

    return WrittenVerdict(verify_written(text, name))


def compare(actual: Expression, expected: Expression, *, symbols=None, rtol: float | None = None) -> Check:
    """Whether two expressions (or matrices, or nested lists) are equal; the Check says how it was decided."""
    from symderiv.testing.equality import decide_equal

    return decide_equal(actual, expected, symbols=symbols, rtol=rtol)


def render(obj, fmt: str = "text", *, templates: Path | None = None, path=None):
    """Any result in a format: text, tex, md, json, html (a notebook fragment), page (an HTML page), latex,
    pdf (typeset to `path`), numpy or jax (verified gradient code). The one renderer the CLI uses."""
    return present(obj, fmt, templates=templates, path=path)


def problems() -> list[str]:
    """The names of the catalog problems."""
    from symderiv.catalog import names

    return names()


@dataclass(frozen=True, eq=False)
class Verdict(Presentable):
    """The verdict on an answer: `correct` is True, False (with a counterexample) or None (undecided)."""

    answer_check: object  # read.answers.AnswerCheck

    @property
    def correct(self) -> bool | None:
        return self.answer_check.correct

    @property
    def method(self) -> str:
        """How it was decided: structural, exact, index, numeric."""
        return self.answer_check.check.method

    @property
    def expected(self) -> sp.Expr:
        return self.answer_check.expected

    @property
    def counterexample(self):
        """Where the answer and the expected result differ (None when correct or undecided)."""
        return self.answer_check.counterexample

    def __bool__(self) -> bool:
        return self.correct is True

    def __str__(self) -> str:
        return self.presented("text")

    def text(self, reveal: bool = True) -> str:
        """As `symderiv check` prints it; reveal=False never prints the expected result (--no-reveal)."""
        from symderiv.output.render import render_template

        return render_template("check.j2", {**self.data(), "reveal": reveal}, tex=False)

    def __repr__(self) -> str:
        return f"<Verdict: {self.presented('text').splitlines()[0]}>"

    def data(self) -> dict:
        from symderiv.output.printing import to_latex
        from symderiv.read.answers import answer_data

        result = self.answer_check
        return {**answer_data(result), "latex": {"question": to_latex(result.question), "answer": to_latex(result.answer),
                                                 "expected": to_latex(result.expected)}}

    def presented(self, fmt: str, *, templates: Path | None = None, path=None) -> str:
        """The verdict as text (as `symderiv check` prints it), html, md, latex or json."""
        return _presented_data(self.data(), fmt, "check", templates)


@dataclass(frozen=True, eq=False)
class WrittenVerdict(Presentable):
    """A hand-written derivation, each link checked: `ok` when every link holds."""

    written: object  # read.written.WrittenDerivation

    @property
    def ok(self) -> bool:
        return self.written.ok

    @property
    def lines(self) -> tuple:
        return self.written.lines

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return self.presented("text")

    def __repr__(self) -> str:
        return f"<WrittenVerdict {self.written.name}: {'verified' if self.ok else 'NOT verified'}>"

    def data(self) -> dict:
        from symderiv.read.written import written_data

        return written_data(self.written)

    def presented(self, fmt: str, *, templates: Path | None = None, path=None):
        """As text (as `symderiv verify` prints it), tex, pdf (typeset to `path`), json, html, md or latex."""
        if fmt in ("tex", "pdf"):
            from symderiv.output.display import typeset
            from symderiv.output.render import render_template

            tex = render_template("verify.tex.j2", self.data(), templates)
            return tex if fmt == "tex" else typeset(tex, path)
        return _presented_data(self.data(), fmt, "verify", templates)


def _presented_data(data: dict, fmt: str, name: str, templates: Path | None) -> str:
    """A verdict's data through its templates: NAME.j2 (text), NAME.html.j2, NAME.md.j2; json as is."""
    from symderiv.model.errors import InputError
    from symderiv.output.render import render_template, to_json

    if fmt == "json":
        return to_json(data)
    template = {"text": f"{name}.j2", "html": f"{name}.html.j2", "md": f"{name}.md.j2", "latex": f"{name}.latex.j2"}.get(fmt)
    if template is None:
        raise InputError(f"a verdict is shown as text, html, md, latex or json, not {fmt!r}.")
    return render_template(template, data, templates, tex=False, html=fmt == "html")
