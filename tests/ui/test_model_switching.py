"""Choosing models in the Model tab as a user does: a switch under way gives way to the model
chosen next (the active one again cancels it), a library whose active model is gone is said so
at start (not quietly re-encoded with another model), and a photo dropped after the active
model's folder went says what to do. Real MainWindow (offscreen), real SQLite, real photos and
real tiny ONNX models run by onnxruntime."""

from __future__ import annotations

import shutil
import threading
import time

from model_tab import choose
from photos import make_photo
from PySide6.QtCore import Qt
from tiny_model import make_tiny_model
from ui_helpers import wait_idle, wait_rows

from desktop_app import paths
from desktop_app.core import encoder as encoder_module
from desktop_app.core.model_registry import import_model
from desktop_app.core.store import Store
from desktop_app.settings import Settings

NAMES = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "retina", "cat")


def many_photos(folder, count: int):
    for i in range(count):  # each of another size: no two share their content
        make_photo(folder / f"{i:03d}.jpg", NAMES[i % len(NAMES)], size=(96 + i, 80 + i % 9))
    return folder


def codes_of(name: str) -> int:
    """The photos with a code from the model called `name` (0 if the library never used it)."""
    with Store(readonly=True) as store:
        return next((m["codes"] for m in store.models() if m["name"] == name), 0)


def slow_for(monkeypatch, bits: int, seconds: float) -> None:
    """The model of `bits` bits takes `seconds` a photo (the real encoding still runs): a big
    library's switch, in short."""
    real = encoder_module.Encoder.encode_pixels

    def encode_pixels(self, pixels):
        if self.bits == bits and threading.current_thread() is not threading.main_thread():
            time.sleep(seconds * len(pixels))
        return real(self, pixels)

    monkeypatch.setattr(encoder_module.Encoder, "encode_pixels", encode_pixels)


def indexed_window(qtbot, make_window, folder, photos: int, **settings):
    """make_window(**settings) with folder, of `photos` photos, added and indexed."""
    window = make_window(**settings)
    window.add_folder(str(folder))
    wait_rows(qtbot, window, photos)
    wait_idle(qtbot, window)
    return window


def models_switched_to(window) -> list[str]:
    """The names of the models the window switches to from now on, as the worker emits them."""
    activated = []
    window.worker.model_switched.connect(lambda _dir, card: activated.append(card.name),
                                         Qt.ConnectionType.DirectConnection)
    return activated


def test_a_switch_under_way_gives_way_to_the_model_chosen_next(qtbot, make_window, tmp_path,
                                                               tiny_model_dir, monkeypatch):
    """The switch asked for first re-encoded the whole library and became the active model
    before the one chosen next even started, and there was no way to cancel one: choosing the
    active model again queued a second switch, back, after the first had finished."""
    folder = many_photos(tmp_path / "photos", 30)
    first = import_model(tiny_model_dir)
    slow = import_model(make_tiny_model(tmp_path / "in-32", bits=32, seed=3, name="slow-32"))
    other = import_model(make_tiny_model(tmp_path / "in-40", bits=40, seed=5, name="tiny-40"))
    window = indexed_window(qtbot, make_window, folder, 30, model_dir=str(first))
    activated = models_switched_to(window)
    slow_for(monkeypatch, 32, 0.3)  # 9 s for the library

    choose(qtbot, window, slow)
    qtbot.waitUntil(lambda: codes_of("slow-32") >= 2, timeout=20000)
    choose(qtbot, window, other)  # changed my mind: this one
    qtbot.waitUntil(lambda: window.card.name == "tiny-40", timeout=20000)
    # Not after the whole library was encoded with slow-32 and it was made active first.
    assert activated == ["tiny-40"] and window.snapshot.bits == 40
    wait_idle(qtbot, window)
    assert 2 <= codes_of("slow-32") < 30  # its codes so far are kept for a later switch
    assert Settings.load().model_dir == str(other) and not Settings.load().switching_to_model

    # Cancelled: the active model chosen again while a switch runs.
    choose(qtbot, window, slow)
    qtbot.waitUntil(lambda: "Re-encoding the library with slow-32"
                    in window.folders_panel.activity.text(), timeout=20000)
    choose(qtbot, window, other)
    assert "Keeping the model tiny-40" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: len(activated) == 2, timeout=20000)
    # `activated` is filled on the worker's thread; the window handles the switch a moment
    # later, on its own (a queued call), and saves the settings then.
    qtbot.waitUntil(lambda: not window.settings.switching_to_model, timeout=20000)
    wait_idle(qtbot, window)
    assert activated == ["tiny-40", "tiny-40"] and window.card.name == "tiny-40"
    assert codes_of("slow-32") < 30
    saved = Settings.load()
    assert saved.model_dir == str(other) and not saved.switching_to_model
    with Store(readonly=True) as store:
        assert store.model(store.active_model_id())["name"] == "tiny-40"


