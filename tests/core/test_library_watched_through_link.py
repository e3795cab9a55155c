"""A folder watched through a link (~/Photos -> /data/photos): the window watches it by the name
the user gave, so the watcher reports paths under the link's name, while the library stores the
folder by its real path. A new photo was not indexed ("not saved: another Lookalike process
removed their folder"), and a deleted one stayed in the library, until the next start. Real
SQLite file, tiny real model, real photos."""

from __future__ import annotations

import os

import pytest

from desktop_app.core import library as library_module
from desktop_app.core import scan


@pytest.fixture
def linked(tmp_path, photo_factory):
    """(the real folder, the link to it that is watched), indexed through the link."""
    photo_factory("data/photos/a.jpg", "chelsea")
    photo_factory("data/photos/b.jpg", "coffee")
    photo_factory("data/photos/@eaDir/b.jpg/SYNOPHOTO_THUMB_M.jpg", "coffee", size=(64, 48))
    link = tmp_path / "Photos"
    os.symlink(tmp_path / "data" / "photos", link)
    return tmp_path / "data" / "photos", link


def paths(library) -> list[str]:
    return sorted(p.path for p in library.photos())


def test_changes_reported_under_the_links_name_are_indexed(library, linked, photo_factory):
    real, link = linked
    library.index_folder(link)
    assert [f.path for f in library.folders()] == [str(real)]
    photo_factory("data/photos/new.jpg", "rocket")
    report = library.index_paths([str(link / "new.jpg")])
    assert (report.added, report.errors) == (1, [])
    assert paths(library) == [str(real / name) for name in ("a.jpg", "b.jpg", "new.jpg")]
    # The folder reported whole (back after a drive was unplugged, events lost): only checked.
    report = library.index_paths([str(link)])
    assert (report.added, report.unchanged, report.errors) == (0, 3, [])


def test_removals_reported_under_the_links_name_leave(library, linked, monkeypatch):
    real, link = linked
    with monkeypatch.context() as old:  # a version that indexed @eaDir's thumbnails
        old.setattr(scan, "left_out", lambda name, holder="": False)
        old.setattr(library_module, "left_out", lambda name, holder="": False)
        library.index_folder(link)
    assert len(library.photos()) == 3
    (real / "a.jpg").unlink()
    (real / "@eaDir" / "b.jpg" / "SYNOPHOTO_THUMB_M.jpg").unlink()
    assert library.remove_paths([str(link / "a.jpg"),
                                 str(link / "@eaDir" / "b.jpg" / "SYNOPHOTO_THUMB_M.jpg")]) == 2
    assert paths(library) == [str(real / "b.jpg")]
    # A file still there is kept, whatever the name it is reported by.
    assert library.remove_paths([str(link / "b.jpg")]) == 0
    # Deleted, reported as a change (a move's old name): gone too.
    (real / "b.jpg").unlink()
    library.index_paths([str(link / "b.jpg")])
    assert paths(library) == []
