"""The Model tab says, for each model, how many of the library's photos have codes from it (a
switch back to a model with all of them is instant), kept current after indexing and switching
from counts made on the indexer thread. Real MainWindow (offscreen), SQLite, tiny ONNX models."""

from __future__ import annotations

import time

from photos import make_photo
from tiny_model import make_tiny_model
from ui_helpers import wait_idle, wait_rows

from desktop_app import paths
from desktop_app.core.encoder import open_model_folder
from desktop_app.core.model_registry import import_model
from desktop_app.ui.model_panel import ModelPanel
from desktop_app.ui.workers import IndexerWorker


def label_of(panel, folder) -> str:
    combo = panel.models_combo
    return combo.itemText(combo.findData(str(folder)))


def test_counts_relabel_the_models_in_place_keeping_the_choice(qtbot, tiny_model_dir):
    copy = import_model(tiny_model_dir)
    panel = ModelPanel()
    qtbot.addWidget(panel)
    combo = panel.models_combo
    combo.setCurrentIndex(combo.findData(str(copy)))
    assert "encoded" not in combo.currentText()  # not counted yet: no guess
    panel.set_encoded_counts({open_model_folder(copy).card.model_id: 1234}, 1500)
    assert combo.currentData() == str(copy)
    assert combo.currentText().endswith(" · 1,234 of 1,500 encoded")
    assert label_of(panel, paths.default_model_dir()).endswith(" · 0 of 1,500 encoded")
    panel.refresh_models()  # an import lists the models again: the counts stay
    assert label_of(panel, copy).endswith(" · 1,234 of 1,500 encoded")


def test_each_model_says_how_many_photos_it_encoded(qtbot, make_window, library_photos,
                                                    tiny_model_dir):
    first = import_model(tiny_model_dir)
    window = make_window(model_dir=str(first))
    panel = window.model_panel
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: label_of(panel, first).endswith("6 of 6 encoded (active)"),
                    timeout=20000)
    other = make_tiny_model(paths.data_dir() / "incoming", bits=32, seed=3, name="tiny-32")
    panel.import_requested.emit(str(other))
    qtbot.waitUntil(lambda: "tiny-32" in panel.models_combo.currentText(), timeout=20000)
    imported = panel.models_combo.currentData()
    assert panel.models_combo.currentText().endswith(" · 0 of 6 encoded")
    panel.switch_button.click()
    qtbot.waitUntil(lambda: window.card.bits == 32, timeout=30000)
    qtbot.waitUntil(lambda: label_of(panel, imported).endswith("6 of 6 encoded (active)"),
                    timeout=20000)
    assert label_of(panel, first).endswith(" · 6 of 6 encoded")  # back to it: instant
    # A new photo is encoded by the active model only.
    make_photo(library_photos / "coffee-again.jpg", "coffee", size=(200, 133))
    wait_rows(qtbot, window, 7)
    qtbot.waitUntil(lambda: label_of(panel, imported).endswith("7 of 7 encoded (active)"),
                    timeout=20000)
    assert label_of(panel, first).endswith(" · 6 of 7 encoded")


def test_the_worker_counts_readable_photos_and_only_after_a_change(qtbot, tiny_model_dir,
                                                                   tmp_path):
    """Counted when the library changed (not at every publish: 0.1 s at 200,000 photos); an
    unreadable photo keeps its codes (same content) but is not one of the searched photos."""
    folder = tmp_path / "photos"
    for i, name in enumerate(("chelsea", "coffee", "rocket")):
        make_photo(folder / f"p{i}.jpg", name, size=(96 + 8 * i, 64))
    worker = IndexerWorker(str(tiny_model_dir), str(tmp_path / "library.db"))
    worker.count_cost_factor = 0  # each change counted at once (see the next test)
    counts: list[tuple] = []
    worker.encoded_counts.connect(lambda encoded, readable: counts.append((encoded, readable)))
    worker.open()
    worker.index_folder(str(folder))  # runs now: the worker lives on this thread
    model_id = open_model_folder(tiny_model_dir).card.model_id
    assert counts[-1] == ({model_id: 3}, 3)
    seen = len(counts)
    worker._publish(force=True)  # nothing changed
    assert len(counts) == seen
    store = worker._store
    photo = store.query("SELECT id FROM photos ORDER BY path LIMIT 1")[0][0]
    store.execute("UPDATE photos SET status = 'failed', error = 'locked' WHERE id = ?", (photo,))
    worker._publish(force=True)
    assert counts[-1] == ({model_id: 2}, 2)
    worker.close()


def test_small_jobs_in_a_row_do_not_each_count_the_whole_library(qtbot, tiny_model_dir,
                                                                tmp_path, monkeypatch):
    """Each watcher job that wrote a photo counted every model's codes again: one scan of the
    codes index (70 ms at 200,000 photos and 3 models) per photo saved, more than encoding
    it (30 ms). None for 100 times a count's time after it; one left over is made between
    jobs once that time is up, so the labels still end up right."""
    folder = tmp_path / "photos"
    make_photo(folder / "p0.jpg", "chelsea", size=(96, 64))
    worker = IndexerWorker(str(tiny_model_dir), str(tmp_path / "library.db"))
    counts: list[tuple] = []
    worker.encoded_counts.connect(lambda encoded, readable: counts.append((encoded, readable)))
    worker.open()
    store, real_count = worker._store, worker._store.codes_per_model

    def as_in_a_big_library(*args):
        time.sleep(0.05)
        return real_count(*args)

    monkeypatch.setattr(store, "codes_per_model", as_in_a_big_library)
    # The empty library's count at open may still hold back the next one (on a slow machine
    # its time, times 100, outlasts the first job): this test starts from the first job's.
    worker._count_after = 0.0
    worker.index_folder(str(folder))
    model_id = open_model_folder(tiny_model_dir).card.model_id
    assert counts[-1] == ({model_id: 1}, 1)
    seen = len(counts)
    for i, name in enumerate(("coffee", "rocket", "astronaut"), 1):
        worker.index_paths([str(make_photo(folder / f"p{i}.jpg", name, size=(96 + 8 * i, 64)))])
    assert len(counts) == seen  # not one count per job
    worker._check_others()
    assert len(counts) == seen  # the time is not up yet
    worker._count_after = 0.0  # ... now it is
    worker._check_others()
    assert counts[-1] == ({model_id: 4}, 4)
    worker.close()
