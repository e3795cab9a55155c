"""Quitting while a search runs on for longer than the quit waits for it (a dropped photo
encoded, a search of a big library): the app ends without a word on stderr. The real app in a
process of its own (its own quit, its objects deleted as Python ends), the search made slow."""

from __future__ import annotations

from app_process import run_app_script

# Started as `lookalike FOLDER`: the folder's photo indexed, then a search with it asked and the
# window closed (Ctrl+Q) while it runs on past the window's 3 s wait for its tasks.
SCRIPT = r"""
import sys, time
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication
from shiboken6 import Shiboken
from desktop_app import app as lookalike
from desktop_app.ui import search
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.models import PhotoIdRole, exact_path

similar = search.SearchSnapshot.similar

def slow(snapshot, *args, **kwargs):
    print("searching", flush=True)
    time.sleep(4.5)
    return similar(snapshot, *args, **kwargs)

search.SearchSnapshot.similar = slow
qt = QApplication(sys.argv[:1])

def main_window():
    return next((w for w in qt.topLevelWidgets() if isinstance(w, MainWindow)), None)

def search_then_quit():
    window = main_window()
    if window is None or not window.grid.model().rowCount() or not len(window.search.snapshot):
        QTimer.singleShot(100, search_then_quit)
        return
    index = window.grid.model().index(0, 0)
    window.search.search_photo(index.data(PhotoIdRole), exact_path(index))
    QTimer.singleShot(300, window.close)  # as Ctrl+Q

QTimer.singleShot(100, search_then_quit)
code = lookalike.main(sys.argv[1])
# As Python ends, PySide deletes each QObject Python owns in the order of its table of
# wrappers, another in each run: here the others before the window, as an unlucky run does.
window = main_window()
for obj in Shiboken.getAllValidWrappers():
    if (isinstance(obj, QObject) and Shiboken.ownedByPython(obj)
            and obj is not window and obj is not qt):
        Shiboken.delete(obj)
sys.exit(code)
"""


def test_quitting_while_a_search_runs_says_nothing(tmp_path, photo_factory, tiny_model_dir,
                                                   lookalike_home):
    """The task runner's answer came after the object it is sent through was deleted, as
    Python ended: "RuntimeError: Signal source has been deleted", logged as an unexpected
    error, whose message box, opened on the pool's thread as the app ended, never let it end."""
    photo_factory("album/photo.jpg", "chelsea")
    done = run_app_script(SCRIPT, tmp_path / "album", tiny_model_dir, timeout=20)
    assert done.stdout.splitlines() == ["searching"]
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "deleted" not in done.stderr, done.stderr[-3000:]
