"""Photo folders as people have them, holding another photo app's library or export.

A Mac's ~/Pictures holds the Photos library, a folder ("package") with each photo 3 to 5 times:
the original and thumbnails, previews and edited renders, all JPEGs. Indexed whole, every search
and duplicate group showed each photo several times. Only a library's originals are indexed
(scan.APP_LIBRARIES); the watcher drops what the app writes elsewhere in it later. Other apps
(Lightroom, Capture One, Windows, Picasa, QNAP, digiKam, darktable, Google Takeout) keep their
caches in files that are no photos or in hidden folders: checked here as they are.
"""

from __future__ import annotations

import os

import pytest

from desktop_app.core import scan

PHOTOS = "Pictures/Photos Library.photoslibrary"


def names(library) -> list[str]:
    return sorted(os.path.basename(p.path) for p in library.photos())


def walked(root) -> list[str]:
    """The files the walk of `root` finds, relative to it."""
    found = scan.scan_folder(root)
    assert not found.problems
    return sorted(os.path.relpath(f.path, found.root) for f in found.files)


def make_photos_library(photo_factory, lib: str = PHOTOS) -> None:
    """Photos 5 and later: originals/, and JPEG copies of each in resources/ and elsewhere."""
    photo_factory(f"{lib}/originals/4/4A1B-CAT.jpeg", "chelsea")
    photo_factory(f"{lib}/originals/9/9C2D-MUG.heic", "coffee")
    for copy in ("resources/derivatives/4/4A1B-CAT_1_105_c.jpeg",
                 "resources/derivatives/masters/4/4A1B-CAT_4_5005_c.jpeg",  # not the originals
                 "resources/renders/4/4A1B-CAT_1_201_a.jpeg",  # an edit: its original is there
                 "resources/proxies/derivatives/4A/4A1B-CAT.jpg",
                 "private/com.apple.photoanalysisd/caches/vision/4A1B-CAT.jpg",
                 "scopes/cloudsharing/data/12/4A1B/IMG_0001.JPG",
                 "database/search/preview.png"):
        photo_factory(f"{lib}/{copy}", "chelsea", size=(96, 64))


def test_a_photos_library_in_pictures_is_indexed_once_a_photo(library, photo_factory,
                                                              tmp_path):
    make_photos_library(photo_factory)
    photo_factory("Pictures/trip/rocket.jpg", "rocket")
    report = library.index_folder(tmp_path / "Pictures")
    assert (report.added, report.failed) == (3, 0)
    assert names(library) == ["4A1B-CAT.jpeg", "9C2D-MUG.heic", "rocket.jpg"]


def test_the_watcher_filter_agrees_with_the_walk(tmp_path, photo_factory):
    make_photos_library(photo_factory)
    photo_factory("Pictures/@eaDir/rocket.jpg/SYNOPHOTO_THUMB_M.jpg", "rocket")
    photo_factory("Pictures/.thumbnails/rocket.jpg", "rocket")
    pictures = str(tmp_path / "Pictures")
    every = {os.path.join(d, f) for d, _, files in os.walk(pictures) for f in files}
    found = {f.path for f in scan.scan_folder(pictures).files}
    assert found == {p for p in every if not scan.hidden_below(p, pictures)}
    assert len(found) == 2


@pytest.mark.parametrize(("package", "originals", "copies"), [
    # Photos 1-4 (before macOS 10.15)
    ("Photos Library.photoslibrary", "Masters", ["Thumbnails", "Previews",
                                                 "resources/proxies/derivatives"]),
    # iPhoto 9 and later; iPhoto 8 kept Originals/ and the edits in Modified/
    ("iPhoto Library.photolibrary", "Masters", ["Previews", "Thumbnails", "Data"]),
    ("iPhoto Library.photolibrary", "Originals", ["Modified", "Data"]),
    ("Aperture Library.aplibrary", "Masters", ["Previews", "Thumbnails", "Database"]),
])
def test_older_apple_libraries_give_their_originals_only(tmp_path, photo_factory, package,
                                                         originals, copies):
    photo_factory(f"Pictures/{package}/{originals}/2014/07/21/IMG_0042.JPG", "astronaut")
    for folder in copies:
        photo_factory(f"Pictures/{package}/{folder}/2014/07/21/IMG_0042.jpg", "astronaut",
                      size=(96, 96))
    photo_factory(f"Pictures/{package}/AlbumData.jpg", "astronaut", size=(96, 96))
    assert walked(tmp_path / "Pictures") == [
        f"{package}/{originals}/2014/07/21/IMG_0042.JPG"]


def test_the_suffix_and_the_originals_folder_match_whatever_their_case(tmp_path, photo_factory):
    photo_factory("Old Photos.PHOTOSLIBRARY/ORIGINALS/a.jpg", "cat")
    photo_factory("Old Photos.PHOTOSLIBRARY/Resources/a.jpg", "cat", size=(64, 64))
    assert walked(tmp_path) == ["Old Photos.PHOTOSLIBRARY/ORIGINALS/a.jpg"]


