"""The command line for user input: derive --expr, check, verify; exit codes, streams, and refused code."""
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from symderiv import catalog
from symderiv.app.cli import main
from symderiv.read.parse import parse_expr
from symderiv.model.errors import SymderivError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CHAIN = ["derive", "--define", "y = sigmoid(w1*x)", "--expr", "(d - sigmoid(w2*y))**2/2", "--wrt", "w1"]


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


# --- derive --expr ---------------------------------------------------------------------------------
def test_derive_expr_prints_a_verified_chain_derivation():
    result = run(*CHAIN)
    assert result.exit_code == 0, result.output
    assert "chain rule" in result.stdout and "Verified:" in result.stdout and result.stderr == ""


@pytest.mark.parametrize("fmt, marker", [("text", "Result:"), ("tex", r"\begin{document}"), ("md", "$$"), ("json", '"problem": "expr"')])
def test_derive_expr_in_every_format(fmt, marker):
    result = run(*CHAIN, "-f", fmt)
    assert result.exit_code == 0 and marker in result.stdout
    if fmt == "json":
        data = json.loads(result.stdout)
        assert data["verified"] is True and len(data["parts"]) == 1


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
def test_derive_expr_as_pdf(tmp_path):
    result = run(*CHAIN, "-f", "pdf", "-o", tmp_path / "chain.pdf")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "chain.pdf").read_bytes().startswith(b"%PDF")


def test_where_no_rule_applies_it_says_so_and_exits_1():
    result = run("derive", "--expr", "leaky_relu(x, x)", "--wrt", "x")
    assert result.exit_code == 1
    assert "NOT VERIFIED" in result.stdout and "Verified:" not in result.stdout
    assert "no rule applies to" in result.stderr


def test_a_variable_that_does_not_occur_warns_once():
    result = run("derive", "--expr", "x**2", "--wrt", "q")
    assert result.exit_code == 0 and "Result: ∂/∂q (x²) = 0" in result.stdout
    assert one_line(result.stderr).startswith("symderiv: warning: q does not occur")


@pytest.mark.parametrize("args, message", [
    (["softmax-jacobian", "--expr", "x", "--wrt", "x"], "not both"),
    ([], "give a PROBLEM"),
    (["--expr", "x"], "needs --wrt"),
    (["softmax-jacobian", "--wrt", "x"], "go with --expr"),
    (["--expr", "x", "--wrt", "x", "-p", "n=3"], "-p parameters"),
])
def test_problem_and_expr_are_exclusive(args, message):
    result = run("derive", *args)
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output


# --- check -----------------------------------------------------------------------------------------
def _typed(part) -> str:
    for step in reversed(part.derivation.steps):
        try:
            parse_expr(str(step.rhs))
            return str(step.rhs)
        except SymderivError:
            continue
    raise AssertionError(part.id)


@pytest.mark.parametrize("name", catalog.names())
def test_check_right_and_wrong_answers_for_every_problem(name):
    from symderiv.read.answers import _solved

    last = _solved(name, (), "auto").parts[-1]
    right = run("check", name, "--answer", _typed(last))
    assert right.exit_code == 0, right.output
    assert right.stdout.startswith("correct") and "decided by:" in right.stdout
    wrong = run("check", name, "--part", last.id, "--answer", f"-({_typed(last)})")
    assert wrong.exit_code == 1, wrong.output
    assert wrong.stdout.startswith("incorrect") and "counterexample: at " in wrong.stdout
    assert "your answer = " in wrong.stdout and "expected: " in wrong.stdout


def test_check_softmax_with_named_quantities():
    result = run("check", "softmax-jacobian", "--part", "diagonal", "--answer", "sigma_i*(1 - sigma_i)")
    assert result.exit_code == 0 and result.stdout.startswith("correct: ∂σ_i/∂x_i = σ_i·(1 − σ_i)")
    result = run("check", "softmax-jacobian", "--answer", "-sigma_i*sigma_k")
    assert result.exit_code == 1 and "check it with --part off-diagonal" in result.stdout


def test_check_expr_right_and_wrong():
    right = run("check", "--expr", "(d - z)**2/2", "--wrt", "z", "--answer", "z - d")
    assert right.exit_code == 0 and right.stdout.startswith("correct")
    wrong = run("check", "--expr", "(d - z)**2/2", "--wrt", "z", "--answer", "d - z")
    assert wrong.exit_code == 1
    assert "counterexample: at d = 0.5, z = 2: your answer = -1.5, expected = 1.5" in wrong.stdout
    assert "expected: ∂/∂z ((d − z)²/2) = z − d" in wrong.stdout


