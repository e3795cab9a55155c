"""Fixtures for the app tests: a real MainWindow (offscreen) on the tiny real ONNX model, and a
small library of real photos with one near-copy."""

from __future__ import annotations

import pytest
from photos import make_photo
from PySide6 import QtGui
from PySide6.QtGui import QAccessible

from desktop_app.settings import Settings
from desktop_app.ui.main_window import MainWindow


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
