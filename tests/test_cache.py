"""Tests for symderiv.app.cache: only recognizable entries are pruned, nothing is followed through a symlink,
an entry is served only when every file is a regular file with its stored SHA-256, and any error is a miss."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from symderiv.app import cache
from symderiv.app.cache import CACHE_DIRNAME, MARKER, STALE_SECONDS, BuildCache

NAMES = ["questions.pdf", "solutions.pdf"]
FOREIGN = ["pip", "fontconfig", "mesa_shader_cache", "thumbnails", "a" * 64, "b" * 64]


def key(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


def files(n: int = 0) -> dict[str, bytes]:
    return {name: f"%PDF {name} {n}".encode() for name in NAMES}


def foreign_folders(root: Path) -> None:
    """Folders symderiv did not make: ordinary names, and key-shaped ones without a marker or with another program's."""
    for name in FOREIGN:
        (root / name).mkdir(parents=True)
        (root / name / "data").write_text("not symderiv's")
    (root / FOREIGN[-1] / MARKER).write_text('{"made by": "someone else"}')


def test_the_cache_folder_has_a_name_only_symderiv_uses():
    assert CACHE_DIRNAME == ".symderiv-cache"


def test_a_stored_entry_is_served_with_its_bytes(tmp_path):
    store = BuildCache(tmp_path / CACHE_DIRNAME)
    store.put(key(1), files(1))
    assert store.get(key(1), NAMES) == files(1)
    marker = json.loads((store.root / key(1) / MARKER).read_text())
    assert marker["symderiv-cache"] == cache.VERSION
    assert marker["files"]["questions.pdf"] == hashlib.sha256(files(1)["questions.pdf"]).hexdigest()


def test_pruning_deletes_only_entries_symderiv_made(tmp_path):
    root = tmp_path / "shared"
    foreign_folders(root)
    store = BuildCache(root)
    for n in range(6):
        store.put(key(n), files(n))
        os.utime(root / key(n), (1000 + n, 1000 + n))  # oldest first
    store.prune(keep=2)
    assert sorted(p.name for p in root.iterdir()) == sorted([*FOREIGN, key(4), key(5)])
    assert all((root / name / "data").read_text() == "not symderiv's" for name in FOREIGN)


def test_pruning_after_many_builds_keeps_foreign_folders(tmp_path):
    root = tmp_path / "home-cache"
    foreign_folders(root)
    store = BuildCache(root)
    for n in range(cache.KEEP + 4):
        store.put(key(n), files(n))
    ours = [p for p in root.iterdir() if p.name not in FOREIGN]
    assert len(ours) == cache.KEEP and all((root / name).is_dir() for name in FOREIGN)


def test_a_symlinked_cache_folder_is_neither_read_nor_written_nor_pruned(tmp_path):
    target = tmp_path / "elsewhere"
    genuine = BuildCache(target)
    for n in range(4):
        genuine.put(key(n), files(n))
    foreign_folders(target)
    before = sorted(p.name for p in target.iterdir())
    link = tmp_path / "out" / CACHE_DIRNAME
    link.parent.mkdir()
    link.symlink_to(target)
    store = BuildCache(link)
    assert store.get(key(0), NAMES) is None
    store.put(key(9), files(9))
    store.prune(keep=0)
    assert sorted(p.name for p in target.iterdir()) == before and link.is_symlink()


def test_a_symlinked_entry_is_neither_served_nor_followed_by_pruning(tmp_path):
    outside = BuildCache(tmp_path / "outside")
    outside.put(key(1), files(1))
    store = BuildCache(tmp_path / CACHE_DIRNAME)
    store.put(key(2), files(2))
    (store.root / key(1)).symlink_to(outside.root / key(1))
    assert store.get(key(1), NAMES) is None
    store.prune(keep=0)
    assert (outside.root / key(1) / "questions.pdf").read_bytes() == files(1)["questions.pdf"]
    assert not (store.root / key(2)).exists()


@pytest.mark.parametrize("plant", ["symlink", "fifo", "tampered", "truncated", "no marker", "old format", "folder",
                                   "marker symlink", "bad json"])
def test_anything_odd_in_an_entry_is_a_miss(tmp_path, plant):
    secret = tmp_path / "secret"
    secret.write_text("root:x:0:0:secret\n")
    store = BuildCache(tmp_path / CACHE_DIRNAME)
    store.put(key(1), files(1))
    entry = store.root / key(1)
    target, marker = entry / "questions.pdf", entry / MARKER
    if plant in ("symlink", "fifo", "tampered", "truncated", "folder"):
        target.unlink()
    {"symlink": lambda: target.symlink_to(secret), "fifo": lambda: os.mkfifo(target),
     "tampered": lambda: target.write_bytes(b"%PDF evil"), "truncated": lambda: target.write_bytes(b""),
     "folder": lambda: target.mkdir(), "no marker": lambda: marker.unlink(),
     "old format": lambda: marker.write_text(marker.read_text().replace('"symderiv-cache": 2', '"symderiv-cache": 1')),
     "marker symlink": lambda: (marker.rename(tmp_path / "m"), marker.symlink_to(tmp_path / "m")),
     "bad json": lambda: marker.write_text("[1, 2")}[plant]()
    assert store.get(key(1), NAMES) is None


