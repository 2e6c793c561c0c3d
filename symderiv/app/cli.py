"""The command line: parse options, call one core function, turn a SymderivError into a message and an exit code."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from symderiv import __version__
from symderiv.app.budget import Overtime, time_budget
from symderiv.model.errors import InputError, SymderivError
from symderiv.output.pdf import Terminated, tex_stops_on_signals
from symderiv.output.resources import check_destination, place_files, read_capped, shown

if TYPE_CHECKING:  # imported when needed: `symderiv --help` stays fast
    from symderiv.model.problem import Prose

FORMAT_CHOICES = ("text", "tex", "md", "json", "pdf", "html", "numpy", "jax")
CHECKED_FILES = ("pdf", "numpy", "jax")  # written only for a verified derivation
PRESENTED = {"html": "page"}  # -f html is a whole page (the notebook's html is a fragment)
MAX_FILE_BYTES = 400_000  # 100,000 characters of UTF-8; verify_written refuses more characters than that
METHOD_HELP = "Where both the quotient and the reciprocal rule apply, force one (default: auto, which picks by whether the numerator depends on the variable)."


class SymderivGroup(click.Group):
    """A click group that reports a SymderivError or a usage error as one sentence and its exit code, never a traceback."""

    def invoke(self, ctx):
        try:
            with tex_stops_on_signals():
                return super().invoke(ctx)
        except SymderivError as error:
            click.echo(f"symderiv: {error}", err=True)
            ctx.exit(error.exit_code)
        except click.UsageError as error:
            where = error.ctx.command_path if error.ctx else "symderiv"
            click.echo(f"symderiv: {error.format_message().rstrip('.')} (see `{where} --help`).", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("symderiv: interrupted.", err=True)
            ctx.exit(130)
        except Overtime as overtime:
            click.echo(f"symderiv: {overtime}", err=True)
            ctx.exit(overtime.exit_code)
        except Terminated as stop:
            click.echo(f"symderiv: stopped by signal {stop.signum}.", err=True)
            ctx.exit(128 + stop.signum)


@click.group(cls=SymderivGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="symderiv")
def main():
    """Step-by-step, machine-checked derivations of the calculus behind backpropagation.

    Every `=` in a derivation names the rule that justifies it, and every `=` is checked
    by computer algebra before anything is printed.

    \b
    Examples:
      symderiv list
      symderiv derive softmax-jacobian
      symderiv derive softmax-jacobian -p n=3 -f md
      symderiv derive softmax-jacobian -f tex -o softmax.tex
    """


@main.command("list")
def list_problems():
    """List the problems symderiv can derive, with a one-line description each."""
    from symderiv.catalog import module, names

    width = max(map(len, names()))
    for name in names():
        problem = module(name)
        click.echo(f"{name:<{width}}  {problem.SUMMARY}")
        for param in problem.PARAMS.values():
            allowed = "|".join(param.choices) if param.choices else f"{param.low}..{param.high}"
            click.echo(f"{'':<{width}}    -p {param.name}={allowed}  {param.help}")


def _key_value(ctx, option, values):
    pairs = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{value!r} is not KEY=VALUE (for example -p n=3).")
        pairs[key.strip()] = text.strip()
    return pairs


@main.command()
@click.argument("problem", required=False)
@click.option("-f", "--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="text", show_default=True,
              help="Output format: text for the terminal, tex (a complete LaTeX document), md (Markdown with $$ math), json, "
                   "pdf, html (one page that works offline: math by KaTeX, cited steps expand on click, a \"next step\" "
                   "button), or numpy / jax (a Python module with forward and grad, checked against finite differences).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output (pdf: default output/PROBLEM.pdf); it is replaced "
                   "atomically, and a symlink or device there is refused.")
@click.option("-p", "--param", "params", multiple=True, callback=_key_value, metavar="KEY=VALUE",
              help="A problem parameter, e.g. -p n=3; `symderiv list` shows each problem's parameters.")
@click.option("--method", type=click.Choice(("auto", "quotient", "reciprocal")), default="auto", show_default=True,
              help=METHOD_HELP)
@click.option("--templates", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="A folder of templates that override the built-in ones by file name.")
@click.option("--expr", metavar="EXPR", help="Derive this expression instead of a PROBLEM, e.g. \"(d - z)**2/2\"; needs --wrt.")
@click.option("--wrt", metavar="VAR", help="With --expr: the variable to differentiate by, e.g. w1, or x[k] for a component.")
@click.option("--define", "defines", multiple=True, metavar='"NAME = EXPR"',
              help='With --expr: a named intermediate quantity, e.g. --define "y = sigmoid(w1*x)"; repeat for more. '
                   "The derivation then follows the chain rule through the names.")
@click.option("--no-fold", is_flag=True,
              help="With --expr: stop at the raw result of the last rule, without the checked folds into textbook "
                   "form (σ(x) for e^x/(1 + e^x), x·(σ − y) with factors collected, softmax as σ_k).")
@click.option("--hints", is_flag=True, help="Before each part's derivation, list the rules it uses, in order: a ladder "
                                            "of hints to try before reading on (text format).")
@click.option("--steps", type=click.IntRange(min=0), metavar="K",
              help="Show only the first K steps of each part, and not its result: the next hint (text format).")
def derive(problem, fmt, output, params, method, templates, expr, wrt, defines, no_fold, hints, steps):
    """Derive PROBLEM (or the expression of --expr) step by step, check every step, and print it.

    \b
    Examples:
      symderiv derive softmax-jacobian
      symderiv derive --expr "x**2*exp(-x)" --wrt x
      symderiv derive --define "y = sigmoid(w1*x)" --expr "(d - sigmoid(w2*y))**2/2" --wrt w1

    Exits with 0 when every step verified, 1 when some step did not (or no rule applies), 2 on bad input.
    """
    from symderiv.app.api import render

    if (hints or steps is not None) and fmt != "text":
        raise click.UsageError("--hints and --steps are for reading in the terminal; use them with -f text.")
    _before_writing(output, fmt, templates)
    solution = _solution(problem, params, method, expr, wrt, defines, fold=not no_fold)
    if fmt in CHECKED_FILES and not solution.verified:  # as `build`: a PDF is written only for a verified derivation
        _report_failures(solution, templates)
        click.echo(f"symderiv: no {'PDF' if fmt == 'pdf' else fmt + ' code'} was written; any earlier file is unchanged.",
                   err=True)
        sys.exit(1)
    if hints or steps is not None:  # -f text only: the derivation as a ladder of hints
        from symderiv.output.hints import with_hints
        from symderiv.output.render import render as render_data, solution_data

        _emit(render_data(with_hints(solution_data(solution), ladder=hints, steps=steps), "text", templates), output)
        if not solution.verified:
            _report_failures(solution, templates)
            sys.exit(1)
        return
    if fmt == "pdf":
        _pdf(render, solution, templates, output or Path("output") / f"{solution.problem}.pdf")
    else:
        _emit(render(solution, PRESENTED.get(fmt, fmt), templates=templates), output)
    if not solution.verified:
        _report_failures(solution, templates)
        sys.exit(1)


@main.command()
@click.argument("problem", required=False)
@click.option("-a", "--answer", metavar="EXPR",
              help="Your answer, e.g. \"-(d - z)*z*(1 - z)*y\". Use the problem's names (sigma_i or sigma[i], z, y) "
                   "or write everything out.")
@click.option("--part", metavar="ID", help="The part of PROBLEM the answer is for (default: the last part, the problem's "
                                           "final result; `symderiv derive PROBLEM -f json` lists the part ids).")
@click.option("-p", "--param", "params", multiple=True, callback=_key_value, metavar="KEY=VALUE",
              help="A problem parameter, as for derive.")
@click.option("--expr", metavar="EXPR", help="Check the derivative of this expression instead of a PROBLEM; needs --wrt.")
@click.option("--wrt", metavar="VAR", help="With --expr: the variable to differentiate by.")
@click.option("--define", "defines", multiple=True, metavar='"NAME = EXPR"', help="With --expr: a named quantity.")
@click.option("--no-reveal", is_flag=True, help="Say correct or incorrect (with a counterexample), but never print the "
                                                "expected result: for testing yourself without seeing the solution.")
@click.option("--answers", "answers_file", type=click.Path(dir_okay=False, path_type=Path), metavar="CSV",
              help="Grade a CSV of answers with the header student,problem,part,answer (problem: a catalog name, or "
                   "with --key the sheet's question label); prints one verdict per row, as CSV, never the expected result.")
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), metavar="CSV",
              help="With --answers: the answers CSV `symderiv build --roster` wrote, so that each student is graded on "
                   "their own variant.")
def check(problem, answer, part, params, expr, wrt, defines, no_reveal, answers_file, key):
    """Check your ANSWER to PROBLEM, or to the derivative of --expr by --wrt.

    Without --part, the answer is compared with the problem's last part (its final result); if it
    matches another part instead, the output says which.

    \b
    Examples:
      symderiv check softmax-jacobian --part diagonal --answer "sigma_i*(1 - sigma_i)"
      symderiv check --expr "(d - z)**2/2" --wrt z --answer "z - d"

    Prints "correct" and how it was decided (exit 0), or "incorrect" with a counterexample point,
    both values there and the expected result (exit 1); exit 2 on bad input.
    """
    from symderiv.app.api import check as check_answer

    if answers_file is not None or key is not None:
        _grade(answers_file, key, problem or expr or answer or part or params)
    if answer is None:
        raise click.UsageError("give your answer with --answer EXPR (or a CSV of answers with --answers).")
    _exclusive(problem, expr, wrt, defines)
    if expr is not None and (params or part):
        raise click.UsageError("--part and -p belong to catalog problems, not to --expr.")
    with time_budget():  # typed input: past the budget, one sentence
        if expr is None:
            verdict = check_answer(problem, answer=answer, part=part, params=params)
        else:
            verdict = check_answer(expr, answer=answer, wrt=wrt, define=defines)
    click.echo(verdict.text(reveal=not no_reveal), nl=False)
    sys.exit(0 if verdict.correct else 1)


def _grade(answers_file, key, other) -> None:
    """check --answers: one verdict per row on stdout, a count on stderr; exit 0 when every row is correct."""
    from symderiv.read.grading import grade, verdicts_csv

    if answers_file is None:
        raise click.UsageError("--key goes with --answers CSV.")
    if other:
        raise click.UsageError("--answers grades a whole file: leave out PROBLEM, --expr, --answer, --part and -p.")
    verdicts = grade(answers_file, key)
    click.echo(verdicts_csv(verdicts), nl=False)
    counts = {}
    for v in verdicts:
        counts[v.verdict] = counts.get(v.verdict, 0) + 1
    summary = ", ".join(f"{n} {verdict}" for verdict, n in counts.items())
    click.echo(f"{len(verdicts)} answers: {summary or 'none'}", err=True)
    sys.exit(0 if all(v.verdict == "correct" for v in verdicts) else 1)


@main.command("verify")
@click.argument("file", type=click.Path(dir_okay=True, path_type=Path))
@click.option("-f", "--format", "fmt", type=click.Choice(("text", "tex", "pdf", "json")), default="text",
              show_default=True, help="Output format: text for the terminal, tex (an annotated page), pdf, or json.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output (pdf: default output/FILE.pdf); it is replaced "
                   "atomically, and a symlink or device there is refused.")
@click.option("--templates", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="A folder of templates that override the built-in ones by file name.")
def verify_file(file, fmt, output, templates):
    """Check a hand-written derivation in FILE, link by link ("-" reads standard input).

    \b
    FILE is plain text, one expression a line:
      where z = sigmoid(p2)          a named quantity (any number of these)
      d/dz (d - z)**2/2              the first line: d/dVAR EXPR, or any expression
      = -(d - z)   # chain rule      each next line: = EXPR, then an optional # justification

    Every link is checked by computer algebra; a d/dVAR line against sympy's own derivative.
    Each line is marked ✓ (with the method) or ✗, and the first false link is shown with a
    counterexample. Exits with 0 when every link holds, 1 when one is false or undecided, 2 on bad input.
    """
    from symderiv.app.api import render, verify

    _before_writing(output, fmt, templates)
    with time_budget():
        written = verify(_read_text(file), "standard input" if str(file) == "-" else shown(file.name))
    if fmt == "pdf":
        _pdf(render, written, templates, output or Path("output") / f"{file.stem if str(file) != '-' else 'stdin'}.pdf")
    else:
        text = render(written, fmt, templates=templates)
        _emit(text + "\n" if fmt == "json" else text, output)
    sys.exit(0 if written.ok else 1)


@main.command("functions")
def list_functions():
    """List every function the expression grammar reads, with the rule that differentiates it.

    Each line shows a function applied to x (and its parameters), its derivative as the rule states it, the
    rule's name, and where the derivative exists. Aliases are listed after the name (arcsin for asin).
    """
    from symderiv.output.function_table import function_rows

    rows = function_rows()
    width = max(len(row["call"]) for row in rows)
    for row in rows:
        where = f"  (when {', '.join(row['conditions'])})" if row["conditions"] else ""
        aliases = f"  also: {', '.join(row['aliases'])}" if row["aliases"] else ""
        click.echo(f"{row['call']:<{width}}  d/dx = {row['derivative']}  [{row['rule']}]{where}{aliases}")


@main.command()
@click.argument("sheet", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, help="The folder for SHEET-questions.pdf and SHEET-solutions.pdf.")
@click.option("--tex", "keep_tex", is_flag=True, help="Also keep the two .tex files next to the PDFs.")
@click.option("--templates", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="A folder of templates that override the built-in ones by file name.")
@click.option("--no-cache", is_flag=True, help="Rebuild even if nothing changed (the cache lives in OUTPUT/.symderiv-cache).")
@click.option("--appendix", type=click.Choice(("none", "summary", "full")), default="summary", show_default=True,
              help="The solutions' verification appendix: none, one line per part (its steps and each method's count), "
                   "or every step.")
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), metavar="CSV",
              help="A CSV with the header id,name: each student gets SHEET-ID-questions.pdf with their name and their "
                   "own choice of every vary; you get SHEET-solutions.pdf (every variant) and SHEET-answers.csv.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="With --roster: change it to deal new variants (the choice depends only on the sheet, id and seed).")
def build(sheet, out_dir, keep_tex, templates, no_cache, appendix, roster, seed):
    """Build a homework sheet: a questions PDF (with space to answer), a solutions PDF, and a hints PDF.

    \b
    SHEET is a TOML file:
      title = "Homework 3"                  # required; course, author, date optional
      [[problem]]
      name = "backprop"                     # a problem from `symderiv list` ...
      params = { layers = 2 }
      points = 10
      [[problem]]
      expr = "x**2*exp(-a*x)"               # ... or an expression, with wrt
      wrt = "x"
      define = ["y = sigmoid(x)"]           # optional: named quantities, as derive --define
      parts = ["derivative"]                # optional: only these part ids
      question = "Warm-up"                  # optional: consecutive entries with the same text form one question
      title = "One neuron"                  # optional: the problem's heading
      text = "A neuron computes $sigmoid(a*x)$."   # optional: prose; $...$ holds an expression
      hint = ["Use the chain rule."]        # optional: hints, written to SHEET-hints.pdf
      space = "6cm"                         # optional: the height of the answer box
      vary = { a = [2, 3, 5] }              # optional: one choice per student with --roster

    With --roster students.csv (id,name), each student gets SHEET-ID-questions.pdf with their name and their
    own variant, and you get SHEET-solutions.pdf with every variant and SHEET-answers.csv, the key for
    `symderiv check --answers`.

    An unchanged sheet (same file, templates and symderiv) is copied from the cache in OUTPUT/.symderiv-cache.
    Each TeX run stops after $SYMDERIV_TEX_TIMEOUT seconds (default 60); docs/sheets.md has the details.
    Exits with 0 on success, 1 when a derivation does not verify or TeX fails, 2 on a bad sheet.
    """
    from symderiv.app.sheet import build as build_sheet

    _warn_unsandboxed(templates)
    if roster is not None:
        _build_roster(sheet, roster, out_dir, keep_tex, templates, no_cache, appendix, seed)
        return
    built = build_sheet(sheet, out_dir, keep_tex=keep_tex, templates=templates, use_cache=not no_cache,
                        progress=lambda message: click.echo(message, err=True), appendix=appendix)
    for path in built.files:
        click.echo(f"wrote {shown(path)}", err=True)


def _build_roster(sheet, roster, out_dir, keep_tex, templates, no_cache, appendix, seed) -> None:
    """build --roster: per-student PDFs, with a progress bar on stderr."""
    from symderiv.app.roster import build_roster

    if keep_tex:
        raise click.UsageError("--tex keeps the sources of a single build; leave it out with --roster.")
    built = build_roster(sheet, roster, out_dir, seed=seed, templates=templates, use_cache=not no_cache,
                         appendix=appendix, progress=lambda message: click.echo(message, err=True), tick=_progress_bar)
    click.echo(f"wrote {len(built.files)} files in {shown(out_dir)}"
               f"{' (from the cache)' if built.cached else ''}", err=True)


def _progress_bar(done: int, total: int) -> None:
    """One line on stderr, redrawn: [#####.....] 12/30."""
    filled = 30 * done // max(total, 1)
    if sys.stderr.isatty():
        click.echo(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}", err=True, nl=done >= total)
    elif done == total or 10 * done // total != 10 * (done - 1) // total:  # a log: one line per tenth
        click.echo(f"[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}", err=True)


def _read_text(path: Path) -> str:
    """The text of a file (or of standard input for "-"), capped in size, or an InputError saying why it cannot be read."""
    try:
        return read_capped(path, MAX_FILE_BYTES, "written derivation").decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"cannot read {shown(path)}: it is not UTF-8 text.") from None


