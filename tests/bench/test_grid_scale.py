"""bench/grid_scale.py's modes that feed the real grid through the window's RowFeeder, run
with tiny libraries: each writes its results table next to --out."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import grid_scale


def table_rows(text: str) -> list[list[str]]:
    return [line.strip("| ").split(" | ") for line in text.splitlines()
            if line.startswith("| ") and line[2].isdigit()]


def run_bench(monkeypatch, tmp_path: Path, *args: str) -> None:
    monkeypatch.setattr(sys, "argv", ["bench/grid_scale.py", *args,
                                      "--out", str(tmp_path / "grid-scale.md")])
    grid_scale.main()


def test_raw_pairs_times_each_change_on_a_library_of_pairs_and_on_one_of_jpegs(
        qapp, tmp_path, monkeypatch):
    run_bench(monkeypatch, tmp_path, "--raw-pairs", "--sizes", "3000", "--repeats", "1")
    text = (tmp_path / "grid-raw-pairs.md").read_text()
    assert "--raw-pairs --sizes 3000 --repeats 1" in text
    assert "load average at start" in text and "load average at the end" in text
    assert "may_hold_raws over 3,000 JPEG paths" in text
    rows = table_rows(text)
    # files, change, library or what comes, tiles after: 1,500 pictures of 3,000 files; the
    # raw indexed with its JPEG behind that JPEG's tile; every tile gone.
    assert [row[:4] for row in rows] == [
        ["3,000", "first load (every file at once into the empty grid)", "JPEGs only",
         "3,000"],
        ["3,000", "first load (every file at once into the empty grid)", "RAW+JPEG pairs",
         "1,500"],
        ["3,000", "a picture indexed into a library of JPEGs", "its JPEG alone", "3,001"],
        ["3,000", "a picture indexed into a library of JPEGs", "the first raw, with its JPEG",
         "3,001"],
        ["3,000", "every file removed at once (their folder dropped)", "JPEGs only", "0"],
        ["3,000", "every file removed at once (their folder dropped)", "RAW+JPEG pairs", "0"],
    ]
    for row in rows:
        total, busy_turns, longest = float(row[4]), int(row[5]), float(row[6])
        low, high = map(float, row[7].split("-"))
        assert busy_turns >= 1 and 0 <= longest <= total + 1 and low == high == longest


def test_first_load_times_one_slice_a_turn_and_the_feeders_budget(qapp, tmp_path,
                                                                 monkeypatch):
    run_bench(monkeypatch, tmp_path, "--first-load", "--sizes", "3000", "--repeats", "1")
    rows = table_rows((tmp_path / "grid-first-load.md").read_text())
    assert [row[:2] for row in rows] == [["3,000", "one slice a turn"],
                                         ["3,000", "slices for up to 25 ms a turn"]]
    # Two slices of 2,000 photos: at least two busy turns one slice a turn.
    assert int(rows[0][3]) >= 2


def test_typing_times_each_key_of_names_typed_in_a_library_of_jpegs_and_one_of_pairs(
        qapp, tmp_path, monkeypatch):
    run_bench(monkeypatch, tmp_path, "--typing", "--sizes", "3000", "--repeats", "1")
    text = (tmp_path / "grid-typing.md").read_text()
    assert "--typing --sizes 3000 --repeats 1" in text
    assert "load average at start" in text and "load average at the end" in text
    rows = table_rows(text)
    # Each name typed found its photo (the bench checks, and raises if not): 3,000 JPEGs,
    # then 1,500 pictures shot RAW+JPEG, the raw's name found on its JPEG's tile.
    assert [row[:4] for row in rows] == [
        ["3,000", "JPEGs only", ("a name after the current photo: img_0002250 "
                                  "(the first key after the load)"), "11"],
        ["3,000", "JPEGs only", "a name before it, with its dot (wraps): IMG_0000750.JPG", "15"],
        ["3,000", "JPEGs only", "a raw's name: IMG_0000375.CR2", "15"],
        ["3,000", "JPEGs only", "img_0002250 again, after a photo near the top was removed",
         "11"],
        ["3,000", "RAW+JPEG pairs", ("a name after the current photo: img_0001125 "
                                  "(the first key after the load)"), "11"],
        ["3,000", "RAW+JPEG pairs", "a name before it, with its dot (wraps): IMG_0000375.JPG",
         "15"],
        ["3,000", "RAW+JPEG pairs", "a raw's name: IMG_0000187.CR2", "15"],
        ["3,000", "RAW+JPEG pairs", "img_0001125 again, after a photo near the top was removed",
         "11"],
    ]
    for row in rows:
        first, longest, median, total = map(float, row[4:8])
        assert 0 <= median <= longest <= total + 1 and first <= longest


def test_typed_has_a_name_typed_before_the_changes_timed(qapp, tmp_path, monkeypatch):
    typed = []
    monkeypatch.setattr(grid_scale, "type_name",
                        lambda app, grid, name: typed.append(name) or [0.0])
    run_bench(monkeypatch, tmp_path, "--typed", "--sizes", "3000", "--repeats", "1")
    rows = table_rows((tmp_path / "grid-scale.md").read_text())
    assert [row[:2] for row in rows] == [["3,000", "remove 1 early row"],
                                         ["3,000", "remove 100 scattered rows"],
                                         ["3,000", "add 1 row"]]
    assert typed == ["photo-0001500"]
    typed.clear()
    run_bench(monkeypatch, tmp_path, "--raw-pairs", "--typed", "--sizes", "3000", "--repeats",
              "1")
    # The middle tile's name, where the grid holds photos before the change: a picture indexed
    # (into 3,000 JPEGs, twice), every file removed (3,000 JPEGs, then 1,500 pairs).
    assert typed == ["IMG_0001501.JPG", "IMG_0001501.JPG", "IMG_0001501.JPG",
                     "IMG_0000751.JPG"]
