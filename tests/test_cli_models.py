"""`lookalike models import|activate`, run for real against a real SQLite library: what becomes
the active model, where its folder is, and which model cards may share a graph's codes."""

from __future__ import annotations

import json
import shlex
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from cli_run import active_then_exported_over, run
from tiny_model import make_tiny_model

from desktop_app import cli, paths
from desktop_app.core.store import Store


@pytest.fixture
def album(tmp_path, photo_factory):
    photo_factory("album/chelsea.jpg", "chelsea")
    photo_factory("album/coffee.jpg", "coffee")
    photo_factory("album/astronaut.png", "astronaut")
    return tmp_path / "album"


def card_copy(source, target, **input_changes):
    """A copy of a model folder (same model.onnx) whose card has other input settings."""
    shutil.copytree(source, target)
    card = json.loads((target / "model.json").read_text())
    card["input"].update(input_changes)
    (target / "model.json").write_text(json.dumps(card))
    return target


def library_state():
    with Store() as store:
        return (store.active_model_id(), [m["name"] for m in store.models()],
                store.query("SELECT * FROM codes ORDER BY photo_id, model_id"))


def import_and_follow_its_suggestion(capsys, model_dir) -> None:
    """Import the model in model_dir, whose name another model has too: the command import
    suggests names it by its id, and activates it."""
    code, out, err = run(capsys, "models", "import", model_dir)
    assert code == cli.EXIT_OK, err
    suggested = out.split("`")[1]
    model_id = json.loads((model_dir / "model.json").read_text())["onnx_sha256"]
    assert suggested == f"lookalike models activate {model_id[:12]}"
    code, out, err = run(capsys, *shlex.split(suggested)[1:], "--json")
    assert code == cli.EXIT_OK, err
    assert json.loads(out)["id"] == model_id


def test_activating_by_name_a_model_only_used_with_model_imports_it(capsys, album, tmp_path):
    """It used to make the user's own folder the active model: once that folder was deleted,
    every command failed with "no longer in its folder"."""
    own = make_tiny_model(tmp_path / "mC", bits=32, seed=7, name="tiny C")
    assert run(capsys, "--model", own, "index", album)[0] == cli.EXIT_OK
    code, out, err = run(capsys, "models", "activate", "tiny C", "--json")
    assert code == cli.EXIT_OK, err
    assert paths.models_dir() in Path(json.loads(out)["path"]).parents
    shutil.rmtree(own)
    code, out, err = run(capsys, "index", album)
    assert code == cli.EXIT_OK, err
    code, out, _ = run(capsys, "models", "list")
    assert "* tiny C" in out and str(own) not in out


def test_activating_by_name_a_model_whose_own_folder_is_gone_says_so(capsys, album, tmp_path):
    own = make_tiny_model(tmp_path / "mC", bits=32, seed=7, name="tiny C")
    run(capsys, "--model", own, "index", album)
    shutil.rmtree(own)
    code, _, err = run(capsys, "models", "activate", "tiny C")
    assert code == cli.EXIT_MODEL
    assert (f"{own}: the folder of model 'tiny C' is gone (it was only used with --model, never "
            "imported). Import its folder with `lookalike models import DIR`.") in err


