"""The KaTeX files shipped with symderiv (symderiv/output/katex, MIT), inlined so an HTML page works offline."""
from __future__ import annotations

import base64
import re
from functools import lru_cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "katex"
_FONT_SOURCES = re.compile(r"url\(fonts/([A-Za-z0-9_-]+)\.woff2\) format\(\"woff2\"\)(?:,url\(fonts/[^)]*\) format\(\"[a-z]+\"\))*")


@lru_cache(maxsize=1)
def inlined() -> dict[str, str]:
    """{"css": KaTeX's CSS with its woff2 fonts as data URIs, "js": katex and its auto-render extension}."""
    css = _FONT_SOURCES.sub(_data_uri, (FOLDER / "katex.min.css").read_text("utf-8"))
    js = "\n".join((FOLDER / name).read_text("utf-8") for name in ("katex.min.js", "contrib/auto-render.min.js"))
    return {"css": css, "js": js.replace("</", "<\\/")}


def _data_uri(match: re.Match) -> str:
    font = base64.b64encode((FOLDER / "fonts" / f"{match[1]}.woff2").read_bytes()).decode("ascii")
    return f'url(data:font/woff2;base64,{font}) format("woff2")'


def version() -> str:
    """The vendored KaTeX version, from its README."""
    return re.search(r"KaTeX (\S+)", (FOLDER / "README.md").read_text("utf-8"))[1]
