"""Folder links (symlinks to folders) in a watched folder while the app runs: the library's walk
follows them (once each, never back to a folder holding them) and names their photos through
them, but the watcher saw nothing of them: a link made or deleted was found at the next start,
and photos added to or deleted from a linked folder too. The real FolderWatcher (inotify) on
real files, offscreen Qt."""

from __future__ import annotations

import os
import shutil

import pytest
from watched_links import watch_folder_holding_link
from watcher_reports import photo, reports

from desktop_app.watch import FolderWatcher

pytestmark = pytest.mark.usefixtures("watch_returns_started")


@pytest.fixture
def watcher(qtbot):
    w = FolderWatcher(debounce_ms=200, recheck_s=0.2)
    yield w
    w.stop()


@pytest.fixture
def said(watcher):
    """Every path the watcher reported, as ("changed" | "removed", path), in order."""
    return reports(watcher)


def test_a_folder_link_made_then_deleted_is_reported_by_its_name(qtbot, tmp_path, watcher, said):
    root, trip = tmp_path / "Pictures", tmp_path / "elsewhere" / "trip"
    photo(trip / "a.jpg")
    root.mkdir()
    assert watcher.watch(str(root))
    link = root / "trip"
    os.symlink(trip, link)
    qtbot.waitUntil(lambda: said == [("changed", str(link))], timeout=5000)
    qtbot.waitUntil(lambda: watcher.links() == [str(link)], timeout=5000)
    link.unlink()  # the folder it led to stays
    qtbot.waitUntil(lambda: said[1:] == [("removed", str(link))], timeout=5000)
    qtbot.waitUntil(lambda: watcher.links() == [], timeout=5000)
    photo(trip / "b.jpg")  # no longer anything of the library's
    qtbot.wait(600)
    assert said == [("changed", str(link)), ("removed", str(link))]


def test_changes_in_linked_folders_are_reported_under_the_links_names(qtbot, tmp_path, watcher,
                                                                     said):
    root, trip, more = tmp_path / "Pictures", tmp_path / "disk" / "trip", tmp_path / "more"
    old = photo(trip / "old.jpg")
    photo(more / "m.jpg")
    root.mkdir()
    os.symlink(trip, root / "trip")
    os.symlink(more, trip / "more")  # a link in the linked folder: named through both
    assert watcher.watch(str(root))
    qtbot.waitUntil(lambda: watcher.links() == [str(root / "trip"), str(root / "trip" / "more")],
                    timeout=5000)
    photo(trip / "new.jpg")
    qtbot.waitUntil(lambda: said == [("changed", str(root / "trip" / "new.jpg"))], timeout=5000)
    old.unlink()
    photo(more / "deeper" / "d.jpg")
    qtbot.waitUntil(lambda: len(said) == 3, timeout=5000)
    assert sorted(said[1:]) == [("changed", str(root / "trip" / "more" / "deeper")),
                                ("removed", str(root / "trip" / "old.jpg"))]


def test_a_watched_folder_that_is_a_link_reports_the_photos_right_inside_it(
        qtbot, tmp_path, watcher, said):
    """inotify watches a link itself, not the folder it leads to: the folders below were
    reported, the photos right inside the watched folder never."""
    real = tmp_path / "data" / "Pictures"
    real.mkdir(parents=True)
    link = tmp_path / "Pictures"
    os.symlink(real, link)
    assert watcher.watch(str(link))
    photo(real / "top.jpg")
    qtbot.waitUntil(lambda: said == [("changed", str(link / "top.jpg"))], timeout=5000)


def test_link_loops_are_cut_and_photos_keep_one_name(qtbot, tmp_path, watcher, said):
    root, disk = tmp_path / "Pictures", tmp_path / "disk"
    (root / "album").mkdir(parents=True)
    (disk / "sub").mkdir(parents=True)
    os.symlink("..", root / "album" / "up")  # back to a folder holding it
    os.symlink(root, disk / "home")  # through the linked folder back into the watched one
    os.symlink(".", disk / "here")
    os.symlink("b", root / "a")  # a loop of links leading nowhere
    os.symlink("a", root / "b")
    os.symlink(disk, root / "disk")
    os.symlink(disk, root / "disk-again")  # a second link to one folder: followed once
    os.symlink(disk / "sub", root / "sub")  # into a folder watched for another link
    assert watcher.watch(str(root))
    qtbot.waitUntil(lambda: watcher.links() == [str(root / "disk")], timeout=5000)
    photo(root / "album" / "x.jpg")
    photo(disk / "y.jpg")
    photo(disk / "sub" / "z.jpg")
    qtbot.waitUntil(lambda: len(said) >= 3, timeout=5000)
    qtbot.wait(400)  # past the debounce: nothing else comes
    assert sorted(said) == [("changed", str(root / "album" / "x.jpg")),
                            ("changed", str(root / "disk" / "sub" / "z.jpg")),
                            ("changed", str(root / "disk" / "y.jpg"))]
    assert watcher.links() == [str(root / "disk")]


