"""Files: where the package's data lives, how input is read (capped) and how output is placed (atomically).

Importing this module is cheap (no sympy, no jinja2). Every file symderiv writes goes through `place_files`:
each new file is written in full beside its destination and renamed into place, several files as a group
(all of them or none), and a destination that is a symlink, folder or device is refused, never followed.
"""
from __future__ import annotations

import errno
import os
import secrets
import stat
import sys
from pathlib import Path

from symderiv.model.errors import InputError, SymderivError

PACKAGE = Path(__file__).resolve().parent.parent
_RESOURCE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.ENOMEM}


class WriteFailed(SymderivError):
    """A file that could not be written for lack of space or an I/O error (exit code 1)."""

    exit_code = 1


def template_directory() -> Path:
    """The templates folder: symderiv/templates in an installed wheel, else the checkout's top-level templates/."""
    installed = PACKAGE / "templates"
    if (installed / "text.j2").is_file():
        return installed
    return PACKAGE.parent / "templates"


def seconds_setting(variable: str) -> tuple[str, float | None]:
    """A seconds setting from the environment: its text and value (None when unset, nan when not a number)."""
    text = os.environ.get(variable, "").strip()
    if not text:
        return text, None
    try:
        return text, float(text)
    except ValueError:
        return text, float("nan")


def shown(path) -> str:
    """A path as printable text: bytes that are not UTF-8 become U+FFFD."""
    return os.fsencode(str(path)).decode("utf-8", errors="replace")


def read_capped(path, limit: int, what: str = "file") -> bytes:
    """At most `limit` bytes of a file, or of standard input for "-"; more is refused with one sentence."""
    name = "standard input" if str(path) == "-" else shown(path)
    try:
        if str(path) == "-":
            stream = getattr(sys.stdin, "buffer", None)
            data = stream.read(limit + 1) if stream else sys.stdin.read(limit + 1).encode("utf-8", "surrogateescape")
        else:
            with open(path, "rb") as handle:
                data = handle.read(limit + 1)
    except FileNotFoundError:
        raise InputError(f"cannot read {name}: there is no such {what}; check the path.") from None
    except IsADirectoryError:
        raise InputError(f"cannot read {name}: it is a folder; give the {what} itself.") from None
    except OSError as error:
        raise InputError(f"cannot read {name}: {error.strerror or error}.") from None
    if len(data) > limit:
        raise InputError(f"{name} is too large: a {what} may have at most {limit:,} bytes.")
    return data


def check_destination(path: Path) -> None:
    """A destination must be a regular file or not exist yet: a symlink, folder or device is refused, never followed."""
    _check_parent(path)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise _write_error(error, path) from None
    if not stat.S_ISREG(mode):
        kind = "a symlink" if stat.S_ISLNK(mode) else "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise InputError(f"cannot write {shown(path)}: it is {kind}, and symderiv replaces only regular files; "
                         "choose another path with -o.")


def place_files(files: dict[Path, bytes]) -> tuple[Path, ...]:
    """Write every file beside its destination, then rename all into place; on any error none is changed."""
    files = {Path(path): data for path, data in files.items()}
    for path in files:
        check_destination(path)
    staged: dict[Path, str] = {}
    current = next(iter(files), Path("."))
    try:
        for current, data in files.items():
            staged[current] = _stage(current, data)
        _swap(staged)
    except OSError as error:
        raise _write_error(error, current) from None
    finally:
        for temporary in staged.values():
            _remove(temporary)
    return tuple(files)


def _stage(destination: Path, data: bytes) -> str:
    """A complete, synced copy of `data` in a new file beside `destination`, with the mode the destination will have."""
    _make_parent(destination)
    temporary = str(destination.parent / f".{destination.name[:80]}.{secrets.token_hex(4)}.part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)  # umask applies
    try:
        with os.fdopen(fd, "wb") as out:
            if destination.is_file():
                os.fchmod(out.fileno(), destination.stat().st_mode & 0o7777)  # keep an existing file's permissions
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        _remove(temporary)
        raise
    return temporary


def _swap(staged: dict[Path, str]) -> None:
    """Rename each staged file over its destination; if one rename fails, put back the files already replaced."""
    backups: dict[Path, str | None] = {}  # an existing destination's hard link, None where none could be made
    done = []
    try:
        for destination, temporary in staged.items():
            if destination.is_file():
                backups[destination] = _linked(destination, f"{temporary}.old")
            os.replace(temporary, destination)
            done.append(destination)
    except BaseException:
        for destination in reversed(done):
            try:
                if destination not in backups:
                    destination.unlink()
                elif backups[destination]:
                    os.replace(backups.pop(destination), destination)
            except OSError:
                pass
        raise
    finally:
        for backup in backups.values():
            if backup:
                _remove(backup)


def _linked(path: Path, link: str) -> str | None:
    """A second name for `path` (costs no space), or None where the file system has no hard links."""
    try:
        os.link(path, link)
    except OSError:
        return None
    return link


def _make_parent(destination: Path) -> None:
    """Create the destination's folder; a file in the way is reported as such."""
    _check_parent(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)


def _check_parent(destination: Path) -> None:
    """The nearest existing folder above the destination must be a folder, not a file."""
    for folder in (destination.parent, *destination.parent.parents):
        if os.path.lexists(folder):
            if not folder.is_dir():
                raise InputError(f"cannot write {shown(destination)}: {shown(folder)} is not a folder; "
                                 "choose another path with -o.")
            return


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _write_error(error: OSError, path: Path) -> SymderivError:
    """A failed write as one sentence: exit 1 when the disk is full or failing, 2 when the destination is unusable."""
    reason = error.strerror or str(error)
    if error.errno in _RESOURCE_ERRORS:
        return WriteFailed(f"cannot write {shown(path)}: {reason}; no earlier file was changed.")
    return InputError(f"cannot write {shown(path)}: {reason}; choose another path with -o.")