def test_what_photos_writes_later_in_its_library_is_not_indexed(library, photo_factory,
                                                                tmp_path):
    make_photos_library(photo_factory)
    library.index_folder(tmp_path / "Pictures")
    pictures = str(tmp_path / "Pictures")
    thumb = photo_factory(f"{PHOTOS}/resources/derivatives/9/9C2D-MUG_1_105_c.jpeg", "coffee",
                          size=(96, 64))
    new_folder = tmp_path / PHOTOS / "resources" / "renders" / "9"
    photo_factory(f"{PHOTOS}/resources/renders/9/9C2D-MUG_1_201_a.jpeg", "coffee")
    imported = photo_factory(f"{PHOTOS}/originals/F/F00D-NEW.jpeg", "rocket")
    # What the watcher drops (its filter is hidden_below), and what the library would do if told.
    assert scan.hidden_below(str(thumb), pictures)
    assert scan.hidden_below(str(new_folder), pictures)
    assert not scan.hidden_below(str(imported), pictures)
    report = library.index_paths([str(thumb), str(new_folder), str(imported)])
    assert (report.added, report.failed) == (1, 0)
    assert names(library) == ["4A1B-CAT.jpeg", "9C2D-MUG.heic", "F00D-NEW.jpeg"]


def test_a_library_or_a_folder_in_it_watched_on_purpose_is_walked(library, photo_factory,
                                                                  tmp_path):
    make_photos_library(photo_factory)
    package = tmp_path / PHOTOS
    # The library itself: its photos, once each.
    assert walked(package) == ["originals/4/4A1B-CAT.jpeg", "originals/9/9C2D-MUG.heic"]
    # Its previews, chosen: a watched folder is never skipped, nor what lies in it.
    derivatives = package / "resources" / "derivatives"
    assert walked(derivatives) == ["4/4A1B-CAT_1_105_c.jpeg", "masters/4/4A1B-CAT_4_5005_c.jpeg"]
    report = library.index_folder(derivatives)
    assert (report.added, report.failed) == (2, 0)
    later = photo_factory(f"{PHOTOS}/resources/derivatives/9/9C2D-MUG_1_105_c.jpeg", "coffee")
    assert not scan.hidden_below(str(later), str(derivatives))
    assert library.index_paths([str(later)]).added == 1


def test_lightroom_previews_are_caches_the_walk_leaves(tmp_path, photo_factory):
    # Lightroom Classic's catalog folder: its previews are .lrprev files, its smart previews
    # DNGs (neither read as photos), in .lrdata folders of hundreds of thousands of them.
    lightroom = tmp_path / "Pictures" / "Lightroom"
    previews = lightroom / "Lightroom Catalog Previews.lrdata" / "0" / "0A1B"
    smart = lightroom / "Lightroom Catalog Smart Previews.lrdata" / "1" / "1F2E"
    for folder, name in ((previews, "0A1B-2C3D-4263.lrprev"), (smart, "1F2E-7A8B.dng")):
        folder.mkdir(parents=True)
        (folder / name).write_bytes(b"AgHg\0\0\0\1")
    (lightroom / "Lightroom Catalog.lrcat").write_bytes(b"SQLite format 3\0")
    photo_factory("Pictures/2019/IMG_0001.jpg", "cat")
    assert walked(tmp_path / "Pictures") == ["2019/IMG_0001.jpg"]
    # Nor does the watcher look there, whatever Lightroom writes.
    assert scan.hidden_below(str(smart / "1F2E-7A8B.jpg"), str(tmp_path / "Pictures"))


def test_other_apps_caches_are_not_photos_and_their_exports_are(tmp_path, photo_factory):
    root = tmp_path / "Pictures"
    # Capture One session: its cache is .cot/.cop files; Output holds the user's exports.
    photo_factory("Pictures/Session/Capture/IMG_1.jpg", "astronaut")
    cache = root / "Session" / "Capture" / "CaptureOne" / "Cache"
    for name in ("Thumbnails/IMG_1.jpg.cot", "Proxies/IMG_1.jpg.cop"):
        (cache / name).parent.mkdir(parents=True, exist_ok=True)
        (cache / name).write_bytes(b"\0" * 16)
    photo_factory("Pictures/Session/Output/IMG_1.jpg", "astronaut", size=(200, 200))
    # Windows, Picasa, QNAP, digiKam, darktable: no photo names, or hidden folders.
    for name in ("Thumbs.db", "desktop.ini", "ehthumbs.db", "digikam4.db",
                 "thumbnails-digikam.db", "IMG_1.jpg.xmp", ".picasa.ini"):
        (root / "Session" / "Capture" / name).write_bytes(b"\0")
    photo_factory("Pictures/Session/Capture/.picasaoriginals/IMG_1.jpg", "astronaut")
    photo_factory("Pictures/Session/Capture/.@__thumb/s100IMG_1.jpg", "astronaut", size=(99, 99))
    photo_factory("Pictures/Session/Capture/darktable_exported/IMG_1.jpg", "astronaut")
    # Google Takeout: a JSON sidecar per photo; an "-edited" copy is the user's own edit.
    takeout = "Takeout/Google Photos/Photos from 2019"
    photo_factory(f"Pictures/{takeout}/IMG_2.jpg", "coffee")
    photo_factory(f"Pictures/{takeout}/IMG_2-edited.jpg", "coffee", size=(300, 200))
    (root / takeout / "IMG_2.jpg.json").write_text('{"title": "IMG_2.jpg"}')
    assert walked(root) == [
        "Session/Capture/IMG_1.jpg", "Session/Capture/darktable_exported/IMG_1.jpg",
        "Session/Output/IMG_1.jpg",
        "Takeout/Google Photos/Photos from 2019/IMG_2-edited.jpg",
        "Takeout/Google Photos/Photos from 2019/IMG_2.jpg"]
