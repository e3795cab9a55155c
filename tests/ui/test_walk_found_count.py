"""While a folder is walked (minutes for a home folder or a NAS share) the panel said only
"Looking for photos…": now it says how many photos were found so far. A real IndexerWorker on
its own thread, a real FoldersPanel (offscreen) wired to it as the main window wires them, a real
SQLite library, the tiny real model and real photos."""

from __future__ import annotations

import pytest
from photos import make_photo
from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, Signal, Slot

from desktop_app.ui.folders_panel import LOOKING, FoldersPanel, looking_text
from desktop_app.ui.workers import IndexerWorker

FOUND = 45  # more than scan.STOP_CHECK_ENTRIES in one folder: counts are told inside it too


class Shown(QObject):
    """Passes the worker's signals to the panel on the GUI thread, as the main window does, and
    records the progress line after each."""

    index_folder = Signal(object)

    def __init__(self, panel: FoldersPanel, worker: IndexerWorker) -> None:
        super().__init__()
        self.panel, self.worker = panel, worker
        self.lines: list[str] = []
        self.finished: list[object] = []

    @Slot(int)
    def looking(self, found: int) -> None:
        self.panel.show_looking(found)
        self.lines.append(self.panel.progress_label.text())

    @Slot(int, int, float, float)
    def progress(self, done: int, total: int, rate: float, eta: float) -> None:
        self.panel.show_progress(done, total, rate, eta)
        self.lines.append(self.panel.progress_label.text())

    @Slot(str)
    def activity(self, text: str) -> None:
        self.panel.show_activity(text, self.worker.is_paused())

    @Slot(str, object)
    def finished_job(self, label: str, report: object) -> None:
        self.finished.append(report)


@pytest.fixture
def shown(qtbot, tiny_model_dir, tmp_path):
    panel = FoldersPanel()
    qtbot.addWidget(panel)
    thread = QThread()
    worker = IndexerWorker(str(tiny_model_dir), str(tmp_path / "library.db"))
    worker.moveToThread(thread)
    shown = Shown(panel, worker)
    opened = []
    worker.opened.connect(lambda card, _dir: opened.append(card))
    worker.looking.connect(shown.looking)
    worker.progress.connect(shown.progress)
    worker.activity.connect(shown.activity)
    worker.finished_job.connect(shown.finished_job)
    shown.index_folder.connect(worker.index_folder)
    thread.started.connect(worker.open)
    thread.start()
    qtbot.waitUntil(lambda: bool(opened), timeout=30000)
    assert opened[0] is not None  # the model loaded
    yield shown
    worker.request_quit()
    QMetaObject.invokeMethod(worker, "close", Qt.ConnectionType.BlockingQueuedConnection)
    thread.quit()
    thread.wait(10000)


def many_photos(tmp_path):
    """FOUND real photos: copies of one (read once: the others have its content) in one folder,
    and a few others in a subfolder; plus a file that is no photo."""
    folder = tmp_path / "photos"
    data = make_photo(tmp_path / "one.jpg", "chelsea", size=(64, 48)).read_bytes()
    (folder / "trip").mkdir(parents=True)
    for i in range(FOUND - 2):
        (folder / f"p{i:03d}.jpg").write_bytes(data)
    make_photo(folder / "trip" / "coffee.jpg", "coffee", size=(64, 48))
    make_photo(folder / "trip" / "rocket.png", "rocket", size=(64, 48))
    (folder / "trip" / "notes.txt").write_text("not a photo")
    return folder


def test_the_panel_counts_the_photos_found_while_a_folder_is_walked(qtbot, shown, tmp_path):
    folder = many_photos(tmp_path)
    shown.index_folder.emit(str(folder))
    qtbot.waitUntil(lambda: bool(shown.finished), timeout=60000)
    assert shown.finished[0].added == FOUND
    lines = shown.lines
    whole = looking_text(FOUND)
    assert whole == f"Looking for photos… {FOUND} found"
    assert whole in lines  # the walk's whole count is shown before photos are read
    walk = lines[:lines.index(whole) + 1]
    assert walk[0] == LOOKING  # nothing found yet
    counts = [int(line.split()[-2]) for line in walk if line.endswith(" found")]
    assert counts == sorted(counts)
    after = lines[lines.index(whole) + 1:]
    assert after and all(" of " in line for line in after)  # then the photos read
    assert after[-1].startswith(f"{FOUND} of {FOUND} photos")


def test_the_count_shows_thousands_separated(qtbot):
    panel = FoldersPanel()
    qtbot.addWidget(panel)
    panel.show_progress(0, 0, 0.0, -1.0)
    assert panel.progress_label.text() == LOOKING
    panel.show_looking(12345)
    assert panel.progress_label.text() == "Looking for photos… 12,345 found"
    assert panel.progress.maximum() == 0  # busy: how many there are to read is not known yet


def test_the_count_shown_catches_up_while_the_walk_goes_on_finding_nothing(qtbot, tmp_path):
    """Photos found in a burst (faster than the ~10 counts a second shown), then a long stretch
    of folders without photos (a home folder's program files, a slow share): the panel said
    "Looking for photos…" with no number, or a count long passed, until the walk ended. The
    real scan_folder on real files, through the worker's throttle; the stretch is slowed by its
    should_stop (a slow drive), so the test does not depend on how fast the disk is."""
    from desktop_app.core.scan import scan_folder

    folder = tmp_path / "home"
    folder.mkdir()
    for i in range(FOUND):  # in the folder itself: all found before its subfolders are walked
        (folder / f"p{i:03d}.jpg").write_bytes(b"not read: only counted")
    for d in range(12):
        (folder / f"d{d:02d}").mkdir()
        (folder / f"d{d:02d}" / "notes.txt").write_text("not a photo")
    worker = IndexerWorker(None, str(tmp_path / "library.db"))  # not opened: no library needed
    events: list = []
    worker.looking.connect(events.append)  # same thread: at once

    def slow(should_stop):
        def asked() -> bool:
            events.append("asked")
            if FOUND not in events:
                QThread.msleep(30)  # 12 folders: well over PROGRESS_INTERVAL_S in all
            return should_stop()
        return asked

    def job(progress, should_stop, looking):
        scan = scan_folder(folder, should_stop=slow(should_stop), looking=looking)
        events.append("walked")
        progress(0, len(scan.files))
        return scan

    worker._with_progress("Indexing home", job)
    walk = events[:events.index("walked")]
    last_asked = len(walk) - 1 - walk[::-1].index("asked")
    assert FOUND in walk[:last_asked]  # shown while the walk still went on
    sent = [n for n in events if isinstance(n, int)]
    assert sent[0] == 0 and sent[-1] == FOUND
    assert sent == sorted(set(sent))  # each once: the walk tells the count at every folder
