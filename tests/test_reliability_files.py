"""Reliability with files that are not ours: the cache, -o destinations, placing a sheet's PDFs, shared caches,
unbounded input, TeX processes on SIGTERM, input that used to make TeX fail, and errors that used to be tracebacks.

Each test stands for a class of failure; a full disk is simulated by a failing os.fsync or os.replace.
"""

import errno
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from symderiv.app import cache
from symderiv.output import resources
from symderiv.app import sheet
from symderiv.app.cache import CACHE_DIRNAME
from symderiv.app.cli import main
from symderiv.output.pdf import tex_available

REPO = Path(__file__).resolve().parent.parent
SYMDERIV = [sys.executable, "-m", "symderiv"]
needs_tex = pytest.mark.skipif(not tex_available() and not os.environ.get("CI"),
                               reason="pdflatex is not installed (run `make setup`); in CI these tests always run")
SMALL = 'title = "{title}"\n[[problem]]\nname = "sigmoid-derivative"\n'
WRITTEN = "d/dz (d - z)**2/2\n= z - d   # chain rule\n"


def tex_test(function):
    """A test that runs TeX: slow, and skipped only outside CI when TeX is missing."""
    return pytest.mark.slow(needs_tex(function))


def run(*args, env=None, input=None):
    return CliRunner(env=env).invoke(main, [str(a) if isinstance(a, Path) else a for a in args], input=input)


def one_sentence(result, code: int) -> str:
    """The exit code, no traceback, and exactly one message on stderr besides progress lines (which it returns)."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.stderr.splitlines() if line.startswith("symderiv:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def sheet_file(folder: Path, title: str = "T", name: str = "hw.toml") -> Path:
    path = folder / name
    path.write_text(SMALL.format(title=title), encoding="utf-8")
    return path


@pytest.fixture
def fake_tex(monkeypatch):
    """Sheets typeset without TeX: each "PDF" holds its kind and the sheet's title; returns the run count."""
    runs = []

    def typeset(data, work, templates, timeout, destinations):
        runs.append(data["title"])
        staged = {}
        for kind in sheet.KINDS:
            for ext in ("pdf", "tex"):
                staged[f"{kind}.{ext}"] = work / f"{kind}.{ext}"
                padding = b" " * int(os.environ.get("FAKE_PDF_PADDING", "0"))
                staged[f"{kind}.{ext}"].write_bytes(f"%PDF-fake {kind} {ext} {data['title']}".encode() + padding)
        return staged

    monkeypatch.setattr(sheet, "_typeset", typeset)
    return runs


def failing(real, error: OSError, when=lambda *args, **kwargs: True):
    """`real`, except that it raises `error` for the calls `when` picks."""

    def call(*args, **kwargs):
        if when(*args, **kwargs):
            raise error
        return real(*args, **kwargs)

    return call


def no_leftovers(folder: Path) -> bool:
    """No temporary .part or .old file is left beside the outputs."""
    return not [p for p in folder.iterdir() if p.name.endswith((".part", ".old"))]


# --- 1. data that is not ours: the cache never deletes what it did not make --------------------------------
def test_building_into_home_leaves_its_other_cache_folders_alone(tmp_path, fake_tex):
    home = tmp_path / "home"
    others = [home / ".cache" / name for name in ("pip", "fontconfig", *(f"app{n}" for n in range(20)))]
    for folder in others:
        folder.mkdir(parents=True)
        (folder / "keep").write_text("data")
    for n in range(cache.KEEP + 3):
        assert run("build", sheet_file(tmp_path, f"T{n}"), "-o", home).exit_code == 0
    assert all((folder / "keep").read_text() == "data" for folder in others)
    assert len(list((home / CACHE_DIRNAME).iterdir())) == cache.KEEP


def test_a_symlinked_cache_folder_in_the_output_is_not_followed(tmp_path, fake_tex):
    target = tmp_path / "target"
    for n in range(cache.KEEP + 2):
        cache.BuildCache(target).put(f"{n:064x}", {"questions.pdf": b"%PDF"})
    (target / "pip").mkdir()
    before = sorted(p.name for p in target.iterdir())
    out = tmp_path / "out"
    out.mkdir()
    (out / CACHE_DIRNAME).symlink_to(target)
    for n in range(2):
        assert run("build", sheet_file(tmp_path, f"T{n}"), "-o", out).exit_code == 0
    assert sorted(p.name for p in target.iterdir()) == before
    assert (out / "hw-questions.pdf").read_bytes().startswith(b"%PDF-fake")


