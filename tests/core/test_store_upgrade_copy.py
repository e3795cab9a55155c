"""Upgrading a library keeps a copy of it as it was, which the earlier version opens: real
SQLite files of database schema 1 (what the first migration made), opened by the current Store."""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import pathlib
import re
import resource
import shutil
import sqlite3
import stat
import subprocess
import sys

import pytest
import sqlite_utils
from unwritable import unwritable_prefix

from desktop_app.core import upgrade_copy
from desktop_app.core.errors import StoreError
from desktop_app.core.store import MIGRATIONS, SCHEMA_VERSION, Store

TABLES = ("meta", "folders", "photos", "models", "codes", "migrations")


def schema_1_library(path, photos: int = 3) -> None:
    """The library file the first version of Lookalike left: WAL, migration 001 only."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    number, name, step = MIGRATIONS[0]
    step(sqlite_utils.Database(conn))
    conn.execute("CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                 "applied_at REAL NOT NULL)")
    conn.execute("INSERT INTO migrations VALUES (?, ?, 0)", (number, name))
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('active_model', 'm1')")
    conn.execute("INSERT INTO folders VALUES (1, '/photos', 0)")
    conn.execute("INSERT INTO models VALUES ('m1', 'tiny', 48, '/models/tiny', NULL, 0)")
    conn.executemany("INSERT INTO photos(id, path, folder_id, size, mtime, fingerprint, status, "
                     "width, height, indexed_at) VALUES (?, ?, 1, 1000, 0, ?, 'ok', 4, 3, 0)",
                     [(i, f"/photos/{i:05d}-{'x' * 100}.jpg", f"{i:032x}")
                      for i in range(1, photos + 1)])
    conn.executemany("INSERT INTO codes VALUES (?, 'm1', ?)",
                     [(i, i.to_bytes(6, "little")) for i in range(1, photos + 1)])
    conn.close()


def rows(path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in TABLES}
    finally:
        conn.close()


def schema(path) -> int:
    return int(dict(rows(path)["meta"])["schema_version"])


def copies(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".bak" in p.name)


def test_upgrading_keeps_a_copy_that_opens_as_schema_1_with_the_same_rows(tmp_path, caplog):
    path = tmp_path / "library.sqlite3"
    schema_1_library(path)
    # A row still in the WAL (another process's commit, not checkpointed): the copy has it.
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("INSERT INTO folders VALUES (2, '/in-the-wal', 0)")
    before = rows(path)
    caplog.set_level(logging.INFO, logger="desktop_app.core.upgrade_copy")
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
    writer.close()
    copy = tmp_path / "library.sqlite3.schema-1.bak"
    assert copies(tmp_path) == [copy.name]  # and no .partial left
    assert schema(copy) == 1 and rows(copy) == before
    assert ("/in-the-wal",) in [r[1:2] for r in before["folders"]]
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert "ctime_ns" not in {r[1] for r in conn.execute("PRAGMA table_info(photos)")}
    conn.close()
    said = [r.getMessage() for r in caplog.records if str(copy) in r.getMessage()]
    assert len(said) == 1 and "schema 1" in said[0] and "library.sqlite3" in said[0]


def test_the_copy_is_what_the_earlier_version_opens(tmp_path):
    """Going back: the copy put in place of the library opens as schema 1, the same photos."""
    path = tmp_path / "library.sqlite3"
    schema_1_library(path)
    before = rows(path)
    Store(path).close()
    assert schema(path) == SCHEMA_VERSION
    shutil.copyfile(tmp_path / "library.sqlite3.schema-1.bak", path)
    assert schema(path) == 1 and rows(path) == before


def test_a_second_open_makes_no_new_copy(tmp_path):
    path = tmp_path / "library.sqlite3"
    schema_1_library(path)
    Store(path).close()
    copy = tmp_path / "library.sqlite3.schema-1.bak"
    made = copy.stat().st_mtime_ns, copy.read_bytes()
    with Store(path) as store:
        store.insert_folder("/more")
    Store(path).close()
    assert copies(tmp_path) == [copy.name]
    assert (copy.stat().st_mtime_ns, copy.read_bytes()) == made


def test_a_new_library_makes_no_copy(tmp_path):
    Store(tmp_path / "library.sqlite3").close()
    Store(tmp_path / "library.sqlite3").close()
    assert copies(tmp_path) == []


def test_no_room_for_the_copy_stops_the_upgrade_and_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "library.sqlite3"
    schema_1_library(path)
    before = path.read_bytes()
    monkeypatch.setattr(shutil, "disk_usage", lambda folder: shutil._ntuple_diskusage(
        10 << 30, 10 << 30, 4096))
    with pytest.raises(StoreError) as err:
        Store(path)
    message = str(err.value)
    needs = f"{(len(before) + upgrade_copy.ROOM_TO_SPARE) / 1e6:.1f} MB"
    assert message.startswith(f"{path}: the disk is full, so the library was not upgraded"), \
        message
    assert "library.sqlite3.schema-1.bak" in message and f"needs {needs}" in message
    assert f"Free at least {needs} of disk space and run it again" in message
    assert path.read_bytes() == before and schema(path) == 1
    assert copies(tmp_path) == []


def test_no_room_says_two_sizes_that_differ(tmp_path, monkeypatch):
    """A little short of room: "needs 1.1 MB, and 1.1 MB is free" said nothing; the two are
    said precisely enough to differ."""
    path = tmp_path / "library.sqlite3"
    schema_1_library(path)
    needed = path.stat().st_size + upgrade_copy.ROOM_TO_SPARE
    monkeypatch.setattr(shutil, "disk_usage", lambda folder: shutil._ntuple_diskusage(
        10 << 30, 10 << 30, needed - 4096))
    with pytest.raises(StoreError) as err:
        Store(path)
    said = re.search(r"which needs ([\d.]+) MB, and ([\d.]+) MB is free", str(err.value))
    assert said, str(err.value)
    assert float(said[1]) > float(said[2]), str(err.value)
    assert f"Free at least {said[1]} MB of disk space" in str(err.value)
    assert schema(path) == 1 and copies(tmp_path) == []


def test_room_for_the_copy_alone_is_not_enough(tmp_path, monkeypatch):
    """The copy's journal and then the migration need room too: with only the copy's size free
    it failed midway (a real full tmpfs said "needs 61,440 bytes, and 61,440 bytes is free").
    The room is asked for first; here the disk has it all, so only the check can refuse."""
    path = tmp_path / "library.sqlite3"
    schema_1_library(path)
    size = path.stat().st_size
    monkeypatch.setattr(shutil, "disk_usage", lambda folder: shutil._ntuple_diskusage(
        10 << 30, 10 << 30, size + 64 * 1024))
    with pytest.raises(StoreError, match="the disk is full, so the library was not upgraded"):
        Store(path)
    assert schema(path) == 1 and copies(tmp_path) == []


def test_the_copy_is_flushed_through_a_handle_that_may_write(tmp_path, monkeypatch):
    """On Windows fsync (FlushFileBuffers) fails on a file opened read-only (EBADF): the copy
    was flushed so, and no library was ever upgraded there. Windows' rule, played here."""
    fsync = os.fsync

    def windows_fsync(fd):
        if stat.S_ISREG(os.fstat(fd).st_mode) and \
                fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY:
            raise OSError(errno.EBADF, "Bad file descriptor")
        fsync(fd)

    path = tmp_path / "library.sqlite3"
    schema_1_library(path)
    before = rows(path)
    monkeypatch.setattr(os, "fsync", windows_fsync)
    Store(path).close()
    monkeypatch.undo()
    assert schema(path) == SCHEMA_VERSION
    assert rows(tmp_path / "library.sqlite3.schema-1.bak") == before


