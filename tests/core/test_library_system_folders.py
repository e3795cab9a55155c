"""The folders that file servers and systems make among photos (a Synology NAS's @eaDir holds a
thumbnail of every photo, #recycle the deleted ones) are left out, as hidden folders are: their
pictures were indexed as photos, and every search and duplicate group showed each photo twice."""

from __future__ import annotations

from desktop_app.core import scan


def names(library) -> list[str]:
    return sorted(p.path.rsplit("/", 1)[-1] for p in library.photos())


def make_nas_album(photo_factory):
    photo_factory("nas/chelsea.jpg", "chelsea")
    photo_factory("nas/@eaDir/chelsea.jpg/SYNOPHOTO_THUMB_XL.jpg", "chelsea", size=(96, 64))
    photo_factory("nas/#recycle/old.jpg", "rocket")
    photo_factory("nas/trip/coffee.jpg", "coffee")
    photo_factory("nas/trip/$RECYCLE.BIN/S-1-5-21/$R0AB12.jpg", "coffee")


def test_nas_thumbnails_and_recycle_bins_are_not_indexed(library, photo_factory, tmp_path):
    make_nas_album(photo_factory)
    report = library.index_folder(tmp_path / "nas")
    assert (report.added, report.failed) == (2, 0)
    assert names(library) == ["chelsea.jpg", "coffee.jpg"]


def test_changes_inside_a_system_folder_are_not_photos(library, photo_factory, tmp_path):
    make_nas_album(photo_factory)
    library.index_folder(tmp_path / "nas")
    thumb = photo_factory("nas/@eaDir/coffee.jpg/SYNOPHOTO_THUMB_M.jpg", "coffee")
    assert scan.hidden_below(str(thumb), str(tmp_path / "nas"))  # the watcher drops it
    library.index_paths([str(thumb)])
    assert names(library) == ["chelsea.jpg", "coffee.jpg"]
