"""The indexing panel and the status bar agree while indexing is paused and resumed."""

from __future__ import annotations

from desktop_app.core.records import IndexReport, Photo
from desktop_app.ui.folders_panel import FoldersPanel


def test_a_paused_job_shows_no_rate_or_time_left(qtbot):
    """Paused at 65 of 208 photos, the panel said "Indexing paused." above
    "65 of 208 photos · 42 photos/s · 3 s left"."""
    panel = FoldersPanel()
    qtbot.addWidget(panel)
    panel.show_activity("Indexing /photos", paused=False)
    panel.show_progress(65, 208, 42.0, 3.0)
    assert panel.progress_label.text() == "65 of 208 photos · 42 photos/s · 3 s left"
    panel.show_activity("Indexing /photos", paused=True)
    assert panel.activity.text() == "Indexing paused."
    assert panel.progress_label.text() == "65 of 208 photos · paused"
    panel.show_progress(66, 208, 40.0, 3.0)  # the batch's last photos, read after the pause
    assert panel.progress_label.text() == "66 of 208 photos · paused"
    panel.show_activity("Indexing /photos", paused=False)
    panel.show_progress(67, 208, 41.0, 3.0)
    assert panel.progress_label.text() == "67 of 208 photos · 41 photos/s · 3 s left"


def test_resume_takes_down_the_summary_that_says_paused(qtbot, make_window):
    """The summary of a job cut short by Pause ("... (paused: Resume indexing continues it)")
    stood in the status bar for 15 s after Resume, beside a panel saying "Indexing"."""
    window = make_window()
    window.worker.pause()
    qtbot.waitUntil(window.worker.is_paused, timeout=5000)
    window._on_finished_job("Indexing /photos", IndexReport(added=62, stopped=True))
    assert "paused: Resume indexing continues it" in window.statusBar().currentMessage()
    window.toggle_pause()
    assert window.statusBar().currentMessage() == ""
    qtbot.waitUntil(lambda: not window.worker.is_paused(), timeout=5000)


def test_resume_keeps_another_notice(qtbot, make_window):
    window = make_window()
    window.worker.pause()
    qtbot.waitUntil(window.worker.is_paused, timeout=5000)
    window.tell("Something else to read.")
    window.toggle_pause()
    assert window.statusBar().currentMessage() == "Something else to read."


def test_a_summary_sent_just_before_resume_is_taken_down_too(qtbot, make_window):
    """Resume pressed while the job stopped by Pause was still reading its batch: its summary,
    sent before the worker took the Resume, came after the press and said "paused" for 15 s
    beside a panel saying "Indexing"."""
    window = make_window()
    window.worker.pause()
    qtbot.waitUntil(window.worker.is_paused, timeout=5000)
    window.toggle_pause()
    # The worker's summary, on its way before its resume: shown after the press.
    window._on_finished_job("Indexing /photos", IndexReport(added=62, stopped=True))
    qtbot.waitUntil(lambda: not window.worker.is_paused(), timeout=5000)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "", timeout=2000)


def test_resume_keeps_what_went_wrong_before_the_pause(qtbot, make_window, tmp_path):
    """The summary of a job cut short by Pause also named a photo that could not be read and a
    folder gone: Resume took them down with "paused", though they were still so."""
    window = make_window()
    broken = tmp_path / "photos" / "broken.jpg"
    broken.parent.mkdir()
    broken.write_bytes(b"\xff\xd8\xff\xe0 not a real jpeg")
    window.failed_model.set_photos([Photo(1, str(broken), 1, 20, 0.0, None, None, "failed",
                                          f"{broken}: cannot identify image file.")])
    gone = tmp_path / "gone"
    window.worker.pause()
    qtbot.waitUntil(window.worker.is_paused, timeout=5000)
    window._on_finished_job("Indexing /photos", IndexReport(
        added=62, failed=1, stopped=True,
        errors=[(str(broken), f"{broken}: cannot identify image file."),
                (str(gone), f"{gone}: the folder is gone; press Remove to forget it")]))
    assert "paused: Resume indexing continues it" in window.statusBar().currentMessage()
    with qtbot.waitSignal(window.worker.paused_changed, timeout=5000):
        window.toggle_pause()
        assert window.statusBar().currentMessage() == (
            "Indexing /photos: 1 photo could not be read: see the Unreadable photos tab. "
            f"{gone}: the folder is gone; press Remove to forget it")
    # The worker's own word that it resumed (handled before the wait's) takes nothing more down.
    assert "the folder is gone" in window.statusBar().currentMessage()


def test_a_folder_removed_while_paused_takes_its_problems_with_it(qtbot, make_window,
                                                                   library_photos):
    """Removed while paused, the folder's indexing (the last job paused) went and the pause
    ended: its summary's "1 photo could not be read: see the Unreadable photos tab" was shown
    again for 15 s, beside a tab saying "Every photo could be read."."""
    broken = library_photos / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not a real jpeg")
    window = make_window()
    window.add_folder(str(library_photos))
    qtbot.waitUntil(lambda: window.failed_model.rowCount() == 1, timeout=20000)
    qtbot.waitUntil(lambda: window.folders_panel.activity.text() == "", timeout=20000)
    window.worker.pause()
    qtbot.waitUntil(window.worker.is_paused, timeout=5000)
    window._on_finished_job(f"Indexing {library_photos}", IndexReport(
        added=3, failed=1, stopped=True,
        errors=[(str(broken), f"{broken}: cannot identify image file.")]))
    assert "1 photo could not be read" in window.statusBar().currentMessage()
    window.remove_folder(str(library_photos))
    qtbot.waitUntil(lambda: not window.worker.is_paused(), timeout=10000)
    qtbot.waitUntil(lambda: window.failed_model.rowCount() == 0, timeout=10000)
    assert window.failed_panel.summary.text() == "Every photo could be read."
    # The pause ended with the removal: its summary goes, problems and all.
    qtbot.waitUntil(lambda: "paused" not in window.statusBar().currentMessage(), timeout=5000)
    assert "could not be read" not in window.statusBar().currentMessage()
