"""Preparing the albums says what their split means: an album of 1 or 2 photos has none kept
for the test, and one album far larger than another weighs on what is learnt."""

from __future__ import annotations

from photos import make_photo

from trainer.cli import main


def prepare(albums, tmp_path) -> int:
    return main(["prepare", str(albums), "--out", str(tmp_path / "run"), "--progress", "none"])


def test_albums_too_small_to_be_tested_are_named(albums, tmp_path, caplog):
    make_photo(albums / "solo" / "one.jpg", "coffee", size=(90, 90))
    for k in range(2):
        make_photo(albums / "duo" / f"{k}.jpg", "cat", size=(90 + 8 * k, 90))
    assert prepare(albums, tmp_path) == 0
    assert ("no photo of 'duo' (2 photos), 'solo' (1 photo) is kept out of training for the "
            "test, so the search quality said at the end does not cover them: an album needs "
            "3 photos or more") in caplog.text
    assert "'cats'" not in caplog.text  # 3 photos: one is tested


def test_an_album_ten_times_larger_than_another_is_said_to_weigh(albums, tmp_path, caplog):
    for k in range(24):
        make_photo(albums / "space" / f"more-{k}.jpg", "astronaut", size=(70 + 4 * k, 90))
    assert prepare(albums, tmp_path) == 0
    assert ("album 'space' has 30 photos and 'cats' only 3: training sees 10 times more of "
            "'space', so it learns less of what sets 'cats' apart") in caplog.text
