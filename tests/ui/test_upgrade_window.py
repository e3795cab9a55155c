"""The window after Lookalike was updated into another folder (a new Python's site-packages, an
app bundle unpacked elsewhere) that ships another default model: the library records the
earlier installation's default, gone with it. The window said "The active model is missing...
connect the drive" with no remedy the user could follow; the CLI already took the new default."""

from __future__ import annotations

import shutil

from tiny_model import make_tiny_model
from ui_helpers import wait_idle

from desktop_app.core.store import Store


def installation(root, monkeypatch, seed: int):
    """An installation of Lookalike in `root`, with its shipped default model."""
    monkeypatch.setenv("LOOKALIKE_RESOURCES", str(root / "resources"))
    return make_tiny_model(root / "resources" / "models" / "default", bits=32, seed=seed,
                           name="default")


def codes_per_model() -> dict[str, int]:
    with Store(readonly=True) as store:
        return store.codes_per_model()


def indexed_with_the_default(qtbot, make_window, library_photos) -> str:
    """Index the photos with the installed default model, then close the window; the model's id."""
    window = make_window(model_dir=None, watched_folders=[str(library_photos)])
    qtbot.waitUntil(lambda: sum(codes_per_model().values()) == 6, timeout=30000)
    wait_idle(qtbot, window)
    with Store(readonly=True) as store:
        old_id = store.active_model_id()
    window.close()
    return old_id


def test_the_window_takes_the_default_an_update_shipped_in_another_folder(
        qtbot, make_window, tmp_path, library_photos, monkeypatch):
    old_default = installation(tmp_path / "old", monkeypatch, seed=1)
    old_id = indexed_with_the_default(qtbot, make_window, library_photos)
    shutil.rmtree(tmp_path / "old")  # the update removed the earlier installation
    new_default = installation(tmp_path / "new", monkeypatch, seed=2)  # another graph

    again = make_window(model_dir=None, watched_folders=[str(library_photos)])
    assert again.card is not None and again.card.name == "default"
    assert not again.banner.isVisible()
    qtbot.waitUntil(lambda: again.statusBar().currentMessage().startswith(
        f"{new_default} holds the model 'default' (shipped with this version of Lookalike in "
        f"place of 'default', which was in {old_default})"), timeout=10000)
    qtbot.waitUntil(lambda: len(codes_per_model()) == 2, timeout=30000)
    with Store(readonly=True) as store:
        new_id = store.active_model_id()
        assert new_id != old_id and store.model(new_id)["path"] == str(new_default)
    qtbot.waitUntil(lambda: codes_per_model()[new_id] == 6, timeout=30000)
    assert codes_per_model()[old_id] == 6  # kept, as the message says


def test_the_window_keeps_an_imported_copy_of_the_earlier_default(
        qtbot, make_window, tmp_path, library_photos, monkeypatch):
    """As the command line does (active_model_dir): the same model among the app's folders (a
    copy of the earlier default the user imported) goes before the new default, which would
    re-encode the whole library."""
    from desktop_app.core.model_registry import import_model

    old_default = installation(tmp_path / "old", monkeypatch, seed=1)
    copy = import_model(old_default)
    old_id = indexed_with_the_default(qtbot, make_window, library_photos)
    shutil.rmtree(tmp_path / "old")
    installation(tmp_path / "new", monkeypatch, seed=2)  # another graph

    again = make_window(model_dir=None, watched_folders=[str(library_photos)])
    wait_idle(qtbot, again)
    assert again.worker.model_dir == str(copy)
    assert not again.banner.isVisible()
    with Store(readonly=True) as store:
        assert store.active_model_id() == old_id
    assert list(codes_per_model()) == [old_id]  # nothing encoded again
