"""A model exported into the active model's folder (`lookalike train --out` into it): the library
loaded the new model from that folder but kept the old one's id as active, so it encoded with a
model that was not the active one, and `models list` showed no active model."""

from __future__ import annotations

from tiny_model import make_tiny_model

from desktop_app.core.library import PhotoLibrary
from desktop_app.core.model_registry import open_encoder


def test_a_model_exported_into_the_active_folder_becomes_the_active_model(store, album,
                                                                          tmp_path):
    folder = make_tiny_model(tmp_path / "holiday", bits=32, seed=1, name="holiday")
    first = PhotoLibrary(store, open_encoder(store, folder), batch_size=4, decode_threads=2)
    store.set_active_model(first.model_id)
    first.index_folder(album)
    old_id = first.model_id
    make_tiny_model(folder, bits=32, seed=2, name="holiday-2")  # exported over it
    library = PhotoLibrary(store, open_encoder(store), batch_size=4, decode_threads=2)
    assert library.model_id != old_id
    assert store.active_model_id() == library.model_id
    assert library.replaced_active["id"] == old_id
    message = library.replaced_active_message()
    assert str(folder) in message and "'holiday-2'" in message and "'holiday'" in message
    report = library.index_folder(album)
    assert report.errors == []
    assert len(library.search_index().ids) == 5  # every photo encoded with the new model
    assert store.codes_per_model()[old_id] == 5  # the old codes are kept


def test_a_one_off_model_from_the_active_folder_changes_nothing(store, album, tmp_path):
    folder = make_tiny_model(tmp_path / "holiday", bits=32, seed=1, name="holiday")
    first = PhotoLibrary(store, open_encoder(store, folder), batch_size=4, decode_threads=2)
    store.set_active_model(first.model_id)
    make_tiny_model(folder, bits=32, seed=2, name="holiday-2")
    one_off = PhotoLibrary(store, open_encoder(store, folder), batch_size=4, decode_threads=2,
                           activate_if_none=False)  # the command line's --model
    assert one_off.replaced_active is None
    assert store.active_model_id() == first.model_id


def test_a_new_shipped_default_model_is_not_said_to_be_exported(store, tmp_path, monkeypatch):
    """A new version of Lookalike (pip upgrade, a new app bundle in the same place) ships
    another default model in the same folder: it is made active, but nobody exported it there."""
    resources = tmp_path / "resources"
    monkeypatch.setenv("LOOKALIKE_RESOURCES", str(resources))
    default = make_tiny_model(resources / "models" / "default", bits=32, seed=1, name="default")
    first = PhotoLibrary(store, open_encoder(store), batch_size=4, decode_threads=2)
    assert store.active_model_id() == first.model_id
    make_tiny_model(default, bits=32, seed=2, name="default-2")  # the upgrade
    library = PhotoLibrary(store, open_encoder(store), batch_size=4, decode_threads=2)
    assert store.active_model_id() == library.model_id != first.model_id
    message = library.replaced_active_message()
    assert message.startswith(f"{default} now holds the model 'default-2' (shipped with this "
                              "version of Lookalike in place of 'default'): the library uses")
    assert "exported" not in message