def test_a_new_card_for_a_known_graph_with_other_preprocessing_is_refused(capsys, album,
                                                                         tiny_model_dir,
                                                                         tmp_path):
    """Codes are keyed by the graph's hash: the same graph with another mean (same name) or
    std (another name) was taken as the same model, its codes reused for other preprocessing,
    or its new card silently dropped."""
    assert run(capsys, "models", "import", tiny_model_dir, "--activate")[0] == cli.EXIT_OK
    assert run(capsys, "index", album)[0] == cli.EXIT_OK
    before = library_state()
    copy = next(paths.models_dir().iterdir())
    card_before = (copy / "model.json").read_text()
    same_name = card_copy(tiny_model_dir, tmp_path / "v2", mean=[100.0, 100.0, 100.0])
    other = card_copy(tiny_model_dir, tmp_path / "other", std=[64.0, 64.0, 64.0])
    card = json.loads((other / "model.json").read_text())
    (other / "model.json").write_text(json.dumps({**card, "name": "tinyB"}))
    for argv, changed, name in ((("models", "import", same_name), "input.mean", "tiny-48"),
                                (("models", "activate", other), "input.std", "tinyB"),
                                (("--model", other, "index", album), "input.std", "tinyB")):
        code, _, err = run(capsys, *argv)
        assert code == cli.EXIT_MODEL, argv
        assert (f"this card ('{name}') is for the graph of the model 'tiny-48' (id "
                f"{card['onnx_sha256'][:12]}, {copy}) but with other {changed}") in err, argv
        assert "Keep using 'tiny-48'" in err
    assert library_state() == before
    assert (copy / "model.json").read_text() == card_before
    assert [p.name for p in paths.models_dir().iterdir()] == [copy.name]


def test_importing_a_card_with_only_a_new_description_updates_the_copy(capsys, tiny_model_dir,
                                                                      tmp_path):
    run(capsys, "models", "import", tiny_model_dir)
    newer = shutil.copytree(tiny_model_dir, tmp_path / "newer")
    card = json.loads((newer / "model.json").read_text())
    (newer / "model.json").write_text(json.dumps({**card, "description": "better notes"}))
    code, out, err = run(capsys, "models", "import", newer, "--json")
    assert code == cli.EXIT_OK, err
    imported = json.loads(out)["imported"]
    assert json.loads((Path(imported) / "model.json").read_text())["description"] == "better notes"


def test_import_suggests_the_id_when_another_model_has_the_name(capsys, tiny_model_dir,
                                                                tmp_path):
    """It suggested `models activate tiny-48`, which then failed: "matches 2 models"."""
    run(capsys, "models", "import", tiny_model_dir)
    second = make_tiny_model(tmp_path / "second", bits=48, seed=9, name="tiny-48")
    import_and_follow_its_suggestion(capsys, second)


@pytest.mark.parametrize("stopped", [False, True])
def test_activating_with_no_active_model_leaves_the_default_alone(capsys, album, tiny_model_dir,
                                                                 tmp_path, monkeypatch, stopped):
    """It registered the shipped default and made it active before switching: `models list`
    gained a "default, 0 photos encoded" row, and a stopped activation left the default active."""
    assert (paths.default_model_dir() / "model.json").is_file()
    run(capsys, "--model", tiny_model_dir, "index", album)  # photos, but no active model
    if stopped:
        @contextmanager
        def stop_at_once(says):
            yield lambda: True  # as if Ctrl-C came during the first photo
        monkeypatch.setattr(cli, "_stop_on_sigint", stop_at_once)
    other = make_tiny_model(tmp_path / "other", bits=32, seed=3, name="other-32")
    code, _, err = run(capsys, "models", "activate", other)
    assert code == (cli.EXIT_INTERRUPTED if stopped else cli.EXIT_OK), err
    active, names, _ = library_state()
    assert "default" not in names
    assert active == (None if stopped else json.loads((other / "model.json").read_text())
                      ["onnx_sha256"])


def test_reimporting_a_model_under_another_name_takes_its_copy_over(capsys, tiny_model_dir,
                                                                     tmp_path):
    """`export --name "My model"` of the same run, then import: a second copy of the whole model
    was made, and the first stayed behind, never used again."""
    code, out, err = run(capsys, "models", "import", tiny_model_dir, "--json")
    assert code == cli.EXIT_OK, err
    first = Path(json.loads(out)["imported"])
    renamed = shutil.copytree(tiny_model_dir, tmp_path / "renamed")
    card = json.loads((renamed / "model.json").read_text())
    (renamed / "model.json").write_text(json.dumps({**card, "name": "My model"}))
    code, out, err = run(capsys, "models", "activate", renamed, "--json")
    assert code == cli.EXIT_OK, err
    assert Path(json.loads(out)["path"]) == first
    assert [p for p in paths.models_dir().iterdir()] == [first]
    assert json.loads((first / "model.json").read_text())["name"] == "My model"
    with Store() as store:
        assert [(m["name"], Path(m["path"])) for m in store.models()] == [("My model", first)]


