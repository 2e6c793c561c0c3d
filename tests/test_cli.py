"""Tests for symderiv.app.cli: every format, -o, --version, --help, and every error path's exit code and message."""

import dataclasses
import json
import os

import pytest
from click.testing import CliRunner

from symderiv import __version__
from symderiv import catalog
from symderiv.check import verify
from symderiv.app.cli import main


def tex_available():
    from symderiv.output.pdf import tex_available as available

    return available()


@pytest.fixture
def run():
    def invoke(*args):
        return CliRunner().invoke(main, list(args))

    return invoke


def assert_clean_error(result, code=2):
    """A non-zero exit with one non-empty line on stderr and no traceback anywhere."""
    assert result.exit_code == code, (result.exit_code, result.stderr, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


# ---------------------------------------------------------------- success paths


def test_list(run):
    result = run("list")
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith(catalog.names()[0])
    for name in catalog.names():
        assert name in result.stdout
    assert "-p n=2..64" in result.stdout


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(run, flag):
    result = run(flag)
    assert result.exit_code == 0 and __version__ in result.stdout and "symderiv" in result.stdout


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_main_help(run, flag):
    result = run(flag)
    assert result.exit_code == 0 and "Usage:" in result.stdout
    for name in main.commands:
        assert name in result.stdout


@pytest.mark.parametrize("command", sorted(main.commands))
def test_help_of_each_command(run, command):
    result = run(command, "--help")
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("Usage:") and f" {command}" in first
    assert result.stderr == ""


def test_derive_text(run):
    result = run("derive", "softmax-jacobian")
    assert result.exit_code == 0, result.stderr
    assert "✓" in result.stdout and "quotient rule" in result.stdout and "reciprocal rule" in result.stdout
    assert "σ_i·(1 − σ_i)" in result.stdout and "−σ_i·σ_k" in result.stdout
    assert "Traceback" not in result.stderr


def test_derive_json(run):
    result = run("derive", "softmax-jacobian", "-f", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["problem"] == "softmax-jacobian" and data["verified"] is True
    assert [p["id"] for p in data["parts"]] == ["diagonal", "off-diagonal", "matrix"]


def test_derive_md(run):
    result = run("derive", "softmax-jacobian", "-f", "md")
    assert result.exit_code == 0
    assert result.stdout.startswith("# ") and result.stdout.count("$$") >= 6


def test_derive_tex(run):
    result = run("derive", "softmax-jacobian", "-f", "tex")
    assert result.exit_code == 0
    assert result.stdout.lstrip().startswith(r"\documentclass") and r"\end{document}" in result.stdout


def test_derive_with_n(run):
    result = run("derive", "softmax-jacobian", "-p", "n=3", "-f", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["params"] == {"n": 3} and data["parts"][-1]["matrix"]["size"] == 3


@pytest.mark.parametrize("method, rule", [("quotient", "quotient"), ("reciprocal", "reciprocal")])
def test_derive_method(run, method, rule):
    result = run("derive", "softmax-jacobian", "--method", method, "-f", "json")
    assert result.exit_code == 0
    off = next(p for p in json.loads(result.stdout)["parts"] if p["id"] == "off-diagonal")
    assert rule in [s["rule"] for s in off["derivation"]["steps"]]


@pytest.mark.parametrize(
    "fmt, marker", [("text", "✓"), ("json", '"problem"'), ("md", "$$"), ("tex", r"\documentclass")]
)
def test_output_to_a_file(run, tmp_path, fmt, marker):
    target = tmp_path / "sub" / f"out.{fmt}"
    result = run("derive", "softmax-jacobian", "-f", fmt, "-o", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert str(target) in result.stderr
    assert marker in target.read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.skipif(not tex_available() and not os.environ.get("CI"), reason="pdflatex is not installed")
def test_derive_pdf(run, tmp_path):
    target = tmp_path / "softmax.pdf"
    result = run("derive", "softmax-jacobian", "-f", "pdf", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes().startswith(b"%PDF")
    assert str(target) in result.stderr


# ---------------------------------------------------------------- error paths


def test_unknown_problem(run):
    line = assert_clean_error(run("derive", "softmax-jacobin"))
    assert "unknown problem 'softmax-jacobin'" in line and "Did you mean 'softmax-jacobian'" in line


def test_unknown_problem_far_from_any(run):
    line = assert_clean_error(run("derive", "zzzz"))
    assert "unknown problem" in line and "Did you mean" not in line


def test_unknown_parameter(run):
    line = assert_clean_error(run("derive", "softmax-jacobian", "-p", "m=3"))
    assert "no parameter 'm'" in line and "n" in line


@pytest.mark.parametrize("value", ["abc", "3.5"])
def test_bad_value(run, value):
    line = assert_clean_error(run("derive", "softmax-jacobian", "-p", f"n={value}"))
    assert f"n={value}" in line and "whole number" in line


@pytest.mark.parametrize("value", ["1", "65", "-2"])
def test_n_out_of_range(run, value):
    line = assert_clean_error(run("derive", "softmax-jacobian", "-p", f"n={value}"))
    assert "out of range" in line and "2 to 64" in line


def test_unwritable_output(run, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    line = assert_clean_error(run("derive", "softmax-jacobian", "-o", str(blocker / "out.txt")))
    assert "cannot write" in line and str(blocker / "out.txt") in line


@pytest.mark.parametrize(
    "args, words",
    [
        (("-p", "n"), "KEY=VALUE"),
        (("-p", "=3"), "KEY=VALUE"),
        (("--method", "foo"), "foo"),
        (("-f", "xml"), "xml"),
    ],
    ids=["p-without-equals", "p-without-key", "bad-method", "bad-format"],
)
def test_usage_errors_exit_2_without_traceback(run, args, words):
    result = run("derive", "softmax-jacobian", *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr and words in result.stderr


@pytest.mark.parametrize(
    "args",
    [("-p", "n"), ("-p", "=3"), ("--method", "foo"), ("-f", "xml")],
    ids=["p-without-equals", "p-without-key", "bad-method", "bad-format"],
)
def test_usage_errors_are_one_line(run, args):
    assert_clean_error(run("derive", "softmax-jacobian", *args))


# ---------------------------------------------------------------- a failed verification


@pytest.fixture
def broken_solution(softmax, monkeypatch):
    """softmax-jacobian with the sign of the reciprocal step flipped, re-verified: one false link."""
    part = softmax.parts[1]
    position = next(n for n, s in enumerate(part.derivation.steps) if s.rule == "reciprocal")
    steps = list(part.derivation.steps)
    steps[position] = dataclasses.replace(steps[position], rhs=-steps[position].rhs, check=None)
    derivation = verify.verify(dataclasses.replace(part.derivation, steps=tuple(steps)), softmax.definitions)
    broken = dataclasses.replace(softmax, parts=(softmax.parts[0], dataclasses.replace(part, derivation=derivation),
                                                 softmax.parts[2]))
    assert not broken.verified
    monkeypatch.setattr(catalog, "solve", lambda *args, **kwargs: broken)
    return broken


@pytest.mark.parametrize("fmt", ["text", "json", "md"])
def test_failed_verification_exits_1_and_names_the_link(run, broken_solution, fmt):
    result = run("derive", "softmax-jacobian", "-f", fmt)
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert "in part off-diagonal" in result.stderr
    assert "[reciprocal] is false" in result.stderr
    if fmt == "text":
        assert "NOT VERIFIED" in result.stdout and "✗" in result.stdout
    if fmt == "json":
        assert json.loads(result.stdout)["verified"] is False


def test_undecided_step_exits_1(run, softmax, monkeypatch):
    part = softmax.parts[0]
    last = part.derivation.steps[-1]
    undecided = dataclasses.replace(last, check=dataclasses.replace(last.check, ok=None, detail="no decision"))
    derivation = dataclasses.replace(part.derivation, steps=part.derivation.steps[:-1] + (undecided,))
    broken = dataclasses.replace(softmax, parts=(dataclasses.replace(part, derivation=derivation),) + softmax.parts[1:])
    monkeypatch.setattr(catalog, "solve", lambda *args, **kwargs: broken)
    result = run("derive", "softmax-jacobian")
    assert result.exit_code == 1
    assert "in part diagonal" in result.stderr and "could not be verified" in result.stderr
