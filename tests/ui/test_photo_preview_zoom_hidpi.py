"""On a HiDPI screen the preview's 100% is one photo pixel a screen (device) pixel, not a logical
pixel: a 2400-pixel photo at 100% on a screen of scale 2 takes 1200 logical pixels, and each of
the screen's pixels is one of the photo's. Real Qt offscreen (its screen's scale changed as a
platform says it), a real PNG decoded on the preview's thread."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
import shiboken6
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget
from qt_pictures import rgb_picture

from desktop_app.core.records import Photo
from desktop_app.ui.models import PhotoListModel
from desktop_app.ui.photo_grid import PhotoGrid
from desktop_app.ui.photo_preview import PhotoPreview


@pytest.fixture
def screen_scale(qapp, qt_gui_function):
    """Sets the offscreen screen's scale and tells a window so, as Windows, macOS and Wayland
    tell Qt when a window moves to a HiDPI monitor (QHighDpiScaling's screen factor, then
    QWindowSystemInterface::handleWindowDevicePixelRatioChanged); back to 1 afterwards."""
    set_factor = qt_gui_function("_ZN15QHighDpiScaling15setScreenFactorEP7QScreend",
                                  ctypes.c_void_p, ctypes.c_double)
    reset = qt_gui_function("_ZN22QGuiApplicationPrivate27resetCachedDevicePixelRatioEv")
    ratio_changed = qt_gui_function(
        "_ZN22QWindowSystemInterface35handleWindowDevicePixelRatioChangedI"
        "NS_19SynchronousDeliveryEEEvP7QWindow", ctypes.c_void_p)
    if None in (set_factor, reset, ratio_changed):
        pytest.skip("this Qt build has not its private high-DPI functions")
    screen = shiboken6.getCppPointer(QGuiApplication.primaryScreen())[0]
    told = []

    def scale(widget: QWidget, factor: float) -> None:
        set_factor(screen, factor)
        reset()
        told.append(widget.windowHandle())
        ratio_changed(shiboken6.getCppPointer(told[-1])[0])

    yield scale
    set_factor(screen, 1.0)
    reset()
    for window in told:
        if shiboken6.isValid(window):
            ratio_changed(shiboken6.getCppPointer(window)[0])


def where_shown(rgb) -> tuple[int, int]:
    """The photo pixel a pixel of the pattern is: red and green its column's and row's low
    bytes, blue their high bytes."""
    red, green, blue = (int(c) for c in rgb)
    return (blue // 16) * 256 + red, (blue % 16) * 256 + green


def test_100_percent_is_one_photo_pixel_a_device_pixel(qtbot, tmp_path, screen_scale):
    width, height = 2400, 1800
    x, y = np.meshgrid(np.arange(width), np.arange(height))
    path = tmp_path / "pattern.png"
    Image.fromarray(np.stack([x & 255, y & 255, (x >> 8) * 16 + (y >> 8)], axis=-1)
                    .astype(np.uint8), "RGB").save(path)
    model = PhotoListModel(None)
    model.set_photos([Photo(1, str(path), 1, 1000, 1.0, width, height, "ok", None)])
    host = QWidget()
    qtbot.addWidget(host)
    host.resize(1000, 700)
    grid = PhotoGrid(160, parent=host)
    grid.setModel(model)
    host.show()
    qtbot.waitExposed(host)
    grid.setCurrentIndex(model.index(0))
    preview = PhotoPreview(parent=host)
    preview.show_for(grid, model.index(0))
    view = preview.picture
    screen_scale(preview, 2.0)
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


def test_the_point_under_the_pointer_stays_put_at_scale_2(qtbot, tmp_path, screen_scale):
    """Ctrl+wheel from fitted to 1600% on a screen of scale 2: the photo's point under the
    pointer stays under it to half a device pixel at each step (it moved 6 device pixels by
    1600%, the rounding of each step to whole device pixels adding up)."""
    width, height = 2400, 1800
    path = tmp_path / "photo.png"
    Image.new("RGB", (width, height), (90, 140, 200)).save(path)
    model = PhotoListModel(None)
    model.set_photos([Photo(1, str(path), 1, 1000, 1.0, width, height, "ok", None)])
    host = QWidget()
    qtbot.addWidget(host)
    host.resize(1000, 700)
    grid = PhotoGrid(160, parent=host)
    grid.setModel(model)
    host.show()
    qtbot.waitExposed(host)
    preview = PhotoPreview(parent=host)
    preview.show_for(grid, model.index(0))
    view = preview.picture
    screen_scale(preview, 2.0)
    assert view.devicePixelRatioF() == 2.0
    try:
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
    finally:
        preview.close()
        preview.shutdown()
