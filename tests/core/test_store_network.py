"""A library on a network file system (NFS, SMB, sshfs...): a rollback journal instead of WAL,
a library moved between a local and a network folder, messages that say what to do, and the
read-only URI of a Windows share. No network share can be mounted here: `remote` makes the
file-system probe say that one folder is on NFS; SQLite itself then runs on real files."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from desktop_app.core import file_system, store
from desktop_app.core.store import SCHEMA_VERSION, Store


@pytest.fixture
def remote(tmp_path, monkeypatch) -> Path:
    """A folder the probe says is on NFS; every other folder stays local."""
    share = tmp_path / "share"
    share.mkdir()
    real = file_system._probe
    monkeypatch.setattr(file_system, "_probe",
                        lambda folder: "NFS" if Path(folder).is_relative_to(share)
                        else real(folder))
    return share


def journal(path: Path) -> tuple[str, bytes]:
    """(the journal mode SQLite reports, the file format bytes 18-19 of the header: 1 1 for a
    rollback journal, 2 2 for WAL), read by a fresh connection."""
    conn = sqlite3.connect(path)
    try:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()
    return mode, path.read_bytes()[18:20]


def add_photo_rows(s: Store, count: int, start: int = 0) -> None:
    with s.transaction() as conn:
        folder = conn.execute("INSERT OR IGNORE INTO folders(path, added_at) VALUES ('/p', 0) "
                              "RETURNING id").fetchone()
        folder_id = folder[0] if folder else 1
        conn.executemany("INSERT INTO photos(path, folder_id, size, mtime, status, indexed_at) "
                         "VALUES (?, ?, 1, 0, 'ok', 0)",
                         [(f"/p/{i}.jpg", folder_id) for i in range(start, start + count)])


def photo_count(path: Path) -> int:
    with Store(path, readonly=True) as s:
        return s.query("SELECT COUNT(*) FROM photos")[0][0]


# -- the probe --------------------------------------------------------------------------------
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="statfs f_type is Linux's")
def test_the_linux_probe_reads_the_file_system_type_stat_reports(tmp_path):
    stat = shutil.which("stat")
    if stat is None:
        pytest.skip("needs stat(1)")
    for folder in (tmp_path, Path("/proc"), Path("/dev/shm")):
        if not folder.is_dir():
            continue
        said = subprocess.run([stat, "-f", "-c", "%t", str(folder)], capture_output=True,
                              text=True, check=True).stdout.strip()
        assert file_system._linux_statfs_type(folder) == int(said, 16)
    assert file_system.network_file_system(tmp_path) == file_system.LINUX_NETWORK_TYPES.get(
        int(subprocess.run([stat, "-f", "-c", "%t", str(tmp_path)], capture_output=True,
                           text=True, check=True).stdout.strip(), 16))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="statfs f_type is Linux's")
@pytest.mark.parametrize(("magic", "name"), [(0x6969, "NFS"), (0xFF534D42, "SMB (CIFS)"),
                                             (0xFE534D42, "SMB"), (0x517B, "SMB")])
def test_network_types_are_named_and_local_ones_are_not(tmp_path, monkeypatch, magic, name):
    monkeypatch.setattr(file_system, "_linux_statfs_type", lambda folder: magic)
    assert file_system.network_file_system(tmp_path) == name
    monkeypatch.setattr(file_system, "_linux_statfs_type", lambda folder: 0xEF53)  # ext4
    assert file_system.network_file_system(tmp_path) is None


def test_a_probe_that_fails_counts_as_local(tmp_path):
    assert file_system.network_file_system(tmp_path / "not there") is None


# -- the journal --------------------------------------------------------------------------------
def test_a_new_library_on_a_network_folder_uses_a_rollback_journal(remote, tmp_path, caplog):
    path = remote / "library.sqlite3"
    with caplog.at_level(logging.INFO, logger="desktop_app.core.store"), Store(path) as s:
        assert s.network == "NFS"
        assert s.query("PRAGMA journal_mode")[0][0] == "delete"
        assert s.query("PRAGMA synchronous")[0][0] == 2  # FULL, SQLite's default there
        add_photo_rows(s, 10)
        # No -shm (shared memory) and no -wal beside it, even while it is open.
        assert sorted(p.name for p in remote.iterdir()) == ["library.sqlite3"]
    assert journal(path) == ("delete", b"\x01\x01")
    assert f"{path} is on a network file system (NFS)" in caplog.text
    with Store(tmp_path / "local.sqlite3") as s:  # a local one keeps WAL
        assert s.network is None and s.query("PRAGMA journal_mode")[0][0] == "wal"


def test_a_library_moved_to_a_network_folder_and_back_opens_and_switches(remote, tmp_path):
    local = tmp_path / "library.sqlite3"
    with Store(local) as s:
        add_photo_rows(s, 100)
    assert journal(local) == ("wal", b"\x02\x02")
    moved = remote / "library.sqlite3"
    shutil.move(local, moved)  # closed: its -wal was checkpointed and removed
    with Store(moved) as s:
        add_photo_rows(s, 5, start=100)
    assert journal(moved) == ("delete", b"\x01\x01") and photo_count(moved) == 105
    shutil.move(moved, local)
    with Store(local) as s:
        assert s.query("PRAGMA journal_mode")[0][0] == "wal"
        add_photo_rows(s, 5, start=105)
    assert journal(local) == ("wal", b"\x02\x02") and photo_count(local) == 110


def test_a_wal_library_another_process_has_open_stays_wal_until_it_closes(remote, caplog):
    path = remote / "library.sqlite3"
    made = sqlite3.connect(path)  # made in WAL mode (on a local disk, or by an earlier version)
    made.execute("PRAGMA journal_mode = WAL")
    made.execute("CREATE TABLE t (x)")
    made.close()
    other = sqlite3.connect(path, isolation_level=None)  # e.g. an earlier version, running
    other.execute("SELECT COUNT(*) FROM sqlite_master").fetchall()
    try:
        with caplog.at_level(logging.WARNING, logger="desktop_app.core.store"), \
                Store(path) as s:
            assert s.query("PRAGMA journal_mode")[0][0] == "wal"
            add_photo_rows(s, 3)  # it still works meanwhile
        assert "stays in WAL mode for now" in caplog.text and str(path) in caplog.text
        assert "LOOKALIKE_HOME to a folder on a local disk" in caplog.text
    finally:
        other.close()
    with Store(path) as s:
        assert s.query("PRAGMA journal_mode")[0][0] == "delete"
    assert journal(path) == ("delete", b"\x01\x01") and photo_count(path) == 3


def test_readers_and_a_writer_share_a_library_on_a_network_folder(remote):
    path = remote / "library.sqlite3"
    with Store(path) as writer:
        add_photo_rows(writer, 2)
        with Store(path, readonly=True) as reader:
            seen = reader.data_version()
            assert reader.query("SELECT COUNT(*) FROM photos")[0][0] == 2
            add_photo_rows(writer, 3, start=2)
            assert reader.data_version() != seen
            assert reader.query("SELECT COUNT(*) FROM photos")[0][0] == 5
            with Store(path) as second:  # another writer (a `lookalike index`): still DELETE
                add_photo_rows(second, 1, start=5)
    assert journal(path) == ("delete", b"\x01\x01") and photo_count(path) == 6


def test_a_library_on_a_network_folder_is_upgraded_with_its_copy(remote):
    path = remote / "library.sqlite3"
    with Store(path) as s:  # played as schema 1: without the columns of later migrations
        add_photo_rows(s, 4)
        with s.transaction() as conn:
            conn.execute("ALTER TABLE photos DROP COLUMN ctime_ns")
            conn.execute("DELETE FROM migrations WHERE version > 1")
            conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with Store(path) as s:
        assert s.schema_version == SCHEMA_VERSION
    copy = remote / "library.sqlite3.schema-1.bak"
    assert copy.is_file() and journal(path) == ("delete", b"\x01\x01")
    assert photo_count(path) == 4 and photo_count(copy) == 4


# -- messages -----------------------------------------------------------------------------------
@pytest.mark.parametrize("error", ["database is locked", "disk I/O error"])
def test_errors_on_a_network_folder_say_to_use_a_local_folder(remote, tmp_path, error):
    on_share = str(store.store_error(remote / "library.sqlite3", sqlite3.OperationalError(error)))
    assert str(remote / "library.sqlite3") in on_share and "network file system (NFS" in on_share
    assert "set LOOKALIKE_HOME to a folder on a local disk" in on_share
    local = str(store.store_error(tmp_path / "library.sqlite3", sqlite3.OperationalError(error)))
    assert "network file system" not in local and "LOOKALIKE_HOME" not in local


# -- the read-only URI --------------------------------------------------------------------------
def test_the_uri_of_a_windows_share_has_no_authority_sqlite_refuses(tmp_path):
    share = PureWindowsPath(r"\\server\share\Look alike\data\library.sqlite3")
    assert store.sqlite_uri(share) == "file:////server/share/Look%20alike/data/library.sqlite3"
    assert (store.sqlite_uri(PureWindowsPath(r"Z:\Lookalike\data\library.sqlite3"))
            == "file:///Z:/Lookalike/data/library.sqlite3")
    # SQLite itself: Path.as_uri()'s form is refused for its authority; this one is read as a
    # path (here not found, being a Windows share on another system).
    with pytest.raises(sqlite3.OperationalError, match="invalid uri authority"):
        sqlite3.connect(share.as_uri() + "?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError, match="unable to open"):
        sqlite3.connect(store.sqlite_uri(share) + "?mode=ro", uri=True)
    odd = PurePosixPath(tmp_path) / "a b #1 ?x %20" / "library.sqlite3"
    Path(odd.parent).mkdir()
    Store(odd).close()
    conn = sqlite3.connect(store.sqlite_uri(odd) + "?mode=ro", uri=True)
    assert conn.execute("SELECT COUNT(*) FROM photos").fetchone() == (0,)
    conn.close()


def test_a_read_only_open_does_not_use_a_uri_with_an_authority(tmp_path, monkeypatch):
    """On Windows a mapped drive (Z:) resolves to \\\\server\\share, whose Path.as_uri() has an
    authority SQLite refuses. Played here by giving every path that URI."""
    path = tmp_path / "library.sqlite3"
    with Store(path) as s:
        add_photo_rows(s, 2)
    monkeypatch.setattr(PurePosixPath, "as_uri",
                        lambda self: "file://server/share" + self.as_posix())
    with Store(path, readonly=True) as s:
        assert s.query("SELECT COUNT(*) FROM photos")[0][0] == 2


def test_only_a_wal_library_is_read_as_immutable_from_an_unwritable_folder(remote, tmp_path,
                                                                          monkeypatch):
    """Immutable skips SQLite's locks: right for a WAL library on a read-only mount (its -shm
    cannot be made), wrong for a rollback-journal one on a share another computer writes."""
    wal = tmp_path / "library.sqlite3"
    Store(wal).close()
    Store(remote / "library.sqlite3").close()
    monkeypatch.setattr(store.os, "access", lambda *args, **kwargs: False)
    assert store._read_only_uri(wal).endswith("?mode=ro&immutable=1")
    assert store._read_only_uri(remote / "library.sqlite3").endswith("?mode=ro")


# -- a writer stopped mid-transaction -------------------------------------------------------------
def leave_a_hot_journal(path: Path) -> None:
    """A writer killed in the middle of a transaction (a crash, a share or the power gone): its
    changes half in the file, the -journal that undoes them beside it."""
    code = ("import os, sqlite3, sys\n"
            "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "conn.execute('PRAGMA cache_size = 1')  # the changes reach the file before COMMIT\n"
            "conn.execute('BEGIN IMMEDIATE')\n"
            "conn.executemany('INSERT INTO photos(path, folder_id, size, mtime, status, "
            "indexed_at) VALUES (?, 1, 1, 0, \\'ok\\', 0)', "
            "[(f'/p/new-{i:05}-' + 'x' * 200,) for i in range(3000)])\n"
            "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True)
    assert path.with_name(path.name + "-journal").stat().st_size > 0


def test_a_read_only_open_after_a_writer_stopped_mid_transaction_reads_the_last_commit(remote):
    """WAL let a reader recover what a stopped writer left; a rollback journal must be played
    back first, which SQLite refuses a read-only connection ("attempt to write a readonly
    database": the commands that read said the library could not be written)."""
    path = remote / "library.sqlite3"
    with Store(path) as s:
        add_photo_rows(s, 7)
    leave_a_hot_journal(path)
    with Store(path, readonly=True) as s:
        assert s.query("SELECT COUNT(*) FROM photos")[0][0] == 7
    assert not path.with_name("library.sqlite3-journal").exists()
    assert journal(path) == ("delete", b"\x01\x01")
    with Store(path) as s:
        assert s.query("PRAGMA integrity_check")[0][0] == "ok"


def test_a_journal_that_cannot_be_played_back_here_is_said(remote, monkeypatch):
    """A folder this computer may not write (a share mounted read-only): the message says
    what happened and where to fix it, not to make a file writable that may well be."""
    path = remote / "library.sqlite3"
    with Store(path) as s:
        add_photo_rows(s, 3)
    leave_a_hot_journal(path)
    real = store._roll_back_journal
    monkeypatch.setattr(store, "_roll_back_journal", lambda path: False)  # a read-only mount
    with pytest.raises(store.StoreError) as raised:
        Store(path, readonly=True)
    message = str(raised.value)
    assert "stopped before it finished" in message and "library.sqlite3-journal" in message
    assert "Run any `lookalike` command once where this folder can be written" in message
    monkeypatch.setattr(store, "_roll_back_journal", real)
    assert photo_count(path) == 3  # played back by the next open that may write
