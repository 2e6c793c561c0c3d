"""Prose with math, as a sheet's `text`, `title` and `hint` are written: `$…$` holds a symderiv expression, read by
the safe parser and printed as LaTeX; everything else is text, escaped, so no TeX passes through from a sheet.
`\\$` is a literal dollar sign. Splitting is cheap (no sympy); printing imports the parser and the printer."""
from __future__ import annotations

FIX = "write math as $sigmoid(w*x + b)$, one expression between two single dollars, and \\$ for a dollar sign"


class ProseError(ValueError):
    """Prose whose dollars do not pair up; the message says what is wrong, without where."""


def split_prose(text: str) -> list[tuple[str, str]]:
    """The pieces of `text`: ("text", …) and ("math", …) in order, or ProseError for $$ or an unpaired $."""
    pieces, current, math = [], "", False
    n = 0
    while n < len(text):
        char = text[n]
        if char == "\\" and text[n + 1:n + 2] == "$":
            current, n = current + "$", n + 2
            continue
        if char == "$":
            if text[n + 1:n + 2] == "$":
                raise ProseError("$$ (display math) is not supported")
            if math and not current.strip():
                raise ProseError("it holds an empty $ $")
            pieces.append(("math" if math else "text", current))
            current, math = "", not math
        else:
            current += char
        n += 1
    if math:
        raise ProseError("a $ is never closed")
    pieces.append(("text", current))
    return [(kind, piece) for kind, piece in pieces if piece or kind == "math"]


def check_prose(text: str, where: str) -> None:
    """InputError naming `where` and the fix when the dollars of `text` do not pair up (cheap, no sympy)."""
    from symderiv.model.errors import InputError

    try:
        split_prose(text)
    except ProseError as error:
        raise InputError(f"{where}: {error}; {FIX}.") from None


def prose_latex(text: str, where: str, substitute=lambda math: math) -> str:
    """LaTeX of the prose: text escaped, each $…$ (an expression, or expressions joined by =) parsed and printed as
    typed; `substitute` rewrites the math first."""
    from symderiv.model.errors import InputError, SymderivError
    from symderiv.output.render import escape_tex
    from symderiv.read.verbatim import verbatim_latex

    check_prose(text, where)
    out = []
    for kind, piece in split_prose(text):
        if kind == "text":
            out.append(escape_tex(piece))
            continue
        try:
            out.append(r"\(" + " = ".join(verbatim_latex(side) for side in substitute(piece).split("=")) + r"\)")
        except SymderivError as error:
            shown = piece if len(piece) <= 40 else piece[:37] + "..."
            raise InputError(f"{where}: the math ${shown}$ is not a symderiv expression ({str(error).rstrip('.')}); "
                             f"{FIX}.") from None
    return "".join(out)


def prose_text(text: str) -> str:
    """The prose for the terminal: the dollars dropped, the math as typed."""
    try:
        return "".join(piece for _, piece in split_prose(text))
    except ProseError:
        return text
