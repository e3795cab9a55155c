"""Another Lookalike process at work on the same library meanwhile (an index, a `forget`), and
folders missing during a model switch. The other process is a second connection driven from a
progress callback, so each race happens at a known step."""

from __future__ import annotations

import pytest
from photos import make_photo
from tiny_model import make_tiny_model

from desktop_app.core import library as library_module
from desktop_app.core.encoder import load_encoder
from desktop_app.core.errors import StoreError
from desktop_app.core.library import PhotoLibrary
from desktop_app.core.store import Store, store_error


@pytest.fixture
def other_model(tmp_path):
    return load_encoder(make_tiny_model(tmp_path / "m2", bits=32, seed=5, name="m2"))


def _codes(store, model_id) -> int:
    return store.query("SELECT COUNT(*) FROM codes WHERE model_id = ?", (model_id,))[0][0]


def _second(store, encoder, **kwargs) -> PhotoLibrary:
    """The same library as another process sees it."""
    return PhotoLibrary(Store(store.path), encoder, batch_size=2, decode_threads=1, **kwargs)


def test_photos_indexed_during_a_model_switch_get_the_new_models_codes(
        library, album, store, tmp_path, tiny_encoder, other_model):
    library.index_folder(album)
    for i, name in enumerate(("chelsea", "coffee", "rocket")):
        make_photo(tmp_path / "album2" / f"{i}.png", name)
    indexer = _second(store, tiny_encoder)  # an `index` that loaded the old model

    def progress(done, total):
        if done == 2 and not indexer.folders()[1:]:
            indexer.index_folder(tmp_path / "album2")

    report = library.activate_model(other_model, progress=progress)
    assert (report.updated, report.failed, report.errors) == (8, 0, [])
    assert store.active_model_id() == other_model.model_id
    assert _codes(store, other_model.model_id) == 8 and len(library.search_index()) == 8
    indexer.store.close()


def test_a_model_switch_outrun_by_another_index_says_what_is_left(
        library, album, store, tmp_path, tiny_encoder, other_model, monkeypatch):
    monkeypatch.setattr(library_module, "ACTIVATE_ROUNDS", 2)
    library.index_folder(album)
    indexer = _second(store, tiny_encoder)
    added = []

    def progress(done, total):  # a new photo at the end of every round
        if done == total and done:
            added.append(make_photo(tmp_path / "new" / f"{len(added)}.png", "coffee"))
            indexer.index_folder(tmp_path / "new")

    report = library.activate_model(other_model, progress=progress)
    assert len(added) == 2 and report.updated == 6 and report.failed == 1
    assert "1 photos added by another Lookalike process" in report.errors[0][1]
    assert store.active_model_id() == other_model.model_id
    indexer.store.close()


def test_two_indexes_with_two_models_keep_each_others_codes(library, album, store,
                                                            tiny_encoder, other_model):
    """An index with another model that started before this library's index wrote the same
    new photos: it must not drop this index's codes (same content)."""
    one_off = _second(store, other_model, activate_if_none=False)

    def progress(done, total):
        if done == 0 and not library.photos():
            library.index_folder(album)

    one_off.index_folder(album, progress=progress)
    assert _codes(store, tiny_encoder.model_id) == 5
    assert _codes(store, other_model.model_id) == 5
    one_off.store.close()


def test_a_model_switch_with_a_folder_missing_says_so(library, album, store, tiny_encoder,
                                                      other_model):
    library.index_folder(album)
    album.rename(album.with_name("album-unplugged"))
    report = library.activate_model(other_model)
    assert (report.updated, report.removed, report.failed) == (0, 0, 5)
    (path, message), = report.errors
    assert path == str(album) and "the folder is not there" in message
    assert "keep their old codes" in message and "activate m2 again" in message
    assert _codes(store, tiny_encoder.model_id) == 5


def test_forget_during_an_index_skips_the_folders_photos(library, album, store, photo_factory,
                                                         other_model):
    library.index_folder(album)
    photo_factory("album/new.jpg", "rocket")
    one_off = PhotoLibrary(store, other_model, batch_size=1, decode_threads=1,
                           activate_if_none=False)
    forgetter = Store(store.path)

    def progress(done, total):
        if done == 1:
            forgetter.delete_folder(forgetter.folder_rows()[0][0])

    report = one_off.index_folder(album, progress=progress)
    assert "removed their folder from the library" in report.errors[0][1]
    assert library.photos() == [] and store.integrity_check() == "ok"
    forgetter.close()


def test_forget_during_a_model_switch_skips_the_forgotten_photos(library, album, store,
                                                                 other_model):
    library.index_folder(album)
    forgetter = Store(store.path)

    def progress(done, total):
        if done == 1:
            forgetter.delete_folder(forgetter.folder_rows()[0][0])

    library.activate_model(other_model, progress=progress)
    assert library.photos() == [] and _codes(store, other_model.model_id) == 0
    forgetter.close()


def test_a_foreign_key_error_says_what_happened(tmp_path):
    import sqlite3

    error = store_error(tmp_path / "db", sqlite3.IntegrityError("FOREIGN KEY constraint failed"))
    assert isinstance(error, StoreError)
    assert "another Lookalike process removed a folder or photo" in str(error)
    assert "Run the command again" in str(error)
