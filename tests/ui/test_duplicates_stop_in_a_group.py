"""Stopping the duplicates search stops it inside a group too: choosing the photo to keep reads
each photo's header (the whole file for a HEIC), and a group joining thousands of photos (a
large distance, a burst) on a NAS took minutes after *Find duplicates* again, a model switch or
closing the window had asked it to stop. Real SearchController, TaskRunner and panel."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from desktop_app.core import keeper
from desktop_app.core.hashing import HammingIndex
from desktop_app.settings import Settings
from desktop_app.ui.duplicates_panel import DuplicatesPanel
from desktop_app.ui.models import ResultsModel
from desktop_app.ui.results_panel import ResultsPanel
from desktop_app.ui.search import SearchSnapshot
from desktop_app.ui.search_controller import SearchController
from desktop_app.ui.tasks import TaskRunner
from desktop_app.ui.thumbnails import ThumbnailCache

PHOTOS = 400


@pytest.fixture
def controller(qtbot, request):
    cache = ThumbnailCache(edge=96, threads=1, disk_cache=False, scale=1.0)
    tasks = TaskRunner()
    request.addfinalizer(cache.shutdown)
    request.addfinalizer(tasks.shutdown)
    panel = ResultsPanel(ResultsModel(cache), 96)
    qtbot.addWidget(panel)
    duplicates = DuplicatesPanel(None)
    qtbot.addWidget(duplicates)
    return SearchController(Settings(), tasks, cache, ResultsModel(cache), panel, duplicates,
                            panel)


def test_a_stopped_search_reads_no_more_headers_of_the_group_it_is_in(
        qtbot, controller, monkeypatch, tmp_path):
    ids = np.arange(1, PHOTOS + 1)
    paths = {int(i): tmp_path / f"IMG_{i}.HEIC" for i in ids}
    for i, path in paths.items():
        path.write_bytes(b"%d" % i)  # each its own content: every header is read
    controller.snapshot = SearchSnapshot(  # one group: every photo with the same code
        HammingIndex(ids, np.zeros((PHOTOS, 1), dtype=np.uint8), 8),
        {i: str(path) for i, path in paths.items()})
    read, reading, go_on = [], threading.Event(), threading.Event()
    real_read = keeper.read_header

    def slow_read(path: str) -> keeper.Header:  # a whole HEIC over the network
        read.append(path)
        reading.set()
        go_on.wait(5)
        return real_read(path)

    monkeypatch.setattr(keeper, "read_header", slow_read)
    controller.find_duplicates(0)
    assert reading.wait(5)
    controller.clear_duplicates("Stopped.")  # as a model switch stops it
    go_on.set()
    assert controller.tasks.wait(10000)
    assert len(read) <= 2, f"{len(read)} headers read after the search was stopped"
    assert controller.duplicates_panel.status.text() == "Stopped."
