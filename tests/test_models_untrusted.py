"""`lookalike models import|activate` with a model folder from someone else: whatever its card
holds, the command says in one line what is wrong with which file, and exits with the model
error's code, never as a bug."""

from __future__ import annotations

import json
import shutil
import zipfile

from cli_run import run
from tiny_model import make_tiny_model

from desktop_app import cli, paths


def test_a_card_nested_too_deeply_is_one_line_not_a_bug(capsys, tmp_path, tiny_model_dir):
    folder = shutil.copytree(tiny_model_dir, tmp_path / "from-a-forum")
    (folder / "model.json").write_text("[" * 100_000 + "]" * 100_000)
    code, out, err = run(capsys, "models", "import", folder)
    assert (code, out) == (cli.EXIT_MODEL, "")
    assert err == (f"lookalike: {folder / 'model.json'}: the model card nests lists or objects "
                   "too deeply, or holds a number too long to read. Re-export the model.\n")


def test_a_long_name_is_imported_into_a_folder_of_a_short_name(capsys, tmp_path):
    """The copy's folder was named after the whole name: past 255 characters the file system
    refused it, and the command failed as a bug."""
    folder = make_tiny_model(tmp_path / "model", bits=32, name="holiday " * 37)  # 296
    code, out, err = run(capsys, "models", "import", folder, "--json")
    assert code == cli.EXIT_OK, err
    imported = json.loads(out)["imported"]
    assert len(imported.rsplit("/", 1)[1]) <= 64 + 13  # 64 of the name, "-" and 12 of the id
    code, out, err = run(capsys, "models", "list", "--json")
    assert code == cli.EXIT_OK and json.loads(out)["models"][0]["name"] == "holiday " * 37
    code, out, err = run(capsys, "models", "activate", "holiday " * 37, "--json")
    assert code == cli.EXIT_OK, err
    assert json.loads(out)["path"] == imported


def test_a_zip_archive_is_to_be_unpacked_first(capsys, tmp_path, tiny_model_dir):
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name in ("model.json", "model.onnx"):
            z.write(tiny_model_dir / name, f"model/{name}")
    code, out, err = run(capsys, "models", "import", archive)
    assert (code, out) == (cli.EXIT_MODEL, "")
    assert err == (f"lookalike: {archive}: this is a zip archive, not a model folder. Unpack it "
                   "first, then choose the folder inside it that holds model.onnx and "
                   "model.json.\n")


def test_a_folder_copied_by_hand_into_the_models_folder_is_checked_too(capsys, tiny_model_dir):
    """Not imported: put there by hand, with a card whose name no folder could hold. `models
    list` leaves it out; activating it says what is wrong with its card."""
    folder = shutil.copytree(tiny_model_dir, paths.models_dir() / "by-hand")
    card = json.loads((folder / "model.json").read_text())
    card["name"] = "x" * 10_000
    (folder / "model.json").write_text(json.dumps(card))
    code, out, err = run(capsys, "models", "list", "--json")
    assert code == cli.EXIT_OK and json.loads(out)["not_used_yet"] == []
    code, out, err = run(capsys, "models", "activate", folder)
    assert (code, out) == (cli.EXIT_MODEL, "")
    assert err.startswith(f"lookalike: {folder / 'model.json'}: the model card's 'name' is ")
    assert err.endswith("but it must be a name of 1 to 300 characters, not only spaces, and "
                        "not '.' or '..'. Correct it in model.json, or re-export the model "
                        "with `python -m trainer export`.\n")
