"""The status bar's tooltip, where the grid shows pairs, says what a pair is as the grid pairs
files (core/raw_twins.py: a raw and any file of its folder and name that is not a raw): it said
a pair is "shown as its JPEG or HEIF", but a raw beside its TIFF or PNG is one tile too (the real
window, offscreen, real SQLite, the tiny real ONNX model, real DNGs that LibRaw reads as a
camera's)."""

from __future__ import annotations

from photos import make_camera_raw, make_photo
from ui_helpers import indexed

from desktop_app.ui.models import PathRole


def test_the_count_tooltip_names_the_kinds_of_files_shown_for_a_pair(qtbot, make_window,
                                                                      tmp_path):
    card = tmp_path / "card"
    make_camera_raw(card / "IMG_1.DNG", "chelsea")
    tif = make_photo(card / "IMG_1.tif", "chelsea")
    make_camera_raw(card / "IMG_2.DNG", "coffee")
    png = make_photo(card / "IMG_2.png", "coffee")
    window = indexed(qtbot, make_window, card, 4, 2)
    model = window.photos_model
    assert sorted(model.index(r).data(PathRole) for r in range(2)) == [str(tif), str(png)]
    assert window.count_label.text() == "2 pictures (4 files)"
    tip = window.count_label.toolTip()
    assert "TIFF" in tip and "PNG" in tip and "JPEG or HEIF" not in tip
    assert tip.endswith("2 raw files are counted among the files only.")
