"""The library grid's row bookkeeping at scale: rows found from ids and paths right after
scattered removals, additions and renames (a plain list as the oracle), the row count kept in
C++ for the view's layout, and a grid scrolled down keeping its place when a row comes or goes."""

from __future__ import annotations

import dataclasses
import random

from PySide6.QtCore import QStringListModel
from PySide6.QtWidgets import QApplication

from desktop_app.core.records import Photo
from desktop_app.ui.models import PhotoIdRole, PhotoListModel
from desktop_app.ui.photo_grid import PhotoGrid


def photo(i: int, path: str | None = None, status: str = "ok") -> Photo:
    return Photo(i, path or f"/p/{i}.jpg", 1, 100, 1.0, 10, 10, status, None)


def assert_matches(model: PhotoListModel, oracle: list[Photo], gone: list[Photo]) -> None:
    assert model.rowCount() == len(oracle)
    assert model.ids() == [p.id for p in oracle]
    assert [model.index(r).data(PhotoIdRole) for r in range(len(oracle))] == model.ids()
    for row, p in enumerate(oracle):
        assert model.row_of(p.id) == row
        assert model.photo(p.id) == p
        assert model.row_of_path(p.path) == row and model.stamp_of_path(p.path) == p.stamp
    kept_paths = {p.path for p in oracle}
    for p in gone:
        assert model.row_of(p.id) is None and model.photo(p.id) is None
        if p.path not in kept_paths:
            assert model.stamp_of_path(p.path) is None


def test_rows_follow_scattered_removals_additions_and_renames(qtbot):
    rng = random.Random(0)
    oracle = [photo(i) for i in range(1, 2001)]
    model = PhotoListModel()
    model.set_photos(oracle)
    gone: list[Photo] = []
    next_id = 2001
    for _ in range(30):
        victims = rng.sample(oracle, rng.randint(1, 40))
        model.remove_ids([p.id for p in victims] + [999_999])  # an unknown id is ignored
        oracle = [p for p in oracle if p not in victims]
        gone += victims
        added = [photo(i) for i in range(next_id, next_id + rng.randint(0, 30))]
        next_id += len(added)
        back = rng.sample(gone, min(3, len(gone)))  # a photo that left comes back (new row)
        gone = [p for p in gone if p not in back]
        renamed = [dataclass_with_path(p, f"/renamed/{p.id}-{next_id}.jpg")
                   for p in rng.sample(oracle, 5)]
        model.upsert(added + back + renamed)
        by_id = {p.id: p for p in renamed}
        oracle = [by_id.get(p.id, p) for p in oracle] + added + back
        assert_matches(model, oracle, gone)
    failed = rng.sample(oracle, 10)  # photos that could no longer be read leave the grid
    model.upsert([photo(p.id, p.path, status="failed") for p in failed])
    oracle = [p for p in oracle if p not in failed]
    assert_matches(model, oracle, gone + failed)


def dataclass_with_path(p: Photo, path: str) -> Photo:
    return dataclasses.replace(p, path=path)


def test_two_photos_swapping_names_in_one_update_keep_both_paths(qtbot):
    model = PhotoListModel()
    a, b = photo(1, "/p/a.jpg"), photo(2, "/p/b.jpg")
    model.set_photos([a, b])
    model.upsert([dataclass_with_path(a, "/p/b.jpg"), dataclass_with_path(b, "/p/a.jpg")])
    assert model.stamp_of_path("/p/a.jpg") == b.stamp
    assert model.stamp_of_path("/p/b.jpg") == a.stamp
    assert model.row_of_path("/p/a.jpg") == 1
    model.remove_ids([1])  # the photo now at b.jpg: a.jpg stays known
    assert model.stamp_of_path("/p/a.jpg") == b.stamp and model.stamp_of_path("/p/b.jpg") is None


def test_the_row_count_is_answered_in_cpp_not_python(qtbot):
    # A view re-lays out every row after any change and asks the row count for each row:
    # a Python rowCount took the GIL 400,000 times at 200,000 photos.
    assert PhotoListModel.rowCount is QStringListModel.rowCount
    assert PhotoListModel.index is QStringListModel.index
    model = PhotoListModel()
    model.set_photos([photo(1), photo(2)])
    assert model.flags(model.index(0)) == PhotoListModel().flags(model.index(0))
    assert not model.flags(model.index(0)) & model.flags(model.index(0)).ItemIsEditable
    flags = model.flags(model.index(0))
    assert flags & flags.ItemIsDragEnabled and not flags & flags.ItemIsDropEnabled  # out only


def test_a_grid_scrolled_down_keeps_its_place_when_a_photo_comes_or_goes(qtbot):
    model = PhotoListModel()
    model.set_photos([photo(i) for i in range(1, 6001)])
    grid = PhotoGrid(64)
    qtbot.addWidget(grid)
    grid.setModel(model)
    grid.resize(800, 600)
    grid.show()
    bar = grid.verticalScrollBar()

    def laid_out() -> bool:  # down to the last row
        return grid.visualRect(model.index(model.rowCount() - 1)).isValid()

    qtbot.waitUntil(laid_out)
    bar.setValue(bar.maximum() - 100)  # far below the first thousand photos
    place = bar.value()
    for change in (lambda: model.remove_ids([model.photo_at(10).id]),
                   lambda: model.upsert([photo(7000)])):
        change()
        QApplication.processEvents()
        qtbot.waitUntil(laid_out)
        assert bar.value() == place


def test_rows_removed_by_qt_calls_forget_their_ids_and_paths(qtbot):
    """Whoever removes rows (removeRows is public), their photos are forgotten: a stale key
    would bisect to the next photo's row, and an update of the gone photo would overwrite it."""
    model = PhotoListModel()
    model.set_photos([photo(i) for i in range(5)])
    assert model.removeRows(1, 2)
    assert model.row_of(1) is None and model.row_of(2) is None
    assert model.row_of_path("/p/2.jpg") is None and model.stamp_of_path("/p/2.jpg") is None
    assert [model.row_of(i) for i in (0, 3, 4)] == [0, 1, 2]
    model.upsert([photo(2, "/p/back.jpg")])  # comes back: a new row, photo 3 untouched
    assert [model.photo_at(r).id for r in range(model.rowCount())] == [0, 3, 4, 2]
    assert model.photo_at(1).path == "/p/3.jpg"
