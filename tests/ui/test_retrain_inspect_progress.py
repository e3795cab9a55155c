"""The dialog's "Look inside" shows how far the trainer got (a busy bar while the albums are
listed, then the photos read of those found): it showed only "Looking inside the albums…" for
the minutes a large albums folder on a NAS takes, and it stays stoppable by closing the dialog."""

from __future__ import annotations

import sys

import pytest
from ui_helpers import stand_in_trainer, three_albums

from desktop_app.ui.retrain_dialog import RetrainDialog
from desktop_app.ui.trainer_process import Readiness

READY = Readiness(True, "", False)


@pytest.fixture
def albums(tmp_path):
    return three_albums(tmp_path / "albums")


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in is a POSIX script")
def test_looking_inside_shows_the_photos_read_so_far(qtbot, tmp_path, albums):
    go = tmp_path / "go"
    python = stand_in_trainer(tmp_path, f"""
        import json, os, sys, time
        assert sys.argv[1:4] == ["-m", "trainer", "inspect"], sys.argv
        assert sys.argv[sys.argv.index("--progress") + 1] == "json", sys.argv
        def say(**e): print(json.dumps(e), flush=True)
        say(event="progress", phase="inspect", step=0, steps=0, doing="listing the albums")
        while not os.path.exists({str(go)!r}):
            time.sleep(0.02)
        say(event="progress", phase="inspect", step=3, steps=12, eta_s=90)
        time.sleep(60)
    """)
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=python)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.inspect_button.click()
    qtbot.waitUntil(lambda: "listing" in dialog.found_label.text(), timeout=10000)
    assert dialog.progress_bar.maximum() == 0  # busy: nothing counted yet
    go.write_text("")
    qtbot.waitUntil(lambda: "3 of 12 photos read" in dialog.found_label.text(), timeout=10000)
    assert "about 1 min 30 s left" in dialog.found_label.text()
    assert (dialog.progress_bar.value(), dialog.progress_bar.maximum()) == (3, 12)
    with qtbot.waitSignal(dialog.process.failed, timeout=20000):
        dialog.close()  # stops the look inside, as before
    assert "stopped" in dialog.found_label.text()
    assert dialog.progress_bar.maximum() == 1  # no longer busy


def test_the_real_trainer_counts_the_photos_it_reads(qtbot, albums):
    dialog = RetrainDialog(None, str(albums), readiness=READY)
    qtbot.addWidget(dialog)
    dialog.show()
    sent: list[dict] = []
    dialog.process.event.connect(sent.append)
    with qtbot.waitSignal(dialog.process.inspected, timeout=30000):
        dialog.inspect_button.click()
    counted = [(e["step"], e["steps"]) for e in sent if e.get("phase") == "inspect"]
    assert counted[-1] == (12, 12)
    assert "<b>12</b> photos in <b>3</b> albums" in dialog.found_label.text()
    assert dialog.progress_bar.maximum() == 1 and dialog.progress_bar.value() == 0
    assert dialog.start_button.isEnabled()
