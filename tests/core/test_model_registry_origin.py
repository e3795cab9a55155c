"""An import records, inside its copy, where the model came from (the folder as given, made
absolute; whether it was a run folder of Lookalike's trainer) and when, in a file of its own
beside model.json: the card, the model id and the hash checks stay the source's. Importing the
same model again keeps the first record unless the copy is replaced."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sys
from datetime import UTC, datetime, timedelta

import pytest

from desktop_app import paths
from desktop_app.core import model_registry
from desktop_app.core.encoder import open_model_folder
from desktop_app.core.errors import ModelError
from desktop_app.core.model_registry import import_model
from trainer.outdir import model_folders
from trainer.rundir import MANIFEST, TRAINING

ORIGIN_FILE = "imported-from.json"  # beside model.json in the copy


def record_of(copy) -> dict:
    return json.loads((copy / ORIGIN_FILE).read_text(encoding="utf-8"))


def trainer_run(folder):
    """A model folder as `lookalike train --out` leaves it: the trainer's files in training/."""
    (folder / "training").mkdir()
    (folder / "training" / "manifest.json").write_text("{}", encoding="utf-8")
    (folder / "training" / "training.json").write_text('{"mode": "frozen"}', encoding="utf-8")
    (folder / "training" / "heads.pt").write_bytes(b"\0" * 1000)
    return folder


def test_an_import_records_the_folder_as_given_and_when_beside_an_unchanged_card(
        tmp_path, tiny_model_dir, monkeypatch):
    source = shutil.copytree(tiny_model_dir, tmp_path / "downloads" / "holiday")
    (tmp_path / "link").symlink_to(tmp_path / "downloads")
    monkeypatch.chdir(tmp_path)
    before = datetime.now(UTC).replace(microsecond=0)
    copy = import_model(os.path.join("link", "holiday"))  # relative, through a link
    after = datetime.now(UTC)
    record = record_of(copy)
    # Absolute, but as given: not resolved through the link.
    assert record["source"] == str(tmp_path / "link" / "holiday")
    assert record["trainer_run"] is False
    assert record["model_id"] == open_model_folder(source).card.model_id
    assert before <= datetime.fromisoformat(record["imported_at"]) <= after
    origin = model_registry.import_origin(copy)
    assert (origin.source, origin.trainer_run) == (record["source"], False)
    assert origin.model_id == record["model_id"]
    assert origin.imported_at == datetime.fromisoformat(record["imported_at"])
    # The card is the source's, byte for byte: same id, and the copy passes its checks.
    assert (copy / "model.json").read_bytes() == (source / "model.json").read_bytes()
    assert open_model_folder(copy).card == open_model_folder(source).card
    assert sorted(p.name for p in copy.iterdir()) == [ORIGIN_FILE, "model.json", "model.onnx"]
    assert not list(copy.glob(".*"))  # the atomic write's temporary file is gone


def test_a_trainer_run_folder_is_recorded_as_one_and_a_training_folder_of_other_files_is_not(
        tmp_path, tiny_model_dir):
    run = trainer_run(shutil.copytree(tiny_model_dir, tmp_path / "run"))
    copy = import_model(run)
    assert record_of(copy)["trainer_run"] is True
    assert model_registry.import_origin(copy).trainer_run is True
    assert not (copy / "training").exists()  # what the copy lacks: its record keeps it
    shutil.rmtree(copy)
    scripts = shutil.copytree(tiny_model_dir, tmp_path / "project")
    (scripts / "training").mkdir()  # a user's own training code beside a model
    (scripts / "training" / "train.py").write_text("print('hi')\n", encoding="utf-8")
    (scripts / "training" / "config.toml").write_text("[train]\n", encoding="utf-8")
    assert record_of(import_model(scripts))["trainer_run"] is False


