"""Files that trade names while the app is closed (two photos swapped through a temporary
name; a folder renumbered by a renaming tool, IMG_0002 becoming IMG_0003 and so on): each file's
content already has codes, under the record of another file that is still there. Each photo
must end with the codes of its own picture, also when the run has committed the new content of
a record before another file takes that record's old codes (a big folder commits every 256
rows or 2 s; here every row). Real files, a real SQLite library and the tiny real ONNX model."""

from __future__ import annotations

import os

import pytest
from photos import make_photo

from desktop_app.core import library as library_module

NAMES = ("astronaut", "chelsea", "coffee", "rocket", "retina", "colorwheel")


@pytest.fixture
def commits_every_row(monkeypatch):
    # As in a folder of hundreds of changed photos: every fingerprint read at once, and this
    # run's writes committed while it goes on.
    monkeypatch.setattr(library_module, "LOOK_UP_CONTENT_UP_TO", 0)
    monkeypatch.setattr(library_module, "COMMIT_ROWS", 1)


def _codes_are_their_own(library, folder) -> None:
    index = library.search_index()
    for path in sorted(folder.iterdir()):
        photo = library.photo_by_path(path)
        assert (index.code_of(photo.id) == library.encode_file(path)).all(), path.name


def test_two_photos_that_swapped_names_keep_their_own_codes(library, tmp_path,
                                                            commits_every_row):
    folder = tmp_path / "album"
    a = make_photo(folder / "a.jpg", "chelsea")
    b = make_photo(folder / "b.jpg", "rocket")
    make_photo(folder / "c.jpg", "coffee")
    library.index_folder(folder)
    os.rename(a, folder / "swap.jpg")
    os.rename(b, a)
    os.rename(folder / "swap.jpg", b)
    report = library.index_folder(folder)
    # Each record follows its file.
    assert (report.moved, report.unchanged, report.removed) == (2, 1, 0)
    _codes_are_their_own(library, folder)
    assert library.index_folder(folder).unchanged == 3


def test_a_renumbered_folder_keeps_each_photos_own_codes(library, tmp_path, commits_every_row):
    folder = tmp_path / "album"
    for number, name in enumerate(NAMES, 1):
        make_photo(folder / f"IMG_{number:04d}.jpg", name, size=(96, 64))
    library.index_folder(folder)
    for number in range(len(NAMES), 0, -1):  # each name one up, the last first
        os.rename(folder / f"IMG_{number:04d}.jpg", folder / f"IMG_{number + 1:04d}.jpg")
    report = library.index_folder(folder)
    assert report.failed == 0 and len(library.photos()) == len(NAMES)
    _codes_are_their_own(library, folder)
