"""Bounded time and memory on every input: each bomb class ends in one sentence (or a success) within seconds.

Every case runs the command line in a subprocess with its address space capped and a wall-time guard, and
requires exit 0 or exit 2 with exactly one line on stderr, never a traceback, a hang or a MemoryError.
"""
import os
import resource
import subprocess
import sys
import time

import pytest

from symderiv.model import definitions
from symderiv.read import parse

MEMORY = 1_500_000_000  # bytes of address space for each run
GUARD = 60  # seconds before a run counts as a hang (on a shared, loaded machine)


def run(*args: str, env: dict | None = None) -> tuple[int, str, float]:
    """Exit code, stderr and wall time of `symderiv ARGS` under the memory cap and the time guard."""

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "symderiv", *args], capture_output=True, text=True,
                              timeout=GUARD, preexec_fn=cap, env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired:
        pytest.fail(f"no answer within {GUARD} s: symderiv {' '.join(args)[:200]}")
    return done.returncode, done.stderr, time.monotonic() - started


def refused(*args: str, match: str, env: dict | None = None) -> None:
    code, err, _ = run(*args, env=env)
    assert code == 2 and "Traceback" not in err, err[-2000:]
    assert err.strip().count("\n") == 0 and match in err, err


def works_or_refused(*args: str) -> None:
    code, err, _ = run(*args)
    assert "Traceback" not in err and code in (0, 2), err[-2000:]
    assert code == 0 or err.strip().count("\n") == 0, err


def defines(pairs) -> list[str]:
    return [arg for name, value in pairs for arg in ("--define", f"{name} = {value}")]


# --- caps hold once definitions are substituted --------------------------------------------------------------
@pytest.mark.parametrize("values, expr, match", [
    ([("y", "10**99")], "x*2**y", "exponent"),
    ([("y", "2**300")], "x*y**2", "digits"),
    ([("y", "10**60"), ("z", "10**60")], "x*y*z", "digits"),
    ([("y1", "x**10"), ("y2", "y1**10"), ("y3", "y2**10")], "y3**2", "exponent 2000"),
    ([("y", "10**99"), ("z", "2**y")], "x*z", "exponent"),
    ([("y", "0")], "x/y", "undefined"),
])
def test_numbers_built_from_definitions_are_capped(values, expr, match):
    refused("derive", *defines(values), "--expr", expr, "--wrt", "x", match=match)


def test_a_tree_that_doubles_with_each_definition_is_capped():
    chain = [("y1", "x")] + [(f"y{n}", f"y{n - 1} + sin(y{n - 1})") for n in range(2, 40)]
    refused("derive", *defines(chain), "--expr", "y39", "--wrt", "x", match="too large")


# --- long and deep chains of definitions ---------------------------------------------------------------------
def test_too_many_definitions_is_one_sentence():
    chain = [("y1", "x")] + [(f"y{n}", f"y{n - 1}") for n in range(2, 401)]
    refused("derive", *defines(chain), "--expr", "y400", "--wrt", "x", match=f"at most {definitions.MAX_DEFINITIONS}")


def test_definitions_nested_past_the_cap_are_one_sentence():
    depth = definitions.MAX_COMBINED_DEPTH
    chain = [("y1", "sin(x)")] + [(f"y{n}", f"sin(y{n - 1})") for n in range(2, depth + 1)]
    refused("derive", *defines(chain), "--expr", f"y{depth}", "--wrt", "x", match=f"more than {depth} levels")


@pytest.mark.parametrize("body", ["sin({})", "sigmoid(w*{})", "{}*x"])
def test_long_chains_of_definitions_work(body):
    chain = [("y1", body.format("x"))] + [(f"y{n}", body.format(f"y{n - 1}")) for n in range(2, 21)]
    works_or_refused("derive", *defines(chain), "--expr", "y20", "--wrt", "x")


# --- nesting at the parser's cap -----------------------------------------------------------------------------
@pytest.mark.parametrize("function", ["sin", "exp", "sigmoid", "log", "sqrt"])
def test_calls_nested_to_the_cap_are_printed_or_refused_in_one_sentence(function):
    for calls in (parse.MAX_DEPTH - 1, parse.MAX_DEPTH):
        text = f"{function}(" * calls + "x" + ")" * calls
        works_or_refused("derive", "--expr", text, "--wrt", "y")  # ∂/∂y = 0: parsing and printing at the cap


# --- expansion blow-ups --------------------------------------------------------------------------------------
@pytest.mark.parametrize("expr", [
    "(a+1)**64*(b+1)**64*(c+1)**64*(d+1)**64",
    "(a+b+c+d+e+f+g+h)**20",
    "(a+b+c+d+e+f+g+h)**20/(a-b+1)**30",
])
def test_products_of_sums_are_never_expanded(expr):
    works_or_refused("derive", "--expr", expr, "--wrt", "a")


# --- written derivations keep the caps once their `where` lines are substituted ------------------------------
def test_a_written_line_built_from_where_lines_is_capped(tmp_path):
    written = tmp_path / "big.txt"
    written.write_text("d/dx x*2**3\nwhere y = 10**99\n= 2**y\n")
    code, err, elapsed = run("verify", str(written))
    assert code == 2 and err.strip().count("\n") == 0 and "exponent" in err and "line 3" in err, err
    assert elapsed < GUARD / 2


# --- sympy's own blow-ups on typed input: the time budget ----------------------------------------------------
BUDGET = {"SYMDERIV_TIME_LIMIT": "3"}


def nested(function: str, depth: int) -> str:
    return f"{function}(" * depth + "x" + ")" * depth


@pytest.mark.parametrize("args", [
    ("derive", "--expr", nested("tanh", 10), "--wrt", "x"),  # exponential in sympy's construction
    ("derive", "--expr", nested("sigmoid", 59), "--wrt", "x"),  # slow in sampling
    ("derive", *defines([("y1", "x")] + [(f"y{n}", f"(y{n - 1} + x)**2") for n in range(2, 31)]),
     "--expr", "y30", "--wrt", "x"),  # slow in the exact check
    ("check", "--expr", nested("tanh", 10), "--wrt", "x", "--answer", "1"),
])
def test_typed_input_that_takes_too_long_is_stopped_in_one_sentence(args):
    code, err, elapsed = run(*args, env=BUDGET)
    assert "Traceback" not in err and code in (0, 2), err[-2000:]
    if code == 2:
        assert err.strip().count("\n") == 0 and "longer than 3 s" in err, err
    assert elapsed < 3 + 20  # the budget, plus start-up and unwinding on a loaded machine


def test_a_written_derivation_that_takes_too_long_is_stopped_in_one_sentence(tmp_path):
    written = tmp_path / "tanh.txt"
    written.write_text(f"d/dx {nested('tanh', 10)}\n= 1\n")
    code, err, elapsed = run("verify", str(written), env=BUDGET)
    assert code == 2 and err.strip().count("\n") == 0 and "longer than 3 s" in err, err
    assert elapsed < 3 + 20


@pytest.mark.parametrize("value", ["soon", "-1", "1e10"])
def test_a_bad_time_limit_is_one_sentence(value):
    refused("derive", "--expr", "x**2", "--wrt", "x", match="SYMDERIV_TIME_LIMIT", env={"SYMDERIV_TIME_LIMIT": value})


def test_no_time_limit_lets_work_finish():
    code, err, _ = run("derive", "--expr", "x**2", "--wrt", "x", env={"SYMDERIV_TIME_LIMIT": "0"})
    assert code == 0, err
