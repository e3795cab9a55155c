"""Starting without a model, the first-run offer, settings that persist, pause/resume, and
switching models while the old codes stay searchable."""

from __future__ import annotations

import json
import shutil

from photos import make_photo
from tiny_model import make_tiny_model
from ui_helpers import app_main_until_indexed, wait_idle, wait_rows

from desktop_app import paths
from desktop_app.settings import Settings
from desktop_app.ui.main_window import MainWindow


def test_settings_round_trip_and_damaged_file(tmp_path):
    settings = Settings(max_distance=5)
    settings.add_folder(str(tmp_path / "a"), polling=True)
    settings.save()
    loaded = Settings.load()
    assert loaded.watched_folders == [str(tmp_path / "a")]
    assert loaded.polling_folders == [str(tmp_path / "a")] and loaded.max_distance == 5
    Settings.path().write_text("{not json")
    assert Settings.load() == Settings()  # defaults, no crash
    Settings.path().write_text(json.dumps({"max_distance": "wide", "future_key": 1}))
    assert Settings.load().max_distance == Settings().max_distance
    assert not list(Settings.path().parent.glob("*.tmp"))


def test_window_opens_without_a_model_and_says_so(qtbot, tmp_path, monkeypatch):
    # No model at all: not even the default one (as in a source checkout without it).
    monkeypatch.setattr(paths, "default_model_dir", lambda: tmp_path / "no-default-model")
    window = MainWindow(Settings(model_dir=str(tmp_path / "no-model-here")))
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: window._opened, timeout=10000)
        qtbot.waitUntil(window.banner.isVisible, timeout=5000)
        assert "No model is installed" in window.banner.text()
        assert "Import model folder" in window.banner.text()
        assert "No model installed" in window.model_panel.card_view.toPlainText()
        window.search_file(str(make_photo(tmp_path / "x.jpg", "coffee", size=(64, 64))))
        assert "No model is installed" in window.statusBar().currentMessage()
        # Folders can still be chosen; they are indexed once a model is installed.
        folder = tmp_path / "photos"
        make_photo(folder / "a.jpg", "coffee", size=(120, 90))
        make_photo(folder / "b.jpg", "rocket", size=(90, 120))
        window.add_folder(str(folder))
        assert window.settings.watched_folders == [str(folder)]
        model = make_tiny_model(tmp_path / "new-model", bits=48, name="first-model")
        window.switch_model(str(model))
        qtbot.waitUntil(lambda: window.photos_model.rowCount() == 2, timeout=60000)
        assert not window.banner.isVisible()
        assert window.card.name == "first-model"
    finally:
        window.shutdown()


def test_first_start_offers_pictures_or_samples_then_remembers(qtbot, make_window, tmp_path,
                                                              monkeypatch):
    samples = tmp_path / "resources" / "sample-photos"
    make_photo(samples / "coffee.jpg", "coffee", size=(200, 150))
    make_photo(samples / "rocket.jpg", "rocket", size=(150, 200))
    monkeypatch.setenv("LOOKALIKE_RESOURCES", str(tmp_path / "resources"))
    window = make_window(first_run_done=False)
    assert window.first_run.isVisible()
    assert window.use_pictures.text().startswith("My Pictures folder")
    assert window.use_samples.isEnabled()
    window.use_samples.click()
    assert not window.first_run.isVisible()
    wait_rows(qtbot, window, 2)
    wait_idle(qtbot, window)
    window.resize(640, 480)  # the offscreen screen is 800x600
    window.close()
    saved = Settings.load()
    assert saved.first_run_done and saved.watched_folders == [str(samples)]
    assert saved.window_geometry
    # The next start reopens the same folders (reconciled) and does not ask again.
    again = make_window(first_run_done=True, watched_folders=saved.watched_folders,
                        window_geometry=saved.window_geometry)
    assert not again.first_run.isVisible()
    wait_rows(qtbot, again, 2)
    assert (again.width(), again.height()) == (640, 480)


