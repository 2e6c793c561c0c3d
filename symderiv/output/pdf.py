"""Typeset LaTeX into a PDF with a sandboxed, time-bounded pdflatex, and place it atomically.

pdflatex is called directly, not through latexmk: one pass, rerun (at most 3 passes in all) only when the
log or the auxiliary files say the output is stale. Every pass runs in a fresh temporary folder, without
shell escape, with kpathsea's paranoid file policy, stdin closed, in its own process group, and, where
bubblewrap works, in a sandbox that shows it only the TeX tree (read-only) and that folder. A timeout, an
error, SIGTERM or SIGINT kills the whole group and removes the folder; a failed build writes nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from symderiv.model.errors import InputError, TexFailed, TexMissing
from symderiv.output.resources import place_files, seconds_setting

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
TIMEOUT_VARIABLE, DEFAULT_TIMEOUT, MAX_TIMEOUT = "SYMDERIV_TEX_TIMEOUT", 60.0, 86_400.0
SANDBOX_TREE = ("/usr", "/etc/texmf", "/var/lib/texmf")  # read-only in the sandbox: programs, libraries, the TeX tree
_USR_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")  # symlinks into /usr on merged-/usr systems
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


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived; raised in the main thread once every TeX run has been killed."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def tex_available() -> bool:
    """True when pdflatex is on PATH (latexmk is not needed)."""
    return shutil.which("pdflatex") is not None


def tex_timeout() -> float:
    """Seconds one TeX build may take: $SYMDERIV_TEX_TIMEOUT, or 60; anything but 0 < t <= 86400 is refused."""
    text, value = seconds_setting(TIMEOUT_VARIABLE)
    if value is None:
        return DEFAULT_TIMEOUT
    if not 0 < value <= MAX_TIMEOUT:
        raise InputError(f"{TIMEOUT_VARIABLE}={text[:40]} is not a number of seconds between 0 and {MAX_TIMEOUT:g}; "
                         "unset it or use e.g. 60.")
    return value


def compile_pdf(tex_source: str, destination: Path, *, timeout: float | None = None, passes: int | None = None) -> Path:
    """Typeset `tex_source` and atomically place the PDF at `destination`; return `destination`."""
    return compile_pdf_with_log(tex_source, destination, timeout=timeout, passes=passes).path


def compile_pdf_with_log(
    tex_source: str, destination: Path, *, timeout: float | None = None, passes: int | None = None
) -> TexResult:
    """Like `compile_pdf`, also returning the log and pass count; raises TexMissing or TexFailed, leaving `destination` untouched."""
    if passes is not None and not 1 <= passes:
        raise ValueError(f"passes must be at least 1, not {passes}")
    timeout = tex_timeout() if timeout is None else timeout
    found = shutil.which("pdflatex")
    if found is None:
        raise TexMissing(INSTALL_HINT)
    pdflatex = os.path.abspath(found)  # a relative PATH entry would not resolve from the work folder
    destination = Path(destination)
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="symderiv-tex-", ignore_cleanup_errors=True) as work:
        workdir = Path(work)
        (workdir / "doc.tex").write_bytes(tex_source.encode("utf-8", errors="replace"))
        command = [*_sandboxed(pdflatex, workdir), pdflatex, *PDFLATEX_FLAGS, "doc.tex"]
        env = _environment(workdir)
        wanted = passes if passes is not None else MAX_PASSES
        done = 0
        while True:
            before = _snapshot(workdir)
            code, output = _run_pass(command, workdir, env, deadline, timeout)
            done += 1
            log = _read_log(workdir) or output
            pdf = workdir / "doc.pdf"
            if code != 0 or not pdf.is_file():
                raise TexFailed(_failure_message(log, destination))
            if done >= wanted or (passes is None and not _needs_rerun(log, before, _snapshot(workdir))):
                break
        place_files({destination: pdf.read_bytes()})
    return TexResult(path=destination, log=log, passes=done)


# --- the sandbox ------------------------------------------------------------------------------------
def sandbox_available() -> bool:
    """True when TeX runs in a bubblewrap sandbox here (bwrap is installed and works)."""
    found = shutil.which("pdflatex")
    return found is not None and _sandbox(os.path.abspath(found), shutil.which("bwrap")) is not None


def _sandboxed(pdflatex: str, workdir: Path) -> list[str]:
    """The bwrap prefix for one run in `workdir` (read-write, the only folder outside the TeX tree), or []."""
    prefix = _sandbox(pdflatex, shutil.which("bwrap"))
    if prefix is None:
        return []
    work = str(workdir)
    return [*prefix, "--bind", work, work, "--chdir", work, "--setenv", "HOME", work, "--"]


@lru_cache(maxsize=8)
def _sandbox(pdflatex: str, bwrap: str | None) -> tuple[str, ...] | None:
    """bwrap's options that show only the TeX tree, read-only, with no network; None when bwrap is missing or fails here."""
    if bwrap is None:
        return None
    prefix = (os.path.abspath(bwrap), "--unshare-all", "--die-with-parent", "--dev", "/dev", *_tree_binds(pdflatex))
    try:
        probe = subprocess.run([*prefix, "--", pdflatex, "-version"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return prefix if probe.returncode == 0 else None


def _tree_binds(pdflatex: str) -> list[str]:
    """Read-only binds of /usr, TeX's configuration and formats, a TeX Live tree elsewhere, and pdflatex itself."""
    binds, roots = [], [root for root in SANDBOX_TREE if os.path.isdir(root)]
    real = os.path.realpath(pdflatex)
    roots += [str(p) for p in Path(real).parents[:3] if (p / "texmf-dist").is_dir() and not _under(str(p), roots)][:1]
    for root in roots:
        binds += ["--ro-bind", root, root]
    for link in _USR_LINKS:
        if os.path.islink(link):
            binds += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            binds += ["--ro-bind", link, link]
    if not _under(pdflatex, roots):
        binds += ["--ro-bind", real, pdflatex]
    return binds


def _under(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


# --- running TeX ------------------------------------------------------------------------------------
_running: set[subprocess.Popen] = set()
_guard = threading.RLock()
_stopped = threading.Event()


def stop_all() -> None:
    """Kill every running TeX process group and refuse new runs until the signal scope ends."""
    _stopped.set()
    kill_running()


def kill_running() -> None:
    """Kill the process group of every TeX run in progress, in any thread."""
    with _guard:
        running = list(_running)
    for process in running:
        _signal_group(process)


@contextmanager
def tex_stops_on_signals():
    """Inside, SIGTERM, SIGHUP and SIGINT kill every TeX run, then raise Terminated or KeyboardInterrupt (main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    for signum in previous:
        signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        _stopped.clear()


def _on_signal(signum, frame) -> None:
    stop_all()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


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
    with _guard:
        if _stopped.is_set():
            raise TexFailed("TeX was stopped; no PDF was written.")
        try:
            process = subprocess.Popen(command, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as error:
            raise TexFailed(f"cannot run {command[0]}: {error.strerror or error}; no PDF was written.") from None
        _running.add(process)
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
    finally:
        with _guard:
            _running.discard(process)
    return process.returncode, output.decode("utf-8", errors="replace")


def _signal_group(process: subprocess.Popen) -> None:
    """SIGKILL to the process group of a run that has not been reaped yet."""
    if process.returncode is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the process group started for `process` and reap it."""
    _signal_group(process)
    process.communicate()


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