def test_a_folder_with_one_model_per_length_names_them(capsys, tiny_model_dir, tmp_path):
    """`lookalike train --bits 24 48` writes MODEL_DIR/24bit/ and 48bit/; activating MODEL_DIR
    said it has no model card and to choose a folder made by `lookalike train`, which it was."""
    made = tmp_path / "made"
    make_tiny_model(made / "24bit", bits=24, seed=2)
    shutil.copytree(tiny_model_dir, made / "48bit")
    code, _, err = run(capsys, "models", "activate", made)
    assert code == cli.EXIT_MODEL
    assert "one in each of 24bit/, 48bit/" in err and str(made / "48bit") in err, err


def test_reimporting_leaves_a_retrained_run_and_a_linked_folder_alone(capsys, tiny_model_dir,
                                                                      tmp_path):
    """The retrain dialog trains into the models folder (trained-<stamp>/ with training/), and a
    user may link their own folder there: an import of the same graph under another name took
    such a folder over and deleted its training files, or failed on the link (review)."""
    models = paths.models_dir()
    models.mkdir(parents=True)
    run_folder = shutil.copytree(tiny_model_dir, models / "trained-20261201-091500")
    (run_folder / "training").mkdir()
    (run_folder / "training" / "heads.pt").write_bytes(b"heads")
    own = shutil.copytree(tiny_model_dir, tmp_path / "own")
    (models / "linked").symlink_to(own, target_is_directory=True)
    renamed = shutil.copytree(tiny_model_dir, tmp_path / "renamed")
    card = json.loads((renamed / "model.json").read_text())
    (renamed / "model.json").write_text(json.dumps({**card, "name": "My model"}))
    code, out, err = run(capsys, "models", "import", renamed, "--json")
    assert code == cli.EXIT_OK, err
    copy = Path(json.loads(out)["imported"])
    assert copy.parent == models and copy not in (run_folder, models / "linked")
    assert (run_folder / "training" / "heads.pt").read_bytes() == b"heads"
    assert json.loads((run_folder / "model.json").read_text())["name"] == card["name"]
    assert (own / "model.json").read_text() == (tiny_model_dir / "model.json").read_text()


def test_models_the_app_made_in_the_models_folder_are_listed_and_activated_by_name(
        capsys, album, tiny_model_dir, tmp_path):
    """The app's model list showed a model the retrain dialog made (models/trained-<stamp>/),
    `lookalike models list` did not, and `models activate` by its name said no such model is
    known (an audit of retraining). Two of one name are refused, naming both folders."""
    run(capsys, "--model", tiny_model_dir, "index", album)
    made = make_tiny_model(paths.models_dir() / "trained-20261201-094738", bits=32, seed=4,
                           name="albums-32bit")
    code, out, err = run(capsys, "models", "list")
    assert code == cli.EXIT_OK, err
    assert "albums-32bit" in out and "not used by this library yet" in out and str(made) in out
    code, out, _ = run(capsys, "models", "list", "--json")
    assert [m["path"] for m in json.loads(out)["not_used_yet"]] == [str(made)]

    twin = make_tiny_model(paths.models_dir() / "trained-20261201-101500", bits=32, seed=5,
                           name="albums-32bit")
    code, _, err = run(capsys, "models", "activate", "albums-32bit")
    assert code == cli.EXIT_MODEL and str(made) in err and str(twin) in err, err
    shutil.rmtree(twin)
    code, out, err = run(capsys, "models", "activate", "albums-32bit", "--json")
    assert code == cli.EXIT_OK, err
    assert Path(json.loads(out)["path"]) == made
    with Store() as store:
        assert store.model(store.active_model_id())["name"] == "albums-32bit"
    code, out, _ = run(capsys, "models", "list")
    assert "not used by this library yet" not in out


