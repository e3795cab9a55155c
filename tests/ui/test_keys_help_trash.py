"""F1's list names the trash as the Trash button and its messages do, per system."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtWidgets import QWidget

from desktop_app.ui.keys_help import show_keys


@pytest.mark.parametrize("platform, bin", [("darwin", "Trash"), ("win32", "Recycle Bin"),
                                          ("linux", "trash")])
def test_the_keys_list_names_the_trash_as_the_system_does(qtbot, monkeypatch, platform, bin):
    """The list always said "the trash", where the Move button says "the Recycle Bin" on
    Windows and "the Trash" on a Mac."""
    parent = QWidget()
    qtbot.addWidget(parent)
    monkeypatch.setattr(sys, "platform", platform)  # as file_actions.trash_name reads it
    box = show_keys(parent)
    monkeypatch.undo()
    assert f"Duplicates: move the ticked photos to the {bin}<" in box.text()
    assert f"Duplicates: put back the photos last moved to the {bin}<" in box.text()
    box.close()