def test_a_length_folder_of_a_run_of_several_lengths_is_recorded_as_a_trainer_run(
        tmp_path, tiny_model_dir):
    """`lookalike train` with several code lengths exports each into MODEL_DIR/<bits>bit/, its
    training files staying in MODEL_DIR/training: its closing words say to import one."""
    out = tmp_path / "holiday"
    folders = model_folders(out, [48, 32])  # the trainer's own layout and file names
    for folder in folders.values():
        shutil.copytree(tiny_model_dir, folder)
    (out / "training").mkdir()
    (out / "training" / MANIFEST).write_text("{}", encoding="utf-8")
    (out / "training" / TRAINING).write_text('{"mode": "frozen"}', encoding="utf-8")
    assert record_of(import_model(folders[32]))["trainer_run"] is True
    # A folder merely named like one, beside a training/ of other files, is not.
    other = shutil.copytree(tiny_model_dir, tmp_path / "project" / "48bit")
    (other.parent / "training").mkdir()
    (other.parent / "training" / "train.py").write_text("print('hi')\n", encoding="utf-8")
    assert not model_registry.is_trainer_run(other)


@pytest.mark.skipif(sys.platform in ("darwin", "win32"),
                    reason="the file system takes names that are UTF-8 only")
def test_a_source_folder_whose_name_is_not_utf8_is_recorded_byte_for_byte(tmp_path,
                                                                          tiny_model_dir):
    name = os.fsdecode(b"M\xe4use-model")  # a Latin-1 name from an old drive
    source = shutil.copytree(tiny_model_dir, tmp_path / name)
    copy = import_model(source)
    raw = (copy / ORIGIN_FILE).read_bytes()
    raw.decode("utf-8")  # the record itself is plain text
    assert os.fsencode(model_registry.import_origin(copy).source) == os.fsencode(str(source))
    assert os.fsencode(record_of(copy)["source"]).endswith(b"/M\xe4use-model")


def test_importing_the_same_model_again_keeps_the_first_record_unless_the_copy_is_replaced(
        tmp_path, tiny_model_dir):
    first = shutil.copytree(tiny_model_dir, tmp_path / "first")
    copy = import_model(first)
    earlier = datetime.now(UTC) - timedelta(days=400)
    record = {**record_of(copy), "imported_at": earlier.isoformat(timespec="seconds")}
    (copy / ORIGIN_FILE).write_text(json.dumps(record), encoding="utf-8")
    second = shutil.copytree(tiny_model_dir, tmp_path / "second")
    assert import_model(second) == copy
    assert record_of(copy) == record  # the same copy: made from the first folder, then
    assert import_model(copy) == copy and record_of(copy) == record  # the copy itself
    # A note of the card changed: the copy is replaced, and so is its record.
    card = json.loads((second / "model.json").read_text(encoding="utf-8"))
    (second / "model.json").write_text(json.dumps({**card, "description": "retouched"}),
                                       encoding="utf-8")
    assert import_model(second) == copy
    assert record_of(copy)["source"] == str(second)
    assert model_registry.import_origin(copy).imported_at > earlier + timedelta(days=399)


def test_a_damaged_copy_imported_again_gets_a_new_record(tmp_path, tiny_model_dir):
    first = shutil.copytree(tiny_model_dir, tmp_path / "first")
    copy = import_model(first)
    (copy / "model.onnx").write_bytes(b"\0" * 100)
    second = shutil.copytree(tiny_model_dir, tmp_path / "second")
    assert import_model(second) == copy
    assert record_of(copy)["source"] == str(second)


def test_an_imported_copy_imported_from_elsewhere_gets_its_own_record(tmp_path, tiny_model_dir):
    """A copy from another computer's models folder holds that import's record: the new copy
    says where it came from now."""
    elsewhere = shutil.copytree(import_model(tiny_model_dir), tmp_path / "usb" / "copy")
    shutil.rmtree(paths.models_dir())
    copy = import_model(elsewhere)
    assert record_of(copy)["source"] == str(elsewhere)


def test_a_record_that_cannot_be_written_leaves_no_half_made_copy(tmp_path, tiny_model_dir,
                                                                 monkeypatch):
    def disk_full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(model_registry, "write_text_atomic", disk_full)
    with pytest.raises(ModelError, match="the disk is full, so the model was not imported"):
        import_model(tiny_model_dir)
    assert [p.name for p in paths.models_dir().iterdir()] == []
