""""Retrain on my albums": choose a folder of albums (one sub-folder per label), see what was
found, train in a separate process with live progress, cancel, and compare the result with the
current model before switching to it."""

from __future__ import annotations

import errno
import html
import math
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from ..core.durations import duration
from ..core.errors import ModelError, printable
from ..core.model_card import ModelCard, read_card
from ..core.wording import count_of
from . import unfinished_runs
from .announce import announce
from .trainer_failure import failure_text
from .trainer_process import Readiness, TrainerProcess, signal_name, trainer_readiness
from .wrapped_label import WrappedLabel

PHASES = {"prepare": "Preparing photos", "features": "Computing features", "train": "Training",
          "evaluate": "Evaluating", "export": "Exporting the model",
          "compare": "Measuring the current model on the same photos"}
MAX_LOG_LINES = 500
# Signals sent by someone (the system out of memory, another program, a logout): any other
# signal is the trainer's own crash (SIGSEGV, SIGABRT... in PyTorch or a library it uses).
# (Windows has no SIGKILL nor SIGHUP, and a crash's exit code there is an exception code.)
STOPPED_FROM_OUTSIDE = {getattr(signal, name) for name in ("SIGKILL", "SIGTERM", "SIGINT", "SIGHUP")
                        if hasattr(signal, name)}
QT_INT_MAX = 2**31 - 1  # a progress bar's range is a C int: past it, setRange raises


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"  # "12,345 photos", as the main window counts them
    return "—" if value is None else str(value)