def test_a_link_to_a_watched_folder_adds_nothing_and_its_deletion_is_reported(
        qtbot, tmp_path, watcher, said):
    """Its photos are in the library by their own names already (a second name would index
    them twice); what the walk at start indexed under the link's name leaves with it."""
    root, other = tmp_path / "Pictures", tmp_path / "Other"
    photo(root / "album" / "a.jpg")
    other.mkdir()
    os.symlink(root / "album", root / "same")
    assert watcher.watch(str(root)) and watcher.watch(str(other))
    os.symlink(other, root / "to-other")
    photo(root / "album" / "b.jpg")
    photo(other / "c.jpg")
    qtbot.waitUntil(lambda: len(said) >= 2, timeout=5000)
    qtbot.wait(400)
    assert sorted(said) == [("changed", str(other / "c.jpg")),
                            ("changed", str(root / "album" / "b.jpg"))]
    (root / "same").unlink()
    qtbot.waitUntil(lambda: said[2:] == [("removed", str(root / "same"))], timeout=5000)
    assert watcher.links() == []


def test_a_link_pointed_elsewhere_is_checked_and_its_new_folder_watched(qtbot, tmp_path, watcher,
                                                                       said):
    first, second = tmp_path / "first", tmp_path / "second"
    photo(second / "b.jpg")
    root, link = watch_folder_holding_link(qtbot, watcher, tmp_path, first, "current")
    os.symlink(second, root / ".current.new")
    os.replace(root / ".current.new", link)  # as `ln -sfn` does
    qtbot.waitUntil(lambda: ("changed", str(link)) in said, timeout=5000)
    qtbot.wait(400)
    said.clear()
    photo(first / "gone-by.jpg")  # not the link's any more
    photo(second / "new.jpg")
    qtbot.waitUntil(lambda: bool(said), timeout=5000)
    qtbot.wait(400)
    assert said == [("changed", str(link / "new.jpg"))]


def test_a_links_folder_gone_and_back_is_checked_then_watched(qtbot, tmp_path, watcher, said):
    """A link to a folder on a drive unplugged leads nowhere (its photos are kept, as the walk
    keeps them); when the folder is back the link is checked, and its folder watched again."""
    drive = tmp_path / "media" / "card"
    _root, link = watch_folder_holding_link(qtbot, watcher, tmp_path, drive, "card")
    os.rename(drive, tmp_path / "media" / "away")
    qtbot.waitUntil(lambda: watcher.links() == [], timeout=5000)
    assert said == []  # nothing removed: kept, as for a drive unplugged
    os.rename(tmp_path / "media" / "away", drive)
    qtbot.waitUntil(lambda: said == [("changed", str(link))], timeout=5000)
    qtbot.waitUntil(lambda: watcher.links() == [str(link)], timeout=5000)
    photo(drive / "b.jpg")
    qtbot.waitUntil(lambda: said[1:] == [("changed", str(link / "b.jpg"))], timeout=5000)


def test_a_polled_folder_follows_each_link_once(qtbot, tmp_path):
    """Polling (a network folder) followed every link, loops too: with `up -> ..` each new
    photo was reported under 40 names (sub/up/sub/up/...), each a photo to index."""
    w = FolderWatcher(debounce_ms=100, poll_interval_s=0.2)
    events = []
    w.paths_changed.connect(lambda paths: events.extend(paths))
    root, disk = tmp_path / "share", tmp_path / "disk"
    (root / "album").mkdir(parents=True)
    disk.mkdir()
    os.symlink("..", root / "album" / "up")
    os.symlink(disk, root / "disk")
    os.symlink(root, disk / "home")
    try:
        assert w.watch(str(root), polling=True)
        photo(root / "album" / "x.jpg")
        photo(disk / "y.jpg")
        qtbot.waitUntil(lambda: len(events) >= 2, timeout=5000)
        qtbot.wait(600)  # two polls more: nothing else comes
        assert sorted(events) == [str(root / "album" / "x.jpg"), str(root / "disk" / "y.jpg")]
    finally:
        w.stop()


