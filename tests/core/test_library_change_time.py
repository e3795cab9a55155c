"""A photo rewritten in place keeping its size and mtime (exiftool -P, `cp -p`, `touch -r`) is
encoded again: its inode change time tells. A file with only a new change time (chmod, renamed
away and back) is read and fingerprinted, not decoded or encoded again, and a library made
before change times were kept is upgraded without reading its photos again. Real files, a real
SQLite library and the tiny real ONNX model."""

from __future__ import annotations

import os
import sqlite3

import pytest
from photos import (
    make_photo,
    pad_to_same_size,
    rewrite_keeping_size_and_time,
    wait_past_change_time,
)
from work_counts import count_work

from desktop_app.core import library as library_module
from desktop_app.core import scan
from desktop_app.core.library import PhotoLibrary
from desktop_app.core.store import Store

pytestmark = pytest.mark.skipif(os.name == "nt", reason="st_ctime is the creation time there")

# Known content is looked up per file read for a few files, loaded whole for many: both ways.
BOTH_LOOKUPS = pytest.mark.parametrize("look_up_up_to", [library_module.LOOK_UP_CONTENT_UP_TO, 0],
                                       ids=["one by one", "all at once"])


@pytest.fixture
def rewrite(album, tmp_path):
    """(the album's chelsea.jpg, a photo of a rocket outside the album of the same byte size)."""
    other = make_photo(tmp_path / "outside" / "rocket.jpg", "rocket")
    pad_to_same_size(album / "chelsea.jpg", other)
    return album / "chelsea.jpg", other


def stored_code(library, path):
    return library.search_index().code_of(library.photo_by_path(path).id)


def codes_by_id(library) -> dict[int, bytes]:
    return {p.id: bytes(library.search_index().code_of(p.id)) for p in library.photos()}


@BOTH_LOOKUPS
@pytest.mark.parametrize("how", ["index_folder", "index_paths"])  # index_paths: the watcher's
def test_a_photo_rewritten_keeping_its_size_and_mtime_is_encoded_again(
        library, album, rewrite, monkeypatch, look_up_up_to, how):
    monkeypatch.setattr(library_module, "LOOK_UP_CONTENT_UP_TO", look_up_up_to)
    path, other = rewrite
    library.index_folder(album)
    photo_id = library.photo_by_path(path).id
    old, new = stored_code(library, path).copy(), library.encode_file(other)
    assert (old != new).any()
    rewrite_keeping_size_and_time(path, other.read_bytes())
    if how == "index_folder":
        report = library.index_folder(album)
        assert (report.updated, report.unchanged) == (1, 4)
    else:
        report = library.index_paths([path])
        assert (report.updated, report.unchanged) == (1, 0)
    assert (stored_code(library, path) == new).all()
    assert library.photo_by_path(path).id == photo_id
    assert library.photo_by_path(path).ctime_ns == os.stat(path).st_ctime_ns
    assert library.index_folder(album).unchanged == 5


@BOTH_LOOKUPS
def test_a_photo_with_only_a_new_change_time_is_read_but_not_decoded_or_encoded(
        library, album, monkeypatch, look_up_up_to):
    monkeypatch.setattr(library_module, "LOOK_UP_CONTENT_UP_TO", look_up_up_to)
    library.index_folder(album)
    codes = codes_by_id(library)
    chmodded, renamed = album / "chelsea.jpg", album / "sub" / "coffee.jpg"
    before = {p: os.stat(p).st_ctime_ns for p in (chmodded, renamed)}
    wait_past_change_time(chmodded)
    os.chmod(chmodded, 0o600)
    os.rename(renamed, renamed.with_name("away.jpg"))
    os.rename(renamed.with_name("away.jpg"), renamed)
    assert all(os.stat(p).st_ctime_ns != ctime for p, ctime in before.items())
    work = count_work(monkeypatch, library)
    report = library.index_folder(album)
    assert (report.unchanged, report.updated, report.added, report.moved, report.removed) == (
        5, 0, 0, 0, 0)
    assert work == {"read": 2, "decode": 0, "encode": 0}  # a read and a hash each, no more
    assert codes_by_id(library) == codes
    for p in (chmodded, renamed):  # the new change time is kept: not read again next time
        assert library.photo_by_path(p).ctime_ns == os.stat(p).st_ctime_ns
    report = library.index_folder(album)
    assert report.unchanged == 5 and work == {"read": 2, "decode": 0, "encode": 0}


