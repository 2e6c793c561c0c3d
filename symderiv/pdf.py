"""Typeset LaTeX into a PDF with a hardened, time-bounded pdflatex, and place it atomically.

pdflatex is called directly, not through latexmk: latexmk is a Perl program that starts in about
0.1 s and always parses the log and file database, while a small symderiv document needs one
pdflatex pass. `compile_pdf` runs one pass and reruns (at most 3 passes in all) only when the log
or the auxiliary files say the output is stale. Every pass runs in a fresh temporary directory,
without shell escape, with kpathsea's paranoid read/write policy (no absolute paths, no dot
files, nothing above the working directory), stdin closed, and in its own process group so that
a timeout kills the whole tree. A failed build never touches the destination.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from symderiv.errors import TexFailed, TexMissing

INSTALL_HINT = (
    "pdflatex was not found; install TeX Live with `make setup` (or: apt-get install "
    "texlive-latex-base texlive-latex-recommended texlive-fonts-recommended latexmk lmodern)"
)
MAX_PASSES = 3
PDFLATEX_FLAGS = ("-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error")
_RERUN = re.compile(
    r"Rerun to get|Label\(s\) may have changed|Citation\(s\) may have changed|\(rerunfilecheck\).*Rerun"
)
_UNRESOLVED = re.compile(r"There were undefined (references|citations)")
_LISTS = (".toc", ".lof", ".lot", ".out")  # read back by the next pass; a change means a stale page
_ERROR = re.compile(r"^!|^[^\s:]+:\d+: ")
_OVERFULL = re.compile(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)")
_MAX_ERROR_LINES = 15
_UNCHANGED = "No PDF was written; any earlier PDF at {dest} is unchanged."


@dataclass(frozen=True)
class TexResult:
    """A finished build: where the PDF is, the last pass's log, and how many passes it took."""

    path: Path
    log: str
    passes: int

    def __iter__(self):
        """Unpack as `(path, log)`."""
        return iter((self.path, self.log))


def tex_available() -> bool:
    """True when pdflatex is on PATH (latexmk is not needed)."""
    return shutil.which("pdflatex") is not None


def compile_pdf(tex_source: str, destination: Path, *, timeout: float = 60.0, passes: int | None = None) -> Path:
    """Typeset `tex_source` and atomically place the PDF at `destination`; return `destination`."""
    return compile_pdf_with_log(tex_source, destination, timeout=timeout, passes=passes).path


def compile_pdf_with_log(
    tex_source: str, destination: Path, *, timeout: float = 60.0, passes: int | None = None
) -> TexResult:
    """Like `compile_pdf`, also returning the log and pass count; raises TexMissing or TexFailed, leaving `destination` untouched."""
    if passes is not None and not 1 <= passes:
        raise ValueError(f"passes must be at least 1, not {passes}")
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        raise TexMissing(INSTALL_HINT)
    destination = Path(destination)
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="symderiv-tex-") as work:
        workdir = Path(work)
        (workdir / "doc.tex").write_text(tex_source, encoding="utf-8")
        env = _environment(workdir)
        wanted = passes if passes is not None else MAX_PASSES
        done = 0
        while True:
            before = _snapshot(workdir)
            code, output = _run_pass([pdflatex, *PDFLATEX_FLAGS, "doc.tex"], workdir, env, deadline, timeout)
            done += 1
            log = _read_log(workdir) or output
            pdf = workdir / "doc.pdf"
            if code != 0 or not pdf.is_file():
                raise TexFailed(_failure_message(log, destination))
            if done >= wanted or (passes is None and not _needs_rerun(log, before, _snapshot(workdir))):
                break
        place_atomically(pdf, destination)
    return TexResult(path=destination, log=log, passes=done)


def overfull_boxes(log_text: str, threshold_pt: float = 10.0) -> list[str]:
    """The log's "Overfull \\hbox (X pt too wide)" lines whose X exceeds `threshold_pt`."""
    return [
        line.strip()
        for line in log_text.splitlines()
        if (match := _OVERFULL.match(line.strip())) and float(match.group(1)) > threshold_pt
    ]


def error_lines(log_text: str) -> list[str]:
    """The log's error lines (`! ...` or `file:line: ...`), each with the 2 lines after it, at most 15."""
    lines = log_text.splitlines()
    picked: list[int] = []
    for index, line in enumerate(lines):
        if _ERROR.match(line):
            picked.extend(i for i in range(index, min(index + 3, len(lines))) if i not in picked)
    return [lines[i].rstrip() for i in picked if lines[i].strip()][:_MAX_ERROR_LINES]


def _environment(workdir: Path) -> dict[str, str]:
    """os.environ plus kpathsea's paranoid file policy, shell escape off, and unwrapped log lines."""
    return {
        **os.environ,
        "openin_any": "p",
        "openout_any": "p",
        "shell_escape": "f",
        "TEXMFOUTPUT": str(workdir),
        "max_print_line": "1000",
    }


def _run_pass(command: list[str], workdir: Path, env: dict[str, str], deadline: float, timeout: float) -> tuple[int, str]:
    """Run one TeX pass in its own session; kill the whole process group when the deadline passes."""
    process = subprocess.Popen(
        command, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=max(deadline - time.monotonic(), 0.01))
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise TexFailed(
            f"TeX did not finish within {timeout:g} s (an infinite loop in a template?); no PDF was written."
        ) from None
    except BaseException:
        _kill_group(process)
        raise
    return process.returncode, output.decode("utf-8", errors="replace")


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the process group started for `process` and reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()


def _read_log(workdir: Path) -> str:
    """The text of doc.log, or "" when TeX wrote none."""
    log = workdir / "doc.log"
    return log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""


def _snapshot(workdir: Path) -> dict[str, bytes]:
    """The bytes of the auxiliary files a later pass reads back (a missing file counts as empty)."""
    return {ext: p.read_bytes() if (p := workdir / f"doc{ext}").is_file() else b"" for ext in (".aux", *_LISTS)}


def _needs_rerun(log: str, before: dict[str, bytes], after: dict[str, bytes]) -> bool:
    """True when the log asks for a rerun, references are unresolved in a changed .aux, or a list file changed."""
    if _RERUN.search(log):
        return True
    if _UNRESOLVED.search(log) and before[".aux"] != after[".aux"]:
        return True
    return any(before[ext] != after[ext] for ext in _LISTS)


def _failure_message(log: str, destination: Path) -> str:
    """The relevant log lines of a failed build, then the promise that nothing was written."""
    lines = error_lines(log)
    if not lines:
        tail = [line.rstrip() for line in log.splitlines() if line.strip()]
        lines = [line for line in tail if "No pages of output" in line] or tail[-5:]
    return "TeX failed:\n" + "\n".join(lines) + "\n" + _UNCHANGED.format(dest=destination)


def place_atomically(pdf: Path, destination: Path) -> None:
    """Copy `pdf` next to `destination` and rename it into place; on any error remove the copy."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, pdf.open("rb") as source:
            shutil.copyfileobj(source, out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, _mode_for(destination))
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode_for(destination: Path) -> int:
    """Keep an existing file's permissions; otherwise 0o666 minus the umask, as open() would."""
    if destination.exists():
        return destination.stat().st_mode & 0o7777
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask
