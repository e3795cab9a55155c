"""Whole-second file times (FAT, HFS+, some shares): a photo rewritten with the same size in the
same step as the read that indexed it keeps size and mtime, so a record read that close to its
mtime is read again next run (library.RACY_S). "That close" is measured from when the file was
read, not from when its record was written: under load (slow decodes, a long batch) the write
comes many seconds later. Real files, a real SQLite library and the tiny real ONNX model; the
clock moves on only at the encoder, the expensive step between the read and the write."""

from __future__ import annotations

import os
import time

import pytest
from photos import make_photo, pad_to_same_size

from desktop_app.core import images, scan

pytestmark = pytest.mark.skipif(os.name == "nt", reason="st_ctime is the creation time there")


@pytest.fixture
def fat_times(monkeypatch):
    """Change times as vfat reports them (Linux 5.19 and later): the mtime itself."""
    monkeypatch.setattr(scan, "change_time", lambda st: st.st_mtime_ns)


def to_fat_step(path, seconds: int) -> None:
    os.utime(path, (seconds, seconds))


def encoding_takes(monkeypatch, library, seconds: float) -> None:
    """From the first encoder call on, the wall clock reads `seconds` later: every record is
    written that long after its file was read."""
    real_time, real_encode = time.time, library.encoder.encode_pixels
    shift = [0.0]
    monkeypatch.setattr(time, "time", lambda: real_time() + shift[0])

    def slow(*args, **kwargs):
        shift[0] = seconds
        return real_encode(*args, **kwargs)

    monkeypatch.setattr(library.encoder, "encode_pixels", slow)


@pytest.mark.parametrize("how", ["index_paths", "index_folder"])  # index_paths: the watcher's
def test_a_rewrite_in_the_step_of_a_read_whose_record_was_written_late_is_seen(
        library, tmp_path, fat_times, monkeypatch, how):
    folder = tmp_path / "card"
    path = make_photo(folder / "DSC0001.jpg", "chelsea")
    other = make_photo(tmp_path / "outside" / "rocket.jpg", "rocket")
    pad_to_same_size(path, other)
    new = library.encode_file(other)
    step = int(time.time()) // 2 * 2  # FAT keeps even seconds: the step the write falls in
    to_fat_step(path, step)
    encoding_takes(monkeypatch, library, 60)  # the record is written a minute after the read
    library.index_folder(folder)  # read while the camera (or an editor) still writes
    photo = library.photo_by_path(path)
    assert (library.search_index().code_of(photo.id) != new).any()
    path.write_bytes(other.read_bytes())  # saved again, the same size, the same 2 s step
    to_fat_step(path, step)
    report = (library.index_paths([path]) if how == "index_paths"
              else library.index_folder(folder))
    assert (report.updated, report.unchanged) == (1, 0)
    assert (library.search_index().code_of(photo.id) == new).all()


def test_a_rewrite_in_the_step_of_a_slow_read_of_a_moved_photo_is_seen(
        library, tmp_path, fat_times, monkeypatch):
    """A move keeps the record (and its codes) under the new name: dated by the read too."""
    folder = tmp_path / "card"
    old = make_photo(folder / "DSC0001.jpg", "chelsea")
    other = make_photo(tmp_path / "outside" / "rocket.jpg", "rocket")
    pad_to_same_size(old, other)
    new = library.encode_file(other)
    library.index_folder(folder)
    photo = library.photo_by_path(old)
    moved = folder / "holiday.jpg"
    old.rename(moved)
    step = int(time.time()) // 2 * 2
    to_fat_step(moved, step)
    real_time, real_read = time.time, images.read_bytes
    shift = [0.0]
    monkeypatch.setattr(time, "time", lambda: real_time() + shift[0])

    def slow_read(*args, **kwargs):  # a big file on a slow share: a minute to read
        data = real_read(*args, **kwargs)
        shift[0] = 60.0
        return data

    monkeypatch.setattr(images, "read_bytes", slow_read)
    assert library.index_folder(folder).moved == 1
    assert library.photo_by_path(moved).id == photo.id
    moved.write_bytes(other.read_bytes())  # saved again, the same size, the same 2 s step
    to_fat_step(moved, step)
    report = library.index_folder(folder)
    assert (report.updated, report.unchanged) == (1, 0)
    assert (library.search_index().code_of(photo.id) == new).all()
