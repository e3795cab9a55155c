"""A photo a decoder crashed Lookalike on (core/crash_journal.py) is recorded as failed by the
next start (library.record_crashes): no index reads it again until it changes, the grid and
searches leave it out, and trying failed photos again reads it. Real SQLite file, tiny real
model, real photos."""

from __future__ import annotations

import os
import time

import pytest
from photos import make_photo

from desktop_app.core import crash_journal, images
from desktop_app.core.library import record_crashes
from desktop_app.core.records import STATUS_FAILED, STATUS_OK


@pytest.fixture
def decoded(monkeypatch) -> list[str]:
    """The paths the indexer decodes."""
    seen: list[str] = []
    decode = images.decode

    def recording(data, path, *args, **kwargs):
        seen.append(os.fspath(path))
        return decode(data, path, *args, **kwargs)

    monkeypatch.setattr(images, "decode", recording)
    return seen


def crash_on(path) -> crash_journal.Crash:
    return crash_journal.Crash(os.fspath(path), time.time(), by_report=True)


def test_an_indexed_photo_that_crashed_its_thumbnail_is_left_out_until_tried_again(
        library, store, album, decoded):
    library.index_folder(album)
    chelsea = str(album / "chelsea.jpg")
    photo_id = library.photo_by_path(chelsea).id
    assert library.search_index().code_of(photo_id) is not None

    recorded, unrecorded = record_crashes(store, [crash_on(chelsea)])

    assert unrecorded == [] and [path for path, _ in recorded] == [chelsea]
    photo = library.photo_by_path(chelsea)
    assert photo.id == photo_id and photo.status == STATUS_FAILED
    assert photo.error == recorded[0][1]
    assert photo.error.startswith(f"{chelsea}: Lookalike stopped while reading this photo on ")
    assert "(its decoder crashed)" in photo.error and "read again when the file changes" in (
        photo.error)
    # Neither the grid (readable photos only) nor a search shows it: no thumbnail is made.
    assert library.search_index().code_of(photo_id) is None
    assert chelsea in {p.path for p in library.failed()}

    decoded.clear()
    report = library.index_folder(album)
    assert decoded == [] and report.failed == 0
    assert library.photo_by_path(chelsea).status == STATUS_FAILED

    report = library.retry_failed()  # "Try these photos again", `index --retry-failed`
    assert decoded == [chelsea] and report.updated == 1
    assert library.photo_by_path(chelsea).status == STATUS_OK
    assert library.search_index().code_of(photo_id) is not None


def test_a_new_photo_that_crashed_the_indexer_is_read_again_only_once_changed(
        library, store, album, decoded):
    library.add_folder(album)
    coffee = str(album / "sub" / "coffee.jpg")
    (recorded, unrecorded) = record_crashes(store, [crash_on(coffee)])
    assert [path for path, _ in recorded] == [coffee] and unrecorded == []

    report = library.index_folder(album)

    assert coffee not in decoded
    assert report.added == 4 and report.failed == 0 and report.unchanged == 1
    assert library.photo_by_path(coffee).status == STATUS_FAILED

    make_photo(album / "sub" / "coffee.jpg", "coffee", quality=60)  # re-saved
    decoded.clear()
    report = library.index_folder(album)
    assert decoded == [coffee] and report.updated == 1
    assert library.photo_by_path(coffee).status == STATUS_OK


def test_a_photo_outside_the_library_is_only_said_and_one_gone_is_neither(
        library, store, album, tmp_path, photo_factory):
    library.index_folder(album)
    dropped = photo_factory("Downloads/dropped.jpg", "rocket")
    gone = album / "astronaut.png"
    gone.unlink()
    before = [(p.path, p.status) for p in library.photos()]

    recorded, unrecorded = record_crashes(store, [crash_on(dropped), crash_on(gone)])

    assert recorded == []
    assert [c.path for c in unrecorded] == [str(dropped)]
    assert [(p.path, p.status) for p in library.photos()] == before
    assert unrecorded[0].notice().startswith(f"{dropped}: Lookalike stopped while reading")


def test_a_photo_whose_path_was_too_long_for_its_slot_is_found_in_the_library(
        library, store, tmp_path, tmp_path_factory):
    # Linux takes paths up to 4095 bytes; a slot keeps 4064 of them.
    top = tmp_path / "deep"
    folder = top
    while len(os.fsencode(str(folder))) < crash_journal.PATH_ROOM - 200:
        folder = folder / ("d" * 200)
    name = "p" * (crash_journal.PATH_ROOM + 20 - len(os.fsencode(str(folder))) - 5) + ".jpg"
    photo = make_photo(folder / name, "chelsea", size=(120, 80))
    assert crash_journal.PATH_ROOM < len(os.fsencode(str(photo))) < 4096
    library.index_folder(top)
    journal = crash_journal.Journal.create(tmp_path_factory.mktemp("journal"))
    try:
        with journal.decoding(photo):
            (crash,) = crash_journal.read_journal(journal.path.read_bytes())
    finally:
        journal.close()
    assert crash.cut

    recorded, unrecorded = record_crashes(store, [crash])

    assert [path for path, _ in recorded] == [str(photo)] and unrecorded == []
    assert library.photo_by_path(photo).status == STATUS_FAILED
    assert library.photo_by_path(photo).error.startswith(f"{photo}: ")
