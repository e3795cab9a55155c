"""Photos an earlier version indexed in folders the walk now skips (a Photos library's thumbnails,
previews and renders, 3 to 5 a photo; a NAS's @eaDir and #snapshot) stayed in the library as
long as their files: every search and duplicate group showed each photo several times, until the
user removed the folder and added it again. A folder's full check removes them now, as it removes
photos whose files are gone; a stopped or partial walk, or a folder not there, removes nothing.
No walk ever went into a hidden folder: photos there were indexed on purpose, and stay.
Real SQLite file, tiny real model, real photos."""

from __future__ import annotations

import errno
import os

import pytest

from desktop_app.core import library as library_module
from desktop_app.core import scan

PHOTOS = "Pictures/Photos Library.photoslibrary"
DERIVATIVES = f"{PHOTOS}/resources/derivatives"


def names(library, under) -> list[str]:
    return sorted(os.path.relpath(p.path, under) for p in library.photos())


@pytest.fixture
def pictures(tmp_path, photo_factory):
    """~/Pictures: two photos walked, and copies of them in folders the walk skips."""
    photo_factory("Pictures/trip/rocket.jpg", "rocket")
    photo_factory(f"{PHOTOS}/originals/4/4A1B.jpeg", "chelsea")
    photo_factory(f"{DERIVATIVES}/4/4A1B_1_105_c.jpeg", "chelsea", size=(96, 64))
    photo_factory(f"{PHOTOS}/resources/renders/4/4A1B_1_201_a.jpeg", "chelsea", size=(120, 80))
    photo_factory("Pictures/@eaDir/rocket.jpg/SYNOPHOTO_THUMB_M.jpg", "rocket", size=(96, 72))
    photo_factory("Pictures/#snapshot/daily/rocket.png", "rocket", size=(64, 48))
    broken = tmp_path / "Pictures" / "#recycle" / "broken.jpg"  # a failed record
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"not a jpeg")
    return tmp_path / "Pictures"


WALKED = ["Photos Library.photoslibrary/originals/4/4A1B.jpeg", "trip/rocket.jpg"]


def index_as_before(library, folders, monkeypatch):
    """Index as a version before the walk skipped these folders: it skipped none (nor did it
    keep a folder inside a skipped part apart from the folder around it)."""
    with monkeypatch.context() as old:
        old.setattr(scan, "left_out", lambda name, holder="": False)
        old.setattr(library_module, "left_out", lambda name, holder="": False)
        old.setattr(library_module, "hidden_below", lambda path, folder: False)
        for folder in folders:
            library.index_folder(folder)


def test_a_full_check_removes_what_an_earlier_version_indexed_in_skipped_folders(
        library, pictures, monkeypatch):
    index_as_before(library, [pictures], monkeypatch)
    assert len(library.photos()) == 7
    assert len(library.failed()) == 1
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(pictures) for f in fs)

    report = library.index_folder(pictures)

    assert (report.removed, report.added, report.unchanged, report.failed) == (5, 0, 2, 0)
    assert "5 removed" in report.summary(brief=True)
    assert names(library, pictures) == WALKED
    assert library.failed() == []
    # Their codes went with them: one code a photo, and no duplicate group of the copies.
    assert library.counts() == {"folders": 1, "photos": 2, "indexed": 2, "failed": 0}
    assert library.duplicates() == []
    # Nothing on disk was touched.
    assert sorted(os.path.join(d, f) for d, _, fs in os.walk(pictures) for f in fs) == files


def test_a_folder_watched_on_purpose_inside_a_skipped_part_keeps_its_photos(
        library, pictures):
    derivatives = pictures.parent / DERIVATIVES
    snapshot = pictures / "#snapshot"
    # Watched first, then ~/Pictures around them: each stays a folder of its own.
    library.index_folders([derivatives, snapshot])
    report = library.index_folder(pictures)
    assert (report.added, report.removed) == (2, 0)
    assert sorted(f.path for f in library.folders()) == sorted(
        map(str, [pictures, derivatives, snapshot]))
    assert len(library.photos()) == 4
    # Checked again all together, in either order: nothing leaves.
    for order in ([pictures, derivatives, snapshot], [snapshot, derivatives, pictures]):
        reports = library.index_folders(order)
        assert [r.removed for r in reports] == [0, 0, 0]
    assert len(library.photos()) == 4


def test_a_folder_an_earlier_version_merged_into_the_folder_around_it_keeps_its_photos(
        library, pictures, monkeypatch):
    """Watched before ~/Pictures was added, an earlier version made it part of ~/Pictures (and
    indexed all of ~/Pictures' skipped folders): the next start's check takes it apart again."""
    derivatives = pictures.parent / DERIVATIVES
    index_as_before(library, [derivatives, pictures], monkeypatch)
    assert [f.path for f in library.folders()] == [str(pictures)]
    reports = library.index_folders([pictures, derivatives])  # the watched folders at start
    assert [(r.removed, r.added, r.unchanged) for r in reports] == [(4, 0, 2), (0, 0, 1)]
    assert sorted(f.path for f in library.folders()) == sorted(map(str, [pictures, derivatives]))
    assert names(library, pictures) == sorted(
        [*WALKED, "Photos Library.photoslibrary/resources/derivatives/4/4A1B_1_105_c.jpeg"])


