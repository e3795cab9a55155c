"""Waiting helpers for the app tests."""

from __future__ import annotations


def wait_rows(qtbot, window, count: int, timeout: int = 60000) -> None:
    qtbot.waitUntil(lambda: window.photos_model.rowCount() == count, timeout=timeout)


def wait_idle(qtbot, window, timeout: int = 60000) -> None:
    qtbot.waitUntil(lambda: window.folders_panel.activity.text() == "", timeout=timeout)
