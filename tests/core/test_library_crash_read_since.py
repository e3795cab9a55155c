"""A Lookalike killed while decoding (SIGKILL, the out-of-memory killer: its journal holds no
report of a fatal error) blames every photo it was decoding. One that another process (the app,
running on) read and encoded after that, as it is now, is not recorded as failed by the next
start (library.record_crashes): that recorded it, dropped its codes, and the app's grid lost
it. A photo not read since, one changed since, or one a decoder's report blames still is. Real
SQLite file, a real process killed with its journal, tiny real model, real photos."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

import pytest
from photos import make_photo

from desktop_app.core import crash_journal
from desktop_app.core.library import record_crashes
from desktop_app.core.records import STATUS_FAILED, STATUS_OK

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

# A Lookalike process decoding argv[2], journalled in the folder argv[1], until it is killed.
DECODING = """
import sys, time
from desktop_app.core import crash_journal
journal = crash_journal.Journal.create(sys.argv[1])
journal.enter(sys.argv[2])
print("decoding", flush=True)
time.sleep(60)
"""


def killed_while_decoding(journals, photo) -> None:
    process = subprocess.Popen([sys.executable, "-c", DECODING, str(journals), str(photo)],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == "decoding\n"
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        process.kill()
        process.stdout.close()


def later(seconds: float = 0.01) -> None:
    """Let the wall clock move on: the journal's and the record's times are compared."""
    time.sleep(seconds)


def test_a_photo_another_process_read_after_the_kill_is_not_blamed(
        library, store, album, tmp_path, caplog):
    chelsea = album / "chelsea.jpg"
    killed_while_decoding(tmp_path / "data", chelsea)
    later()
    library.index_folder(album)  # the app, running on, reads it
    photo_id = library.photo_by_path(chelsea).id

    crashes = crash_journal.left_by_crashes(tmp_path / "data")
    assert [(c.path, c.by_report) for c in crashes] == [(str(chelsea), False)]
    with caplog.at_level(logging.INFO, logger="desktop_app.core.library"):
        recorded, unrecorded = record_crashes(store, crashes)

    assert recorded == [] and unrecorded == []
    photo = library.photo_by_path(chelsea)
    assert (photo.id, photo.status, photo.error) == (photo_id, STATUS_OK, None)
    assert library.search_index().code_of(photo_id) is not None
    assert library.failed() == []
    assert f"{chelsea} was being decoded when a Lookalike was ended by force" in caplog.text


def test_a_photo_read_before_the_kill_and_not_since_is_blamed(library, store, album, tmp_path):
    # An indexed photo whose thumbnail or preview was being made, or one read again.
    library.index_folder(album)
    later()
    chelsea = album / "chelsea.jpg"
    killed_while_decoding(tmp_path / "data", chelsea)

    recorded, unrecorded = record_crashes(store, crash_journal.left_by_crashes(tmp_path / "data"))

    assert [path for path, _ in recorded] == [str(chelsea)] and unrecorded == []
    photo = library.photo_by_path(chelsea)
    assert photo.status == STATUS_FAILED
    assert "or Lookalike was ended by force while reading it" in photo.error
    assert library.search_index().code_of(photo.id) is None


def test_a_photo_changed_since_it_was_read_after_the_kill_is_blamed(
        library, store, album, tmp_path):
    chelsea = album / "chelsea.jpg"
    killed_while_decoding(tmp_path / "data", chelsea)
    later()
    library.index_folder(album)
    make_photo(chelsea, "rocket", size=(90, 70))  # what was read is not what is there now

    recorded, _ = record_crashes(store, crash_journal.left_by_crashes(tmp_path / "data"))

    assert [path for path, _ in recorded] == [str(chelsea)]
    assert library.photo_by_path(chelsea).status == STATUS_FAILED


def test_a_photo_a_decoder_report_blames_is_recorded_though_read_since(library, store, album):
    # The report names the thread that crashed while decoding it: that decoder did crash on
    # it, whatever another read (another decode: a draft, another size) found since.
    coffee = album / "sub" / "coffee.jpg"
    crash = crash_journal.Crash(os.fspath(coffee), time.time(), by_report=True)
    later()
    library.index_folder(album)

    recorded, _ = record_crashes(store, [crash])

    assert [path for path, _ in recorded] == [str(coffee)]
    photo = library.photo_by_path(coffee)
    assert photo.status == STATUS_FAILED and "(its decoder crashed)" in photo.error


def test_a_read_stamped_while_the_clock_ran_ahead_spares_no_photo(
        library, store, album, tmp_path):
    # Indexed while the clock was an hour ahead (a clock read as local time at boot), set back
    # since: that read is no read after the kill, and sparing the photo for it would crash
    # every start on it again until the clock caught up.
    chelsea = album / "chelsea.jpg"
    library.index_folder(album)
    with store.transaction() as conn:
        conn.execute("UPDATE photos SET indexed_at = ? WHERE path = ?",
                     (time.time() + 3600, str(chelsea)))
    killed_while_decoding(tmp_path / "data", chelsea)

    recorded, _ = record_crashes(store, crash_journal.left_by_crashes(tmp_path / "data"))

    assert [path for path, _ in recorded] == [str(chelsea)]
    assert library.photo_by_path(chelsea).status == STATUS_FAILED
