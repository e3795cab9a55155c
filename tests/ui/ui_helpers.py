"""Helpers for the app tests: waiting, dropping, answering a message box, and shared library
layouts."""

from __future__ import annotations

import os
import stat
import sys
import textwrap
from pathlib import Path

from photos import make_photo
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QTextDocument, QWheelEvent
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QWidget

from desktop_app.core.records import Match
from desktop_app.ui.keys_help import show_keys
from desktop_app.ui.models import PhotoListModel, exact_path
from desktop_app.ui.photo_grid import PhotoGrid


def wait_rows(qtbot, window, count: int, timeout: int = 60000) -> None:
    qtbot.waitUntil(lambda: window.photos_model.rowCount() == count, timeout=timeout)


def wait_idle(qtbot, window, timeout: int = 60000) -> None:
    qtbot.waitUntil(lambda: window.folders_panel.activity.text() == "", timeout=timeout)


def indexed(qtbot, make_window, folder, count: int, tiles: int | None = None, **settings):
    """A window (make_window's) with `folder` added, its `count` photos indexed and searchable,
    shown as `tiles` in the grid (a RAW+JPEG pair is one; `count` if not given)."""
    window = make_window(**settings)
    window.add_folder(str(folder))
    wait_rows(qtbot, window, count if tiles is None else tiles)
    qtbot.waitUntil(lambda: len(window.snapshot) == count, timeout=20000)
    wait_idle(qtbot, window)
    return window


def header(window) -> str:
    """The results header as plain text."""
    shown = QTextDocument()
    shown.setHtml(window.results_panel.query_label.text())
    return shown.toPlainText()


def grid_names(grid) -> list[str]:
    """The file names a grid shows, row by row."""
    model = grid.model()
    return [os.path.basename(exact_path(model.index(row, 0))) for row in range(model.rowCount())]


def pick_from_menu(qtbot, open_menu, entry: str) -> list[str]:
    """Open a menu with `open_menu()` and pick its `entry`; the entries it had."""
    seen: list[str] = []

    def pick() -> None:
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, pick)
            return
        seen.extend(action.text() for action in menu.actions())
        action = next(a for a in menu.actions() if a.text() == entry)
        menu.close()
        action.trigger()

    QTimer.singleShot(20, pick)
    open_menu()
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    return seen


def checked_model(qtbot) -> PhotoListModel:
    """An empty PhotoListModel under Qt's QAbstractItemModelTester (its failures logged as
    warnings: assert on qtlog), shown in a real PhotoGrid."""
    model = PhotoListModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning,
                             model)
    grid = PhotoGrid(32)
    grid.setModel(model)
    qtbot.addWidget(grid)
    grid.show()
    return model


def drop_on(widget, mime) -> None:
    """Drag `mime` over `widget` and drop it there (the window takes drops from any child)."""
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    drop = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)


def ctrl_wheel(view, delta: int) -> None:
    """Turn the wheel `delta` eighths of a degree (120: a notch) over `view`'s middle, Ctrl held."""
    middle = QPointF(view.viewport().rect().center())
    event = QWheelEvent(middle, QPointF(view.viewport().mapToGlobal(middle.toPoint())),
                        QPoint(), QPoint(0, delta), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)


def dropped_files(*paths) -> QMimeData:
    """A drag's data naming these local files, as a file manager gives it."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def answer_question(button_prefix: str, seen: list) -> None:
    """Click the button of the next modal message box whose text starts with button_prefix;
    the box's text is added to `seen`."""
    def click(tries_left: int = 100):
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            for button in box.buttons():
                if button.text().startswith(button_prefix):
                    seen.append(box.text())
                    button.click()
                    return
        if tries_left:
            QTimer.singleShot(20, lambda: click(tries_left - 1))

    QTimer.singleShot(0, click)