def test_pause_keeps_progress_and_resume_finishes(qtbot, make_window, tmp_path):
    folder = tmp_path / "many"
    names = ["chelsea", "coffee", "astronaut", "rocket", "retina", "cat"]
    for i in range(60):
        make_photo(folder / f"{i:03d}.jpg", names[i % len(names)], size=(96 + i, 96))
    window = make_window()
    window.worker.pause()  # paused before it starts: nothing runs until resumed
    window.add_folder(str(folder))
    qtbot.wait(1500)
    assert window.photos_model.rowCount() == 0
    assert window.folders_panel.pause_button.text() == "Resume indexing"
    window.folders_panel.pause_button.click()
    wait_rows(qtbot, window, 60, timeout=30000)
    wait_idle(qtbot, window)


def test_a_paused_run_says_how_to_go_on_in_the_app(qtbot, make_window):
    """The status bar said '(stopped early; run again to continue)', the command line's
    remedy; in the app it is the Resume button."""
    from desktop_app.core.records import IndexReport

    window = make_window()
    window._on_finished_job("Indexing /photos", IndexReport(added=3, stopped=True))
    shown = window.statusBar().currentMessage()
    assert "3 added" in shown and "paused: Resume indexing continues it" in shown
    assert "run again" not in shown


def test_switching_model_reencodes_then_searches_with_the_new_codes(qtbot, make_window,
                                                                    library_photos):
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    qtbot.waitUntil(lambda: len(window.snapshot) == 6, timeout=20000)
    assert window.snapshot.bits == 48
    other = make_tiny_model(paths.data_dir() / "incoming", bits=32, seed=3, name="tiny-32")
    # (Waits are on GUI-side state: a waitSignal on a worker-thread signal would run the
    # blocker's callback on that thread.)
    window.model_panel.import_requested.emit(str(other))
    combo = window.model_panel.models_combo
    qtbot.waitUntil(lambda: "tiny-32" in (combo.currentText() or ""), timeout=20000)
    imported_dir = combo.currentData()
    assert imported_dir.startswith(str(paths.models_dir()))
    window.model_panel.switch_button.click()
    # The new snapshot comes first, then the switch is announced (which sets the card).
    qtbot.waitUntil(lambda: window.snapshot.bits == 32 and len(window.snapshot) == 6
                    and window.card.bits == 32, timeout=30000)
    assert window.results_panel.slider.maximum() == 32
    assert window.duplicates_panel.distance_spin.maximum() == 32  # the code's length
    # The max-distance slider keeps its strictness: 16 of 48 bits becomes 11 of 32.
    assert window.results_panel.max_distance() == 11 == window.settings.max_distance
    assert Settings.load().model_dir == imported_dir
    assert "tiny-32" in window.model_panel.card_view.toPlainText()


def test_importing_a_known_graph_with_other_preprocessing_is_refused(qtbot, make_window,
                                                                     library_photos,
                                                                     tiny_model_dir):
    """The window's import is the command line's: a card that would put other codes under the
    active model's id (same model.onnx, other input.std) is refused, and nothing is copied."""
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    other = paths.data_dir() / "incoming"
    shutil.copytree(tiny_model_dir, other)
    card = json.loads((other / "model.json").read_text())
    card["input"]["std"] = [1.0, 2.0, 3.0]
    (other / "model.json").write_text(json.dumps(card))
    window.model_panel.import_requested.emit(str(other))
    qtbot.waitUntil(lambda: "input.std" in window.statusBar().currentMessage(), timeout=20000)
    assert str(other / "model.json") in window.statusBar().currentMessage()
    assert not paths.models_dir().is_dir() or not any(paths.models_dir().iterdir())
    assert window.card.bits == 48


def test_app_main_opens_the_window_on_a_folder_and_quits_cleanly(tmp_path, tiny_model_dir):
    """`lookalike FOLDER` as a real process (app.main ends the Qt event loop for good, so it
    cannot share the test process's QApplication)."""
    import subprocess
    import sys

    Settings(model_dir=str(tiny_model_dir), first_run_done=True).save()
    folder = tmp_path / "photos"
    make_photo(folder / "a.jpg", "coffee", size=(120, 90))
    code = app_main_until_indexed(folder, 'print("title:", window.windowTitle())')
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "title: Lookalike" in result.stdout
    assert Settings.load().watched_folders == [str(folder)]
    assert "Lookalike started" in (paths.log_dir() / "lookalike.log").read_text()


