"""Tests for symderiv.app.roster and symderiv.read.grading: per-student variants, the roster build, its cache, and
grading a CSV of answers against the key it writes."""

import csv
import io
import re

import pytest
from click.testing import CliRunner

from symderiv.app.cli import main
from symderiv.app.roster import choice, read_roster
from symderiv.app.sheet import load_sheet
from symderiv.model.errors import InputError
from test_sheet import pdf_pages, squeeze, tex_test, write

VARY = """\
title = "Variants"
[[problem]]
text = "Differentiate $tanh(a*x)$ by $x$."
expr = "tanh(a*x)"
wrt = "x"
vary = { a = [2, 3, 5, 7] }
hint = ["The chain rule, with $u = a*x$."]

[[problem]]
name = "backprop"
vary = { activation = ["tanh", "sigmoid"] }
parts = ["dE_dw2"]

[[problem]]
expr = "x**2*exp(-x)"
wrt = "x"
"""


def run(*args):
    return CliRunner().invoke(main, [*map(str, args)])


def distinct_pair(sheet):
    """Two ids whose variants differ, and the choice of each (found, never assumed)."""
    ids = [f"s{n:02d}" for n in range(1, 40)]
    first = choice(sheet, ids[0])
    other = next(i for i in ids[1:] if choice(sheet, i) != first)
    return ids[0], other


def test_the_choice_is_a_pure_function_of_sheet_id_and_seed(tmp_path):
    sheet = load_sheet(write(tmp_path, VARY))
    assert choice(sheet, "s01") == choice(load_sheet(write(tmp_path, VARY, "again.toml")), "s01")
    assert choice(sheet, "s01", seed=0) == choice(sheet, "s01", seed=0)
    picks = {str(choice(sheet, f"s{n}")) for n in range(40)}
    assert len(picks) > 3  # ids spread over the variants
    assert any(choice(sheet, "s01", seed=s) != choice(sheet, "s01") for s in range(1, 10))
    assert choice(sheet, "s01")[1]["a"] in (2, 3, 5, 7) and choice(sheet, "s01")[3] == {}


@pytest.mark.parametrize("text, fragment", [
    ("name,id\nx,y\n", "must start with the header line id,name"),
    ("id,name\n../etc,Eve\n", "line 2: write id,name"),
    ("id,name\na1,Ann\na1,Bob\n", "line 3: student id 'a1' is listed twice"),
    ("id,name\n", "must list 1 to 2000 students"),
])
def test_a_bad_roster_is_one_sentence(tmp_path, text, fragment):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        read_roster(path)


@tex_test
def test_a_roster_build_gives_each_student_their_variant_and_the_key_grades_them(tmp_path):
    sheet_path = write(tmp_path, VARY, "hw.toml")
    one, two = distinct_pair(load_sheet(sheet_path))
    roster = tmp_path / "roster.csv"
    roster.write_text(f"id,name\n{one},Ada Lovelace\n{two},Alan Turing \\input{{/etc/hostname}} & #1\n")
    out = tmp_path / "out"
    result = run("build", sheet_path, "--roster", roster, "-o", out)
    assert result.exit_code == 0, result.output
    assert re.search(r"\] (\d+)/\1$", result.stderr, re.M)  # the progress bar reached its end
    first, second = ("\n".join(pdf_pages(out / f"hw-{i}-questions.pdf")) for i in (one, two))
    assert "Ada Lovelace" in first and "Alan Turing" in second and "Alan Turing" not in first
    assert r"Alan Turing \input{/etc/hostname} & #1" in second  # a name prints literally
    picks = choice(load_sheet(sheet_path), one), choice(load_sheet(sheet_path), two)
    for text, pick in zip((first, second), picks):
        assert f"tanh ({pick[1]['a']}x)" in text
    assert (out / f"hw-{one}-hints.pdf").exists()
    solutions = squeeze("\n".join(pdf_pages(out / "hw-solutions.pdf")))
    assert "Everystudent" in solutions and "Variant1" in solutions and "Variant2" in solutions
    assert solutions.index("AdaLovelace") < solutions.index("AlanTuring")  # roster order
    rows = list(csv.DictReader(io.StringIO((out / "hw-answers.csv").read_text())))
    assert {r["student"] for r in rows} == {one, two}
    assert [(r["problem"], r["part"]) for r in rows if r["student"] == one] == [
        ("1", "derivative"), ("2", "dE_dw2"), ("3", "derivative")]
    graded = run("check", "--answers", out / "hw-answers.csv", "--key", out / "hw-answers.csv")
    assert graded.exit_code == 0 and graded.output.count(",correct,") == len(rows)  # each variant's result verified
    again = run("build", sheet_path, "--roster", roster, "-o", out)
    assert again.exit_code == 0 and "unchanged since the last build" in again.stderr
    roster.write_text(roster.read_text() + "s99,Grace Hopper\n")  # a student joins: only what is new is built
    joined = run("build", sheet_path, "--roster", roster, "-o", out)
    assert joined.exit_code == 0, joined.output
    known = re.search(r"deriving (\d+) problem variants for 3 students \((\d+) known from the cache\)", joined.stderr)
    assert known and int(known[2]) >= 3 and "typesetting 3 documents" in joined.stderr
    assert "Grace Hopper" in "\n".join(pdf_pages(out / "hw-s99-questions.pdf"))


