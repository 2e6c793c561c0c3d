"""The build cache: a sheet's PDFs are kept under OUT/.symderiv-cache/<key>/, keyed on everything that can change them.

The key is a SHA-256 of the sheet file's bytes, every file of the built-in templates and of a `--templates`
folder (names and contents), every source file of the symderiv package, and the symderiv, sympy and jinja2
versions. TeX Live itself is not part of the key: after upgrading it, build with --no-cache once.

An entry is a folder named by its key, holding the files and a marker (symderiv-cache.json: the format version
and each file's SHA-256). It is written under a `.new-*` name and renamed into place. A file is served only when
it is a regular file whose hash matches the marker; anything else is a miss. Only folders symderiv can recognize
as its own (key-shaped name and marker, or a stale `.new-*` folder with a marker) are ever deleted, and nothing is
followed through a symlink. Every error in the cache is a miss or a skipped store, never a failed build.
Importing this module is cheap (no sympy, no Jinja).
"""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import secrets
import shutil
import stat
import time
from importlib import metadata
from pathlib import Path

from symderiv import __version__
from symderiv.model.errors import InputError
from symderiv.output.resources import shown, template_directory

CACHE_DIRNAME = ".symderiv-cache"
MARKER = "symderiv-cache.json"
VERSION = 2  # the entry format; entries of other versions are misses, and pruned like any other
KEEP = 16
STALE_SECONDS = 600  # a `.new-*` folder this old was left by a build that was killed
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_TREE_ENTRIES = 1000  # a --templates folder holding more is not a folder of templates (e.g. --templates ~)
FORMAT = b"symderiv build cache 1"
_KEY = re.compile(r"[0-9a-f]{64}\Z")
_STAGING = re.compile(r"\.new-[0-9a-f]{16}\Z")
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def build_key(sheet_source: bytes, templates: Path | None = None, options: bytes = b"") -> str:
    """The cache key of a build of this sheet with these templates and options by this symderiv and sympy."""
    digest = hashlib.sha256(FORMAT)
    if options:
        _feed(digest, "options", options)
    for label, value in (("symderiv", __version__), ("sympy", _version("sympy")), ("jinja2", _version("jinja2"))):
        _feed(digest, label, value.encode())
    _feed(digest, "sheet", sheet_source)
    _feed_tree(digest, "package", Path(__file__).resolve().parent.parent, "*.py")
    _feed_tree(digest, "templates", template_directory(), "*")
    if templates is not None:
        _feed_tree(digest, "override", Path(templates), "*")
    return digest.hexdigest()