def _count(value) -> int | None:
    """A whole number from the trainer's event, or None for anything else (it is another
    program's output: garbage must not raise in a slot)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value):  # json.loads reads NaN and Infinity
        return None
    return int(value)


def _eta(seconds) -> str:
    seconds = _count(seconds)
    if seconds is None or seconds < 1:  # "about 0 s left" at the end of every phase
        return ""
    if seconds >= 3600:  # a big albums folder on the CPU: "754 min 12 s" reads badly
        return f", about {seconds // 3600} h {seconds % 3600 // 60:02d} min left"
    return f", about {seconds // 60} min {seconds % 60:02d} s left" if seconds >= 60 \
        else f", about {seconds} s left"


def _is_gpu(device) -> bool:
    """"cuda", "cuda:1"…: the trainer names the device it chose as torch does."""
    return isinstance(device, str) and device.strip().lower().startswith("cuda")


def models_folder_problem(folder: Path, exc: OSError) -> str:
    """One sentence: the folder, the cause and the remedy."""
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        remedy = "Free some disk space there"
    else:
        remedy = f"Make {folder} writable"
    return (f"Training cannot start: the new model goes in {folder}, which cannot be written "
            f"to ({exc.strerror or exc}). {remedy}, then start training again.")


class RetrainDialog(QDialog):
    switch_requested = Signal(str)  # the new model folder
    model_made = Signal(str)  # a run finished: its model folder, now in the models folder

    def __init__(self, current_card: ModelCard | None, albums_dir: str = "",
                 readiness: Readiness | None = None, python: str | None = None,
                 parent=None, current_model_dir: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Retrain on my albums")
        self.resize(640, 560)
        self.current_card = current_card
        # The trainer measures the model in this folder on the new model's held-out photos.
        self.current_model_dir = current_model_dir
        # The window's (card, folder) of the model in use, asked at each start: a switch made
        # with the dialog open (to the last run's model) changes what a run is compared with.
        self.model_in_use: Callable[[], tuple[ModelCard | None, str | None]] | None = None
        self.readiness = readiness or trainer_readiness()
        self.process = TrainerProcess(python, self)
        # Its own process: Start stays usable while it measures (and stops it).
        self.estimator = TrainerProcess(python, self)
        self._look_started = 0.0  # time.monotonic() when the last look inside began
        # (albums, previous run, read seconds): a measure asked for while the last one stopped
        self._measure_next: tuple[str, str | None, float] | None = None
        self._measured: tuple[str, str | None, float] | None = None  # the last one asked for
        self.new_model_dir: str | None = None
        self.new_card: ModelCard | None = None
        self._run_albums = ""  # the albums of the run in progress (or last run)
        self._inspected = ""  # the albums of the last look inside
        self._look_next = ""  # albums to look inside once the look inside under way stops
        self._cancelled = False  # the run in progress (or last run) was asked to stop
        self._phase = ""  # the phase of the run's last progress event
        self._build(albums_dir)
        self.process.inspected.connect(self._on_inspected)
        self.process.event.connect(self._on_event)
        self.process.log_line.connect(self._append_log)
        self.process.failed.connect(self._on_failed)
        self.process.finished.connect(self._on_finished)
        self.estimator.estimated.connect(self._on_estimated)
        self.estimator.failed.connect(self._on_estimate_failed)
        self.estimator.finished.connect(self._on_estimator_ended)
        # The code length and the mirror setting change the time: measured again with them.
        self.bits_spin.valueChanged.connect(self._measure_again)
        self.flip_check.toggled.connect(self._measure_again)
        self._show_readiness()

    # -- layout ---------------------------------------------------------------------------------
    def _build(self, albums_dir: str) -> None:
        layout = QVBoxLayout(self)
        # Its wrapped texts as tall as their lines (WrappedLabel): at the dialog's smallest
        # size their last lines lost their bottom pixels.
        intro = WrappedLabel("Choose a folder that holds one sub-folder per album (label). "
                             "Lookalike learns which photos belong together from them and makes "
                             "a new model.")
        layout.addWidget(intro)
        row = QHBoxLayout()
        self.albums_edit = QLineEdit(albums_dir)
        self.albums_edit.setPlaceholderText("Folder of albums")
        self.albums_edit.setAccessibleName("Folder of albums")  # a placeholder is not a name
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.inspect_button = QPushButton("Look inside")
        self.inspect_button.clicked.connect(self.inspect)
        # Enter in the folder field looks inside (Qt made Browse…, the next button, the one
        # Enter pressed: a typed folder opened a folder chooser); see keyPressEvent.
        self.inspect_button.setDefault(True)
        self.albums_edit.textChanged.connect(self._albums_edited)
        row.addWidget(self.albums_edit, 1)
        row.addWidget(browse)
        row.addWidget(self.inspect_button)
        layout.addLayout(row)
        self.found_label = WrappedLabel("")
        self.found_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.found_label)
        self.estimate_label = WrappedLabel("")  # how long training would take, measured here
        self.estimate_label.setTextFormat(Qt.TextFormat.PlainText)
        self.estimate_label.setVisible(False)
        layout.addWidget(self.estimate_label)
        self.readiness_label = WrappedLabel("")
        self.readiness_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.readiness_label)
        form = QFormLayout()
        self.bits_spin = QSpinBox()
        self.bits_spin.setRange(12, 64)
        self.bits_spin.setValue(self.current_card.bits if self.current_card else 48)
        form.addRow("Code length (bits)", self.bits_spin)
        # The trainer's --flip-average: the model itself averages each photo with its mirror
        # image, so the app needs nothing new to use it.
        self.flip_check = QCheckBox("Treat a photo and its mirror image as the same")
        self.flip_check.setToolTip(
            "The new model looks at every photo twice, as it is and mirrored left to right, "
            "and averages what it sees: slightly better matches, but indexing runs the network "
            "twice per photo.")
        form.addRow("Mirror images", self.flip_check)
        layout.addLayout(form)
        # Shown when the albums have an unfinished run with a checkpoint (_offer_resume).
        self.resume_choice = QGroupBox("These albums have an unfinished training")
        choice = QVBoxLayout(self.resume_choice)
        self.resume_radio = QRadioButton("Continue it from where it stopped")
        self.afresh_radio = QRadioButton("Start over (deletes the unfinished training)")
        self.resume_radio.setChecked(True)
        choice.addWidget(self.resume_radio)
        choice.addWidget(self.afresh_radio)
        self.resume_choice.setVisible(False)
        layout.addWidget(self.resume_choice)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.status_label = WrappedLabel("")
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(MAX_LOG_LINES)
        self.log_view.setPlaceholderText("Trainer log")
        layout.addWidget(self.log_view, 1)
        self.comparison = QTableWidget(0, 3)
        self.comparison.setHorizontalHeaderLabels(["Measure", "Current model", "New model"])
        self.comparison.horizontalHeader().setStretchLastSection(True)
        self.comparison.setVisible(False)
        layout.addWidget(self.comparison)
        # What the numbers measure, or why some are missing.
        self.comparison_note = WrappedLabel("")
        self.comparison_note.setTextFormat(Qt.TextFormat.PlainText)  # paths may hold "<"
        self.comparison_note.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse)
        self.comparison_note.setVisible(False)
        layout.addWidget(self.comparison_note)
        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start training")
        self.start_button.clicked.connect(self.start)
        self.start_button.setEnabled(False)
        self.cancel_button = QPushButton("Cancel training")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.switch_button = QPushButton("Switch to the new model")
        self.switch_button.clicked.connect(self._switch)
        self.switch_button.setVisible(False)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        for b in (self.start_button, self.cancel_button, self.switch_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)

    def _show_readiness(self) -> None:
        r = self.readiness
        if not r.can_train:
            self.readiness_label.setText(f"<b>Training is not available.</b> {r.message}")
        elif r.message:
            self.readiness_label.setText(f"<b>Note:</b> {r.message}")
        else:
            self.readiness_label.setText("An NVIDIA GPU was found; training will use it.")
        self.inspect_button.setEnabled(r.can_train)

    # -- actions --------------------------------------------------------------------------------
    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of albums", self.albums_edit.text())
        if folder:
            self.albums_edit.setText(folder)
            self.inspect()

    @Slot()
    def inspect(self) -> None:
        albums = self.albums_edit.text().strip()
        if not self.readiness.can_train:
            return
        if self.process.is_running():
            # Refused here, not by the process: its "failed" answer would disable Cancel (and
            # Start) while a training run goes on. A look inside under way answers by itself.
            if self.process.mode == "run":
                self._say_found("The trainer is running: cancel it first to look inside "
                                "other albums.")
            return
        if not albums:
            self._say_found("No folder of albums is chosen yet: press <i>Browse…</i> and "
                            "choose the folder that holds your albums.")
            return
        if not Path(albums).is_dir():
            self._say_found(f"{html.escape(albums)}: not a folder. Choose the folder that "
                            "holds your albums.")
            return
        self._say_found("Looking inside the albums…")
        self._forget_estimate()
        self.progress_bar.setRange(0, 0)  # busy until the trainer counts the photos read
        self.start_button.setEnabled(False)
        self._inspected = albums
        self._look_started = time.monotonic()
        self.process.inspect(albums)

    @Slot(dict)
    def _on_inspected(self, info: dict) -> None:
        if self._look_at_next():  # done before it could stop: other albums are asked for
            return
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        photos, labels = int(info.get("photos", 0)), int(info.get("labels", 0))
        per_label = info.get("per_label") or {}
        unreadable = info.get("unreadable") or []
        if photos == 0:  # no list to show: say why, and what to do
            files = (f"none of its {len(unreadable):,} photo files can" if len(unreadable) > 1
                     else "its only photo file cannot")
            why = (f"{files} be read (damaged, or a format Lookalike cannot open)" if unreadable
                   else "its sub-folders hold no photos")
            self._say_found(
                f"<b>No photo in {html.escape(self._inspected)} can be used:</b> {why}. Put "
                "readable photos (JPEG, PNG, HEIC, WebP, camera raw…) in one sub-folder per "
                "album, then look inside again.")
            self.start_button.setEnabled(False)
            return
        shown = ", ".join(f"{html.escape(str(k))} ({_fmt(v)})"
                          for k, v in sorted(per_label.items())[:12])
        more = f" and {len(per_label) - 12:,} more" if len(per_label) > 12 else ""
        text = (f"Found <b>{photos:,}</b> {_noun(photos, 'photo')} in <b>{labels:,}</b> "
                f"{_noun(labels, 'album')}: {shown}{more}.")
        text += _what_else_was_found(info, unreadable)
        for item in unreadable:  # why each one cannot be read
            self._append_log(str(item.get("message") or item.get("path", "")))
        enough = labels >= 2 and photos >= 2 * labels
        if not enough:
            text += (" Training needs at least two albums with a few photos each; add more "
                     "albums or photos, then look again.")
        previous = self._offer_resume(self._inspected if enough else "")
        if previous:
            # Said now, not only once Start is pressed: the user may rather begin anew.
            text += (f" An unfinished training of these albums is kept in "
                     f"{html.escape(previous)}: <i>Start training</i> continues it (from its "
                     "checkpoint if the albums and settings are as then, else afresh there), "
                     "unless you choose to start over below.")
        self._say_found(text)
        self.start_button.setEnabled(enough and self.readiness.can_train)
        if enough:
            self._measure(previous, time.monotonic() - self._look_started)

    def _measure(self, previous: str | None, read_seconds: float) -> None:
        """How long training would take, measured by the trainer in the background (seconds);
        the look inside's own time is the reading's."""
        self.estimate_label.setText("Measuring how long training would take on this "
                                    "computer…")
        self.estimate_label.setVisible(True)
        self._measured = (self._inspected, previous, read_seconds)
        if self.estimator.is_running():
            # A look inside again at once: the last measure is still stopping (it stops
            # between batches); this one starts once it has ended.
            self._measure_next = (self._inspected, previous, read_seconds)
            self.estimator.cancel()
            return
        self.estimator.estimate(self._inspected, previous, self.bits_spin.value(),
                                self.flip_check.isChecked(), read_seconds)

    @Slot(int, object)
    def _on_estimator_ended(self, _code: int, _done: object) -> None:
        asked, self._measure_next = self._measure_next, None
        if asked is not None:  # (started once the process has let go of the one that ended)
            QTimer.singleShot(0, self, lambda: self._measure_asked(*asked))

    def _measure_asked(self, albums: str, previous: str | None, read_seconds: float) -> None:
        # Not when the dialog was closed, a run or another look inside began, or other albums
        # were typed in meanwhile.
        if self._still_shown() and not self.process.is_running() and \
                albums == self._inspected and self._albums_unchanged():
            self._measure(previous, read_seconds)

    @Slot()
    def _measure_again(self) -> None:
        """The code length or mirror setting changed after the measure of the albums looked
        inside: measured again (not once a run has started, nor for albums left since)."""
        if self._measured is not None and self._measured[0] == self._inspected and \
                not self.process.is_running() and self._albums_unchanged():
            self._measure(*self._measured[1:])

    def _forget_estimate(self) -> None:
        self._measure_next = self._measured = None
        self.estimator.cancel()  # (its end is then no failure)
        self.estimate_label.setVisible(False)

    def _say_found(self, text: str) -> None:
        """What a look inside found (or why it could not look): shown, and said to a screen
        reader, which reads the focus (the button pressed), not this line."""
        self.found_label.setText(text)
        announce(self.found_label, text, rich=True)

    @Slot(dict)
    def _on_estimated(self, found: dict) -> None:
        text = estimate_text(found)
        self.estimate_label.setText(text)
        self.estimate_label.setVisible(bool(text))
        announce(self.estimate_label, text)  # it comes a minute after the look inside

    @Slot(str)
    def _on_estimate_failed(self, message: str) -> None:
        self.estimate_label.setVisible(False)  # training works without it: a line in the log
        self._append_log(message)

    @Slot()
    def start(self) -> None:
        albums = self.albums_edit.text().strip()
        if self.process.is_running():
            self.status_label.setText("The trainer is already running; cancel it first.")
            return
        self.log_view.clear()
        previous = unfinished_runs.load().get(unfinished_runs.albums_key(albums))
        resuming = bool(previous) and unfinished_runs.resumable(previous)
        start_over = resuming and self.resume_choice.isVisibleTo(self) and \
            self.afresh_radio.isChecked()
        # Both questions before anything is deleted: a Cancel at the second calls it all off.
        if start_over and not self._confirm_start_over(albums, previous):
            return
        if not self._settle_other_runs(albums):
            return
        if start_over:
            if not self._start_over(albums, previous):
                return
            resuming = False
        self.resume_choice.setVisible(False)  # offered again if this run is cut short
        if resuming:
            out = Path(previous)
        else:
            out = unfinished_runs.new_output_dir()
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
                # Remembered before the trainer starts, so a run cut short in any way (cancel,
                # failure, the app closed or killed) is continued the next time.
                unfinished_runs.remember(albums, out)
            except OSError as exc:  # the trainer could not write its model there either
                self.status_label.setText(models_folder_problem(out.parent, exc))
                return
        if self.estimator.is_running():  # it would slow the run down, and is moot now
            self._forget_estimate()
        self._measured = None  # (the settings changed during the run measure nothing)
        if self.model_in_use is not None:
            self.current_card, self.current_model_dir = self.model_in_use()
        self._run_albums = albums
        self._cancelled, self._phase = False, ""
        self.new_model_dir = str(out)
        self.comparison.setVisible(False)
        self.comparison_note.setVisible(False)
        self.switch_button.setVisible(False)
        self.status_label.setText(f"Continuing the unfinished training in {out}…" if resuming
                                  else "Starting the trainer…")
        self.progress_bar.setRange(0, 0)  # busy until the first progress event
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.process.run(albums, str(out), self.bits_spin.value(), self.flip_check.isChecked(),
                         compare_with=self.current_model_dir)
        if resuming:
            self._append_log(f"Continuing the unfinished training in {out}.")

    def _offer_resume(self, albums: str) -> str | None:
        """Offer to continue (the default) or start over when `albums` have an unfinished run
        with a checkpoint (none for ""); its folder, or None."""
        previous = unfinished_runs.load().get(unfinished_runs.albums_key(albums)) \
            if albums else None
        offer = bool(previous) and unfinished_runs.resumable(previous) and \
            unfinished_runs.has_checkpoint(previous)
        self.resume_radio.setChecked(True)  # each time: deleting is never what was left chosen
        self.resume_choice.setVisible(offer)
        return previous if offer else None

    def _confirm_start_over(self, albums: str, folder: str) -> bool:
        """Whether the user agrees to lose the unfinished run of `albums` in `folder`."""
        ours = unfinished_runs.is_ours(folder)
        lost = ("It is deleted with all it learnt so far (its checkpoints), and cannot be "
                "continued afterwards." if ours else
                "It is no longer continued; that folder is not in the app's models folder, so "
                "it is left as it is (delete it yourself if you no longer need it).")
        box = QMessageBox(
            QMessageBox.Icon.Warning, "Start over",
            f"Start the training on {albums} over from the beginning?\n\nThe unfinished "
            f"training in {folder} is not used. {lost}", parent=self)
        confirm = box.addButton("Delete it and start over" if ours else "Start over",
                                QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is confirm

    def _start_over(self, albums: str, folder: str) -> bool:
        """Delete the unfinished run of `albums` (only a folder the dialog made), once the user
        has agreed to lose it (_confirm_start_over). False: do not start."""
        ours = unfinished_runs.is_ours(folder)
        try:
            unfinished_runs.discard(unfinished_runs.albums_key(albums), folder)
        except OSError as exc:
            self.status_label.setText(html.escape(
                f"Could not delete the unfinished training in {folder} "
                f"({exc.strerror or exc}). Close any program that uses it, or delete it "
                "yourself, then start again."))
            return False
        if ours:
            self._append_log(f"Deleted the unfinished training of {albums} in {folder}; "
                             "starting over.")
        return True

    def _settle_other_runs(self, albums: str) -> bool:
        """Unfinished runs of other albums: one with a checkpoint is the user's to delete or
        keep (or not to start now); one without is deleted, there is nothing in it to continue.
        False: do not start."""
        key = unfinished_runs.albums_key(albums)
        others = {k: v for k, v in unfinished_runs.load().items() if k != key}
        finished = {k for k, v in others.items() if unfinished_runs.is_finished(v)}
        for other in finished:  # the app stopped after the model was written: keep the model
            unfinished_runs.forget(other)
        others = {k: v for k, v in others.items() if k not in finished}
        kept = {k: v for k, v in others.items() if unfinished_runs.has_checkpoint(v)}
        discard = {k: v for k, v in others.items() if k not in kept}
        if kept:
            listed = "\n".join(f"• {k}  (in {v})" for k, v in sorted(kept.items()))
            it = "it" if len(kept) == 1 else "them"
            box = QMessageBox(
                QMessageBox.Icon.Question, "Unfinished training",
                f"Training on other albums was stopped before it finished; its checkpoint is "
                f"kept:\n{listed}\n\nDelete {it} (it can then no longer be continued), or "
                f"keep {it} to continue later by starting again with those albums?",
                parent=self)
            delete = box.addButton(f"Delete {it} and start",
                                   QMessageBox.ButtonRole.DestructiveRole)
            keep = box.addButton(f"Keep {it} and start", QMessageBox.ButtonRole.AcceptRole)
            box.addButton(QMessageBox.StandardButton.Cancel)
            box.setDefaultButton(keep)
            box.exec()
            if box.clickedButton() is delete:
                discard.update(kept)
            elif box.clickedButton() is not keep:
                return False
        for other, folder in discard.items():
            existed = Path(folder).is_dir()
            try:
                unfinished_runs.discard(other, folder)
            except OSError as exc:
                self._append_log(f"Could not delete the unfinished training in {folder}: {exc}")
            else:
                if existed and not Path(folder).exists():
                    self._append_log(f"Deleted the unfinished training of {other} in {folder}.")
                elif existed:  # not a folder the dialog made: never deleted from here
                    self._append_log(f"The unfinished training of {other} in {folder} is no "
                                     "longer continued; that folder is not in the app's models "
                                     "folder, so it was left as it is (delete it yourself if "
                                     "you no longer need it).")
        return True

    def look_at(self, albums: str) -> bool:
        """Show these albums and look inside them (the start-up notice of their unfinished
        training), unless the trainer is running (False: nothing done). A look inside other
        albums (minutes on a NAS) is stopped first: these are looked inside once it has."""
        if self.process.is_running():
            if self.process.mode != "inspect":
                return False
            if albums != self._inspected:
                self._look_next = albums
                self.albums_edit.setText(albums)  # (not taken as an edit while it runs)
                self.found_label.setText("Looking inside the albums…")
                self.process.cancel()
            return True
        self.albums_edit.setText(albums)
        self.inspect()
        return True

    def _look_at_next(self) -> bool:
        """A look inside has ended (stopped for look_at): look inside the albums asked for. Run
        once the process has let go of the one that ended (it starts no other while in its
        own finished signal)."""
        albums, self._look_next = self._look_next, ""
        if not albums:
            return False
        QTimer.singleShot(0, self, lambda: self._still_shown() and self.look_at(albums))
        return True

    def _still_shown(self) -> bool:
        """Neither this dialog nor the window was closed meanwhile (the window stops the
        trainer as it closes: nothing is to start then)."""
        parent = self.parentWidget()
        return self.isVisible() and (parent is None or parent.isVisible())

    @Slot()
    def cancel(self) -> None:
        self.status_label.setText("Stopping the trainer (it saves a checkpoint first)…")
        self._cancelled = True
        self.process.cancel()

    def keyPressEvent(self, event) -> None:
        """Enter left over by the focused widget (a line edit, a spin box, the log) presses
        Look inside only from the albums field. QDialog pressed its default button from any:
        Enter in the code length looked inside again (minutes on a NAS, the estimate
        thrown away), and during a run it put "The trainer is running: cancel it first to
        look inside other albums" in place of what the look inside had found."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.focusWidget() is self.albums_edit:
                self.inspect_button.click()  # (nothing when disabled: training unavailable)
            return
        super().keyPressEvent(event)

    def reject(self) -> None:
        # Escape and closing the dialog (QDialog's closeEvent calls reject): hiding it would
        # leave the run going unseen, so the trainer stops (its checkpoint kept).
        self._look_next = ""  # closed: no look inside after the one under way stops
        self._measure_next = None  # nor a measure
        self.estimator.cancel()
        if self.process.is_running():
            self._cancelled = True
            self.process.cancel()
        super().reject()

    @Slot(dict)
    def _on_event(self, event: dict) -> None:
        kind = event.get("event")
        if self.process.mode == "inspect":  # its end comes as inspected or failed
            if kind == "progress" and not self._look_next:  # (not of albums being left)
                self._show_inspect_progress(event)
            return
        if kind == "start":
            photos, labels = _count(event.get("photos")), _count(event.get("labels"))
            found = (f" on {count_of(photos, 'photo')} in {count_of(labels, 'album')},"
                     if photos is not None and labels is not None else "")
            self.status_label.setText(
                f"Training{found} on the {'GPU' if _is_gpu(event.get('device')) else 'CPU'}.")
        elif kind == "progress":
            self._phase = str(event.get("phase") or "")
            step, steps = _count(event.get("step")), _count(event.get("steps"))
            if step is None or steps is None or not 1 <= steps <= QT_INT_MAX:
                self.progress_bar.setRange(0, 0)  # busy: no count to show
                counted = ""
            else:
                self.progress_bar.setRange(0, steps)
                self.progress_bar.setValue(max(0, min(step, steps)))
                counted = f": step {step:,} of {steps:,}"
            phase = PHASES.get(self._phase, html.escape(self._phase))  # (a str: hashable)
            doing = event.get("doing")
            if isinstance(doing, str) and doing:  # what the phase does before its first step
                self.progress_bar.setRange(0, 0)
                self.status_label.setText(f"{phase}: {html.escape(doing)}…")
                return
            parts = [f"{phase}{counted}"]
            if event.get("bits") and event.get("stage") is not None:
                parts.append(f"stage {event.get('stage')} ({event.get('bits')} bits)")
            elif event.get("bits"):  # evaluating or exporting one length
                parts.append(f"{event.get('bits')} bits")
            if isinstance(event.get("loss"), (int, float)):
                parts.append(f"loss {_fmt(event['loss'])}")
            if isinstance(event.get("val_map"), (int, float)):
                parts.append(f"validation mAP {_fmt(event['val_map'])}")
            self.status_label.setText(", ".join(parts) + _eta(event.get("eta_s")))
        elif kind == "error" and not self._cancelled:
            # (After Cancel the trainer's own 'stopped' error is no failure: the end of the
            # run says it was cancelled.) Its remedy in the dialog's words, not the CLI's.
            failure = html.escape(failure_text(event, self.new_model_dir), quote=False)
            self.status_label.setText(f"<b>Training failed:</b> {failure}")

    def _show_inspect_progress(self, event: dict) -> None:
        """The photos read so far of those found; a busy bar while the albums are listed."""
        step, steps = _count(event.get("step")), _count(event.get("steps"))
        if step is None or steps is None or not 1 <= steps <= QT_INT_MAX or event.get("doing"):
            self.progress_bar.setRange(0, 0)
            self.found_label.setText("Looking inside the albums: listing their photos…")
            return
        self.progress_bar.setRange(0, steps)
        self.progress_bar.setValue(max(0, min(step, steps)))
        self.found_label.setText(f"Looking inside the albums: {step:,} of "
                                 f"{count_of(steps, 'photo')} read{_eta(event.get('eta_s'))}…")

    @Slot(str)
    def _append_log(self, line: str) -> None:
        self.log_view.appendPlainText(line)

    def _albums_unchanged(self) -> bool:
        """Start trains the albums Look inside found (or the last run trained): not others
        typed in since."""
        text = self.albums_edit.text().strip()
        return bool(text) and text in (self._inspected, self._run_albums)

    @Slot(str)
    def _albums_edited(self, _text: str) -> None:
        if not self.process.is_running() and not self._albums_unchanged():
            self.start_button.setEnabled(False)
            self.resume_choice.setVisible(False)  # another folder's run is not this one's
            self._forget_estimate()
            self.found_label.setText("Press <i>Look inside</i> to check these albums before "
                                     "training.")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self.process.mode == "inspect" and self._look_at_next():
            return  # stopped for other albums, looked inside now: no failure to tell
        if self.process.mode == "run":
            # The trainer could not start (found by the look inside, gone now...): the albums
            # found stay on screen, and Start can be pressed again, as after any other run.
            self.start_button.setEnabled(self.readiness.can_train and self._albums_unchanged())
        else:
            self._say_found(message)
        self.status_label.setText(message)
        self.progress_bar.setRange(0, 1)
        self.cancel_button.setEnabled(False)

    @Slot(int, object)
    def _on_finished(self, code: int, done: dict | None) -> None:
        self.cancel_button.setEnabled(False)
        self.start_button.setEnabled(self.readiness.can_train and self._albums_unchanged())
        self.progress_bar.setRange(0, 1)
        if code == 0 and done:
            unfinished_runs.forget(self._run_albums)  # finished: nothing left to continue
            self.progress_bar.setValue(1)
            self.new_model_dir = str(done.get("model_dir") or self.new_model_dir)
            self._show_comparison(done.get("evaluation") or {}, done.get("compared"))
        elif code == 130 or (self.process.crashed and self._cancelled):
            # (killed: it did not stop within the grace time after Cancel)
            if self.new_model_dir and unfinished_runs.has_checkpoint(self.new_model_dir):
                self.status_label.setText(
                    f"Training was cancelled. Its checkpoint was kept in {self.new_model_dir}; "
                    "start again with the same albums and code length to continue from it.")
            elif self._phase in ("", "prepare"):
                self.status_label.setText("Training was cancelled before it saved a "
                                          "checkpoint; starting again begins from the start.")
            else:  # the trainer keeps the features computed so far in the app's cache folder
                self.status_label.setText(
                    "Training was cancelled before its first checkpoint. The photos' features "
                    "computed so far are kept: starting again with the same albums does not "
                    "compute them again.")
        elif self.process.crashed:
            # Killed by a signal: its exit code is the signal's number.
            kept = (f"Its last checkpoint was kept in {self.new_model_dir}: start training "
                    "again with the same albums and code length to continue from it."
                    if self.new_model_dir and unfinished_runs.has_checkpoint(self.new_model_dir)
                    else "Start training again to begin anew.")
            if code in STOPPED_FROM_OUTSIDE:  # the trainer had no chance to log anything
                self.status_label.setText(
                    "<b>The trainer was stopped from outside</b> (killed by the system, for "
                    f"example when memory ran out, or by another program). {html.escape(kept)}")
            else:
                self.status_label.setText("<b>The trainer crashed</b> " + html.escape(
                    f"({signal_name(code)}, in PyTorch or a library it uses); "
                    f"{self.process.see_log()}. {kept} If it crashes again at the same point, "
                    "report it with that log."))
        elif "failed" not in self.status_label.text():
            self.status_label.setText(html.escape(
                f"The trainer stopped with exit code {code}; {self.process.see_log()}."))
        if self.albums_edit.text().strip() == self._run_albums:
            self._offer_resume(self._run_albums)  # cut short: continue it, or start over

    def _show_comparison(self, evaluation: dict, compared: dict | None = None) -> None:
        """compared: the trainer's measure of the current model on the same held-out photos
        (its `done` event's "compared"), or None when it was not asked for."""
        try:
            self.new_card = read_card(self.new_model_dir)
            evaluation = evaluation or self.new_card.evaluation
        except ModelError as exc:
            self.status_label.setText(f"Training finished, but the new model cannot be used: {exc}")
            return
        current_bits = self.current_card.bits if self.current_card else None
        rows = comparison_rows(current_bits, compared, evaluation)
        self.comparison.setRowCount(len(rows))
        for row, cells in enumerate(rows):
            for col, text in enumerate(cells):
                self.comparison.setItem(row, col, QTableWidgetItem(text))
        self.comparison.setVisible(True)
        self.comparison_note.setText(comparison_note(compared, self.current_card is not None,
                                                     evaluation))
        self.comparison_note.setVisible(True)
        # Usable again: pressed for the last run's model, it was left disabled for this one's.
        self.switch_button.setEnabled(True)
        self.switch_button.setVisible(True)
        self.status_label.setText(f"Training finished: {self.new_model_dir}. Compare it with the "
                                  "current model below, then switch if it is better.")
        self.model_made.emit(self.new_model_dir)

    def _switch(self) -> None:
        if self.new_model_dir:
            self.switch_requested.emit(self.new_model_dir)
            self.switch_button.setEnabled(False)

    @Slot(object, object)
    def model_switched(self, model_dir: str, _card: ModelCard) -> None:
        """The window uses the model in `model_dir` now: the run's model, once in use, is not
        switched to again; another model chosen since (the run's switch stopped, or undone) makes
        the button usable again."""
        self.switch_button.setEnabled(model_dir != self.new_model_dir)

    @Slot(str)
    def switch_failed(self, model_dir: str) -> None:
        """The switch to `model_dir` failed (the window said why): pressed again once the cause
        is fixed, as the Model tab's button can be (it stayed disabled, with no word why)."""
        if model_dir == self.new_model_dir:
            self.switch_button.setEnabled(True)