def test_a_model_exported_again_into_a_folder_the_library_knows_is_found_by_name(
        capsys, album, tiny_model_dir):
    """`lookalike train ALBUMS --out` into a model's folder in the models folder, after the
    library used the model there: the folder holds a new model of the same name, and
    `models activate NAME` said the name matches 2 models, naming that folder twice."""
    folder, old_id = active_then_exported_over(capsys, album, tiny_model_dir)
    code, out, err = run(capsys, "models", "activate", "albums-32bit", "--json")
    assert code == cli.EXIT_OK, err
    new = json.loads(out)
    assert Path(new["path"]) == folder and new["id"] != old_id and new["activated"]
    # The model recorded there before is not there any more: its id no longer finds the
    # folder (it would activate the other model), and says where it went.
    code, _, err = run(capsys, "models", "activate", old_id[:12])
    assert code == cli.EXIT_MODEL, err
    assert f"now holds another model, 'albums-32bit' (id {new['id'][:12]})" in err, err


def test_models_list_shows_a_folder_exported_into_again_once_as_its_new_model(
        capsys, album, tiny_model_dir):
    """`models list` kept the row of the model recorded in a folder another model was exported
    into since, beside the new model's: two rows for one folder, the old one with its id."""
    folder, old_id = active_then_exported_over(capsys, album, tiny_model_dir)
    new_id = json.loads((folder / "model.json").read_text())["onnx_sha256"]

    def rows_of_folder():
        code, out, err = run(capsys, "models", "list")
        assert code == cli.EXIT_OK, err
        return [line for line in out.splitlines() if line.endswith(str(folder))], out

    rows, out = rows_of_folder()
    assert len(rows) == 1 and new_id[:12] in rows[0] and "not used by this library yet" in rows[0]
    assert f"The active model albums-32bit (id {old_id[:12]}) is no longer in {folder}" in out
    out = run(capsys, "models", "list", "--json")[1]
    listed = json.loads(out)
    assert [m["path"] for m in listed["models"] + listed["not_used_yet"]].count(str(folder)) == 1
    assert [(m["id"], m["replaced_by"]) for m in listed["replaced"]] == [(old_id, new_id)]

    assert run(capsys, "models", "activate", "albums-32bit")[0] == cli.EXIT_OK
    rows, out = rows_of_folder()
    assert len(rows) == 1 and rows[0].startswith("* albums-32bit") and new_id[:12] in rows[0]
    assert "no longer in" not in out


def test_indexing_after_a_model_was_exported_into_the_active_folder_makes_it_active(
        capsys, album, tiny_model_dir):
    """The library loaded the new model from the active model's folder but kept the old id as
    active: it encoded every photo with a model `models list` did not call active, silently."""
    folder, _old_id = active_then_exported_over(capsys, album, tiny_model_dir)
    new_id = json.loads((folder / "model.json").read_text())["onnx_sha256"]
    code, out, err = run(capsys, "models", "list")
    assert f"`lookalike models activate {new_id[:12]}`" in out
    code, out, err = run(capsys, "index", album)
    assert code == cli.EXIT_OK, err
    assert f"{folder} now holds the model 'albums-32bit'" in err
    with Store() as store:
        assert store.active_model_id() == new_id
        assert store.codes_per_model()[new_id] == 3
    code, out, err = run(capsys, "models", "list")
    rows = [line for line in out.splitlines() if line.endswith(str(folder))]
    assert len(rows) == 1 and rows[0].startswith("* albums-32bit") and new_id[:12] in rows[0]
    assert "now holds" not in run(capsys, "index", album)[2]  # said once


def test_import_suggests_the_id_when_a_model_folder_of_the_app_has_the_name(capsys, tmp_path):
    """Two runs of `lookalike train` outside the models folder get the same default name (the
    library knows neither); with a model of that name in the models folder, not used yet (the
    retrain dialog's), importing one suggested `models activate albums-12bit`, which failed:
    "matches 2 models"."""
    make_tiny_model(paths.models_dir() / "trained-1", bits=32, seed=4, name="albums-12bit")
    mine = make_tiny_model(tmp_path / "run-a", bits=32, seed=6, name="albums-12bit")
    import_and_follow_its_suggestion(capsys, mine)


