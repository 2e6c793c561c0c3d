"""Testing helpers for users' own suites: `assert_sym_equal` and the pytest plugin (`sym_equal` fixture).

    from symderiv.testing import assert_sym_equal

Importing this package is cheap: sympy loads on the first call, so the plugin stays light in every test run.
"""
from __future__ import annotations

__all__ = ["assert_sym_equal"]


def __getattr__(name: str):
    """The equality helpers, loaded on first use."""
    if name.startswith("__"):
        raise AttributeError(name)
    import importlib

    equality = importlib.import_module("symderiv.testing.equality")
    try:
        return getattr(equality, name)
    except AttributeError:
        raise AttributeError(f"module 'symderiv.testing' has no attribute {name!r}") from None
