"""Wrapped texts shown whole at the smallest size the window allows (the real window and the
real Retrain dialog, offscreen): the results header, the Unreadable photos intro, the Model
tab's note and the Retrain dialog's texts. Qt's minimum sizes of a main window, a splitter, a
tab widget and a dialog are made of their children's minimumSizeHint, which for a wrapped
label is its text's height at another width: at 529x262 the results header showed 4 of its
9 lines, the Model tab's note 4 of 6, the intro 5 of 6 (alone, 3 of 12), and the dialog's note
lost the bottom of its last line. Each is a WrappedLabel now, its minimum height its text's at
its width: the window's smallest size grows to show it whole."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QRegion
from PySide6.QtWidgets import QLabel, QWidget

from desktop_app.core.records import Photo
from desktop_app.ui.failed_panel import FailedPanel
from desktop_app.ui.models import FailedPhotosModel
from desktop_app.ui.retrain_dialog import RetrainDialog
from desktop_app.ui.trainer_process import Readiness, trainer_readiness

LONG_NAME = "/photos/a very long name of a holiday photo by the sea 2024.jpg"


def cut_off(label: QLabel) -> str:
    """What is wrong with how `label` shows its text, "" if it shows it whole: shorter than its
    text at its width, or partly hidden by a parent too small for it."""
    needed = label.heightForWidth(label.width())
    if label.height() < needed:
        return f"{label.height()} pixels high, its text {needed} at width {label.width()}"
    hidden = QRegion(label.rect()).subtracted(label.visibleRegion())
    if not hidden.isEmpty():
        return f"partly hidden: {hidden.boundingRect()} of {label.rect()}"
    return ""


def smallest(qtbot, window: QWidget) -> None:
    """`window` made as small as it allows, and left until its size no longer changes (a
    label's minimum height follows its width)."""
    sizes = []

    def settled() -> bool:
        window.resize(1, 1)
        sizes.append(window.size())
        return len(sizes) > 3 and sizes[-1] == sizes[-2] == sizes[-3]

    qtbot.waitUntil(settled, timeout=5000)
    assert window.size() == window.minimumSize()


@pytest.mark.parametrize(("tab", "labels"), [
    ("Library", lambda w: [w.results_panel.query_label, w.results_panel.slider_label]),
    ("Unreadable photos", lambda w: [w.failed_panel.summary]),
    ("Model", lambda w: [w.model_panel.note]),
], ids=["results header", "unreadable photos intro", "model note"])
def test_the_windows_wrapped_texts_are_whole_at_its_smallest(qtbot, make_window, tab, labels):
    window = make_window()
    window.failed_model.set_photos([
        Photo(i, f"/photos/broken_{i}.jpg", 1, 10, 1.0, 0, 0, "failed",
              f"/photos/broken_{i}.jpg: cannot identify image file") for i in range(3)])
    results = window.results_panel
    results.show_query(LONG_NAME, None)
    results.show_count(3, others=10, more=True)
    tabs = window.tabs
    tabs.setCurrentIndex([tabs.tabText(i) for i in range(tabs.count())].index(tab))
    smallest(qtbot, window)
    for label in labels(window):
        assert label.isVisible()
        assert not cut_off(label), (label.text(), cut_off(label))
    # Wider, the texts take fewer lines: the window may be as low as before again.
    window.resize(1024, 640)
    qtbot.waitUntil(lambda: window.minimumHeight() < 400, timeout=5000)
    assert window.size().toTuple() == (1024, 640)
    for label in labels(window):
        assert not cut_off(label), (label.text(), cut_off(label))


def test_the_unreadable_photos_intro_is_whole_at_the_panels_smallest(qtbot):
    """The tab alone, in a window of its own: in the main window the results header's lines,
    kept whole, may make the window tall enough for it."""
    model = FailedPhotosModel()
    panel = FailedPanel(model)
    qtbot.addWidget(panel)
    model.set_photos([Photo(i, f"/photos/broken_{i}.jpg", 1, 10, 1.0, 0, 0, "failed",
                            f"/photos/broken_{i}.jpg: cannot identify image file")
                      for i in range(3)])
    panel.show()
    qtbot.waitExposed(panel)
    smallest(qtbot, panel)
    assert panel.summary.text().startswith("3 photos could not be read.")
    assert not cut_off(panel.summary), cut_off(panel.summary)


# Its note where no NVIDIA GPU is found (trainer_readiness's words).
NO_GPU = Readiness(True, "No NVIDIA GPU was found: training will run on the CPU, which works "
                         "but is much slower (expect minutes for a few hundred photos, hours "
                         "for many thousands).", False)


@pytest.mark.parametrize(("readiness", "label"), [
    (NO_GPU, lambda d: d.readiness_label),
    (trainer_readiness(find_spec=lambda name: None), lambda d: d.readiness_label),
    (NO_GPU, lambda d: d.findChildren(QLabel)[0]),  # its intro
], ids=["note: no GPU", "note: no trainer", "intro"])
def test_the_retrain_dialogs_texts_are_whole_at_its_smallest(qtbot, readiness, label):
    dialog = RetrainDialog(None, readiness=readiness)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    # Opened at the size it asks for: its texts' heights at its own width, not at the width
    # Qt gives a widget not laid out yet (100 pixels: more lines).
    assert dialog.size().toTuple() == (640, 560)
    smallest(qtbot, dialog)
    label = label(dialog)
    assert label.text().startswith(("<b>", "Choose a folder"))
    assert not cut_off(label), (label.text(), cut_off(label))


def test_a_collapsed_results_pane_leaves_the_windows_height_free(qtbot, make_window):
    """The results pane dragged shut (its splitter's handle moved all the way): its labels are
    0 pixels wide, where no height shows their text, and a word a line made the window at
    least 596 pixels high (230 with the pane open). Opened again, the header is whole."""
    window = make_window()
    window.resize(1024, 640)
    results = window.results_panel
    results.show_query(LONG_NAME, None)
    results.show_count(3, others=10, more=True)
    qtbot.waitUntil(lambda: results.query_label.minimumHeight() > 0, timeout=5000)
    qtbot.wait(50)
    open_lowest = window.minimumHeight()
    browse = window.tabs.widget(0)
    browse.setSizes([1024, 0])
    qtbot.waitUntil(lambda: results.query_label.width() == 0, timeout=5000)
    qtbot.wait(50)
    assert window.minimumHeight() <= open_lowest
    browse.setSizes([512, 512])
    qtbot.waitUntil(lambda: results.query_label.width() > 0, timeout=5000)
    smallest(qtbot, window)
    assert not cut_off(results.query_label), cut_off(results.query_label)


def test_a_tab_left_keeps_no_height_of_its_texts(qtbot, make_window):
    """The Model tab's note, made tall in a narrow window, then its tab left and the window
    widened: hidden, the note is not resized, and its lines at the old width kept the window
    from being made lower (299 pixels at least, against 230). Its tab shown again, the note
    is whole at the window's smallest."""
    window = make_window()
    tabs = window.tabs
    window.resize(1280, 640)
    qtbot.wait(50)
    library_lowest = window.minimumHeight()
    tabs.setCurrentWidget(window.model_panel)
    window.resize(529, 640)
    note = window.model_panel.note
    qtbot.waitUntil(lambda: note.minimumHeight() > 0 and window.width() == 529, timeout=5000)
    tabs.setCurrentIndex(0)
    window.resize(1280, 640)
    qtbot.waitUntil(lambda: window.width() == 1280, timeout=5000)
    qtbot.wait(50)
    assert window.minimumHeight() <= library_lowest
    tabs.setCurrentWidget(window.model_panel)
    smallest(qtbot, window)
    assert not cut_off(note), cut_off(note)
