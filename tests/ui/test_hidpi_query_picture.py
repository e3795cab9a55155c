"""The results header's picture of the photo searched for follows a new screen scale, as the
grids' thumbnails do: it is a copy kept by the header, and it stayed blurred when the photo's
thumbnail had left the cache's memory (no `ready` came for it)."""

from __future__ import annotations

import pytest
from photos import make_photo

from desktop_app.settings import Settings
from desktop_app.ui.duplicates_panel import DuplicatesPanel
from desktop_app.ui.models import ResultsModel
from desktop_app.ui.results_panel import ResultsPanel
from desktop_app.ui.search_controller import SearchController
from desktop_app.ui.tasks import TaskRunner
from desktop_app.ui.thumbnails import ThumbnailCache

HEADER = 72  # the header picture's size in logical pixels


@pytest.fixture
def searched(qtbot, tmp_path, request):
    """A real cache (scale 1), results panel and search controller, a photo searched for and
    its picture in the header."""
    photo = str(make_photo(tmp_path / "chelsea.jpg", "chelsea", size=(300, 200)))
    cache = ThumbnailCache(edge=96, threads=1, disk_cache=False, scale=1.0)
    tasks = TaskRunner()
    request.addfinalizer(cache.shutdown)
    request.addfinalizer(tasks.shutdown)
    results = ResultsModel(cache)
    panel = ResultsPanel(results, 96)
    qtbot.addWidget(panel)
    duplicates = DuplicatesPanel(None)
    qtbot.addWidget(duplicates)
    # A child of the panel: kept as long as it (a Python object no one holds goes, and its
    # connections with it).
    controller = SearchController(Settings(), tasks, cache, results, panel, duplicates, panel)
    controller.search_photo(1, photo)
    qtbot.waitUntil(lambda: header_ratio(panel) == 1.0, timeout=5000)
    return cache, panel, photo


def header_ratio(panel: ResultsPanel) -> float | None:
    pix = panel.query_picture
    return None if pix is None else pix.devicePixelRatio()


def test_the_header_picture_follows_a_new_scale_after_leaving_the_memory(qtbot, searched):
    cache, panel, photo = searched
    cache.forget(photo)  # pushed out of the cache's memory by the photos scrolled past since
    cache.set_scale(2.0)
    qtbot.waitUntil(lambda: header_ratio(panel) == 2.0, timeout=5000)
    # 144 screen pixels in the 72-pixel header: sharp, not the old 72 stretched
    assert panel.query_picture.width() == 2 * HEADER


def test_the_header_keeps_its_picture_while_the_sharper_one_is_made(qtbot, searched):
    """Its thumbnail in memory: `ready` came for it at once, with nothing made yet, and the
    header was left empty until the new one came."""
    cache, panel, _ = searched
    cache.set_scale(2.0)
    assert header_ratio(panel) == 1.0
    qtbot.waitUntil(lambda: header_ratio(panel) == 2.0, timeout=5000)
