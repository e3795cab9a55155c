"""Store: real SQLite files, WAL, migrations, refusing newer schemas, clear errors."""

from __future__ import annotations

import sqlite3

import pytest

from desktop_app import paths
from desktop_app.core.errors import StoreError
from desktop_app.core.store import SCHEMA_VERSION, Store, decode_path, encode_path


def test_default_path_follows_lookalike_home(lookalike_home):
    with Store() as store:
        assert store.path == paths.database_path()
        assert str(store.path).startswith(str(lookalike_home))
    assert paths.database_path().is_file()


def test_new_database_is_wal_and_migrated(tmp_path):
    with Store(tmp_path / "lib.sqlite3") as store:
        assert store.query("PRAGMA journal_mode")[0][0] == "wal"
        assert store.schema_version == SCHEMA_VERSION
        assert store.applied_migrations() == ["001_initial", "002_photo_ctime"]
        tables = {r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"folders", "photos", "models", "codes", "meta", "migrations"} <= tables
    # Opening again migrates nothing and keeps the data.
    with Store(tmp_path / "lib.sqlite3") as store:
        assert store.applied_migrations() == ["001_initial", "002_photo_ctime"]


def test_newer_schema_is_refused_with_update_hint(tmp_path):
    path = tmp_path / "lib.sqlite3"
    with Store(path) as store:
        store.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    with pytest.raises(StoreError) as err:
        Store(path)
    assert "newer version of Lookalike" in str(err.value) and "Update Lookalike" in str(err.value)
    with pytest.raises(StoreError):
        Store(path, readonly=True)


def test_not_a_database_gives_clear_error(tmp_path):
    path = tmp_path / "lib.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError) as err:
        Store(path)
    assert str(path) in str(err.value) and "damaged" in str(err.value)


def test_readonly_store_cannot_write_and_needs_a_file(tmp_path):
    with pytest.raises(StoreError, match="no library database"):
        Store(tmp_path / "missing.sqlite3", readonly=True)
    Store(tmp_path / "lib.sqlite3").close()
    with Store(tmp_path / "lib.sqlite3", readonly=True) as ro:
        assert ro.schema_version == SCHEMA_VERSION
        with pytest.raises(StoreError, match="read-only"):
            ro.set_meta("x", "y")


def test_failed_transaction_rolls_back(store):
    with pytest.raises(RuntimeError), store.transaction() as conn:
        conn.execute("INSERT INTO folders(path, added_at) VALUES ('/x', 0)")
        raise RuntimeError("boom")
    assert store.folder_rows() == []


def test_disk_full_is_a_clear_store_error_and_loses_nothing(store):
    store.insert_folder("/photos")
    page_count = store.query("PRAGMA page_count")[0][0]
    store.conn.execute(f"PRAGMA max_page_count = {page_count + 1}")
    with pytest.raises(StoreError) as err, store.transaction() as conn:
        for i in range(2000):
            conn.execute("INSERT INTO folders(path, added_at) VALUES (?, 0)",
                         (f"/photos/{i:05d}/" + "x" * 200,))
    assert "disk is full" in str(err.value) and "Free some disk space" in str(err.value)
    assert [r[1] for r in store.folder_rows()] == ["/photos"]
    assert store.integrity_check() == "ok"


def test_a_disk_io_error_with_no_space_left_is_called_a_full_disk(tmp_path, monkeypatch):
    """SQLite says "disk I/O error" when it cannot make its -shm or -wal file on a disk with no
    space left at all (seen on a full tmpfs; tests/test_full_disk.py does it for real). Here
    statvfs is made to report no free block."""
    import os

    from desktop_app.core.store import store_error

    path = tmp_path / "lib.sqlite3"
    error = sqlite3.OperationalError("disk I/O error")
    assert "the disk is full" not in str(store_error(path, error))  # there is space here
    real = os.statvfs

    def no_space(folder):
        st = real(folder)
        return os.statvfs_result((st.f_bsize, st.f_frsize, st.f_blocks, 0, 0, *st[5:10]))

    monkeypatch.setattr(os, "statvfs", no_space)
    message = str(store_error(path, error))
    assert message.startswith(f"{path}: the disk is full") and "Free some disk space" in message


def test_a_full_disk_is_recognised_without_statvfs(tmp_path, monkeypatch):
    """Windows has no os.statvfs: the free space comes from shutil.disk_usage there."""
    import os
    import shutil

    from desktop_app.core.store import store_error

    monkeypatch.delattr(os, "statvfs", raising=False)
    monkeypatch.setattr(shutil, "disk_usage", lambda folder: shutil._ntuple_diskusage(
        10 << 30, 10 << 30, 0))
    message = str(store_error(tmp_path / "lib.sqlite3", sqlite3.OperationalError("disk I/O error")))
    assert "the disk is full" in message


def test_non_utf8_paths_round_trip(store):
    name = b"/photos/caf\xe9.jpg".decode("utf-8", "surrogateescape")
    assert isinstance(encode_path(name), bytes)
    folder_id = store.insert_folder(name)
    assert store.folder_rows()[0][:2] == (folder_id, name)
    assert decode_path(encode_path("/plain/é.jpg")) == "/plain/é.jpg"


def test_two_connections_share_the_file(tmp_path):
    a, b = Store(tmp_path / "lib.sqlite3"), Store(tmp_path / "lib.sqlite3")
    a.insert_folder("/one")
    assert [r[1] for r in b.folder_rows()] == ["/one"]
    with a.transaction():
        a.conn.execute("INSERT INTO folders(path, added_at) VALUES ('/two', 0)")
        # b still reads the last committed state while a writes (WAL).
        assert [r[1] for r in b.folder_rows()] == ["/one"]
    assert len(b.folder_rows()) == 2
    a.close(), b.close()


def test_unwritable_location_is_a_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError):
        Store(blocker / "sub" / "lib.sqlite3")


def test_sqlite3_errors_do_not_leak(store):
    with pytest.raises(StoreError):
        store.query("SELECT * FROM no_such_table")
    assert not issubclass(StoreError, sqlite3.Error)
