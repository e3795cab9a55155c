"""Cancel reaches the trainer as a "stop" line on its stdin, not only as SIGTERM: on Windows
QProcess.terminate() posts WM_CLOSE, which a console program never sees, so the trainer was
killed after the grace time without saving its checkpoint. Here the signal is taken away, as
on Windows, and the real trainer must still stop with its checkpoint kept."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QProcess, QTimer
from ui_helpers import stand_in_trainer, three_albums

from desktop_app.ui.retrain_dialog import RetrainDialog
from desktop_app.ui.trainer_process import Readiness

# A whole run in seconds (tests/trainer/fast_settings.py), but a first phase long enough to be
# running when the request comes (no early stop: mAP 1 from the start on these photos).
TINY = ["--set", "backbone.size=32", "--set", "head.long_bits=24", "--set", "head.stages=[16, 12]",
        "--set", "head.long_steps=100000", "--set", "head.patience=100000", "--set",
        "head.eval_every=8", "--set",
        "head.batch_size=8", "--set", "train.threads=1"]


@pytest.fixture
def albums(tmp_path):
    return three_albums(tmp_path / "albums")


def tiny_trainer(tmp_path) -> str:
    """Used in place of `python`: the real trainer, with the tiny settings added."""
    return stand_in_trainer(tmp_path, "import os, sys\nos.execv(sys.executable, "
                            f"[sys.executable, *sys.argv[1:], *{TINY!r}])\n")


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in is a POSIX script")
def test_cancel_stops_a_real_run_by_its_stop_request_alone(qtbot, tmp_path, albums,
                                                           monkeypatch):
    monkeypatch.setattr(QProcess, "terminate", lambda self: None)  # no SIGTERM, as on Windows
    dialog = RetrainDialog(None, str(albums), readiness=Readiness(True, "", False),
                           python=tiny_trainer(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.bits_spin.setValue(12)

    def cancel_once_training(event):
        if event.get("phase") == "train":
            dialog.process.event.disconnect(cancel_once_training)  # one press of Cancel
            dialog.cancel()

    dialog.process.event.connect(cancel_once_training)
    with qtbot.waitSignal(dialog.process.finished, timeout=120000) as stopped:
        dialog.start()
    log = dialog.log_view.toPlainText()[-2000:]
    assert stopped.args[0] == 130 and not dialog.process.crashed, log  # not killed
    assert (Path(dialog.new_model_dir) / "training" / "checkpoint.pt").is_file()
    assert f"checkpoint was kept in {dialog.new_model_dir}" in dialog.status_label.text()


def test_pressing_cancel_again_does_not_put_off_killing_a_stuck_trainer(qtbot, tmp_path):
    """Each press restarted the 15 s grace time: one pressed every few seconds was never
    killed."""
    stuck = stand_in_trainer(tmp_path, "import signal, time\n"  # reads no stop request
                             "signal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(60)\n")
    dialog = RetrainDialog(None, str(tmp_path), readiness=Readiness(True, "", False),
                           python=stuck)
    qtbot.addWidget(dialog)
    timer = dialog.process._kill_timer
    starts = []
    timer.start = lambda *args: (starts.append(1), QTimer.start(timer, *args))
    dialog.process.run(str(tmp_path), str(tmp_path / "out"))
    qtbot.waitUntil(dialog.process.is_running)
    dialog.cancel()
    dialog.cancel()
    assert len(starts) == 1 and timer.isActive()
    with qtbot.waitSignal(dialog.process.finished, timeout=10000):
        dialog.process._kill()


def test_closing_the_app_asks_the_trainer_to_stop_without_a_signal(qtbot, tmp_path, albums,
                                                                   monkeypatch):
    """stop_and_wait (the app closing) sends the same request, with no event loop to write it."""
    monkeypatch.setattr(QProcess, "terminate", lambda self: None)
    saved = tmp_path / "checkpoint-saved"
    listening = stand_in_trainer(tmp_path, "import json, sys\n"
                                 "print(json.dumps({'event': 'start', 'photos': 12, "
                                 "'labels': 3, 'device': 'cpu'}), flush=True)\n"
                                 "if sys.stdin.readline().strip() == 'stop':\n"
                                 f"    open({str(saved)!r}, 'w').write('saved')\n"
                                 "    sys.exit(130)\n")
    dialog = RetrainDialog(None, str(albums), readiness=Readiness(True, "", False),
                           python=listening)
    qtbot.addWidget(dialog)
    dialog.start()
    qtbot.waitUntil(lambda: "Training on 12 photos" in dialog.status_label.text(), timeout=10000)
    dialog.process.stop_and_wait(10000)
    assert not dialog.process.is_running()
    assert saved.read_text() == "saved"
