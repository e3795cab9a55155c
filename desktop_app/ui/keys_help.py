"""F1: every key the app answers, in one list. There is no menu bar to find them in, and
several belong to a view (the grids, the duplicate groups, the preview) rather than to the
window."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFrame, QLabel, QMessageBox, QScrollArea, QWidget

from .file_actions import trash_name

Std = QKeySequence.StandardKey

# (keys, what they do): a standard key is named as this platform names it (Cmd on a Mac), as is
# each of a tuple of keys (listed with commas), and {bin} as the Trash button does (Trash,
# Recycle Bin or trash).
KEYS = [
    (Std.Open, "Add a folder to the library"),
    (Std.Paste, "Search with the photo (or its path) on the clipboard"),
    ("Ctrl+L", "Go to the library grid"),
    ("Ctrl+R", "Go to the results"),
    ("Ctrl+D", "Show the duplicates"),
    ("Ctrl+Tab, Ctrl+Shift+Tab", "Next or previous tab (from inside the tabs)"),
    ("Arrow keys, Home, End, Page Up, Page Down",
     "Move among the photos (past the last result: the next ones)"),
    ("Enter", "Show the photos that look like the current one (in the results too)"),
    ("Esc", "From the results: back to the library grid; in the library grid: clear the search"),
    ("Shift+arrows, Ctrl+click, Shift+click", "Select several photos (to copy or drag them)"),
    (Std.Copy, "Copy the selected photos, to paste them in a file manager or a document"),
    ("Shift+F10, Menu", "The photo's menu: open it, show it in the file manager, copy its path"),
    ("Ctrl++, Ctrl+-, Ctrl+wheel",
     "Bigger or smaller thumbnails (Ctrl+= too; not in the preview)"),
    ("Ctrl+0", "Thumbnails back to their usual size (not in the preview)"),
    ("Space", "The current photo large, in a preview (in the library grid and the results)"),
    ("Arrow keys, Home, End, Page Up, Page Down",
     "Preview: the other photos of its grid (the grid's current photo follows)"),
    ("Enter", "Preview: close it and show the photos that look like the one shown"),
    ("Space, Esc", "Preview: close it"),
    (Std.Copy, "Preview: copy the photo shown (not the grid's other selected photos)"),
    ("Shift+F10, Menu, right-click", "Preview: the menu of the photo shown"),
    ("Ctrl++, Ctrl+-, Ctrl+wheel, pinch",
     "Preview: zoom the photo in or out (Ctrl+= too; the wheel and a pinch about the pointer)"),
    ("Ctrl+0", "Preview: the photo fitted in the window again"),
    ("Z, 1, double-click",
     "Preview: the photo at 100% (a photo pixel a screen pixel), or fitted again"),
    ("Arrow keys, drag",
     "Preview, zoomed in: move about the photo (fitted, the arrows show the other photos)"),
    ((Std.Paste, Std.Open, "Ctrl+L", "Ctrl+R", "Ctrl+D", "Ctrl+Tab",
      "Ctrl+Shift+Tab"),
     "Preview: close it, then as in the window"),
    ("Space", "Duplicates: tick or untick the current photo"),
    ("Enter, double-click",
     ("Duplicates: the current photo large, in the preview (Space there closes it, as "
      "everywhere: tick the photo in the groups, where Escape leaves you on it)")),
    ("Arrow keys, Page Up, Page Down",
     ("Preview from the duplicates: the next or previous copy, on into the next group; Page Up "
      "and Page Down zoomed in too, at the same zoom and place within a group")),
    ("Home, End",
     "Preview from the duplicates: the first photo of the group (the one kept) or its last"),
    (Std.Delete, "Duplicates: move the ticked photos to the {bin}"),
    (Std.Undo, "Duplicates: put back the photos last moved to the {bin}"),
    ("Enter", "Unreadable photos: open the photo"),
    (Std.HelpContents, "This list"),
    (Std.Quit, "Quit Lookalike"),
]


def key_text(keys) -> str:
    if isinstance(keys, str):
        return keys
    if isinstance(keys, tuple):
        return ", ".join(filter(None, map(key_text, keys)))
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)


def show_keys(parent: QWidget) -> QMessageBox:
    """The list in a message box that does not block the window (Escape closes it); F1
    again while it is open brings it to the front."""
    shown = parent.findChild(QMessageBox, "keyboard-shortcuts")
    if shown is not None and shown.isVisible():
        shown.raise_()
        shown.activateWindow()
        return shown
    rows = "".join(f"<tr><td width='34%'><b>{html.escape(key_text(keys))}</b></td>"
                   f"<td>{html.escape(what.format(bin=trash_name()))}</td></tr>"
                   for keys, what in KEYS if key_text(keys))  # Quit has no key on Windows
    table = f"<table cellspacing='4'>{rows}</table>"
    box = QMessageBox(QMessageBox.Icon.NoIcon, "Keyboard shortcuts", table,
                      QMessageBox.StandardButton.Close, parent)
    box.setObjectName("keyboard-shortcuts")
    _scrolled(box, table)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    # show(), not open(): open() makes it window-modal, and the window then took no key.
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.show()
    return box


def _scrolled(box: QMessageBox, table: str) -> None:
    """The list in a scroll area no taller than the screen: QMessageBox fixes its size to its
    whole text, and at its narrow width the list was 1,200 to 1,500 pixels tall, its end and the
    Close button off any laptop's screen. The box's own label keeps the text (text(), Ctrl+C),
    hidden."""
    label = box.findChild(QLabel, "qt_msgbox_label")
    grid = box.layout()
    if label is None or grid.indexOf(label) < 0:  # not as this Qt lays its boxes out
        return
    row, column, rows, columns = grid.getItemPosition(grid.indexOf(label))
    shown = QLabel(table)
    shown.setTextFormat(Qt.TextFormat.RichText)
    shown.setWordWrap(True)
    shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    scroll = QScrollArea()
    scroll.setObjectName("keys-list")
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(shown)
    label.hide()
    grid.addWidget(scroll, row, column, rows, columns)
    screen = (box.screen() or QGuiApplication.primaryScreen()).availableGeometry()
    # Wide enough for most rows to take one line; tall enough for all, or for what the
    # screen leaves beside the title bar and the Close button.
    width = min(760, screen.width() - 80)
    bar = scroll.verticalScrollBar().sizeHint().width()
    height = min(shown.heightForWidth(width - bar), screen.height() - 200)
    scroll.setMinimumSize(width, max(height, 100))
