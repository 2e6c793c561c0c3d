"""Tests for the student's side of the command line: derive --hints and --steps, check --no-reveal, and verify
printing the student's lines as written."""

import re

from click.testing import CliRunner

from symderiv.app.cli import main
from symderiv.read.written import verify_written, written_data


def run(*args, input=None):
    return CliRunner().invoke(main, [*map(str, args)], input=input)


def test_hints_list_each_parts_rules_in_order_before_its_derivation():
    result = run("derive", "softmax-jacobian", "--hints")
    assert result.exit_code == 0
    part_a = result.output.split("(b) ")[0]
    ladder = re.findall(r"^    (\d+)\. (.+)$", part_a, re.M)
    assert [n for n, _ in ladder] == ["1", "2", "3", "4", "5"]
    assert ladder[1][1].startswith("quotient rule") and "index sum" in ladder[1][1]
    assert part_a.index("Hints, one rung") < part_a.index("∂σ_i/∂x_i\n")  # before the derivation


def test_steps_shows_only_the_first_steps_and_no_result():
    full = run("derive", "softmax-jacobian")
    cut = run("derive", "softmax-jacobian", "--steps", "1")
    assert cut.exit_code == 0
    assert "Result:" in full.output and "Result:" not in cut.output and "In matrix form" not in cut.output
    part_a = cut.output.split("(b) ")[0]
    assert part_a.count("    = ") == 1 and "4 more steps to go" in part_a
    assert "σ_i·(1 − σ_i)" not in part_a
    assert "\nRemarks:" in full.output and "\nRemarks:" not in cut.output  # the problem's remarks may tell results


def test_steps_zero_shows_the_question_only_and_hints_need_text():
    assert "5 more steps to go" in run("derive", "softmax-jacobian", "--steps", "0").output
    refused = run("derive", "softmax-jacobian", "--hints", "-f", "json")
    assert refused.exit_code == 2 and "use them with -f text" in refused.stderr


def test_no_reveal_says_incorrect_with_a_counterexample_but_not_the_expected_result():
    args = ("check", "--expr", "(d - z)**2/2", "--wrt", "z", "--answer", "d - z")
    shown = run(*args)
    hidden = run(*args, "--no-reveal")
    assert shown.exit_code == hidden.exit_code == 1
    assert "expected: " in shown.output and "z − d" in shown.output.split("expected: ")[1]
    assert hidden.output.startswith("incorrect") and "counterexample: at" in hidden.output
    assert "expected: " not in hidden.output and "typed:" not in hidden.output and "z − d" not in hidden.output
    right = run("check", "--expr", "(d - z)**2/2", "--wrt", "z", "--answer", "z - d", "--no-reveal")
    assert right.exit_code == 0 and right.output.startswith("correct")


def test_verify_prints_each_line_as_written():
    written = verify_written("d/dp -(y*log(p) + (1 - y)*log(1 - p))\n"
                             "= -(y/p - (1 - y)/(1 - p))  # the derivative of each logarithm, with the chain rule on 1 - p\n"
                             "= -(y - y*p - p + y*p)/(p*(1 - p))\n", "w.txt")
    lines = written_data(written)["lines"]
    assert written.ok
    assert lines[2]["latex"] == r"\frac{-\left(y - y p - p + y p\right)}{p \left(1 - p\right)}"  # not (p - y)/…
    assert lines[0]["latex"].startswith(r"\frac{\partial}{\partial p} \left(-\left(y \ln")


def test_verify_tex_puts_a_long_comment_on_its_own_line(tmp_path):
    path = tmp_path / "w.txt"
    path.write_text("d/dz (d - z)**2/2\n= -(d - z)   # " + "a long justification that would run into the margin " * 2 + "\n"
                    "= z - d   # short\n")
    result = run("verify", path, "-f", "tex")
    assert result.exit_code == 0
    assert r"\parbox[t]{0.7\linewidth}{\small\raggedright\itshape a long justification" in result.output
    assert "line 3: short" in result.output
