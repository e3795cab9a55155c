"""A camera's RAW+JPEG pair in the results as they change (real SearchController, ResultsPanel
and TaskRunner over hand-made codes): the header counts pictures, not files; Show more appends
when a result only gained its raw; a picture picked as its raw stays picked as its JPEG; and a
Duplicates row keeps what its tooltip says of its twin when it is moved."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from ui_helpers import duplicates_panel

from desktop_app.core.hashing import HammingIndex
from desktop_app.core.keeper import Group
from desktop_app.core.records import Match
from desktop_app.settings import Settings
from desktop_app.ui.duplicates_panel import DuplicatesPanel
from desktop_app.ui.models import ResultsModel
from desktop_app.ui.results_panel import ResultsPanel
from desktop_app.ui.search import SearchSnapshot
from desktop_app.ui.search_controller import SearchController
from desktop_app.ui.tasks import TaskRunner
from desktop_app.ui.thumbnails import ThumbnailCache

CARD = os.path.join(os.sep, "photos", "card")


def snapshot(files: list[tuple[str, int]]) -> SearchSnapshot:
    """Photos of CARD (name, distance of its 8-bit code from code 0), ids from 1 in order."""
    ids = np.arange(1, len(files) + 1)
    codes = np.array([[(1 << distance) - 1] for _, distance in files], dtype=np.uint8)
    paths = [os.path.join(CARD, name) for name, _ in files]
    return SearchSnapshot(HammingIndex(ids, codes, 8), dict(zip(ids.tolist(), paths, strict=True)))


@pytest.fixture
def searching(qtbot, request):
    """A function making a controller with `results_count` results a page over a snapshot."""
    def make(files: list[tuple[str, int]], results_count: int):
        cache = ThumbnailCache(edge=96, threads=1, disk_cache=False, scale=1.0)
        tasks = TaskRunner()
        request.addfinalizer(cache.shutdown)
        request.addfinalizer(tasks.shutdown)
        results = ResultsModel(cache)
        panel = ResultsPanel(results, 96)
        qtbot.addWidget(panel)
        duplicates = DuplicatesPanel(None)
        qtbot.addWidget(duplicates)
        controller = SearchController(Settings(results_count=results_count), tasks, cache,
                                      results, panel, duplicates, panel)
        controller.snapshot = snapshot(files)
        panel.slider.setValue(panel.slider.maximum())
        panel.resize(700, 500)
        panel.show()
        qtbot.waitExposed(panel)
        return controller, panel, results

    return make


def shown(qtbot, controller, ask) -> list[Match]:
    with qtbot.waitSignal(controller.results_shown, timeout=10000) as answer:
        ask()
    return answer.args[0]


def names(matches) -> list[str]:
    return [os.path.basename(m.path) for m in matches]


def selected(panel: ResultsPanel) -> list[str]:
    matches = panel.model.matches()
    return [matches[i.row()].path for i in panel.grid.selectionModel().selectedIndexes()]


def found_line(panel: ResultsPanel) -> str:
    return panel.query_label.text().split("<br>")[-1]


def test_every_picture_shown_at_the_limit_is_said_found_with_no_show_more(qtbot, searching):
    """Two files a picture: the photos not shown outnumbered the results, and the header said
    "the 2 closest shown; there may be more" with a Show more that found none."""
    controller, panel, _ = searching([("query.jpg", 0), ("A.JPG", 1), ("A.CR2", 1),
                                      ("B.JPG", 2), ("B.CR2", 2)], results_count=2)
    matches = shown(qtbot, controller,
                    lambda: controller.search_photo(1, controller.snapshot.paths[1]))
    assert names(matches) == ["A.JPG", "B.JPG"]
    assert found_line(panel) == "2 found"
    assert not panel.more_button.isVisibleTo(panel)
    # One picture more than a page: Show more offered, and it brings it.
    controller, panel, _ = searching([("query.jpg", 0), ("A.JPG", 1), ("A.CR2", 1),
                                      ("B.JPG", 2), ("B.CR2", 2), ("C.NEF", 3)], results_count=2)
    shown(qtbot, controller, lambda: controller.search_photo(1, controller.snapshot.paths[1]))
    assert found_line(panel).startswith("the 2 closest shown")
    assert names(shown(qtbot, controller, panel.more_button.click)) == ["A.JPG", "B.JPG",
                                                                        "C.NEF"]
    assert found_line(panel) == "3 found"


def test_a_pair_alone_has_nothing_to_compare_with_whatever_the_distance(qtbot, searching):
    """Its raw further than the slider's distance was not counted as its own twin: the header
    said "none within this distance; move the slider right", and once moved, that there was
    nothing in the library to compare it with."""
    controller, panel, _ = searching([("IMG_1.JPG", 0), ("IMG_1.CR2", 3)], results_count=40)
    panel.slider.setValue(2)
    assert shown(qtbot, controller,
                 lambda: controller.search_photo(1, controller.snapshot.paths[1])) == []
    assert found_line(panel) == "nothing in the library to compare it with yet"
    # A photo dropped from the card, not in the library yet, beside the same raw.
    controller.snapshot = snapshot([("IMG_1.CR2", 3)])
    code = np.zeros(1, dtype=np.uint8)
    assert controller.snapshot.similar_to_code(code, 40, 2, query_path=os.path.join(
        CARD, "IMG_1.JPG")).own_twins == 1
    # Another photo beyond the distance: the slider may find it.
    controller, panel, _ = searching([("IMG_1.JPG", 0), ("IMG_1.CR2", 3), ("IMG_2.JPG", 4)],
                                     results_count=40)
    panel.slider.setValue(2)
    shown(qtbot, controller, lambda: controller.search_photo(1, controller.snapshot.paths[1]))
    assert found_line(panel) == "none within this distance; move the slider right"


def test_show_more_appends_when_a_result_shown_only_gained_its_raw(qtbot, searching):
    """The first result's raw came after the hit that would have made a 41st result: the next
    page names it beside its JPEG. That row changed, so the whole list was replaced, and Show
    more, pressed up in the header, no longer scrolled to the first new photo."""
    files = ([("query.jpg", 0)] + [(f"P{n:02d}.JPG", 1) for n in range(40)]
             + [("X.jpg", 1), ("P00.CR2", 2)] + [(f"Y{n}.jpg", 3) for n in range(10)])
    controller, panel, model = searching(files, results_count=40)
    first = shown(qtbot, controller,
                  lambda: controller.search_photo(1, controller.snapshot.paths[1]))
    assert len(first) == 40 and not first[0].twins
    inserted, reset = [], []
    model.rowsInserted.connect(lambda _parent, start, _end: inserted.append(start))
    model.modelReset.connect(lambda: reset.append(True))
    more = shown(qtbot, controller, panel.more_button.click)
    assert names(more) == [*names(first), "X.jpg", *(f"Y{n}.jpg" for n in range(10))]
    assert more[0].twins == (os.path.join(CARD, "P00.CR2"),)
    assert model.index(0).data(Qt.ItemDataRole.DisplayRole).endswith("\nRAW+JPEG")
    assert inserted == [40] and not reset
    grid = panel.grid
    grid.executeDelayedItemsLayout()
    assert grid.verticalScrollBar().value() > 0
    assert 0 <= grid.visualRect(model.index(40)).top() < grid.viewport().height()


def test_a_picture_picked_as_its_raw_stays_picked_as_its_jpeg_and_back(qtbot, searching):
    """C's raw was a result while its JPEG lay beyond the page; Show more brought the JPEG in
    its place, and the user's pick was lost. So was a pick of the JPEG when it was deleted and
    its raw came back."""
    controller, panel, model = searching([("query.jpg", 0), ("A.JPG", 1), ("B.JPG", 2),
                                          ("C.ARW", 2), ("D.jpg", 3), ("C.jpg", 4),
                                          ("E.jpg", 5)], results_count=3)
    first = shown(qtbot, controller,
                  lambda: controller.search_photo(1, controller.snapshot.paths[1]))
    assert names(first) == ["A.JPG", "B.JPG", "C.ARW"]
    grid, flags = panel.grid, QItemSelectionModel.SelectionFlag
    grid.selectionModel().setCurrentIndex(model.index(2), flags.ClearAndSelect)
    assert names(shown(qtbot, controller, panel.more_button.click)) == [
        "A.JPG", "B.JPG", "D.jpg", "C.jpg", "E.jpg"]
    jpeg = os.path.join(CARD, "C.jpg")
    assert grid.current_path() == jpeg
    assert selected(panel) == [jpeg]
    # The JPEG deleted: its raw is a result again, and the one picked.
    paths = {i: p for i, p in controller.snapshot.paths.items() if p != jpeg}
    gone = SearchSnapshot(controller.snapshot.index, paths)
    assert "C.ARW" in names(shown(qtbot, controller, lambda: controller.set_snapshot(gone)))
    assert grid.current_path() == os.path.join(CARD, "C.ARW")
    assert selected(panel) == [os.path.join(CARD, "C.ARW")]


def test_a_duplicate_row_moved_still_says_its_twin_and_why_it_is_kept(qtbot):
    """A move (the pair moved to another folder) set the row's tooltip to its new path alone:
    its JPEG twin, not listed, and why it is kept were no longer said."""
    raw, jpeg = os.path.join(CARD, "IMG_1.CR2"), os.path.join(CARD, "IMG_1.JPG")
    group = Group([Match(1, raw, 0, 48, twins=(jpeg,)),
                   Match(2, os.path.join(os.sep, "photos", "backup", "IMG_1 (1).JPG"), 1, 48)])
    group.why = "the camera's raw file"
    panel = duplicates_panel(qtbot, [group])
    kept = panel.tree.topLevelItem(0).child(0)
    note = ("Kept, not ticked: the camera's raw file. With its JPEG twin IMG_1.JPG (shot "
            "RAW+JPEG: the same photo), not listed.")
    assert kept.toolTip(0) == f"{raw}\n{note}"
    moved = os.path.join(os.sep, "photos", "2024")
    panel.follow_moves({raw: os.path.join(moved, "IMG_1.CR2"),
                        jpeg: os.path.join(moved, "IMG_1.JPG")})
    assert kept.toolTip(0) == f"{os.path.join(moved, 'IMG_1.CR2')}\n{note}"
    assert kept.twins == (os.path.join(moved, "IMG_1.JPG"),)
