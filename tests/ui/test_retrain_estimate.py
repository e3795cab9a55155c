"""After a look inside, the retrain dialog says how long training would take, measured on this
computer by the trainer's `estimate` in the background (it gave no idea before Start whether a
run takes minutes or hours); when that measure fails, only a line in the log says so."""

from __future__ import annotations

import sys

import pytest
from ui_helpers import stand_in_trainer, three_albums

from desktop_app.ui.retrain_dialog import RetrainDialog, estimate_text
from desktop_app.ui.trainer_process import Readiness

READY = Readiness(True, "", False)


@pytest.fixture
def albums(tmp_path):
    return three_albums(tmp_path / "albums")


def test_a_real_look_inside_is_followed_by_the_measured_estimate(qtbot, albums):
    dialog = RetrainDialog(None, str(albums), readiness=READY)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.process.inspected, timeout=30000):
        dialog.inspect_button.click()
    assert "Measuring how long training would take" in dialog.estimate_label.text()
    assert dialog.start_button.isEnabled()  # not held up by the measure
    with qtbot.waitSignal(dialog.estimator.estimated, timeout=120000) as got:
        pass
    found = got.args[0]
    assert found["photos"] == 12 and found["read_s"] > 0  # the look inside's own time
    text = dialog.estimate_label.text()
    assert text.startswith("Training would take ") and "on this computer" in text
    assert "reading the photos" in text and "exporting" in text
    assert dialog.estimate_label.isVisibleTo(dialog)


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in is a POSIX script")
def test_a_failed_measure_shows_nothing_but_a_log_line(qtbot, tmp_path, albums):
    python = stand_in_trainer(tmp_path, """
        import json, sys
        if sys.argv[3] == "inspect":
            print(json.dumps({"event": "done", "photos": 12, "labels": 3,
                              "per_label": {"cats": 4, "cups": 4, "space": 4}}))
            sys.exit(0)
        print(json.dumps({"event": "error", "message": "no torch here"}), flush=True)
        sys.exit(1)
    """)
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=python)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.estimator.failed, timeout=30000):
        dialog.inspect_button.click()
    assert not dialog.estimate_label.isVisibleTo(dialog)
    assert "could not be measured (no torch here)" in dialog.log_view.toPlainText()
    assert dialog.start_button.isEnabled()


def test_the_words_say_the_range_and_a_resumed_run():
    found = {"low_s": 240, "seconds": 300, "high_s": 420, "read_s": 60, "features_s": 180,
             "train_s": 60, "resumes": False}
    assert estimate_text(found).startswith("Training would take 4 min to 7 min on this computer")
    resumed = estimate_text({**found, "resumes": True, "low_s": 300, "high_s": 300})
    assert resumed.startswith("Continuing this training would take about 5 min")
    assert estimate_text({**found, "seconds": "soon"}) == ""  # another program's garbage


@pytest.mark.parametrize(("low", "high", "said"), [
    (20, 80, "under a minute to about a minute"),
    (3000, 5400, "50 min to 1 h 30 min"),
    (6000, 9000, "1 h 40 min to 2 h 30 min"),  # not "1.7 h to 2.5 h"
    (7200, 7210, "about 2 h"),
    (20 * 3600, 50 * 3600, "20 h to 2 days 2 h"),
])
def test_long_runs_read_in_hours_and_minutes(low, high, said):
    found = {"low_s": low, "seconds": (low + high) / 2, "high_s": high, "read_s": 60,
             "features_s": 6000, "train_s": 60, "resumes": False}
    assert estimate_text(found).startswith(f"Training would take {said} on this computer")
    assert "computing features 1 h 40 min," in estimate_text(found)


