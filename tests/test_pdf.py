"""Tests for symderiv.output.pdf: hardened, time-bounded pdflatex builds placed atomically."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from symderiv.model.errors import InputError, TexFailed, TexMissing
from symderiv.output.pdf import (
    INSTALL_HINT,
    _tree_binds,
    compile_pdf,
    compile_pdf_with_log,
    error_lines,
    overfull_boxes,
    sandbox_available,
    tex_available,
    tex_timeout,
)

needs_tex = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not tex_available() and not os.environ.get("CI"),
        reason="pdflatex is not installed (run `make setup`); in CI these tests always run",
    ),
]


def tex_test(function):
    """Mark a test that runs TeX: slow, and skipped only outside CI when TeX is absent."""
    for mark in needs_tex:
        function = mark(function)
    return function


def document(body: str, preamble: str = "") -> str:
    """A minimal article around `body`."""
    return f"\\documentclass{{article}}\n{preamble}\\begin{{document}}\n{body}\n\\end{{document}}\n"


def pdf_text(path: Path) -> str:
    """The text of a PDF, extracted with pdftotext."""
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


@tex_test
def test_minimal_document_compiles(tmp_path):
    destination = tmp_path / "out" / "nested" / "hello.pdf"
    result = compile_pdf(document("Hello symderiv."), destination)
    assert result == destination
    assert destination.read_bytes().startswith(b"%PDF")
    assert "Hello symderiv." in pdf_text(destination)
    assert [p.name for p in destination.parent.iterdir()] == ["hello.pdf"]


@tex_test
def test_document_without_references_takes_one_pass(tmp_path):
    result = compile_pdf_with_log(document(r"Plain text, $x^2$."), tmp_path / "a.pdf")
    assert result.passes == 1
    assert "Output written on doc.pdf" in result.log
    path, log = result
    assert (path, log) == (result.path, result.log)


@tex_test
def test_label_and_ref_take_two_passes(tmp_path):
    source = document(r"\section{Intro}\label{sec:intro} See Section~\ref{sec:intro}.")
    result = compile_pdf_with_log(source, tmp_path / "ref.pdf")
    assert result.passes == 2
    assert "See Section 1." in pdf_text(result.path)


@tex_test
def test_table_of_contents_reruns(tmp_path):
    source = document(r"\tableofcontents \section{Gradients} text")
    result = compile_pdf_with_log(source, tmp_path / "toc.pdf")
    assert result.passes == 2
    assert pdf_text(result.path).count("Gradients") == 2


@tex_test
def test_passes_can_be_forced(tmp_path):
    assert compile_pdf_with_log(document("x"), tmp_path / "x.pdf", passes=2).passes == 2


@tex_test
def test_tex_error_reports_log_and_leaves_destination_alone(tmp_path):
    destination = tmp_path / "sheet.pdf"
    destination.write_bytes(b"%PDF-earlier version")
    with pytest.raises(TexFailed) as caught:
        compile_pdf(document(r"before \undefinedmacro after"), destination)
    message = str(caught.value)
    assert "Undefined control sequence" in message
    assert "\\undefinedmacro" in message
    assert "No PDF was written" in message and "unchanged" in message
    assert caught.value.exit_code == 1
    assert destination.read_bytes() == b"%PDF-earlier version"
    assert [p.name for p in tmp_path.iterdir()] == ["sheet.pdf"]


@tex_test
def test_empty_document_fails_without_creating_destination(tmp_path):
    destination = tmp_path / "empty.pdf"
    with pytest.raises(TexFailed, match="No pages of output"):
        compile_pdf(document(""), destination)
    assert list(tmp_path.iterdir()) == []


@tex_test
def test_infinite_loop_times_out_promptly(tmp_path):
    start = time.monotonic()
    with pytest.raises(TexFailed, match=r"did not finish within 3 s") as caught:
        compile_pdf(document(r"\def\x{\x}\x"), tmp_path / "loop.pdf", timeout=3)
    assert time.monotonic() - start < 10
    assert "no PDF was written" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


@tex_test
def test_shell_escape_is_disabled(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    absolute_marker = tmp_path / "ABSOLUTE_MARKER"
    body = rf"\immediate\write18{{touch MARKER}}\immediate\write18{{touch {absolute_marker}}}shell"
    result = compile_pdf_with_log(document(body), tmp_path / "out" / "shell.pdf")
    assert "runsystem(touch MARKER)...disabled" in result.log
    assert not (tmp_path / "MARKER").exists()
    assert not absolute_marker.exists()


@tex_test
def test_reading_files_outside_the_build_directory_is_refused(tmp_path):
    destination = tmp_path / "passwd.pdf"
    try:
        compile_pdf(document(r"\input{/etc/passwd}"), destination)
    except TexFailed:
        assert not destination.exists()
    else:
        assert "root:x:0:0" not in pdf_text(destination)


@tex_test
def test_writing_files_outside_the_build_directory_is_refused(tmp_path):
    target = tmp_path / "written"
    body = rf"\newwrite\f\immediate\openout\f={target}\immediate\write\f{{pwned}}\immediate\closeout\f ok"
    try:
        compile_pdf(document(body), tmp_path / "w.pdf")
    except TexFailed:
        pass
    assert not target.exists() and not target.with_suffix(".tex").exists()


def test_missing_pdflatex_raises_tex_missing(tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert not tex_available()
    with pytest.raises(TexMissing) as caught:
        compile_pdf(document("x"), tmp_path / "x.pdf")
    assert str(caught.value) == INSTALL_HINT
    assert caught.value.exit_code == 2
    assert list(tmp_path.iterdir()) == [empty]


def test_install_hint_names_the_packages():
    assert INSTALL_HINT.startswith("pdflatex was not found")
    for package in ("texlive-latex-base", "texlive-latex-recommended", "texlive-fonts-recommended", "latexmk", "lmodern"):
        assert package in INSTALL_HINT


def test_passes_must_be_positive(tmp_path):
    with pytest.raises(ValueError):
        compile_pdf(document("x"), tmp_path / "x.pdf", passes=0)


SAMPLE_LOG = r"""
Overfull \hbox (3.5pt too wide) in paragraph at lines 12--14
[]\T1/lmr/m/n/10 short
Overfull \hbox (42.17pt too wide) in paragraph at lines 20--21
[]$[]$
Underfull \hbox (badness 10000) in paragraph at lines 30--31
Overfull \vbox (55.0pt too high) has occurred while \output is active
Overfull \hbox (10pt too wide) detected at line 40
Overfull \hbox (10.01pt too wide) detected at line 41
"""


def test_overfull_boxes_keeps_only_wide_hboxes():
    assert overfull_boxes(SAMPLE_LOG) == [
        r"Overfull \hbox (42.17pt too wide) in paragraph at lines 20--21",
        r"Overfull \hbox (10.01pt too wide) detected at line 41",
    ]
    assert len(overfull_boxes(SAMPLE_LOG, threshold_pt=1)) == 4
    assert overfull_boxes(SAMPLE_LOG, threshold_pt=100) == []
    assert overfull_boxes("") == []


def test_error_lines_take_two_lines_of_context_and_cap_at_fifteen():
    log = "\n".join(
        ["This is pdfTeX", "./doc.tex:5: Undefined control sequence.", "l.5 before \\undefinedmacro", "   after",
         "unrelated", "! Emergency stop.", "<*> doc.tex", "", "tail"]
    )
    assert error_lines(log) == [
        "./doc.tex:5: Undefined control sequence.", "l.5 before \\undefinedmacro", "   after",
        "! Emergency stop.", "<*> doc.tex",
    ]
    many = "\n".join(f"! error {i}\ncontext {i}\nmore {i}" for i in range(20))
    assert len(error_lines(many)) == 15


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_tex_available_finds_pdflatex():
    assert tex_available()


# --- one timeout rule, the sandbox probe ----------------------------------------------------------------------
LOOP = "\\documentclass{article}\\def\\x{\\x}\\x\\begin{document}x\\end{document}"


@tex_test
def test_every_caller_gets_the_timeout_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMDERIV_TEX_TIMEOUT", "1.5")
    start = time.monotonic()
    with pytest.raises(TexFailed, match="within 1.5 s"):
        compile_pdf(LOOP, tmp_path / "loop.pdf")
    assert time.monotonic() - start < 20


@pytest.mark.parametrize("value", ["1e10", "nan", "-1", "0", "inf", "-inf", "soon", "1e400", "86401"])
def test_an_odd_timeout_is_refused_before_tex_runs(tmp_path, monkeypatch, value):
    monkeypatch.setenv("SYMDERIV_TEX_TIMEOUT", value)
    with pytest.raises(InputError, match="SYMDERIV_TEX_TIMEOUT"):
        compile_pdf(document("x"), tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize("value, seconds", [("", 60.0), (" 2.5 ", 2.5), ("86400", 86400.0)])
def test_a_sensible_timeout_is_read(monkeypatch, value, seconds):
    monkeypatch.setenv("SYMDERIV_TEX_TIMEOUT", value)
    assert tex_timeout() == seconds


@tex_test
def test_a_bwrap_that_cannot_make_a_sandbox_means_no_sandbox_not_a_failure(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "bwrap"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    assert not sandbox_available()
    assert compile_pdf(document("Hello."), tmp_path / "x.pdf").read_bytes().startswith(b"%PDF")


def test_a_tex_live_tree_outside_usr_is_bound_read_only(tmp_path):
    root = tmp_path / "texlive" / "2024"
    binary = root / "bin" / "x86_64-linux" / "pdftex"
    (root / "texmf-dist").mkdir(parents=True)
    binary.parent.mkdir(parents=True)
    binary.write_text("")
    (binary.parent / "pdflatex").symlink_to("pdftex")
    binds = _tree_binds(str(binary.parent / "pdflatex"))
    assert ["--ro-bind", str(root), str(root)] == binds[binds.index(str(root)) - 1:binds.index(str(root)) + 2]
    assert str(tmp_path) not in binds and "/usr" in binds and "/home" not in binds and "/tmp" not in binds
