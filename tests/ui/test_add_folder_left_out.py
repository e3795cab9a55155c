"""A folder added (or dropped) inside a watched one that the watched folder's walk leaves out (a
hidden or system folder, a photo app library's previews: scan.left_out) was refused: first
with "its photos are indexed and watched with it", which was false, then with "its photos are
not indexed: copy them elsewhere or watch this folder instead of the one around it". The
library makes such a folder a library folder of its own (PhotoLibrary.add_folder): it is added,
walked and watched on its own, and the folder around it still skips it. In the real window
offscreen, with real photo files, SQLite and the tiny real ONNX model."""

from __future__ import annotations

import pytest
from photos import make_photo
from ui_helpers import answer_question, drop_on, dropped_files, indexed, wait_idle, wait_rows

from desktop_app.settings import Settings
from desktop_app.ui.models import PathRole, PhotoIdRole

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


def shown(window) -> dict[str, int]:
    """The library grid's photos: path -> id."""
    model = window.photos_model
    return {model.index(row, 0).data(PathRole): model.index(row, 0).data(PhotoIdRole)
            for row in range(model.rowCount())}


def test_a_folder_the_walk_leaves_out_is_added_as_a_folder_of_its_own(
        qtbot, make_window, pictures):
    """A Photos library's previews, a folder inside a hidden one (the deepest is added, not the
    hidden one holding it) and one inside a system folder: each is added, its photo indexed."""
    window = indexed(qtbot, make_window, pictures, 2)
    bar = window.statusBar()
    added = [pictures / LIBRARY / "resources" / "derivatives",
             pictures / ".thumbnails" / "large",
             pictures / "@eaDir" / "rocket.jpg"]
    for count, folder in enumerate(added, start=3):
        bar.clearMessage()
        window.add_folder(str(folder))
        assert "nothing was added" not in bar.currentMessage()
        assert not bar.is_problem()
        wait_rows(qtbot, window, count)
        wait_idle(qtbot, window)
    expected = [str(pictures), *map(str, added)]
    assert window.settings.watched_folders == expected
    assert window.folders_panel.folders() == expected
    # A watch may start after add_folder returned (a busy machine): waited for.
    qtbot.waitUntil(lambda: sorted(window.watcher.watched()) == sorted(expected), timeout=10000)
    assert sorted(f.path for f in window.worker._library.folders()) == sorted(expected)
    assert not bar.is_problem()
    # A folder the walk finds is still said to be indexed with the folder around it.
    window.add_folder(str(pictures / "trip"))
    assert bar.currentMessage() == (
        f"{pictures / 'trip'} is inside {pictures}, which is already in the library: its "
        "photos are indexed and watched with it; nothing was added.")
    assert window.settings.watched_folders == expected


def test_a_left_out_folder_dropped_is_asked_about_and_added(qtbot, make_window, pictures):
    window = indexed(qtbot, make_window, pictures, 2)
    folder = pictures / ".thumbnails"
    asked: list[str] = []
    answer_question("Watch", asked)
    drop_on(window.grid.viewport(), dropped_files(folder))
    qtbot.waitUntil(lambda: bool(asked), timeout=5000)
    assert asked == [f"Watch {folder} and index its photos?"]
    assert window.settings.watched_folders == [str(pictures), str(folder)]
    wait_rows(qtbot, window, 3)
    assert str(folder / "large" / "rocket.png") in shown(window)


def test_a_left_out_folder_is_kept_up_to_date_and_removed_on_its_own(
        qtbot, make_window, pictures):
    """End to end: its new photos are indexed (its own watcher), the full check of the folder
    around it at the next start leaves its photos alone, Remove of the folder around it keeps
    them, Remove of it removes only them."""
    derivatives = pictures / LIBRARY / "resources" / "derivatives"
    window = indexed(qtbot, make_window, pictures, 2)
    window.add_folder(str(derivatives))
    wait_rows(qtbot, window, 3)
    wait_idle(qtbot, window)
    new = make_photo(derivatives / "5" / "5C2D_1_105_c.jpeg", "coffee", size=(96, 64))
    wait_rows(qtbot, window, 4, timeout=20000)
    wait_idle(qtbot, window)
    # Deleted, it leaves (both watchers report it: the one around it reports removals in the
    # folders it skips), and the other photos stay.
    gone = derivatives / "4" / "4A1B_1_105_c.jpeg"
    gone_id = shown(window)[str(gone)]
    gone.unlink()
    wait_rows(qtbot, window, 3, timeout=20000)
    wait_idle(qtbot, window)
    assert gone_id not in shown(window).values()
    make_photo(gone, "chelsea", size=(96, 64))
    wait_rows(qtbot, window, 4, timeout=20000)
    wait_idle(qtbot, window)
    before = shown(window)
    assert str(new) in before
    # Its photos are its own, not the folder around it's (whose walk skips them).
    held = window.worker._library.store.query(
        "SELECT f.path, COUNT(*) FROM photos p JOIN folders f ON f.id = p.folder_id "
        "GROUP BY f.path")
    assert sorted(map(tuple, held)) == [(str(pictures), 2), (str(derivatives), 2)]
    window.close()

    saved = Settings.load()
    assert saved.watched_folders == [str(pictures), str(derivatives)]
    again = make_window(watched_folders=saved.watched_folders)
    wait_rows(qtbot, again, 4)
    wait_idle(qtbot, again)
    qtbot.wait(500)  # a removal by the check would be shown by now
    assert shown(again) == before  # the same photos, the same ids: none removed or re-encoded

    again.remove_folder(str(pictures))
    qtbot.waitUntil(lambda: again.photos_model.rowCount() == 2, timeout=20000)
    wait_idle(qtbot, again)
    assert shown(again) == {p: i for p, i in before.items() if p.startswith(str(derivatives))}
    assert again.settings.watched_folders == [str(derivatives)]
    later = make_photo(derivatives / "6" / "6E3F_1_105_c.jpeg", "astronaut", size=(96, 96))
    wait_rows(qtbot, again, 3, timeout=20000)  # still watched
    wait_idle(qtbot, again)
    assert str(later) in shown(again)


def test_removing_a_left_out_folder_removes_only_its_photos(qtbot, make_window, pictures):
    thumbnails = pictures / ".thumbnails"
    window = indexed(qtbot, make_window, pictures, 2)
    outer = shown(window)
    window.add_folder(str(thumbnails))
    wait_rows(qtbot, window, 3)
    wait_idle(qtbot, window)
    window.remove_folder(str(thumbnails))
    qtbot.waitUntil(lambda: window.photos_model.rowCount() == 2, timeout=20000)
    wait_idle(qtbot, window)
    assert shown(window) == outer
    assert window.settings.watched_folders == [str(pictures)]
    assert [f.path for f in window.worker._library.folders()] == [str(pictures)]


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
