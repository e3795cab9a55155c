"""Fixtures for the app tests: a real MainWindow (offscreen) on the tiny real ONNX model, a small
library of real photos with one near-copy, a preview on a grid of its own, a window moved to a
screen of another scale, and the folder watcher's watch() returning once started."""

from __future__ import annotations

import ctypes

import pytest
import shiboken6
from photos import make_photo
from PySide6 import QtGui
from PySide6.QtGui import QAccessible, QGuiApplication
from PySide6.QtWidgets import QWidget

from desktop_app.core.records import Photo
from desktop_app.settings import Settings
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.models import PhotoListModel
from desktop_app.ui.photo_grid import PhotoGrid
from desktop_app.ui.photo_preview import PhotoPreview
from desktop_app.watch import watcher as watcher_module


@pytest.fixture
def library_photos(tmp_path):
    """Five different photos plus a resized, recompressed copy of chelsea (a near-duplicate)."""
    folder = tmp_path / "library"
    make_photo(folder / "chelsea.jpg", "chelsea", size=(451, 300))
    make_photo(folder / "chelsea-small.jpg", "chelsea", size=(300, 200), quality=70)
    make_photo(folder / "coffee.jpg", "coffee", size=(400, 266))
    make_photo(folder / "astronaut.png", "astronaut", size=(256, 256))
    make_photo(folder / "rocket.jpg", "rocket", size=(320, 427))
    make_photo(folder / "hubble.jpg", "hubble_deep_field", size=(300, 300))
    return folder


@pytest.fixture
def watch_returns_started(monkeypatch):
    """watch() returns once the watch has started. On a busy machine a start can outlast its
    50 ms wait: the folder is then reported changed whole once it has started, and a change
    made before that is not heard; neither is what the watcher tests that use this look at.
    Not for every test: those of a watch still starting when watch() returns go without."""
    monkeypatch.setattr(watcher_module, "START_WAIT_S", 10)


@pytest.fixture
def announced(monkeypatch) -> list[str]:
    """The announcements sent to the accessibility bridge (none listens offscreen; Qt before
    6.8 has none: the list stays empty)."""
    announcement = getattr(QtGui, "QAccessibleAnnouncementEvent", None)
    said: list[str] = []
    send = QAccessible.updateAccessibility

    def record(event) -> None:
        if announcement is not None and isinstance(event, announcement):
            said.append(event.message())
        send(event)

    monkeypatch.setattr(QAccessible, "updateAccessibility", record)
    return said


@pytest.fixture
def make_window(qtbot, tiny_model_dir):
    windows = []

    def factory(**settings_fields) -> MainWindow:
        settings = Settings(model_dir=str(tiny_model_dir), first_run_done=True)
        for key, value in settings_fields.items():
            setattr(settings, key, value)
        window = MainWindow(settings)
        window.watcher._timer.setInterval(200)  # tests need not wait the full debounce
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window._opened, timeout=60000)
        windows.append(window)
        return window

    yield factory
    for window in windows:
        window.shutdown()


@pytest.fixture
def grid_of(qtbot):
    """`grid_of(paths, sizes)`: a grid of these photos' records (as the library read them) in a
    window of its own, its first photo current, and a preview its Space opens; closed
    afterwards, its decode waited for, as the main window's shutdown does (a screen's scale set
    back at the end of a test decodes again; one left running when Python ends has Qt print
    "Qt Concurrent has caught an exception thrown from a worker thread")."""
    hosts, previews = [], []  # kept for the test: qtbot does not keep them alive

    def make(paths: list, sizes: list, thumbnails=None) -> tuple[PhotoGrid, PhotoPreview]:
        model = PhotoListModel(thumbnails)
        model.set_photos([Photo(i, str(path), 1, 1000, 1.0, w, h, "ok", None)
                          for i, (path, (w, h)) in enumerate(zip(paths, sizes), start=1)])
        host = QWidget()
        hosts.append(host)
        qtbot.addWidget(host)
        host.resize(1000, 700)
        grid = PhotoGrid(160, parent=host)
        grid.setModel(model)
        grid.resize(1000, 700)
        host.show()
        qtbot.waitExposed(host)
        grid.setCurrentIndex(model.index(0))
        preview = PhotoPreview(parent=host)
        previews.append(preview)
        grid.preview_requested.connect(lambda index: preview.show_for(grid, index))
        return grid, preview

    yield make
    for preview in previews:
        preview.close()
        preview.shutdown()


@pytest.fixture
def move_to_scale(qapp, qt_gui_function):
    """Moves a window to a screen of another scale as a platform says so (a window dragged to a
    HiDPI monitor: Windows, macOS and Wayland tell Qt the window's ratio changed,
    QWindowSystemInterface::handleWindowDevicePixelRatioChanged): the screen's factor set, then
    the window told. Offscreen Qt has one screen and no scale of its own to change. The window
    keeps its size in logical pixels: no resize comes."""
    set_factor = qt_gui_function("_ZN15QHighDpiScaling15setScreenFactorEP7QScreend",
                                  ctypes.c_void_p, ctypes.c_double)
    reset = qt_gui_function("_ZN22QGuiApplicationPrivate27resetCachedDevicePixelRatioEv")
    ratio_changed = qt_gui_function(
        "_ZN22QWindowSystemInterface35handleWindowDevicePixelRatioChangedI"
        "NS_19SynchronousDeliveryEEEvP7QWindow", ctypes.c_void_p)
    if None in (set_factor, reset, ratio_changed):
        pytest.skip("this Qt build has not its private high-DPI functions")
    screen = shiboken6.getCppPointer(QGuiApplication.primaryScreen())[0]
    moved = []

    def move(widget: QWidget, factor: float) -> None:
        set_factor(screen, factor)
        reset()
        window = widget.windowHandle()
        moved.append(window)
        ratio_changed(shiboken6.getCppPointer(window)[0])

    yield move
    set_factor(screen, 1.0)
    reset()
    for window in moved:
        if shiboken6.isValid(window):
            ratio_changed(shiboken6.getCppPointer(window)[0])


@pytest.fixture(scope="session")
def qt_gui_function():
    """`qt_gui_function(name, *argtypes)`: a function of Qt's own GUI library (its private
    platform API, for high-DPI screen changes offscreen Qt cannot make), or None if not there."""
    import ctypes
    from pathlib import Path

    import PySide6

    def find(name: str, *argtypes):
        library = Path(PySide6.__file__).parent / "Qt" / "lib" / "libQt6Gui.so.6"
        try:
            function = getattr(ctypes.CDLL(str(library)), name)
        except (OSError, AttributeError):
            return None
        function.argtypes = list(argtypes)
        function.restype = None
        return function

    return find