def window_on_nested_folders(qtbot, make_window, root: Path, inner: Path):
    """A window watching `inner` (rocket.jpg, astronaut.png) and then `root` around it
    (coffee.jpg), with all three photos indexed."""
    make_photo(root / "coffee.jpg", "coffee", size=(200, 150))
    make_photo(inner / "rocket.jpg", "rocket", size=(150, 200))
    make_photo(inner / "astronaut.png", "astronaut", size=(160, 160))
    window = make_window()
    window.add_folder(str(inner))
    wait_rows(qtbot, window, 2)
    wait_idle(qtbot, window)
    window.add_folder(str(root))
    wait_rows(qtbot, window, 3)
    wait_idle(qtbot, window)
    return window


def photo_copies(folder, name: str, count: int) -> list[str]:
    """`count` files with the same photo in them."""
    first = make_photo(folder / f"{name}0.jpg", "chelsea", size=(60, 40))
    paths = [first]
    for i in range(1, count):
        copy = folder / f"{name}{i}.jpg"
        copy.write_bytes(first.read_bytes())
        paths.append(copy)
    return [str(p) for p in paths]


def as_group(paths: list[str], first_id: int) -> list[Match]:
    return [Match(first_id + i, path, 0, 48) for i, path in enumerate(paths)]


def duplicates_panel(qtbot, groups: list[list[Match]]):
    """A DuplicatesPanel (no thumbnails) showing `groups`, closed with the test."""
    from desktop_app.ui.duplicates_panel import DuplicatesPanel

    panel = DuplicatesPanel(None)
    qtbot.addWidget(panel)
    panel.set_groups(groups)
    return panel


def three_albums(root: Path) -> Path:
    """The retrain tests' albums: cats, space and cups, four photos each in several sizes."""
    for label, names in {"cats": ["chelsea", "cat"], "space": ["rocket", "hubble_deep_field"],
                         "cups": ["coffee", "colorwheel"]}.items():
        for i in range(4):
            make_photo(root / label / f"{i}.jpg", names[i % 2], size=(120 + 8 * i, 100))
    return root


def stand_in_trainer(tmp_path: Path, body: str) -> str:
    """An executable used in place of `python` (the retrain dialog's): the Python code `body`
    (dedented), run by this Python; it speaks the trainer's protocol."""
    script = tmp_path / "stand-in-python"
    script.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def use_own_trash(monkeypatch, folder: Path) -> Path:
    """Send the test's trashed files to `folder`/Trash. send2trash reads XDG_DATA_HOME once,
    when it is first imported, so its copy is patched too (whichever test imported it first)."""
    from send2trash import plat_other

    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    monkeypatch.setattr(plat_other, "XDG_DATA_HOME", os.fsencode(folder))
    monkeypatch.setattr(plat_other, "HOMETRASH_B", os.fsencode(folder / "Trash"))
    monkeypatch.setattr(plat_other, "HOMETRASH", str(folder / "Trash"))
    return folder / "Trash"


def app_main_until_indexed(folder: Path, before_close: str = "") -> str:
    """Python code for a real process: app.main(folder) (`lookalike FOLDER`), its window
    closed once one photo is in the grid; `before_close` runs then, with `window` in scope."""
    return f"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from desktop_app import app
from desktop_app.ui.main_window import MainWindow
qt = QApplication([])
def close_when_indexed():
    window = next(w for w in qt.topLevelWidgets() if isinstance(w, MainWindow))
    if window.photos_model.rowCount() == 1:
        {before_close or "pass"}
        window.close()
        qt.quit()
    else:
        QTimer.singleShot(50, close_when_indexed)
QTimer.singleShot(50, close_when_indexed)
sys.exit(app.main({str(folder)!r}))
"""


def keys_list_text(qtbot) -> str:
    """The text of the keys list (F1), opened over a window of its own and closed again."""
    parent = QWidget()
    qtbot.addWidget(parent)
    box = show_keys(parent)
    text = box.text()
    box.close()
    return text