def comparison_rows(current_bits: int | None, compared: dict | None,
                    evaluation: dict) -> list[tuple[str, str, str]]:
    """(measure, current model, new model). Besides the code lengths, only measures the trainer
    took of both models on the same held-out photos: the current model's card holds numbers
    from other photos (the bundled model's, another dataset), which would compare unlike
    things. A side not measured shows "—"; a measure only one side has is left out. Both sides
    show the order-free mAP and precision when both have them (order_free)."""
    current = (compared or {}).get("evaluation") or {}
    bits = (compared or {}).get("bits") or current_bits
    suffix = "_tie_aware" if order_free(compared, evaluation) else ""
    measures = [("mAP on your albums' held-out photos", current.get("map_all" + suffix),
                 evaluation.get("map_all" + suffix))]
    precision = "precision_at_k" + suffix
    for k in sorted(evaluation.get(precision) or {}, key=int):
        measures.append((f"Precision of the first {k} matches",
                         (current.get(precision) or {}).get(k), evaluation[precision][k]))
    measures += [("Held-out photos searched for", current.get("queries"),
                  evaluation.get("queries")),
                 ("Photos searched among", current.get("database"), evaluation.get("database"))]
    return [("Code length (bits)", _fmt(bits), _fmt(evaluation.get("bits")))] + [
        (name, _fmt(old), _fmt(new)) for name, old, new in measures if new is not None]


