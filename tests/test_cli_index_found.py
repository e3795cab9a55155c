"""`lookalike index` says how many photos a folder's walk has found: on a huge folder (a home
folder, a NAS share) the walk takes minutes and its progress showed nothing until the first
photo was read. The real command line, a real SQLite library, the tiny real model, real photos."""

from __future__ import annotations

import io

from cli_run import run

from desktop_app import cli
from desktop_app.cli_progress import ProgressBar


def test_index_progress_says_how_many_photos_the_walk_found(capsys, tmp_path, photo_factory,
                                                            tiny_model_dir):
    for i, name in enumerate(("chelsea", "coffee", "rocket")):
        photo_factory(f"album/{name}.jpg", name)
        photo_factory(f"album/sub/{name}-{i}.png", name)
    (tmp_path / "album" / "notes.txt").write_text("not a photo")
    code, _, err = run(capsys, "--progress", "--model", tiny_model_dir, "index",
                       tmp_path / "album")
    assert code == cli.EXIT_OK, err
    lines = err.splitlines()
    assert "Indexing album: looking for photos..." in lines  # as the walk starts
    found = lines.index("Indexing album: 6 photos found")  # once it is done...
    assert lines[found + 1].startswith("Indexing album [")  # ...then the photos read
    assert lines[-1].startswith("Indexing album [") and " 6/6 " in lines[-1]


def test_index_without_progress_says_nothing_of_the_walk(capsys, tmp_path, photo_factory,
                                                         tiny_model_dir):
    photo_factory("album/chelsea.jpg", "chelsea")
    code, _, err = run(capsys, "--no-progress", "--model", tiny_model_dir, "index",
                       tmp_path / "album")
    assert code == cli.EXIT_OK, err
    assert "found" not in err and "looking" not in err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_count_is_redrawn_in_place_and_kept_on_its_own_line():
    stream = Terminal()
    bar = ProgressBar("Indexing home", True, stream)
    bar.looking(0)
    bar.looking(12345)  # may be too soon to draw: the whole count is said all the same
    bar(0, 2)
    bar(2, 2)
    bar.close()
    text = stream.getvalue()
    assert text.startswith("\rIndexing home: looking for photos...\x1b[K")
    assert "\rIndexing home: 12,345 photos found\x1b[K\n\rIndexing home [" in text
    assert text.endswith("\n") and " 2/2 " in text
