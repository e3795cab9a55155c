"""A camera's RAW+JPEG pair is one tile of the library grid, as it is one result: the real
PhotoListModel in a real PhotoGrid (offscreen), fed by the RowFeeder the window uses. The grid
listed both files, so a photographer shooting RAW+JPEG saw every picture twice."""

from __future__ import annotations

import dataclasses
import random

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtTest import QSignalSpy
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem

from desktop_app.core.camera_raw import is_raw_name
from desktop_app.core.raw_twins import picture_key, twin_key
from desktop_app.core.records import Match, Photo
from desktop_app.ui.models import PhotoIdRole, PhotoListModel, ResultsModel
from desktop_app.ui.photo_grid import PhotoGrid
from desktop_app.ui.row_feeder import RowFeeder
from desktop_app.ui.thumbnails import ThumbnailCache

CARD = "/card/DCIM/100CANON"


def photo(i: int, name: str, status: str = "ok", size: int = 100, folder: str = CARD) -> Photo:
    return Photo(i, f"{folder}/{name}", 1, size, 1.0 + i, 60, 40, status, None)


def shown(model: PhotoListModel) -> list[str]:
    """Each row's text, its lines joined by |."""
    return [model.index(r).data(Qt.ItemDataRole.DisplayRole).replace("\n", "|")
            for r in range(model.rowCount())]


def grid_on(qtbot, model: PhotoListModel) -> PhotoGrid:
    grid = PhotoGrid(64)
    grid.setModel(model)
    qtbot.addWidget(grid)
    grid.resize(600, 400)
    grid.show()
    qtbot.waitExposed(grid)
    return grid


def fed(qtbot, feeder: RowFeeder, changed: list, removed: list = ()) -> None:
    feeder.add(changed, list(removed))
    qtbot.waitUntil(lambda: not feeder.pending(), timeout=5000)


def picked(grid: PhotoGrid) -> tuple[int, list[int]]:
    """The id of the grid's current photo, and those of its selected ones."""
    return (grid.currentIndex().data(PhotoIdRole),
            sorted(i.data(PhotoIdRole) for i in grid.selectionModel().selectedIndexes()))


def test_a_pair_is_one_row_its_jpeg_marked_as_in_the_results_its_raw_named(qtbot):
    raw, jpeg = photo(1, "IMG_0001.CR2", size=25_000 * 1024), photo(2, "IMG_0001.JPG")
    heif_raw, heif = photo(3, "IMG_0002.CR3"), photo(4, "IMG_0002.HEIC")
    alone = photo(5, "holiday.jpg")
    model = PhotoListModel()
    model.set_photos([raw, jpeg, heif_raw, heif, alone])
    assert model.ids() == [2, 4, 5]
    assert shown(model) == ["IMG_0001.JPG|RAW+JPEG", "IMG_0002.HEIC|RAW+HEIC", "holiday.jpg"]
    tip = model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == (f"{CARD}/IMG_0001.JPG\n60x40, 0 KiB\n"
                   "Shot RAW+JPEG: its raw file IMG_0001.CR2 is the same photo")
    # The results' own words, for the same pair as a result.
    results = ResultsModel()
    results.set_results([Match(2, jpeg.path, 3, 48, twins=(raw.path,))])
    result = results.index(0)
    assert (result.data(Qt.ItemDataRole.DisplayRole).split("\n")[-1]
            == shown(model)[0].split("|")[-1])
    assert (result.data(Qt.ItemDataRole.ToolTipRole).split("\n")[-1]
            == tip.split("\n")[-1])
    # The raw is still the library's photo: found by its id and path, with its own record
    # (the Duplicates tab lists raws, and checks a raw's stamp before trashing it); the row
    # showing it is its JPEG's.
    assert model.photo(1) == raw and model.stamp_of_path(raw.path) == raw.stamp
    assert model.row_of(1) == 0 and model.row_of_path(raw.path) == 0
    assert model.hidden_raws() == 2


def test_a_pairs_mark_has_its_own_line_under_a_long_name_shortened(qtbot, request):
    name = "IMG_20240712_183455_HDR_edited_final_version_2"
    thumbnails = ThumbnailCache(edge=64, threads=1, disk_cache=False, scale=1.0)
    request.addfinalizer(thumbnails.shutdown)
    model = PhotoListModel(thumbnails)  # a square a cell, as the window's grid has
    model.set_photos([photo(1, f"{name}.CR2"), photo(2, f"{name}.JPG")])
    grid = grid_on(qtbot, model)
    grid.executeDelayedItemsLayout()
    option = QStyleOptionViewItem()
    grid.initViewItemOption(option)
    option.rect = grid.visualRect(model.index(0))
    grid.itemDelegate().initStyleOption(option, model.index(0))
    lines = option.text.split("\u2028")
    assert len(lines) == 2 and "…" in lines[0] and lines[1] == "RAW+JPEG", lines


