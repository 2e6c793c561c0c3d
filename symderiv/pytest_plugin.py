"""The pytest plugin: a `sym_equal` fixture, and readable reports when `assert a == b` fails on sympy objects.

pytest loads this module in every run of every project installed next to symderiv, so it imports
nothing but pytest and sys at load time; sympy and symderiv are imported only when a test uses them.
"""
from __future__ import annotations

import sys

import pytest


@pytest.fixture
def sym_equal():
    """`assert_sym_equal(actual, expected, *, symbols=None, msg=None)`, without an import in the test."""
    from symderiv.testing import assert_sym_equal

    return assert_sym_equal


def pytest_assertrepr_compare(config, op, left, right):
    """For `assert a == b` on sympy expressions: whether they are equal after all, or a counterexample."""
    if op != "==" or not (_is_sympy(left) and _is_sympy(right)):
        return None
    from symderiv.testing import explain_comparison

    return explain_comparison(left, right)


def _is_sympy(value) -> bool:
    """A sympy object (sympy is necessarily imported already if one exists), strings excluded."""
    sympy = sys.modules.get("sympy")
    return sympy is not None and isinstance(value, sympy.Basic)
