"""Jobs run on Qt thread pools leave nothing behind once done. A QRunnable subclass handed to
QThreadPool.start was kept alive for good by PySide (with all it referred to: a search job holds
the snapshot of the whole library) whenever it finished while the GUI thread was running Python,
as it is while painting: nearly every job of a long session. Real TaskRunner and ThumbnailCache,
real photo files; the GUI thread kept busy the way a window keeps it."""

from __future__ import annotations

import gc
import time
import weakref

from photos import make_photo
from PySide6.QtCore import QRunnable

from desktop_app.ui import thumbnails
from desktop_app.ui.tasks import TaskRunner
from desktop_app.ui.thumbnails import ThumbnailCache

JOBS = 200


class Payload:
    """Something a job holds (a snapshot, a query): weakly referable, to see if it is freed."""


def keep_gui_thread_busy(seconds: float = 0.001) -> None:
    """Python running on the GUI thread while a pool job ends (painting, a model update)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def live_runnables() -> int:
    gc.collect()
    return sum(isinstance(o, QRunnable) for o in gc.get_objects())


def test_finished_tasks_free_what_they_held(qapp):
    runner = TaskRunner()
    before = live_runnables()
    held = []
    answers = []
    for _ in range(JOBS):
        payload = Payload()
        held.append(weakref.ref(payload))
        runner.run_task(lambda p=payload: p is not None, answers.append, key="search")
        del payload
        keep_gui_thread_busy()
    assert runner.wait(10000)
    qapp.processEvents()
    gc.collect()
    assert answers[-1] is True  # the latest answer came; older ones were dropped as late
    assert sum(ref() is not None for ref in held) == 0
    assert live_runnables() == before
    runner.shutdown()


def test_finished_thumbnail_jobs_are_not_kept(qtbot, tmp_path, monkeypatch):
    # As on macOS and Windows, where pool threads are not made nicer (on Linux they rarely get
    # to end a job while the GUI thread runs, and fewer are kept).
    monkeypatch.setattr(thumbnails, "lower_this_thread", lambda: None)
    cache = ThumbnailCache(edge=32, threads=1, disk_cache=False)
    paths = [str(make_photo(tmp_path / f"{i}.jpg", "coffee", size=(40 + i, 30)))
             for i in range(40)]
    # Quick jobs (no such file) end most often while the GUI thread is busy.
    paths += [str(tmp_path / f"missing-{i}.jpg") for i in range(JOBS)]
    before = live_runnables()
    for path in paths:
        assert cache.pixmap(path) is None
        keep_gui_thread_busy()
    qtbot.waitUntil(lambda: cache.pending() == 0, timeout=30000)
    assert sum(cache.pixmap(p) is not None for p in paths[:40]) == 40
    assert live_runnables() == before
    cache.shutdown()
