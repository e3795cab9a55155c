"""Removals in folders the library's walk skips (a NAS's @eaDir, hidden folders, a Photos
library's previews) were dropped by the watcher with the rest of their events: the photos an
earlier version indexed there stayed in the library after their files were deleted, until the
folder's next full check. Removals there are reported now (they can only remove records); what
is written there still is not. The real FolderWatcher on real files, and a real library."""

from __future__ import annotations

import shutil

import pytest
from photos import make_photo

from desktop_app.core import library as library_module
from desktop_app.core import scan
from desktop_app.core.encoder import load_encoder
from desktop_app.core.library import PhotoLibrary
from desktop_app.core.store import Store
from desktop_app.watch import FolderWatcher

PHOTOS = "Photos Library.photoslibrary"


pytestmark = pytest.mark.usefixtures("watch_returns_started")


@pytest.fixture
def watcher(qtbot):
    w = FolderWatcher(debounce_ms=200)
    yield w
    w.stop()


@pytest.fixture
def pictures(tmp_path):
    folder = tmp_path / "Pictures"
    make_photo(folder / "trip" / "rocket.jpg", "rocket", size=(64, 48))
    make_photo(folder / "@eaDir" / "rocket.jpg" / "SYNOPHOTO_THUMB_M.jpg", "rocket", size=(48, 36))
    make_photo(folder / ".thumbnails" / "large" / "rocket.png", "rocket", size=(40, 30))
    make_photo(folder / PHOTOS / "originals" / "4" / "4A1B.jpeg", "chelsea", size=(64, 48))
    make_photo(folder / PHOTOS / "resources" / "derivatives" / "4" / "4A1B_1_105_c.jpeg",
               "chelsea", size=(48, 32))
    return folder


def test_removals_in_skipped_folders_are_reported_and_what_is_written_there_is_not(
        qtbot, watcher, pictures):
    thumb = pictures / "@eaDir" / "rocket.jpg" / "SYNOPHOTO_THUMB_M.jpg"
    large = pictures / ".thumbnails" / "large"
    derivative = pictures / PHOTOS / "resources" / "derivatives" / "4" / "4A1B_1_105_c.jpeg"
    moved_out = pictures / "trip" / "4A1B-small.jpeg"
    assert watcher.watch(str(pictures))
    events = []
    watcher.paths_changed.connect(lambda p: events.append(("changed", p)))
    watcher.paths_removed.connect(lambda p: events.append(("removed", p)))
    with qtbot.waitSignal(watcher.paths_removed, timeout=5000):
        thumb.unlink()
        shutil.rmtree(large)
        shutil.move(derivative, moved_out)
        make_photo(pictures / "@eaDir" / "new.jpg" / "SYNOPHOTO_THUMB_M.jpg", "coffee",
                   size=(48, 36))
    removed = sorted(map(str, [thumb, large, derivative]))

    def seen(kind: str) -> list[str]:  # in one batch or several (a busy machine splits them)
        return sorted(path for said, paths in events if said == kind for path in paths)

    qtbot.waitUntil(lambda: seen("removed") == removed and seen("changed") == [str(moved_out)],
                    timeout=10000)
    qtbot.wait(400)  # past the debounce: nothing else comes
    assert (seen("removed"), seen("changed")) == (removed, [str(moved_out)])


def test_a_photo_an_earlier_version_indexed_there_leaves_when_deleted(
        qtbot, watcher, pictures, tmp_path, tiny_model_dir, monkeypatch):
    store = Store(tmp_path / "library.sqlite3")
    try:
        library = PhotoLibrary(store, load_encoder(tiny_model_dir, intra_op_threads=1),
                               batch_size=4, decode_threads=1)
        with monkeypatch.context() as old:  # indexed by a version that skipped none of them
            old.setattr(scan, "left_out", lambda name, holder="": False)
            old.setattr(library_module, "left_out", lambda name, holder="": False)
            library.index_folder(pictures)
        assert len(library.photos()) == 5
        watcher.paths_removed.connect(library.remove_paths)  # as the window forwards them
        watcher.watch(str(pictures))
        with qtbot.waitSignal(watcher.paths_removed, timeout=5000):
            (pictures / "@eaDir" / "rocket.jpg" / "SYNOPHOTO_THUMB_M.jpg").unlink()
            shutil.rmtree(pictures / ".thumbnails")
        assert sorted(p.path for p in library.photos()) == sorted(map(str, [
            pictures / PHOTOS / "originals" / "4" / "4A1B.jpeg",
            pictures / PHOTOS / "resources" / "derivatives" / "4" / "4A1B_1_105_c.jpeg",
            pictures / "trip" / "rocket.jpg"]))
    finally:
        store.close()
