"""The Model tab's card says where an imported model came from and when, as its import recorded
it; a copy imported by an earlier version (no record), or whose record was damaged or edited,
keeps the plain "Imported" line. "You trained it" is said only of a run folder of Lookalike's
trainer, not of a copy of one nor of a folder with a training/ folder of other files."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from datetime import datetime

import pytest
from PySide6.QtGui import QTextDocument
from tiny_model import make_tiny_model

from desktop_app import paths
from desktop_app.core.model_card import read_card
from desktop_app.core.model_registry import import_model
from desktop_app.ui.model_card_html import card_html

ORIGIN_FILE = "imported-from.json"  # the import's record, beside model.json in the copy
TRAINED = re.compile(r"You trained it with Lookalike's trainer on \d{4}-\d\d-\d\d")


def card_text(folder) -> str:
    """The card as the Model tab shows it: its HTML laid out by Qt, as plain text."""
    document = QTextDocument()
    document.setHtml(card_html(read_card(folder), str(folder)))
    return document.toPlainText()


def trainer_run(folder):
    """A model folder as `lookalike train --out` leaves it: the trainer's files in training/."""
    (folder / "training").mkdir()
    (folder / "training" / "manifest.json").write_text("{}", encoding="utf-8")
    (folder / "training" / "training.json").write_text('{"mode": "frozen"}', encoding="utf-8")
    return folder


def local_date(copy) -> str:
    when = json.loads((copy / ORIGIN_FILE).read_text(encoding="utf-8"))["imported_at"]
    return datetime.fromisoformat(when).astimezone().strftime("%Y-%m-%d")


def test_an_imported_model_says_when_and_from_where(qapp, tmp_path, tiny_model_dir):
    source = shutil.copytree(tiny_model_dir, tmp_path / "from a colleague")
    today = datetime.now().strftime("%Y-%m-%d")
    copy = import_model(source)
    assert local_date(copy) in (today, datetime.now().strftime("%Y-%m-%d"))
    text = card_text(copy)
    assert (f"Imported on {local_date(copy)} from {source}: Lookalike keeps its copy in "
            f"{copy}.") in text, text
    assert "You trained it" not in text and "trainer" not in text


def test_an_imported_run_of_the_trainer_says_so_but_not_that_you_trained_it(
        qapp, tmp_path, tiny_model_dir):
    run = trainer_run(shutil.copytree(tiny_model_dir, tmp_path / "holiday-run"))
    assert TRAINED.search(card_text(run))  # the run folder itself: trained here
    copy = import_model(run)
    text = card_text(copy)
    assert (f"Imported on {local_date(copy)} from {run} (trained with Lookalike's trainer): "
            f"Lookalike keeps its copy in {copy}.") in text, text
    assert "You trained it" not in text


def test_a_model_of_a_run_of_several_lengths_says_you_trained_it_and_where_its_files_are(
        qapp, tmp_path, tiny_model_dir):
    """Several code lengths: each model in MODEL_DIR/<bits>bit/, the run's files in
    MODEL_DIR/training (trainer/outdir.py: model_folders)."""
    out = tmp_path / "holiday"
    length_folder = shutil.copytree(tiny_model_dir, out / "32bit")
    trainer_run(out)
    text = card_text(length_folder)
    assert TRAINED.search(text), text
    assert f"it is in {length_folder}, its training files in {out / 'training'}." in text
    copy = import_model(length_folder)
    assert (f"from {length_folder} (trained with Lookalike's trainer): Lookalike keeps its "
            f"copy in {copy}.") in card_text(copy)


def test_a_model_exported_over_an_imported_copy_is_not_said_imported_from_there(
        qapp, tmp_path, tiny_model_dir):
    """`lookalike train export RUN --out COPY` writes another model (a card of the trainer's,
    so the export allows it) into the copy, beside the earlier import's record."""
    source = shutil.copytree(tiny_model_dir, tmp_path / "from a colleague")
    copy = import_model(source)
    assert f"from {source}: Lookalike keeps its copy" in card_text(copy)
    make_tiny_model(copy, bits=32, seed=7, name="beach")  # exported over it
    text = card_text(copy)
    assert f"Imported: Lookalike keeps its copy in {copy}." in text, text
    assert str(source) not in text


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="time zones set by TZ: POSIX only")
@pytest.mark.parametrize(("zone", "utc", "day"), [
    ("UTC-14", "2026-12-02T20:00:00+00:00", "2026-12-03"),  # POSIX's sign: 14 h east of UTC
    ("UTC+12", "2026-12-02T06:00:00+00:00", "2026-12-01"),
])
def test_the_day_of_the_import_is_said_in_local_time(qapp, tiny_model_dir, zone, utc, day):
    """The record keeps the time in UTC; the card says the day where the user is."""
    copy = import_model(tiny_model_dir)
    (copy / ORIGIN_FILE).write_text(json.dumps({
        "version": 1, "source": "/media/usb/model", "trainer_run": False,
        "imported_at": utc}), encoding="utf-8")
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        text = card_text(copy)
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()
    assert f"Imported on {day} from /media/usb/model: Lookalike keeps its copy" in text, text