def test_a_switch_asked_while_paused_gives_way_too(qtbot, make_window, tmp_path,
                                                    tiny_model_dir):
    folder = many_photos(tmp_path / "photos", 12)
    first = import_model(tiny_model_dir)
    other = import_model(make_tiny_model(tmp_path / "in-32", bits=32, seed=3, name="tiny-32"))
    window = indexed_window(qtbot, make_window, folder, 12, model_dir=str(first))
    activated = models_switched_to(window)
    window.folders_panel.pause_button.click()
    choose(qtbot, window, other)
    choose(qtbot, window, first)  # cancelled before it started
    window.folders_panel.pause_button.click()  # resume
    qtbot.waitUntil(lambda: activated == ["tiny-48"], timeout=20000)
    wait_idle(qtbot, window)
    assert activated == ["tiny-48"] and codes_of("tiny-32") == 0


def test_a_library_whose_active_model_is_gone_is_not_quietly_re_encoded_with_another(
        qtbot, make_window, tmp_path, tiny_model_dir, library_photos, monkeypatch):
    """The active model made with `lookalike models activate` (the settings still name the
    default) then deleted: the window opened on the default model with nothing said, called
    it the active model, and encoded the whole library with it, while the library (and
    `lookalike status`) still had the deleted one active."""
    default = make_tiny_model(tmp_path / "resources" / "default", bits=40, seed=9,
                              name="default-tiny")
    monkeypatch.setattr(paths, "default_model_dir", lambda: default)
    imported = import_model(tiny_model_dir)
    window = indexed_window(qtbot, make_window, library_photos, 6, model_dir=str(imported))
    window.close()
    shutil.rmtree(imported)  # the user cleaned up the models folder

    again = make_window(model_dir=None, watched_folders=[str(library_photos)])
    assert again.card is None
    assert "The active model is missing" in again.banner.text()
    assert str(imported) in again.banner.text()
    assert "The active model is missing" in again.model_panel.card_view.toPlainText()
    qtbot.wait(500)
    with Store(readonly=True) as store:  # nothing encoded with the default meanwhile
        assert all(m["codes"] == 0 for m in store.models() if m["name"] == "default-tiny")
    outside = make_photo(tmp_path / "outside.jpg", "coffee", size=(90, 90))
    again.search_file(str(outside))
    message = again.statusBar().currentMessage()
    assert "The active model" in message and "is missing" in message
    assert "No model is installed" not in message

    # The remedy offered: the default model, chosen in the Model tab, sticks.
    choose(qtbot, again, default)
    qtbot.waitUntil(lambda: again.card is not None and again.card.name == "default-tiny",
                    timeout=20000)
    wait_rows(qtbot, again, 6)
    assert not again.banner.isVisible()
    again.close()
    third = make_window(model_dir=Settings.load().model_dir,
                        watched_folders=[str(library_photos)])
    assert third.card is not None and third.card.name == "default-tiny"
    assert not third.banner.isVisible()
    with Store(readonly=True) as store:
        assert store.model(store.active_model_id())["name"] == "default-tiny"


def test_a_photo_dropped_after_the_active_model_folder_went_says_what_to_do(
        qtbot, make_window, tmp_path, tiny_model_dir, library_photos):
    """It said "this model folder does not exist. Choose a folder that holds model.onnx and
    model.json": no folder was being chosen."""
    imported = import_model(tiny_model_dir)
    window = indexed_window(qtbot, make_window, library_photos, 6, model_dir=str(imported))
    shutil.rmtree(imported)
    outside = make_photo(tmp_path / "outside.jpg", "coffee", size=(90, 90))
    window.search_file(str(outside))
    qtbot.waitUntil(lambda: "Search failed" in window.statusBar().currentMessage(),
                    timeout=20000)
    message = window.statusBar().currentMessage()
    assert str(imported) in message and "does not exist" in message
    assert "the active model cannot be loaded" in message and "Model tab" in message
    assert "Choose a folder" not in message
    # The library's own photos are still searched (their codes are in the library).
    photo = window.photos_model.photo_at(0)
    with qtbot.waitSignal(window.search.results_shown, timeout=20000) as shown:
        window.search.search_photo(photo.id, photo.path)
    assert shown.args[0]


