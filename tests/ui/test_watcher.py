"""FolderWatcher on real files: events merged, debounced and filtered, on the Qt event loop."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
from pathlib import Path

import pytest
from dropped_events import overflow, reader_held_back
from photos import make_photo
from watchdog.observers import Observer

from desktop_app.watch import FolderWatcher
from desktop_app.watch import watcher as watcher_module
from desktop_app.watch.lost_events import WATCHDOG_INOTIFY_LOGGER

pytestmark = pytest.mark.usefixtures("watch_returns_started")


@pytest.fixture
def watcher(qtbot):
    w = FolderWatcher(debounce_ms=200)
    yield w
    w.stop()


def test_new_photo_is_reported_once_after_a_burst(qtbot, tmp_path, watcher):
    assert watcher.watch(str(tmp_path))
    with qtbot.waitSignal(watcher.paths_changed, timeout=5000) as blocker:
        for i in range(20):
            make_photo(tmp_path / f"img{i:02d}.jpg", "coffee", size=(64, 48))
    changed = blocker.args[0]
    assert changed == sorted(str(tmp_path / f"img{i:02d}.jpg") for i in range(20))


def test_non_photos_and_hidden_files_are_ignored(qtbot, tmp_path, watcher):
    watcher.watch(str(tmp_path))
    with qtbot.waitSignal(watcher.paths_changed, timeout=5000) as blocker:
        (tmp_path / "notes.txt").write_text("x")
        (tmp_path / ".hidden.jpg").write_bytes(b"x")
        (tmp_path / "download.jpg.part").write_bytes(b"x")
        make_photo(tmp_path / "sub" / "real.png", "chelsea", size=(32, 32))
    # The new folder is reported whole (its photos are walked by the library), nothing else.
    assert blocker.args[0] == [str(tmp_path / "sub")]


def test_changes_inside_a_new_folder_are_merged_into_it(qtbot, tmp_path, watcher):
    watcher.watch(str(tmp_path))
    with qtbot.waitSignal(watcher.paths_changed, timeout=5000) as blocker:
        for i in range(5):
            make_photo(tmp_path / "import" / f"{i}.jpg", "coffee", size=(32, 32))
        make_photo(tmp_path / "top.jpg", "coffee", size=(32, 32))
    assert blocker.args[0] == [str(tmp_path / "import"), str(tmp_path / "top.jpg")]


def test_move_reports_new_path_changed_and_old_removed(qtbot, tmp_path, watcher):
    src = make_photo(tmp_path / "a.jpg", "astronaut", size=(64, 64))
    watcher.watch(str(tmp_path))
    order = []
    watcher.paths_changed.connect(lambda p: order.append(("changed", p)))
    watcher.paths_removed.connect(lambda p: order.append(("removed", p)))
    with qtbot.waitSignal(watcher.paths_removed, timeout=5000):
        shutil.move(src, tmp_path / "b.jpg")
    assert order == [("changed", [str(tmp_path / "b.jpg")]), ("removed", [str(src)])]


def test_deleted_photo_and_folder_are_removed(qtbot, tmp_path, watcher):
    photo = make_photo(tmp_path / "keep" / "x.jpg", "rocket", size=(64, 64))
    album = tmp_path / "album"
    make_photo(album / "y.jpg", "rocket", size=(64, 64))
    watcher.watch(str(tmp_path))
    with qtbot.waitSignal(watcher.paths_removed, timeout=5000) as blocker:
        photo.unlink()
        shutil.rmtree(album)
    removed = blocker.args[0]
    assert str(photo) in removed and str(album) in removed


def test_polling_mode_sees_new_files(qtbot, tmp_path):
    w = FolderWatcher(debounce_ms=100, poll_interval_s=0.3)
    try:
        assert w.watch(str(tmp_path), polling=True)
        with qtbot.waitSignal(w.paths_changed, timeout=5000) as blocker:
            make_photo(tmp_path / "share.jpg", "coffee", size=(32, 32))
        assert str(tmp_path / "share.jpg") in blocker.args[0]
    finally:
        w.stop()


def test_unwatched_folder_is_quiet_and_missing_folder_refused(qtbot, tmp_path, watcher):
    assert not watcher.watch(str(tmp_path / "nope"))
    watcher.watch(str(tmp_path))
    watcher.unwatch(str(tmp_path))
    assert watcher.watched() == []
    with qtbot.assertNotEmitted(watcher.paths_changed, wait=600):
        make_photo(tmp_path / "late.jpg", "coffee", size=(32, 32))


def test_hidden_folders_inside_are_ignored_and_a_photo_trashed_into_one_is_removed(
        qtbot, tmp_path, watcher):
    """The library skips hidden folders (a drive's .Trash-1000, .cache, .git): their photos
    were indexed while the app ran (and swept at the next start), and a photo deleted on a
    drive, moved into the drive's own trash folder, stayed in the library under that path.
    Watching the home folder, every thumbnail Lookalike wrote to ~/.cache became a photo."""
    photo = make_photo(tmp_path / "IMG_1.jpg", "rocket", size=(64, 64))
    trash = tmp_path / ".Trash-1000" / "files"
    trash.mkdir(parents=True)
    (tmp_path / ".cache" / "thumbnails").mkdir(parents=True)
    watcher.watch(str(tmp_path))
    events = []
    watcher.paths_changed.connect(lambda p: events.append(("changed", p)))
    watcher.paths_removed.connect(lambda p: events.append(("removed", p)))
    with qtbot.waitSignal(watcher.paths_removed, timeout=5000):
        make_photo(tmp_path / ".cache" / "thumbnails" / "ab" / "thumb.jpg", "coffee",
                   size=(32, 32))
        shutil.move(photo, trash / "IMG_1.jpg")
    qtbot.wait(400)  # past the debounce: nothing else comes
    assert events == [("removed", [str(photo)])]
    with qtbot.waitSignal(watcher.paths_changed, timeout=5000) as blocker:
        shutil.move(trash / "IMG_1.jpg", photo)  # restored from the trash
    assert blocker.args[0] == [str(photo)]


def test_a_photo_whose_permissions_change_is_reported_changed(qtbot, tmp_path, watcher):
    """A chmod giving read access back to a photo that failed ("permission denied") is its only
    change (no write, no new size or mtime): it must be read again."""
    photo = make_photo(tmp_path / "locked.jpg", "rocket", size=(64, 64))
    watcher.watch(str(tmp_path))
    with qtbot.waitSignal(watcher.paths_changed, timeout=5000) as blocker:
        os.chmod(photo, 0o600)
    assert blocker.args[0] == [str(photo)]


def test_what_changes_while_the_folder_is_watched_afresh_is_not_lost(qtbot, tmp_path, watcher,
                                                                    monkeypatch):
    """A folder's attrib event (chmod, touch, cp -a or rsync -a setting its time at the end)
    watches the whole watched folder afresh: the old watch ends, then the new one walks the tree
    (0.1 s for 3,000 folders, on the GUI thread). A photo written anywhere else in it meanwhile
    was never reported (24 of 663 photos written during an import, with three such chmods)."""
    (tmp_path / "album").mkdir()
    (tmp_path / "import").mkdir()
    watcher.watch(str(tmp_path))
    late = tmp_path / "import" / "late.jpg"
    schedule = watcher._schedule

    def written_meanwhile(folder, polling, **kwargs):  # the old watch ended, the new not started
        if not late.exists():
            make_photo(late, "coffee", size=(32, 32))
        return schedule(folder, polling, **kwargs)

    monkeypatch.setattr(watcher, "_schedule", written_meanwhile)
    seen = []
    watcher.paths_changed.connect(seen.extend)
    os.chmod(tmp_path / "album", 0o700)
    qtbot.waitUntil(lambda: any(late == p or late.is_relative_to(p) for p in map(Path, seen)),
                    timeout=5000)



def test_a_photo_whose_event_the_system_dropped_is_still_found(qtbot, tmp_path, watcher,
                                                              monkeypatch):
    """More events at once than the kernel's queue holds: the kernel drops the rest and
    watchdog only logs it, so a photo added in that burst was never reported (until the next
    start)."""
    root = tmp_path / "photos"
    junk = root / "junk"
    junk.mkdir(parents=True)
    assert watcher.watch(str(root))
    lost, changed = [], []
    watcher.events_lost.connect(lost.append)
    watcher.paths_changed.connect(changed.append)
    with reader_held_back(monkeypatch, root / "wake.txt"):
        overflow(junk)
        make_photo(root / "lost.jpg", "coffee", size=(64, 48))  # past the queue's end
    qtbot.waitUntil(lambda: [str(root)] in changed, timeout=20000)
    assert lost == [[str(root)]]
    assert not any(str(root / "lost.jpg") in paths for paths in changed)  # dropped: not seen


def test_a_watch_that_could_not_start_watchdog_leaves_no_overflow_listener(tmp_path, qtbot,
                                                                         monkeypatch):
    """The overflow listener was added to watchdog's (process-wide) logger before watchdog's
    observer was made: each time that failed (the inotify instance limit) a handler was left
    that stop() did not remove: it held the watcher, and emitted on it once deleted."""
    logger = logging.getLogger(WATCHDOG_INOTIFY_LOGGER)
    before = list(logger.handlers)
    made = []

    def observer():
        made.append(1)
        if len(made) == 1:
            raise OSError(errno.EMFILE, "inotify instance limit reached")
        return Observer()

    monkeypatch.setattr(watcher_module, "Observer", observer)
    w = FolderWatcher(debounce_ms=100)
    try:
        with contextlib.suppress(OSError):
            w.watch(str(tmp_path))
        assert w.watch(str(tmp_path))
    finally:
        w.stop()
    assert logger.handlers == before


def test_an_overflow_heard_for_a_deleted_watcher_does_not_end_watchdogs_reader(tmp_path, qtbot):
    """The overflow is heard in watchdog's reader thread, in its logging call: the listener of
    a watcher deleted without stop() raised there ("Signal source has been deleted"), which
    ends that reader: no event was read any more, and the watches were not rebuilt."""
    import shiboken6

    logger = logging.getLogger(WATCHDOG_INOTIFY_LOGGER)
    before = list(logger.handlers)
    w = FolderWatcher(debounce_ms=100)
    assert w.watch(str(tmp_path))
    native = w._native
    # Its watch's start and look for links ended first: the worker emits on the watcher when
    # each is done, and an emit as the watcher is deleted crashed the test run (a busy machine:
    # the start outlasted watch()'s wait).
    w._worker.stop()
    w._worker.join(5)
    shiboken6.delete(w)  # as when its window is destroyed without closing
    try:
        logger.warning("Inotify queue overflowed; filesystem events were lost")
    finally:
        native.stop()
        native.join(2)
        for handler in set(logger.handlers) - set(before):
            logger.removeHandler(handler)


def test_a_folder_over_the_systems_watch_limit_is_said_not_watched(qtbot, tmp_path, watcher,
                                                                   monkeypatch):
    """A home folder with more folders than fs.inotify.max_user_watches: watchdog raised
    ENOSPC, the watcher only logged it, and the user never learnt that changes there were not
    followed while the app ran."""
    import errno

    from desktop_app.watch import watcher as watcher_module

    said = []
    watcher.folder_unwatchable.connect(lambda folder, cause: said.append((folder, cause)))

    def over_the_limit(*args, **kwargs):
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watcher_module.Observer, "schedule", over_the_limit)
    assert not watcher.watch(str(tmp_path))
    assert said == [(str(tmp_path), said[0][1])]
    assert "limit of watched folders" in said[0][1] and "max_user_watches" in said[0][1]


def test_an_observer_that_cannot_start_is_said_and_tried_again(qtbot, tmp_path, watcher,
                                                               monkeypatch):
    """Observer() raising (the limit of inotify instances) escaped watch(), whose caller (the
    window's start) then stopped halfway; and the broken observer was kept for later folders."""
    import errno

    from desktop_app.watch import watcher as watcher_module

    real = watcher_module.Observer
    said = []
    watcher.folder_unwatchable.connect(lambda folder, cause: said.append(cause))

    def no_more_instances():
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(watcher_module, "Observer", no_more_instances)
    assert not watcher.watch(str(tmp_path / "a"))  # missing: waits, no observer needed
    (tmp_path / "b").mkdir()
    assert not watcher.watch(str(tmp_path / "b"))
    assert len(said) == 1 and "max_user_instances" in said[0]
    monkeypatch.setattr(watcher_module, "Observer", real)
    (tmp_path / "c").mkdir()
    assert watcher.watch(str(tmp_path / "c"))
    with qtbot.waitSignal(watcher.paths_changed, timeout=5000):
        make_photo(tmp_path / "c" / "new.jpg", "coffee", size=(64, 48))


def test_a_folder_the_system_cannot_watch_is_said_once_not_at_each_try(qtbot, tmp_path, watcher,
                                                                      monkeypatch):
    """The window watches every folder again after a model switch (and the folders inside one
    removed): each try said the same folder again, over the window's "Now using the model"."""
    import errno

    from desktop_app.watch import watcher as watcher_module

    said = []
    watcher.folder_unwatchable.connect(lambda folder, cause: said.append(folder))
    real = watcher_module.Observer.schedule

    def over_the_limit(*args, **kwargs):
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watcher_module.Observer, "schedule", over_the_limit)
    for _ in range(3):
        assert not watcher.watch(str(tmp_path))
    assert said == [str(tmp_path)]
    monkeypatch.setattr(watcher_module.Observer, "schedule", real)  # the limit was raised
    assert watcher.watch(str(tmp_path))
    watcher.unwatch(str(tmp_path))
    monkeypatch.setattr(watcher_module.Observer, "schedule", over_the_limit)
    assert not watcher.watch(str(tmp_path))  # reached again: said again
    assert said == [str(tmp_path)] * 2
