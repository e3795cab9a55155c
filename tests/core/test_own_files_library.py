"""The library file deleted or replaced by another program (a disk cleaner, a backup restore, a
sync tool) while a Store has it open. On POSIX the open connection keeps writing to the deleted
file without a word, and everything written since is lost when the app closes."""

from __future__ import annotations

import os
import shutil
import sqlite3

import pytest

from desktop_app.core.errors import StoreError
from desktop_app.core.store import Store

pytestmark = pytest.mark.skipif(os.name != "posix", reason="an open file cannot be deleted")


def _remove_library(path):
    for end in ("", "-wal", "-shm"):
        try:
            os.remove(f"{path}{end}")
        except FileNotFoundError:
            pass


def _folders_in_file(path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT path FROM folders ORDER BY path")]


def test_deleted_library_is_written_back_with_everything_saved(tmp_path):
    path = tmp_path / "library.sqlite3"
    store = Store(path)
    store.insert_folder("/photos/before")
    _remove_library(path)  # `rm -rf ~/.local/share/Lookalike/*` while the app runs
    store.insert_folder("/photos/after")
    store.insert_folder("/photos/later")
    store.close()
    # What was saved before and after the deletion is in the file at the library's name.
    assert _folders_in_file(path) == ["/photos/after", "/photos/before", "/photos/later"]
    assert not list(tmp_path.glob("*.rescued-*"))
    with Store(path) as again:
        assert again.integrity_check() == "ok"


def test_only_the_main_file_deleted_is_written_back_too(tmp_path):
    path = tmp_path / "library.sqlite3"
    store = Store(path)
    store.insert_folder("/photos/before")
    os.remove(path)  # its -wal and -shm left: this connection's own
    store.insert_folder("/photos/after")
    store.close()
    assert _folders_in_file(path) == ["/photos/after", "/photos/before"]


def test_replaced_library_is_never_written_over_and_said(tmp_path):
    path = tmp_path / "library.sqlite3"
    store = Store(path)
    store.insert_folder("/photos/open")
    restored = tmp_path / "backup.sqlite3"
    with Store(restored) as backup:
        backup.insert_folder("/photos/from-backup")
    _remove_library(path)
    shutil.copyfile(restored, path)  # a backup restore puts an older library in its place
    with pytest.raises(StoreError) as caught:
        store.insert_folder("/photos/new")
    message = str(caught.value)
    assert str(path) in message and "replaced the library file" in message
    assert "Restart Lookalike" in message
    store.close()
    assert _folders_in_file(path) == ["/photos/from-backup"]  # the user's file, as it was


def test_another_process_on_the_deleted_file_is_told_it_was_replaced(tmp_path):
    path = tmp_path / "library.sqlite3"
    store = Store(path)
    other = Store(path)  # `lookalike index` running on the same library
    store.insert_folder("/photos/before")
    os.remove(path)
    store.insert_folder("/photos/after")  # written back by this one
    with pytest.raises(StoreError, match="replaced the library file"):
        other.insert_folder("/photos/other")
    other.close()
    store.close()
    assert _folders_in_file(path) == ["/photos/after", "/photos/before"]


def test_kept_aside_when_something_else_takes_the_name_first(tmp_path, monkeypatch):
    path = tmp_path / "library.sqlite3"
    store = Store(path)
    store.insert_folder("/photos/before")
    _remove_library(path)
    real_link = os.link

    def sync_tool_first(src, dst):  # another program puts a file there during the copy
        with open(dst, "wb") as f:
            f.write(b"the user's")
        return real_link(src, dst)

    monkeypatch.setattr(os, "link", sync_tool_first)
    with pytest.raises(StoreError) as caught:
        store.insert_folder("/photos/after")
    copy = tmp_path / f"library.sqlite3.rescued-{os.getpid()}"
    assert str(copy) in str(caught.value) and "Restart Lookalike" in str(caught.value)
    assert path.read_bytes() == b"the user's"
    assert _folders_in_file(copy) == ["/photos/before"]
    assert [r[1] for r in store.folder_rows()] == ["/photos/before"]  # still shown
    with pytest.raises(StoreError):  # and nothing more written anywhere
        store.insert_folder("/photos/later")
    store.close()


def test_put_back_where_hard_links_are_refused(tmp_path, monkeypatch):
    path = tmp_path / "library.sqlite3"
    store = Store(path)
    store.insert_folder("/photos/before")
    _remove_library(path)

    def no_links(src, dst):  # FAT, exFAT, some network shares
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    store.insert_folder("/photos/after")
    store.close()
    assert _folders_in_file(path) == ["/photos/after", "/photos/before"]
    assert not list(tmp_path.glob("*.rescued-*"))


def test_a_library_reached_by_a_symbolic_link_is_put_back_at_its_file(tmp_path):
    real = tmp_path / "elsewhere" / "library.sqlite3"
    real.parent.mkdir()
    Store(real).close()
    path = tmp_path / "library.sqlite3"
    path.symlink_to(real)
    store = Store(path)
    store.insert_folder("/photos/before")
    os.remove(real)  # its -wal and -shm left, beside it
    store.insert_folder("/photos/after")
    store.close()
    assert path.is_symlink() and _folders_in_file(real) == ["/photos/after", "/photos/before"]


def test_library_folder_deleted_with_it_is_made_again(tmp_path):
    path = tmp_path / "Lookalike" / "library.sqlite3"
    store = Store(path)
    store.insert_folder("/photos/before")
    shutil.rmtree(path.parent)  # `rm -rf ~/.local/share/Lookalike` while the app runs
    store.insert_folder("/photos/after")
    store.close()
    assert _folders_in_file(path) == ["/photos/after", "/photos/before"]
    assert not list(path.parent.glob("*.rescued-*"))


def test_a_library_whose_drive_went_is_not_put_on_another_disk(tmp_path):
    path = tmp_path / "library.sqlite3"
    store = Store(path)
    store.insert_folder("/photos/before")
    # Its drive unplugged (unmounted): the mount point left is a folder of another disk,
    # played by a library recorded on another device than the folder now is.
    store._identity = (store._identity[0] + 1, store._identity[1])
    _remove_library(path)
    with pytest.raises(StoreError) as caught:
        store.insert_folder("/photos/after")
    assert "drive unplugged" in str(caught.value) and "deleted" not in str(caught.value)
    assert not path.exists() and not list(tmp_path.glob("*.rescued-*"))
    store.close()


def test_a_put_back_that_failed_is_tried_again_at_the_next_write(tmp_path, monkeypatch):
    path = tmp_path / "library.sqlite3"
    store = Store(path)
    store.insert_folder("/photos/before")
    _remove_library(path)
    real_connect = sqlite3.connect

    def full_disk(*args, **kwargs):
        exc = sqlite3.OperationalError("database or disk is full")
        exc.sqlite_errorcode = sqlite3.SQLITE_FULL
        raise exc

    monkeypatch.setattr(sqlite3, "connect", full_disk)
    with pytest.raises(StoreError, match="could not be written back") as caught:
        store.insert_folder("/photos/after")
    assert caught.value.__cause__.sqlite_errorcode == sqlite3.SQLITE_FULL  # retried by the app
    monkeypatch.setattr(sqlite3, "connect", real_connect)  # disk space freed
    store.insert_folder("/photos/after")
    store.close()
    assert _folders_in_file(path) == ["/photos/after", "/photos/before"]
    assert not list(tmp_path.glob("*.rescued-*"))
