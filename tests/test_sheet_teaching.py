"""Tests for the teaching keys of a sheet (text, title, hint, part_titles, space, vary), the hints PDF, the layout
(no heading last on a page, the appendix modes), and the untrusted text of a sheet."""

import re
import subprocess

import pytest
from click.testing import CliRunner

from symderiv.app.cli import main
from symderiv.output.wording import words
from symderiv.app.sheet import load_sheet, sheet_data, solve_entry
from symderiv.model.errors import InputError
from test_sheet import pdf_pages, squeeze, tex_test, write

PROSE = """\
title = "Prose"
[[problem]]
text = "A neuron computes $sigmoid(w*x + b)$ from its input $x$."
expr = "sigmoid(w*x + b)"
wrt = "w"
hint = ["Use the chain rule with $u = w*x + b$.", "Recall $sigmoid(u)*(1 - sigmoid(u))$."]
space = "6cm"

[[problem]]
question = "Two functions"
expr = "tanh(a*x)"
wrt = "x"

[[problem]]
question = "Two functions"
expr = "x**2*exp(-x)"
wrt = "x"
title = "A product: $x**2*exp(-x)$"
"""


def build(*args):
    return CliRunner().invoke(main, ["build", *map(str, args)])


# --- reading the keys ------------------------------------------------------------------------------------------

def test_teaching_keys_are_read_and_kept(tmp_path):
    sheet = load_sheet(write(tmp_path, PROSE))
    first = sheet.entries[0]
    assert first.text.startswith("A neuron") and len(first.hint) == 2 and first.space == "6cm"
    assert sheet.entries[2].title == "A product: $x**2*exp(-x)$"


@pytest.mark.parametrize("extra, fragment", [
    ('space = "six"', 'space must be a height such as space = "6cm"'),
    ('space = "90cm"', "at most 20 cm"),
    ("hint = [3]", "a hint must be a non-empty string"),
    ('hint = ["a $$x$$ hint"]', "hint 1: $$ (display math) is not supported"),
    ('text = "an $x"', "text: a $ is never closed"),
    ('title = ""', "a title must be a non-empty string"),
    ('part_titles = "x"', "part_titles must be a table"),
    ("vary = { a = 3 }", "vary.a must be a list of 1 to 100 numbers or names"),
    ('vary = { q = [1, 2] }', "vary.q names nothing in expr or define"),
    ('vary = { a = ["x y"] }', "vary.a must be a list"),
    ("vary = { x = [1, 2] }", "vary.x is the variable to differentiate by"),
    ('hnit = ["x"]', "did you mean 'hint'"),
])
def test_a_bad_teaching_key_is_one_sentence_naming_the_file_entry_and_fix(tmp_path, extra, fragment):
    path = write(tmp_path, f'title = "T"\n[[problem]]\nexpr = "a*x**2"\nwrt = "x"\n{extra}\n')
    with pytest.raises(InputError) as error:
        load_sheet(path)
    message = str(error.value)
    assert message.startswith(f"{path}, problem 1") and fragment in message and "\n" not in message


