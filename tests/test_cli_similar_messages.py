"""`lookalike similar` on photos from outside the library that cannot be read: each says the
file, the cause and what to do about it, in one line, with advice that holds for a search."""

from __future__ import annotations

import json

import pytest
from cli_run import run

from desktop_app import cli


@pytest.fixture
def cannot_be_read(tmp_path, photo_factory, tiny_model_dir, capsys):
    """A small indexed library, and photos outside it that cannot be read (with the words each
    error must hold)."""
    photo_factory("album/chelsea.jpg", "chelsea")
    photo_factory("album/coffee.jpg", "coffee")
    assert run(capsys, "--model", tiny_model_dir, "index", tmp_path / "album")[0] == cli.EXIT_OK
    outside = tmp_path / "downloads"
    outside.mkdir()
    whole = photo_factory("downloads/whole.jpg", "rocket").read_bytes()
    (outside / "empty.jpg").write_bytes(b"")
    (outside / "half.jpg").write_bytes(whole[: len(whole) // 2])
    (outside / "header.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a real jpeg")
    return {outside / "empty.jpg": "the file is empty (0 bytes)",
            outside / "half.jpg": "damaged or truncated",
            outside / "header.jpg": "damaged"}


def test_a_photo_that_cannot_be_read_is_not_promised_a_retry(capsys, tiny_model_dir,
                                                            cannot_be_read):
    """`similar` said "it will be retried when it changes" (the indexer's words): nothing
    retries a photo given to `similar`."""
    code, out, err = run(capsys, "--model", tiny_model_dir, "similar", *cannot_be_read)
    assert code == cli.EXIT_USAGE
    assert "Traceback" not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == len(cannot_be_read)
    for line, (path, cause) in zip(lines, cannot_be_read.items(), strict=True):
        assert line.startswith(f"  ! {path}: ") and cause in line, line
        assert "retried" not in line and "rescan" not in line, line
        assert "run the command again once the copy is complete" in line, line
        assert "give another photo" in line, line
    code, out, _ = run(capsys, "--model", tiny_model_dir, "similar", "--json",
                       *cannot_be_read)
    for entry in json.loads(out)["results"]:
        assert "retried" not in entry["error"] and "give another photo" in entry["error"]


def test_no_match_within_max_distance_names_the_distance(capsys, tmp_path, photo_factory,
                                                         tiny_model_dir):
    """It said "no matches within that distance": the line names it, as `duplicates` does."""
    photo_factory("album/chelsea.jpg", "chelsea")
    run(capsys, "--model", tiny_model_dir, "index", tmp_path / "album")
    lonely = photo_factory("elsewhere/coffee.jpg", "coffee")
    code, out, _ = run(capsys, "--model", tiny_model_dir, "similar", lonely, "--max-distance", "0")
    assert code == cli.EXIT_OK
    assert out == f"{lonely}  (not in the library)\n  no matches within 0 bits\n"
