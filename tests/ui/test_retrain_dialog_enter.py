"""Enter in the retrain dialog presses Look inside from the albums field only. Made the
dialog's default button, Look inside was pressed by Enter anywhere: in the code length it
looked inside again, and while training ran it replaced what the look inside had found with
"The trainer is running: cancel it first to look inside other albums". Real dialog
(offscreen), a stand-in trainer process."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import Qt
from ui_helpers import stand_in_trainer, three_albums

from desktop_app.ui.retrain_dialog import RetrainDialog
from desktop_app.ui.trainer_process import Readiness

READY = Readiness(True, "", False)
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the stand-in is a POSIX script")

# Looks inside at once; a run sleeps (until stopped) after its first progress event.
SLOW_RUN = """
    import json, sys, time
    if sys.argv[3] == "inspect":
        print(json.dumps({"event": "done", "photos": 12, "labels": 3,
                          "per_label": {"cats": 4, "cups": 4, "space": 4}}))
        sys.exit(0)
    if "estimate" not in sys.argv:
        print(json.dumps({"event": "progress", "phase": "train", "step": 1, "steps": 100}),
              flush=True)
        time.sleep(60)
"""


@pytest.fixture
def dialog(qtbot, tmp_path):
    albums = three_albums(tmp_path / "albums")
    dialog = RetrainDialog(None, str(albums), readiness=READY,
                           python=stand_in_trainer(tmp_path, SLOW_RUN))
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitActive(dialog):
        dialog.activateWindow()
    with qtbot.waitSignal(dialog.process.inspected, timeout=10000):
        dialog.inspect_button.click()
    qtbot.waitUntil(lambda: not dialog.process.is_running(), timeout=10000)
    yield dialog
    dialog.process.stop_and_wait()
    dialog.estimator.stop_and_wait()


def enter_in(qtbot, widget) -> None:
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_enter_in_the_code_length_does_not_look_inside_again(qtbot, dialog):
    found = dialog.found_label.text()
    assert found.startswith("Found <b>12</b> photos")
    enter_in(qtbot, dialog.bits_spin)
    assert not dialog.process.is_running()  # no look inside again
    assert dialog.found_label.text() == found
    assert dialog.start_button.isEnabled()


def test_enter_during_a_run_keeps_what_the_look_inside_found(qtbot, dialog):
    found = dialog.found_label.text()
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.process.is_running(), timeout=5000)
    for widget in (dialog.bits_spin, dialog.log_view, dialog.flip_check):
        enter_in(qtbot, widget)
        assert dialog.found_label.text() == found, widget
    assert dialog.process.is_running() and dialog.process.mode == "run"


def test_enter_in_the_albums_field_still_looks_inside(qtbot, dialog, tmp_path):
    other = three_albums(tmp_path / "other albums")
    dialog.albums_edit.setText(str(other))
    with qtbot.waitSignal(dialog.process.inspected, timeout=10000):
        enter_in(qtbot, dialog.albums_edit)
    assert str(other) == dialog._inspected