def test_a_catalog_problem_varies_only_its_parameters(tmp_path):
    path = write(tmp_path, 'title = "T"\n[[problem]]\nname = "backprop"\nvary = { size = [1, 2] }\n')
    result = build(path, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "problem 1" in result.stderr and "no parameter 'size'" in result.stderr


# --- the data the templates see ---------------------------------------------------------------------------------
def test_titles_name_the_function_and_math_is_typeset(tmp_path):
    sheet = load_sheet(write(tmp_path, PROSE))
    data = sheet_data(sheet, [solve_entry(entry, sheet.path) for entry in sheet.entries])
    first, second = data["questions"]
    assert first["items"][0]["problem"]["title"] == "The derivative of sigmoid"
    assert first["items"][0]["text"] == r"A neuron computes \(\sigma\left(w x + b\right)\) from its input \(x\)."
    assert first["items"][0]["hints"][0] == r"Use the chain rule with \(u = w x + b\)."
    titles = [item["problem"]["title"] for item in second["items"]]
    assert titles == ["The derivative of tanh", r"A product: \(x^{2} e^{-x}\)"]  # (a) and (b) differ
    assert data["hints"] is True and first["hints"] is True and second["hints"] is False


def test_part_titles_replace_the_default_and_must_name_a_part(tmp_path):
    good = write(tmp_path, 'title = "T"\n[[problem]]\nname = "softmax-jacobian"\n'
                           'part_titles = { diagonal = "On the diagonal: $sigma_i$" }\n')
    sheet = load_sheet(good)
    data = sheet_data(sheet, [solve_entry(sheet.entries[0], sheet.path)])
    parts = data["questions"][0]["items"][0]["problem"]["parts"]
    assert parts[0]["title"] == r"On the diagonal: \(\sigma_{i}\)" and words(parts[1]["title"]).startswith("Off-diagonal")
    bad = write(tmp_path, 'title = "T"\n[[problem]]\nname = "softmax-jacobian"\npart_titles = { diag = "x" }\n', "b.toml")
    sheet = load_sheet(bad)
    with pytest.raises(InputError, match="part_titles names no part 'diag'; its parts are"):
        sheet_data(sheet, [solve_entry(sheet.entries[0], sheet.path)])


# --- the PDFs -------------------------------------------------------------------------------------------------------
@tex_test
def test_prose_math_is_typeset_hints_get_their_own_pdf(tmp_path):
    out = tmp_path / "out"
    result = build(write(tmp_path, PROSE, "hw.toml"), "-o", out)
    assert result.exit_code == 0, result.output
    questions = "\n".join(pdf_pages(out / "hw-questions.pdf"))
    assert "σ" in questions and "$" not in questions
    assert "A neuron computes σ" in questions and "The derivative of tanh" in questions
    hints = "\n".join(pdf_pages(out / "hw-hints.pdf"))
    assert "Hint 1." in hints and "Hint 2." in hints and "u = wx + b" in hints
    assert "xe−x (2 − x)" not in squeeze(hints)  # hints hold no result
    no_hints = write(tmp_path, PROSE.replace('hint = ["Use the chain rule with $u = w*x + b$.", '
                                             '"Recall $sigmoid(u)*(1 - sigmoid(u))$."]\n', ""), "plain.toml")
    assert build(no_hints, "-o", out).exit_code == 0
    assert (out / "plain-questions.pdf").exists() and not (out / "plain-hints.pdf").exists()


UNTRUSTED = r"""
title = 'Untrusted \input{/etc/hostname} #1 % & ~ ^ _ {'
[[problem]]
text = 'Read \input{/etc/hostname} and \write18{touch PWNED} then 100% & #1 ~ ^ _ { } \$5.'
title = 'A title with \catcode and \def\x{y}'
hint = ['\immediate\write18{id}']
expr = "x**2"
wrt = "x"
"""


@tex_test
def test_tex_in_a_sheet_prints_literally_and_nothing_runs(tmp_path):
    out = tmp_path / "out"
    result = build(write(tmp_path, UNTRUSTED, "u.toml"), "-o", out)
    assert result.exit_code == 0, result.output
    text = squeeze("\n".join(pdf_pages(out / "u-questions.pdf")))
    for literal in (r"\input{/etc/hostname}", r"\write18{touchPWNED}", "100%&#1", "$5", r"\catcodeand\def\x{y}"):
        assert literal in text
    assert squeeze(r"\immediate\write18{id}") in squeeze("\n".join(pdf_pages(out / "u-hints.pdf")))
    assert not (tmp_path / "PWNED").exists() and not list(tmp_path.rglob("PWNED"))


@pytest.mark.parametrize("text, fragment", [
    ("$$x$$", "$$ (display math) is not supported"),
    ("a $x", "a $ is never closed"),
    ("$__import__('os').system('id')$", "is not a symderiv expression"),
    ("$sigmoid($x$)$", "is not a symderiv expression"),
])
def test_bad_math_in_a_sheet_is_refused_before_anything_is_written(tmp_path, text, fragment):
    path = write(tmp_path, f'title = "T"\n[[problem]]\ntext = "{text}"\nexpr = "x"\nwrt = "x"\n')
    result = build(path, "-o", tmp_path / "out")
    assert result.exit_code == 2 and fragment in result.stderr and f"{path}, problem 1, text" in result.stderr
    assert "Traceback" not in result.output and not list((tmp_path).glob("out/*.pdf"))


LONG = 'title = "Many questions"\n' + "".join(
    f'[[problem]]\ntext = "Question number {n}: differentiate with care, and show every step."\n'
    f'expr = "x**{n + 2}*exp(-{n + 1}*x) + tanh({n + 1}*x)"\nwrt = "x"\nspace = "{4 + n % 4}cm"\n'
    for n in range(10))
HEADING = re.compile(r"^(Question \d+\b|\([a-z]{1,2}\)\s|\((i|ii|iii|iv|v|vi)\)\s|Verification$)")


def page_lines(path):
    """The lines of text of each page, without the page number in the footer."""
    pages = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    found = []
    for page in pages:
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        if lines and lines[-1].isdigit():
            lines.pop()
        if lines:
            found.append(lines)
    return found


@tex_test
def test_no_heading_ends_a_page_and_every_question_page_ends_with_an_answer_box(tmp_path):
    out = tmp_path / "out"
    assert build(write(tmp_path, LONG, "long.toml"), "-o", out, "--appendix", "full").exit_code == 0
    questions = page_lines(out / "long-questions.pdf")
    assert len(questions) > 3  # several page breaks were decided
    assert [page[-1] for page in questions] == ["Your answer"] * len(questions), [page[-3:] for page in questions]
    solutions = page_lines(out / "long-solutions.pdf")
    assert len(solutions) > 3
    ending = [(n, line) for n, page in enumerate(solutions) for line in page[-3:] if HEADING.match(line)]
    assert not ending, ending  # a heading is followed by at least three lines of its own on the same page


@tex_test
def test_the_appendix_is_a_summary_by_default_and_full_or_none_on_request(tmp_path):
    sheet = write(tmp_path, 'title = "T"\n[[problem]]\nname = "softmax-jacobian"\n', "s.toml")
    texts = {}
    for mode in ("summary", "full", "none"):
        out = tmp_path / mode
        args = [sheet, "-o", out] + ([] if mode == "summary" else ["--appendix", mode])
        assert build(*args).exit_code == 0
        texts[mode] = "\n".join(pdf_pages(out / "s-solutions.pdf"))
    assert "Verification" in texts["summary"] and "Steps" in texts["summary"] and "Detail" not in texts["summary"]
    rows = re.findall(r"^\s*1\((a|b|c)\)\s+(\d+)\s+(.*)$", texts["summary"], re.M)  # one line per part
    assert [row[0] for row in rows] == ["a", "b", "c"] and all("exact identity" in row[2] or "index" in row[2] for row in rows)
    assert "Detail" in texts["full"] and re.search(r"\b2\.2\.1\b", texts["full"])  # step ids on one line
    assert "Verification" not in texts["none"]


def test_definitions_come_before_the_question_line(tmp_path):
    from symderiv.output.render import render_template

    sheet = load_sheet(write(tmp_path, 'title = "T"\n[[problem]]\nexpr = "(d - y)**2/2"\nwrt = "w"\n'
                                       'define = ["y = sigmoid(w*x)"]\n'))
    data = sheet_data(sheet, [solve_entry(sheet.entries[0], sheet.path)])
    tex = render_template("sheet-questions.tex.j2", data)
    assert r"y \coloneqq" in tex and "= ?" in tex
    assert tex.index(r"y \coloneqq") < tex.index("= ?")


@tex_test
def test_the_hints_pdf_comes_back_from_the_cache(tmp_path):
    out = tmp_path / "out"
    sheet = write(tmp_path, PROSE, "hw.toml")
    assert build(sheet, "-o", out).exit_code == 0
    (out / "hw-hints.pdf").unlink()
    again = build(sheet, "-o", out)
    assert again.exit_code == 0 and "unchanged since the last build" in again.stderr
    assert (out / "hw-hints.pdf").read_bytes().startswith(b"%PDF")
