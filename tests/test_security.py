"""Hostile input: TeX specials in a sheet are printed literally, odd names are refused, a TeX loop is stopped."""

import os
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from symderiv.cli import main
from symderiv.errors import InputError
from symderiv.pdf import tex_available
from symderiv.render import escape_tex
from symderiv.symbols import checked_name, scalar

needs_tex = pytest.mark.skipif(not tex_available() and not os.environ.get("CI"),
                               reason="pdflatex is not installed (run `make setup`); in CI these tests always run")

TITLE = r"\input{/etc/passwd} \immediate\write18{touch X} $ % & # _ { } ~ ^ \ end"
COURSE = r"\immediate\write18{touch Y}\openout5=pwned.tex\closeout5 \csname @@input\endcsname /etc/passwd"
AUTHOR = r"$x^2$ 100% R&D #1 a_b {c} ~d ^e \\f \def\x{\x}\x"


def tex_test(function):
    """A test that runs TeX: slow, and skipped only outside CI when TeX is missing."""
    return pytest.mark.slow(needs_tex(function))


def toml_literal(text: str) -> str:
    """A TOML literal string (no escapes at all); the texts above contain no single quote."""
    assert "'" not in text
    return f"'{text}'"


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def squeeze(text: str) -> str:
    return "".join(text.split())


def run(*args, env=None):
    return CliRunner(env=env).invoke(main, list(map(str, args)))


def test_every_tex_special_is_escaped():
    rest = escape_tex(TITLE + COURSE + AUTHOR)
    for sequence in (r"\textbackslash{}", r"\textasciitilde{}", r"\textasciicircum{}", r"\{", r"\}", r"\$", r"\&",
                     r"\#", r"\_", r"\%"):
        rest = rest.replace(sequence, "")
    assert not set(rest) & set("\\{}$&#_%~^")


@tex_test
def test_tex_specials_in_the_title_course_and_author_print_literally(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "command-ran"
    course = COURSE + rf" \immediate\write18{{touch {marker}}}"
    sheet = tmp_path / "evil.toml"
    sheet.write_text(f"title = {toml_literal(TITLE)}\ncourse = {toml_literal(course)}\n"
                     f"author = {toml_literal(AUTHOR)}\n[[problem]]\nname = \"softmax-jacobian\"\n"
                     "parts = [\"diagonal\"]\n", encoding="utf-8")
    result = run("build", sheet, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    for kind in ("questions", "solutions"):
        pdf = tmp_path / "out" / f"evil-{kind}.pdf"
        text = squeeze(pdf_text(pdf))
        for original in (TITLE, course, AUTHOR):
            assert squeeze(original) in text
        assert "root:" not in text  # /etc/passwd was not read
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert squeeze(TITLE) in squeeze(info)
    assert not marker.exists()  # no shell command ran
    created = {p.name for p in tmp_path.rglob("*")}
    assert not created & {"X", "Y", "pwned.tex", "command-ran"}


@pytest.mark.parametrize("name", [r"\input{/etc/passwd}", "x}", "a b", "__class__", "", "x$", "1x", "σ"])
def test_a_symbol_name_that_is_not_a_plain_identifier_is_refused(name):
    with pytest.raises(InputError, match="not a valid symbol name"):
        checked_name(name)
    with pytest.raises(InputError):
        scalar(name)


@pytest.mark.parametrize("wrt, expr", [(r"\input{/etc/passwd}", "x**2"), ("x", r"x + \input{/etc/passwd}"),
                                       ("x", 'x + __import__("os").system("touch X")'), ("x", "x.__class__")])
def test_a_sheet_with_a_bad_name_is_refused_before_rendering(tmp_path, wrt, expr):
    sheet = tmp_path / "names.toml"
    sheet.write_text(f'title = "T"\n[[problem]]\nexpr = {toml_literal(expr)}\nwrt = {toml_literal(wrt)}\n')
    result = run("build", sheet, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "problem 1" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "X").exists()


def looping_templates(folder: Path) -> Path:
    """A --templates folder whose preamble never stops expanding."""
    folder.mkdir()
    (folder / "preamble.tex.j2").write_text("\\documentclass{article}\n\\def\\x{\\x}\\x\n")
    return folder


@tex_test
def test_a_tex_loop_in_a_user_template_ends_at_the_timeout(tmp_path):
    templates = looping_templates(tmp_path / "templates")
    destination = tmp_path / "loop.pdf"
    start = time.monotonic()
    result = run("derive", "softmax-jacobian", "-f", "pdf", "-o", destination, "--templates", templates,
                 env={"SYMDERIV_TEX_TIMEOUT": "2"})
    assert time.monotonic() - start < 30
    assert result.exit_code == 1 and "did not finish within 2 s" in result.stderr
    assert not destination.exists() and "Traceback" not in result.output


@tex_test
def test_a_tex_loop_in_a_sheet_template_ends_at_the_timeout(tmp_path):
    templates = looping_templates(tmp_path / "templates")
    sheet = tmp_path / "s.toml"
    sheet.write_text('title = "T"\n[[problem]]\nname = "softmax-jacobian"\nparts = ["diagonal"]\n')
    result = run("build", sheet, "-o", tmp_path / "out", "--templates", templates, env={"SYMDERIV_TEX_TIMEOUT": "2"})
    assert result.exit_code == 1 and "did not finish within 2 s" in result.stderr
    assert not list(tmp_path.glob("out/*.pdf"))
