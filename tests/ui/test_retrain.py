"""The "Retrain on my albums" dialog: trainer missing, real `trainer inspect`, the JSON progress
protocol over a real QProcess (a stand-in trainer, since training is the expensive edge),
cancelling, and (slow) a real tiny training run."""

from __future__ import annotations

import importlib.util
import stat
import sys
import textwrap

import pytest
from photos import make_photo
from tiny_model import make_tiny_model

from desktop_app.ui.retrain_dialog import RetrainDialog
from desktop_app.ui.trainer_process import Readiness, trainer_readiness

READY = Readiness(True, "", False)


@pytest.fixture
def albums(tmp_path):
    root = tmp_path / "albums"
    for label, names in {"cats": ["chelsea", "cat"], "space": ["rocket", "hubble_deep_field"],
                         "cups": ["coffee", "colorwheel"]}.items():
        for i in range(4):
            make_photo(root / label / f"{i}.jpg", names[i % 2], size=(120 + 8 * i, 100))
    (root / "cats" / "broken.jpg").write_bytes(b"nope")
    return root


def test_missing_trainer_extra_names_the_install_command(qtbot):
    def no_torch(name):
        return None if name in ("torch", "torchvision") else importlib.util.find_spec(name)

    readiness = trainer_readiness(find_spec=no_torch)
    assert not readiness.can_train and "pip install 'lookalike[train]'" in readiness.message
    dialog = RetrainDialog(None, readiness=readiness)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "Training is not available" in dialog.readiness_label.text()
    assert "lookalike[train]" in dialog.readiness_label.text()
    assert not dialog.inspect_button.isEnabled() and not dialog.start_button.isEnabled()


def test_no_gpu_means_cpu_training_with_a_clear_note():
    readiness = trainer_readiness()
    assert readiness.can_train  # torch is installed in the dev environment
    if not readiness.gpu:
        assert "CPU" in readiness.message and "slower" in readiness.message


def test_inspect_shows_photos_and_albums_from_the_real_trainer(qtbot, albums):
    dialog = RetrainDialog(None, str(albums), readiness=READY)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.process.inspected, timeout=30000):
        dialog.inspect_button.click()
    text = dialog.found_label.text()
    assert "<b>12</b> photos in <b>3</b> albums" in text
    assert "cats (4)" in text and "1 file(s) cannot be read" in text
    assert dialog.start_button.isEnabled()


def stand_in_trainer(tmp_path, body: str):
    """An executable used in place of `python`: it speaks the trainer's protocol."""
    script = tmp_path / "stand-in-python"
    script.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_progress_and_result_are_shown_and_switch_is_offered(qtbot, tmp_path, albums,
                                                             tiny_model_dir):
    new_model = make_tiny_model(tmp_path / "new-model", bits=32, seed=5, name="retrained")
    python = stand_in_trainer(tmp_path, f"""
        import json, sys, time
        assert sys.argv[1:4] == ["-m", "trainer", "run"], sys.argv
        def say(**e): print(json.dumps(e), flush=True)
        say(event="start", photos=12, labels=3, device="cpu")
        print("loading backbone", file=sys.stderr, flush=True)
        say(event="progress", phase="train", stage=1, bits=32, step=5, steps=10, loss=0.5,
            val_map=0.61, eta_s=75)
        time.sleep(0.3)
        say(event="done", model_dir={str(new_model)!r},
            evaluation={{"bits": 32, "map_all": 0.83}})
    """)
    from desktop_app.core.model_card import read_card

    current = read_card(tiny_model_dir)
    dialog = RetrainDialog(current, str(albums), readiness=READY, python=python)
    qtbot.addWidget(dialog)
    dialog.show()
    seen = []
    dialog.process.event.connect(seen.append)
    with qtbot.waitSignal(dialog.process.finished, timeout=20000) as done:
        dialog.start()
        qtbot.waitUntil(lambda: "validation mAP 0.610" in dialog.status_label.text(),
                        timeout=10000)
        assert "loss 0.500" in dialog.status_label.text()
        assert "1 min 15 s left" in dialog.status_label.text()
        assert dialog.progress_bar.value() == 5 and dialog.progress_bar.maximum() == 10
    assert done.args[0] == 0
    assert [e["event"] for e in seen] == ["start", "progress", "done"]
    assert "loading backbone" in dialog.log_view.toPlainText()
    table = dialog.comparison
    rows = {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
            for r in range(table.rowCount())}
    assert rows["map_all"][1] == "0.830" and rows["bits"] == ("48", "32")
    assert dialog.switch_button.isVisible()
    with qtbot.waitSignal(dialog.switch_requested) as switch:
        dialog.switch_button.click()
    assert switch.args[0] == str(new_model)


def test_cancel_stops_the_trainer_and_says_the_checkpoint_was_kept(qtbot, tmp_path, albums):
    python = stand_in_trainer(tmp_path, """
        import json, signal, sys, time
        def stop(*_):
            print(json.dumps({"event": "error", "message": "cancelled"}), flush=True)
            sys.exit(130)
        signal.signal(signal.SIGTERM, stop)
        print(json.dumps({"event": "start", "photos": 12, "labels": 3, "device": "cpu"}),
              flush=True)
        time.sleep(60)
    """)
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=python)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start()
    qtbot.waitUntil(lambda: "Training on 12 photos" in dialog.status_label.text(), timeout=10000)
    with qtbot.waitSignal(dialog.process.finished, timeout=10000) as done:
        dialog.cancel_button.click()
    assert done.args[0] == 130
    assert "cancelled" in dialog.status_label.text().lower()
    assert "checkpoint was kept" in dialog.status_label.text()


def test_a_trainer_that_cannot_start_gives_a_message(qtbot, tmp_path, albums):
    dialog = RetrainDialog(None, str(albums), readiness=READY,
                           python=str(tmp_path / "no-such-python"))
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.process.failed, timeout=10000):
        dialog.start()
    assert "Could not start the trainer" in dialog.status_label.text()


@pytest.mark.slow
def test_a_real_tiny_training_run_from_the_dialog(qtbot, albums, tiny_model_dir):
    """The real `python -m trainer run` on 12 photos with a tiny configuration (CPU)."""
    from desktop_app.core.encoder import load_encoder
    from desktop_app.core.model_card import read_card

    dialog = RetrainDialog(read_card(tiny_model_dir), str(albums), readiness=READY)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.bits_spin.setValue(12)
    events = []
    dialog.process.event.connect(events.append)
    with qtbot.waitSignal(dialog.process.finished, timeout=600000) as done:
        dialog.start()
    assert done.args[0] == 0, dialog.log_view.toPlainText()[-2000:]
    assert any(e["event"] == "progress" for e in events)
    assert dialog.switch_button.isVisible()
    assert load_encoder(dialog.new_model_dir).bits == 12
