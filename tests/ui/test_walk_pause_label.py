""""Paused while looking for photos; Resume looks through the folder again." is for a walk cut
short by Pause. A check that found nothing to read left the panel as if it were still walking,
so a pause asked for as it ended, with the next job waiting, said so of a walk that had ended.
Real MainWindow (offscreen), real SQLite, the tiny real model, real photos."""

from __future__ import annotations

from photos import make_photo
from PySide6.QtCore import Qt
from ui_helpers import wait_idle, wait_rows

from desktop_app.ui.folders_panel import LOOKING_PAUSED, NOTHING_TO_READ


def test_a_job_waiting_after_a_pause_that_cut_no_walk_short_does_not_say_so(
        qtbot, make_window, library_photos, tmp_path):
    window = make_window()
    panel = window.folders_panel
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    seen, finished = [], []

    def pause_once_the_walk_is_done(done, total, rate, eta):  # on the indexer's thread
        seen.append((done, total))
        if len(seen) == 2:  # the job's start, then its count after the walk: none to read
            window.worker.pause()

    window.worker.progress.connect(pause_once_the_walk_is_done,
                                   Qt.ConnectionType.DirectConnection)
    window.worker.finished_job.connect(lambda label, report: finished.append(report),
                                       Qt.ConnectionType.DirectConnection)
    window._index_paths.emit([str(library_photos)])  # the watcher: check this folder again
    qtbot.waitUntil(lambda: bool(finished), timeout=30000)
    assert seen[:2] == [(0, 0), (0, 0)] and not finished[0].stopped  # ran to its end
    wait_idle(qtbot, window)
    assert window.worker.is_paused()
    other = tmp_path / "other"
    make_photo(other / "retina.jpg", "retina", size=(200, 200))
    window.add_folder(str(other))  # waits: indexing is paused
    qtbot.waitUntil(lambda: panel.activity.text() == "Indexing paused.", timeout=20000)
    assert panel.progress_label.text() not in (LOOKING_PAUSED, NOTHING_TO_READ)
    assert panel.progress.maximum() != 0  # no busy bar: nothing runs
    window.toggle_pause()
    wait_rows(qtbot, window, 7)
    wait_idle(qtbot, window)
