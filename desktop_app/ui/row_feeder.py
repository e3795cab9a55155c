"""RowFeeder: the library's changes put into the grid's model over event-loop turns of bounded
length, so that the first load of a big library, or a big folder removed, never freezes the
window."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from .models import PhotoListModel

ROWS_PER_SLICE = 2000  # photos given to, or ids removed from, the model in one call
# Slices applied in one turn, up to this long. The grid lays out all its rows again in the turn
# after any came (30 ms at 200,000 photos): one slice a turn laid them out 100 times in the first
# load of 200,000 photos, a budget of slices about 10 times (bench/results/grid-first-load.md).
TURN_BUDGET_S = 0.025
# Rows filed in one step for the first raw to come (PictureFiles: about 1 us a row), before the
# model takes it: at once, 200,000 rows held one turn 0.2-0.3 s.
ROWS_FILED_PER_STEP = 10_000


class RowFeeder(QObject):
    def __init__(self, model: PhotoListModel,
                 before_upsert: Callable[[list], None] = lambda photos: None,
                 after_remove: Callable[[list[str]], None] = lambda paths: None,
                 after_turn: Callable[[], None] = lambda: None,
                 parent: QObject | None = None) -> None:
        """`before_upsert(photos)`: called before the model takes them (it still holds the old
        records); `after_remove(paths)`: the paths of the photos just removed; `after_turn()`:
        once at the end of each turn that changed rows."""
        super().__init__(parent)
        self.model = model
        self._before_upsert, self._after_remove = before_upsert, after_remove
        self._after_turn = after_turn
        self._queue: deque[tuple[str, list]] = deque()
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._apply)

    def add(self, changed: list, removed: list) -> None:
        """Photos added or changed, and ids removed, in the order the library changed."""
        for start in range(0, len(changed), ROWS_PER_SLICE):
            self._queue.append(("upsert", changed[start:start + ROWS_PER_SLICE]))
        # Sliced too: 200,000 files removed at once (a folder dropped) held one turn 0.9-2.0 s
        # where the library holds a raw (pairs looked up). The model is whole after each slice
        # (a raw whose JPEG went in one slice shows itself until its own does), and the queue
        # keeps the library's order: a photo removed, then back, ends in the grid.
        for start in range(0, len(removed), ROWS_PER_SLICE):
            self._queue.append(("remove", removed[start:start + ROWS_PER_SLICE]))
        if self._queue and not self._timer.isActive():
            self._timer.start()

    def pending(self) -> bool:
        return bool(self._queue)

    def _apply(self) -> None:
        deadline = time.perf_counter() + TURN_BUDGET_S
        changed = worked = False
        # A callback that raises (said by the excepthook) ends the turn early, but the model
        # still takes its slice and the turn is still closed: else those photos never reached
        # the grid, and the count went unsaid for the slices applied before it in the turn.
        try:
            while self._queue and (not worked or time.perf_counter() < deadline):
                kind, items = self._queue.popleft()
                worked = True
                if kind == "upsert" and self.model.file_ahead(items, ROWS_FILED_PER_STEP):
                    # The first raw: its pairs readied in steps, no row changed yet.
                    self._queue.appendleft((kind, items))
                    continue
                changed = True
                if kind == "upsert":
                    try:
                        self._before_upsert(items)
                    finally:
                        self.model.upsert(items)
                else:
                    gone = [photo.path for photo in map(self.model.photo, items) if photo]
                    self.model.remove_ids(items)
                    self._after_remove(gone)
        finally:
            if changed:
                self._after_turn()
            if not self._queue:
                self._timer.stop()
