"""The results view: what was searched for, the ranked look-alikes with their Hamming distance
and similarity, a Show more button while more may lie within the distance, and a slider for
the largest distance shown."""

from __future__ import annotations

import html
import os

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import printable
from .models import ResultsModel, exact_path
from .photo_grid import PhotoGrid
from .wrapped_label import WrappedLabel

WIDEST_DETAIL = "distance 99 · 100%"  # about the widest second line of a ResultsModel row
HINT = ("Click a photo (or press Enter on it) to see the photos that look like it. You can "
        "also drop or paste a photo here.")


class ResultsPanel(QWidget):
    max_distance_changed = Signal(int)

    def __init__(self, model: ResultsModel, edge: int = 160, max_distance: int = 12,
                 parent=None) -> None:
        super().__init__(parent)
        self.model = model
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        header = QHBoxLayout()
        self.query_image = QLabel()
        self.query_image.setFixedSize(72, 72)
        self.query_image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # The picture given to it: the label hands back a copy made for its own screen's
        # pixel ratio, not the one it was given.
        self.query_picture: QPixmap | None = None
        # Wrapped, and as tall as its lines: a narrow panel in a small window cut them off.
        self.query_label = WrappedLabel(HINT)
        # No search, no picture: an empty 72-pixel square pushed the hint in from the left edge
        # the slider's label starts at.
        self.query_image.setVisible(False)
        # The next closest, appended (as scrolling to the end of the results does). Under the
        # count it belongs to; shown only while more may lie within the distance.
        self.more_button = QPushButton("Show more")
        self.more_button.setToolTip("Show the next closest photos within this distance")
        self.more_button.setAccessibleDescription("Shows the next closest photos within this "
                                                  "distance, after those already shown")
        self.more_button.setVisible(False)
        self.more_button.clicked.connect(self._on_more)
        self._reveal_row: int | None = None  # the first row Show more asked for
        self._revealed: int | None = None  # the first row its answer brought, scrolled to
        text = QVBoxLayout()
        text.addWidget(self.query_label)
        text.addWidget(self.more_button, 0, Qt.AlignmentFlag.AlignLeft)
        header.addWidget(self.query_image)
        header.addLayout(text, 1)
        layout.addLayout(header)
        slider_row = QHBoxLayout()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 48)
        self.slider.setValue(max_distance)
        # Plain words: "distance" is what the results and this slider's label show.
        self.slider.setToolTip("Photos further than this from the one searched for are "
                               "hidden: smaller is stricter")
        # Its label is a separate QLabel: a screen reader would say only "slider, 12".
        self.slider.setAccessibleName("Max distance")
        self.slider_label = WrappedLabel()  # a narrow panel in a large font: two lines
        # The slider on a line of its own: beside its label and value, a large font left it
        # 15 pixels wide (16 pt), too short to drag, and made the panel at least 437 wide.
        slider_row.addWidget(QLabel("Max distance"))
        slider_row.addWidget(self.slider_label, 1)  # all the room left: wraps only if short
        layout.addLayout(slider_row)
        layout.addWidget(self.slider)
        # The name (on the lines left) and the distance and similarity, kept on one line.
        self.grid = PhotoGrid(edge, text_lines=3, widest_line=WIDEST_DETAIL)
        self.grid.setModel(model)
        self.grid.setAccessibleName("Similar photos")
        layout.addWidget(self.grid, 1)
        if model is not None:  # (a panel made for its header alone has none)
            model.rowsInserted.connect(self._on_rows_inserted)  # after the grid's own slot
        self.slider.valueChanged.connect(self._on_slider)
        self._on_slider(self.slider.value(), emit=False)

    def set_edge(self, edge: int) -> None:
        """Thumbnails of `edge` pixels (a zoom). The header's picture stays 72 pixels: the
        search controller asks the cache for it again (`rescaled`)."""
        self.grid.set_edge(edge)

    def set_bits(self, bits: int, value: int | None = None) -> None:
        value = min(self.slider.value() if value is None else value, bits)
        self.slider.blockSignals(True)  # a new model is not a new search request
        self.slider.setRange(0, bits)
        self.slider.setValue(value)
        self.slider.blockSignals(False)
        self._on_slider(value, emit=False)

    def max_distance(self) -> int:
        return self.slider.value()

    def _on_slider(self, value: int, emit: bool = True) -> None:
        bits = max(self.slider.maximum(), 1)
        similar = f"{(1 - value / bits) * 100:.0f}% similar or more"
        self.slider_label.setText(f"{value} ({similar})")
        # Said with the number: what it lets through now, not just the rule of the tooltip.
        self.slider.setAccessibleDescription(f"{value} of {bits} bits: photos {similar} are "
                                             "shown; smaller is stricter")
        if emit:
            self.max_distance_changed.emit(value)

    def show_query(self, path: str, pixmap: QPixmap | None, external: bool = False,
                   name: str | None = None) -> None:
        """`name`: said instead of the file's name (pasted image data: "the pasted image")."""
        where = " (not in the library)" if external else ""
        shown = printable(path)  # a name that is not UTF-8 with its bytes as \xNN (not "caf")
        # The name cut from the exact path: on Windows the \ of an escape (\u202e) would be
        # taken for a separator, leaving "u202egpj.exe".
        name = name or printable(os.path.basename(path))
        self.query_label.setText(f"Photos like <b>{html.escape(name)}</b>{where}")
        self.query_label.setToolTip(shown)
        self._show_more_button(False)  # until its count comes
        self.set_query_picture(pixmap)
        self.query_image.setVisible(True)  # its place kept while the thumbnail is made

    def show_hint(self) -> None:
        """No search: the header says how to make one."""
        self.query_label.setText(HINT)
        self.query_label.setToolTip("")
        self._show_more_button(False)
        self.set_query_picture(None)
        self.query_image.setVisible(False)

    def shows_hint(self) -> bool:
        return self.query_label.text() == HINT

    def show_gone(self, path: str) -> None:
        """The photo searched for left the library (deleted, moved out, or now unreadable)."""
        self.show_problem(path, "is no longer in the library. Click another photo to see its "
                                "look-alikes.")

    def show_problem(self, path: str, sentence: str, name: str | None = None) -> None:
        shown = printable(path)
        name = name or printable(os.path.basename(path))  # not basename(shown): see show_query
        self.query_label.setText(f"<b>{html.escape(name)}</b> {sentence}")
        self.query_label.setToolTip(shown)
        self._show_more_button(False)
        self.set_query_picture(None)
        self.query_image.setVisible(False)

    def set_query_picture(self, pixmap: QPixmap | None) -> None:
        if pixmap is not None and not pixmap.isNull():
            ratio = pixmap.devicePixelRatio()  # 72 logical pixels, on a HiDPI screen too
            small = pixmap.scaled(round(72 * ratio), round(72 * ratio),
                                  Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation)
            small.setDevicePixelRatio(ratio)
            self.query_image.setPixmap(small)
            self.query_picture = small
            self.query_image.setVisible(True)
        else:
            self.query_image.clear()
            self.query_picture = None

    def view_state(self) -> tuple[str | None, list[str], int]:
        """What the user chose in the results: the current photo, the selected ones (by path:
        rows move when the results change) and the scroll position."""
        grid = self.grid
        selected = [exact_path(i) for i in grid.selectionModel().selectedIndexes()]
        return grid.current_path(), selected, grid.verticalScrollBar().value()

    def restore_view_state(self, state: tuple[str | None, list[str], int]) -> None:
        """After the results were replaced: pick again the photos of `view_state()` that are
        still results, and scroll back to where the list was (as far as it goes now)."""
        current, selected, scroll = state
        grid, model = self.grid, self.model
        rows = {exact_path(model.index(r)): r for r in range(model.rowCount())}
        chosen = grid.selectionModel()
        flags = QItemSelectionModel.SelectionFlag
        if current in rows:
            chosen.setCurrentIndex(model.index(rows[current]), flags.NoUpdate)
        for path in selected:
            if path in rows:
                chosen.select(model.index(rows[path]), flags.Select)
        grid.executeDelayedItemsLayout()  # the scroll range of the new rows
        grid.verticalScrollBar().setValue(scroll)  # not where picking the current one scrolled

    def show_count(self, count: int, others: int | None = None, more: bool = False) -> None:
        """`others`: how many other photos the search looked at; `more`: the results were cut
        at the most asked for, and more may lie within the distance (Show more asks for them)."""
        text = self.query_label.text().split("<br>")[0]
        if others == 0:  # an empty library, or this photo alone in it: no slider helps
            found = "nothing in the library to compare it with yet"
        elif not count:
            found = "none within this distance; move the slider right"
        elif more:
            found = f"the {count} closest shown; there may be more within this distance"
        else:
            found = f"{count} found"
        self.query_label.setText(f"{text}<br>{found}")
        self._reveal_row = None  # what Show more asked for has come
        self._show_more_button(more and count > 0)
        self._revealed = None

    def _show_more_button(self, shown: bool) -> None:
        if not shown and self.more_button.hasFocus():
            # Pressed for the last ones: the focus goes to them, not on to the slider. The
            # first of them made current: else the grid made its first result current, scrolled
            # out of view (a screen reader said it; the next arrow jumped to the top).
            if self._revealed is not None and self._revealed < self.model.rowCount():
                self.grid.selectionModel().setCurrentIndex(
                    self.model.index(self._revealed), QItemSelectionModel.SelectionFlag.NoUpdate)
            self.grid.setFocus(Qt.FocusReason.OtherFocusReason)
        self.more_button.setVisible(shown)

    def _on_more(self) -> None:
        if self.model.canFetchMore():  # not while the last press is still being answered
            self._reveal_row = self.model.rowCount()
            self.model.fetchMore()

    def _on_rows_inserted(self, parent, first: int, last: int) -> None:
        # Pressed up in the header: the photos it brings are scrolled into view (scrolling
        # to the end for more leaves the list where it is).
        if self._reveal_row is not None and first == self._reveal_row:
            self.grid.executeDelayedItemsLayout()  # where the new rows lie
            self.grid.scrollTo(self.model.index(first),
                               QAbstractItemView.ScrollHint.PositionAtTop)
            self._revealed = first
        self._reveal_row = None