# --- 2. a planted cache entry is never served --------------------------------------------------------------
@pytest.mark.parametrize("plant", ["symlink to a secret", "other bytes", "fifo"])
def test_a_planted_cache_file_is_rebuilt_not_served(tmp_path, fake_tex, plant):
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    path, out = sheet_file(tmp_path), tmp_path / "out"
    assert run("build", path, "-o", out).exit_code == 0
    (entry,) = (out / CACHE_DIRNAME).iterdir()
    planted = entry / "questions.pdf"
    planted.unlink()
    {"symlink to a secret": lambda: planted.symlink_to(secret), "other bytes": lambda: planted.write_bytes(b"%PDF evil"),
     "fifo": lambda: os.mkfifo(planted)}[plant]()
    result = run("build", path, "-o", out)
    assert result.exit_code == 0 and len(fake_tex) == 2  # a miss: built again
    questions = out / "hw-questions.pdf"
    assert not questions.is_symlink() and questions.read_bytes() == b"%PDF-fake questions pdf T"


# --- 3. -o destinations -----------------------------------------------------------------------------------
def odd_destination(tmp_path: Path, kind: str) -> tuple[Path, callable]:
    """A destination that is not a regular file, and a check that it is unchanged."""
    target = tmp_path / "target.txt"
    target.write_text("precious")
    path = tmp_path / "out.file"
    if kind == "symlink":
        path.symlink_to(target)
        return path, lambda: path.is_symlink() and target.read_text() == "precious"
    if kind == "fifo":
        os.mkfifo(path)
        return path, lambda: path.exists() and not path.is_file()
    if kind == "folder":
        path.mkdir()
        return path, lambda: path.is_dir()
    try:
        os.mknod(path, 0o600 | 0o020000, os.makedev(1, 3))  # a character device, as /dev/null
    except PermissionError:
        pytest.skip("mknod is not permitted here")
    return path, lambda: path.exists() and not path.is_file() and not path.is_symlink()


@pytest.mark.parametrize("kind", ["symlink", "fifo", "folder", "device"])
@pytest.mark.parametrize("command", [("derive", "sigmoid-derivative", "-f", "pdf"), ("derive", "sigmoid-derivative", "-f", "tex"),
                                     ("derive", "sigmoid-derivative", "-f", "json"), ("verify", "{file}", "-f", "pdf"),
                                     ("verify", "{file}", "-f", "text")])
def test_an_output_that_is_not_a_regular_file_is_refused(tmp_path, kind, command):
    written = tmp_path / "w.txt"
    written.write_text(WRITTEN)
    destination, unchanged = odd_destination(tmp_path, kind)
    args = [written if a == "{file}" else a for a in command]
    line = one_sentence(run(*args, "-o", destination), 2)
    assert "symderiv replaces only regular files" in line or "is a directory" in line
    assert unchanged()


@pytest.mark.parametrize("fmt", ["text", "tex", "md", "json"])
def test_text_output_is_replaced_atomically_on_a_full_disk(tmp_path, monkeypatch, fmt):
    destination = tmp_path / f"out.{fmt}"
    destination.write_text("the earlier good file")

    monkeypatch.setattr(resources.os, "fsync", failing(os.fsync, OSError(errno.ENOSPC, "No space left on device")))
    line = one_sentence(run("derive", "sigmoid-derivative", "-f", fmt, "-o", destination), 1)
    assert "No space left on device" in line
    assert destination.read_text() == "the earlier good file" and no_leftovers(tmp_path)


def test_an_unverified_derivation_writes_no_pdf_and_keeps_the_earlier_one(tmp_path):
    destination = tmp_path / "out.pdf"
    destination.write_bytes(b"%PDF the earlier good PDF")
    result = run("derive", "--expr", "leaky_relu(x, x)", "--wrt", "x", "-f", "pdf", "-o", destination)
    assert result.exit_code == 1 and "no PDF was written" in result.stderr
    assert destination.read_bytes() == b"%PDF the earlier good PDF"


