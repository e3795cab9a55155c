"""The photo menu opened on a raw's tile of the library grid acts on its picture when the raw's
JPEG is indexed while the menu is open and takes the tile (the real window, offscreen, real
SQLite, the tiny real ONNX model, a real DNG that LibRaw reads as a camera's, the real folder
watcher): Find similar photos and Preview said "IMG_1.CR2 is no longer shown here (it left
the library...)", looking for the raw's id in the rows, where its JPEG's tile stands for it."""

from __future__ import annotations

from photos import make_camera_raw, make_photo
from ui_helpers import header, wait_idle

from desktop_app.ui.models import PathRole


def test_find_similar_and_preview_of_a_raw_use_its_jpegs_tile_once_it_has_one(
        qtbot, make_window, tmp_path):
    card = tmp_path / "card"
    raw = make_camera_raw(card / "IMG_1.CR2", "chelsea")
    make_photo(card / "rocket.jpg", "rocket")
    window = make_window()
    window.add_folder(str(card))
    qtbot.waitUntil(lambda: len(window.snapshot) == 2, timeout=60000)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: not window.row_feeder.pending()
                    and window.photos_model.rowCount() == 2, timeout=10000)
    grid, model = window.grid, window.photos_model
    row = model.row_of_path(str(raw))
    actions = dict(grid.actions_for(model.index(row)))  # the menu, opened on the raw
    problems: list[str] = []
    grid.problem.connect(problems.append)
    jpeg = make_photo(card / "IMG_1.JPG", "chelsea", quality=85)  # copied from the card now
    qtbot.waitUntil(lambda: model.index(row).data(PathRole) == str(jpeg), timeout=30000)
    qtbot.waitUntil(lambda: len(window.snapshot) == 3, timeout=30000)
    actions["Find similar photos"]()
    assert problems == []  # (said at once, were the photo taken as gone)
    qtbot.waitUntil(lambda: header(window).startswith("Photos like IMG_1.JPG"), timeout=20000)
    with qtbot.waitSignal(grid.preview_requested, timeout=5000) as previewed:
        actions["Preview\tSpace"]()
    assert previewed.args[0].data(PathRole) == str(jpeg)
    assert grid.currentIndex().row() == row  # the preview shows the current photo
    assert problems == []
    window.preview.close()
