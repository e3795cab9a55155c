"""The Duplicates tab's status line says "distance", as its spin box ("Max distance"), its
Distance column and the results panel do: it said "more than 12 bits from the one kept"."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel
from ui_helpers import as_group, duplicates_panel, photo_copies

from desktop_app.core.records import Match


def test_photos_left_unticked_are_said_to_be_past_the_distance(qtbot, tmp_path):
    paths = photo_copies(tmp_path, "truck", 3)
    panel = duplicates_panel(qtbot, [])
    panel.set_groups([as_group(paths[:2], 1) + [Match(3, paths[2], 19, 96)]], max_distance=12)
    assert panel.status.text() == ("1 group of near-identical photos. Photos at a distance of "
                                   "more than 12 from the one kept are not ticked: look at "
                                   "them first.")
    assert panel.tree.headerItem().text(1) == "Distance"
    assert "Max distance" in [label.text() for label in panel.findChildren(QLabel)]
