"""The journal of the photos being decoded (core/crash_journal.py): what a process that died in a
decoder was reading is found by the next start, and only then; real processes, real crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from desktop_app.core import crash_journal

# A Lookalike process in small: its journal installed, photos "decoded" on threads (each holds
# its decode until told), then its end: `exit` (os._exit: no clean-up, as a crash), `kill`
# (SIGKILL), `segv` (the last photo's thread reads address 0: a real SIGSEGV in a decode) or
# `wait` (alive until its stdin closes, then a normal end).
CHILD = r"""
import ctypes, os, signal, sys, threading
from desktop_app.core import crash_journal

folder, how, *photos = sys.argv[1:]
crash_journal.install(folder)
entered = threading.Barrier(len(photos) + 1)
done = threading.Event()

@crash_journal.records_decoding
def decode(data, path):
    entered.wait()
    if how == "segv" and path == photos[-1]:
        ctypes.string_at(0)
    done.wait()

threads = [threading.Thread(target=decode, args=(b"", p), daemon=True) for p in photos]
for t in threads:
    t.start()
entered.wait()
if how == "exit":
    os._exit(0)
if how == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
if how == "wait":
    print("decoding", flush=True)
    sys.stdin.read()
    done.set()
    for t in threads:
        t.join()
    sys.exit(0)
