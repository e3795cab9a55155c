"""A folder link inside a library folder (~/Pictures/trip -> /data/trip): the walk of the
library folder names its photos through the link. Asked to index the link itself, or a folder
under it (the watcher's changes), the library names them the same way: they are indexed once,
not refused as "not saved: another Lookalike process removed their folder". Real files, a real
SQLite library and the tiny real ONNX model."""

from __future__ import annotations

import os

import pytest
from photos import make_photo

pytestmark = pytest.mark.skipif(os.name == "nt", reason="folder links need rights on Windows")


def test_a_folder_link_indexed_from_the_watcher_is_named_as_the_walk_names_it(library, tmp_path):
    album = tmp_path / "album"
    make_photo(album / "home.jpg", "astronaut")
    elsewhere = tmp_path / "data" / "trip"
    make_photo(elsewhere / "coffee.jpg", "coffee")
    make_photo(elsewhere / "day2" / "rocket.jpg", "rocket")
    library.index_folder(album)
    os.symlink(elsewhere, album / "trip")  # made while the app runs

    report = library.index_paths([album / "trip"])
    assert (report.added, report.errors) == (2, [])
    assert sorted(p.path for p in library.photos()) == [
        str(album / "home.jpg"), str(album / "trip" / "coffee.jpg"),
        str(album / "trip" / "day2" / "rocket.jpg")]
    assert library.index_folder(album).unchanged == 3  # the same records the walk makes

    make_photo(elsewhere / "day2" / "chelsea.jpg", "chelsea")
    report = library.index_paths([album / "trip" / "day2"])
    assert (report.added, report.removed, report.errors) == (1, 0, [])
    assert library.photo_by_path(album / "trip" / "day2" / "chelsea.jpg") is not None
    assert len(library.photos()) == 4
