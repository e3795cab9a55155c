"""The looks the tests put the application in: a dark palette (as a dark desktop gives Fusion,
Qt's style for a desktop without one of its own), and the application's style and style sheet
as app.main sets them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtGui import QColor, QPalette

from desktop_app.paths import resources_dir
from desktop_app.ui.visible_boxes import use_visible_boxes

DARK = {QPalette.ColorRole.Window: "#353535", QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#232323", QPalette.ColorRole.AlternateBase: "#2d2d2d",
        QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#353535",
        QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.Highlight: "#2a82da",
        QPalette.ColorRole.HighlightedText: "#ffffff"}


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in DARK.items():
        palette.setColor(role, QColor(colour))
    return palette


@contextmanager
def app_look(qapp, dark: bool, app_style: bool = False) -> Iterator[QPalette]:
    """The application in a dark palette (or the one it has), with the app's style and style
    sheet if asked; all taken off again. Gives the palette in use."""
    kept, style = qapp.palette(), qapp.style().name()
    try:
        if dark:
            qapp.setPalette(dark_palette())
        if app_style:
            use_visible_boxes(qapp)
            qapp.setStyleSheet((resources_dir() / "style" / "app.qss").read_text(
                encoding="utf-8"))
        yield qapp.palette()
    finally:
        if app_style:
            qapp.setStyleSheet("")
            qapp.setStyle(style)
        qapp.setPalette(kept)
