"""Canonical symbols, so that the catalog, the parser and the checker agree on names and assumptions."""
from __future__ import annotations

import re

import sympy as sp

from .errors import InputError

NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")

N = sp.Symbol("N", integer=True, positive=True)


def checked_name(name: str) -> str:
    """A user-facing symbol name must match [A-Za-z][A-Za-z0-9_]*, or TeX could be injected."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name) or name.startswith("__"):
        raise InputError(f"{name!r} is not a valid symbol name: use letters, digits and _, starting with a letter.")
    return name


def scalar(name: str) -> sp.Symbol:
    """A real-valued scalar quantity such as w1, x or d (no assumptions, as sympy's default)."""
    return sp.Symbol(checked_name(name))


def index(name: str) -> sp.Symbol:
    """An integer index such as i, j or k."""
    if name == "N":
        return N
    return sp.Symbol(checked_name(name), integer=True)


def vector(name: str) -> sp.IndexedBase:
    """A vector whose components are written x[i]."""
    return sp.IndexedBase(checked_name(name))