# A stand-in whose measure takes 2 s and is slow to stop (1.5 s after it is asked), as a real
# one is in the middle of a batch; its look inside answers at once.
SLOW_TO_STOP = """
    import json, signal, sys, time
    if sys.argv[3] == "inspect":
        print(json.dumps({"event": "done", "photos": 12, "labels": 3,
                          "per_label": {"cats": 4, "cups": 4, "space": 4}}))
        sys.exit(0)
    def stop(*_):
        time.sleep(1.5)
        sys.exit(130)
    signal.signal(signal.SIGTERM, stop)
    print("measuring", flush=True)
    time.sleep(2)
    print(json.dumps({"event": "estimate", "low_s": 240, "seconds": 300, "high_s": 420,
                      "read_s": 60, "features_s": 180, "train_s": 60, "resumes": False,
                      "args": sys.argv[4:]}), flush=True)
    print(json.dumps({"event": "done"}), flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in is a POSIX script")
def test_a_second_look_inside_while_the_last_measure_stops_is_measured_too(qtbot, tmp_path,
                                                                           albums):
    dialog = RetrainDialog(None, str(albums), readiness=READY,
                           python=stand_in_trainer(tmp_path, SLOW_TO_STOP))
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.estimator.log_line, timeout=10000):  # measuring
        dialog.inspect_button.click()
    with qtbot.waitSignal(dialog.process.inspected, timeout=10000):
        dialog.inspect_button.click()  # the measure under way is asked to stop
    with qtbot.waitSignal(dialog.estimator.estimated, timeout=10000):
        pass
    assert dialog.estimate_label.text().startswith("Training would take 4 min to 7 min")
    assert dialog.estimate_label.isVisibleTo(dialog)


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in is a POSIX script")
def test_a_measure_that_ends_after_it_was_stopped_is_not_shown(qtbot, tmp_path, albums):
    # It had sent its estimate and was exiting when another folder was typed in: what it
    # measured was the other albums', so nothing is shown.
    python = stand_in_trainer(tmp_path, """
        import json, signal, sys, time
        if sys.argv[3] == "inspect":
            print(json.dumps({"event": "done", "photos": 12, "labels": 3,
                              "per_label": {"cats": 4, "cups": 4, "space": 4}}))
            sys.exit(0)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print(json.dumps({"event": "estimate", "low_s": 240, "seconds": 300, "high_s": 420,
                          "read_s": 60, "features_s": 180, "train_s": 60}), flush=True)
        print(json.dumps({"event": "done"}), flush=True)
        time.sleep(1)
        sys.exit(0)
    """)
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=python)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.estimator.event, timeout=10000,
                          check_params_cb=lambda e: e.get("event") == "done"):
        dialog.inspect_button.click()
    dialog.albums_edit.setText(str(tmp_path / "other albums"))
    qtbot.waitUntil(lambda: not dialog.estimator.is_running(), timeout=10000)
    qtbot.wait(50)
    assert not dialog.estimate_label.isVisibleTo(dialog)


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in is a POSIX script")
def test_a_code_length_or_mirror_setting_changed_after_the_measure_is_measured_again(
        qtbot, tmp_path, albums):
    # 12 or 64 bits, with or without the mirror images: another time (the plan's stages, the
    # backbone run twice); the one measured with the settings left is not shown for the new.
    dialog = RetrainDialog(None, str(albums), readiness=READY,
                           python=stand_in_trainer(tmp_path, SLOW_TO_STOP))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.bits_spin.setValue(48)
    with qtbot.waitSignal(dialog.estimator.estimated, timeout=10000) as first:
        dialog.inspect_button.click()
    assert "48" in first.args[0]["args"] and "--no-flip-average" in first.args[0]["args"]
    with qtbot.waitSignal(dialog.estimator.estimated, timeout=10000) as again:
        dialog.bits_spin.setValue(16)
        dialog.flip_check.setChecked(True)  # (while the measure for 16 bits stops)
    assert "16" in again.args[0]["args"] and "--flip-average" in again.args[0]["args"]
    assert dialog.estimate_label.text().startswith("Training would take")