def _before_writing(output: Path | None, fmt: str, templates: Path | None) -> None:
    """Refuse a destination that is not a regular file, and a bad TeX timeout, before any work is done."""
    if output is not None:
        check_destination(output)
    if fmt == "pdf":
        from symderiv.output.pdf import tex_timeout

        tex_timeout()
        _warn_unsandboxed(templates)


def _warn_unsandboxed(templates: Path | None) -> None:
    """Templates from --templates can read files through TeX when no sandbox is available: say so."""
    from symderiv.output.pdf import sandbox_available, tex_available

    if templates is not None and tex_available() and not sandbox_available():
        click.echo(f"symderiv: warning: bubblewrap (bwrap) does not work here, so TeX run on the templates in "
                   f"{shown(templates)} can read any file you can; install it with `make setup`.", err=True)


def _pdf(render, result, templates: Path | None, destination: Path) -> None:
    """Typeset `result` through the one renderer (one TeX code path: the timeout, sandbox and atomic placement)."""
    render(result, "pdf", templates=templates, path=destination)
    click.echo(f"wrote {shown(destination)}", err=True)


def _solution(problem, params, method, expr, wrt, defines, fold=True):
    """The catalog problem, or the --expr expression derived (its warnings go to stderr)."""
    _exclusive(problem, expr, wrt, defines)
    if expr is not None and params:
        raise click.UsageError("-p parameters belong to catalog problems, not to --expr.")
    from symderiv.read.questions import solve

    if expr is None:  # a catalog problem: no time budget (only typed input has one)
        return solve(problem, params=params, method=method).solution
    with time_budget():
        solved = solve(expr=expr, wrt=wrt, define=defines, method=method, fold=fold)
    for warning in solved.warnings:
        click.echo(f"symderiv: warning: {warning}", err=True)
    return solved.solution


