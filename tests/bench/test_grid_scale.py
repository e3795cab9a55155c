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