def test_a_broken_photo_repaired_in_place_keeping_its_size_and_mtime_is_read_again(
        library, album):
    path = album / "chelsea.jpg"
    good = path.read_bytes()
    path.write_bytes(b"\xff" * len(good))  # not a photo, with the size of the good one
    report = library.index_folder(album)
    assert report.failed == 1 and library.photo_by_path(path).status == "failed"
    assert library.index_folder(album).unchanged == 5  # unchanged: not read again
    rewrite_keeping_size_and_time(path, good)
    report = library.index_folder(album)
    assert (report.updated, report.failed) == (1, 0)
    assert library.failed() == [] and library.photo_by_path(path).status == "ok"


def test_without_change_times_size_and_mtime_decide_as_before(library, album, monkeypatch):
    """Where the system has no inode change time (Windows: st_ctime is the creation time
    there), none is kept, and a file with the same size and mtime is not read."""
    monkeypatch.setattr(scan, "change_time", lambda st: None)
    library.index_folder(album)
    assert all(p.ctime_ns is None for p in library.photos())
    wait_past_change_time(album / "chelsea.jpg")
    os.chmod(album / "chelsea.jpg", 0o600)
    work = count_work(monkeypatch, library)
    assert library.index_folder(album).unchanged == 5 and work["read"] == 0


def library_from_before_change_times(path) -> None:
    """Make the library file at `path` what Lookalike left before change times were kept:
    database schema 1, whose photos table has no ctime_ns column."""
    conn = sqlite3.connect(path)
    conn.executescript("ALTER TABLE photos DROP COLUMN ctime_ns; "
                       "DELETE FROM migrations WHERE version > 1; "
                       "UPDATE meta SET value = '1' WHERE key = 'schema_version';")
    conn.close()


def test_a_library_from_before_change_times_is_upgraded_without_reading_its_photos(
        store, tiny_encoder, album, rewrite, monkeypatch):
    path, other = rewrite
    library = PhotoLibrary(store, tiny_encoder, batch_size=4, decode_threads=2)
    library.index_folder(album)
    codes = codes_by_id(library)
    store.close()
    library_from_before_change_times(store.path)
    # Read-only (a read-only disk, where it cannot be upgraded) it is read as it is.
    with Store(store.path, readonly=True) as as_it_is:
        assert as_it_is.schema_version == 1
        reader = PhotoLibrary(as_it_is, tiny_encoder)
        assert codes_by_id(reader) == codes
        assert len(reader.photos()) == 5 and all(p.ctime_ns is None for p in reader.photos())
        assert reader.photo_by_path(path).ctime_ns is None

    with Store(store.path) as upgraded:
        assert upgraded.applied_migrations() == ["001_initial", "002_photo_ctime"]
        library = PhotoLibrary(upgraded, tiny_encoder, batch_size=4, decode_threads=2)
        assert codes_by_id(library) == codes
        assert all(p.ctime_ns is None for p in library.photos())
        work = count_work(monkeypatch, library)
        report = library.index_folder(album)
        # Trusted on size and mtime, as before the upgrade: nothing is read, the change times
        # are kept for next time.
        assert report.unchanged == 5 and work == {"read": 0, "decode": 0, "encode": 0}
        assert all(p.ctime_ns == os.stat(p.path).st_ctime_ns for p in library.photos())
        assert codes_by_id(library) == codes
        # From now on a rewrite in place is seen.
        rewrite_keeping_size_and_time(path, other.read_bytes())
        report = library.index_folder(album)
        assert (report.updated, report.unchanged) == (1, 4) and work["encode"] == 1
        assert (stored_code(library, path) == library.encode_file(other)).all()
