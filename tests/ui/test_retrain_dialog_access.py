"""The retrain dialog by keyboard and by ear: Enter in the folder field looks inside (it
opened the folder chooser), and what the look inside found and the time training would take,
which appear away from the focus, are said to a screen reader."""

from __future__ import annotations

import sys

import pytest
from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from ui_helpers import stand_in_trainer, three_albums

from desktop_app.ui.retrain_dialog import RetrainDialog
from desktop_app.ui.trainer_process import Readiness

READY = Readiness(True, "", False)
QAccessibleAnnouncementEvent = getattr(QtGui, "QAccessibleAnnouncementEvent", None)
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the stand-in is a POSIX script")

QUICK = """
    import json, sys
    if sys.argv[3] == "inspect":
        print(json.dumps({"event": "done", "photos": 12, "labels": 3,
                          "per_label": {"cats": 4, "cups": 4, "space": 4}}))
        sys.exit(0)
    print(json.dumps({"event": "estimate", "low_s": 240, "seconds": 300, "high_s": 420,
                      "read_s": 60, "features_s": 180, "train_s": 60, "resumes": False}),
          flush=True)
    print(json.dumps({"event": "done"}), flush=True)
"""


def test_enter_in_the_folder_field_looks_inside(qtbot, tmp_path, monkeypatch):
    chooser = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda *args: chooser.append(args) or "")
    albums = three_albums(tmp_path / "albums")
    dialog = RetrainDialog(None, "", readiness=READY,
                           python=stand_in_trainer(tmp_path, QUICK))
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitActive(dialog):
        dialog.activateWindow()
    dialog.albums_edit.setFocus()
    qtbot.keyClicks(dialog.albums_edit, str(albums))
    with qtbot.waitSignal(dialog.process.inspected, timeout=10000):
        qtbot.keyClick(dialog.albums_edit, Qt.Key.Key_Return)
    assert not chooser  # no folder chooser over the folder typed
    assert "Found <b>12</b> photos" in dialog.found_label.text()
    dialog.estimator.stop_and_wait()


@pytest.mark.skipif(QAccessibleAnnouncementEvent is None,
                    reason="Qt before 6.8 has no announcements")
def test_what_a_look_inside_found_and_the_estimate_are_said(qtbot, tmp_path, announced):
    albums = three_albums(tmp_path / "albums")
    dialog = RetrainDialog(None, str(albums), readiness=READY,
                           python=stand_in_trainer(tmp_path, QUICK))
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.estimator.estimated, timeout=10000):
        dialog.inspect_button.click()
    found = [s for s in announced if s.startswith("Found 12 photos in 3 albums")]
    assert found, announced  # plain words, not "<b>12</b>"
    assert announced[-1].startswith("Training would take 4 min to 7 min")
    assert announced.index(found[0]) < len(announced) - 1
    dialog.albums_edit.setText(str(tmp_path / "nowhere"))
    dialog.inspect_button.click()
    assert announced[-1] == f"{tmp_path / 'nowhere'}: not a folder. Choose the folder that " \
                            "holds your albums."
