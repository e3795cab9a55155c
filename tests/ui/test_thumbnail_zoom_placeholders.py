"""The squares shown until a thumbnail comes follow a zoom: made at the new size, not the old."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt

from desktop_app.core.records import Photo
from desktop_app.ui.models import PhotoListModel
from desktop_app.ui.thumbnails import ThumbnailCache


def test_the_placeholder_follows_a_zoom(qtbot, tmp_path, request):
    cache = ThumbnailCache(edge=160, threads=1, disk_cache=False, scale=1.0)
    release = threading.Event()
    cache._pool.start(release.wait)  # its one thread busy: no thumbnail comes meanwhile
    request.addfinalizer(cache.shutdown)
    request.addfinalizer(release.set)
    model = PhotoListModel(cache)
    model.set_photos([Photo(1, str(tmp_path / "a.jpg"), 1, 1, 1.0, 4, 3, "ok", None)])
    decoration = lambda: model.index(0).data(Qt.ItemDataRole.DecorationRole)
    assert decoration().width() == 160
    cache.set_edge(208)
    # At 160, the grid's cells were laid out for 208 and the text under it put 48 pixels high.
    assert decoration().width() == 208