# --- 4. a sheet's files are placed together ----------------------------------------------------------------
@pytest.mark.parametrize("function", ["os.replace", "os.fsync"])
@pytest.mark.parametrize("keep_tex", [False, True])
def test_a_sheets_files_are_placed_all_or_none(tmp_path, monkeypatch, fake_tex, function, keep_tex):
    out = tmp_path / "out"
    out.mkdir()
    names = [f"hw-{kind}.{ext}" for kind in sheet.KINDS for ext in ("pdf", "tex") if keep_tex or ext == "pdf"]
    for name in names:
        (out / name).write_text(f"old {name}")
    calls = []
    second = lambda *args: calls.append(args) or len(calls) == 2  # noqa: E731
    name = function.split(".")[1]
    monkeypatch.setattr(resources.os, name, failing(getattr(os, name), OSError(errno.ENOSPC, "No space left on device"), second))
    args = ["build", sheet_file(tmp_path), "-o", out, "--no-cache"] + (["--tex"] if keep_tex else [])
    one_sentence(run(*args), 1)
    assert all((out / name).read_text() == f"old {name}" for name in names) and no_leftovers(out)


@pytest.fixture
def small_disk(tmp_path):
    """A real 1 MiB file system (tmpfs), to fill up; needs root, skipped where mounting is not permitted."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
                                                    capture_output=True).returncode == 0
    if not mounted:
        pytest.skip("cannot mount a small tmpfs here (needs root); the mocked full-disk tests cover the same class")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path, leave: int = 0) -> None:
    """Fill the file system until only about `leave` bytes are free."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(disk / "filler", "ab") as handle:
        try:
            handle.write(b"x" * max(free - leave, 0))
            handle.flush()
        except OSError:
            pass


def test_a_really_full_disk_leaves_the_earlier_files(small_disk, monkeypatch, fake_tex):
    text = small_disk / "out.tex"
    text.write_text("the earlier good file")
    for name in ("hw-questions.pdf", "hw-solutions.pdf"):
        (small_disk / name).write_text(f"old {name}")
    monkeypatch.setenv("FAKE_PDF_PADDING", str(200_000))
    fill(small_disk, leave=300_000)  # room for one new PDF, not for two
    one_sentence(run("build", sheet_file(small_disk.parent), "-o", small_disk, "--no-cache"), 1)
    fill(small_disk)
    one_sentence(run("derive", "sigmoid-derivative", "-f", "tex", "-o", text), 1)
    assert text.read_text() == "the earlier good file" and no_leftovers(small_disk)
    assert all((small_disk / n).read_text() == f"old {n}" for n in ("hw-questions.pdf", "hw-solutions.pdf"))


# --- 5. shared and read-only caches ------------------------------------------------------------------------
def test_an_unreadable_cache_entry_is_a_miss(tmp_path, monkeypatch, fake_tex):
    path, out = sheet_file(tmp_path), tmp_path / "out"
    assert run("build", path, "-o", out).exit_code == 0

    monkeypatch.setattr(cache, "_read", failing(cache._read, PermissionError(errno.EACCES, "Permission denied")))
    (out / "hw-questions.pdf").unlink()
    result = run("build", path, "-o", out)
    assert result.exit_code == 0 and len(fake_tex) == 2 and (out / "hw-questions.pdf").is_file()


@pytest.mark.parametrize("blocker", ["a file in its place", "mkdir denied", "scandir vanishes"])
def test_a_cache_that_cannot_be_written_or_pruned_never_stops_a_build(tmp_path, monkeypatch, fake_tex, blocker):
    out = tmp_path / "out"
    out.mkdir()
    if blocker == "a file in its place":
        (out / CACHE_DIRNAME).write_text("not a folder")
    elif blocker == "mkdir denied":
        in_cache = lambda path, *args, **kwargs: CACHE_DIRNAME in str(path) or "dir_fd" in kwargs  # noqa: E731
        monkeypatch.setattr(cache.os, "mkdir", failing(os.mkdir, PermissionError(errno.EACCES, "Permission denied"), in_cache))
    else:
        on_fd = lambda path=".", *args: isinstance(path, int)  # noqa: E731  (the cache lists its folder by descriptor)
        monkeypatch.setattr(cache.os, "scandir", failing(os.scandir, FileNotFoundError(errno.ENOENT, "vanished"), on_fd))
    result = run("build", sheet_file(tmp_path), "-o", out)
    assert result.exit_code == 0, result.output
    assert (out / "hw-questions.pdf").is_file() and (out / "hw-solutions.pdf").is_file()