@pytest.mark.parametrize("args, code", [
    (["softmax-jacobian", "--answer", "q"], 2),
    (["softmax-jacobian", "--part", "nope", "--answer", "sigma_i"], 2),
    (["--expr", "x", "--wrt", "x", "--part", "a", "--answer", "1"], 2),
    (["softmax-jacobian"], 2),
])
def test_check_bad_input(args, code):
    result = run("check", *args)
    assert result.exit_code == code and result.stderr and "Traceback" not in result.output


# --- verify ----------------------------------------------------------------------------------------
def test_verify_flags_the_notes_slip():
    result = run("verify", EXAMPLES / "backprop-slip.txt")
    assert result.exit_code == 1
    slip = next(line for line in result.stdout.splitlines() if "the note's line" in line)
    assert "✗ = (d - z)" in slip
    assert "✗ false: at d = 0.5, z = 2, line 4 = 1.5 but line 5 = -1.5" in result.stdout
    assert "NOT VERIFIED: line 5 does not follow from the line before." in result.stdout


@pytest.mark.parametrize("name", ["backprop-correct.txt", "backprop-w2.txt", "backprop-w1.txt"])
def test_verify_accepts_the_correct_examples(name):
    result = run("verify", EXAMPLES / name)
    assert result.exit_code == 0, result.output
    assert "✗" not in result.stdout and "Verified:" in result.stdout


def test_verify_formats(tmp_path):
    data = json.loads(run("verify", EXAMPLES / "backprop-slip.txt", "-f", "json").stdout)
    assert data["ok"] is False and data["false_lines"] == [5] and data["first_failure"]["counterexample"]
    tex = run("verify", EXAMPLES / "backprop-slip.txt", "-f", "tex").stdout
    assert r"\tag*{\fails}" in tex and r"\holds{structural}" in tex
    result = run("verify", "-", input="d/dx x**2\n= 2*x\n")
    assert result.exit_code == 0 and "standard input" in result.stdout


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
def test_verify_pdf(tmp_path):
    (tmp_path / "odd.txt").write_text("d/dx x**2\n= 2*x   # unicode ² ∂ 😀 and TeX \\input{x} $ % & _\n")
    result = run("verify", tmp_path / "odd.txt", "-f", "pdf", "-o", tmp_path / "odd.pdf")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "odd.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("content, message", [
    (None, "cannot read"),
    (b"\xff\xfe\x00binary", "not UTF-8"),
    (b"", "nothing to check"),
    (b"x +\n= 1", "line 1: cannot read"),
])
def test_verify_bad_files(tmp_path, content, message):
    path = tmp_path / "derivation.txt"
    if content is not None:
        path.write_bytes(content)
    result = run("verify", path)
    assert result.exit_code == 2 and message in one_line(result.stderr)


def test_verify_a_directory(tmp_path):
    result = run("verify", tmp_path)
    assert result.exit_code == 2 and "cannot read" in one_line(result.stderr)


# --- code never runs -------------------------------------------------------------------------------
PAYLOADS = [
    "__import__('os').system('touch {marker}')",
    "().__class__.__base__.__subclasses__()",
    "lambda: __import__('os').system('touch {marker}')",
    "x.__class__",
    "f'{{__import__(\"os\").system(\"touch {marker}\")}}'",
    "sigmoid.__globals__",
    "exec('open(\"{marker}\", \"w\")')",
    "eval('1')",
    "getattr(x, '__class__')",
    "open('{marker}', 'w')",
    "[c for c in ().__class__.__bases__]",
]


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("where", ["expr", "answer", "define", "wrt", "file"])
def test_code_in_user_input_never_runs(tmp_path, payload, where):
    marker = tmp_path / "X"
    text = payload.format(marker=marker)
    args = {
        "expr": ["derive", "--expr", text, "--wrt", "x"],
        "answer": ["check", "--expr", "x**2", "--wrt", "x", "--answer", text],
        "define": ["derive", "--define", f"y = {text}", "--expr", "y", "--wrt", "x"],
        "wrt": ["derive", "--expr", "x", "--wrt", text],
        "file": ["verify", tmp_path / "payload.txt"],
    }[where]
    (tmp_path / "payload.txt").write_text(f"d/dx x**2\n= {text}\n")
    result = run(*args)
    assert result.exit_code == 2, result.output
    message = one_line(result.stderr)
    assert message.startswith("symderiv: ") and "Traceback" not in result.output
    assert not marker.exists()


def test_a_where_line_payload_never_runs(tmp_path):
    marker = tmp_path / "X"
    (tmp_path / "p.txt").write_text(f"where y = __import__('os').system('touch {marker}')\ny\n= y\n")
    result = run("verify", tmp_path / "p.txt")
    assert result.exit_code == 2 and "line 1" in one_line(result.stderr) and not marker.exists()