def test_the_twin_indexed_takes_the_raws_tile_the_pick_staying_on_the_picture(qtbot):
    model = PhotoListModel()
    grid = grid_on(qtbot, model)
    feeder = RowFeeder(model)
    fed(qtbot, feeder, [photo(1, "a.jpg"), photo(2, "IMG_0001.CR2"), photo(3, "b.jpg")])
    assert shown(model) == ["a.jpg", "IMG_0001.CR2", "b.jpg"]  # its JPEG not indexed yet
    grid.setCurrentIndex(model.index(1))
    grid.selectionModel().select(model.index(2), QItemSelectionModel.SelectionFlag.Select)
    assert picked(grid) == (2, [2, 3])
    jpeg = photo(4, "IMG_0001.JPG")
    fed(qtbot, feeder, [jpeg])
    assert shown(model) == ["a.jpg", "IMG_0001.JPG|RAW+JPEG", "b.jpg"]
    assert picked(grid) == (4, [3, 4])
    # The JPEG deleted: the raw comes back in its place, still the picture picked.
    fed(qtbot, feeder, [], [4])
    assert shown(model) == ["a.jpg", "IMG_0001.CR2", "b.jpg"]
    assert picked(grid) == (2, [2, 3])
    assert model.photo(4) is None and model.hidden_raws() == 0
    # Indexed again, then unreadable (cut short while copied off the card): the same.
    fed(qtbot, feeder, [jpeg])
    assert picked(grid) == (4, [3, 4])
    fed(qtbot, feeder, [dataclasses.replace(jpeg, status="failed", error="cut short")])
    assert shown(model) == ["a.jpg", "IMG_0001.CR2", "b.jpg"]
    assert picked(grid) == (2, [2, 3])


def test_a_raw_that_leaves_takes_its_mark_with_it_and_one_that_comes_adds_it(qtbot):
    model = PhotoListModel()
    model.set_photos([photo(1, "IMG_0001.JPG"), photo(2, "IMG_0001.CR2")])
    repainted = QSignalSpy(model.dataChanged)
    model.remove_ids([2])
    assert shown(model) == ["IMG_0001.JPG"] and repainted.count() == 1
    assert model.photo(2) is None and model.stamp_of_path(f"{CARD}/IMG_0001.CR2") is None
    model.upsert([photo(3, "img_0001.cr2")])  # another camera's case: the same picture
    assert shown(model) == ["IMG_0001.JPG|RAW+JPEG"] and repainted.count() == 2
    assert model.rowCount() == 1


def test_a_jpeg_renamed_away_from_its_raw_keeps_its_tile_and_the_raw_gets_one(qtbot):
    model = PhotoListModel()
    model.set_photos([photo(1, "IMG_0001.CR2"), photo(2, "IMG_0001.JPG"), photo(3, "b.jpg")])
    model.upsert([photo(2, "best of the day.jpg")])
    assert shown(model) == ["best of the day.jpg", "b.jpg", "IMG_0001.CR2"]
    # And renamed back: one tile again, where the JPEG was.
    model.upsert([photo(2, "IMG_0001.JPG")])
    assert shown(model) == ["IMG_0001.JPG|RAW+JPEG", "b.jpg"]


def test_a_library_without_raws_pairs_nothing_and_a_first_raw_pairs_what_came_before(qtbot):
    model = PhotoListModel()
    model.set_photos([photo(i, f"IMG_{i:04d}.JPG") for i in range(1, 6)])
    assert model.rowCount() == 5 and model.hidden_raws() == 0
    model.upsert([photo(9, "IMG_0003.NEF")])
    assert shown(model) == ["IMG_0001.JPG", "IMG_0002.JPG", "IMG_0003.JPG|RAW+JPEG",
                            "IMG_0004.JPG", "IMG_0005.JPG"]
    assert model.row_of(9) == 2


def test_typing_a_raws_name_in_the_grid_finds_its_pair(qtbot):
    model = PhotoListModel()
    model.set_photos([photo(1, "DSC_0100.JPG"), photo(2, "DSC_0100.NEF"),
                      photo(3, "DSC_0101.JPG"), photo(4, "DSC_0101.NEF"),
                      photo(5, "DSC_0101.TIF")])  # an edit exported beside them
    grid = grid_on(qtbot, model)
    grid.setCurrentIndex(model.index(0))
    grid.keyboardSearch("dsc_0101.n")
    assert grid.currentIndex().data(PhotoIdRole) == 3
    qtbot.wait(QApplication.keyboardInputInterval() + 100)  # a new name typed
    grid.setCurrentIndex(model.index(0))
    grid.keyboardSearch("DSC_0101.T")  # the JPEG's and the TIFF's own names, as before
    assert grid.currentIndex().data(PhotoIdRole) == 5
    assert shown(model) == ["DSC_0100.JPG|RAW+JPEG", "DSC_0101.JPG|RAW+JPEG",
                            "DSC_0101.TIF|RAW+TIF"]


