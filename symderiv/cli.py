"""The command line: parse options, call one core function, turn a SymderivError into a message and an exit code."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .errors import SymderivError

FORMAT_CHOICES = ("text", "tex", "md", "json", "pdf")
METHOD_HELP = "Where both the quotient and the reciprocal rule apply, force one (default: auto, which picks by whether the numerator depends on the variable)."


class SymderivGroup(click.Group):
    """A click group that reports a SymderivError as one sentence and its exit code, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SymderivError as error:
            click.echo(f"symderiv: {error}", err=True)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("symderiv: interrupted.", err=True)
            ctx.exit(130)


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
    from .catalog import module, names

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
@click.argument("problem")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="text", show_default=True,
              help="Output format: text for the terminal, tex (a complete LaTeX document), md (Markdown with $$ math), json, or pdf.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output (pdf: default output/PROBLEM.pdf).")
@click.option("-p", "--param", "params", multiple=True, callback=_key_value, metavar="KEY=VALUE",
              help="A problem parameter, e.g. -p n=3; `symderiv list` shows each problem's parameters.")
@click.option("--method", type=click.Choice(("auto", "quotient", "reciprocal")), default="auto", show_default=True,
              help=METHOD_HELP)
@click.option("--templates", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="A folder of templates that override the built-in ones by file name.")
def derive(problem, fmt, output, params, method, templates):
    """Derive PROBLEM step by step, check every step, and print the worked solution.

    Exits with 0 when every step verified, 1 when some step did not, 2 on bad input.
    """
    from .catalog import solve
    from .render import render, solution_data

    solution = solve(problem, params, method)
    data = solution_data(solution)
    if fmt == "pdf":
        from .pdf import compile_pdf

        destination = output or Path("output") / f"{problem}.pdf"
        compile_pdf(render(data, "tex", templates), destination)
        click.echo(f"wrote {destination}", err=True)
    else:
        _emit(render(data, fmt, templates), output)
    if not solution.verified:
        _report_failures(solution)
        sys.exit(1)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise SymderivError(f"cannot write {output}: {error.strerror}.") from None
    click.echo(f"wrote {output}", err=True)


def _report_failures(solution) -> None:
    from .printing import to_text

    for part, derivation, n in solution.failures()[:5]:
        previous = derivation.lhs if n == 0 else derivation.steps[n - 1].rhs
        step = derivation.steps[n]
        verdict = "is false" if step.check and step.check.ok is False else "could not be verified"
        detail = f" ({step.check.detail})" if step.check and step.check.detail else ""
        click.echo(f"symderiv: in part {part.id}, the step {to_text(previous)} = {to_text(step.rhs)} "
                   f"[{step.rule}] {verdict}{detail}.", err=True)
