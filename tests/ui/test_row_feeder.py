"""The RowFeeder puts the library's changes into the grid's model over event-loop turns: every
change arrives, in order, and slices are grouped into a turn up to its time budget (the grid lays
out all its rows once per turn that changed any)."""

from __future__ import annotations

from desktop_app.core.records import Photo
from desktop_app.ui import row_feeder
from desktop_app.ui.models import PhotoListModel
from desktop_app.ui.row_feeder import ROWS_PER_SLICE, RowFeeder


def photo(i: int, path: str | None = None) -> Photo:
    return Photo(i, path or f"/p/{i}.jpg", 1, 100, 1.0, 10, 10, "ok", None)


def feed(qtbot, budget_s: float, monkeypatch, changed: list, removed: list,
         model: PhotoListModel | None = None) -> tuple[PhotoListModel, list]:
    monkeypatch.setattr(row_feeder, "TURN_BUDGET_S", budget_s)
    model = model or PhotoListModel()
    calls: list = []
    feeder = RowFeeder(model, before_upsert=lambda photos: calls.append(("upsert", len(photos))),
                       after_remove=lambda paths: calls.append(("removed", paths)),
                       after_turn=lambda: calls.append(("turn", model.rowCount())))
    feeder.add(changed, removed)
    qtbot.waitUntil(lambda: not feeder.pending(), timeout=10000)
    return model, calls


def test_one_slice_a_turn_without_a_budget(qtbot, monkeypatch):
    count = 3 * ROWS_PER_SLICE + 5
    model, calls = feed(qtbot, 0.0, monkeypatch, [photo(i) for i in range(count)], [])
    assert model.rowCount() == count
    assert calls == [("upsert", ROWS_PER_SLICE), ("turn", ROWS_PER_SLICE),
                     ("upsert", ROWS_PER_SLICE), ("turn", 2 * ROWS_PER_SLICE),
                     ("upsert", ROWS_PER_SLICE), ("turn", 3 * ROWS_PER_SLICE),
                     ("upsert", 5), ("turn", count)]


def test_slices_share_a_turn_within_the_budget(qtbot, monkeypatch):
    count = 3 * ROWS_PER_SLICE + 5
    model, calls = feed(qtbot, 3600.0, monkeypatch, [photo(i) for i in range(count)], [])
    assert [model.photo_at(row).id for row in range(count)] == list(range(count))
    assert [c for c in calls if c[0] == "turn"] == [("turn", count)]  # laid out once


def test_removals_follow_the_upserts_before_them_and_name_the_paths_gone(qtbot, monkeypatch):
    model = PhotoListModel()
    model.set_photos([photo(i) for i in range(10)])
    # Photo 3 renamed, then removed in the same change: the path said is the new one.
    model, calls = feed(qtbot, 3600.0, monkeypatch, [photo(3, "/p/renamed.jpg"), photo(10)],
                        [3, 7, 99], model)
    assert [model.photo_at(row).id for row in range(model.rowCount())] == [
        0, 1, 2, 4, 5, 6, 8, 9, 10]
    assert ("removed", ["/p/renamed.jpg", "/p/7.jpg"]) in calls
    assert calls[-1] == ("turn", 9)


def test_a_callback_that_raises_loses_no_rows_and_the_turn_still_ends(qtbot, monkeypatch):
    """The duplicates view failing to follow a slice (a bug, said by the excepthook) must not
    keep its photos out of the grid, nor leave the count unsaid for the slices of its turn."""
    monkeypatch.setattr(row_feeder, "TURN_BUDGET_S", 3600.0)
    model = PhotoListModel()
    turns: list[int] = []
    slices = [0]

    def before_upsert(photos: list) -> None:
        slices[0] += 1
        if slices[0] == 3:  # the last slice of the only turn
            raise RuntimeError("the duplicates view could not follow")

    feeder = RowFeeder(model, before_upsert=before_upsert,
                       after_turn=lambda: turns.append(model.rowCount()))
    count = 2 * ROWS_PER_SLICE + 5
    with qtbot.captureExceptions() as exceptions:
        feeder.add([photo(i) for i in range(count)], [])
        qtbot.waitUntil(lambda: not feeder.pending(), timeout=10000)
        qtbot.wait(50)
    assert [str(e[1]) for e in exceptions] == ["the duplicates view could not follow"]
    assert model.rowCount() == count
    assert turns == [count]
    assert not feeder._timer.isActive()
