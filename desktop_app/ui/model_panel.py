"""The Model tab: the active model's card, models to switch to, import, and retraining."""

from __future__ import annotations

import html
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

from .. import paths
from ..core.errors import printable
from ..core.model_card import ModelCard
from ..core.model_registry import app_model_cards
from ..core.wording import count_of
from .workers import model_folder_missing

DETAILS_LINK = "#technical-details"  # the card's link that shows or hides technical_rows
NEXT_STEPS = ("To use another model, choose it under <i>Models</i> and press <i>Switch to this "
              "model</i>. <i>Import model folder…</i> adds a model made elsewhere; <i>Retrain on "
              "my albums…</i> makes one that tells the photos of your own albums apart.")
FEW_QUERIES = 20  # held-out photos below which a trained model's mAP moves a lot with one photo


def card_html(card: ModelCard | None, folder: str, problem: str = "",
              library_problem: str = "", details: bool = False) -> str:
    """The Model tab's text: what the active model is, how good it is, where it is from and
    what to do; the card's technical record (hashes, settings, the benchmark's and the
    build's notes) only with `details`, in smaller text under the DETAILS_LINK."""
    if card is None and library_problem:  # the model was not loaded: no word on it
        return (f"<h3>The library cannot be opened</h3><p>{html.escape(library_problem)}</p>"
                "<p>The model is loaded with the library.</p>")
    if card is None and folder and ((Path(folder) / "model.json").exists()
                                    or (Path(folder) / "model.onnx").exists()):
        return (f"<h3>The active model is damaged</h3><p>{html.escape(folder)}</p>"
                f"<p>{html.escape(problem or 'It could not be loaded.')}</p><p>Choose the "
                "default model below and press <i>Switch to this model</i>, or import the "
                "model folder again.</p>")
    if card is None and folder and model_folder_missing(folder):
        return (f"<h3>The active model is missing</h3><p>{html.escape(problem or folder)}</p>"
                "<p>Choose the default model below and press <i>Switch to this model</i>, or "
                "import the model folder again.</p>")
    if card is None:
        return (f"<h3>No model installed</h3><p>{html.escape(problem or 'No model is loaded.')}"
                "</p><p>Import a model folder (one holding <tt>model.onnx</tt> and "
                "<tt>model.json</tt>) or retrain on your albums.</p>")
    rows = [("What it is", purpose_text(card)), ("Code length", code_text(card))]
    if trained_on := trained_on_text(card):
        rows.append(("Trained on", trained_on))
    if (card.training or {}).get("flip_average") is True:  # the trainer's --flip-average
        rows.append(("Mirror images", MIRROR_NOTE))
    rows += [("How good it is", quality_text(card)),
             ("Where it is from", origin_text(card, folder))]
    shown = (f"<h3>Active model: {html.escape(printable(card.name))}</h3>"
             f"<table cellspacing='6'>{_table_rows(rows)}</table><p>{NEXT_STEPS}</p>")
    if not details:
        return shown + f"<p><a href='{DETAILS_LINK}'>Show technical details</a></p>"
    return (shown + f"<p><a href='{DETAILS_LINK}'>Hide technical details</a></p>"
            "<div style='font-size: small'><p><b>Technical details</b> (the model card, "
            f"<tt>model.json</tt>)</p><table cellspacing='3'>"
            f"{_table_rows(technical_rows(card, folder))}</table></div>")


def _table_rows(rows: list[tuple[str, str]]) -> str:
    return "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(str(v))}</td></tr>"
                   for k, v in rows)


def _at(notes: Any, *keys: str) -> Any:
    """notes[keys[0]][keys[1]]..., or None where a card lacks one (the notes are free-form)."""
    for key in keys:
        notes = notes.get(key) if isinstance(notes, dict) else None
    return notes


def _number(value: Any) -> bool:
    """A figure that can be shown: not a flag, NaN or infinite, nor an integer too big for a
    float (a hand-made card may hold any of them; formatting 10**400 raises)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _count(value: Any) -> bool:
    """A number of photos that can be said: a whole number above 0."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _named(names: list) -> str:
    shown = ", ".join(printable(str(name)) for name in names[:8])
    return shown + (f" and {len(names) - 8:,} more" if len(names) > 8 else "")


def _code_parts(card: ModelCard) -> tuple[int, int] | None:
    """(same-kind bits, near-duplicate bits) of a code made of both side by side, as the
    default model's build records them in its config; else None."""
    config = _at(card.training, "config")
    same_kind, near_dup = _at(config, "semantic", "bits"), _at(config, "neardup", "bits")
    if isinstance(same_kind, int) and isinstance(near_dup, int) \
            and same_kind + near_dup == card.bits:
        return same_kind, near_dup
    return None