def order_free(compared: dict | None, evaluation: dict) -> bool:
    """Whether the table shows the trainer's order-free mAP and precision (photos at one
    distance from the photo searched for counted in every order alike) rather than those that
    take such photos in the order the albums were read: album by album, which favours the first
    albums' photos, and the more so the shorter the code (more photos at one distance). Only
    when both sides have them: an older trainer's numbers have not."""
    current = (compared or {}).get("evaluation")
    return "map_all_tie_aware" in evaluation and (not current or "map_all_tie_aware" in current)


def comparison_note(compared: dict | None, has_current: bool, evaluation: dict | None = None
                    ) -> str:
    """Under the table: how both models were measured, or why the current one has no numbers."""
    if compared and compared.get("problem"):
        return f"The current model has no numbers on your albums: {compared['problem']}"
    if compared and compared.get("evaluation"):
        ev = compared["evaluation"]
        ties = (" Where photos are at the same distance from the photo searched for, the "
                "numbers are the average over every order of them, so the order the albums "
                "were read in favours neither model, whatever its code length."
                if order_free(compared, evaluation or {}) else "")
        queries, database = _fmt(ev.get("queries")), _fmt(ev.get("database"))
        return (f"Both models were measured the same way: each of the {queries} held-out "
                "photos (not used in training) was searched for among the albums' other "
                f"{database} photos; a match is right when it shares an album with the "
                f"photo.{ties} Higher mAP and precision are better.")
    if has_current:
        return ("The current model was not measured on your albums' photos, so only the new "
                "model's numbers are shown.")
    return "There is no current model to compare with."


