"""Photos that could not be read, each with the reason, and a way to try them again."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .models import FailedPhotosModel, exact_path
from .photo_grid import photo_actions
from .wording import count_of


class FailedPanel(QWidget):
    retry_requested = Signal()
    message = Signal(str)

    def __init__(self, model: FailedPhotosModel, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.table = QTableView()
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(True)
        self.table.setAccessibleName("Photos that could not be read")
        # activated: a double-click, and Enter too (a double-click alone left the keyboard out).
        self.table.activated.connect(self._open)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.retry_button = QPushButton("Try these photos again")
        self.retry_button.clicked.connect(self.retry_requested)
        row.addWidget(self.retry_button)
        row.addStretch(1)
        layout.addLayout(row)
        model.modelReset.connect(self._update_summary)
        self._update_summary()

    def _update_summary(self) -> None:
        n = self.model.rowCount()
        them = "it" if n == 1 else "them"
        # "photos", as the tab and the button name them (not "file(s)")
        self.summary.setText(
            "Every photo could be read." if n == 0 else
            f"{count_of(n, 'photo')} could not be read. Fix or replace {them}, then press "
            "Try these photos again; a photo still being copied is read again by itself when "
            "it changes. Double-click a photo (or press Enter) to open it.")
        self.retry_button.setEnabled(n > 0)

    def _open(self, index) -> None:
        path = exact_path(index)
        if path:
            dict(photo_actions(path, lambda: None, self.message.emit))["Open with default viewer"]()
