"""What `trainer estimate` counts: the photos a prepare of these albums found readable when one
is known (the run folder's manifest, the albums unchanged since), else the photo files found,
said to be so; and features the computer's cache holds, whichever run folder extracted them
(a new run folder reuses them: the cache is keyed by the photos, not by the folder)."""

from __future__ import annotations

import json

import pytest
from fast_settings import FAST
from photos import make_camera_raw, make_photo

from trainer.cli import build_parser, main
from trainer.estimate import estimate_words


def estimate(capsys, *args: str) -> dict:
    assert main(["estimate", *args, "--bits", "12", "--progress", "json", *FAST]) == 0
    sent = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    (found,) = [e for e in sent if e["event"] == "estimate"]
    return found


def break_two(albums) -> None:
    for k, album in enumerate(sorted(albums.iterdir())[:2]):
        (album / f"broken-{k}.jpg").write_bytes(b"not a photo")


def test_a_first_estimate_counts_the_files_and_says_so(albums, capsys):
    break_two(albums)
    found = estimate(capsys, str(albums))
    assert (found["photos"], found["files"], found["photos_read"]) == (17, 17, False)
    assert "17 photo files, not read yet: any that cannot be read or are copies are counted" \
        in estimate_words(found)


def test_albums_prepared_before_count_only_their_readable_photos(albums, tmp_path, capsys):
    break_two(albums)
    out = tmp_path / "model"
    assert main(["prepare", str(albums), "--out", str(out / "training"), *FAST]) == 0
    capsys.readouterr()
    found = estimate(capsys, str(albums), "--out", str(out))
    assert found["resumes"] is False  # prepared, never trained: its photos are read again
    assert (found["photos"], found["files"], found["photos_read"]) == (15, 17, True)
    assert "(frozen backbone, 15 photos)" in estimate_words(found)
    # Changed since: what that prepare found no longer says what a run would find.
    (albums / "cats" / "new.jpg").write_bytes((albums / "cats" / "chelsea-0.jpg").read_bytes())
    found = estimate(capsys, str(albums), "--out", str(out))
    assert (found["photos"], found["photos_read"]) == (18, False)


def test_a_new_run_folder_has_the_features_another_one_extracted(albums, tmp_path, capsys,
                                                                monkeypatch):
    monkeypatch.setenv("LOOKALIKE_HOME", str(tmp_path / "home"))  # the feature cache's home
    assert main(["run", str(albums), "--out", str(tmp_path / "first"), "--bits", "12",
                 "--progress", "none", *FAST]) == 0
    capsys.readouterr()
    for out in ([], ["--out", str(tmp_path / "second")]):  # no run folder, a new one
        found = estimate(capsys, str(albums), *out)
        assert found["resumes"] is False  # its photos are read again, their features are not
        assert found["cached_photos"] == found["photos"] == 15


def test_a_link_in_a_loop_is_counted_not_a_crash(albums, capsys):
    # resolve() raises on it (RuntimeError before Python 3.13); inspect and prepare say it is
    # unreadable, and the estimate counted it until looking for cached features crashed on it.
    (albums / "cats" / "loop.jpg").symlink_to("loop.jpg")
    found = estimate(capsys, str(albums))
    assert (found["photos"], found["files"], found["photos_read"]) == (16, 16, False)
    assert found["cached_photos"] == 0


def test_the_help_says_cached_features_count_only_with_a_frozen_backbone(capsys):
    # Fine-tuning (--mode finetune, or auto on CUDA) extracts every feature again with the tuned
    # backbone, and the estimate counts them all: --help said the cached ones counted as done.
    with pytest.raises(SystemExit):
        build_parser().parse_args(["estimate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert ("With a frozen backbone, features this computer's cache holds count as done, "
            "whichever run extracted them (fine-tuning extracts every one again)") in text


def test_raw_jpeg_pairs_are_counted_once_before_they_are_read(tmp_path, capsys, monkeypatch):
    """A prepare keeps one photo of a camera's RAW+JPEG pair (the JPEG): counted as two, the
    features were estimated for twice the photos, and the ones the cache holds were not found
    (its key lists the JPEGs alone)."""
    monkeypatch.setenv("LOOKALIKE_HOME", str(tmp_path / "home"))
    albums = tmp_path / "albums"
    for label, name in (("cats", "chelsea"), ("cups", "coffee")):
        for k in range(6):
            size = (96 + 8 * k, 80 + 4 * k)
            make_photo(albums / label / f"IMG_{k}.JPG", name, size=size)
            make_camera_raw(albums / label / f"IMG_{k}.CR2", name, size=size, preview_side=160)
    found = estimate(capsys, str(albums))
    assert (found["photos"], found["files"], found["photos_read"]) == (12, 24, False)
    assert "12 photo files (RAW+JPEG pairs counted once), not read yet" in estimate_words(found)
    assert main(["run", str(albums), "--out", str(tmp_path / "first"), "--bits", "12",
                 "--progress", "none", *FAST]) == 0
    capsys.readouterr()
    found = estimate(capsys, str(albums), "--out", str(tmp_path / "second"))
    assert found["cached_photos"] == found["photos"] == 12
