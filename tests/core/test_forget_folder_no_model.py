"""Removing a folder while no model can be loaded (its folder damaged or gone: the app opens
with its no-model banner) never removed it: the removal was PhotoLibrary's, which cannot be
made without an encoder. library.forget_folder needs only the store. Real SQLite file, tiny
real model (damaged after indexing), real photos."""

from __future__ import annotations

import shutil

import pytest

from desktop_app.core.encoder import load_encoder
from desktop_app.core.errors import ModelError
from desktop_app.core.library import PhotoLibrary, forget_folder, library_folders
from desktop_app.core.store import Store


@pytest.fixture
def indexed_then_model_damaged(tmp_path, album, tiny_model_dir):
    """The album indexed (its folder `sub` first: the app's watched folder that the album's
    addition merged into it), then the model's file damaged: (store, {path: (id, codes)})."""
    model = shutil.copytree(tiny_model_dir, tmp_path / "model")
    store = Store(tmp_path / "library.sqlite3")
    library = PhotoLibrary(store, load_encoder(model, intra_op_threads=1), batch_size=4,
                           decode_threads=2)
    library.index_folder(album / "sub")
    library.index_folder(album)
    assert [f.path for f in library.folders()] == [str(album)]
    before = {p.path: (p.id, library.search_index().code_of(p.id).tobytes())
              for p in library.photos()}
    store.close()
    (model / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelError):
        load_encoder(model)
    store = Store(tmp_path / "library.sqlite3")
    yield store, before
    store.close()


def test_a_folder_is_forgotten_with_no_model(indexed_then_model_damaged, album):
    store, _before = indexed_then_model_damaged

    assert forget_folder(store, album) == 5

    assert library_folders(store) == []
    assert store.query("SELECT COUNT(*) FROM photos") == [(0,)]
    assert store.query("SELECT COUNT(*) FROM codes") == [(0,)]


def test_a_folder_forgotten_with_no_model_keeps_the_watched_folders_inside_it(
        indexed_then_model_damaged, album):
    store, before = indexed_then_model_damaged
    sub = str(album / "sub")

    assert forget_folder(store, album, keep=[sub]) == 3

    assert [f.path for f in library_folders(store)] == [sub]
    kept = {path: (photo_id, bytes(code)) for photo_id, path, code in store.query(
        "SELECT p.id, p.path, c.code FROM photos p JOIN codes c ON c.photo_id = p.id")}
    assert kept == {p: v for p, v in before.items() if p.startswith(sub + "/")}
    assert len(kept) == 2


def test_a_folder_not_in_the_library_forgets_nothing(indexed_then_model_damaged, album):
    store, before = indexed_then_model_damaged

    assert forget_folder(store, album / "sub") == 0  # merged into the album: not one itself

    assert [f.path for f in library_folders(store)] == [str(album)]
    assert store.query("SELECT COUNT(*) FROM photos") == [(len(before),)]