def _duration(seconds: float) -> str:
    """As the trainer says a time ("1 h 40 min", as _eta says time left), but for under a
    minute and a half: an estimate is not that precise."""
    if seconds < 90:
        return "under a minute" if seconds < 45 else "about a minute"
    return duration(seconds)


def estimate_text(found: dict) -> str:
    """The trainer's `estimate` event in words: the range, what it covers and leaves out; ""
    when its numbers cannot be read (it is another program's output)."""
    parts = [_count(found.get(k)) for k in ("low_s", "seconds", "high_s", "read_s",
                                             "features_s", "train_s")]
    if any(p is None or p < 0 for p in parts):
        return ""
    low, mid, high, read, features, train = parts
    span = _duration(low), _duration(high)
    how_long = f"about {_duration(mid)}" if span[0] == span[1] else f"{span[0]} to {span[1]}"
    how_long = how_long.replace("about about", "about").replace("about under", "under")
    verb = "Continuing this training" if found.get("resumes") else "Training"
    return (f"{verb} would take {how_long} on this computer (measured here: reading the "
            f"photos {_duration(read)}, computing features {_duration(features)}, training "
            f"{_duration(train)}); evaluating, measuring the current model and exporting the "
            "new one come on top.")


def _noun(count, noun: str) -> str:
    """'photo' for 1, else 'photos' ('1 albums' read wrong)."""
    return noun if count == 1 else noun + "s"


