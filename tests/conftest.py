"""Shared fixtures: canonical symbols, and the softmax-jacobian solution solved once per session."""

from functools import lru_cache

import pytest
import sympy as sp

from symderiv import catalog
from symderiv.model.definitions import Definition
from symderiv.model.functions import softmax_component
from symderiv.model.symbols import N, index, vector


@lru_cache(maxsize=None)
def solved(method: str = "auto", n: int | None = None):
    """catalog.solve("softmax-jacobian"), cached: solving is the slowest thing the tests do."""
    params = {"n": str(n)} if n is not None else {}
    return catalog.solve("softmax-jacobian", params, method)


@pytest.fixture(scope="session")
def softmax():
    """The softmax-jacobian solution (auto method, no explicit matrix)."""
    return solved()


@pytest.fixture(scope="session")
def softmax_n3():
    """The softmax-jacobian solution with -p n=3 (explicit 3×3 matrix and its checks)."""
    return solved(n=3)


@pytest.fixture(scope="session")
def solve_softmax():
    """The cached solver itself, for other methods and sizes."""
    return solved


@pytest.fixture(scope="session")
def sym():
    """The canonical symbols of the softmax problem: x, sigma, i, j, k, N, the sum S and the definition."""

    class Symbols:
        x, sigma = vector("x"), vector("sigma")
        i, j, k = index("i"), index("j"), index("k")
        n = N
        S = sp.Sum(sp.exp(vector("x")[index("j")]), (index("j"), 1, N))
        softmax = Definition(
            name=vector("sigma")[index("i")],
            expr=softmax_component(vector("x"), index("i"), N, index("j")),
            params=(index("i"),),
        )

    return Symbols

