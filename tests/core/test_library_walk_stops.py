"""Stopping during the folder walk (pause, quit, the folder removed): adding a huge folder (the
home folder, /) walks it for minutes before the first photo is read, and the walk did not ask
should_stop, so nothing could stop it. A stopped walk must write nothing and sweep nothing: the
photos it did not reach are not "gone". Real SQLite file, tiny real model, real photos."""

from __future__ import annotations

import json
import os

from desktop_app.core.library import MOUNT_POINTS_KEY
from desktop_app.core.scan import STOP_CHECK_ENTRIES, scan_folder


def stop_after(calls: int):
    """A should_stop that is true from its `calls`-th question on; `asked` counts them."""
    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) >= calls

    should_stop.asked = asked
    return should_stop


def copies(photo, folder, count: int, per_folder: bool = False) -> None:
    """`count` copies of one real photo in `folder`, or one in each of `count` subfolders."""
    data = photo.read_bytes()
    for i in range(count):
        target = folder / f"d{i:03d}" / "p.jpg" if per_folder else folder / f"p{i:03d}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def names(library) -> list[str]:
    return sorted(os.path.relpath(p.path, library.folders()[0].path) for p in library.photos())


def test_a_walk_stops_between_folders_and_writes_and_sweeps_nothing(library, album):
    library.index_folder(album)
    before = names(library)
    copies(album / "chelsea.jpg", album / "many", 60, per_folder=True)
    os.remove(album / "sub" / "coffee.jpg")
    should_stop = stop_after(3)
    report = library.index_folder(album, should_stop=should_stop)
    assert report.stopped
    assert len(should_stop.asked) == 3  # asked as it walked, and no more once stopped
    assert (report.added, report.removed, report.unchanged) == (0, 0, 0)
    assert names(library) == before  # coffee.jpg, deleted, waits for a whole walk
    report = library.index_folder(album)  # running again walks it all: nothing was lost
    assert not report.stopped
    assert (report.added, report.removed, report.unchanged) == (60, 1, 4)


def test_a_walk_stops_inside_a_folder_of_many_photos(tmp_path, photo_factory):
    first = photo_factory("big/a.jpg", "chelsea", size=(64, 48))
    copies(first, tmp_path / "big", 3 * STOP_CHECK_ENTRIES)
    scan = scan_folder(tmp_path / "big", should_stop=stop_after(2))  # the root, then 32 entries
    assert scan.stopped
    assert 0 < len(scan.files) < STOP_CHECK_ENTRIES
    assert not scan.covers(str(tmp_path / "big" / "p090.jpg"))  # not seen: not known to be gone
    whole = scan_folder(tmp_path / "big", should_stop=lambda: False)
    assert not whole.stopped and len(whole.files) == 3 * STOP_CHECK_ENTRIES + 1


def test_a_stopped_walk_forgets_no_mount_point(library, store, album):
    """A folder that held a mounted drive is forgotten as one only when a walk found it a plain
    folder: a walk stopped before it got there must keep it."""
    sub = os.path.realpath(album / "sub")
    store.set_meta(MOUNT_POINTS_KEY, json.dumps([sub]))
    report = library.index_folder(album, should_stop=stop_after(1))
    assert report.stopped
    assert json.loads(store.get_meta(MOUNT_POINTS_KEY)) == [sub]
    library.index_folder(album)
    assert store.get_meta(MOUNT_POINTS_KEY) is None  # a whole walk saw it is a plain folder


def test_a_stopped_walk_of_a_folder_moved_in_records_nothing(library, album):
    """The watcher's changes: a big folder moved into a library folder is walked too."""
    library.index_folder(album)
    copies(album / "chelsea.jpg", album / "moved-in", 40, per_folder=True)
    report = library.index_paths([album / "moved-in"], should_stop=stop_after(2))
    assert report.stopped and (report.added, report.unchanged) == (0, 0)
    assert len(library.photos()) == 5
    report = library.index_paths([album / "moved-in"])
    assert not report.stopped and report.added == 40
