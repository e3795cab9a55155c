"""The library grid's big changes in a library that holds a camera raw go to the real
PhotoListModel (in a real PhotoGrid, offscreen, under Qt's QAbstractItemModelTester) over
event-loop turns of bounded length, through the window's RowFeeder: 200,000 files removed at
once (a folder dropped) held one turn 0.9-2.0 s, where a library without raws took 0.35 s,
and the first raw to come into a library of 200,000 JPEGs held one 0.25 s (every photo filed
for its pairs at once). The model is whole after each turn, and the library's order is kept."""

from __future__ import annotations

import dataclasses
import os

import pytest
from PySide6.QtCore import Qt
from ui_helpers import checked_model

from desktop_app.core import raw_twins
from desktop_app.core.records import Photo
from desktop_app.ui import row_feeder
from desktop_app.ui.models import PhotoIdRole, PhotoListModel
from desktop_app.ui.row_feeder import ROWS_PER_SLICE, RowFeeder

CARD = "/card/DCIM"


def photo(i: int, name: str) -> Photo:
    return Photo(i, f"{CARD}/{name}", 1, 100, 1.0 + i, 60, 40, "ok", None)


def card_of_pairs(count: int) -> list[Photo]:
    """A lone JPEG (id 0), then `count` RAW+JPEG pairs, each JPEG's id (odd) just before its
    raw's (even): a slice of ROWS_PER_SLICE ids ends between a JPEG and its raw."""
    files = [photo(0, "alone.jpg")]
    for k in range(1, count + 1):
        files += [photo(2 * k - 1, f"IMG_{k}.JPG"), photo(2 * k, f"IMG_{k}.CR2")]
    return files


def lost(model: PhotoListModel, files: list[Photo]) -> list[Photo]:
    """The `files` not found in the row showing them, nor as they are (none if the model is
    whole); the rows must be as the model lists them."""
    assert [model.index(r).data(PhotoIdRole) for r in range(model.rowCount())] == model.ids()
    return [file for file in files if model.row_of(file.id) is None
            or model.row_of_path(file.path) != model.row_of(file.id)
            or model.photo(file.id) != file]