def derived_key(base: str, *fields: str) -> str:
    """The key of one piece of a build (a student's sheet) from the build's key and what sets the piece apart."""
    digest = hashlib.sha256(FORMAT + base.encode())
    for value in fields:
        _feed(digest, "field", value.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def _feed(digest, label: str, data: bytes) -> None:
    """Add a labelled, length-prefixed field, so that no two different inputs share a byte stream."""
    digest.update(f"{label}:{len(data)}:".encode())
    digest.update(data)


def _feed_tree(digest, label: str, root: Path, pattern: str) -> None:
    """Add every regular file under root matching pattern (recursively, in sorted order), names and contents."""
    found = list(itertools.islice(root.rglob(pattern), MAX_TREE_ENTRIES + 1))
    if len(found) > MAX_TREE_ENTRIES:
        raise InputError(f"{shown(root)} holds more than {MAX_TREE_ENTRIES} files and folders; "
                         "give --templates a folder of templates only.")
    files = sorted(p for p in found if p.is_file() and "__pycache__" not in p.parts)
    _feed(digest, label, str(len(files)).encode())
    for path in files:
        _feed(digest, "name", path.relative_to(root).as_posix().encode())
        if path.stat().st_size > MAX_FILE_BYTES // 16:
            raise InputError(f"{shown(path)} is larger than {MAX_FILE_BYTES // 16:,} bytes; it is not a template.")
        try:
            with path.open("rb") as handle:  # streamed: a template folder may hold a large file
                _feed(digest, "data", hashlib.file_digest(handle, "sha256").digest())
        except OSError as error:
            raise InputError(f"cannot read the template {shown(path)}: {error.strerror or error}.") from None


class BuildCache:
    """Finished builds under `root`, one folder per key holding the files by their role name and a marker."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def get(self, key: str, names: list[str]) -> dict[str, bytes] | None:
        """The cached files of `key` by name, each checked against its stored SHA-256; None on any doubt."""
        try:
            with _Folder(self.root) as root, _Folder(key, root.fd) as entry:
                hashes = _marker(entry.fd)["files"]
                files = {name: _read(entry.fd, name) for name in names}
                if any(hashes.get(name) != hashlib.sha256(data).hexdigest() for name, data in files.items()):
                    return None
                _touch(entry.fd)  # recently used entries survive pruning
                return files
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def put(self, key: str, files: dict[str, bytes], keep: int = KEEP) -> None:
        """Store `files` as entry `key`, then prune; a cache that cannot be written is skipped silently."""
        if not _KEY.match(key):
            raise ValueError(f"not a cache key: {key!r}")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with _Folder(self.root) as root:
                staging = f".new-{secrets.token_hex(8)}"
                os.mkdir(staging, 0o777, dir_fd=root.fd)
                try:
                    self._fill(root.fd, staging, files)
                    os.rename(staging, key, src_dir_fd=root.fd, dst_dir_fd=root.fd)
                except OSError:  # another build stored the same key first, or the disk is full
                    _remove_tree(staging, root.fd)
                    return
                self._prune(root.fd, keep)
        except OSError:
            return

    def prune(self, keep: int = KEEP) -> None:
        """Delete all but the `keep` most recently used entries, and stale `.new-*` folders; never raises."""
        try:
            with _Folder(self.root) as root:
                self._prune(root.fd, keep)
        except OSError:
            pass

    @staticmethod
    def _fill(root_fd: int, staging: str, files: dict[str, bytes]) -> None:
        """The marker first (so that a killed build's folder is recognizable), then the files, then their hashes."""
        with _Folder(staging, root_fd) as folder:
            _write(folder.fd, MARKER, json.dumps({"symderiv-cache": VERSION, "files": {}}).encode())
            for name, data in files.items():
                _write(folder.fd, name, data)
            hashes = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
            _write(folder.fd, MARKER, json.dumps({"symderiv-cache": VERSION, "files": hashes}).encode())

    @staticmethod
    def _prune(root_fd: int, keep: int) -> None:
        """Delete our entries past the newest `keep`, and our stale staging folders; skip whatever vanished."""
        entries, now = [], time.time()
        for item in list(os.scandir(root_fd)):
            try:
                if not item.is_dir(follow_symlinks=False):
                    continue
                age = now - item.stat(follow_symlinks=False).st_mtime
                if _KEY.match(item.name) and _ours(root_fd, item.name, any_version=True):
                    entries.append((age, item.name))
                elif _STAGING.match(item.name) and age > STALE_SECONDS:
                    if _ours(root_fd, item.name, any_version=True):
                        _remove_tree(item.name, root_fd)
                    else:
                        os.rmdir(item.name, dir_fd=root_fd)  # only an empty folder: killed right after mkdir
            except (OSError, ValueError):  # vanished, or being written by another build
                continue
        for _, name in sorted(entries)[keep:]:
            _remove_tree(name, root_fd)


class _Folder:
    """A folder opened without following a symlink (relative to `dir_fd` when given), closed on exit."""

    def __init__(self, path, dir_fd: int | None = None):
        self.fd = os.open(path, _DIRECTORY, dir_fd=dir_fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        os.close(self.fd)


def _read(dir_fd: int, name: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes (no symlink, FIFO or device; at most `limit`), or OSError/ValueError."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            raise ValueError(f"{name} is not a regular file of at most {limit} bytes")
        return handle.read(limit + 1)


def _write(dir_fd: int, name: str, data: bytes) -> None:
    """Write a file in the folder `dir_fd`, never through a symlink."""
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666, dir_fd=dir_fd)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _marker(entry_fd: int, any_version: bool = False) -> dict:
    """The entry's marker: a JSON object {"symderiv-cache": VERSION, "files": {name: sha256}}, or ValueError."""
    marker = json.loads(_read(entry_fd, MARKER, 1 << 20))
    version = marker.get("symderiv-cache") if isinstance(marker, dict) else None
    current = version == VERSION and isinstance(marker.get("files"), dict)
    if not isinstance(version, int) or not (any_version or current):
        raise ValueError("not a symderiv cache entry")
    return marker


def _ours(root_fd: int, name: str, any_version: bool = False) -> bool:
    """True when folder `name` holds a symderiv cache marker (of any format version)."""
    try:
        with _Folder(name, root_fd) as entry:
            _marker(entry.fd, any_version)
        return True
    except (OSError, ValueError):
        return False


def _touch(fd: int) -> None:
    """Mark an entry as just used; a read-only cache still serves."""
    try:
        os.utime(fd)
    except OSError:
        pass


def _remove_tree(name: str, root_fd: int) -> None:
    """rmtree relative to the cache folder; it refuses symlinks and ignores what vanished meanwhile."""
    shutil.rmtree(name, ignore_errors=True, dir_fd=root_fd)
