"""A JPEG renamed over its own raw (`mv IMG_0001.JPG IMG_0001.CR2`): the library sends the
JPEG's record at the raw's path and the raw's removal after it. The grid showed the raw again
from its old record for that moment, and its removal took the path with it: the tile was no
longer found by its path, so its thumbnail never came (the real ThumbnailCache's `ready`
found no row) and the Duplicates tab took its file for one not indexed (found in review)."""

from __future__ import annotations

import os

from photos import make_camera_raw, make_photo
from PySide6.QtCore import Qt

from desktop_app.core.records import Photo
from desktop_app.ui.models import PhotoListModel
from desktop_app.ui.row_feeder import RowFeeder
from desktop_app.ui.thumbnails import ThumbnailCache


def record(photo_id: int, path) -> Photo:
    stat = os.stat(path)
    return Photo(photo_id, str(path), 1, stat.st_size, stat.st_mtime, 60, 40, "ok", None,
                 stat.st_ctime_ns)


def fed(qtbot, feeder: RowFeeder, changed: list, removed: list = ()) -> None:
    feeder.add(changed, list(removed))
    qtbot.waitUntil(lambda: not feeder.pending(), timeout=5000)


def test_a_jpeg_renamed_over_its_raw_keeps_its_tile_found_by_path_and_its_thumbnail(
        qtbot, tmp_path, request):
    card = tmp_path / "card"
    raw = make_camera_raw(card / "IMG_0001.CR2", "chelsea")
    jpeg = make_photo(card / "IMG_0001.JPG", "chelsea", quality=85)
    other = make_photo(card / "rocket.jpg", "rocket")
    thumbnails = ThumbnailCache(edge=64, threads=1, disk_cache=False, scale=1.0)
    request.addfinalizer(thumbnails.shutdown)
    model = PhotoListModel(thumbnails)
    feeder = RowFeeder(model)
    fed(qtbot, feeder, [record(1, raw), record(2, jpeg), record(3, other)])
    assert model.ids() == [2, 3] and model.hidden_raws() == 1
    os.replace(jpeg, raw)
    fed(qtbot, feeder, [record(2, raw)], [1])
    assert model.ids() == [2, 3] and model.hidden_raws() == 0
    assert model.row_of_path(str(raw)) == 0
    assert model.stamp_of_path(str(raw)) == record(2, raw).stamp  # the Duplicates tab's
    # The tile asks for its thumbnail, which is painted when it comes.
    with qtbot.waitSignal(model.dataChanged, timeout=10000,
                          check_params_cb=lambda first, last, roles: first.row() == 0):
        model.index(0).data(Qt.ItemDataRole.DecorationRole)
    assert thumbnails.pixmap(str(raw)) is not None