def test_a_folder_indexed_with_the_cli_is_watched_and_checked_at_start(qtbot, make_window,
                                                                       library_photos,
                                                                       tiny_model_dir):
    from desktop_app import cli

    assert cli.main(["--model", str(tiny_model_dir), "--no-progress", "index",
                     str(library_photos)]) == 0
    make_photo(library_photos / "retina.jpg", "retina", size=(200, 200))  # added since
    window = make_window()  # settings that list no folder
    qtbot.waitUntil(lambda: window.folders_panel.folders() == [str(library_photos)],
                    timeout=20000)
    wait_rows(qtbot, window, 7)
    assert Settings.load().watched_folders == [str(library_photos)]
    # Its watch may start after watch() returned (a busy machine): waited for.
    qtbot.waitUntil(lambda: str(library_photos) in window.watcher.watched(), timeout=10000)


def test_a_damaged_window_geometry_in_the_settings_is_ignored(qtbot, make_window):
    window = make_window(window_geometry="not hex at all")  # a hand-edited settings.json
    assert window.size().width() == 1280


def test_switching_to_a_damaged_model_says_why_and_keeps_the_current_one(qtbot, make_window,
                                                                         library_photos):
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    damaged = make_tiny_model(paths.models_dir() / "tiny-32-damaged", bits=32, seed=3,
                              name="tiny-32")
    (damaged / "model.onnx").write_bytes(b"damaged on disk after it was imported")
    window.model_panel.refresh_models()
    combo = window.model_panel.models_combo
    combo.setCurrentIndex(combo.findData(str(damaged)))
    window.model_panel.switch_button.click()
    qtbot.waitUntil(lambda: str(damaged) in window.statusBar().currentMessage(), timeout=20000)
    message = window.statusBar().currentMessage()
    assert "does not match" in message and "tiny-48" in message
    assert window.card.bits == 48 and not window.banner.isVisible()
    assert Settings.load().model_dir != str(damaged)


def test_a_model_switch_cut_short_by_closing_continues_at_the_next_start(qtbot, make_window,
                                                                         library_photos):
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    other = make_tiny_model(paths.data_dir() / "incoming", bits=32, seed=3, name="tiny-32")
    window.worker.pause()  # as if the re-encoding of a big library were under way
    window.switch_model(str(other))
    window.close()
    saved = Settings.load()
    assert saved.model_dir != str(other)  # not switched yet
    again = make_window(model_dir=saved.model_dir, watched_folders=saved.watched_folders,
                        switching_to_model=saved.switching_to_model)
    assert "Continuing the switch" in again.statusBar().currentMessage()
    qtbot.waitUntil(lambda: again.card.bits == 32 and again.snapshot.bits == 32,
                    timeout=30000)
    assert len(again.snapshot) == 6
    saved = Settings.load()
    assert saved.model_dir == str(other) and saved.switching_to_model == ""


def test_a_failed_model_switch_is_not_tried_again_at_the_next_start(qtbot, make_window,
                                                                    library_photos):
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    damaged = make_tiny_model(paths.models_dir() / "damaged", bits=32, seed=3, name="tiny-32")
    (damaged / "model.onnx").write_bytes(b"damaged")
    window.switch_model(str(damaged))
    qtbot.waitUntil(lambda: Settings.load().switching_to_model == "", timeout=20000)


def test_folder_lists_with_other_things_than_paths_are_cleaned_on_load(qtbot, make_window,
                                                                       library_photos):
    Settings.path().parent.mkdir(parents=True, exist_ok=True)
    Settings.path().write_text(json.dumps({  # a hand-edited settings.json
        "watched_folders": [str(library_photos), 1, None], "polling_folders": [3],
        "removed_folders": [None, {"path": "x"}]}))
    loaded = Settings.load()
    assert loaded.watched_folders == [str(library_photos)]
    assert loaded.polling_folders == [] and loaded.removed_folders == []
    window = make_window(watched_folders=loaded.watched_folders,
                         polling_folders=loaded.polling_folders,
                         removed_folders=loaded.removed_folders)
    wait_rows(qtbot, window, 6)