def test_a_stopped_check_removes_nothing(library, pictures, tmp_path, photo_factory,
                                         monkeypatch):
    index_as_before(library, [pictures], monkeypatch)
    other = photo_factory("other/coffee.jpg", "coffee").parent
    walking = []

    def progress_for(folder):  # told as each folder's turn comes
        walking.append(folder)

    # The first folder is read whole, the second is stopped (a pause, quit).
    reports = library.index_folders([pictures, other], progress_for=progress_for,
                                    should_stop=lambda: walking[-1] == str(other))
    assert [r.stopped for r in reports] == [False, True]
    assert [r.removed for r in reports] == [0, 0]
    assert len(library.photos()) == 7
    # Run again to its end, the check removes them.
    assert library.index_folder(pictures).removed == 5


def test_a_folder_the_walk_could_not_open_keeps_the_skipped_photos_in_it(
        library, tmp_path, photo_factory, monkeypatch):
    photo_factory("album/a.jpg", "rocket")
    photo_factory("album/locked/b.jpg", "coffee")
    photo_factory("album/locked/@eaDir/b.jpg/SYNOPHOTO_THUMB_M.jpg", "coffee", size=(64, 48))
    photo_factory("album/open/@eaDir/c.jpg/SYNOPHOTO_THUMB_M.jpg", "chelsea", size=(64, 48))
    index_as_before(library, [tmp_path / "album"], monkeypatch)
    assert len(library.photos()) == 4
    locked = str(tmp_path / "album" / "locked")
    scandir = os.scandir

    def no_access(path="."):  # as for a user who lost read access (the tests may run as root)
        if os.fspath(path) == locked:
            raise PermissionError(errno.EACCES, "Permission denied", locked)
        return scandir(path)

    monkeypatch.setattr(os, "scandir", no_access)
    report = library.index_folder(tmp_path / "album")
    assert report.removed == 1  # open/@eaDir's: its folder was walked
    assert [path for path, _ in report.errors] == [locked]
    assert names(library, tmp_path / "album") == [
        "a.jpg", "locked/@eaDir/b.jpg/SYNOPHOTO_THUMB_M.jpg", "locked/b.jpg"]


def test_a_missing_folder_keeps_them(library, pictures, monkeypatch):
    index_as_before(library, [pictures], monkeypatch)
    moved = pictures.parent / "Pictures-unplugged"
    pictures.rename(moved)  # as a drive unplugged: the folder is not there
    report = library.index_folder(pictures)
    assert report.removed == 0
    assert len(library.photos()) == 7
    moved.rename(pictures)
    assert library.index_folder(pictures).removed == 5


def test_removals_reported_in_skipped_folders_cost_one_lookup_a_folder(
        library, pictures, monkeypatch):
    """The watcher reports removals in skipped folders (see
    tests/ui/test_watcher_left_out_removals.py): those an earlier version indexed leave, and
    a cache's clean-up of thousands of files in a folder without photos is one lookup."""
    index_as_before(library, [pictures], monkeypatch)
    thumb = pictures / "@eaDir" / "rocket.jpg" / "SYNOPHOTO_THUMB_M.jpg"
    thumb.unlink()
    cache = [str(pictures / ".cache" / "thumbnails" / f"{i:032x}.png") for i in range(300)]
    looked_under = []
    rows_under = library._rows_under
    monkeypatch.setattr(library, "_rows_under",
                        lambda path: looked_under.append(path) or rows_under(path))
    assert library.remove_paths([str(thumb), *cache]) == 1
    assert looked_under == [str(thumb)]
    assert len(library.photos()) == 6


def test_a_hidden_folder_indexed_on_purpose_by_an_earlier_version_keeps_its_photos(
        library, pictures, photo_factory, monkeypatch):
    """No version's walk went into a hidden folder: its photos were indexed on purpose, by
    `lookalike index ~/Pictures/.private` (made part of ~/Pictures, as the docs said then) or a
    hidden folder watched by name that an earlier version merged into the folder around it. The
    next check of ~/Pictures (the app's start, `lookalike index ~/Pictures`) removed them all, and
    their codes; nothing told the user, who had asked for them."""
    photo_factory("Pictures/.private/x.jpg", "coffee")
    photo_factory("Pictures/.private/trip/y.jpg", "astronaut")
    with monkeypatch.context() as old:  # an earlier version: .private made part of ~/Pictures
        old.setattr(library_module, "hidden_below", lambda path, folder: False)
        library.index_folders([pictures, pictures / ".private"])
    assert [f.path for f in library.folders()] == [str(pictures)]
    assert len(library.photos()) == 4
    reports = library.index_folders([pictures])
    assert [r.removed for r in reports] == [0]
    assert names(library, pictures) == sorted([*WALKED, ".private/trip/y.jpg", ".private/x.jpg"])
    # Its files deleted, they leave (the watcher reports removals there).
    (pictures / ".private" / "x.jpg").unlink()
    assert library.remove_paths([str(pictures / ".private" / "x.jpg")]) == 1
    # Indexed again by the command, it becomes a library folder of its own.
    library.index_folder(pictures / ".private")
    assert sorted(f.path for f in library.folders()) == [str(pictures), str(pictures / ".private")]
    assert library.index_folder(pictures).removed == 0
    assert len(library.photos()) == 3
