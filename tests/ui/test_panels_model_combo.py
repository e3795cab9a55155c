"""The Model tab's list of models: each entry short and clear ("default · 96 bits · 233 of 233
encoded (active)"), its whole description in a tooltip. It read "default (96 bits) — default —
233 of 233 photos encoded  (active)": the name twice, two spaces, cut off in an 800-pixel
window. Real ModelPanel and MainWindow (offscreen), tiny real ONNX models."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyle, QStyleOptionComboBox
from tiny_model import make_tiny_model
from ui_helpers import indexed

from desktop_app import paths
from desktop_app.core.encoder import open_model_folder
from desktop_app.core.model_registry import import_model
from desktop_app.ui.model_panel import ModelPanel


def row_of(panel, folder) -> int:
    return panel.models_combo.findData(str(folder))


def text_of(panel, folder) -> str:
    return panel.models_combo.itemText(row_of(panel, folder))


def tip_of(panel, folder) -> str:
    return panel.models_combo.itemData(row_of(panel, folder), Qt.ItemDataRole.ToolTipRole)


def test_each_entry_says_name_bits_count_and_active_once(qtbot, tiny_model_dir):
    copy = import_model(tiny_model_dir)
    card = open_model_folder(copy).card
    default = open_model_folder(paths.default_model_dir()).card
    panel = ModelPanel()
    qtbot.addWidget(panel)
    panel.show_card(card, str(copy))
    assert text_of(panel, copy) == "tiny-48 · 48 bits (active)"  # not counted yet: no guess
    panel.set_encoded_counts({card.model_id: 1234}, 1500)
    assert text_of(panel, copy) == "tiny-48 · 48 bits · 1,234 of 1,500 encoded (active)"
    assert text_of(panel, paths.default_model_dir()) == (
        f"{default.name} · {default.bits} bits · 0 of 1,500 encoded")
    # Nothing lost: the folder (the copy's name holds its id), the count's unit, the role.
    assert tip_of(panel, copy) == (f"tiny-48: 48-bit codes\nFolder: {copy}\n"
                                   "1,234 of 1,500 photos of the library encoded with it\n"
                                   "The active model: searches use it")
    assert tip_of(panel, paths.default_model_dir()) == (
        f"{default.name}: {default.bits}-bit codes\nFolder: {paths.default_model_dir()}\n"
        "0 of 1,500 photos of the library encoded with it")
    combo = panel.models_combo
    combo.setCurrentIndex(row_of(panel, copy))
    assert combo.toolTip() == tip_of(panel, copy)  # the closed box says it too
    combo.setCurrentIndex(row_of(panel, paths.default_model_dir()))
    assert combo.toolTip() == tip_of(panel, paths.default_model_dir())
    panel.set_encoded_counts({default.model_id: 1500}, 1500)  # relabelled in place
    assert "\n1,500 of 1,500 photos" in combo.toolTip()


def test_models_of_one_name_are_told_apart_by_their_folders(qtbot):
    first = make_tiny_model(paths.models_dir() / "holiday-a", bits=32, seed=1, name="holiday")
    second = make_tiny_model(paths.models_dir() / "holiday-b", bits=32, seed=2, name="Holiday")
    panel = ModelPanel()
    qtbot.addWidget(panel)
    panel.show_card(None, "")
    assert text_of(panel, first) == "holiday · 32 bits · holiday-a"
    assert text_of(panel, second) == "Holiday · 32 bits · holiday-b"


def test_the_active_entry_fits_an_800_pixel_window(qtbot, make_window, library_photos):
    window = indexed(qtbot, make_window, library_photos, 6,
                     model_dir=str(paths.default_model_dir()))
    window.resize(800, 600)
    window.tabs.setCurrentIndex(3)  # Model
    combo = window.model_panel.models_combo
    qtbot.waitUntil(lambda: "6 of 6 encoded (active)" in combo.currentText(), timeout=20000)
    qtbot.waitUntil(lambda: window.width() == 800 and combo.isVisible(), timeout=5000)
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    room = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                        QStyle.SubControl.SC_ComboBoxEditField, combo)
    assert combo.fontMetrics().horizontalAdvance(combo.currentText()) <= room.width()


def test_a_folder_name_that_is_not_utf8_keeps_its_bytes_in_the_entry(qtbot, tmp_path):
    """Found in review: the tooltip's Folder line (and the folder told apart in the entry) went
    through a Qt string, which drops the bytes of a name that is not UTF-8: "Folder: .../m"
    named another folder. Shown as \\xNN, as the folder list shows them."""
    odd = make_tiny_model(tmp_path / "m\udce9", bits=32, seed=3, name="holiday")
    make_tiny_model(paths.models_dir() / "holiday-a", bits=32, seed=1, name="holiday")
    panel = ModelPanel()
    qtbot.addWidget(panel)
    panel.show_card(open_model_folder(odd).card, str(odd))
    combo = panel.models_combo
    row = next(r for r in range(combo.count()) if "(active)" in combo.itemText(r))
    assert combo.itemText(row) == f"holiday · 32 bits · {tmp_path}/m\\xe9 (active)"
    assert f"\nFolder: {tmp_path}/m\\xe9\n" in combo.itemData(row, Qt.ItemDataRole.ToolTipRole)


def test_switching_to_a_model_in_a_folder_not_utf8_asks_for_that_folder(qtbot, tmp_path):
    """The switch read the folder from the combo's item data, a Qt string that drops the
    bytes of a name that is not UTF-8: it asked for another folder, or none."""
    odd = make_tiny_model(tmp_path / "m\udce9", bits=32, seed=3, name="odd")
    make_tiny_model(paths.models_dir() / "other", bits=32, seed=1, name="other")
    panel = ModelPanel()
    qtbot.addWidget(panel)
    panel.show_card(open_model_folder(odd).card, str(odd))
    combo = panel.models_combo
    combo.setCurrentIndex(next(r for r in range(combo.count()) if "odd" in combo.itemText(r)))
    asked: list[str] = []
    panel.switch_requested.connect(asked.append)
    panel._switch()
    assert asked == [str(odd)]