@tex_test
def test_grading_gives_one_verdict_per_row_and_never_the_expected_result(tmp_path):
    sheet_path = write(tmp_path, VARY, "hw.toml")
    one, two = distinct_pair(load_sheet(sheet_path))
    roster = tmp_path / "roster.csv"
    roster.write_text(f"id,name\n{one},A\n{two},B\n")
    out = tmp_path / "out"
    assert run("build", sheet_path, "--roster", roster, "-o", out).exit_code == 0
    a_one, a_two = (choice(load_sheet(sheet_path), i)[1]["a"] for i in (one, two))
    answers = tmp_path / "answers.csv"
    answers.write_text("student,problem,part,answer\n"
                       f"{one},1,derivative,{a_one}*(1 - tanh({a_one}*x)**2)\n"   # right for this student
                       f"{two},1,derivative,{a_one}*(1 - tanh({a_one}*x)**2)\n"   # the other student's result
                       f"{one},3,derivative,2*x*exp(-x)\n"                          # wrong
                       f"{one},2,dE_dw2,(z - d) +* y\n"                             # unreadable
                       f"{one},9,derivative,x\n")                                   # no such problem
    result = run("check", "--answers", answers, "--key", out / "hw-answers.csv")
    assert result.exit_code == 1
    verdicts = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [v["verdict"] for v in verdicts] == ["correct", "incorrect", "incorrect", "unreadable", "unknown"]
    assert "at x = " in verdicts[2]["detail"] and "cannot read the answer" in verdicts[3]["detail"]
    assert "x*(2 - x)" not in result.output and "exp(-x)*(2" not in result.output  # no expected result shown
    assert "5 answers: 1 correct, 2 incorrect, 1 unreadable, 1 unknown" in result.stderr


def test_grading_catalog_problems_without_a_key(tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("student,problem,part,answer\n"
                       "s1,softmax-jacobian,diagonal,sigma_i*(1 - sigma_i)\n"
                       "s2,softmax-jacobian,off-diagonal,sigma_i*sigma_k\n"
                       "s3,softmax-jacobian,diagonal,sigma_i +* 2\n"
                       "s4,softmax-jacobain,diagonal,1\n")
    result = run("check", "--answers", answers)
    verdicts = [row["verdict"] for row in csv.DictReader(io.StringIO(result.stdout))]
    assert result.exit_code == 1 and verdicts == ["correct", "incorrect", "unreadable", "invalid"]
    assert "σ_i·σ_k" not in result.output and "-sigma_i*sigma_k" not in result.output


@pytest.mark.parametrize("text, fragment", [
    ("who,what\n1,2\n", "has no column student, problem, part, answer"),
    (b"\xff\xfe", "is not UTF-8 text"),
])
def test_a_bad_answers_file_is_one_sentence_and_exit_2(tmp_path, text, fragment):
    path = tmp_path / "answers.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    result = run("check", "--answers", path)
    assert result.exit_code == 2 and fragment in result.stderr and "Traceback" not in result.output


def test_answers_exclude_a_single_answer():
    result = run("check", "softmax-jacobian", "--answers", "x.csv")
    assert result.exit_code == 2 and "--answers grades a whole file" in result.stderr