def test_an_unreadable_entry_is_a_miss(tmp_path, monkeypatch):
    store = BuildCache(tmp_path / CACHE_DIRNAME)
    store.put(key(1), files(1))

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache, "_read", denied)
    assert store.get(key(1), NAMES) is None


def test_a_read_only_cache_still_serves_and_skips_storing(tmp_path, monkeypatch):
    store = BuildCache(tmp_path / CACHE_DIRNAME)
    store.put(key(1), files(1))

    def read_only(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    for name in ("mkdir", "utime", "rename"):
        monkeypatch.setattr(cache.os, name, read_only)
    assert store.get(key(1), NAMES) == files(1)
    store.put(key(2), files(2))  # silently skipped
    store.prune(keep=0)
    assert store.get(key(2), NAMES) is None


def test_a_cache_folder_that_is_a_file_is_skipped(tmp_path):
    root = tmp_path / CACHE_DIRNAME
    root.write_text("not a folder")
    store = BuildCache(root)
    store.put(key(1), files(1))
    assert store.get(key(1), NAMES) is None and root.read_text() == "not a folder"


def test_pruning_tolerates_entries_that_vanish_meanwhile(tmp_path, monkeypatch):
    store = BuildCache(tmp_path / CACHE_DIRNAME)
    for n in range(5):
        store.put(key(n), files(n))
    listing = os.scandir

    def racing(fd):
        entries = list(listing(fd))
        monkeypatch.setattr(cache.os, "scandir", listing)
        for n in range(5):  # another build prunes everything right after this one listed the folder
            shutil.rmtree(store.root / key(n), ignore_errors=True)
        return iter(entries)

    monkeypatch.setattr(cache.os, "scandir", racing)
    store.prune(keep=1)


def test_concurrent_stores_and_prunes_never_raise(tmp_path):
    root = tmp_path / CACHE_DIRNAME
    errors = []

    def builds(offset: int) -> None:
        try:
            for n in range(12):
                BuildCache(root).put(key(n % 7 + offset), files(n))
                BuildCache(root).prune(keep=1)
                BuildCache(root).get(key(n % 7), NAMES)
        except BaseException as error:  # noqa: BLE001 - the test is that nothing escapes
            errors.append(error)

    threads = [threading.Thread(target=builds, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def staging(root: Path, name: str, *, marked: bool, age: float, content: bool = True) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    if marked:
        (folder / MARKER).write_text(json.dumps({"symderiv-cache": cache.VERSION, "files": {}}))
    if content:
        (folder / "questions.pdf").write_bytes(b"%PDF half")
    os.utime(folder, (time.time() - age, time.time() - age))
    return folder


def test_stale_staging_folders_of_killed_builds_are_cleaned(tmp_path):
    root = tmp_path / CACHE_DIRNAME
    stale = staging(root, ".new-" + "1" * 16, marked=True, age=STALE_SECONDS + 60)
    empty = staging(root, ".new-" + "2" * 16, marked=False, age=STALE_SECONDS + 60, content=False)
    fresh = staging(root, ".new-" + "3" * 16, marked=True, age=5)  # another build is writing it now
    unmarked = staging(root, ".new-" + "4" * 16, marked=False, age=STALE_SECONDS + 60)
    other = staging(root, ".new-notours", marked=True, age=STALE_SECONDS + 60)
    BuildCache(root).prune()
    assert not stale.exists() and not empty.exists()
    assert fresh.exists() and unmarked.exists() and other.exists()


KILLED_STORE = """
import sys, time
from symderiv.app import cache
write = cache._write
def slow(dir_fd, name, data):
    if name == "solutions.pdf":
        print("storing", flush=True)
        time.sleep(60)
    write(dir_fd, name, data)
cache._write = slow
cache.BuildCache(sys.argv[1]).put("{key}", {{"questions.pdf": b"q", "solutions.pdf": b"s"}})
"""


def test_a_store_killed_with_sigkill_is_cleaned_up_by_a_later_prune(tmp_path):
    root = tmp_path / CACHE_DIRNAME
    script = KILLED_STORE.format(key=key(1))
    process = subprocess.Popen([sys.executable, "-c", script, str(root)], stdout=subprocess.PIPE)
    assert process.stdout.readline() == b"storing\n"
    process.send_signal(signal.SIGKILL)
    process.wait()
    (left,) = root.iterdir()
    assert left.name.startswith(".new-")
    BuildCache(root).prune()
    assert left.exists()  # it may still be in use: only a stale one is removed
    os.utime(left, (time.time() - STALE_SECONDS - 1,) * 2)
    BuildCache(root).prune()
    assert list(root.iterdir()) == []
