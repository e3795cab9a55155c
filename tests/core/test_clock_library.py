"""File times as a FAT or exFAT drive (SD card, USB stick) gives them: shifted by whole hours after
a daylight-saving change or a trip (the drive stores local time), and kept in 2 s steps with the
change time equal to the mtime (Linux 5.19 and later). Real files, a real SQLite library and the
tiny real ONNX model; times set with os.utime."""

from __future__ import annotations

import os
import time

import pytest
from photos import make_photo, pad_to_same_size
from tiny_model import make_tiny_model
from work_counts import count_work

from desktop_app.core import scan
from desktop_app.core.encoder import load_encoder
from desktop_app.core.library import PhotoLibrary

pytestmark = pytest.mark.skipif(os.name == "nt", reason="st_ctime is the creation time there")


def shift_times(folder, seconds: int) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            st = os.stat(path)
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 10**9))


def test_times_moved_by_an_hour_keep_every_code_group_and_failed_record(
        library, store, album, tmp_path, monkeypatch):
    (album / "broken.jpg").write_bytes(b"\xff\xd8\xff not a whole photo")
    first = library.index_folder(album)
    assert (first.added, first.failed) == (5, 1)
    other = load_encoder(make_tiny_model(tmp_path / "other-model", seed=1, name="other"),
                         intra_op_threads=1)
    PhotoLibrary(store, other, activate_if_none=False).index_folder(album)  # its codes too
    codes = store.query("SELECT photo_id, model_id, code FROM codes ORDER BY 1, 2")
    assert len(codes) == 10
    photos, groups = library.photos(), library.duplicates()
    assert groups  # chelsea and its copy

    shift_times(album, 3600)  # the drive read an hour later in the year (or a time zone east)
    work = count_work(monkeypatch, library)
    report = library.index_folder(album)
    # Every file is read to learn that its content is the same: the unavoidable cost.
    assert work == {"read": 6, "decode": 1, "encode": 0}  # decoded: only the broken one again
    assert (report.unchanged, report.updated, report.added, report.failed) == (6, 0, 0, 0)
    assert report.errors == []  # the photo that failed before is not reported again
    assert store.query("SELECT photo_id, model_id, code FROM codes ORDER BY 1, 2") == codes
    assert [(p.id, p.path, p.status, p.error) for p in library.photos()] == [
        (p.id, p.path, p.status, p.error) for p in photos]
    assert library.duplicates() == groups
    # The new times are recorded: the next run reads nothing.
    work.update(read=0, decode=0)
    assert library.index_folder(album).unchanged == 6 and work["read"] == 0


def test_retrying_a_failed_photo_still_says_it_failed(library, album):
    (album / "broken.jpg").write_bytes(b"\xff\xd8\xff not a whole photo")
    library.index_folder(album)
    report = library.retry_failed()
    assert (report.failed, report.unchanged) == (1, 0) and report.errors
    assert library.index_folders([album], retry_failed=True)[0].failed == 1


@pytest.fixture
def fat_times(monkeypatch):
    """Change times as vfat reports them (Linux 5.19 and later): the mtime itself."""
    monkeypatch.setattr(scan, "change_time", lambda st: st.st_mtime_ns)


def to_fat_step(path, seconds: int) -> None:
    os.utime(path, (seconds, seconds))


@pytest.mark.parametrize("how", ["index_paths", "index_folder"])  # index_paths: the watcher's
def test_a_photo_rewritten_in_the_same_2_s_step_as_it_was_read_is_encoded_again(
        library, tmp_path, fat_times, how):
    folder = tmp_path / "card"
    path = make_photo(folder / "DSC0001.jpg", "chelsea")
    other = make_photo(tmp_path / "outside" / "rocket.jpg", "rocket")
    pad_to_same_size(path, other)
    step = int(time.time()) // 2 * 2  # FAT keeps even seconds: the step the write falls in
    to_fat_step(path, step)
    library.index_folder(folder)  # read while the camera (or an editor) still writes
    old = library.search_index().code_of(library.photo_by_path(path).id).copy()
    new = library.encode_file(other)
    assert (old != new).any()
    path.write_bytes(other.read_bytes())  # saved again, the same size, the same 2 s step
    to_fat_step(path, step)
    report = (library.index_paths([path]) if how == "index_paths"
              else library.index_folder(folder))
    assert report.updated == 1
    assert (library.search_index().code_of(library.photo_by_path(path).id) == new).all()


def test_whole_second_times_long_before_the_read_are_trusted(library, tmp_path, fat_times,
                                                             monkeypatch):
    folder = tmp_path / "card"
    for name in ("chelsea", "coffee"):
        to_fat_step(make_photo(folder / f"{name}.jpg", name), int(time.time()) // 2 * 2 - 3600)
    library.index_folder(folder)
    work = count_work(monkeypatch, library)
    assert library.index_folder(folder).unchanged == 2
    assert work["read"] == 0


@pytest.mark.parametrize("how", ["index_paths", "index_folder"])
def test_a_photo_read_again_for_its_whole_second_time_is_then_trusted(
        library, tmp_path, fat_times, monkeypatch, how):
    """Read once more, and found the same, its record is dated anew: not read at every run."""
    folder = tmp_path / "card"
    paths = [make_photo(folder / "DSC0001.jpg", "chelsea"), folder / "DSC0002.jpg"]
    paths[1].write_bytes(b"\xff\xd8\xff not a whole photo")
    now = time.time()
    for path in paths:
        to_fat_step(path, int(now) // 2 * 2)
    library.index_folder(folder)  # read as it was written
    work = count_work(monkeypatch, library)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 60)  # the next run, a minute later
    for reads in (2, 0, 0):
        work.update(read=0)
        report = (library.index_paths(paths) if how == "index_paths"
                  else library.index_folder(folder))
        assert (report.unchanged, report.failed, report.errors) == (2, 0, [])
        assert work["read"] == reads and work["encode"] == 0
    assert [p.status for p in library.photos()] == ["ok", "failed"]
