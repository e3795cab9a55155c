"""A folder added (or dropped) inside a watched one that the watched folder's walk leaves out (a
hidden or system folder, a photo app library's previews: scan.left_out) was refused with "its
photos are indexed and watched with it", which was false: they are not indexed at all. In the
real window offscreen, with real photo files, SQLite and the tiny real ONNX model."""

from __future__ import annotations

import pytest
from photos import make_photo
from PySide6.QtWidgets import QApplication
from ui_helpers import drop_on, dropped_files, indexed, wait_idle, wait_rows

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # QDragEnterEvent(QPoint)

LIBRARY = "Photos Library.photoslibrary"


@pytest.fixture
def pictures(tmp_path):
    """~/Pictures with one photo walked, and copies in three folders its walk leaves out."""
    folder = tmp_path / "Pictures"
    make_photo(folder / "trip" / "rocket.jpg", "rocket", size=(200, 150))
    make_photo(folder / LIBRARY / "originals" / "4" / "4A1B.jpeg", "chelsea", size=(200, 150))
    make_photo(folder / LIBRARY / "resources" / "derivatives" / "4" / "4A1B_1_105_c.jpeg",
               "chelsea", size=(96, 64))
    make_photo(folder / ".thumbnails" / "large" / "rocket.png", "rocket", size=(96, 72))
    make_photo(folder / "@eaDir" / "rocket.jpg" / "SYNOPHOTO_THUMB_M.jpg", "rocket",
               size=(96, 72))
    return folder


def left_out_cases(pictures):
    """(folder, what the message says leaves its photos out)."""
    return [
        (pictures / LIBRARY / "resources" / "derivatives",
         f"leaves out all of the photo app library {LIBRARY} but its originals"),
        (pictures / ".thumbnails", "leaves out .thumbnails (a hidden folder)"),
        (pictures / ".thumbnails" / "large",
         "leaves out .thumbnails (a hidden folder), which holds it"),
        (pictures / "@eaDir" / "rocket.jpg",
         ("leaves out @eaDir (a system folder of thumbnails, versions or deleted files), "
          "which holds it")),
    ]


def test_a_folder_the_walk_leaves_out_is_not_said_indexed_with_the_watched_one(
        qtbot, make_window, pictures):
    window = indexed(qtbot, make_window, pictures, 2)
    for folder, why in left_out_cases(pictures):
        window.add_folder(str(folder))
        assert window.statusBar().currentMessage() == (
            f"{folder} is inside {pictures}, which is already in the library, but the library "
            f"{why}: its photos are not indexed, and nothing was added. To index them, copy "
            "them to a folder that is not left out, or watch this folder on its own instead of "
            f"{pictures} (remove that first).")
    # A folder the walk finds is still said to be indexed with it.
    window.add_folder(str(pictures / "trip"))
    assert "its photos are indexed and watched with it; nothing was added" in (
        window.statusBar().currentMessage())
    assert window.settings.watched_folders == [str(pictures)]
    assert window.watcher.watched() == [str(pictures)]
    wait_idle(qtbot, window)
    assert window.photos_model.rowCount() == 2  # what the message says: none of theirs


def test_a_left_out_folder_dropped_says_so(qtbot, make_window, pictures):
    window = indexed(qtbot, make_window, pictures, 2)
    folder, why = left_out_cases(pictures)[0]
    drop_on(window.grid.viewport(), dropped_files(folder))
    assert QApplication.activeModalWidget() is None  # nothing asked
    assert window.statusBar().currentMessage() == (
        f"{folder} is inside {pictures}, which is already watched, but the library {why}: its "
        "photos are not indexed. To index them, copy them to a folder that is not left out, or "
        f"watch this folder on its own instead of {pictures} (remove that first).")
    assert window.settings.watched_folders == [str(pictures)]


def test_a_left_out_folder_watched_itself_is_walked_on_its_own(qtbot, make_window, pictures):
    """Watched itself (added before ~/Pictures was), it is indexed by its own walk: a folder
    inside it is said indexed with it, whatever the order of the watched folders (a settings
    file's), and adding it again only checks it for changes."""
    thumbnails = pictures / ".thumbnails"
    window = make_window(watched_folders=[str(pictures), str(thumbnails)])
    wait_rows(qtbot, window, 3)
    wait_idle(qtbot, window)
    window.add_folder(str(thumbnails / "large"))
    assert window.statusBar().currentMessage() == (
        f"{thumbnails / 'large'} is inside {thumbnails}, which is already in the library: its "
        "photos are indexed and watched with it; nothing was added.")
    window.statusBar().clearMessage()
    window.add_folder(str(thumbnails))
    assert "nothing was added" not in window.statusBar().currentMessage()
    assert window.settings.watched_folders == [str(pictures), str(thumbnails)]
    wait_idle(qtbot, window)
    assert window.photos_model.rowCount() == 3
