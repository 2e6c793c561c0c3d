"""The pytest plugin: a `sym_equal` fixture, and readable reports when `assert a == b` fails on sympy objects.

pytest loads this module in every run of every project installed next to symderiv, so it imports
nothing but pytest and sys at load time; sympy and symderiv are imported only when a test uses them.
A report is worked out only for expressions under a size bound, in a forked child process under a time
and memory budget; whatever goes wrong (too large, too slow, an error, no fork) leaves pytest's own report.
"""
from __future__ import annotations

import sys

import pytest

MAX_PARTS = 500  # nodes of each side of the comparison
MAX_DIGITS = 50  # digits of any number in it
BUDGET_SECONDS = 2.0  # wall time for the child that works out the report
MEMORY_BYTES = 1 << 30  # address space the child may add to what it inherits


@pytest.fixture
def sym_equal():
    """`assert_sym_equal(actual, expected, *, symbols=None, msg=None)`, without an import in the test."""
    from symderiv.testing import assert_sym_equal

    return assert_sym_equal


def pytest_assertrepr_compare(config, op, left, right):
    """For `assert a == b` on small sympy expressions: whether they are equal after all, or a counterexample;
    None (pytest's own report) for anything else, and never an exception."""
    try:
        if op != "==" or not (_is_sympy(left) and _is_sympy(right)) or not (_small(left) and _small(right)):
            return None
        return _explained_in_child(left, right)
    except Exception:  # noqa: BLE001 - a report must never replace the assertion with an error
        return None


def _is_sympy(value) -> bool:
    """A sympy object (sympy is necessarily imported already if one exists), strings excluded."""
    sympy = sys.modules.get("sympy")
    return sympy is not None and isinstance(value, (sympy.Basic, sympy.MatrixBase))


def _small(expr) -> bool:
    """At most MAX_PARTS nodes and no number of more than MAX_DIGITS digits (counting stops early)."""
    matrix = sys.modules["sympy"].MatrixBase
    stack, seen = [expr], 0
    while stack:
        node = stack.pop()
        if isinstance(node, matrix):
            stack.extend(node)
            continue
        seen += 1
        if seen > MAX_PARTS:
            return False
        if node.is_Rational and max(len(str(abs(node.p))), len(str(node.q))) > MAX_DIGITS:
            return False
        stack.extend(node.args)
    return True


def _explained_in_child(left, right) -> list[str] | None:
    """symderiv.testing.equality.explain_comparison run in a forked child, killed past BUDGET_SECONDS; None on any failure."""
    import os
    import select
    import time
    import warnings

    if not hasattr(os, "fork"):
        return None
    reader, writer = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # forking a process with threads is deprecated, and fine here
        pid = os.fork()
    if pid == 0:
        _child(reader, writer, left, right)
    os.close(writer)
    chunks, deadline = [], time.monotonic() + BUDGET_SECONDS
    try:
        while (remaining := deadline - time.monotonic()) > 0 and select.select([reader], [], [], remaining)[0]:
            chunk = os.read(reader, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
        else:
            return None
    finally:
        os.close(reader)
        _end(pid)
    text = b"".join(chunks).decode("utf-8", "replace")
    return text.split("\n")[1:] if text.startswith("ok\n") else None


def _child(reader: int, writer: int, left, right) -> None:
    """In the forked child: the report on the pipe, prefixed by "ok"; never returns, never runs exit handlers."""
    import os

    try:
        os.close(reader)
        _limit_memory()
        from symderiv.testing.equality import explain_comparison

        data = "\n".join(["ok", *map(str, explain_comparison(left, right))]).encode()
        while data:
            data = data[os.write(writer, data):]
    except BaseException:  # noqa: BLE001 - the parent falls back to pytest's report
        pass
    finally:
        os._exit(0)


def _limit_memory() -> None:
    """Cap the child's address space at what it inherited plus MEMORY_BYTES (where the platform allows it)."""
    import os
    import resource

    try:
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (used + MEMORY_BYTES, resource.getrlimit(resource.RLIMIT_AS)[1]))
    except (OSError, ValueError):
        pass


def _end(pid: int) -> None:
    """Kill the child if it is still running, and reap it."""
    import os
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