def test_a_folder_its_file_system_cannot_flush_does_not_stop_the_upgrade(tmp_path, monkeypatch):
    """fsync of a folder is EINVAL on file systems that cannot flush one (a CIFS share on
    Linux before 4.17, sshfs): the library there was never upgraded."""
    fsync = os.fsync

    def no_folder_fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "Invalid argument")
        fsync(fd)

    path = tmp_path / "library.sqlite3"
    schema_1_library(path)
    monkeypatch.setattr(os, "fsync", no_folder_fsync)
    Store(path).close()
    monkeypatch.undo()
    assert schema(path) == SCHEMA_VERSION
    assert copies(tmp_path) == ["library.sqlite3.schema-1.bak"]


def test_a_library_on_a_mapped_network_drive_is_copied(tmp_path, monkeypatch):
    """On Windows a mapped drive (Z:) resolves to \\\\server\\share, whose file: URI has an
    authority ("file://server/share/...") that SQLite refuses: the copy must not be opened by
    such a URI. Played here by giving every path that URI."""
    path = tmp_path / "library.sqlite3"
    schema_1_library(path)
    before = rows(path)
    monkeypatch.setattr(pathlib.PurePath, "as_uri",
                        lambda self: "file://server/share" + self.as_posix())
    Store(path).close()
    monkeypatch.undo()
    assert schema(path) == SCHEMA_VERSION
    assert rows(tmp_path / "library.sqlite3.schema-1.bak") == before