# --- 12. unbounded reads -----------------------------------------------------------------------------------
@pytest.mark.parametrize("shell", ['$SYMDERIV build /dev/zero',
                                   'yes "= x" | $SYMDERIV verify -',
                                   'head -c 300000000 /dev/zero | $SYMDERIV verify -',
                                   'head -c 300000000 /dev/zero | $SYMDERIV build /dev/stdin'])
def test_unbounded_input_is_refused_in_one_sentence(tmp_path, shell):
    start = time.monotonic()
    result = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env={**os.environ, "SYMDERIV": f"{sys.executable} -m symderiv"})
    assert time.monotonic() - start < 60
    assert result.returncode == 2 and "too large" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("content", ["1001 files", "a 17 MB file"])
def test_a_templates_folder_too_large_to_hash_is_refused(tmp_path, content):
    templates = tmp_path / "templates"
    templates.mkdir()
    if content == "1001 files":
        for n in range(1001):
            (templates / f"f{n}").write_text("x")
    else:
        with open(templates / "big.bin", "wb") as handle:
            handle.truncate(17 * 1024 * 1024)
    result = run("build", sheet_file(tmp_path), "-o", tmp_path / "out", "--templates", templates)
    assert "templates" in one_sentence(result, 2) or "not a template" in result.stderr


def test_a_template_that_is_a_device_is_refused(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "text.j2").symlink_to("/dev/zero")
    assert "not a regular file" in one_sentence(run("derive", "sigmoid-derivative", "--templates", templates), 2)


# --- 13. TeX processes --------------------------------------------------------------------------------------
def looping_templates(folder: Path) -> Path:
    folder.mkdir()
    for name in ("preamble.tex.j2",):
        (folder / name).write_text("\\documentclass{article}\n\\def\\x{\\x}\\x\n")
    (folder / "verify.tex.j2").write_text("\\documentclass{article}\n\\def\\x{\\x}\\x\n")
    return folder


def processes_with(mark: str, command: bytes = b"") -> list[int]:
    """The processes whose environment holds `mark` (this test's symderiv, bwrap, pdflatex), and `command` if given."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and mark.encode() in (entry / "environ").read_bytes() \
                    and command in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def wait_for_tex(mark: str) -> None:
    """Until this test's pdflatex typesets doc.tex (not the sandbox probe, `pdflatex -version`)."""
    deadline = time.monotonic() + 60
    while not processes_with(mark, b"doc.tex") and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)


@tex_test
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_tex_and_removes_its_folder(tmp_path, signum):
    temporary, mark = tmp_path / "tmp", f"symderiv-test-{uuid.uuid4().hex}"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary), "SYMDERIV_TEST_MARK": mark, "SYMDERIV_TEX_TIMEOUT": "120"}
    process = subprocess.Popen([*SYMDERIV, "derive", "sigmoid-derivative", "-f", "pdf", "-o", tmp_path / "x.pdf",
                                "--templates", looping_templates(tmp_path / "t")], env=env, stderr=subprocess.PIPE)
    wait_for_tex(mark)
    assert list(temporary.glob("symderiv-tex-*"))
    process.send_signal(signum)
    assert process.wait(timeout=30) == 128 + signum
    assert process.stderr.read().decode().count("\n") == 1
    time.sleep(0.5)
    assert processes_with(mark) == [] and list(temporary.iterdir()) == []


@tex_test
def test_sigkill_during_tex_leaves_the_earlier_pdf_whole(tmp_path):
    destination, mark = tmp_path / "x.pdf", f"symderiv-test-{uuid.uuid4().hex}"
    destination.write_bytes(b"%PDF the earlier good PDF")
    env = {**os.environ, "SYMDERIV_TEST_MARK": mark, "SYMDERIV_TEX_TIMEOUT": "120"}
    process = subprocess.Popen([*SYMDERIV, "derive", "sigmoid-derivative", "-f", "pdf", "-o", destination,
                                "--templates", looping_templates(tmp_path / "t")], env=env)
    wait_for_tex(mark)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert destination.read_bytes() == b"%PDF the earlier good PDF" and no_leftovers(tmp_path)
    for pid in processes_with(mark):  # without the sandbox, TeX outlives a SIGKILL of symderiv
        try:
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass


@tex_test
def test_verify_pdf_obeys_the_tex_timeout(tmp_path):
    written = tmp_path / "w.txt"
    written.write_text(WRITTEN)
    start = time.monotonic()
    result = run("verify", written, "-f", "pdf", "-o", tmp_path / "w.pdf", "--templates",
                 looping_templates(tmp_path / "t"), env={"SYMDERIV_TEX_TIMEOUT": "2"})
    assert time.monotonic() - start < 30
    assert result.exit_code == 1 and "did not finish within 2 s" in result.stderr
    assert not (tmp_path / "w.pdf").exists()


def test_placing_files_never_touches_the_umask(tmp_path, monkeypatch):
    umask = os.umask(0o027)
    os.umask(umask)

    def forbidden(mask):
        raise AssertionError("the process umask was changed")

    monkeypatch.setattr(os, "umask", forbidden)
    existing = tmp_path / "existing"
    existing.write_text("old")
    existing.chmod(0o640)
    resources.place_files({tmp_path / "new": b"new", existing: b"replaced"})
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o666 & ~umask
    assert existing.stat().st_mode & 0o777 == 0o640 and existing.read_bytes() == b"replaced"


# --- valid input that used to make TeX fail -------------------------------------------------------------
ODD_TEXT = "one\n\ntwo \x00three\x7ffour\x0cfive\x0bsix\x1b[31m seven\u2028eight"


@tex_test
def test_blank_lines_and_control_characters_in_sheet_text_typeset(tmp_path):
    toml = tmp_path / "odd.toml"
    quoted = ODD_TEXT.replace("\x00", "\\u0000").replace("\x7f", "\\u007f").replace("\x0c", "\\f") \
        .replace("\x0b", "\\u000b").replace("\x1b", "\\u001b").replace("\u2028", "\\u2028")
    toml.write_text(f'title = """{quoted}"""\ncourse = """{quoted}"""\n[[problem]]\nname = "sigmoid-derivative"\n'
                    f'question = """{quoted}"""\n', encoding="utf-8")
    result = run("build", toml, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "odd-solutions.pdf").read_bytes().startswith(b"%PDF")


@tex_test
def test_control_characters_in_verify_justifications_typeset(tmp_path):
    written = tmp_path / "w.txt"
    written.write_text("d/dz (d - z)**2/2\n= z - d   # " + ODD_TEXT.replace("\n", " ") + "\n= -(d - z)  # \x0c\x00\n")
    result = run("verify", written, "-f", "pdf", "-o", tmp_path / "w.pdf")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "w.pdf").read_bytes().startswith(b"%PDF")


@tex_test
def test_names_with_sympy_modifier_suffixes_and_long_names_typeset(tmp_path):
    names = ["xscr", "ycal", "zfrak", "wbold", "ubm", "vhat", "anorm", "bprime", "cddot", "Lbar", "pvec", "q" * 2000]
    expr = "*".join(names[:6]) + " + " + " + ".join(f"{n}**2" for n in names[6:])
    result = run("derive", "--expr", expr, "--wrt", "xscr", "-f", "pdf", "-o", tmp_path / "n.pdf")
    assert result.exit_code == 0, result.output
    sheet_path = tmp_path / "names.toml"
    sheet_path.write_text(f'title = "T"\n[[problem]]\nexpr = "{names[-1]}**3 + xscr"\nwrt = "{names[-1]}"\n')
    assert run("build", sheet_path, "-o", tmp_path / "out").exit_code == 0


# --- no traceback, ever -----------------------------------------------------------------------------------
@pytest.mark.parametrize("nesting", ["x = " + "[" * 500 + "]" * 500, "x = " + "{a = " * 500 + "1" + "}" * 500,
                                     "[" + ".".join(["a"] * 500) + "]\nb = 1"])
def test_a_deeply_nested_sheet_is_one_sentence(tmp_path, nesting):
    path = tmp_path / "deep.toml"
    path.write_text('title = "T"\n' + nesting + "\n")
    assert "deep.toml" in one_sentence(run("build", path, "-o", tmp_path / "out"), 2)


@pytest.mark.parametrize("value", ["1e10", "nan", "-1", "0", "inf", "soon", "1e400"])
@pytest.mark.parametrize("command", [("derive", "sigmoid-derivative", "-f", "pdf"), ("verify", "{file}", "-f", "pdf"),
                                     ("build", "{sheet}")])
