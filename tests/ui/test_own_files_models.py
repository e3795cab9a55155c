"""The models folder deleted while Lookalike runs (a cleaner, the user tidying up): the active
model, loaded at start, keeps encoding the photos the watcher finds (nothing is lost or
re-encoded), and a switch to a model whose folder went says so and keeps the active one."""

from __future__ import annotations

import shutil

from photos import make_photo
from tiny_model import make_tiny_model
from ui_helpers import indexed, wait_idle, wait_rows

from desktop_app import paths
from desktop_app.core.model_registry import import_model


def test_photos_are_still_indexed_after_the_models_folder_went(
        qtbot, make_window, tmp_path, tiny_model_dir):
    imported = import_model(tiny_model_dir)
    other = import_model(make_tiny_model(tmp_path / "in-32", bits=32, seed=3, name="tiny-32"))
    folder = tmp_path / "photos"
    make_photo(folder / "chelsea.jpg", "chelsea", size=(200, 150))
    window = indexed(qtbot, make_window, folder, 1, model_dir=str(imported))
    shutil.rmtree(paths.models_dir())
    make_photo(folder / "coffee.jpg", "coffee", size=(200, 150))
    wait_rows(qtbot, window, 2)
    qtbot.waitUntil(lambda: len(window.snapshot) == 2, timeout=20000)
    wait_idle(qtbot, window)
    photo = window.photos_model.photo_at(0)
    with qtbot.waitSignal(window.search.results_shown, timeout=20000) as shown:
        window.search.search_photo(photo.id, photo.path)
    assert shown.args[0]

    window.switch_model(str(other))  # chosen in the Model tab, its folder gone
    qtbot.waitUntil(lambda: "keeps using" in window.statusBar().currentMessage(), timeout=20000)
    message = window.statusBar().currentMessage()
    assert str(other) in message and window.card.name != "tiny-32"
    assert "import its model folder again" in message and "Choose a folder" not in message
