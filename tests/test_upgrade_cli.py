"""The command line on a library made before an update of Lookalike that shipped another
default model: in the same folder (pip upgrade) or in another one (reinstalled elsewhere, the
earlier installation gone with its default model)."""

from __future__ import annotations

import re
import shutil

import pytest
from cli_run import install, run

from desktop_app.core.store import Store


@pytest.fixture
def album(tmp_path, photo_factory):
    photo_factory("album/chelsea.jpg", "chelsea")
    photo_factory("album/coffee.jpg", "coffee")
    return tmp_path / "album"


def test_index_after_an_update_into_another_folder_uses_its_default(
        capsys, tmp_path, album, monkeypatch):
    """It failed: "the active model 'default' is no longer in its folder. Import it again"."""
    old_default = install(tmp_path / "old", monkeypatch, seed=1)
    assert run(capsys, "--no-progress", "index", album)[0] == 0
    shutil.rmtree(tmp_path / "old")
    new_default = install(tmp_path / "new", monkeypatch, seed=2)
    code, out, err = run(capsys, "--no-progress", "status")
    assert code == 0 and "Model problem" not in out
    # The library still records the earlier default as active until it is next opened to
    # index: status named it with no word of the change to come.
    assert "'default' shipped with this version of Lookalike in its place, and becomes the " \
           "active model when the app or `lookalike index` next opens the library" in out
    code, out, err = run(capsys, "--no-progress", "index", album)
    assert code == 0, err
    assert f"{new_default} holds the model 'default' (shipped with this version" in out + err
    assert str(old_default) in out + err and "2 updated" in out
    with Store() as store:
        assert store.model(store.active_model_id())["path"] == str(new_default)
    assert run(capsys, "--no-progress", "similar", album / "coffee.jpg")[0] == 0


def test_models_list_says_a_new_default_came_with_the_update(capsys, tmp_path, album,
                                                             monkeypatch):
    """It said the new default 'was exported there since', as of a model the user trained."""
    install(tmp_path / "app", monkeypatch, seed=1)
    assert run(capsys, "--no-progress", "index", album)[0] == 0
    install(tmp_path / "app", monkeypatch, seed=2)  # updated in place
    code, out, _ = run(capsys, "models", "list")
    assert code == 0
    assert "'default' shipped with this version of Lookalike in its place" in out
    assert "exported" not in out
    assert "No models in this library yet" not in out  # it has one, with codes
    code, out, err = run(capsys, "--no-progress", "models", "activate", "default")
    assert code == 0, err


@pytest.mark.parametrize("elsewhere", [False, True], ids=["same-folder", "other-folder"])
def test_the_activate_command_models_list_gives_after_an_update_works(
        capsys, tmp_path, album, monkeypatch, elsewhere):
    """`models list` says "(or now: `lookalike models activate <id>`)" with the new default's
    id, which the library has not recorded yet: it answered "no model called '<id>' is known
    to this library"."""
    install(tmp_path / "old", monkeypatch, seed=1)
    assert run(capsys, "--no-progress", "index", album)[0] == 0
    if elsewhere:
        shutil.rmtree(tmp_path / "old")
    new_default = install(tmp_path / ("new" if elsewhere else "old"), monkeypatch, seed=2)
    code, out, _ = run(capsys, "models", "list")
    hint = re.search(r"`lookalike models activate ([0-9a-f]{12})`", out)
    assert code == 0 and hint, out
    code, out, err = run(capsys, "--no-progress", "models", "activate", hint[1])
    assert code == 0, err
    with Store() as store:
        assert store.model(store.active_model_id())["path"] == str(new_default)
