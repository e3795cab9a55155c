"""Albums -> manifest: labels, duplicates across albums, unreadable photos, bad albums."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from fast_settings import FAST
from photos import make_photo

from trainer.albums import AlbumError, Manifest, prepare, scan_albums
from trainer.cli import main


def test_scan_counts_labels_and_lists_unreadable(albums):
    (albums / "space" / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (albums / "space" / "notes.txt").write_text("not a photo")
    scan = scan_albums(albums)
    assert scan.labels == ["cats", "microscopy", "space"]
    assert scan.per_label() == {"cats": 3, "microscopy": 6, "space": 6}
    assert [u["path"] for u in scan.unreadable] == [str(albums / "space" / "broken.jpg")]
    assert "broken.jpg" in scan.unreadable[0]["message"]


def test_unreadable_photos_are_said_to_be_skipped_with_what_to_do(albums):
    """The reader's own remedy ("If it is still being copied it will be retried") is the app's
    indexing; the trainer skips such a photo until it is fixed or removed."""
    whole = (albums / "cats" / "chelsea-0.jpg").read_bytes()
    (albums / "cats" / "cut.jpg").write_bytes(whole[:len(whole) // 2])
    (albums / "space" / "empty.jpg").write_bytes(b"")
    scan = scan_albums(albums)
    messages = {os.path.basename(u["path"]): u["message"] for u in scan.unreadable}
    assert sorted(messages) == ["cut.jpg", "empty.jpg"]
    assert messages["empty.jpg"] == (f"{albums / 'space' / 'empty.jpg'}: the file is empty (0 "
                                     "bytes); this photo is skipped. Fix or remove the file, "
                                     "then run the trainer again.")
    assert "truncated" in messages["cut.jpg"] and "retried" not in messages["cut.jpg"]
    assert messages["cut.jpg"].endswith("; this photo is skipped. Fix or remove the file, then "
                                        "run the trainer again.")


def test_photo_in_two_albums_gets_two_labels(albums):
    data = (albums / "cats" / "chelsea-0.jpg").read_bytes()
    (albums / "space" / "also-a-cat.jpg").write_bytes(data)
    m = prepare(albums)
    multi = [p for p in m.photos if len(p.labels) > 1]
    assert len(multi) == 1
    assert sorted(m.labels[i] for i in multi[0].labels) == ["cats", "space"]
    assert len(m.photos) == 15  # the copy is one photo, not two
    assert m.multi_hot().sum() == 16


def test_split_is_seeded_and_complete(albums, tmp_path):
    a, b = prepare(albums, seed=3), prepare(albums, seed=3)
    assert [p.split for p in a.photos] == [p.split for p in b.photos]
    assert a.fingerprint == b.fingerprint
    counts = a.counts()
    assert counts["train"] >= 3 and counts["val"] >= 3 and counts["query"] >= 3
    assert sum(counts.values()) == len(a.photos)
    # every label keeps training photos
    for label in range(len(a.labels)):
        assert any(label in p.labels for p in a.photos if p.split == "train")
    a.save(tmp_path / "m.json")
    loaded = Manifest.load(tmp_path / "m.json")
    assert loaded.fingerprint == a.fingerprint and loaded.counts() == counts


def test_fingerprint_changes_with_content(albums):
    before = prepare(albums).fingerprint
    make_photo(albums / "cats" / "new.jpg", "coffee")
    assert prepare(albums).fingerprint != before


@pytest.mark.parametrize("case,expected", [
    ("missing", "does not exist"),
    ("no_subfolders", "no sub-folders"),
    ("empty_albums", "no readable photos"),
    ("single_label", "only one album"),
    ("all_unreadable", "2 files could not be read"),
])
def test_bad_albums_give_one_clear_message(tmp_path, case, expected):
    root = tmp_path / "albums"
    if case != "missing":
        root.mkdir()
    if case == "no_subfolders":
        make_photo(root / "loose.jpg")
    if case == "empty_albums":
        (root / "a").mkdir()
        (root / "b").mkdir()
    if case == "single_label":
        for k in range(4):
            make_photo(root / "only" / f"{k}.jpg", size=(60 + k, 60))
        (root / "empty").mkdir()
    if case == "all_unreadable":
        (root / "a").mkdir()
        (root / "b").mkdir()
        (root / "a" / "x.jpg").write_bytes(b"junk")
        (root / "b" / "y.png").write_bytes(b"")
    with pytest.raises(AlbumError) as info:
        prepare(root)
    message = str(info.value)
    assert expected in message and str(root) in message


def test_cli_reports_bad_albums_as_json_error_with_exit_2(tmp_path, capsys):
    (tmp_path / "albums" / "a").mkdir(parents=True)
    code = main(["run", str(tmp_path / "albums"), "--out", str(tmp_path / "model"), "--progress",
                 "json"])
    assert code == 2
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[-1]["event"] == "error" and "no readable photos" in events[-1]["message"]
    assert not (tmp_path / "model" / "model.onnx").exists()


def test_inspect_json_without_torch(albums):
    (albums / "space" / "broken.jpg").write_bytes(b"junk")
    code = ("import sys, json; from trainer.cli import main; rc = main(['inspect', sys.argv[1], "
            "'--json']); assert 'torch' not in sys.modules, 'torch was imported'; sys.exit(rc)")
    out = subprocess.run([sys.executable, "-c", code, str(albums)], capture_output=True,
                         check=False, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["photos"] == 15 and report["labels"] == 3
    assert report["per_label"]["space"] == 6
    assert report["unreadable"][0]["path"].endswith("broken.jpg")


def test_album_and_photo_names_that_are_not_utf8_train(albums, tmp_path, capsys):
    # Names from an old zip or a Latin-1 share: bytes that are not UTF-8 (surrogates in Python).
    latin1 = albums / os.fsdecode(b"m\xe4use")
    try:
        (albums / "cats").rename(latin1)
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    first = min(latin1.iterdir())
    first.rename(latin1 / os.fsdecode(b"k\xf6pfchen.jpg"))
    assert main(["run", str(albums), "--out", str(tmp_path / "m"), "--bits", "12",
                 "--progress", "none", *FAST]) == 0


def test_run_says_which_album_is_left_out_for_having_no_readable_photo(albums, tmp_path,
                                                                       caplog):
    (albums / "drafts").mkdir()
    (albums / "drafts" / "x.jpg").write_bytes(b"")
    assert main(["run", str(albums), "--out", str(tmp_path / "m"), "--bits", "12",
                 "--progress", "none", *FAST]) == 0
    assert f"skipped album (no readable photos, so it is not a label): {albums / 'drafts'}" \
        in caplog.text


def test_photos_lying_loose_in_the_albums_folder_are_named_as_ignored(albums, tmp_path,
                                                                      capsys, caplog):
    make_photo(albums / "loose-1.jpg", "coffee", size=(80, 80))
    make_photo(albums / "loose-2.jpg", "coffee", size=(90, 80))
    (albums / "notes.txt").write_text("not a photo")
    warning = (f"2 photos lying directly in {albums} were ignored: labels come from "
               "sub-folders, so move each into the sub-folder of its label")
    assert main(["inspect", str(albums)]) == 0
    assert warning in capsys.readouterr().out.splitlines()
    assert main(["inspect", str(albums), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["loose_photos"] == 2 and report["photos"] == 15
    assert main(["prepare", str(albums), "--out", str(tmp_path / "run"),
                 "--progress", "none"]) == 0  # what `run` does first
    assert warning in caplog.text


def test_photos_that_are_copies_in_several_albums_are_said_to_count_once(tmp_path, capsys):
    """Albums a/ and c/ holding the same 3 files: the log said "6 photos, 2 labels", then "only
    3 readable photos" without the cause, and `inspect` showed a 3, c 3 without a word."""
    root = tmp_path / "albums"
    for k, name in enumerate(("chelsea", "coffee", "rocket")):
        make_photo(root / "a" / f"{name}.jpg", name, size=(80 + 8 * k, 80))
        (root / "c").mkdir(exist_ok=True)
        (root / "c" / f"{name}.jpg").write_bytes((root / "a" / f"{name}.jpg").read_bytes())
    note = "3 photos are copies found in several albums (each counts once, with several labels)"
    assert main(["prepare", str(root), "--out", str(tmp_path / "run"), "--progress",
                 "json"]) == 2
    message = json.loads(capsys.readouterr().out.splitlines()[-1])["message"]
    assert f"only 3 readable photos, as {note}; training needs at least 6" in message
    assert main(["inspect", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "3 photos in 2 albums" and note in lines
    assert main(["inspect", str(root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["copies"] == 3 and report["multi_label_photos"] == 3
    # A copy within one album adds no label: it is named apart.
    (root / "a" / "chelsea-again.jpg").write_bytes((root / "a" / "chelsea.jpg").read_bytes())
    scan = scan_albums(root)
    assert scan.copies == 4 and scan.copies_note() == (
        f"{note}; 1 file is a copy of another photo in the same album (counted once)")


def test_copies_in_several_albums_are_named_in_the_log_of_a_prepare_that_trains(albums, tmp_path,
                                                                              capsys):
    (albums / "space" / "also-a-cat.jpg").write_bytes((albums / "cats" / "chelsea-0.jpg")
                                                      .read_bytes())
    assert main(["prepare", str(albums), "--out", str(tmp_path / "run"), "--progress",
                 "none"]) == 0
    err = capsys.readouterr().err
    assert ("15 photos to train on: 1 photo is a copy found in several albums (each counts once, "
            "with several labels)") in err
    assert "15 photos, 3 labels, split" in err


def test_an_albums_folder_whose_own_name_is_not_utf8_trains_to_a_model_the_app_loads(
        tmp_path, albums_at):
    """The model's default name comes from the albums folder's name: "Ferien M\\udce4use" (a
    Latin-1 name) held a lone surrogate, which the app's card check refuses, so the export's
    own final load failed at the end of the whole run. The card's other text from folder names
    (the description and the training section's album names) is written as text too."""
    from desktop_app.core.model_card import read_card

    try:
        root = albums_at(tmp_path / os.fsdecode(b"Ferien M\xe4use"), per_photo=2)
        (root / "cats").rename(root / os.fsdecode(b"K\xe4tzchen"))
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    out = tmp_path / "m"
    assert main(["run", str(root), "--out", str(out), "--bits", "12", "--progress", "none",
                 *FAST]) == 0
    card = read_card(out)
    assert card.name == "Ferien M\\xe4use-12bit"
    assert "K\\xe4tzchen" in card.description and "K\\xe4tzchen" in card.training["labels"]
    assert "\\ud" not in (out / "model.json").read_text(encoding="utf-8")  # no escaped surrogate