def _exclusive(problem, expr, wrt, defines) -> None:
    """PROBLEM and --expr exclude each other; --wrt and --define go with --expr, which needs --wrt."""
    if problem is not None and expr is not None:
        raise click.UsageError("give either PROBLEM or --expr, not both.")
    if problem is None and expr is None:
        raise click.UsageError("give a PROBLEM (see `symderiv list`) or --expr EXPR --wrt VAR.")
    if expr is not None and wrt is None:
        raise click.UsageError("--expr needs --wrt VAR, the variable to differentiate by.")
    if expr is None and (wrt is not None or defines):
        raise click.UsageError("--wrt and --define go with --expr, not with a PROBLEM.")


def _emit(text: str, output: Path | None) -> None:
    """Print `text`, or place it atomically at `output` (the same rule as PDFs)."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    place_files({output: text.encode("utf-8", errors="replace")})
    click.echo(f"wrote {shown(output)}", err=True)


def _report_failures(solution, templates: Path | None = None) -> None:
    """One sentence on stderr per failing step (at most five), in the words of templates/prose/failures.j2."""
    from symderiv.output.wording import words

    for part, derivation, n in solution.failures()[:5]:
        click.echo(f"symderiv: {words(_failure(part, derivation, n), templates)}", err=True)


def _failure(part, derivation, n: int) -> Prose:
    """What went wrong at step n of a part's derivation: no rule applies, or the link is false or unverified."""
    from symderiv.model.problem import prose

    previous = derivation.lhs if n == 0 else derivation.steps[n - 1].rhs
    step = derivation.steps[n]
    if step.rule == "unknown":
        return prose("failures", "no_rule", rhs=step.rhs)
    check = step.check
    outcome = ("justification" if check and check.method == "justification" else
               "false" if check and check.ok is False else "unverified")
    return prose("failures", "step", part=part.id, previous=previous, rhs=step.rhs, rule=step.rule, outcome=outcome,
                 detail=check.detail if check and check.detail else "")