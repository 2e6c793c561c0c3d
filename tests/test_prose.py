"""Tests for symderiv.output.prose and symderiv.read.verbatim: sheet prose with $…$ math, printed as typed, and
untrusted text that prints literally or is refused with one sentence naming the file, entry and fix."""

import pytest

from symderiv.model.errors import InputError
from symderiv.output.prose import prose_latex, split_prose
from symderiv.read.verbatim import verbatim_latex

WHERE = "hw.toml, problem 2, text"


def test_math_between_dollars_is_parsed_and_printed_in_the_order_typed():
    tex = prose_latex("A neuron computes $sigmoid(w*x + b)$ from $x$.", WHERE)
    assert tex == r"A neuron computes \(\sigma\left(w x + b\right)\) from \(x\)."


def test_an_equation_in_math_prints_both_sides():
    assert prose_latex("with $u = w*x + b$", WHERE) == r"with \(u = w x + b\)"


@pytest.mark.parametrize("text, literal", [
    (r"\input{/etc/passwd}", r"\textbackslash{}input\{/etc/passwd\}"),
    (r"\write18{rm -rf ~}", r"\textbackslash{}write18\{rm -rf \textasciitilde{}\}"),
    ("50% & #1 _x ^y", r"50\% \& \#1 \_x \textasciicircum{}y"),
    (r"costs \$5", r"costs \$5"),
])
def test_tex_outside_the_math_prints_literally(text, literal):
    assert prose_latex(text, WHERE) == literal


@pytest.mark.parametrize("text, fragment", [
    ("display $$x^2$$ math", "$$ (display math) is not supported"),
    ("one $x dollar", "a $ is never closed"),
    ("nested $sigmoid($x$)$ math", "the math $sigmoid($ is not a symderiv expression"),
    ("odd $a $b$ c", "a $ is never closed"),
    ("empty $ $ math", "empty"),
])
def test_unpaired_or_double_dollars_are_refused_with_the_place_and_the_fix(text, fragment):
    with pytest.raises(InputError) as error:
        prose_latex(text, WHERE)
    message = str(error.value)
    assert message.startswith(WHERE) and fragment in message and "$sigmoid(w*x + b)$" in message
    assert message.count("\n") == 0


@pytest.mark.parametrize("payload", [
    "__import__('os').system('touch /tmp/pwned')",
    "x.__class__",
    "eval('1')",
    r"\input{/etc/passwd}",
    "open('/etc/passwd').read()",
    "lambda: 1",
])
def test_math_holding_code_is_refused_and_never_run(payload, tmp_path):
    with pytest.raises(InputError) as error:
        prose_latex(f"see ${payload}$ here", WHERE)
    assert str(error.value).startswith(WHERE + ": the math $") and "not a symderiv expression" in str(error.value)


def test_split_keeps_the_order_of_text_and_math():
    assert split_prose(r"a $x$ b \$ c $y$") == [("text", "a "), ("math", "x"), ("text", " b $ c "), ("math", "y")]


@pytest.mark.parametrize("typed, tex", [
    ("-(y - y*p - p + y*p)*x", r"-\left(y - y p - p + y p\right) x"),
    ("x^2*exp(-x)", r"x^{2} e^{-x}"),
    ("a - (b + c)", r"a - \left(b + c\right)"),
    ("2*3*x", r"2 \cdot 3 x"),
    ("(x + 1)**2", r"\left(x + 1\right)^{2}"),
    ("-x**2", r"-x^{2}"),
    ("1/(1 + exp(-p))", r"\frac{1}{1 + e^{-p}}"),
    ("b + w*x", r"b + w x"),
    ("w*x + b", r"w x + b"),
])
def test_a_line_prints_as_written_without_evaluation(typed, tex):
    assert verbatim_latex(typed) == tex


def test_verbatim_printing_goes_through_the_safe_parser():
    with pytest.raises(InputError):
        verbatim_latex("__import__('os')")
    with pytest.raises(InputError):
        verbatim_latex("2**2**2**2**5")