def _what_else_was_found(info: dict, unreadable: list) -> str:
    """What the trainer's look inside found beside the albums' counts, as `inspect` says it:
    photos in several albums (so the counts add up to more than the photos), albums skipped,
    loose photos, and which files cannot be read."""
    text = ""
    several = int(info.get("multi_label_photos") or 0)
    if several:
        text += (f" {count_of(several, 'photo')} {'is' if several == 1 else 'are'} in "
                 "several albums: counted once, with each album as a label.")
    # The files left out as the twin of a photo (the raw beside its JPEG, a second JPEG or HEIC
    # of that name, a raw beside its DNG copy): not all raws, nor all beside a JPEG.
    twins = int(info.get("raw_twins") or 0)
    if twins:
        text += (f" {count_of(twins, 'file')} {'is' if twins == 1 else 'are'} the RAW+JPEG "
                 "twin of a photo in the same folder (a camera's raw and JPEG of one shot): the "
                 "same picture, counted once.")
    empty = [printable(os.path.basename(str(f))) for f in info.get("empty_albums") or []]
    if empty:
        text += (f" Skipped, no readable photo in {count_of(len(empty), 'album')}: "
                 f"{html.escape(', '.join(empty[:5]))}{'…' if len(empty) > 5 else ''}.")
    loose = int(info.get("loose_photos") or 0)
    if loose:
        text += (f" {count_of(loose, 'photo')} directly in the folder, in no album, "
                 f"{'is' if loose == 1 else 'are'} left out.")
    if unreadable:
        names = [printable(os.path.basename(str(u.get("path", "")))) for u in unreadable[:3]]
        text += (f" {count_of(len(unreadable), 'photo file')} cannot be read and will be "
                 "skipped: "
                 f"{html.escape(', '.join(names))}{'…' if len(unreadable) > 3 else ''} (the log "
                 "below says why).")
    return text
