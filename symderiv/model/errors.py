"""The errors symderiv raises; each carries the exit code the command line turns it into."""
import difflib


class SymderivError(Exception):
    """A problem the user can act on; the command line prints it as one sentence."""

    exit_code = 2


class InputError(SymderivError):
    """Bad input: an unknown problem, parameter, name or file (exit code 2)."""


class ParseError(InputError):
    """User text that is not a valid expression; `column` is 1-based, `token` the culprit."""

    def __init__(self, message: str, *, column: int | None = None, token: str | None = None):
        where = f" (column {column}" + (f", at {token!r})" if token else ")") if column else ""
        super().__init__(message + where)
        self.column = column
        self.token = token


class DerivationFailed(SymderivError):
    """A derivation, check or answer that did not verify (exit code 1)."""

    exit_code = 1


class TexMissing(SymderivError):
    """pdflatex or latexmk is not installed (exit code 2)."""


class TexFailed(SymderivError):
    """A TeX run that failed or timed out (exit code 1); the message holds the log's relevant lines."""

    exit_code = 1


def nearest(name: str, names, cutoff: float = 0.5) -> str | None:
    """The known name closest to a mistyped one, for a "did you mean" hint; None when nothing is close."""
    match = difflib.get_close_matches(name, list(names), n=1, cutoff=cutoff)
    return match[0] if match else None


class ExtraMissing(SymderivError):
    """An optional dependency (numpy, jax) that a format needs is not installed (exit code 2)."""