def test_a_link_renamed_is_reported_by_both_names_and_its_folder_stays_watched(
        qtbot, tmp_path, watcher, said):
    trip = tmp_path / "disk" / "trip"
    root, _link = watch_folder_holding_link(qtbot, watcher, tmp_path, trip, "trip")
    os.rename(root / "trip", root / "2024 trip")
    qtbot.waitUntil(lambda: len(said) >= 2, timeout=5000)
    assert sorted(said) == [("changed", str(root / "2024 trip")),
                            ("removed", str(root / "trip"))]
    qtbot.waitUntil(lambda: watcher.links() == [str(root / "2024 trip")], timeout=5000)
    photo(trip / "b.jpg")
    qtbot.waitUntil(lambda: said[2:] == [("changed", str(root / "2024 trip" / "b.jpg"))],
                    timeout=5000)


def test_a_linked_folder_deleted_removes_its_photos_and_leaves_no_watch(qtbot, tmp_path, watcher,
                                                                       said):
    trip = tmp_path / "disk" / "trip"
    root, _link = watch_folder_holding_link(qtbot, watcher, tmp_path, trip, "trip")
    shutil.rmtree(trip)
    qtbot.waitUntil(lambda: watcher.links() == [], timeout=5000)
    qtbot.waitUntil(lambda: said == [("removed", str(root / "trip" / "a.jpg"))], timeout=5000)
    photo(trip / "b.jpg")  # made again: the link leads to it again
    qtbot.waitUntil(lambda: ("changed", str(root / "trip")) in said, timeout=5000)
    qtbot.waitUntil(lambda: watcher.links() == [str(root / "trip")], timeout=5000)


def test_a_linked_folder_watched_itself_is_reported_by_its_own_name_only(
        qtbot, tmp_path, watcher, said):
    """One name a photo: while the folder a link leads to is watched itself (added to the
    library), its changes are reported under its own name, and under the link's again once
    it is no longer watched (then the link is checked: what it holds is indexed through it)."""
    drive = tmp_path / "Drive"
    _root, link = watch_folder_holding_link(qtbot, watcher, tmp_path, drive, "drive")
    assert watcher.watch(str(drive))
    qtbot.waitUntil(lambda: watcher.links() == [], timeout=5000)
    photo(drive / "b.jpg")
    qtbot.waitUntil(lambda: bool(said), timeout=5000)
    qtbot.wait(400)
    assert said == [("changed", str(drive / "b.jpg"))]
    watcher.unwatch(str(drive))
    qtbot.waitUntil(lambda: watcher.links() == [str(link)], timeout=5000)
    qtbot.waitUntil(lambda: said[1:] == [("changed", str(link))], timeout=5000)
    photo(drive / "c.jpg")
    qtbot.waitUntil(lambda: said[2:] == [("changed", str(link / "c.jpg"))], timeout=5000)


def test_a_folder_reached_by_two_links_is_reported_by_one_name(qtbot, tmp_path, watcher, said):
    """`a -> disk/year` and `b -> disk`: the walk names disk/year's photos through `a` (found
    first, and not walked again through `b`), so the watcher must too, not through both."""
    root, disk = tmp_path / "Pictures", tmp_path / "disk"
    year = photo(disk / "year" / "p.jpg").parent
    root.mkdir()
    os.symlink(year, root / "a")
    os.symlink(disk, root / "b")
    assert watcher.watch(str(root))
    qtbot.waitUntil(lambda: watcher.links() == [str(root / "a"), str(root / "b")], timeout=5000)
    photo(year / "new.jpg")
    photo(disk / "top.jpg")
    qtbot.waitUntil(lambda: len(said) >= 2, timeout=5000)
    qtbot.wait(400)
    assert sorted(said) == [("changed", str(root / "a" / "new.jpg")),
                            ("changed", str(root / "b" / "top.jpg"))]
    said.clear()
    os.rename(year / "p.jpg", disk / "p.jpg")  # from one link's folder to the other's
    qtbot.waitUntil(lambda: len(said) >= 2, timeout=5000)
    qtbot.wait(400)
    assert sorted(said) == [("changed", str(root / "b" / "p.jpg")),
                            ("removed", str(root / "a" / "p.jpg"))]


def test_a_link_to_a_photo_is_still_a_photo(qtbot, tmp_path, watcher, said):
    root, elsewhere = tmp_path / "Pictures", photo(tmp_path / "elsewhere" / "x.jpg")
    root.mkdir()
    assert watcher.watch(str(root))
    os.symlink(elsewhere, root / "x.jpg")
    qtbot.waitUntil(lambda: said == [("changed", str(root / "x.jpg"))], timeout=5000)
    (root / "x.jpg").unlink()
    qtbot.waitUntil(lambda: said[1:] == [("removed", str(root / "x.jpg"))], timeout=5000)