@pytest.mark.parametrize("record", [
    None,  # imported by an earlier version
    b"{not json",
    b"[1, 2]",
    b'{"source": "/photos/model", "trainer_run": false}',
    b'{"source": "relative/model", "trainer_run": false, "imported_at": "2026-12-02T10:00:00Z"}',
    b'{"source": 7, "trainer_run": false, "imported_at": "2026-12-02T10:00:00Z"}',
    b'{"source": "/m", "trainer_run": "yes", "imported_at": "2026-12-02T10:00:00Z"}',
    b'{"source": "/m", "trainer_run": false, "imported_at": "yesterday"}',
    (b'{"source": "/m", "trainer_run": false, "imported_at": "2026-12-02T10:00:00Z", '
     b'"model_id": 7}'),
    b'{"source": "/m", "trainer_run": false, "imported_at": "2026-12-02T10:00:00"}',
    b'{"source": "/m", "trainer_run": false, "imported_at": "9999-12-31T23:59:59-14:00"}',
    b'{"source": "/m", "trainer_run": false, "imported_at": "0001-01-01T00:00:00+14:00"}',
    b'{"source": "/m\xe4", "trainer_run": false, "imported_at": "2026-12-02T10:00:00Z"}',
    b"[" * 30_000 + b"]" * 30_000,  # nested too deep for json.loads
    b'{"source": "/' + b"m" * 100_000 + b'", "trainer_run": false, '
    b'"imported_at": "2026-12-02T10:00:00Z"}',
    "folder",
])
def test_a_copy_without_a_readable_record_keeps_the_plain_imported_line(
        qapp, tiny_model_dir, record):
    copy = import_model(tiny_model_dir)
    (copy / ORIGIN_FILE).unlink()
    if record == "folder":
        (copy / ORIGIN_FILE).mkdir()
    elif record is not None:
        (copy / ORIGIN_FILE).write_bytes(record)
    text = card_text(copy)
    assert f"Imported: Lookalike keeps its copy in {copy}." in text, text
    assert "Imported on" not in text


def test_a_hand_edited_record_that_still_reads_is_said_as_it_stands(qapp, tiny_model_dir):
    copy = import_model(tiny_model_dir)
    (copy / ORIGIN_FILE).write_text(json.dumps({
        "source": "/media/old drive/model", "trainer_run": True,
        "imported_at": "2026-03-04T12:00:00+00:00", "note": "added by hand"}), encoding="utf-8")
    assert re.search(r"Imported on 2026-03-0[45] from /media/old drive/model \(trained with "
                     r"Lookalike's trainer\)", card_text(copy))


@pytest.mark.skipif(sys.platform in ("darwin", "win32"),
                    reason="the file system takes names that are UTF-8 only")
def test_a_source_folder_whose_name_is_not_utf8_is_shown_escaped(qapp, tmp_path, tiny_model_dir):
    source = shutil.copytree(tiny_model_dir, tmp_path / os.fsdecode(b"M\xe4use"))
    text = card_text(import_model(source))
    assert f"from {tmp_path}{os.sep}M\\xe4use: Lookalike keeps its copy in" in text, text


def test_a_training_folder_of_other_files_is_no_trainer_run(qapp, tmp_path, tiny_model_dir):
    """A user's model folder with their own training/ (scripts, notes), used from where it is,
    and one put into the models folder by hand: neither was trained by Lookalike here."""
    for folder in (tmp_path / "project", paths.models_dir() / "project"):
        shutil.copytree(tiny_model_dir, folder)
        (folder / "training").mkdir()
        (folder / "training" / "train.py").write_text("print('hi')\n", encoding="utf-8")
        text = card_text(folder)
        assert "You trained it" not in text, text
    assert f"Used from its own folder, {tmp_path / 'project'}" in card_text(tmp_path / "project")
    assert (f"Imported: Lookalike keeps its copy in {paths.models_dir() / 'project'}"
            in card_text(paths.models_dir() / "project"))