def _albums(card: ModelCard) -> list | None:
    """The album names a model of the trainer learnt from (its card's `training.labels`)."""
    labels = _at(card.training, "labels")
    return labels if isinstance(labels, list) and labels else None


def purpose_text(card: ModelCard) -> str:
    """What the model is for, in plain words."""
    if _albums(card):
        return ("A model trained on photo albums: it finds photos like those of one album "
                "together, and tells them apart from the other albums' photos.")
    if _code_parts(card):
        return ("A model for photos of any kind: it finds photos of the same kind of thing, "
                "and edited copies of a photo (resized, cropped, turned, brightened, "
                "watermarked or mirrored).")
    return card.description or "Its card does not say what it is for."


def code_text(card: ModelCard) -> str:
    text = f"{card.bits} bits a photo ({count_of(card.code_bytes, 'byte')} in the library)"
    if parts := _code_parts(card):
        text += (f": {parts[0]} bits for the kind of thing shown, {parts[1]} for finding "
                 "edited copies")
    return text


def trained_on_text(card: ModelCard) -> str:
    """What the model learnt from ("" where its card does not say in a way we know)."""
    if albums := _albums(card):
        splits = _at(card.training, "splits")
        photos = (sum(splits.values()) if isinstance(splits, dict)
                  and all(isinstance(n, int) for n in splits.values()) else 0)
        where = f"{count_of(len(albums), 'album')}: {_named(albums)}"
        return f"{count_of(photos, 'photo')} in {where}" if photos else where
    fingerprint = _at(card.training, "data_fingerprint")
    photos = _at(fingerprint, "photos")
    if not isinstance(photos, int) or not photos:
        return ""
    text = count_of(photos, "photo")
    if any(str(key).startswith("cifar10") for key in fingerprint):
        text += " from CIFAR-10, a public collection of small photos"
    if _at(fingerprint, "edited_copies") == photos:
        text += ", each with an edited copy"
    return text + "; none of your photos"


def quality_text(card: ModelCard) -> str:
    """How good the model is, in a sentence that says where its figures were measured."""
    evaluation = card.evaluation or {}
    scores = (evaluation.get("map_all_tie_aware"), evaluation.get("map_all"))
    score = next((score for score in scores if _number(score)), None)
    if score is not None:  # the trainer's: measured on photos of the albums it learnt from
        queries, database = evaluation.get("queries"), evaluation.get("database")
        text = "Measured by the trainer on " + (
            f"{count_of(queries, 'photo')} of its albums kept out of training"
            if _count(queries) else "photos of its albums kept out of training")
        if _count(database):
            text += f", each searched for among {database:,} others"
        text += (f": mAP {score:.3f}, where 1 means that the photos of the same album always "
                 "come first")
        if _number(floor := evaluation.get("map_all_random")):
            text += f" and random codes would score about {floor:.2f}"
        if _count(queries) and queries < FEW_QUERIES:
            text += "; with so few photos, a rough figure"
        return text + "."
    if found := benchmark_findings(evaluation):
        return "Measured on Lookalike's benchmark, not on your photos: " + "; ".join(found) + "."
    return "Its card holds no measured figures."


def benchmark_findings(evaluation: dict) -> list[str]:
    """The figures of the default model's benchmark (bench/default_model_bench.py), in words."""
    found = []
    on_cifar = _at(evaluation, "neardup_recall1_cifar", "model", "all")
    on_samples = _at(evaluation, "neardup_recall1_samples", "model", "all")
    if _number(on_cifar):
        found.append(f"an edited copy finds its original first {on_cifar:.0%} of the time"
                     + (f" ({on_samples:.0%} with the sample photos)"
                        if _number(on_samples) else ""))
    same_kind = _at(evaluation, "same_kind_map100_cifar_test", "model")
    if _number(same_kind):
        text = (f"photos of the same kind of thing: mAP@100 {same_kind:.2f} on small CIFAR-10 "
                "test photos, where 1 is perfect")
        if _number(phash := _at(evaluation, "same_kind_map100_cifar_test", "pHash")):
            text += f" (pHash, a common photo fingerprint: {phash:.2f})"
        found.append(text)
    speed = _at(evaluation, "encoding_speed", "end_to_end_photos_per_s")
    if _number(speed):
        # The machine up to its parenthesis: how it was shared while measured is our note.
        machine = str(evaluation.get("machine", "")).split("(")[0].strip(" ,;")
        found.append(f"it reads and encodes about {speed:.0f} photos a second"
                     + (f" on a computer with a {machine}" if machine else ""))
    return found