def test_duplicates_with_a_model_the_library_was_not_encoded_with_says_so(capsys, album,
                                                                          tiny_model_dir,
                                                                          tmp_path):
    """It said "No near-identical photos", as if the photos had been compared: none had a code
    from that model (`similar` and `status` say so, with what to run)."""
    assert run(capsys, "--model", tiny_model_dir, "index", album)[0] == cli.EXIT_OK
    other = make_tiny_model(tmp_path / "m32", bits=32, seed=3, name="tiny-32")
    code, out, err = run(capsys, "--model", other, "duplicates")
    assert code == cli.EXIT_OK, err
    assert "no photo in the library is encoded with tiny-32 yet" in out
    assert f"lookalike --model {other} index FOLDER" in out
    # Encoded with it, the answer is about the photos again.
    assert run(capsys, "--model", other, "index", album)[0] == cli.EXIT_OK
    code, out, _ = run(capsys, "--model", other, "duplicates", "--max-distance", "0")
    assert out.startswith("No near-identical photos (within 0 bits)")


def test_import_copies_the_model_not_everything_that_shares_its_folder(capsys, tiny_model_dir,
                                                                        tmp_path):
    """A model downloaded into ~/Downloads and imported from there: every file of the folder
    was copied into the models folder, a video and an installer too."""
    downloads = tmp_path / "Downloads"
    shutil.copytree(tiny_model_dir, downloads)
    (downloads / "README.md").write_text("How this model was trained.\n")
    (downloads / "holiday.mp4").write_bytes(b"\0" * (3 << 20))
    (downloads / "setup.iso").write_bytes(b"\1" * (2 << 20))
    code, out, err = run(capsys, "models", "import", downloads, "--json")
    assert code == cli.EXIT_OK, err
    copy = Path(json.loads(out)["imported"])
    assert sorted(p.name for p in copy.iterdir()) == ["README.md", "imported-from.json",
                                                      "model.json", "model.onnx"]
    code, _, err = run(capsys, "models", "activate", copy)
    assert code == cli.EXIT_OK, err


@pytest.mark.parametrize("location", ["weights.bin", "weights/encoder.bin"])
def test_import_copies_the_external_data_the_graph_names_whatever_its_name(
        capsys, tiny_model_dir, tmp_path, monkeypatch, location):
    """A graph keeping its weights in a file not named like a model file (ONNX external data
    in weights.bin, or in a folder beside it: each tensor names its file): the import left it
    out as a big note, and the copy could not be loaded at all."""
    import onnx

    from desktop_app.core import model_registry
    from desktop_app.core.model_card import file_sha256

    monkeypatch.setattr(model_registry, "NOTE_MAX_BYTES", 1000)  # the weights are "big"
    source = tmp_path / "Downloads"
    shutil.copytree(tiny_model_dir, source)
    graph = onnx.load(str(source / "model.onnx"))
    (source / location).parent.mkdir(parents=True, exist_ok=True)
    onnx.save_model(graph, str(source / "model.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location=location, size_threshold=0)
    assert (source / location).stat().st_size > 1000
    card = json.loads((source / "model.json").read_text())
    card["onnx_sha256"] = file_sha256(source / "model.onnx")
    (source / "model.json").write_text(json.dumps(card))
    (source / "holiday.mp4").write_bytes(b"\0" * 2000)  # still left out
    code, out, err = run(capsys, "models", "import", source, "--json")
    assert code == cli.EXIT_OK, err
    copy = Path(json.loads(out)["imported"])
    assert (copy / location).read_bytes() == (source / location).read_bytes()
    assert not (copy / "holiday.mp4").exists()
    code, _, err = run(capsys, "models", "activate", copy)
    assert code == cli.EXIT_OK, err
