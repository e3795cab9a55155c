"""`lookalike` commands when a folder is missing or another process switches the model, run
for real (in-process main()) against a SQLite library with tiny ONNX models."""

from __future__ import annotations

import json

from cli_run import run
from tiny_model import make_tiny_model

from desktop_app import cli


def test_activate_with_a_folder_missing_says_so_and_exits_partial(capsys, tmp_path,
                                                                   photo_factory,
                                                                   tiny_model_dir):
    album = photo_factory("album/one.jpg", "chelsea").parent
    run(capsys, "models", "import", tiny_model_dir, "--activate")
    code, _, err = run(capsys, "index", album)
    assert code == cli.EXIT_OK, err
    album.rename(tmp_path / "unplugged")
    other = make_tiny_model(tmp_path / "other", bits=32, seed=3, name="other-32")
    code, _, err = run(capsys, "models", "activate", other)
    assert code == cli.EXIT_PARTIAL, err
    assert f"{album}: the folder is not there" in err and "keep their old codes" in err


def test_status_marks_missing_folders_and_photos_not_encoded(capsys, tmp_path, photo_factory,
                                                             tiny_model_dir):
    album = photo_factory("album/one.jpg", "chelsea").parent
    drive = photo_factory("drive/two.jpg", "coffee").parent
    run(capsys, "models", "import", tiny_model_dir, "--activate")
    run(capsys, "index", album)
    other = make_tiny_model(tmp_path / "other", bits=32, seed=3, name="other-32")
    run(capsys, "--model", other, "index", drive)  # no code from the active model
    drive.rename(tmp_path / "unplugged")
    code, out, _ = run(capsys, "status", "--json")
    data = json.loads(out)
    assert code == cli.EXIT_OK and data["not_encoded"] == 1
    assert [(f["path"], f["photos"], f["missing"]) for f in data["folders"]] == [
        (str(album), 1, False), (str(drive), 1, True)]
    code, out, _ = run(capsys, "status")
    assert f"{album}  (1 photo)\n" in out and f"{drive}  (1 photo; not on disk now)" in out
    assert "Not encoded with tiny-48 yet: 1 photo" in out
    assert "`lookalike index FOLDER`" in out and "`lookalike models activate tiny-48` again" in out


def test_index_says_when_the_model_was_switched_while_it_ran(capsys, tmp_path, photo_factory,
                                                             tiny_model_dir, monkeypatch):
    from desktop_app.core.library import PhotoLibrary
    from desktop_app.core.store import Store

    album = photo_factory("album/one.jpg", "chelsea").parent
    run(capsys, "models", "import", tiny_model_dir, "--activate")
    other = make_tiny_model(tmp_path / "other", bits=32, seed=3, name="other-32")
    run(capsys, "models", "import", other)
    real = PhotoLibrary.index_folders

    def index_then_switch(self, *args, **kwargs):  # `models activate` finishes meanwhile
        reports = real(self, *args, **kwargs)
        with Store(self.store.path) as elsewhere:
            switched_to = next(m for m in elsewhere.models() if m["name"] == "other-32")
            elsewhere.set_active_model(switched_to["id"])
        return reports

    monkeypatch.setattr(PhotoLibrary, "index_folders", index_then_switch)
    code, _, err = run(capsys, "index", album)
    assert code == cli.EXIT_PARTIAL
    assert "the active model was switched" in err and "`lookalike index` again" in err
    monkeypatch.setattr(PhotoLibrary, "index_folders", real)  # (undo() would drop LOOKALIKE_HOME)
    code, out, err = run(capsys, "index", album)
    assert code == cli.EXIT_OK, err
    assert "1 updated" in out
