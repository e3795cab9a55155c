"""Thumbnails follow the screens while the app runs: a monitor of another scale plugged in (or
the scale changed) gets thumbnails made with its pixels, not those made for the screens there
were at start, stretched (blurred) or shrunk."""

from __future__ import annotations

import ctypes
import threading

import pytest
import shiboken6
from photos import make_photo
from PySide6.QtGui import QGuiApplication

from desktop_app.ui import thumbnails
from desktop_app.ui.thumbnails import ThumbnailCache

EDGE = 64


@pytest.fixture
def photo(tmp_path) -> str:
    return str(make_photo(tmp_path / "chelsea.jpg", "chelsea", size=(300, 200)))


def loaded(qtbot, cache: ThumbnailCache, path: str):
    qtbot.waitUntil(lambda: cache.pixmap(path) is not None, timeout=5000)
    return cache.pixmap(path)


def fills_the_width(pix) -> bool:
    """A landscape photo reaches both sides of its square (not drawn small in its middle)."""
    image = pix.toImage()
    middle = image.height() // 2
    return (image.pixelColor(1, middle).alpha() == 255
            and image.pixelColor(image.width() - 2, middle).alpha() == 255)


def test_a_new_scale_remakes_the_thumbnails_with_its_pixels(qtbot, photo, request):
    cache = ThumbnailCache(edge=EDGE, threads=1, disk_cache=False, scale=1.0)
    request.addfinalizer(cache.shutdown)
    before = loaded(qtbot, cache, photo)
    assert (before.width(), before.devicePixelRatio()) == (EDGE, 1.0)
    with qtbot.waitSignal(cache.ready, timeout=1000) as said:  # views ask again
        cache.set_scale(2.0)
    assert said.args == [photo]
    after = loaded(qtbot, cache, photo)
    # 128 screen pixels shown in the 64-pixel cell, not 64 stretched to 128
    assert (after.width(), after.devicePixelRatio()) == (2 * EDGE, 2.0)
    assert fills_the_width(after)


def test_a_thumbnail_being_made_at_the_old_scale_is_made_again(qtbot, photo, request):
    cache = ThumbnailCache(edge=EDGE, threads=1, disk_cache=False, scale=1.0)
    release = threading.Event()
    cache._pool.start(release.wait)  # its one thread busy: the request waits in the queue
    request.addfinalizer(cache.shutdown)
    request.addfinalizer(release.set)  # first, even if an assertion failed
    assert cache.pixmap(photo) is None
    cache.set_scale(2.0)
    release.set()
    pix = loaded(qtbot, cache, photo)
    # Kept, the 64-pixel picture was drawn in the middle of the 128-pixel square: half size.
    assert (pix.width(), pix.devicePixelRatio()) == (2 * EDGE, 2.0)
    assert fills_the_width(pix)


@pytest.mark.parametrize("change", ["screen added", "screen scale changed"])
def test_the_cache_follows_the_screens(qtbot, photo, request, monkeypatch, change):
    """The platform's screens are the edge faked here: offscreen Qt cannot plug in a monitor
    or rescale one while it runs. The signals are Qt's own, from the real screen object."""
    cache = ThumbnailCache(edge=EDGE, threads=1, disk_cache=False)
    request.addfinalizer(cache.shutdown)
    assert cache.scale == 1.0
    assert loaded(qtbot, cache, photo).width() == EDGE
    monkeypatch.setattr(thumbnails, "screens_ratio", lambda: 2.0)
    app, screen = QGuiApplication.instance(), QGuiApplication.primaryScreen()
    if change == "screen added":
        app.screenAdded.emit(screen)
    else:
        screen.logicalDotsPerInchChanged.emit(192.0)
    assert cache.scale == 2.0
    pix = loaded(qtbot, cache, photo)
    assert (pix.width(), pix.devicePixelRatio()) == (2 * EDGE, 2.0)


def test_a_scale_given_is_kept(qtbot, monkeypatch):
    """Tests and tools that ask for a scale get it, whatever the screens do."""
    cache = ThumbnailCache(edge=EDGE, threads=1, disk_cache=False, scale=1.0)
    monkeypatch.setattr(thumbnails, "screens_ratio", lambda: 2.0)
    QGuiApplication.instance().screenAdded.emit(QGuiApplication.primaryScreen())
    assert cache.scale == 1.0
    cache.shutdown()


@pytest.fixture
def rescale_screen(qapp, qt_gui_function):
    """Gives the screen another scale as Qt does when a platform says so (Windows' display
    settings, a Wayland output's scale): the screen's signals come first, and only then does
    Qt drop the application's cached highest ratio (processScreenGeometryChange and
    processScreenLogicalDotsPerInchChange in qguiapplication.cpp)."""
    set_factor = qt_gui_function("_ZN15QHighDpiScaling15setScreenFactorEP7QScreend",
                                  ctypes.c_void_p, ctypes.c_double)
    reset = qt_gui_function("_ZN22QGuiApplicationPrivate27resetCachedDevicePixelRatioEv")
    if set_factor is None or reset is None:
        pytest.skip("this Qt build has not its private high-DPI functions")
    screen = QGuiApplication.primaryScreen()
    pointer = shiboken6.getCppPointer(screen)[0]

    def rescale(factor: float) -> None:
        set_factor(pointer, factor)  # emits geometryChanged: the old ratio still cached
        reset()

    qapp.devicePixelRatio()  # cached, as in an app that has asked it at start
    yield rescale
    rescale(1.0)


def test_a_screen_rescaled_while_the_app_runs(qtbot, photo, request, rescale_screen):
    """The real signal, from Qt's real order: the ratio asked of the application in the
    screen's signal was the one from before (1), and the thumbnails stayed blurred."""
    cache = ThumbnailCache(edge=EDGE, threads=1, disk_cache=False)
    request.addfinalizer(cache.shutdown)
    assert cache.scale == 1.0
    assert loaded(qtbot, cache, photo).width() == EDGE
    rescale_screen(2.0)
    assert QGuiApplication.primaryScreen().devicePixelRatio() == 2.0
    assert cache.scale == 2.0
    pix = loaded(qtbot, cache, photo)
    assert (pix.width(), pix.devicePixelRatio()) == (2 * EDGE, 2.0)
