"""Lookalike updated into another folder (a new Python's site-packages, an app bundle unpacked
elsewhere): the library records the shipped default model at the earlier installation's folder,
which went with it. Found by opening libraries of earlier versions with this one: the active
model was said missing, with the remedy "import it again" (the user has no copy to import)."""

from __future__ import annotations

import shutil

import pytest
from tiny_model import make_tiny_model

from desktop_app.core.errors import ModelError
from desktop_app.core.library import PhotoLibrary
from desktop_app.core.model_registry import (
    active_model_dir,
    find_model,
    open_encoder,
    shipped_in_place_of,
    split_replaced,
)


def installation(root, monkeypatch, seed: int):
    """An installation of Lookalike in `root`, with its shipped default model, in use."""
    monkeypatch.setenv("LOOKALIKE_RESOURCES", str(root / "resources"))
    return make_tiny_model(root / "resources" / "models" / "default", bits=32, seed=seed,
                           name="default")


def indexed_with_default(store, album) -> PhotoLibrary:
    library = PhotoLibrary(store, open_encoder(store), batch_size=4, decode_threads=2)
    library.index_folder(album)
    return library


def test_a_new_default_shipped_in_another_folder_takes_the_old_ones_place(
        store, album, tmp_path, monkeypatch):
    old_default = installation(tmp_path / "old", monkeypatch, seed=1)
    old_id = indexed_with_default(store, album).model_id
    shutil.rmtree(tmp_path / "old")  # the update removed the earlier installation
    new_default = installation(tmp_path / "new", monkeypatch, seed=2)  # another graph
    assert active_model_dir(store) == new_default
    library = PhotoLibrary(store, open_encoder(store), batch_size=4, decode_threads=2)
    assert store.active_model_id() == library.model_id != old_id
    message = library.replaced_active_message()
    assert message.startswith(f"{new_default} holds the model 'default' (shipped with this "
                              f"version of Lookalike in place of 'default', which was in "
                              f"{old_default}): the library uses it now")
    assert library.index_folder(album).errors == []
    assert len(library.search_index().ids) == 5
    assert store.codes_per_model()[old_id] == 5  # kept, as the message says
    assert find_model(store, "default") == new_default  # `models activate default`


def test_the_same_default_in_another_folder_is_found_by_name(store, album, tmp_path,
                                                             monkeypatch):
    installation(tmp_path / "old", monkeypatch, seed=1)
    model_id = indexed_with_default(store, album).model_id
    store.set_active_model("0" * 64)  # another model active: `default` is found by name
    shutil.rmtree(tmp_path / "old")
    new_default = installation(tmp_path / "new", monkeypatch, seed=1)  # the same graph
    assert find_model(store, "default") == new_default
    assert find_model(store, model_id[:12]) == new_default


def test_a_new_default_shipped_in_the_same_folder_is_found_by_name(store, album, tmp_path,
                                                                   monkeypatch):
    """Before the first index after the update the library records only the old default:
    `models activate default` said its folder held another model, 'default', and to activate
    'default' by its name."""
    default = installation(tmp_path / "app", monkeypatch, seed=1)
    indexed_with_default(store, album)
    installation(tmp_path / "app", monkeypatch, seed=2)  # updated in place
    assert find_model(store, "default") == default


def test_a_users_own_model_that_is_gone_is_still_said_missing(store, album, tmp_path,
                                                              monkeypatch):
    """Only a folder named like a shipped default is taken for one: another model gone must
    not be replaced by the default without a word (it would re-encode the whole library)."""
    installation(tmp_path / "app", monkeypatch, seed=1)
    own = make_tiny_model(tmp_path / "mine" / "holiday", bits=32, seed=3, name="holiday")
    library = PhotoLibrary(store, open_encoder(store, own), batch_size=4, decode_threads=2)
    store.set_active_model(library.model_id)
    shutil.rmtree(own)
    with pytest.raises(ModelError, match="the active model 'holiday' is no longer in its"):
        active_model_dir(store)


def test_a_users_own_model_in_a_folder_named_models_default_is_not_replaced(
        store, album, tmp_path, monkeypatch):
    """A model the user trained into ~/stuff/models/default (a folder named like a shipped
    default), on a drive not connected now: it was taken for an earlier installation's default,
    and the library was switched to this version's default and encoded again, with a message
    saying 'holiday' had been shipped with an earlier Lookalike."""
    installation(tmp_path / "app", monkeypatch, seed=1)
    own = make_tiny_model(tmp_path / "usb" / "stuff" / "models" / "default", bits=32, seed=3,
                          name="holiday")
    library = PhotoLibrary(store, open_encoder(store, own), batch_size=4, decode_threads=2)
    store.set_active_model(library.model_id)  # as `models activate NAME` did before 5b63da2
    library.index_folder(album)
    shutil.move(tmp_path / "usb", tmp_path / "unplugged")  # the drive is not connected
    with pytest.raises(ModelError, match="the active model 'holiday' is no longer in its"):
        active_model_dir(store)
    assert shipped_in_place_of(store.model(library.model_id)) is None
    with pytest.raises(ModelError, match="the folder of model 'holiday' is gone"):
        find_model(store, "holiday")
    assert split_replaced(store.models())[1] == []  # `models list` shows it, not the default
