"""The Model tab: the active model's card, models to switch to, import, and retraining."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import printable
from ..core.model_card import ModelCard
from ..core.model_registry import app_model_cards
from .model_card_html import DETAILS_LINK, card_html
from .wrapped_label import WrappedLabel


def encoded_text(model_id: str, encoded: dict[str, int] | None, readable: int) -> str:
    """"1,234 of 1,500": how much of the library already has codes from the model, so switching
    to it is instant when all are; "" until the library was counted."""
    if encoded is None or not readable:
        return ""
    # min: another process may add codes between the two counts
    return f"{min(encoded.get(model_id, 0), readable):,} of {readable:,}"


@dataclass(frozen=True)
class _Entry:
    """A model listed in the combo box."""
    card: ModelCard
    folder: str
    shown: str  # the folder's name, or the whole folder for one outside the models folder
    active: bool
    same_name: bool  # another entry has its name: the folder tells them apart


def entry_label(entry: _Entry, counted: str) -> str:
    """"default · 96 bits · 233 of 233 encoded (active)": short, so it fits an 800-pixel
    window; the folder only where another model has the same name (entry_tooltip says all)."""
    parts = [entry.card.name, f"{entry.card.bits} bits"]
    if entry.same_name:
        parts.append(printable(entry.shown))
    if counted:
        parts.append(f"{counted} encoded")
    return " · ".join(parts) + (" (active)" if entry.active else "")


def entry_tooltip(entry: _Entry, counted: str) -> str:
    # printable: a Qt string drops the bytes of a folder name that is not UTF-8 (another
    # folder named), as the folder list shows them (\xNN).
    lines = [f"{entry.card.name}: {entry.card.bits}-bit codes",
             f"Folder: {printable(entry.folder)}"]
    if counted:
        lines.append(f"{counted} photos of the library encoded with it")
    if entry.active:
        lines.append("The active model: searches use it")
    return "\n".join(lines)


class ModelPanel(QWidget):
    import_requested = Signal(object)  # a folder to import
    switch_requested = Signal(object)  # a model folder to switch to (a Python str: its bytes kept)
    retrain_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.card: ModelCard | None = None
        self.folder = ""
        self._entries: list[_Entry] = []  # per entry of models_combo, in its order
        self._encoded: dict[str, int] | None = None  # see set_encoded_counts
        self._readable = 0
        layout = QVBoxLayout(self)
        self.card_view = QTextBrowser()
        self.card_view.setOpenExternalLinks(False)
        self.card_view.setOpenLinks(False)  # its one link shows or hides the technical details
        self.card_view.anchorClicked.connect(self._toggle_details)
        self.details_shown = False
        self._problems = ("", "")  # show_card's problem and library_problem, for a redraw
        self.card_view.setAccessibleName("Active model")
        layout.addWidget(self.card_view, 1)
        row = QHBoxLayout()
        self.models_combo = QComboBox()
        # The entry's whole text, also when the window is too narrow for it.
        self.models_combo.currentIndexChanged.connect(
            lambda row: self.models_combo.setToolTip(self.models_combo.itemData(
                row, Qt.ItemDataRole.ToolTipRole) or ""))
        self.switch_button = QPushButton("Switch to this model")
        self.switch_button.clicked.connect(self._switch)
        label = QLabel("Models")
        # A combo box's name is its entry on Linux; screen readers find the label by its buddy.
        label.setBuddy(self.models_combo)
        row.addWidget(label)
        row.addWidget(self.models_combo, 1)
        row.addWidget(self.switch_button)
        layout.addLayout(row)
        buttons = QHBoxLayout()
        self.import_button = QPushButton("Import model folder…")
        self.import_button.clicked.connect(self._import)
        self.retrain_button = QPushButton("Retrain on my albums…")
        self.retrain_button.clicked.connect(self.retrain_requested)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.retrain_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        # Its lines whole in a small window too: the card above, which scrolls, gives way.
        self.note = WrappedLabel("Switching encodes in the background the photos the chosen "
                                 "model has no code for yet (with every photo encoded, it is "
                                 "instant); searches keep using the current model until it is "
                                 "done. Choosing the active model again stops a switch under "
                                 "way (the codes made so far are kept).")
        layout.addWidget(self.note)
        self.show_card(None, "")

    def show_card(self, card: ModelCard | None, folder: str, problem: str = "",
                  library_problem: str = "") -> None:
        self.card, self.folder = card, folder
        self._problems = (problem, library_problem)
        self._show_text()
        self.refresh_models()
        self._choose_active()  # at a start, and when a switch (or a retrain's) is done

    def _show_text(self) -> None:
        self.card_view.setHtml(card_html(self.card, self.folder, *self._problems,
                                         details=self.details_shown))

    def _toggle_details(self, link: QUrl) -> None:
        if link.toString() == DETAILS_LINK:
            self.details_shown = not self.details_shown
            self._show_text()

    def refresh_models(self) -> None:
        """List every model folder we know: the default one and imported/trained ones. The
        entry chosen stays chosen (a retrain's new model is listed while one is looked at);
        else the active model is."""
        row = self.models_combo.currentIndex()
        chosen = self._entries[row].folder if 0 <= row < len(self._entries) else None
        self.models_combo.clear()
        models = [(card, str(folder), folder.name) for folder, card in app_model_cards()]
        known = {Path(folder).resolve() for _, folder, _ in models}
        if self.card is not None and self.folder and Path(self.folder).resolve() not in known:
            # The active model may live anywhere: named by its whole folder.
            models.insert(0, (self.card, self.folder, self.folder))
        names = [card.name.casefold() for card, _, _ in models]
        active = self._active_folder(models)
        self._entries = []
        for card, folder, shown in models:
            self._entries.append(_Entry(card, folder, shown, folder == active,
                                        names.count(card.name.casefold()) > 1))
            self.models_combo.addItem("", folder)
            self._relabel(len(self._entries) - 1)
        self.switch_button.setEnabled(self.models_combo.count() > 0)
        folders = [entry.folder for entry in self._entries]
        if chosen in folders:
            self.models_combo.setCurrentIndex(folders.index(chosen))
        else:
            self._choose_active()

    def _active_folder(self, models: list[tuple[ModelCard, str, str]]) -> str | None:
        """The folder listed as the active model: one holding the model the library uses (by
        id: the folder it was loaded from may hold another one since, trained or exported into
        it), that folder if it still does."""
        if self.card is None:
            return None
        folders = [folder for card, folder, _ in models if card.model_id == self.card.model_id]
        here = Path(self.folder).resolve() if self.folder else None
        return next((f for f in folders if Path(f).resolve() == here),
                    folders[0] if folders else None)

    def showEvent(self, event) -> None:
        """The list is read again as the tab is shown: the command line may have imported or
        trained models into the models folder meanwhile."""
        super().showEvent(event)
        if not event.spontaneous():
            self.refresh_models()

    def _choose_active(self) -> None:
        """The combo shows the active model (not the first listed, the default)."""
        for row, entry in enumerate(self._entries):
            if entry.active:
                self.models_combo.setCurrentIndex(row)
                return

    def set_encoded_counts(self, encoded: dict[str, int], readable: int) -> None:
        """The library's photos with codes per model id, of its `readable` photos (from the
        indexer thread, after jobs and switches): the labels change in place, the choice
        stays."""
        self._encoded, self._readable = dict(encoded), readable
        for row in range(min(self.models_combo.count(), len(self._entries))):
            self._relabel(row)

    def _relabel(self, row: int) -> None:
        entry = self._entries[row]
        counted = encoded_text(entry.card.model_id, self._encoded, self._readable)
        self.models_combo.setItemText(row, entry_label(entry, counted))
        tip = entry_tooltip(entry, counted)
        self.models_combo.setItemData(row, tip, Qt.ItemDataRole.ToolTipRole)
        if row == self.models_combo.currentIndex():
            self.models_combo.setToolTip(tip)

    def _switch(self) -> None:
        # From the entry, not the combo's item data: a Qt string drops the bytes of a folder
        # name that is not UTF-8, and named another folder (or none).
        row = self.models_combo.currentIndex()
        if 0 <= row < len(self._entries):
            self.switch_requested.emit(self._entries[row].folder)

    def _import(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Model folder (model.onnx + model.json)")
        if folder:
            self.import_requested.emit(folder)
