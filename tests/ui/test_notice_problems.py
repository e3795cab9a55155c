"""The window's notices that say something went wrong (a folder gone, a photo that cannot be
read, the library not saved) stand out from routine news, on screen and to a screen reader:
they looked and sounded like 'Indexing …: 12 added'. Real window (offscreen), real photos."""

from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtGui import QColor
from ui_helpers import wait_idle, wait_rows

from desktop_app.ui.notice_bar import NoticeBar

QAccessibleAnnouncementEvent = getattr(QtGui, "QAccessibleAnnouncementEvent", None)


def fill(qtbot, bar: NoticeBar) -> QColor:
    """The notice's colour just inside its right edge, halfway down (no text there)."""
    qtbot.waitUntil(lambda: bar.notice.text() != "", timeout=2000)
    area = bar.notice.geometry()
    return bar.grab().toImage().pixelColor(area.right() - 4, area.center().y())


def test_a_folder_that_cannot_be_added_is_a_problem_and_news_after_it_is_not(
        qtbot, make_window, tmp_path, announced):
    window = make_window()
    bar = window.statusBar()
    window.add_folder(str(tmp_path / "nowhere"))
    assert "does not exist" in bar.currentMessage()
    assert bar.is_problem()
    amber = fill(qtbot, bar)
    assert amber.red() > amber.blue() + 20
    if QAccessibleAnnouncementEvent is not None:
        assert announced[-1] == f"Problem: {bar.currentMessage()}"
    window.tell(f"{tmp_path} is back; checking it for changes.")
    assert not bar.is_problem()
    qtbot.waitUntil(lambda: fill(qtbot, bar).blue() > fill(qtbot, bar).red(), timeout=2000)
    if QAccessibleAnnouncementEvent is not None:
        assert announced[-1] == bar.currentMessage()  # routine: no "Problem:"


def test_the_indexers_errors_and_a_library_not_saved_are_problems(qtbot, make_window):
    """The indexer's error signal (a model that cannot be loaded, a library that cannot be
    saved) and the notice left up while a save is retried; 'saved again' is routine."""
    window = make_window()
    bar = window.statusBar()
    window.worker.error.emit("/models/x/model.onnx cannot be loaded: damaged. Import it again.")
    assert bar.is_problem()
    window.worker.retry_pending.emit("library.sqlite3: the disk is full. Free some disk space.")
    assert bar.is_problem() and "disk is full" in bar.currentMessage()
    window.worker.retry_pending.emit("")
    assert bar.currentMessage() == "The library is saved again."
    assert not bar.is_problem()


def test_a_job_that_could_not_read_a_photo_says_so_as_a_problem(qtbot, make_window,
                                                               library_photos):
    (library_photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a real jpeg")
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    bar = window.statusBar()
    qtbot.waitUntil(lambda: "could not be read" in bar.currentMessage(), timeout=20000)
    assert bar.is_problem()
    assert fill(qtbot, bar).red() > fill(qtbot, bar).blue() + 20
