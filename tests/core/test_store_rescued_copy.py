"""A copy of the library that a Lookalike stopped (a crash, power loss) left beside it while it
put the library back after another program deleted the file (Store._put_back): the next open
puts it in place when there is no library, and says it when there is one. The crash is a real
one: a child process that dies between the copy and its rename."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from cli_run import run

from desktop_app import paths
from desktop_app.core import rescued_copy
from desktop_app.core.store import Store

pytestmark = pytest.mark.skipif(os.name != "posix", reason="an open file cannot be deleted")

CRASH_WHILE_PUTTING_BACK = textwrap.dedent("""
    import os, sys
    from desktop_app.core import rescued_copy
    from desktop_app.core.store import Store

    path = sys.argv[1]
    store = Store(path)
    store.insert_folder("/photos/indexed")
    for end in ("", "-wal", "-shm"):  # a disk cleaner, while the app runs
        os.remove(path + end)
    rescued_copy.move_unless_taken = lambda *_: os._exit(9)  # the power goes, right there
    store.insert_folder("/photos/next")
""")


def crash_while_putting_back(path) -> int:
    """Run a Lookalike that dies between copying its library and renaming the copy into place;
    returns its process id (the copy's name ends with it)."""
    child = subprocess.run([sys.executable, "-c", CRASH_WHILE_PUTTING_BACK, str(path)],
                           capture_output=True, text=True, timeout=120, check=False)
    assert child.returncode == 9, child.stderr
    copies = list(path.parent.glob(f"{path.name}.rescued-*"))
    assert len(copies) == 1 and not path.exists()
    return int(copies[0].name.rsplit("-", 1)[1])


def folders_in(path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT path FROM folders ORDER BY path")]


def test_a_copy_left_with_no_library_is_put_in_place_and_logged(tmp_path, caplog):
    path = tmp_path / "library.sqlite3"
    pid = crash_while_putting_back(path)
    with caplog.at_level(logging.WARNING), Store(path) as store:
        assert [f[1] for f in store.folder_rows()] == ["/photos/indexed"]
        assert store.integrity_check() == "ok" and store.notices == []
    assert f"library.sqlite3.rescued-{pid}" in caplog.text and "put back" in caplog.text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["library.sqlite3"]


def test_a_copy_left_beside_a_library_is_kept_and_said_with_what_to_do(tmp_path, caplog):
    path = tmp_path / "library.sqlite3"
    pid = crash_while_putting_back(path)
    copy = rescued_copy.copy_path(path, pid)
    with Store(tmp_path / "new" / "library.sqlite3") as other:  # made by an earlier version
        other.insert_folder("/photos/added since")
    shutil.copy(tmp_path / "new" / "library.sqlite3", path)
    for readonly in (False, True):
        with caplog.at_level(logging.WARNING), Store(path, readonly=readonly) as store:
            assert [f[1] for f in store.folder_rows()] == ["/photos/added since"]
            [notice] = store.notices
        assert notice.startswith(f"{copy}: ")
        assert f"rename {copy.name} to library.sqlite3" in notice and "delete" in notice
        assert notice in caplog.text
        assert folders_in(copy) == ["/photos/indexed"]  # both left as they were
        assert folders_in(path) == ["/photos/added since"]


@pytest.mark.parametrize("damage", ["cut short", "not ours", "journal left"])
def test_an_unfinished_copy_is_not_put_in_place_and_said(tmp_path, damage):
    path = tmp_path / "library.sqlite3"
    copy = rescued_copy.copy_path(path, crash_while_putting_back(path))
    if damage == "cut short":
        data = copy.read_bytes()
        copy.write_bytes(data[:len(data) // 2])
    elif damage == "not ours":
        copy.unlink()
        with sqlite3.connect(copy) as conn:
            conn.execute("CREATE TABLE notes (text)")
        conn.close()
    else:  # SQLite's backup into it stopped before its commit
        copy.with_name(copy.name + "-journal").write_bytes(b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7")
    with Store(path) as store:
        assert store.folder_rows() == []  # a new library
        [notice] = store.notices
    assert notice.startswith(f"{copy}: this is an unfinished copy") and "delete it" in notice
    assert copy.exists()


def test_a_copy_of_a_process_still_running_is_left_alone(tmp_path):
    path = tmp_path / "library.sqlite3"
    copy = rescued_copy.copy_path(path, crash_while_putting_back(path))
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:  # a Lookalike that is putting it back this moment (it wrote the copy as it ran)
        os.utime(copy)
        copy.rename(rescued_copy.copy_path(path, running.pid))
        with Store(path) as store:
            assert store.folder_rows() == [] and store.notices == []
        assert rescued_copy.copy_path(path, running.pid).exists()
    finally:
        running.kill()
        running.wait()


def test_a_second_name_of_the_library_left_by_the_rename_is_removed(tmp_path):
    path = tmp_path / "library.sqlite3"
    copy = rescued_copy.copy_path(path, crash_while_putting_back(path))
    os.link(copy, path)  # stopped between the hard link and the removal of the old name
    with Store(path) as store:
        assert [f[1] for f in store.folder_rows()] == ["/photos/indexed"]
        assert store.notices == []
    assert not copy.exists()


def test_lookalike_status_says_a_copy_left_beside_the_library_and_takes_in_one_alone(capsys):
    path = paths.database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    pid = crash_while_putting_back(path)
    code, out, err = run(capsys, "status")
    assert code == 0 and "Folders: 1" in out and "/photos/indexed" in out
    assert f"library.sqlite3.rescued-{pid}" in err and "put back" in err
    # Another one left later, beside the library now there: said at each command.
    copy = rescued_copy.copy_path(path, crash_while_putting_back(path))
    with Store(path.with_name("other.sqlite3")) as other:
        other.insert_folder("/photos/other")
    os.replace(path.with_name("other.sqlite3"), path)
    for argv in (("status",), ("status", "--json")):
        code, out, err = run(capsys, *argv)
        assert code == 0 and "/photos/other" in out
        assert f"{copy}: this copy of the library" in err


def test_a_copy_left_with_no_library_opened_read_only_is_said_and_left(tmp_path):
    path = tmp_path / "library.sqlite3"
    copy = rescued_copy.copy_path(path, crash_while_putting_back(path))
    [notice] = rescued_copy.take_in(path, may_write=False)
    assert notice.startswith(f"{copy}: ") and f"rename {copy.name} to library.sqlite3" in notice
    assert copy.exists() and not path.exists()


def test_two_opens_at_once_put_a_copy_in_place_once_and_say_nothing_of_it(tmp_path,
                                                                           monkeypatch):
    """The window and a `lookalike` command started together (or two commands): one puts the
    copy in place while the other waits for it, then opens that library. Neither may tell the
    user of a copy that is gone (to rename it, or that it is unfinished)."""
    path = tmp_path / "library.sqlite3"
    crash_while_putting_back(path)
    checked = rescued_copy._not_whole

    def slow(copy):  # a large library: its quick_check takes a while
        why_not = checked(copy)
        time.sleep(0.5)
        return why_not

    monkeypatch.setattr(rescued_copy, "_not_whole", slow)
    together = threading.Barrier(2)
    notices, failures = [], []

    def start() -> None:
        together.wait()
        try:
            with Store(path) as store:
                notices.extend(store.notices)
                store.insert_folder(f"/photos/{threading.current_thread().name}")
        except Exception as exc:  # noqa: BLE001 - said by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=start, name=name) for name in ("window", "command")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == [] and notices == []
    assert folders_in(path) == ["/photos/command", "/photos/indexed", "/photos/window"]
    assert sorted(p.name for p in tmp_path.iterdir() if ".rescued-" in p.name) == []


@pytest.mark.parametrize("number", ["99999999999999999999", "4294967295"])
def test_a_name_whose_number_no_process_has_does_not_stop_the_library_opening(tmp_path, number):
    """A file named like a copy by hand, with a number os.kill cannot take (OverflowError)."""
    path = tmp_path / "library.sqlite3"
    with Store(path) as store:
        store.insert_folder("/photos/indexed")
    odd = path.with_name(f"{path.name}.rescued-{number}")
    odd.write_bytes(b"not a library")
    with Store(path) as store:
        assert [f[1] for f in store.folder_rows()] == ["/photos/indexed"]
    assert odd.read_bytes() == b"not a library"  # never put in place, never deleted


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="start times from /proc")
def test_a_copy_whose_number_a_process_started_since_has_is_put_in_place(tmp_path, caplog):
    """After a reboot (or on Windows) numbers are soon given again: an unrelated process with
    the crashed Lookalike's number made its copy read as "still being put in place", passed
    over in silence for as long as that process ran, and a new empty library was opened."""
    path = tmp_path / "library.sqlite3"
    copy = rescued_copy.copy_path(path, crash_while_putting_back(path))
    written = time.time() - 3600  # before the reboot
    os.utime(copy, (written, written))
    later = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        copy.rename(rescued_copy.copy_path(path, later.pid))
        with caplog.at_level(logging.WARNING), Store(path) as store:
            assert [f[1] for f in store.folder_rows()] == ["/photos/indexed"]
            assert store.notices == []
        assert f"library.sqlite3.rescued-{later.pid}" in caplog.text and "put back" in caplog.text
        assert sorted(p.name for p in tmp_path.iterdir()) == ["library.sqlite3"]
    finally:
        later.kill()
        later.wait()


def test_a_windows_process_start_time_reads_as_unix_time():
    """GetProcessTimes gives FILETIMEs (100 ns steps since 1601), compared with an mtime."""
    assert rescued_copy.filetime_to_epoch(116_444_736_000_000_000) == 0.0  # 1970-01-01
    assert rescued_copy.filetime_to_epoch(116_444_736_012_345_678) == 1.2345678
