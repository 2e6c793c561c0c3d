"""Hostile input: TeX specials print literally, odd names are refused or printed as written, a TeX loop is stopped,
and a template cannot make TeX read a file outside its work folder (the bubblewrap sandbox)."""

import os
import subprocess
import time
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner

from symderiv.output import pdf
from symderiv.app.cli import main
from symderiv.model.errors import InputError
from symderiv.output.pdf import tex_available
from symderiv.output.printing import to_latex
from symderiv.output.render import escape_tex
from symderiv.model.symbols import checked_name, scalar

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


# --- the TeX sandbox: templates cannot read files outside TeX's work folder ------------------------------------
needs_sandbox = pytest.mark.skipif(
    not pdf.sandbox_available() and not os.environ.get("CI"),
    reason="bubblewrap (bwrap) is not installed or cannot make a sandbox here (run `make setup`); in CI these tests always run")
MARK = b"31415.92653 27182.81828"  # bytes of a page content stream, copied verbatim when a PDF is embedded
EMBEDDERS = {
    "pdfobj stream file, absolute": r"\immediate\pdfobj stream file {{{secret}}}\pdfrefobj\pdflastobj",
    "pdfobj stream file, ../": r"\immediate\pdfobj stream file {{{relative_secret}}}\pdfrefobj\pdflastobj",
    "pdfobj file": r"\immediate\pdfobj file {{{secret}}}\pdfrefobj\pdflastobj",
    "pdfximage, absolute": r"\pdfximage{{{image}}}\pdfrefximage\pdflastximage",
    "pdfximage, ../": r"\pdfximage{{{relative_image}}}\pdfrefximage\pdflastximage",
}


def embedding_templates(tmp_path: Path, primitive: str) -> tuple[Path, Path]:
    """A --templates folder whose document embeds a file outside the work folder, and that file's folder."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"root:x:0:0:" + MARK + b"\n")
    with mock.patch.object(pdf, "_sandbox", lambda *args: None):
        pdf.compile_pdf("\\documentclass{article}\\pdfcompresslevel=0\\begin{document}\\pdfliteral{q 1 0 0 1 "
                        + MARK.decode() + " cm Q}x\\end{document}", outside / "image.pdf")
    up = "../" * 12
    body = EMBEDDERS[primitive].format(secret=outside / "secret.txt", image=outside / "image.pdf",
                                       relative_secret=up + str(outside / "secret.txt").lstrip("/"),
                                       relative_image=up + str(outside / "image.pdf").lstrip("/"))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "document.tex.j2").write_text(
        "\\documentclass{article}\\pdfcompresslevel=0\\pdfobjcompresslevel=0\n\\begin{document}\n" + body
        + "\nembedded\n\\end{document}\n")
    return templates, outside


def embedded(result, destination: Path) -> bool:
    return result.exit_code == 0 and MARK in destination.read_bytes()


@tex_test
@needs_sandbox
@pytest.mark.parametrize("primitive", list(EMBEDDERS))
def test_a_template_cannot_embed_a_file_outside_the_work_folder(tmp_path, primitive):
    templates, _ = embedding_templates(tmp_path, primitive)
    destination = tmp_path / "leak.pdf"
    result = run("derive", "sigmoid-derivative", "-f", "pdf", "-o", destination, "--templates", templates)
    assert not embedded(result, destination), result.output
    assert result.exit_code == 1 and "TeX failed" in result.stderr and not destination.exists()


@tex_test
@pytest.mark.parametrize("primitive", list(EMBEDDERS))
def test_without_the_sandbox_and_kpathsea_policy_the_same_template_would_embed_the_file(tmp_path, primitive):
    templates, _ = embedding_templates(tmp_path, primitive)
    destination = tmp_path / "leak.pdf"
    permissive = lambda workdir: {**os.environ, "TEXMFOUTPUT": str(workdir)}  # noqa: E731
    with mock.patch.object(pdf, "_sandbox", lambda *args: None), mock.patch.object(pdf, "_environment", permissive):
        result = run("derive", "sigmoid-derivative", "-f", "pdf", "-o", destination, "--templates", templates)
    assert embedded(result, destination), result.output  # so the test above can fail


@tex_test
@needs_sandbox
def test_tex_in_the_sandbox_still_reads_its_own_work_folder(tmp_path):
    destination = tmp_path / "own.pdf"
    source = "\\documentclass{article}\\pdfcompresslevel=0\\begin{document}" \
             "\\immediate\\pdfobj stream file {doc.tex}\\pdfrefobj\\pdflastobj x\\end{document}"
    pdf.compile_pdf(source, destination)
    assert b"pdfobj stream file {doc.tex}" in destination.read_bytes()


@pytest.mark.skipif(not os.environ.get("CI") and not pdf.tex_available(), reason="pdflatex is not installed")
def test_ci_and_this_machine_have_a_working_sandbox():
    if os.environ.get("CI") or Path("/usr/bin/bwrap").exists():
        assert pdf.sandbox_available(), "bubblewrap is installed but cannot make a sandbox; see docs/security.md"


@tex_test
def test_without_bubblewrap_tex_still_runs_and_templates_are_warned_about(tmp_path, monkeypatch):
    templates = tmp_path / "templates"
    templates.mkdir()
    which = pdf.shutil.which
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None if name == "bwrap" else which(name))
    result = run("derive", "sigmoid-derivative", "-f", "pdf", "-o", tmp_path / "x.pdf", "--templates", templates)
    assert result.exit_code == 0 and "can read any file you can" in result.stderr
    assert (tmp_path / "x.pdf").read_bytes().startswith(b"%PDF")


# --- names: sympy's suffix modifiers are not applied, long names are shortened --------------------------------
MODIFIERS = ["scr", "cal", "frak", "bold", "bm", "hat", "check", "breve", "acute", "grave", "tilde", "bar", "vec",
             "dot", "ddot", "dddot", "ddddot", "mathring", "prime", "prm", "norm", "avg", "abs", "mag", "Bold", "SCR"]


@pytest.mark.parametrize("suffix", MODIFIERS)
def test_a_name_ending_in_a_sympy_modifier_prints_as_written(suffix):
    assert to_latex(scalar("x" + suffix)) == "x" + suffix
    assert to_latex(scalar("alpha" + suffix + "_1")) == "alpha" + suffix + "_{1}"
    assert to_latex(scalar("sigma")) == r"\sigma" and to_latex(scalar("w_1")) == "w_{1}"


def test_a_long_name_prints_as_its_two_ends():
    name = "a" * 1000 + "b" * 1000
    latex = to_latex(scalar(name))
    assert len(latex) < 60 and latex.startswith("a" * 18) and latex.endswith("b" * 18) and r"\ldots" in latex


@pytest.mark.parametrize("character", ["\n\n", "\x00", "\x7f", "\x0c", "\x0b", "\r", "\x1b", "\x85", "\u2028", "\ud800"])
def test_line_breaks_and_control_characters_never_reach_tex(character):
    escaped = escape_tex(f"a{character}b")
    assert escaped in ("a b", "ab") and not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in escaped)