def test_a_dropped_photo_is_never_searched_with_one_model_among_another_models_codes(
        qtbot, make_window, tmp_path, tiny_model_dir, library_photos, monkeypatch):
    """Two models of the same code length: the new model's snapshot reached the window a
    moment before the switch did, and the dropped photo's code, made with the old model, was
    searched among the new model's codes (same length, so nothing noticed) and shown."""
    from desktop_app.ui import workers
    from desktop_app.ui.search import QueryEncoder

    other = import_model(make_tiny_model(tmp_path / "in", bits=48, seed=3, name="other-48"))
    window = indexed_window(qtbot, make_window, library_photos, 6)
    outside = make_photo(tmp_path / "outside.jpg", "chelsea", size=(240, 160))
    with qtbot.waitSignal(window.search.results_shown, timeout=20000):
        window.search_file(str(outside))

    real_publish = workers.IndexerWorker._publish
    held = []

    def publish(self, force=False):  # the window gets the new snapshot well before the switch
        real_publish(self, force)
        if self._library is not None and self._library.model_id != window.card.model_id \
                and not held:
            held.append(True)
            time.sleep(1.0)

    monkeypatch.setattr(workers.IndexerWorker, "_publish", publish)
    shown = []
    window.search.results_shown.connect(
        lambda matches: shown.append(([(m.photo_id, m.distance) for m in matches],
                                      window.snapshot)))
    choose(qtbot, window, other)
    qtbot.waitUntil(lambda: window.card.name == "other-48" and window.snapshot.bits == 48
                    and len(window.snapshot) == 6, timeout=20000)
    qtbot.waitUntil(lambda: any(snap is window.snapshot for _, snap in shown), timeout=20000)
    code = QueryEncoder(str(other)).encode_file(str(outside))
    k, limit = window.settings.results_count, window.results_panel.max_distance()
    for matches, snap in shown:
        if snap is window.snapshot:  # answers computed on the new model's codes
            expected = [(m.photo_id, m.distance) for m in snap.similar_to_code(code, k, limit)]
            assert matches == expected



def test_an_active_model_on_a_drive_not_connected_says_to_connect_it(
        qtbot, make_window, tmp_path, tiny_model_dir, library_photos, monkeypatch):
    """The active model's folder on a drive that is unplugged: the banner named that cause but
    offered only re-encoding the whole library with the default model or importing the model
    again (from the drive that is not there), not to connect the drive and restart."""
    default = make_tiny_model(tmp_path / "resources" / "default", bits=40, seed=9,
                              name="default-tiny")
    monkeypatch.setattr(paths, "default_model_dir", lambda: default)
    drive = tmp_path / "drive"
    model = shutil.copytree(tiny_model_dir, drive / "models" / "mine")
    window = indexed_window(qtbot, make_window, library_photos, 6, model_dir=str(model))
    window.close()
    drive.rename(tmp_path / "unplugged")

    again = make_window(model_dir=str(model), watched_folders=[str(library_photos)])
    assert again.card is None
    banner = again.banner.text()
    assert "The active model is missing" in banner and str(model) in banner
    assert "connect the drive" in banner and "restart Lookalike" in banner
    outside = make_photo(tmp_path / "outside.jpg", "coffee", size=(90, 90))
    again.search_file(str(outside))
    message = again.statusBar().currentMessage()
    assert "connect the drive" in message and "restart Lookalike" in message
    again.close()

    (tmp_path / "unplugged").rename(drive)  # the remedy: connected, Lookalike started again
    third = make_window(model_dir=str(model), watched_folders=[str(library_photos)])
    assert third.card is not None and not third.banner.isVisible()
    wait_rows(qtbot, third, 6)


def test_a_model_exported_into_the_active_models_folder_is_made_active_and_said(
        qtbot, make_window, tmp_path, library_photos):
    """`lookalike train --out` into the active model's folder while the app was closed: the
    window opened on the new model but the library kept the old one's id as active (so the
    Model tab's active model and `lookalike status` disagreed), and nothing said why every
    photo was encoded again."""
    folder = make_tiny_model(tmp_path / "models" / "holiday", bits=32, seed=1, name="holiday")
    window = indexed_window(qtbot, make_window, library_photos, 6, model_dir=str(folder))
    window.close()
    make_tiny_model(folder, bits=32, seed=2, name="holiday-2")  # exported over it

    again = make_window(model_dir=str(folder), watched_folders=[str(library_photos)])
    assert again.card is not None and again.card.name == "holiday-2"
    qtbot.waitUntil(lambda: codes_of("holiday-2") == 6, timeout=20000)
    with Store(readonly=True) as store:
        assert store.model(store.active_model_id())["name"] == "holiday-2"
    assert codes_of("holiday") == 6  # kept
    qtbot.waitUntil(lambda: again.statusBar().currentMessage().startswith(
        f"{folder} now holds the model 'holiday-2'"), timeout=5000)
    assert "holiday-2" in again.model_panel.card_view.toPlainText()


def test_a_model_in_a_folder_not_utf8_is_switched_to(qtbot, make_window, tmp_path):
    """The folder went from the Model tab to the window and on to the indexer as Qt strings,
    which drop the bytes of a name that is not UTF-8: the switch asked for another folder."""
    folder = tmp_path / "photos"
    make_photo(folder / "cat.jpg", "chelsea", size=(120, 90))
    window = indexed_window(qtbot, make_window, folder, 1)
    odd = make_tiny_model(tmp_path / "m\udce9", bits=32, seed=3, name="odd")
    activated = models_switched_to(window)
    window.switch_model(str(odd))
    qtbot.waitUntil(lambda: window.model_dir == str(odd), timeout=30000)
    assert activated == ["odd"] and codes_of("odd") == 1
