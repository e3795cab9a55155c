"""A camera's RAW+JPEG pairs in the real window (offscreen, real SQLite, the tiny real ONNX
model, real DNGs that LibRaw reads as a camera's): a pair is one photo, as in Apple Photos and
Lightroom. A search listed the raw of the JPEG searched with first (distance 0) and every result
twice, halving a page; the Duplicates tab made a group of every pair and ticked its JPEG."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from photos import make_camera_raw, make_photo
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionViewItem
from ui_helpers import duplicates_panel, header, indexed, use_own_trash

from desktop_app.core.hashing import HammingIndex
from desktop_app.core.records import Match
from desktop_app.ui.models import ResultsModel
from desktop_app.ui.results_panel import ResultsPanel
from desktop_app.ui.search import SearchSnapshot, keeper_first
from desktop_app.ui.thumbnails import ThumbnailCache

PICTURES = ("chelsea", "coffee", "rocket", "astronaut", "hubble_deep_field", "retina")


def raw_plus_jpeg(folder, count: int) -> None:
    """`count` pictures shot RAW+JPEG: IMG_000n.CR2 and IMG_000n.JPG side by side."""
    for n, name in enumerate(PICTURES[:count]):
        make_camera_raw(folder / f"IMG_000{n}.CR2", name)
        make_photo(folder / f"IMG_000{n}.JPG", name, quality=85)


def search_with(qtbot, window, path) -> list:
    model = window.photos_model
    with qtbot.waitSignal(window.results_shown, timeout=20000) as shown:
        window.search_index(model.index(model.row_of_path(str(path))))
    return shown.args[0]


def names(matches) -> list[str]:
    return [os.path.basename(m.path) for m in matches]


def shown_text(grid, row: int) -> list[str]:
    """The lines the results grid draws in `row`'s cell (as its delegate fits them)."""
    return fitted(grid, row)[0].split("\u2028")


def fitted(grid, row: int) -> tuple[str, QRect]:
    index = grid.model().index(row, 0)
    option = QStyleOptionViewItem()
    grid.initViewItemOption(option)
    option.rect = grid.visualRect(index)
    grid.itemDelegate().initStyleOption(option, index)
    return option.text, QRect(option.rect)


@pytest.mark.parametrize("points", [None, 16], ids=["default font", "16 pt"])
def test_a_pairs_mark_fits_its_cell_under_the_distance_line_whole(qtbot, request, points):
    kept = QApplication.font()
    request.addfinalizer(lambda: QApplication.setFont(kept))
    if points:
        font = QApplication.font()
        font.setPointSize(points)
        QApplication.setFont(font)
    edge = 96
    cache = ThumbnailCache(edge=edge, threads=1, disk_cache=False, scale=1.0)
    request.addfinalizer(cache.shutdown)
    model = ResultsModel(cache)
    model.set_results([
        Match(1, "/card/IMG_20240712_183455_HDR_edited_final_version_2.JPG", 13, 48,
              twins=("/card/IMG_20240712_183455_HDR_edited_final_version_2.CR2",)),
        Match(2, "/card/holiday photos from the beach at sunset.heic", 3, 48,
              twins=("/card/holiday photos from the beach at sunset.CR3",))])
    panel = ResultsPanel(model, edge)
    qtbot.addWidget(panel)
    panel.resize(420, 800)
    panel.show()
    qtbot.waitExposed(panel)
    grid = panel.grid
    grid.executeDelayedItemsLayout()
    margin = grid.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, grid) + 1
    for row, (distance, mark) in enumerate([("distance 13 · 73%", "RAW+JPEG"),
                                            ("distance 3 · 94%", "RAW+HEIC")]):
        text, rect = fitted(grid, row)
        lines = text.split("\u2028")
        assert lines[-2:] == [distance, mark] and "…" in lines[0], lines  # the name shortened
        needed = QFontMetrics(grid.font()).boundingRect(
            QRect(0, 0, rect.width() - 2 * margin, 10000), int(Qt.TextFlag.TextWordWrap),
            text.replace("\u2028", "\n"))
        assert edge + needed.height() <= rect.height(), (lines, rect)


def test_a_library_shot_raw_plus_jpeg_shows_one_result_a_picture_marked(qtbot, make_window,
                                                                       tmp_path):
    card = tmp_path / "card"
    raw_plus_jpeg(card, 5)
    window = indexed(qtbot, make_window, card, 10, tiles=5)
    window.results_panel.slider.setValue(window.results_panel.slider.maximum())  # every photo
    matches = search_with(qtbot, window, card / "IMG_0000.JPG")
    # Not its own raw, at distance 0; each other picture once, as its JPEG, with its raw.
    assert sorted(names(matches)) == ["IMG_0001.JPG", "IMG_0002.JPG", "IMG_0003.JPG",
                                      "IMG_0004.JPG"]
    assert all(m.twins == (m.path[:-4] + ".CR2",) for m in matches)
    assert header(window).endswith("\n4 found")
    model, grid = window.results_model, window.results_panel.grid
    assert model.rowCount() == 4
    first = model.index(0)
    assert first.data(Qt.ItemDataRole.DisplayRole).endswith("\nRAW+JPEG")
    assert f"its raw file {names(matches)[0][:-4]}.CR2 is the same photo" in first.data(
        Qt.ItemDataRole.ToolTipRole)
    # The cell shows the name, the distance line whole and the mark under it.
    grid.executeDelayedItemsLayout()
    lines = shown_text(grid, 0)
    assert lines[0] == names(matches)[0]
    distance = f"distance {matches[0].distance} · {matches[0].similarity * 100:.0f}%"
    assert lines[1:] == [distance, "RAW+JPEG"]
    # Searched with its raw: its JPEG is left out the same way.
    matches = search_with(qtbot, window, card / "IMG_0000.CR2")
    assert sorted(names(matches)) == ["IMG_0001.JPG", "IMG_0002.JPG", "IMG_0003.JPG",
                                      "IMG_0004.JPG"]


