"""The Model tab's card speaks to a user: what the model is for, its code length, how good it is
(saying where that was measured), where it came from and what to do. The card's developer notes
(rebuild command, benchmark script, the measuring machine's sharing, hashes, opset, probe) are
shown only behind its "Show technical details" link, in smaller text."""

from __future__ import annotations

import json
import re
import shutil

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from desktop_app import paths
from desktop_app.core.model_card import read_card
from desktop_app.ui.model_panel import ModelPanel

DEVELOPER_NOTES = ("bench/", "engineers", "nice -n", "opset", "probe", "sha256")


def shown_panel(qtbot, folder) -> ModelPanel:
    panel = ModelPanel()
    qtbot.addWidget(panel)
    panel.resize(800, 600)
    panel.show_card(read_card(folder), str(folder))
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def click_link(qtbot, panel: ModelPanel, words: str) -> None:
    """A mouse click on the card's link that reads `words`, where the card shows it."""
    view = panel.card_view
    found = view.document().find(words)
    assert not found.isNull(), view.toPlainText()
    cursor = QTextCursor(view.document())
    cursor.setPosition(found.selectionStart() + 2)
    assert cursor.charFormat().isAnchor()
    view.setTextCursor(cursor)
    view.ensureCursorVisible()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.cursorRect(cursor).center())


def test_the_default_models_card_says_what_it_is_for_and_keeps_developer_notes_aside(qtbot):
    folder = paths.default_model_dir()
    card = read_card(folder)
    panel = shown_panel(qtbot, folder)
    text = panel.card_view.toPlainText()
    assert "Active model: default" in text
    assert "96 bits a photo" in text and "32 bits for the kind of thing shown" in text
    assert "A model for photos of any kind" in text and "edited copies of a photo" in text
    # Its figures, said to be the benchmark's: 0.931875 of edited copies find their original.
    assert "Measured on Lookalike's benchmark, not on your photos" in text
    assert "finds its original first 93%" in text
    assert "It comes with Lookalike" in text and "Switch to this model" in text
    for note in (*DEVELOPER_NOTES, card.model_id[:16]):
        assert note not in text, note

    click_link(qtbot, panel, "Show technical details")
    qtbot.waitUntil(lambda: "Technical details" in panel.card_view.toPlainText())
    details = panel.card_view.toPlainText()
    assert card.model_id in details and "opset 17" in details
    assert "bench/default_model_bench.py" in details
    assert "shared with three other engineers' jobs" in details
    assert "-m bench.build_default_model" in details
    # In smaller text than the card above it.
    document = panel.card_view.document()
    main_size = document.find("What it is").charFormat().font().pointSizeF()
    details_size = document.find("bench/default_model_bench.py").charFormat().font().pointSizeF()
    assert details_size < main_size

    click_link(qtbot, panel, "Hide technical details")
    qtbot.waitUntil(lambda: "bench/" not in panel.card_view.toPlainText())
    assert "Show technical details" in panel.card_view.toPlainText()


def trained_copy(tiny_model_dir, folder):
    """tiny_model_dir's model with the card the trainer writes (album labels, splits, its
    held-out evaluation), in `folder`."""
    shutil.copytree(tiny_model_dir, folder)
    raw = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    raw["description"] = "Trained on 15 photos in 3 albums (cats, microscopy, space)"
    raw["training"] = {"backbone": "efficientnet_lite0", "labels": ["cats", "microscopy", "space"],
                       "splits": {"train": 9, "val": 3, "query": 3}}
    raw["evaluation"] = {"map_all": 0.8123, "map_all_random": 0.4608, "queries": 3,
                         "database": 12}
    (folder / "model.json").write_text(json.dumps(raw), encoding="utf-8")
    return folder


def test_a_trained_model_says_its_albums_its_held_out_figure_and_when_it_was_trained(
        qtbot, tiny_model_dir):
    folder = trained_copy(tiny_model_dir, paths.models_dir() / "trained-20261202-101500")
    (folder / "training").mkdir()  # the trainer's run files, which the retrain dialog keeps
    (folder / "training" / "training.json").write_text('{"mode": "frozen"}', encoding="utf-8")
    text = shown_panel(qtbot, folder).card_view.toPlainText()
    assert "A model trained on photo albums" in text
    assert "15 photos in 3 albums: cats, microscopy, space" in text
    assert ("Measured by the trainer on 3 photos of its albums kept out of training, each "
            "searched for among 12 others: mAP 0.812") in text
    assert re.search(r"You trained it with Lookalike's trainer on \d{4}-\d\d-\d\d; it is in "
                     + re.escape(str(folder)), text), text
    assert "efficientnet_lite0" not in text


def test_an_imported_model_and_a_model_used_from_its_own_folder_say_so(
        qtbot, tiny_model_dir, tmp_path):
    imported = trained_copy(tiny_model_dir, paths.models_dir() / "holiday-0123456789ab")
    text = shown_panel(qtbot, imported).card_view.toPlainText()
    assert f"Imported: Lookalike keeps its copy in {imported}." in text
    assert "You trained it" not in text
    own = trained_copy(tiny_model_dir, tmp_path / "from a colleague")
    text = shown_panel(qtbot, own).card_view.toPlainText()
    assert f"Used from its own folder, {own}: Lookalike keeps no copy of it" in text


def test_a_hand_made_card_with_odd_figures_is_shown_without_them(qtbot, tiny_model_dir,
                                                                 tmp_path):
    """A model.json written by hand may hold any JSON number: one too big for a float (Python
    reads 4,300 digits) raised in the Model tab; NaN, a flag or a negative count is no figure."""
    folder = trained_copy(tiny_model_dir, tmp_path / "hand-made")
    raw = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    raw["evaluation"] = {"map_all": 10 ** 400, "queries": -3, "database": True,
                         "neardup_recall1_cifar": {"model": {"all": float("nan")}},
                         "encoding_speed": {"end_to_end_photos_per_s": 10 ** 400}}
    (folder / "model.json").write_text(json.dumps(raw), encoding="utf-8")
    text = shown_panel(qtbot, folder).card_view.toPlainText()
    assert "Its card holds no measured figures." in text
    # A null tie-aware figure leaves the plain mAP; odd counts of photos are not said.
    raw["evaluation"] = {"map_all_tie_aware": None, "map_all": 0.75, "queries": -3,
                         "database": True}
    (folder / "model.json").write_text(json.dumps(raw), encoding="utf-8")
    text = shown_panel(qtbot, folder).card_view.toPlainText()
    assert ("Measured by the trainer on photos of its albums kept out of training: mAP 0.750, "
            "where 1 means") in text, text


def test_the_models_list_shows_the_active_model_chosen(qtbot, tiny_model_dir):
    """At a start with a trained model active, and when a switch is done, the Models list shows
    the active model, not the first one listed (the default); listing a new model (a retrain's)
    keeps the entry chosen."""
    default = str(paths.default_model_dir())
    trained = str(trained_copy(tiny_model_dir, paths.models_dir() / "trained-20261202-101500"))
    panel = shown_panel(qtbot, trained)
    combo = panel.models_combo
    assert combo.currentData() == trained and combo.currentText().endswith("(active)")
    combo.setCurrentIndex(combo.findData(default))
    trained_copy(tiny_model_dir, paths.models_dir() / "trained-20261202-111500")
    panel.refresh_models()
    assert combo.count() == 3 and combo.currentData() == default
    panel.show_card(read_card(trained), trained)  # e.g. a switch to it cancelled: it stays
    assert combo.currentData() == trained
