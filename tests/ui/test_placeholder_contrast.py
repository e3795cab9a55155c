"""The squares shown while thumbnails load (and for photos that cannot be read) stand out from
the grid's background in a light and in a dark theme."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from desktop_app.core.records import Photo
from desktop_app.ui.models import PhotoListModel
from desktop_app.ui.photo_grid import PhotoGrid
from desktop_app.ui.thumbnails import ThumbnailCache

EDGE = 64


def luminance(color: QColor) -> float:
    """WCAG 2 relative luminance."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in color.getRgbF()[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: QColor, b: QColor) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def dark_palette() -> QPalette:
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, rgb in ((roles.Window, (45, 45, 45)), (roles.WindowText, (220, 220, 220)),
                      (roles.Base, (30, 30, 30)), (roles.AlternateBase, (40, 40, 40)),
                      (roles.Text, (220, 220, 220)), (roles.Button, (50, 50, 50)),
                      (roles.ButtonText, (220, 220, 220)), (roles.Highlight, (42, 130, 218))):
        palette.setColor(role, QColor(*rgb))
    return palette


@pytest.fixture(params=["light", "dark"])
def theme(request, qapp):
    kept = QApplication.palette()
    if request.param == "dark":
        QApplication.setPalette(dark_palette())
    yield request.param
    QApplication.setPalette(kept)


def test_placeholders_stand_out_from_the_background(qtbot, tmp_path, theme, request):
    """A fixed translucent grey (40 of 255) hardly showed: on a dark background the grid
    looked empty until the thumbnails came (about 1.1:1 against it)."""
    cache = ThumbnailCache(edge=EDGE, threads=1, disk_cache=False)
    release = threading.Event()
    cache._pool.start(release.wait)  # its one thread busy: the thumbnails stay to come
    request.addfinalizer(cache.shutdown)
    request.addfinalizer(release.set)  # first, even if an assertion failed
    model = PhotoListModel(cache)
    model.set_photos([Photo(1, str(tmp_path / "gone.jpg"), 1, 10, 1.0, 8, 8, "ok", None)])
    grid = PhotoGrid(EDGE)
    grid.setModel(model)
    qtbot.addWidget(grid)
    grid.resize(400, 300)
    grid.show()
    qtbot.waitExposed(grid)

    def colours() -> tuple[QColor, QColor]:
        """(the square's middle, an empty corner of the grid) as drawn on screen."""
        image = grid.viewport().grab().toImage()
        cell = grid.visualRect(model.index(0))
        icon = grid.iconSize()
        # The icon is drawn at the top of its cell, centred across it.
        middle = image.pixelColor(cell.center().x(), cell.top() + icon.height() // 2)
        return middle, image.pixelColor(image.width() - 3, image.height() - 3)

    loading, background = colours()
    assert background == grid.viewport().palette().color(QPalette.ColorRole.Base)
    assert contrast(loading, background) >= 1.5, (theme, loading.name(), background.name())
    release.set()
    qtbot.waitUntil(lambda: cache.is_broken(str(tmp_path / "gone.jpg")), timeout=5000)
    grid.viewport().repaint()
    broken, background = colours()
    assert broken != loading  # told apart from one still loading
    assert contrast(broken, background) >= 1.5, (theme, broken.name(), background.name())
