"""Searches as the user asks for them: a photo clicked (or Enter), a photo dropped or pasted,
the slider moved, duplicates wanted. Each runs on the task pool over the current immutable
snapshot; only the answer to the latest request is shown."""

from __future__ import annotations

import os
import time

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from .. import paths
from ..core.images import is_photo
from ..settings import Settings
from .duplicates_panel import DuplicatesPanel
from .models import ResultsModel
from .results_panel import ResultsPanel
from .search import QueryEncoder, SearchSnapshot, empty_snapshot, keeper_first
from .tasks import TaskRunner
from .thumbnails import ThumbnailCache


class SearchController(QObject):
    results_shown = Signal(list)  # the matches now on screen (for tests and scripts)
    duplicates_shown = Signal(list)
    message = Signal(str)

    def __init__(self, settings: Settings, tasks: TaskRunner, thumbnails: ThumbnailCache,
                 results_model: ResultsModel, results_panel: ResultsPanel,
                 duplicates_panel: DuplicatesPanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings, self.tasks, self.thumbnails = settings, tasks, thumbnails
        self.results_model, self.results_panel = results_model, results_panel
        self.duplicates_panel = duplicates_panel
        self.snapshot: SearchSnapshot = empty_snapshot()
        self.query_encoder = QueryEncoder(None)
        self.has_model = False
        self._query: tuple | None = None  # ("photo", id, path) or ("file", path, code)
        self._pasted: QImage | None = None  # pasted image data, saved on the pool when searched
        thumbnails.ready.connect(self._on_thumbnail)
        results_panel.max_distance_changed.connect(self._on_max_distance)
        duplicates_panel.find_requested.connect(self.find_duplicates)

    def set_model(self, model_dir: str | None) -> None:
        self.has_model = model_dir is not None
        self.query_encoder = QueryEncoder(model_dir)

    # -- asking ---------------------------------------------------------------------------------
    def search_photo(self, photo_id: int, path: str) -> None:
        self._pasted = None
        self._query = ("photo", photo_id, path)
        self.results_panel.show_query(path, self.thumbnails.pixmap(path))
        self.rerun()

    def search_file(self, path: str, image: QImage | None = None) -> None:
        """Search with a photo from anywhere; it is encoded on the fly and not added. Pasted
        image data (`image`) is first written to `path`, on the task pool."""
        if not self.has_model:
            self.message.emit("No model is installed, so photos cannot be searched yet.")
            return
        self._pasted = image
        self._query = ("file", path, None)
        self.results_panel.show_query(path, self.thumbnails.pixmap(path), external=True)
        self.rerun()

    def search_mime(self, mime) -> None:
        """A drop or a paste: a photo file, or image data."""
        path = dropped_photo(mime)
        if path:
            self.search_file(path)
        elif mime is not None and mime.hasImage():
            target = paths.cache_dir() / "pasted" / f"pasted-{time.time_ns()}.png"
            self.search_file(str(target), QImage(mime.imageData()))
        else:
            self.message.emit("Drop or paste a photo file (JPEG, PNG, HEIC…) to search with it.")

    def rerun(self) -> None:
        if self._query is None:
            return
        snap, k = self.snapshot, self.settings.results_count
        max_distance = self.results_panel.max_distance()
        kind, key, extra = self._query
        if kind == "photo":
            def job():
                return None, snap.similar(key, k, max_distance), snap.index.code_of(key) is not None
        else:
            encoder, code, pasted = self.query_encoder, extra, self._pasted

            def job():
                if pasted is not None and not os.path.exists(key):
                    os.makedirs(os.path.dirname(key), exist_ok=True)
                    pasted.save(key, "PNG")
                c = code if code is not None else encoder.encode_file(key)
                return c, snap.similar_to_code(c, k, max_distance), True
        query = self._query
        self.tasks.run_task(job, lambda r: self._show_results(query, *r), self._search_failed,
                            key="search")

    @Slot(int)
    def find_duplicates(self, max_distance: int) -> None:
        self.settings.duplicate_distance = max_distance
        snap = self.snapshot
        self.duplicates_panel.status.setText("Looking for near-identical photos…")

        def job() -> list:
            return [keeper_first(group, snap) for group in snap.duplicates(max_distance)]

        self.tasks.run_task(job, self._show_duplicates, self._duplicates_failed,
                            key="duplicates")

    # -- answers --------------------------------------------------------------------------------
    def _show_results(self, query: tuple, code, matches: list, known: bool) -> None:
        if query[0] == "file" and code is not None and self._query is query:
            self._query = ("file", query[1], code)  # the slider reuses it: no re-encoding
        self.results_model.set_results(matches)
        self.results_panel.show_count(len(matches))
        if not known:
            self.message.emit("This photo has not been indexed yet; its look-alikes appear "
                              "once it is.")
        self.results_shown.emit(matches)

    def _search_failed(self, error: Exception) -> None:
        self.results_model.set_results([])
        self.message.emit(f"Search failed: {error}")
        self.results_shown.emit([])

    def _show_duplicates(self, groups: list) -> None:
        self.duplicates_panel.set_groups(groups)
        self.duplicates_shown.emit(groups)

    def _duplicates_failed(self, error: Exception) -> None:
        self.duplicates_panel.status.setText(f"Looking for duplicates failed: {error}")

    @Slot(int)
    def _on_max_distance(self, value: int) -> None:
        self.settings.max_distance = value
        self.rerun()

    @Slot(str)
    def _on_thumbnail(self, path: str) -> None:
        if self._query_path() == path:
            self.results_panel.set_query_picture(self.thumbnails.pixmap(path))

    def _query_path(self) -> str | None:
        if self._query is None:
            return None
        return self._query[2] if self._query[0] == "photo" else self._query[1]


def dropped_photo(mime) -> str | None:
    """The first local photo file among dragged or pasted URLs."""
    for url in mime.urls() if mime is not None and mime.hasUrls() else []:
        if url.isLocalFile() and is_photo(url.toLocalFile()):
            return url.toLocalFile()
    return None