# The current Store opening a library in a subprocess: its StoreError, or "upgraded".
OPEN = """
import sys
from desktop_app.core.errors import StoreError
from desktop_app.core.store import Store
try:
    Store(sys.argv[1]).close()
    print("upgraded")
except StoreError as exc:
    print(exc)
"""


def test_a_copy_cut_short_stops_the_upgrade_and_leaves_no_half_copy(tmp_path):
    """A file size limit (ulimit -f) fails the copy's writes midway, as a full disk would."""
    path = tmp_path / "library.sqlite3"
    schema_1_library(path, photos=3000)
    before = path.read_bytes()
    limit = 256 << 10
    assert len(before) > 2 * limit

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    done = subprocess.run([sys.executable, "-c", OPEN, str(path)], capture_output=True,
                          text=True, timeout=120, check=False, preexec_fn=limit_file_size)
    assert done.returncode == 0, done.stderr
    message = done.stdout.strip()
    assert message.startswith(f"{path}: the library was not upgraded to database schema "
                              f"{SCHEMA_VERSION}: a copy of it as it is "
                              "(library.sqlite3.schema-1.bak"), message
    assert "could not be written" in message and "ulimit -f" in message
    assert path.read_bytes() == before and schema(path) == 1
    assert copies(tmp_path) == []


def test_a_folder_it_may_not_write_stops_the_upgrade(tmp_path):
    """The library and its -wal and -shm files can be written (another process has it open),
    its folder not: the copy cannot be made there, so the library is not upgraded."""
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "library.sqlite3"
    schema_1_library(path)
    before = rows(path)
    other = sqlite3.connect(path)  # keeps the -wal and -shm files there
    other.execute("SELECT 1 FROM meta").fetchall()
    folder.chmod(0o555)
    try:
        prefix = unwritable_prefix("no write permission", folder)
        done = subprocess.run([*prefix, sys.executable, "-c", OPEN, str(path)],
                              capture_output=True, text=True, timeout=120, check=False)
    finally:
        folder.chmod(0o755)
        other.close()
    assert done.returncode == 0, done.stderr
    message = done.stdout.strip()
    assert message.startswith(f"{path}: the library was not upgraded"), message
    assert "could not be written (Permission denied" in message
    assert "Check that its folder is writable" in message
    assert rows(path) == before and schema(path) == 1
    assert copies(folder) == []


def test_an_earlier_version_names_the_copy_a_newer_one_kept(tmp_path):
    """This version opening a library a newer one upgraded: the remedy names the copy made
    for this version's schema."""
    path = tmp_path / "library.sqlite3"
    with Store(path) as store:
        store.insert_folder("/photos")
        # What the newer version does on opening it: a copy, then its migration.
        upgrade_copy.keep_copy(path, SCHEMA_VERSION, SCHEMA_VERSION + 1)
        store.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    copy = f"library.sqlite3.schema-{SCHEMA_VERSION}.bak"
    for readonly in (False, True):
        with pytest.raises(StoreError) as err:
            Store(path, readonly=readonly)
        assert "Update Lookalike to open it, or, to go back to the library as it was before " \
               "that upgrade, close every Lookalike, move it aside with any library.sqlite3-wal, " \
               f"-shm or -journal files beside it, and put a copy of {copy} (beside it) " \
               "in its place" in str(err.value)
    assert schema(tmp_path / copy) == SCHEMA_VERSION


def test_the_copy_is_never_left_half_written_under_its_name(tmp_path, monkeypatch):
    """A crash while copying (here: the rename never happens) leaves only the .partial name;
    the next open makes the copy again and upgrades."""
    path = tmp_path / "library.sqlite3"
    schema_1_library(path)

    def crash(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        Store(path)
    assert copies(tmp_path) == ["library.sqlite3.schema-1.bak.partial"]
    assert schema(path) == 1
    monkeypatch.undo()
    Store(path).close()
    assert copies(tmp_path) == ["library.sqlite3.schema-1.bak"]
    assert schema(path) == SCHEMA_VERSION