def oracle(files: dict[int, Photo]) -> tuple[set[int], dict[int, set[str]]]:
    """The tiles, from scratch by twin_key: each picture's files that are not raws, or its
    raws; and the raws named on each tile."""
    pictures: dict[tuple, list[Photo]] = {}
    for p in files.values():
        if p.status == "ok":
            pictures.setdefault(twin_key(p.path), []).append(p)
    tiles, twins = set(), {}
    for group in pictures.values():
        others = [p for p in group if not is_raw_name(p.path)]
        raws = [p for p in group if is_raw_name(p.path)]
        for p in others or raws:
            tiles.add(p.id)
            twins[p.id] = {r.path for r in raws} if others else set()
    return tiles, twins


@pytest.mark.parametrize("seed", range(4))
def test_tiles_follow_files_coming_going_failing_and_renamed(qtbot, seed):
    """Random changes through the RowFeeder, against the tiles worked out from scratch."""
    rng = random.Random(seed)
    names = [f"{stem}.{suffix}" for stem in ("IMG_1", "img_1", "IMG_2", "Café", "Cafe\u0301")
             for suffix in ("CR2", "cr3", "JPG", "heic", "dng", "png")]
    folders = [CARD, "/photos/2024", "/photos/Été"]
    model = PhotoListModel()
    feeder = RowFeeder(model)
    grid_on(qtbot, model)
    files: dict[int, Photo] = {}
    next_id = 1

    paths = [f"{folder}/{name}" for folder in folders for name in names]

    def free_path() -> str | None:  # as in the library: one photo a path
        taken = {p.path for p in files.values()} | {p.path for p in changed}
        free = [path for path in paths if path not in taken]
        return rng.choice(free) if free else None

    for _ in range(60):
        changed, removed = [], []
        for _ in range(rng.randint(1, 6)):
            what, path = rng.random(), free_path()
            if (what < 0.45 or not files) and path:
                p = Photo(next_id, path, 1, 100, 1.0, 60, 40, "ok", None)
                next_id += 1
            elif what < 0.65 and files:
                removed.append(rng.choice(sorted(files)))
                continue
            elif what < 0.8 and files and path:
                p = dataclasses.replace(files[rng.choice(sorted(files))], path=path)
            elif files:
                p = dataclasses.replace(files[rng.choice(sorted(files))],
                                        status=rng.choice(["ok", "failed"]), size=next_id)
                next_id += 1
            else:
                continue
            changed.append(p)
        fed(qtbot, feeder, changed, removed)
        for p in changed:
            files[p.id] = p
        for i in removed:
            files.pop(i, None)
        tiles, twins = oracle(files)
        assert sorted(model.ids()) == sorted(tiles)
        assert [model.index(r).data(PhotoIdRole) for r in range(model.rowCount())] == model.ids()
        for row, photo_id in enumerate(model.ids()):
            assert model.photo_at(row) == files[photo_id]
            assert set(model.twins_of(photo_id)) == twins[photo_id]
            assert model.row_of(photo_id) == row
        for p in files.values():
            if p.status == "ok":
                assert model.photo(p.id) == p
                assert model.row_of(p.id) is not None
                assert model.stamp_of_path(p.path) == p.stamp
            else:
                assert model.photo(p.id) is None
        assert model.rowCount() + model.hidden_raws() == sum(
            p.status == "ok" for p in files.values())


@pytest.mark.parametrize("path", [
    "/card/IMG_0001.CR2", "/card/img_0001.JPG", "/IMG.jpg", "//x.jpg", "///x.NEF", "a.jpg",
    "x", "/a//b.jpg", "/a/.cr2", "/a/..cr2", "/a/...x.cr2", "/a/b.", "/a/noext", "/a.b/c",
    "/a/B.Cr2", "/x/IMG_1.jpeg.dng", "/x/.hidden.jpg", "", "/", "/a/", "a/b/", "/a/b.c/",
    "/x/Ä.CR2", "/x/A\u0308.jpg", "/x/\u212a.jpg", ".", "..", "/a/. .cr2", "/a/ .cr2"])
def test_the_grids_key_of_a_picture_is_twin_keys(path):
    """picture_key takes most paths apart itself (a fifth of twin_key's time): the same key."""
    folder, stem = twin_key(path)
    assert picture_key(path) == (f"{folder}\0{stem}", is_raw_name(path))


def test_the_grids_key_of_a_picture_is_twin_keys_for_any_path():
    rng = random.Random(0)
    for _ in range(20000):
        path = "".join(rng.choice("/.aAbB_ 1cr2CRNEFjpgé") for _ in range(rng.randint(0, 14)))
        folder, stem = twin_key(path)
        assert picture_key(path) == (f"{folder}\0{stem}", is_raw_name(path)), path