def origin_text(card: ModelCard, folder: str) -> str:
    """Where the model came from: shipped, trained here, imported, or used from its folder."""
    if not folder:
        return "Its folder is not known."
    where, shown = Path(folder), printable(folder)
    try:
        resolved = where.resolve()
    except (OSError, RuntimeError):  # a link loop
        resolved = where
    if resolved == paths.default_model_dir().resolve():
        return "It comes with Lookalike: the default model, used until you switch to another."
    if (where / "training").is_dir():  # the trainer's run folder: Retrain or `lookalike train`
        try:
            made = " on " + time.strftime("%Y-%m-%d", time.localtime(
                (where / card.onnx_file).stat().st_mtime))
        except OSError:
            made = ""
        return (f"You trained it with Lookalike's trainer{made}; it is in {shown}, with its "
                "training files.")
    if paths.models_dir().resolve() in resolved.parents:
        return f"Imported: Lookalike keeps its copy in {shown}."
    return (f"Used from its own folder, {shown}: Lookalike keeps no copy of it, so moving or "
            "deleting that folder leaves the library without its model.")


def technical_rows(card: ModelCard, folder: str) -> list[tuple[str, str]]:
    """The card's record for whoever checks or rebuilds a model: identity, settings, the
    training section's short values and the evaluation's single figures."""
    spec, probe = card.input, card.probe
    shape = (f"{spec.size[1]}x{spec.size[0]} px, {spec.color}, shorter side resized to "
             f"{spec.resize_shorter} px ({spec.interpolation}), crop {spec.crop}")
    self_test = (f"{probe.count} probe inputs (seed {probe.seed}), at most "
                 f"{probe.max_flipped_bits} bits flipped")
    rows = [("Version", card.model_version), ("Input", shape), ("Folder", printable(folder)),
            ("Model id (sha256 of the graph)", card.model_id),
            ("ONNX file", f"{card.onnx_file}, opset {card.opset}"), ("Self-test", self_test)]
    if card.description:
        rows.append(("Description", card.description))
    rows += training_rows(card.training or {})
    for key, value in (card.evaluation or {}).items():
        if not isinstance(value, (dict, list)):
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            rows.append((f"Evaluation: {key.replace('_', ' ')}", shown))
    return rows


MIRROR_NOTE = ("each photo is averaged with its mirror image (the same code for both; twice "
               "the work per photo)")


def training_rows(training: dict) -> list[tuple[str, str]]:
    """How the model was trained, from the card's free-form `training` section: short scalar
    values as they are, album labels counted, NMLayer stages as bits -> validation mAP."""
    rows = []
    for key, value in training.items():
        label = f"Training: {key.replace('_', ' ')}"
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) \
                and len(str(value)) <= 80:
            rows.append((label, f"{value:.4g}" if isinstance(value, float) else str(value)))
        elif key == "labels" and isinstance(value, list):
            shown = ", ".join(map(str, value[:6])) + (" …" if len(value) > 6 else "")
            rows.append((label, f"{len(value)}: {shown}"))
        elif key == "flip_average" and value is True:  # the trainer's --flip-average
            rows.append(("Mirror images", MIRROR_NOTE))
        elif key == "stages" and isinstance(value, list):
            stages = [f"{st.get('bits')} bits: mAP {st.get('val_map')}" for st in value
                      if isinstance(st, dict)]
            rows.append(("Training: stages (validation)", "; ".join(stages)))
    return rows


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
        self.note = QLabel("Switching encodes in the background the photos the chosen model "
                           "has no code for yet (with every photo encoded, it is instant); "
                           "searches keep using the current model until it is done. Choosing "
                           "the active model again stops a switch under way (the codes made so "
                           "far are kept).")
        self.note.setWordWrap(True)
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
        self._entries = []
        for card, folder, shown in models:
            current = (Path(folder).resolve() == Path(self.folder).resolve() if self.folder
                       else False)
            self._entries.append(_Entry(card, folder, shown, current,
                                        names.count(card.name.casefold()) > 1))
            self.models_combo.addItem("", folder)
            self._relabel(len(self._entries) - 1)
        self.switch_button.setEnabled(self.models_combo.count() > 0)
        folders = [entry.folder for entry in self._entries]
        if chosen in folders:
            self.models_combo.setCurrentIndex(folders.index(chosen))
        else:
            self._choose_active()

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
