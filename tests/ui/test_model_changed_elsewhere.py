"""The open window follows what the command line does to models meanwhile: a model it makes
active is used (the window, the Model tab, new photos' codes, searches), a switch cut short by
quitting does not undo a model made active since, a model trained or exported into the folder
the app loaded its model from is never mixed with the library's codes, and models imported
meanwhile are listed when the Model tab is shown. Real MainWindow (offscreen), real SQLite,
real photos, real tiny ONNX models, the real command line as a subprocess."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time

from model_tab import choose
from photos import make_photo
from tiny_model import make_tiny_model
from ui_helpers import wait_idle, wait_rows

from desktop_app.core import encoder as encoder_module
from desktop_app.core.model_registry import import_model
from desktop_app.core.store import Store
from desktop_app.settings import Settings

NAMES = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "retina")


def some_photos(folder, count: int):
    for i in range(count):  # each of another size: no two share their content
        make_photo(folder / f"{i:03d}.jpg", NAMES[i % len(NAMES)], size=(96 + i, 80 + i % 9))
    return folder


def lookalike(*argv) -> str:
    """Run the command line (LOOKALIKE_HOME is the test's); its output."""
    done = subprocess.run([sys.executable, "-m", "desktop_app", "--no-progress", *map(str, argv)],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def model_of(photo_name: str) -> set[str]:
    """The names of the models `photo_name` has codes from."""
    with Store(readonly=True) as store:
        rows = store.query("SELECT m.name FROM codes c JOIN photos p ON p.id = c.photo_id "
                           "JOIN models m ON m.id = c.model_id WHERE p.path LIKE ?",
                           (f"%{photo_name}",))
    return {r[0] for r in rows}


def indexed_window(qtbot, make_window, folder, count: int, **settings):
    window = make_window(**settings)
    window.add_folder(str(folder))
    wait_rows(qtbot, window, count)
    wait_idle(qtbot, window)
    return window


def test_a_model_made_active_on_the_command_line_is_used_by_the_open_window(
        qtbot, make_window, tmp_path):
    """`lookalike models activate B` while the window used A: it went on with A until a
    restart (its title, the Model tab's "(active)", new photos encoded with A only, so the
    command line said them not encoded with B, and its searches on A's codes)."""
    folder = some_photos(tmp_path / "photos", 4)
    first = import_model(make_tiny_model(tmp_path / "in-A", seed=0, name="tiny-A"))
    other = import_model(make_tiny_model(tmp_path / "in-B", bits=32, seed=1, name="tiny-B"))
    window = indexed_window(qtbot, make_window, folder, 4, model_dir=str(first))
    assert window.card.name == "tiny-A"

    lookalike("models", "activate", "tiny-B")
    qtbot.waitUntil(lambda: window.card is not None and window.card.name == "tiny-B",
                    timeout=30000)
    qtbot.waitUntil(lambda: "made active outside this window"
                    in window.statusBar().currentMessage(), timeout=10000)
    assert "tiny-B" in window.statusBar().currentMessage()
    assert window.snapshot.bits == 32 and len(window.snapshot) == 4
    assert window.settings.model_dir == str(other)
    combo = window.model_panel.models_combo
    assert [combo.itemText(i) for i in range(combo.count())
            if combo.itemText(i).endswith("(active)")] == [combo.currentText()]
    assert combo.currentText().startswith("tiny-B")

    make_photo(folder / "new-cat.jpg", "cat", size=(220, 160))  # the watcher's job: B's code
    wait_rows(qtbot, window, 5, timeout=20000)
    qtbot.waitUntil(lambda: "tiny-B" in model_of("new-cat.jpg"), timeout=20000)
    assert "Not encoded with tiny-B yet" not in lookalike("status")


def test_a_switch_cut_short_is_not_continued_over_a_model_made_active_since(
        qtbot, make_window, tmp_path, monkeypatch):
    """The app's switch to B, cut short by quitting, was continued at the next start over a
    `lookalike models activate C` made meanwhile: the later choice was undone."""
    folder = some_photos(tmp_path / "photos", 8)
    first = import_model(make_tiny_model(tmp_path / "in-A", seed=0, name="tiny-A"))
    slow = import_model(make_tiny_model(tmp_path / "in-B", bits=32, seed=1, name="tiny-B"))
    import_model(make_tiny_model(tmp_path / "in-C", bits=40, seed=2, name="tiny-C"))
    window = indexed_window(qtbot, make_window, folder, 8, model_dir=str(first))
    real = encoder_module.Encoder.encode_pixels

    def encode_pixels(self, pixels):  # B takes 1 s a photo in the app: a big library's switch
        if self.bits == 32 and threading.current_thread() is not threading.main_thread():
            time.sleep(len(pixels))
        return real(self, pixels)

    monkeypatch.setattr(encoder_module.Encoder, "encode_pixels", encode_pixels)
    window.switch_model(str(slow))
    qtbot.waitUntil(lambda: "Re-encoding the library with tiny-B"
                    in window.folders_panel.activity.text(), timeout=20000)
    window.shutdown()
    saved = Settings.load()
    assert saved.switching_to_model == str(slow)
    monkeypatch.setattr(encoder_module.Encoder, "encode_pixels", real)

    lookalike("models", "activate", "tiny-C")
    again = make_window(model_dir=saved.model_dir, watched_folders=[str(folder)],
                        switching_to_model=saved.switching_to_model,
                        switching_from_model=saved.switching_from_model)
    assert again.card.name == "tiny-C"
    assert ("The switch to the model in " in again.statusBar().currentMessage()
            and "was not continued: tiny-C was made active since"
            in again.statusBar().currentMessage())
    wait_idle(qtbot, again)  # a switch continued to B would be done by now (B is fast again)
    assert again.card.name == "tiny-C" and not Settings.load().switching_to_model
    with Store(readonly=True) as store:
        assert store.model(store.active_model_id())["name"] == "tiny-C"


def test_a_photo_dropped_after_another_model_was_trained_into_the_models_folder_says_so(
        qtbot, make_window, tmp_path, monkeypatch):
    """`lookalike train run ... --out` the folder the app's model was loaded from (in place):
    a photo dropped from outside the library was encoded with the new model, its answer
    dropped as stale, and the results stayed empty with nothing said, forever; the Model tab
    marked the new model "(active)" by its folder."""
    folder = some_photos(tmp_path / "photos", 4)
    used = import_model(make_tiny_model(tmp_path / "in-A", seed=0, name="tiny-A"))
    window = indexed_window(qtbot, make_window, folder, 4, model_dir=str(used))
    make_tiny_model(used, seed=7, name="tiny-X")  # another model exported over it

    outside = tmp_path / "elsewhere" / "cat.jpg"
    make_photo(outside, "cat", size=(200, 150))
    problems = []
    window.search.problem.connect(problems.append)
    window.search_file(str(outside))
    qtbot.waitUntil(lambda: bool(problems), timeout=20000)
    assert str(used) in problems[-1] and "was replaced since Lookalike loaded it" in problems[-1]
    assert "choose it again in the Model tab" in problems[-1]

    panel = window.model_panel
    panel.refresh_models()
    labels = [panel.models_combo.itemText(i) for i in range(panel.models_combo.count())]
    assert any(label.startswith("tiny-X") for label in labels), labels
    assert not [label for label in labels if "(active)" in label], labels  # tiny-A is not listed

    choose(qtbot, window, used)  # as the message says: the new model is used
    assert window.statusBar().currentMessage().startswith("Switching model")  # not "already"
    qtbot.waitUntil(lambda: window.card.name == "tiny-X", timeout=20000)
    shown = []
    window.search.results_shown.connect(shown.append)
    window.search_file(str(outside))
    qtbot.waitUntil(lambda: bool(shown) and len(shown[-1]) > 0, timeout=20000)


def test_the_model_tab_lists_models_imported_on_the_command_line_when_shown(
        qtbot, make_window, tmp_path):
    """`lookalike models import B` (or a model trained into the models folder) while the app
    was open: not offered in the Model tab until a restart (or an import in the app)."""
    window = make_window()
    window.tabs.setCurrentIndex(0)  # not the Model tab
    lookalike("models", "import", make_tiny_model(tmp_path / "in-B", seed=1, name="tiny-B"))
    for i in range(20):  # a long list: shown at once all the same
        import_model(make_tiny_model(tmp_path / f"in-{i}", seed=10 + i, name=f"many-{i}"))
    started = time.perf_counter()
    window.tabs.setCurrentWidget(window.model_panel)
    took = time.perf_counter() - started
    combo = window.model_panel.models_combo
    labels = [combo.itemText(i) for i in range(combo.count())]
    assert any(label.startswith("tiny-B") for label in labels), labels
    assert sum(label.startswith("many-") for label in labels) == 20, labels
    assert took < 0.5, took


def slow_in_the_app(monkeypatch, bits: int, seconds: float = 1.0) -> None:
    """The model of `bits` bits takes `seconds` a photo in the app (a big library's
    re-encoding); the command line, another process, runs at full speed."""
    real = encoder_module.Encoder.encode_pixels

    def encode_pixels(self, pixels):
        if self.bits == bits and threading.current_thread() is not threading.main_thread():
            time.sleep(seconds * len(pixels))
        return real(self, pixels)

    monkeypatch.setattr(encoder_module.Encoder, "encode_pixels", encode_pixels)


def made_active_lacking_codes(qtbot, window, name: str) -> None:
    """`lookalike models activate NAME` while the window used another model, its photos since
    (indexed by the window meanwhile, with its model) lacking NAME's codes: the window's
    follow re-encodes them all. Paused meanwhile, so that the follow starts only then."""
    window.toggle_pause()
    lookalike("models", "activate", name)
    with Store() as store:
        model_id = next(m for m in store.query("SELECT id, name FROM models") if m[1] == name)[0]
        with store.transaction() as conn:
            conn.execute("DELETE FROM codes WHERE model_id = ?", (model_id,))
    window.toggle_pause()
    qtbot.waitUntil(lambda: f"Re-encoding the library with {name}"
                    in window.folders_panel.activity.text(), timeout=20000)


def test_a_follow_stops_for_a_model_made_active_after_it(
        qtbot, make_window, tmp_path, monkeypatch):
    """`lookalike models activate B`, then `... activate C` while the window still re-encoded
    the library with B: the window's follow made B active at its end over C, the last model
    made active (the command line's choice undone, nothing said)."""
    folder = some_photos(tmp_path / "photos", 8)
    first = import_model(make_tiny_model(tmp_path / "in-A", seed=0, name="tiny-A"))
    import_model(make_tiny_model(tmp_path / "in-B", bits=32, seed=1, name="tiny-B"))
    import_model(make_tiny_model(tmp_path / "in-C", bits=40, seed=2, name="tiny-C"))
    window = indexed_window(qtbot, make_window, folder, 8, model_dir=str(first))
    slow_in_the_app(monkeypatch, 32, seconds=3)  # 24 s: C is made active well before its end
    made_active_lacking_codes(qtbot, window, "tiny-B")

    lookalike("models", "activate", "tiny-C")
    qtbot.waitUntil(lambda: window.card.name == "tiny-C", timeout=30000)
    wait_idle(qtbot, window)
    with Store(readonly=True) as store:
        assert store.model(store.active_model_id())["name"] == "tiny-C"
    assert window.card.name == "tiny-C"


def test_choosing_again_the_model_chosen_last_stops_a_follow(
        qtbot, make_window, tmp_path, monkeypatch):
    """The user switched to B; the command line made C active; while the window re-encoded
    the library with C, the user chose B again: the follow went on to its end (C used, said
    "Now using"), then switched back, as the model chosen before was the same."""
    folder = some_photos(tmp_path / "photos", 8)
    first = import_model(make_tiny_model(tmp_path / "in-A", seed=0, name="tiny-A"))
    chosen = import_model(make_tiny_model(tmp_path / "in-B", bits=32, seed=1, name="tiny-B"))
    import_model(make_tiny_model(tmp_path / "in-C", bits=40, seed=2, name="tiny-C"))
    window = indexed_window(qtbot, make_window, folder, 8, model_dir=str(first))
    window.switch_model(str(chosen))
    qtbot.waitUntil(lambda: window.card.name == "tiny-B", timeout=30000)
    wait_idle(qtbot, window)
    slow_in_the_app(monkeypatch, 40)
    made_active_lacking_codes(qtbot, window, "tiny-C")
    used = []
    window.worker.model_switched.connect(lambda _folder, card: used.append(card.name))

    window.switch_model(str(chosen))
    qtbot.waitUntil(lambda: "tiny-B" in used, timeout=30000)
    wait_idle(qtbot, window)
    assert used == ["tiny-B"] and window.card.name == "tiny-B"
    with Store(readonly=True) as store:
        assert store.model(store.active_model_id())["name"] == "tiny-B"


def test_a_switch_chosen_while_a_follow_ran_is_continued_at_the_next_start(
        qtbot, make_window, tmp_path, monkeypatch):
    """The command line made C active; while the window re-encoded the library with C, the
    user chose B and quit during that switch: at the next start it was said "not continued: C
    was made active since", though B was chosen after C (the window's model, A, was taken for
    the one active when B was chosen)."""
    folder = some_photos(tmp_path / "photos", 8)
    first = import_model(make_tiny_model(tmp_path / "in-A", seed=0, name="tiny-A"))
    chosen = import_model(make_tiny_model(tmp_path / "in-B", bits=32, seed=1, name="tiny-B"))
    import_model(make_tiny_model(tmp_path / "in-C", bits=40, seed=2, name="tiny-C"))
    window = indexed_window(qtbot, make_window, folder, 8, model_dir=str(first))
    real = encoder_module.Encoder.encode_pixels
    slow_in_the_app(monkeypatch, 40)
    slow_in_the_app(monkeypatch, 32)
    made_active_lacking_codes(qtbot, window, "tiny-C")

    window.switch_model(str(chosen))
    qtbot.waitUntil(lambda: "Re-encoding the library with tiny-B"
                    in window.folders_panel.activity.text(), timeout=20000)
    window.shutdown()
    saved = Settings.load()
    assert saved.switching_to_model == str(chosen)
    monkeypatch.setattr(encoder_module.Encoder, "encode_pixels", real)

    again = make_window(model_dir=saved.model_dir, watched_folders=[str(folder)],
                        switching_to_model=saved.switching_to_model,
                        switching_from_model=saved.switching_from_model)
    assert again.statusBar().currentMessage().startswith("Continuing the switch to the model")
    qtbot.waitUntil(lambda: again.card.name == "tiny-B", timeout=30000)


def test_a_switch_asked_by_an_older_lookalike_is_continued(qtbot, make_window, tmp_path):
    """The active model this version recorded for its switch to B, kept as it was by an older
    Lookalike (a key it does not know) that finished that switch and was closed during one of
    its own, to C: taken for C's, whose switch was said "not continued: tiny-B was made active
    since" and dropped."""
    folder = some_photos(tmp_path / "photos", 4)
    first = import_model(make_tiny_model(tmp_path / "in-A", seed=0, name="tiny-A"))
    other = import_model(make_tiny_model(tmp_path / "in-B", bits=32, seed=1, name="tiny-B"))
    third = import_model(make_tiny_model(tmp_path / "in-C", bits=40, seed=2, name="tiny-C"))
    window = indexed_window(qtbot, make_window, folder, 4, model_dir=str(first))
    window.switch_model(str(other))
    recorded = window.settings.switching_from_model
    qtbot.waitUntil(lambda: window.card.name == "tiny-B", timeout=30000)
    window.shutdown()

    again = make_window(model_dir=str(other), watched_folders=[str(folder)],
                        switching_to_model=str(third), switching_from_model=recorded)
    assert again.statusBar().currentMessage().startswith("Continuing the switch to the model")
    qtbot.waitUntil(lambda: again.card.name == "tiny-C", timeout=30000)


def test_a_model_that_could_not_be_followed_is_followed_once_imported_again(
        qtbot, make_window, tmp_path):
    """The command line made B active, its folder then deleted: the window said it cannot use
    it (once); B imported and made active again, as that message asks, was never used (the
    window stayed on A until a restart, encoding new photos with A only)."""
    folder = some_photos(tmp_path / "photos", 4)
    first = import_model(make_tiny_model(tmp_path / "in-A", seed=0, name="tiny-A"))
    other = import_model(make_tiny_model(tmp_path / "in-B", bits=32, seed=1, name="tiny-B"))
    window = indexed_window(qtbot, make_window, folder, 4, model_dir=str(first))
    problems = []
    window.worker.error.connect(problems.append)
    window.toggle_pause()  # the follow waits: the folder is gone when it runs
    lookalike("models", "activate", "tiny-B")
    shutil.rmtree(other)
    window.toggle_pause()
    qtbot.waitUntil(lambda: bool(problems), timeout=20000)
    assert "made active outside this window" in problems[0] and "keeps using tiny-A" in problems[0]
    with Store() as store:  # another process writes on: not said again
        store.set_meta("written-by", "another process")
    qtbot.wait(4000)
    assert len(problems) == 1 and window.card.name == "tiny-A"

    lookalike("models", "import", tmp_path / "in-B")
    lookalike("models", "activate", "tiny-B")
    qtbot.waitUntil(lambda: window.card.name == "tiny-B", timeout=30000)
    assert len(problems) == 1
