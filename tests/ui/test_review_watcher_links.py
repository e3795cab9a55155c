"""Folder links while the app runs, found in review of 88b322c: a link deleted that the checker
saw gone before the observer told of it; a link into a hidden folder, which the walk follows
(the only way in there) and the watcher did not; the system's limit of watched folders said
once a folder, not once a link. The real FolderWatcher (inotify, polling) on real files,
offscreen Qt."""

from __future__ import annotations

import errno
import os
import time

import pytest
from watcher_reports import photo, reports

from desktop_app.core.scan import scan_folder
from desktop_app.watch import FolderWatcher

pytestmark = pytest.mark.usefixtures("watch_returns_started")


@pytest.fixture
def watcher(qtbot):
    w = FolderWatcher(debounce_ms=200, recheck_s=0.2, poll_interval_s=0.2)
    yield w
    w.stop()


@pytest.fixture
def said(watcher):
    """Every path the watcher reported, as ("changed" | "removed", path), in order."""
    return reports(watcher)


def test_a_link_deleted_that_the_checker_sees_first_is_reported_removed(qtbot, tmp_path,
                                                                       watcher, said):
    """On a loaded machine the checker can see a deleted link gone before the observer tells
    of its deletion: the link is looked at again and forgotten, and the observer, late, took
    its deletion for a file of no photo's. Nothing was said: its photos stayed in the library
    until the next start (1 run in 40 of the made-then-deleted test on 2 busy cores). Here
    the observer holds the deletion until the link is forgotten."""
    root, trip = tmp_path / "Pictures", tmp_path / "disk" / "trip"
    photo(trip / "a.jpg")
    root.mkdir()
    link = root / "trip"
    os.symlink(trip, link)
    assert watcher.watch(str(root))
    qtbot.waitUntil(lambda: watcher.links() == [str(link)], timeout=5000)
    recorder = watcher._watches[str(root)][2]
    heard = recorder.dispatch

    def late(event):  # observer thread
        if event.event_type == "deleted" and os.fsdecode(event.src_path) == str(link):
            deadline = time.monotonic() + 5
            while str(link) in watcher.links() and time.monotonic() < deadline:
                time.sleep(0.02)
        heard(event)

    recorder.dispatch = late
    link.unlink()  # its folder stays
    qtbot.waitUntil(lambda: watcher.links() == [], timeout=5000)
    qtbot.waitUntil(lambda: said == [("removed", str(link))], timeout=5000)


@pytest.mark.parametrize("polling", [False, True], ids=["inotify", "polled"])
def test_a_link_into_a_hidden_folder_is_followed_as_the_walk_follows_it(qtbot, tmp_path,
                                                                        watcher, said, polling):
    """The walk (scan.link_followed) follows a link into a part of the library folder it
    skips, the only way in there, and names the photos through it; the watcher did not follow
    it (a folder watched already): photos added there came at the next start, and those
    deleted stayed until then."""
    root = tmp_path / "Pictures"
    hidden = root / ".archive" / "2019"
    photo(hidden / "old.jpg")
    link = root / "2019"
    os.symlink(hidden, link)
    assert [f.path for f in scan_folder(root).files] == [str(link / "old.jpg")]
    assert watcher.watch(str(root), polling=polling)
    if polling:
        qtbot.wait(600)  # its first snapshots taken
    else:
        qtbot.waitUntil(lambda: watcher.links() == [str(link)], timeout=5000)
    photo(hidden / "new.jpg")
    qtbot.waitUntil(lambda: ("changed", str(link / "new.jpg")) in said, timeout=5000)
    (hidden / "old.jpg").unlink()
    qtbot.waitUntil(lambda: ("removed", str(link / "old.jpg")) in said, timeout=5000)
    qtbot.wait(600)
    # No other name for them: a removal by the hidden name forgets nothing the walk named.
    assert [e for e in said if not e[1].startswith(str(root / ".archive"))] == [
        ("changed", str(link / "new.jpg")), ("removed", str(link / "old.jpg"))]


def test_the_limit_of_watched_folders_is_said_once_for_a_folders_links(qtbot, tmp_path,
                                                                       watcher):
    """Past the system's limit every link after fails: each was said on its own, a notice a
    link in the window (a home folder of 200 links gave 200). The limit is made here by the
    observer refusing to watch a link's folder as the system does (ENOSPC), as no test can
    lower the system's."""
    root = tmp_path / "Pictures"
    root.mkdir()
    for n in range(5):
        (tmp_path / "disk" / f"t{n}").mkdir(parents=True)
        os.symlink(tmp_path / "disk" / f"t{n}", root / f"t{n}")
    unwatchable = []
    watcher.folder_unwatchable.connect(lambda folder, cause: unwatchable.append((folder, cause)))
    assert watcher.watch(str(root))
    observer = watcher._native

    def over_the_limit(handler, path, **kwargs):
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    observer.schedule = over_the_limit  # the links' folders are watched after watch() returns
    qtbot.waitUntil(lambda: len(watcher._links) == 5, timeout=5000)
    qtbot.wait(300)
    assert watcher.links() == []
    assert [folder for folder, _cause in unwatchable] == [str(root / "t0")]
    assert "fs.inotify.max_user_watches" in unwatchable[0][1]


def test_a_polled_folder_gives_a_folder_two_links_lead_to_the_walks_name(qtbot, tmp_path,
                                                                        watcher, said):
    """The walk follows the first link to a folder by name; a polled folder's snapshots
    followed the first the system listed (its own order: a hash, or the newest first), so a
    photo added there came under another name than the walk's, and one changed got a second
    record."""
    root, disk = tmp_path / "share", tmp_path / "disk"
    photo(disk / "a.jpg")
    root.mkdir()
    for name in "abcdefghijkl":  # made in name order: a system listing the newest first
        os.symlink(disk, root / name)
    walked = [f.path for f in scan_folder(root).files]
    assert walked == [str(root / "a" / "a.jpg")]
    assert watcher.watch(str(root), polling=True)
    qtbot.wait(600)  # its first snapshots taken
    photo(disk / "b.jpg")
    qtbot.waitUntil(lambda: bool(said), timeout=5000)
    qtbot.wait(600)
    assert said == [("changed", str(root / "a" / "b.jpg"))]
