"""The start-up notice of an unfinished training run can be dismissed: it was said at every start
until the run was continued or deleted. Dismissed, it stays so across restarts (settings.json)
for that run as it is; it comes back once that run is trained further or another run is left
unfinished. Nothing is deleted, and the retrain dialog still offers to continue the run."""

from __future__ import annotations

import json
import os

import pytest
from PySide6.QtWidgets import QPushButton
from ui_helpers import three_albums

from desktop_app.settings import Settings
from desktop_app.ui import unfinished_runs
from desktop_app.ui.main_window import MainWindow


@pytest.fixture
def start_app(qtbot, tiny_model_dir):
    """Start the window as app.main does, from settings.json on disk (a restart reads back
    what the last window saved); each window is closed before the next starts."""
    windows: list[MainWindow] = []
    Settings(model_dir=str(tiny_model_dir), first_run_done=True).save()

    def start() -> MainWindow:
        for old in windows:
            old.close()  # saves settings.json, as quitting does
        window = MainWindow(Settings.load())
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window._opened, timeout=60000)
        windows.append(window)
        return window

    yield start
    for window in windows:
        window.shutdown()


def remembered_run(albums):
    out = unfinished_runs.new_output_dir()
    (out / "training").mkdir(parents=True)
    (out / "training" / "checkpoint.pt").write_bytes(b"a checkpoint")
    unfinished_runs.remember(str(albums), out)
    return out


def notice_buttons(window, text: str) -> list[QPushButton]:
    return [b for b in window.statusBar().findChildren(QPushButton)  # removeWidget hides
            if b.text().startswith(text) and b.isVisible()]


def dismiss(window) -> None:
    [button] = notice_buttons(window, "Dismiss")
    assert button.accessibleName().startswith("Dismiss the notice about the training on")
    button.click()
    assert not notice_buttons(window, "Continue training")
    assert not notice_buttons(window, "Dismiss")


def test_a_dismissed_notice_stays_dismissed_until_the_run_is_trained_further(qtbot, start_app,
                                                                             tmp_path):
    albums = three_albums(tmp_path / "albums")
    out = remembered_run(albums)
    window = start_app()
    assert "was not finished" in window.statusBar().currentMessage()
    assert len(notice_buttons(window, "Continue training")) == 1
    dismiss(window)
    assert "was not finished" not in window.statusBar().currentMessage()
    saved = json.loads(Settings.path().read_text(encoding="utf-8"))
    assert list(saved["dismissed_training"]) == [str(out)]  # saved at once, not at quit only

    window = start_app()  # a restart: not said again
    assert "was not finished" not in window.statusBar().currentMessage()
    assert not notice_buttons(window, "Continue training")
    # Nothing was deleted, and the dialog still offers to continue it.
    assert (out / "training" / "checkpoint.pt").read_bytes() == b"a checkpoint"
    assert unfinished_runs.load() == {unfinished_runs.albums_key(albums): str(out)}
    dialog = window.open_retrain()
    assert dialog.look_at(str(albums))
    qtbot.waitUntil(lambda: dialog.resume_choice.isVisibleTo(dialog), timeout=30000)
    assert f"An unfinished training of these albums is kept in {out}" in \
        dialog.found_label.text()
    dialog.close()

    # Trained further (cut short again): its checkpoint was saved anew.
    checkpoint = out / "training" / "checkpoint.pt"
    checkpoint.write_bytes(b"a later checkpoint")
    later = checkpoint.stat().st_mtime_ns + 10**9  # a coarse clock must not hide the change
    os.utime(checkpoint, ns=(later, later))
    window = start_app()
    assert f"Training on the albums in {albums} was not finished" in \
        window.statusBar().currentMessage()
    assert len(notice_buttons(window, "Continue training")) == 1


def test_another_unfinished_run_brings_the_notice_back(start_app, tmp_path):
    albums = three_albums(tmp_path / "albums")
    first = remembered_run(albums)
    dismiss(start_app())
    other = three_albums(tmp_path / "other albums")
    second = remembered_run(other)
    window = start_app()
    message = window.statusBar().currentMessage()
    assert f"Training on the albums in {other} was not finished (1 more unfinished)" in message
    assert str(second) in message
    dismiss(window)  # both, as the notice spoke of both
    assert set(window.settings.dismissed_training) == {str(first), str(second)}
    window = start_app()
    assert "was not finished" not in window.statusBar().currentMessage()
    assert not notice_buttons(window, "Continue training")


def test_a_dismissal_goes_with_its_run(tmp_path):
    """A run finished (or deleted) since leaves no dismissal behind in settings.json, and an
    entry that is not a state (a hand edit) dismisses nothing."""
    albums = three_albums(tmp_path / "albums")
    out = remembered_run(albums)
    runs = unfinished_runs.to_continue()
    dismissed = unfinished_runs.states(runs)
    assert unfinished_runs.not_dismissed(runs, dismissed) == ([], dismissed)
    assert unfinished_runs.not_dismissed(runs, {str(out): 3}) == (runs, {})
    (out / "model.json").write_text("{}")  # finished
    runs = unfinished_runs.to_continue()
    assert unfinished_runs.not_dismissed(runs, dismissed) == ([], {})


def test_a_run_trained_further_before_dismiss_stays_dismissed(start_app, tmp_path):
    """Dismiss remembers the runs as they are when it is pressed: one continued from Retrain
    on my albums… (and cut short again) after start-up, then dismissed, is not said again at
    the next start (it was remembered as it was at start-up, so it came back at once)."""
    albums = three_albums(tmp_path / "albums")
    out = remembered_run(albums)
    window = start_app()
    assert "was not finished" in window.statusBar().currentMessage()
    checkpoint = out / "training" / "checkpoint.pt"  # trained further in this session
    checkpoint.write_bytes(b"a later checkpoint")
    later = checkpoint.stat().st_mtime_ns + 10**9
    os.utime(checkpoint, ns=(later, later))
    dismiss(window)
    window = start_app()
    assert "was not finished" not in window.statusBar().currentMessage()
    assert not notice_buttons(window, "Continue training")


def test_dismiss_lets_the_next_summary_show(start_app, tmp_path):
    """The notice taken down by Dismiss no longer holds the status bar: a job summary coming
    just after is shown, not only logged as if the notice were still there to be read."""
    from desktop_app.core.records import IndexReport

    remembered_run(three_albums(tmp_path / "albums"))
    window = start_app()
    dismiss(window)
    assert window.statusBar().currentMessage() == ""
    window._on_finished_job("Indexing the album", IndexReport(unchanged=6))
    assert window.statusBar().currentMessage().startswith("Indexed the album: ")


def test_dismissals_of_the_wrong_kind_are_said_in_plain_words(tmp_path):
    """A hand-edited settings.json whose dismissed_training is not {folder: ...} is said as
    the other settings of the wrong kind are, in the file's terms (it said 'not a dict')."""
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"dismissed_training": []}), encoding="utf-8")
    settings = Settings.load(path)
    assert settings.dismissed_training == {}
    assert "dismissed_training (not a JSON object of folders)" in settings.load_problem
