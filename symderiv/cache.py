"""The build cache: a sheet's PDFs are kept under OUT/.cache/<key>/, keyed on everything that can change them.

The key is a SHA-256 of the sheet file's bytes, every file of the built-in templates and of a `--templates`
folder (names and contents), every source file of the symderiv package, and the symderiv and sympy versions.
Changing any of them, or editing symderiv itself, gives a new key, so a stale PDF is never served. TeX Live
itself is not part of the key: after upgrading it, delete OUT/.cache (or build with --no-cache).

An entry is written to a temporary folder and renamed into place, so it is either complete or absent; the
newest KEEP entries are kept. Importing this module is cheap (no sympy, no Jinja), which makes a cached
build take well under half a second.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from importlib import metadata
from pathlib import Path

from . import __version__
from .pdf import place_atomically
from .resources import template_directory

CACHE_DIRNAME = ".cache"
KEEP = 16
FORMAT = b"symderiv build cache 1"


def build_key(sheet_source: bytes, templates: Path | None = None) -> str:
    """The cache key of a build of this sheet with these templates by this symderiv and sympy."""
    digest = hashlib.sha256(FORMAT)
    for label, value in (("symderiv", __version__), ("sympy", _version("sympy")), ("jinja2", _version("jinja2"))):
        _feed(digest, label, value.encode())
    _feed(digest, "sheet", sheet_source)
    _feed_tree(digest, "package", Path(__file__).resolve().parent, "*.py")
    _feed_tree(digest, "templates", template_directory(), "*")
    if templates is not None:
        _feed_tree(digest, "override", Path(templates), "*")
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
    """Add every file under root matching pattern (recursively, in sorted order), names and contents."""
    files = sorted(p for p in root.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    _feed(digest, label, str(len(files)).encode())
    for path in files:
        _feed(digest, "name", path.relative_to(root).as_posix().encode())
        _feed(digest, "data", path.read_bytes())


class BuildCache:
    """Finished builds under `root`, one folder per key holding the files by their role name."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def get(self, key: str, names: list[str]) -> dict[str, Path] | None:
        """The cached files of `key` by name, or None when any is missing."""
        entry = self.root / key
        files = {name: entry / name for name in names}
        if not all(path.is_file() for path in files.values()):
            return None
        os.utime(entry)  # recently used entries survive pruning
        return files

    def put(self, key: str, files: dict[str, Path]) -> None:
        """Store copies of `files` as entry `key`; a cache that cannot be written is skipped silently."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=self.root, prefix=".new-"))
        except OSError:
            return
        try:
            for name, path in files.items():
                shutil.copyfile(path, staging / name)
            os.replace(staging, self.root / key)
        except OSError:  # another build stored the same key first, or the disk is full
            shutil.rmtree(staging, ignore_errors=True)
            return
        self.prune()

    def prune(self, keep: int = KEEP) -> None:
        """Delete all but the `keep` most recently used entries."""
        entries = sorted((p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                         key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[keep:]:
            shutil.rmtree(old, ignore_errors=True)


def place(copies: dict[Path, Path]) -> tuple[Path, ...]:
    """Copy each source to its destination atomically (a temporary file renamed into place)."""
    for source, destination in copies.items():
        place_atomically(source, destination)
    return tuple(copies.values())
