"""A folder link in a library folder that leads back to a folder holding it (`up -> ..`; a
link to the home folder in ~/Pictures): the walk of the library folder never follows it. Asked
to index the link, or a folder through it (the watcher's changes), the library does not walk
it either: walked under the link's name, every photo of the folder it leads to got a second
record, which no later walk swept (the file is there). Real files, a real SQLite library and
the tiny real ONNX model."""

from __future__ import annotations

import os

import pytest
from photos import make_photo

pytestmark = pytest.mark.skipif(os.name == "nt", reason="folder links need rights on Windows")


def _names(library, top) -> list[str]:
    return sorted(os.path.relpath(p.path, top) for p in library.photos())


def test_a_link_back_up_indexed_from_the_watcher_adds_no_second_records(library, tmp_path):
    album = tmp_path / "album"
    make_photo(album / "home.jpg", "astronaut")
    make_photo(album / "sub" / "coffee.jpg", "coffee")
    library.index_folder(album)
    os.symlink(album, album / "sub" / "up")  # made while the app runs

    for changed in (album / "sub" / "up", album / "sub" / "up" / "sub"):
        report = library.index_paths([changed])
        assert (report.added, report.removed, report.errors) == (0, 0, []), changed
    assert _names(library, album) == ["home.jpg", "sub/coffee.jpg"]
    assert library.index_folder(album).unchanged == 2 and len(library.photos()) == 2


def test_a_link_to_the_folder_around_the_library_folder_is_not_walked(library, tmp_path):
    home = tmp_path / "home"
    pictures = home / "Pictures"
    make_photo(pictures / "home.jpg", "astronaut")
    make_photo(home / "Downloads" / "coffee.jpg", "coffee")
    library.index_folder(pictures)
    os.symlink(home, pictures / "my home")

    report = library.index_paths([pictures / "my home"])
    assert (report.added, report.errors) == (0, [])
    assert _names(library, pictures) == ["home.jpg"]
    assert library.index_folder(pictures).unchanged == 1 and len(library.photos()) == 1