def test_an_odd_tex_timeout_is_one_sentence(tmp_path, value, command):
    written = tmp_path / "w.txt"
    written.write_text(WRITTEN)
    args = [{"{file}": written, "{sheet}": sheet_file(tmp_path)}.get(a, a) for a in command]
    line = one_sentence(run(*args, "-o", tmp_path / ("out" if command[0] == "build" else "o.pdf"),
                            env={"SYMDERIV_TEX_TIMEOUT": value}), 2)
    assert "SYMDERIV_TEX_TIMEOUT" in line


@tex_test
@pytest.mark.parametrize("odd, code", [("the parent is a file", 2), ("the folder is read-only", 2), ("the disk is full", 1)])
@pytest.mark.parametrize("command", [("derive", "sigmoid-derivative", "-f", "pdf"), ("verify", "{file}", "-f", "pdf")])
def test_an_odd_pdf_destination_is_one_sentence(tmp_path, monkeypatch, odd, code, command):
    written = tmp_path / "w.txt"
    written.write_text(WRITTEN)
    destination = tmp_path / "out" / "x.pdf"
    if odd == "the parent is a file":
        (tmp_path / "out").write_text("a file")
    elif odd == "the folder is read-only":  # as root, permissions do not stop a write: the error is simulated
        beside = lambda path, *args, **kwargs: str(path).endswith(".part")  # noqa: E731
        monkeypatch.setattr(resources.os, "open", failing(os.open, OSError(errno.EROFS, "Read-only file system"), beside))
    else:
        monkeypatch.setattr(resources.os, "fsync", failing(os.fsync, OSError(errno.ENOSPC, "No space left on device")))
    line = one_sentence(run(*[written if a == "{file}" else a for a in command], "-o", destination), code)
    assert "cannot write" in line and not destination.exists()


@tex_test
def test_a_file_name_that_is_not_utf8(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = os.fsdecode(b"\xff\xfe-derivation.txt")
    Path(name).write_text(WRITTEN)
    for fmt in ("text", "json", "tex", "pdf"):
        result = run("verify", name, "-f", fmt)
        assert result.exit_code == 0 and "Traceback" not in result.output, (fmt, result.output)
    assert [p for p in (tmp_path / "output").iterdir() if p.suffix == ".pdf"]


@tex_test
def test_pdflatex_found_through_a_relative_path_entry(tmp_path, monkeypatch):
    import shutil

    monkeypatch.chdir(tmp_path)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "pdflatex").symlink_to(shutil.which("pdflatex"))
    result = run("derive", "sigmoid-derivative", "-f", "pdf", "-o", "rel.pdf",
                 env={"PATH": "bin" + os.pathsep + os.environ["PATH"]})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "rel.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("name, content, command", [
    ("rule_names.json", b"[1, 2]", ("derive", "sigmoid-derivative", "-f", "tex")),
    ("rule_names.json", b'{"quotient": 3}', ("derive", "sigmoid-derivative", "-f", "tex")),
    ("rule_names.json", b'{"quotient": ', ("derive", "sigmoid-derivative", "-f", "tex")),
    ("rule_names.json", b"\xff\xfe", ("build", "{sheet}")),
    ("document.tex.j2", b"\xff\xfe not UTF-8", ("derive", "sigmoid-derivative", "-f", "tex")),
    ("verify.tex.j2", b"((* if *))", ("verify", "{file}", "-f", "pdf")),
    ("verify.tex.j2", b"\xff\xfe not UTF-8", ("verify", "{file}", "-f", "pdf")),
    ("sheet-questions.tex.j2", b"((( 1 + )))", ("build", "{sheet}")),
])
def test_a_broken_templates_folder_is_one_sentence(tmp_path, name, content, command):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / name).write_bytes(content)
    written = tmp_path / "w.txt"
    written.write_text(WRITTEN)
    args = [{"{file}": written, "{sheet}": sheet_file(tmp_path)}.get(a, a) for a in command]
    output = ["-o", tmp_path / "out"] if command[0] == "build" else ["-o", tmp_path / "o.pdf"]
    one_sentence(run(*args, *output, "--templates", templates), 2)
    assert not list(tmp_path.glob("o.pdf")) and not list(tmp_path.glob("out/*.pdf"))