def test_a_pair_alone_in_the_library_has_nothing_to_compare_with(qtbot, make_window, tmp_path):
    card = tmp_path / "card"
    raw_plus_jpeg(card, 1)
    window = indexed(qtbot, make_window, card, 2, tiles=1)
    assert search_with(qtbot, window, card / "IMG_0000.JPG") == []
    # Not "move the slider right": the only other photo is its own raw.
    assert header(window).endswith("nothing in the library to compare it with yet")


def test_show_more_never_brings_a_raw_left_out_back(qtbot, make_window, tmp_path):
    card = tmp_path / "card"
    raw_plus_jpeg(card, 6)
    window = indexed(qtbot, make_window, card, 12, tiles=6, results_count=2)
    panel, model = window.results_panel, window.results_model
    panel.slider.setValue(panel.slider.maximum())
    shown = [search_with(qtbot, window, card / "IMG_0000.JPG")]
    assert header(window).endswith("the 2 closest shown; there may be more within this "
                                   "distance")
    while panel.more_button.isVisible() and len(shown) < 5:
        with qtbot.waitSignal(window.results_shown, timeout=20000) as more:
            panel.more_button.click()
        shown.append(more.args[0])
    # Two more a press, the five other pictures in all (its own raw not counted among them).
    assert [len(matches) for matches in shown] == [2, 4, 5]
    assert shown[1][:2] == shown[0] and shown[2][:4] == shown[1]  # appended, in order
    assert model.matches() == shown[-1]
    assert sorted(names(model.matches())) == [f"IMG_000{n}.JPG" for n in range(1, 6)]
    assert all(m.twins for m in model.matches())
    assert header(window).endswith("\n5 found")


def test_the_duplicates_tab_takes_a_pair_for_one_photo(qtbot, make_window, tmp_path):
    card, backup = tmp_path / "card", tmp_path / "backup"
    raw_plus_jpeg(card, 2)
    backup.mkdir()
    copy = backup / "IMG_0000 (1).JPG"  # a real copy of the first picture's JPEG
    shutil.copyfile(card / "IMG_0000.JPG", copy)
    window = indexed(qtbot, make_window, tmp_path, 5, tiles=3)
    panel = window.duplicates_panel
    panel.distance_spin.setValue(6)
    with qtbot.waitSignal(window.duplicates_shown, timeout=20000):
        panel.find_button.click()
    # The pair alone (IMG_0001) is no group; the pair with a copy is its raw and the copy.
    raw = str(card / "IMG_0000.CR2")
    assert panel.groups_shown() == [[raw, str(copy)]]
    assert panel.checked_paths() == [str(copy)]  # never the camera's JPEG
    kept = panel.tree.topLevelItem(0).child(0)
    assert kept.toolTip(0) == (f"{raw}\nKept, not ticked: the camera's raw file. With its "
                               "JPEG twin IMG_0000.JPG (shot RAW+JPEG: the same photo), not "
                               "listed.")
    assert panel.status.text().startswith("1 group of near-identical photos")


def test_the_raw_says_its_jpeg_twin_again_when_undo_puts_it_back(qtbot, tmp_path,
                                                                 monkeypatch):
    use_own_trash(monkeypatch, tmp_path / "xdg")
    card = tmp_path / "card"
    raw_plus_jpeg(card, 1)
    copy = tmp_path / "backup" / "IMG_0000 (1).JPG"
    copy.parent.mkdir()
    shutil.copyfile(card / "IMG_0000.JPG", copy)
    paths = [str(card / "IMG_0000.CR2"), str(card / "IMG_0000.JPG"), str(copy)]
    ids = np.arange(1, 4)  # one code for all three: one group, as the search finds it
    snap = SearchSnapshot(HammingIndex(ids, np.zeros((3, 1), dtype=np.uint8), 8),
                          dict(zip(ids.tolist(), paths, strict=True)))
    (group,) = snap.duplicates(0)
    panel = duplicates_panel(qtbot, [keeper_first(group, snap)])
    assert panel.groups_shown() == [[paths[0], paths[2]]]
    twin_note = "With its JPEG twin IMG_0000.JPG (shot RAW+JPEG: the same photo), not listed."
    kept, ticked = (panel.tree.topLevelItem(0).child(j) for j in range(2))
    assert kept.toolTip(0).endswith(twin_note) and twin_note not in ticked.toolTip(0)
    # The user trashes the raw instead of the copy (its JPEG stays), then thinks better of it.
    kept.setCheckState(0, Qt.CheckState.Checked)
    ticked.setCheckState(0, Qt.CheckState.Unchecked)
    with qtbot.waitSignal(panel.trashed, timeout=20000):
        panel.trash_button.click()
    assert not os.path.exists(paths[0]) and os.path.exists(paths[1])
    with qtbot.waitSignal(panel.restored, timeout=20000):
        panel.undo_button.click()
    back = panel.tree.topLevelItem(0).child(0)
    assert back.path == paths[0] and back.toolTip(0).endswith(twin_note)
