"""`status --json` says what the plain `status` says of an active model whose folder holds
another model now (a default shipped by an update, or a model exported there): the JSON had no
word of the switch to come. The libraries are made as the update and models tests make them
(cli_run's install and active_then_exported_over)."""

from __future__ import annotations

import json
import shutil

import pytest
from cli_run import active_then_exported_over, install, json_of


@pytest.fixture
def album(tmp_path, photo_factory):
    photo_factory("album/chelsea.jpg", "chelsea")
    photo_factory("album/coffee.jpg", "coffee")
    return tmp_path / "album"


def card_id(folder) -> str:
    return json.loads((folder / "model.json").read_text(encoding="utf-8"))["onnx_sha256"]


def test_status_json_has_no_replacement_for_a_model_in_its_folder(capsys, tmp_path, album,
                                                                  monkeypatch):
    install(tmp_path / "app", monkeypatch, seed=1)
    json_of(capsys, "index", album)
    assert json_of(capsys, "status")["active_model_replacement"] is None


@pytest.mark.parametrize("elsewhere", [False, True], ids=["same-folder", "other-folder"])
def test_status_json_names_the_default_an_update_shipped(capsys, tmp_path, album, monkeypatch,
                                                         elsewhere):
    old_default = install(tmp_path / "old", monkeypatch, seed=1)
    json_of(capsys, "index", album)
    if elsewhere:  # reinstalled in another folder, the earlier installation gone with it
        shutil.rmtree(tmp_path / "old")
    new_default = install(tmp_path / ("new" if elsewhere else "old"), monkeypatch, seed=2)
    data = json_of(capsys, "status")
    # Still recorded as active until the library is next opened to index, as `status` says.
    assert data["active_model"]["path"] == str(old_default)
    assert data["active_model_replacement"] == {
        "id": card_id(new_default), "name": "default", "bits": 32, "path": str(new_default),
        "shipped": True}


def test_status_json_names_a_model_exported_into_the_active_models_folder(
        capsys, tmp_path, photo_factory, tiny_model_dir):
    photo_factory("album/chelsea.jpg", "chelsea")
    folder, old_id = active_then_exported_over(capsys, tmp_path / "album", tiny_model_dir)
    data = json_of(capsys, "status")
    assert data["active_model"]["id"] == old_id
    assert data["active_model_replacement"] == {
        "id": card_id(folder), "name": "albums-32bit", "bits": 32, "path": str(folder),
        "shipped": False}
