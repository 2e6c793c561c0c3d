"""Where the package's data lives; importing this module is cheap (no sympy, no jinja2)."""
from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def template_directory() -> Path:
    """The templates folder: symderiv/templates in an installed wheel, else the checkout's top-level templates/."""
    installed = PACKAGE / "templates"
    if (installed / "text.j2").is_file():
        return installed
    return PACKAGE.parent / "templates"
