"""How model objects show themselves (notebooks, to_html, …) without the model importing any output code.

The package installs a presenter when it is imported (symderiv/__init__.py); the model only asks it.
"""
from __future__ import annotations

from typing import Callable

_loader: Callable[[], object] | None = None


def install(loader: Callable[[], object]) -> None:
    """Set the function that returns the presenter (an object with `present(obj, fmt)`)."""
    global _loader
    _loader = loader


def present(obj: object, fmt: str, **options) -> str | bytes:
    """`obj` in format `fmt` ("html", "md", "latex", "text", "tex", "json"), by the installed presenter."""
    if _loader is None:
        raise RuntimeError("no presenter is installed; import symderiv first.")
    return _loader().present(obj, fmt, **options)


class Presentable:
    """Rich display in Jupyter: HTML (MathJax math), Markdown and LaTeX, all made by the presenter."""

    def _repr_html_(self) -> str:
        return present(self, "html")

    def _repr_markdown_(self) -> str:
        return present(self, "md")

    def _repr_latex_(self) -> str:
        return present(self, "latex")
