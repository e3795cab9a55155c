"""Quitting from the preview while it decodes a photo for longer than the quit waits for it (a
big TIFF or PNG, a raw developed): the app ends without a word on stderr. The real app in a
process of its own (its own quit, its objects deleted as Python ends), the decode made slow."""

from __future__ import annotations

from app_process import run_app_script

# Started as `lookalike FOLDER`: the folder's photo indexed, then the preview opened on it and
# Ctrl+Q pressed there (its Quit), while the decode runs on past the main window's 3 s wait.
SCRIPT = r"""
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from desktop_app import app as lookalike
from desktop_app.ui import photo_preview
from desktop_app.ui.main_window import MainWindow

decode = photo_preview.preview_image

def slow(request):
    print("decoding", flush=True)
    time.sleep(4.5)
    return decode(request)

photo_preview.preview_image = slow
qt = QApplication(sys.argv[:1])

def preview_then_quit():
    window = next((w for w in qt.topLevelWidgets() if isinstance(w, MainWindow)), None)
    if window is None or window.grid.model().rowCount() == 0:
        QTimer.singleShot(100, preview_then_quit)
        return
    preview = window.open_preview(window.grid, window.grid.model().index(0, 0))
    QTimer.singleShot(300, preview._quit)

QTimer.singleShot(100, preview_then_quit)
sys.exit(lookalike.main(sys.argv[1]))
"""


def test_quitting_while_the_preview_decodes_says_nothing(tmp_path, photo_factory,
                                                         tiny_model_dir, lookalike_home):
    """Its answer came after the object it is sent through was deleted, as Python ended:
    "RuntimeError: Signal source has been deleted", logged as an unexpected error, whose
    message box, opened on the decoding thread as the app ended, never let it end."""
    photo_factory("album/photo.jpg", "chelsea")
    done = run_app_script(SCRIPT, tmp_path / "album", tiny_model_dir, timeout=60)
    assert done.stdout.splitlines() == ["decoding"]
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "deleted" not in done.stderr, done.stderr[-3000:]