done.wait(60)
"""


def run_child(folder, how: str, *photos) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONFAULTHANDLER"}
    return subprocess.run([sys.executable, "-c", CHILD, str(folder), how, *map(str, photos)],
                          capture_output=True, text=True, env=env, timeout=60, check=False)


def journals(folder) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.startswith("decoding-"))


def test_a_process_that_died_while_decoding_leaves_its_photos_to_the_next_start(tmp_path):
    done = run_child(tmp_path, "exit", "/photos/a.jpg", "/photos/b.heic")
    assert done.returncode == 0, done.stderr
    assert len(journals(tmp_path)) == 1

    crashes = crash_journal.left_by_crashes(tmp_path)

    assert sorted(c.path for c in crashes) == ["/photos/a.jpg", "/photos/b.heic"]
    assert journals(tmp_path) == []  # read once: the start after this one finds nothing
    assert crash_journal.left_by_crashes(tmp_path) == []


def test_a_segfault_in_a_decode_blames_that_photo_alone(tmp_path):
    # Two photos decoded at once: faulthandler's report names the thread that crashed.
    done = run_child(tmp_path, "segv", "/photos/innocent.jpg", "/photos/hostile.nef")
    assert done.returncode == -signal.SIGSEGV, done.stderr

    crashes = crash_journal.left_by_crashes(tmp_path)

    assert [c.path for c in crashes] == ["/photos/hostile.nef"]
    assert "Lookalike stopped while reading this photo" in crashes[0].error()
    assert "(its decoder crashed);" in crashes[0].error()
    assert "ended by force" not in crashes[0].error()


def test_a_process_killed_without_a_report_blames_every_photo_it_was_decoding(tmp_path):
    done = run_child(tmp_path, "kill", "/photos/a.jpg", "/photos/b.jpg")
    assert done.returncode == -signal.SIGKILL

    crashes = crash_journal.left_by_crashes(tmp_path)
    assert sorted(c.path for c in crashes) == ["/photos/a.jpg", "/photos/b.jpg"]
    # No report of a fatal error: a kill (the out-of-memory killer) is as likely as a crash,
    # and the message says both, with how to read the photo again at once.
    assert "(its decoder crashed, or Lookalike was ended by force while reading it" in (
        crashes[0].error())
    assert "Try these photos again (lookalike index --retry-failed)" in crashes[0].error()


def test_a_live_process_journal_is_left_alone(tmp_path):
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path), "wait", "/photos/now.jpg"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "decoding\n"
        assert crash_journal.left_by_crashes(tmp_path) == []
        assert len(journals(tmp_path)) == 1  # still its, still there
    finally:
        child.communicate("", timeout=60)
    assert child.returncode == 0
    assert journals(tmp_path) == []  # an end on purpose removes it
    assert crash_journal.left_by_crashes(tmp_path) == []


def test_a_dead_journal_is_read_even_when_its_process_number_is_running_again(tmp_path):
    run_child(tmp_path, "exit", "/photos/a.jpg")
    (name,) = journals(tmp_path)
    # The number given to another process (this one) since: its lock, not its number, tells.
    reused = name.replace(name.split("-")[1], str(os.getpid()), 1)
    os.rename(tmp_path / name, tmp_path / reused)

    assert [c.path for c in crash_journal.left_by_crashes(tmp_path)] == ["/photos/a.jpg"]


def test_slots_are_written_while_decoding_and_cleared_after_also_on_error(tmp_path):
    journal = crash_journal.Journal.create(tmp_path)
    try:
        with journal.decoding("/photos/first.jpg"):
            # Read from the file itself: what a crash at this moment would leave.
            assert [c.path for c in crash_journal.read_journal(journal.path.read_bytes())] == [
                "/photos/first.jpg"]
        assert crash_journal.read_journal(journal.path.read_bytes()) == []
        with pytest.raises(ValueError), journal.decoding("/photos/second.jpg"):
            raise ValueError("a decoder's error")
        assert crash_journal.read_journal(journal.path.read_bytes()) == []
    finally:
        journal.close()
    assert not journal.path.exists()


def test_each_thread_decoding_has_its_slot(tmp_path):
    journal = crash_journal.Journal.create(tmp_path)
    inside, leave = threading.Barrier(9), threading.Event()

    def decode(n: int) -> None:
        with journal.decoding(f"/photos/{n}.jpg"):
            inside.wait()
            leave.wait()

    threads = [threading.Thread(target=decode, args=(n,)) for n in range(8)]
    try:
        for t in threads:
            t.start()
        inside.wait()
        found = crash_journal.read_journal(journal.path.read_bytes())
        assert sorted(c.path for c in found) == sorted(f"/photos/{n}.jpg" for n in range(8))
        leave.set()
        for t in threads:
            t.join()
        assert crash_journal.read_journal(journal.path.read_bytes()) == []
        # Slots come back: far more decodes than slots, one after another, all journalled.
        for n in range(3 * crash_journal.SLOTS):
            with journal.decoding(f"/photos/again-{n}.jpg"):
                pass
        with journal.decoding("/photos/last.jpg"):
            assert [c.path for c in crash_journal.read_journal(journal.path.read_bytes())] == [
                "/photos/last.jpg"]
    finally:
        leave.set()
        journal.close()


def test_a_decode_inside_a_decode_takes_one_slot(tmp_path):
    # A raw's embedded JPEG: images.decode calls itself for the same photo.
    seen = []

    @crash_journal.records_decoding
    def decode(data, path, inner=False):
        if not inner:
            decode(data, path, inner=True)
        seen.append(crash_journal.read_journal(crash_journal.installed().path.read_bytes()))

    crash_journal.install(tmp_path)
    try:
        decode(b"", "/photos/raw.nef")
    finally:
        crash_journal.uninstall()
    assert [[c.path for c in found] for found in seen] == [["/photos/raw.nef"]] * 2
    assert journals(tmp_path) == []


def test_names_that_are_not_utf8_and_relative_paths_come_back_whole(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = os.fsdecode(b"caf\xe9-\xff.jpg")
    journal = crash_journal.Journal.create(tmp_path)
    try:
        with journal.decoding(name):
            (crash,) = crash_journal.read_journal(journal.path.read_bytes())
    finally:
        journal.close()
    assert crash.path == os.path.join(os.getcwd(), name)
    assert not crash.cut
    assert crash.is_path(os.path.join(os.getcwd(), name))


def test_a_path_longer_than_a_slot_keeps_its_start_and_is_known_by_its_digest(tmp_path):
    long = "/photos/" + "a-very-long-folder-name/" * 200 + "photo.jpg"
    assert len(os.fsencode(long)) > crash_journal.PATH_ROOM
    journal = crash_journal.Journal.create(tmp_path)
    try:
        with journal.decoding(long):
            (crash,) = crash_journal.read_journal(journal.path.read_bytes())
    finally:
        journal.close()
    assert crash.cut
    assert long.startswith(crash.path) and len(crash.path) == crash_journal.PATH_ROOM
    assert crash.is_path(long)
    assert not crash.is_path(long[:-9] + "other.jpg")
    assert not crash.is_path(long + "x")
    assert crash.shown_path().endswith("…")


def test_this_process_journal_is_never_read_as_a_dead_one(tmp_path):
    crash_journal.install(tmp_path)
    try:
        with crash_journal.installed().decoding("/photos/now.jpg"):
            assert crash_journal.left_by_crashes(tmp_path) == []
    finally:
        crash_journal.uninstall()
    assert journals(tmp_path) == []


def test_without_a_journal_decoding_is_untouched(tmp_path):
    @crash_journal.records_decoding
    def decode(data, path):
        return path

    assert crash_journal.installed() is None
    assert decode(b"", path="/photos/a.jpg") == "/photos/a.jpg"


def test_the_duplicates_keeper_header_read_is_journalled(tmp_path, monkeypatch):
    """keeper.read_header opens photos with LibRaw and pillow-heif (native code) to rank a
    duplicate group: a crash there must name the photo too."""
    import rawpy
    from photos import make_camera_raw

    from desktop_app.core import keeper

    raw = make_camera_raw(tmp_path / "IMG_0001.CR2", "chelsea")
    journal = crash_journal.install(tmp_path / "data")
    seen = []
    real_imread = rawpy.imread

    def imread(source):
        seen.extend(c.path for c in crash_journal.read_journal(journal.path.read_bytes()))
        return real_imread(source)

    monkeypatch.setattr(rawpy, "imread", imread)  # LibRaw opened by camera_raw for keeper
    try:
        assert keeper.read_header(str(raw)).pixels == 450 * 300
    finally:
        crash_journal.uninstall()
    assert seen == [str(raw)]


def test_a_journal_from_before_the_computer_started_blames_no_photo(tmp_path, monkeypatch):
    # A power cut or a reset: the process did not crash, and its slots are whatever the disk
    # was last given (the photos being decoded some seconds before), never to be blamed.
    if sys.platform.startswith("linux"):
        assert crash_journal._boot_id()  # the real one is known there
    monkeypatch.setattr(crash_journal, "_boot_id", lambda: b"the boot it ran in")
    journal = crash_journal.Journal.create(tmp_path)
    try:
        journal.enter("/photos/innocent.jpg")  # never left: the computer stopped
        data = journal.path.read_bytes()
    finally:
        journal.close()
    assert [c.path for c in crash_journal.read_journal(data)] == ["/photos/innocent.jpg"]

    monkeypatch.setattr(crash_journal, "_boot_id", lambda: b"the boot after")

    assert crash_journal.read_journal(data) == []


def test_a_crash_before_the_computer_started_again_still_blames_its_photo(tmp_path,
                                                                          monkeypatch):
    # faulthandler's report: the process died of its decoder, whatever came after.
    done = run_child(tmp_path, "segv", "/photos/innocent.jpg", "/photos/hostile.nef")
    assert done.returncode == -signal.SIGSEGV, done.stderr
    monkeypatch.setattr(crash_journal, "_boot_id", lambda: b"the boot after")

    assert [c.path for c in crash_journal.left_by_crashes(tmp_path)] == ["/photos/hostile.nef"]


def test_a_slot_holding_what_no_path_holds_is_passed_over(tmp_path):
    # A torn slot's zeros: a path with a NUL byte would stop the start that records it
    # (os.stat raises ValueError).
    journal = crash_journal.Journal.create(tmp_path)
    try:
        journal.enter("/photos/a\0.jpg")
        journal.enter("/photos/b.jpg")
        found = crash_journal.read_journal(journal.path.read_bytes())
    finally:
        journal.close()
    assert [c.path for c in found] == ["/photos/b.jpg"]


def test_a_dead_journal_is_read_once_where_an_open_file_cannot_be_removed(tmp_path,
                                                                          monkeypatch):
    # Windows: os.unlink of a file this process holds open fails. The journal was read, kept,
    # and its photo blamed again at every start (even once re-saved and read again).
    run_child(tmp_path, "exit", "/photos/a.jpg")
    held: dict[int, str] = {}
    real_open, real_close, real_unlink = os.open, os.close, os.unlink

    def opening(path, flags, *args, **kwargs):
        fd = real_open(path, flags, *args, **kwargs)
        held[fd] = os.path.abspath(path)
        return fd

    def closing(fd):
        held.pop(fd, None)
        real_close(fd)

    def unlinking(path, *args, **kwargs):
        if os.path.abspath(path) in held.values():
            raise PermissionError(13, "The process cannot access the file because it is being "
                                  "used by another process", str(path))
        real_unlink(path, *args, **kwargs)

    with monkeypatch.context() as windows:
        windows.setattr(os, "open", opening)
        windows.setattr(os, "close", closing)
        windows.setattr(os, "unlink", unlinking)
        assert [c.path for c in crash_journal.left_by_crashes(tmp_path)] == ["/photos/a.jpg"]
        assert journals(tmp_path) == []
        assert crash_journal.left_by_crashes(tmp_path) == []
