"""A folder link's photos in the library follow the link while the app runs: the real
FolderWatcher's reports go to a real PhotoLibrary (a SQLite file, the tiny ONNX model), as the
window forwards them. Before, the photos of a link made while the app ran came at the next
start, and those of a link deleted (its folder kept) stayed until then."""

from __future__ import annotations

import os

import pytest
from photos import make_photo

from desktop_app.core.encoder import load_encoder
from desktop_app.core.library import PhotoLibrary
from desktop_app.core.store import Store
from desktop_app.watch import FolderWatcher

pytestmark = pytest.mark.usefixtures("watch_returns_started")


@pytest.fixture
def watcher(qtbot):
    w = FolderWatcher(debounce_ms=200)
    yield w
    w.stop()


def test_the_library_follows_a_folder_link_made_changed_and_deleted(
        qtbot, tmp_path, watcher, tiny_model_dir):
    pictures, trip = tmp_path / "Pictures", tmp_path / "disk" / "trip"
    make_photo(trip / "a.jpg", "coffee", size=(64, 48))
    make_photo(trip / "b.jpg", "rocket", size=(64, 48))
    pictures.mkdir()
    os.symlink(trip, pictures / "trip")
    store = Store(tmp_path / "library.sqlite3")
    try:
        library = PhotoLibrary(store, load_encoder(tiny_model_dir, intra_op_threads=1),
                               batch_size=4, decode_threads=1)
        library.index_folder(pictures)

        def paths() -> list[str]:
            return sorted(os.path.relpath(p.path, pictures) for p in library.photos())

        assert paths() == ["trip/a.jpg", "trip/b.jpg"]
        watcher.paths_changed.connect(library.index_paths)  # as the window forwards them
        watcher.paths_removed.connect(library.remove_paths)
        assert watcher.watch(str(pictures))
        qtbot.waitUntil(lambda: watcher.links() == [str(pictures / "trip")], timeout=5000)

        make_photo(trip / "c.jpg", "chelsea", size=(64, 48))
        (trip / "a.jpg").unlink()
        qtbot.waitUntil(lambda: paths() == ["trip/b.jpg", "trip/c.jpg"], timeout=10000)

        (pictures / "trip").unlink()  # its folder stays, no longer in the library
        qtbot.waitUntil(lambda: paths() == [], timeout=10000)
        assert sorted(os.listdir(trip)) == ["b.jpg", "c.jpg"]

        os.symlink(trip, pictures / "again")
        qtbot.waitUntil(lambda: paths() == ["again/b.jpg", "again/c.jpg"], timeout=10000)
    finally:
        store.close()