def test_a_big_removal_goes_over_turns_a_slice_each_the_grid_whole_after_each(
        qtbot, qtlog, monkeypatch):
    monkeypatch.setattr(row_feeder, "TURN_BUDGET_S", 0.0)  # one slice a turn
    files = card_of_pairs(ROWS_PER_SLICE)
    model = checked_model(qtbot)
    model.set_photos(files)
    assert model.rowCount() == ROWS_PER_SLICE + 1
    turns: list[tuple[int, list[Photo]]] = []  # rows after each turn, files lost then
    removed: list[int] = []
    split_raw = photo(ROWS_PER_SLICE, f"IMG_{ROWS_PER_SLICE // 2}.CR2")  # its JPEG in slice 1
    split_tile: list[str] = []

    def after_turn() -> None:
        left = [f for f in files if f.id >= ROWS_PER_SLICE * (len(turns) + 1)]
        turns.append((model.rowCount(), lost(model, left)))
        row = model.row_of(split_raw.id)
        if split_raw in left and row is not None:  # its JPEG gone, not yet itself
            split_tile.append(model.index(row).data(Qt.ItemDataRole.DisplayRole))

    feeder = RowFeeder(model, after_remove=lambda paths: removed.append(len(paths)),
                       after_turn=after_turn)
    feeder.add([], [f.id for f in files])
    qtbot.waitUntil(lambda: not feeder.pending(), timeout=10000)
    # Slice 1 leaves the last ROWS_PER_SLICE / 2 pairs and the raw split from its JPEG, slice 2
    # the last raw alone (its JPEG in slice 2), slice 3 none.
    assert turns == [(ROWS_PER_SLICE // 2 + 1, []), (1, []), (0, [])]
    assert split_tile == [os.path.basename(split_raw.path)]  # back in a tile of its own
    assert removed == [ROWS_PER_SLICE, ROWS_PER_SLICE, 1]
    assert model.hidden_raws() == 0
    assert [m.message for m in qtlog.records] == []


def test_a_photo_removed_then_back_ends_in_the_grid_and_one_added_then_removed_does_not(
        qtbot, qtlog, monkeypatch):
    monkeypatch.setattr(row_feeder, "TURN_BUDGET_S", 0.0)
    files = card_of_pairs(ROWS_PER_SLICE)
    model = checked_model(qtbot)
    model.set_photos(files)
    feeder = RowFeeder(model)
    # A folder dropped, its first pair indexed again (added back at once), and a new photo
    # indexed and deleted while the removal's slices are still to come.
    feeder.add([], [f.id for f in files])
    feeder.add([files[1], files[2]], [])
    new = photo(9999, "new.jpg")
    feeder.add([new], [])
    feeder.add([], [new.id])
    qtbot.waitUntil(lambda: not feeder.pending(), timeout=10000)
    assert model.ids() == [files[1].id]  # the pair, one tile
    assert model.twins_of(files[1].id) == (files[2].path,)
    assert lost(model, files[1:3]) == []
    assert model.photo(new.id) is None
    assert [m.message for m in qtlog.records] == []


def test_the_first_raw_into_a_library_of_jpegs_is_readied_over_turns(qtbot, qtlog,
                                                                    monkeypatch):
    """Filing every photo for its pairs went in the raw's one turn."""
    monkeypatch.setattr(row_feeder, "TURN_BUDGET_S", 0.0)
    monkeypatch.setattr(row_feeder, "ROWS_FILED_PER_STEP", 4)
    jpegs = [photo(i, f"IMG_{i}.JPG") for i in range(10)]
    model = checked_model(qtbot)
    model.set_photos(jpegs)
    filed_in_turn = [0]
    turns: list[tuple[int, int]] = []  # photos filed in each turn, and the rows after it
    add = raw_twins.PictureFiles.add

    def counted(self, file_id: int, path: str) -> str:
        filed_in_turn[0] += 1
        return add(self, file_id, path)

    monkeypatch.setattr(raw_twins.PictureFiles, "add", counted)
    feeder = RowFeeder(model)

    def turn_ended() -> None:  # (connected after the feeder's own slot: runs after it)
        turns.append((filed_in_turn[0], model.rowCount()))
        filed_in_turn[0] = 0

    feeder._timer.timeout.connect(turn_ended)
    raw = photo(10, "IMG_3.CR2")
    feeder.add([raw], [])
    qtbot.waitUntil(lambda: not feeder.pending(), timeout=10000)
    # 4 and 4 photos filed; the last 2 and the raw with its JPEG's tile in the third turn.
    assert turns == [(4, 10), (4, 10), (3, 10)]
    assert model.twins_of(3) == (raw.path,)
    assert lost(model, [*jpegs, raw]) == []
    assert [m.message for m in qtlog.records] == []


@pytest.mark.parametrize("change", ["removed", "renamed"])
def test_a_change_while_the_first_raw_is_readied_is_not_missed(qtbot, qtlog, change):
    """The rows filed ahead for a raw are dropped when the rows change before it comes: else
    the raw went behind a JPEG no longer there, or no longer of its name."""
    jpegs = [photo(i, f"IMG_{i}.JPG") for i in range(10)]
    model = checked_model(qtbot)
    model.set_photos(jpegs)
    raw = photo(10, "IMG_3.CR2")
    assert model.file_ahead([raw], 5)  # IMG_3.JPG filed, rows left to file
    if change == "removed":
        model.remove_ids([3])
    else:
        model.upsert([dataclasses.replace(jpegs[3], path=f"{CARD}/beach.jpg")])
    model.upsert([raw])
    row = model.row_of(raw.id)
    assert row is not None and model.index(row).data(PhotoIdRole) == raw.id  # a tile its own
    assert model.hidden_raws() == 0 and model.twins_of(3) == ()
    left = [model.photo(3)] if change == "renamed" else []
    assert lost(model, [*jpegs[:3], *jpegs[4:], *left, raw]) == []
    assert [m.message for m in qtlog.records] == []
