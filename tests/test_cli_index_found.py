"""`lookalike index` says how many photos a folder's walk has found: on a huge folder (a home
folder, a NAS share) the walk takes minutes and its progress showed nothing until the first
photo was read. The real command line, a real SQLite library, the tiny real model, real photos."""

from __future__ import annotations

import io
import time

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


def test_the_count_drawn_catches_up_while_the_walk_goes_on_finding_nothing(tmp_path):
    """Photos found in a burst (faster than the bar redraws), then a long stretch of folders
    without photos: the line said "looking for photos..." with no number (or a count long
    passed) until the walk ended. The real scan_folder on real files; the stretch is slowed by
    its should_stop (a slow drive), so the test does not depend on how fast the disk is."""
    from desktop_app.core.scan import scan_folder

    folder = tmp_path / "home"
    folder.mkdir()
    for i in range(45):  # in the folder itself: all found before its subfolders are walked
        (folder / f"p{i:03d}.jpg").write_bytes(b"not read: only counted")
    for d in range(12):
        (folder / f"d{d:02d}").mkdir()
        (folder / f"d{d:02d}" / "notes.txt").write_text("not a photo")
    stream = Terminal()
    bar = ProgressBar("Indexing home", True, stream)

    def slow() -> bool:
        if "45 found" not in stream.getvalue():
            time.sleep(0.03)  # 12 folders: well over a redraw's interval in all
        return False

    scan = scan_folder(folder, should_stop=slow, looking=bar.looking)
    assert len(scan.files) == 45
    assert "\rIndexing home: looking for photos... 45 found\x1b[K" in stream.getvalue()


def test_a_count_told_again_is_written_once(monkeypatch):
    """scan_folder tells the count at every folder, also when it has not changed: a log got
    the same line every few seconds, a terminal the same line redrawn at every folder."""
    from desktop_app import cli_progress

    monkeypatch.setattr(cli_progress, "LINE_S", 0.0)  # as if seconds passed between them
    monkeypatch.setattr(cli_progress, "REDRAW_S", 0.0)
    for stream in (io.StringIO(), Terminal()):  # a pipe or log file; a terminal
        bar = ProgressBar("Indexing home", True, stream)
        for found in (0, 0, 0, 3, 3, 3):
            bar.looking(found)
        bar(0, 0)
        said = stream.getvalue().replace("\x1b[K", "").replace("\r", "\n").split("\n")
        assert [line for line in said if line] == [
            "Indexing home: looking for photos...", "Indexing home: looking for photos... 3 found",
            "Indexing home: 3 photos found",
            "Indexing home [########################] 0/0 100%   0.0 photos/s ETA 0:00"]
