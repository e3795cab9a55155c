"""On a HiDPI screen the preview's 100% is one photo pixel a screen (device) pixel, not a logical
pixel: a 2400-pixel photo at 100% on a screen of scale 2 takes 1200 logical pixels, and each of
the screen's pixels is one of the photo's. Real Qt offscreen (its screen's scale changed as a
platform says it), a real PNG decoded on the preview's thread."""

from __future__ import annotations

import numpy as np
from PIL import Image
from pixel_pattern import pattern, where_shown
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from qt_pictures import rgb_picture

from desktop_app.ui.photo_preview import PhotoPreview


def previewed_at_scale_2(grid_of, move_to_scale, path, size: tuple[int, int]) -> PhotoPreview:
    """The preview of the photo at `path` (`size` its pixels), moved to a screen of scale 2."""
    grid, preview = grid_of([path], [size])
    preview.show_for(grid, grid.model().index(0))
    move_to_scale(preview, 2.0)
    return preview


def test_100_percent_is_one_photo_pixel_a_device_pixel(qtbot, tmp_path, grid_of,
                                                       move_to_scale):
    width, height = 2400, 1800
    path = tmp_path / "pattern.png"
    pattern(width, height).save(path)
    preview = previewed_at_scale_2(grid_of, move_to_scale, path, (width, height))
    view = preview.picture
    assert view.devicePixelRatioF() == 2.0
    qtbot.waitUntil(lambda: (shown := preview.shown_picture()) is not None
                    and shown.devicePixelRatio() == 2.0, timeout=20000)
    assert view.is_fitted() and view.scale() < 1.0
    at = QPoint(view.width() // 2 - 37, view.height() // 2 + 23)
    qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=at)
    assert view.scale() == 1.0
    area = view.photo_rect()
    assert (area.width(), area.height()) == (width / 2, height / 2)  # logical pixels
    qtbot.waitUntil(lambda: preview.shown_picture().width() == width, timeout=20000)
    grabbed = view.grab()
    assert grabbed.devicePixelRatio() == 2.0
    shown = np.asarray(rgb_picture(grabbed.toImage()))
    row, column = 2 * at.y(), 2 * at.x()
    first = where_shown(shown[row, column])
    assert [where_shown(p) for p in shown[row, column:column + 60]] == [
        (first[0] + d, first[1]) for d in range(60)]
    assert [where_shown(p) for p in shown[row:row + 60, column]] == [
        (first[0], first[1] + d) for d in range(60)]


def test_the_point_under_the_pointer_stays_put_at_scale_2(qtbot, tmp_path, grid_of,
                                                          move_to_scale):
    """Ctrl+wheel from fitted to 1600% on a screen of scale 2: the photo's point under the
    pointer stays under it to half a device pixel at each step (it moved 6 device pixels by
    1600%, the rounding of each step to whole device pixels adding up)."""
    width, height = 2400, 1800
    path = tmp_path / "photo.png"
    Image.new("RGB", (width, height), (90, 140, 200)).save(path)
    preview = previewed_at_scale_2(grid_of, move_to_scale, path, (width, height))
    view = preview.picture
    assert view.devicePixelRatioF() == 2.0
    at = QPointF(view.width() / 2 + 11.3, view.height() / 2 - 6.6)

    def photo_point() -> tuple[float, float]:
        area = view.photo_rect()
        return ((at.x() - area.left()) * width / area.width(),
                (at.y() - area.top()) * height / area.height())

    before, off = photo_point(), []
    while view.scale() < 16:
        QApplication.sendEvent(view, QWheelEvent(
            at, QPointF(view.mapToGlobal(at.toPoint())), QPoint(), QPoint(0, 120),
            Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
            Qt.ScrollPhase.NoScrollPhase, False))
        off.append(max(abs(a - b) for a, b in zip(photo_point(), before)) * view.scale())
    assert len(off) > 8 and max(off) <= 0.5 + 1e-6, off
