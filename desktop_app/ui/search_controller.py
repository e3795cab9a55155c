"""Searches as the user asks for them: a photo clicked (or Enter), a photo dropped or pasted,
the slider moved, duplicates wanted. Each runs on the task pool over the current immutable
snapshot; only the answer to the latest request is shown. A new snapshot (files changed, or
another model) runs the search on screen again, so results never show deleted or renamed
files or codes of a model no longer active. The closest `results_count` are shown first; each
"more" (the results scrolled to the end, or Show more) searches again for `results_count` more
and appends those beyond the ones shown (the order is by distance, then id: the first ones
stay the same). A camera's RAW+JPEG pair is one result, its JPEG (SearchSnapshot.similar): a
raw left out of a list stays out of the longer lists "more" asks for, and the photo searched
for is not compared with its own twin (not counted among the others)."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from .. import paths
from ..atomic_file import write_bytes_atomic
from ..core.duplicates import SearchStopped
from ..core.errors import ModelError, PhotoReadError
from ..core.records import Match
from ..settings import Settings
from .announce import announce
from .dropped import not_a_photo_message, photo_file, several_message, text_paths, url_paths
from .duplicates_panel import DuplicatesPanel
from .models import ResultsModel
from .results_panel import ResultsPanel
from .search import QueryEncoder, SearchSnapshot, empty_snapshot, keeper_first
from .tasks import TaskRunner
from .thumbnails import ThumbnailCache

log = logging.getLogger(__name__)

PASTED_KEPT = 5  # pasted images kept in cache/pasted (the newest); older ones are deleted
_STALE = object()  # a search answer computed for another model than the snapshot's: not shown


@dataclass(eq=False)
class Query:
    """What the results show: a library photo (by id) or a file from anywhere."""
    kind: str  # "photo" or "file"
    path: str
    photo_id: int | None = None
    pasted: QImage | None = None  # pasted image data, saved to `path` on the pool when searched
    code: tuple | None = None  # (QueryEncoder, packed code): reused while that encoder is active
    name: str | None = None  # shown for it instead of the file's name ("the pasted image")


class SearchController(QObject):
    results_shown = Signal(list)  # the matches now on screen (for tests and scripts)
    duplicates_shown = Signal(list)  # the groups shown (Matches at their paths now)
    message = Signal(str)  # routine news about a search
    problem = Signal(str)  # a search that could not be made: the user has something to do
    searching = Signal()  # a new search was asked (a click, Enter, a drop, a paste, a PHOTO)

    def __init__(self, settings: Settings, tasks: TaskRunner, thumbnails: ThumbnailCache,
                 results_model: ResultsModel, results_panel: ResultsPanel,
                 duplicates_panel: DuplicatesPanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings, self.tasks, self.thumbnails = settings, tasks, thumbnails
        self.results_model, self.results_panel = results_model, results_panel
        self.duplicates_panel = duplicates_panel
        self._snapshot: SearchSnapshot = empty_snapshot()
        self._ids_by_path: dict[str, int] | None = None  # the snapshot's paths, inverted lazily
        self.query_encoder = QueryEncoder(None)
        self.has_model = False
        # What a photo dropped or pasted while no model is loaded is answered (the window says
        # why none is: none installed, the active one missing or damaged...).
        self.no_model_message = "No model is installed, so photos cannot be searched yet."
        self._query: Query | None = None
        self._limit = settings.results_count  # the most the search on screen asks for
        self._more_asked = False  # "more" was asked: said when its answer comes
        # A new search (or distance, or model) is on its way: its answer is news even if a
        # snapshot's re-run replaces it, and nothing is appended to the list it replaces.
        self._fresh_pending = False
        self.said = ""  # the last message about a search: a newer search makes it outdated
        thumbnails.ready.connect(self._on_thumbnail)
        thumbnails.rescaled.connect(self._on_rescaled)
        results_panel.max_distance_changed.connect(self._on_max_distance)
        duplicates_panel.find_requested.connect(self.find_duplicates)
        results_model.more_wanted.connect(self.show_more)

    def set_model(self, model_dir: str | None, model_id: str = "") -> None:
        """The model the library uses: its folder and id (photos from outside the library are
        encoded with it, never with another model found in that folder since)."""
        self.has_model = model_dir is not None
        encoder = self.query_encoder
        if model_dir == encoder.model_dir and model_id == encoder.expected_id:
            return
        self.query_encoder = QueryEncoder(model_dir, model_id)
        if self._query is not None:
            self._query.code = None  # a dropped photo is encoded again, with the new model

    # -- the snapshot ---------------------------------------------------------------------------
    @property
    def snapshot(self) -> SearchSnapshot:
        return self._snapshot

    @snapshot.setter
    def snapshot(self, snapshot: SearchSnapshot) -> None:
        self._snapshot = snapshot
        self._ids_by_path = None

    def set_snapshot(self, snapshot: SearchSnapshot) -> None:
        """A new snapshot from the indexer (at most about once a second): search again, so the
        results follow deleted, renamed and re-encoded photos."""
        old = self.snapshot
        self.snapshot = snapshot
        query = self._query
        if query is None:
            return
        if query.kind == "file" and self.library_id(query.path) is not None:
            # A dropped photo indexed since (it lies in a watched folder): searched as itself
            # from now on, like a clicked one, so it never lists itself at distance 0.
            photo_id = self.library_id(query.path)
            self._query = query = Query("photo", snapshot.paths[photo_id], photo_id)
            self.results_panel.show_query(query.path, self.thumbnails.pixmap(query.path))
        if query.kind == "photo":
            path = snapshot.paths.get(query.photo_id)
            if path is None and query.photo_id in old.paths:
                self._query_gone(query)
                return
            if path is not None and path != query.path:  # renamed or moved
                query.path = path
                self.results_panel.show_query(path, self.thumbnails.pixmap(path))
            elif path is not None and _code_changed(old, snapshot, query.photo_id):
                # Another picture in the same file (edited, or another photo saved over it):
                # the results follow its new code, and the header shows what they are like,
                # not the picture kept from before (asked for afresh, shown once it is made).
                self.thumbnails.forget(path)
                self.results_panel.set_query_picture(self.thumbnails.pixmap(path))
        self.rerun(quiet=True)

    def _query_gone(self, query: Query) -> None:
        self._query = None
        self.tasks.forget("search")
        self.results_model.set_results([])
        self.results_panel.show_gone(query.path)
        self.results_shown.emit([])

    def library_id(self, path: str) -> int | None:
        """The id of the library photo at `path`, if the snapshot has it."""
        if self._ids_by_path is None:
            self._ids_by_path = {p: i for i, p in self.snapshot.paths.items()}
        found = self._ids_by_path.get(path)
        if found is None:
            found = self._ids_by_path.get(os.path.normpath(os.path.abspath(path)))
        if found is None and self._ids_by_path:
            # The library keeps real paths: a folder added through a symbolic link (a Pictures
            # link to another drive) has its photos dropped by the link's path.
            found = self._ids_by_path.get(os.path.realpath(path))
        return found

    # -- asking ---------------------------------------------------------------------------------
    def search_photo(self, photo_id: int, path: str) -> None:
        self._asked(Query("photo", path, photo_id))
        self.results_panel.show_query(path, self.thumbnails.pixmap(path))
        self.rerun()

    def search_file(self, path: str, image: QImage | None = None, name: str | None = None) -> None:
        """Search with a photo from anywhere; it is encoded on the fly and not added. A photo
        that is in the library is searched as one (its own code, itself left out). Pasted image
        data (`image`) is first written to `path`, on the task pool, and shown as `name`."""
        if image is None:
            photo_id = self.library_id(path)
            if photo_id is not None:
                self.search_photo(photo_id, self.snapshot.paths[photo_id])
                return
        if not self.has_model:
            self._tell(self.no_model_message, problem=True)
            return
        self._asked(Query("file", path, pasted=image, name=name))
        # Read afresh: the file may have changed since it was last dropped (same path).
        self.thumbnails.forget(path)
        self.results_panel.show_query(path, self.thumbnails.pixmap(path), external=True,
                                      name=name)
        self.rerun()

    def search_mime(self, mime, how: str = "pasted") -> None:
        """A drop or a paste (`how`): a photo file, image data, or the path of a photo as text.
        Of several files the first photo is searched, and the status bar says which."""
        given = url_paths(mime)
        photos = [p for p in given if photo_file(p)]
        if not photos:  # a browser's drag holds a web address: its text may name a file
            given = text_paths(mime)
            photos = [p for p in given if photo_file(p)]
        if photos:
            self.search_file(photos[0])
            if len(given) > 1 and not self.said:  # (said: no model to search with)
                self._tell(several_message(photos[0], len(photos), len(given)))
        elif mime is not None and mime.hasImage() and not QImage(mime.imageData()).isNull():
            # Not named after the file it is kept in: "pasted-1796158145854896511.png".
            target = paths.cache_dir() / "pasted" / f"pasted-{time.time_ns()}.png"
            self.search_file(str(target), QImage(mime.imageData()), f"the {how} image")
        else:
            self._tell(not_a_photo_message(mime), problem=True)

    def _asked(self, query: Query) -> None:
        """A new search: its results are shown (the window brings them into view), and what
        was said about an earlier one no longer applies. The query is set first: the window
        asks `searched_photo_id` whether the grid's photo picked is still the one searched."""
        self._query = query
        self.searching.emit()
        self.said = ""

    def _tell(self, message: str, problem: bool = False) -> None:
        self.said = message
        (self.problem if problem else self.message).emit(message)

    def rerun(self, quiet: bool = False) -> None:
        """`quiet`: the same search again (a new snapshot, more wanted): the photos it shows
        stay, the user's pick among them too. Else the closest `results_count` afresh."""
        query = self._query
        if query is None:
            return
        quiet = quiet and not self._fresh_pending
        if not quiet:
            self._limit = self.settings.results_count
            self._more_asked = False
            self._fresh_pending = True
        snap, k = self.snapshot, self._limit
        max_distance = self.results_panel.max_distance()
        if query.kind == "photo":
            photo_id = query.photo_id

            def job():
                known = snap.index.code_of(photo_id) is not None
                found = snap.similar(photo_id, k, max_distance)
                return list(found), known, len(snap) - known - found.own_twins, found.more
            answered = lambda r: self._show_results(query, r, quiet)
        else:
            encoder, path, pasted = self.query_encoder, query.path, query.pasted

            def job():
                cached = query.code
                if cached is not None and cached[0] is encoder:
                    code = cached[1]
                else:
                    if pasted is not None:
                        # Encoded from memory: the copy kept for the results header is a
                        # nicety that a full or read-only disk must not turn into a failed search.
                        data = png_bytes(pasted)
                        if not os.path.exists(path):
                            save_pasted(path, data)
                        code = encoder.encode_bytes(data, path)
                    else:
                        code = encoder.encode_file(path)
                    query.code = (encoder, code)  # the slider reuses it: no re-encoding
                if len(code) != snap.index.codes.shape[1] or (
                        snap.model_id and encoder.model_id != snap.model_id):
                    # The model changed (the new codes come a moment before the new model):
                    # never one model's code among another's, even of the same length.
                    return _STALE
                found = snap.similar_to_code(code, k, max_distance, query_path=path)
                return list(found), True, len(snap) - found.own_twins, found.more
            answered = lambda r: (self._stale(query, snap, encoder) if r is _STALE
                                  else self._show_results(query, r, quiet))
        self.tasks.run_task(job, answered, lambda e: self._search_failed(query, e), key="search")

    @Slot()
    def show_more(self) -> None:
        """The next `results_count` closest photos, appended (the model's fetchMore)."""
        if self._query is None or self._fresh_pending:  # nothing added to a list on its way out
            return
        self._limit += self.settings.results_count
        self._more_asked = True
        self.rerun(quiet=True)

    @Slot(int)
    def find_duplicates(self, max_distance: int) -> None:
        self.settings.duplicate_distance = max_distance
        snap = self.snapshot
        self.duplicates_panel.status.setText("Looking for near-identical photos…")
        # The groups come from this snapshot: what changes meanwhile is applied to them then.
        self.duplicates_panel.begin_search()

        # Stoppable: a new search, clear_duplicates or closing the window ends this one early
        # (at a large distance on a big library it can take minutes).
        def job(should_stop) -> list:
            groups = []
            for group in snap.duplicates(max_distance, should_stop):
                if should_stop():  # keeper_first reads each photo's header: long for big groups
                    raise SearchStopped
                groups.append(keeper_first(group, snap, should_stop))
            return groups

        self.tasks.run_task(job, lambda groups: self._show_duplicates(groups, max_distance),
                            self._duplicates_failed, key="duplicates", stoppable=True)

    def clear_duplicates(self, why: str) -> None:
        """Forget the groups shown (and any search for them still running)."""
        self.tasks.forget("duplicates")
        self.duplicates_panel.set_groups([])
        self.duplicates_panel.status.setText(why)
        self.duplicates_shown.emit([])

    def clear(self) -> bool:
        """Forget the search shown (Escape): no results, the header back to its hint. False if
        there was none. Nothing is lost: Enter on the photo searches with it again."""
        if (self._query is None and not self.results_model.rowCount()
                and self.results_panel.shows_hint()):
            return False
        self._query = None
        self.tasks.forget("search")  # an answer still to come is not shown
        self.results_model.set_results([])
        self.results_panel.show_hint()
        announce(self.results_panel, "Search cleared.")
        self.results_shown.emit([])
        return True

    @property
    def searched_photo_id(self) -> int | None:
        """The library photo whose look-alikes are shown, if the search is one."""
        query = self._query
        return query.photo_id if query is not None and query.kind == "photo" else None

    # -- answers --------------------------------------------------------------------------------
    def _show_results(self, query: Query, result, quiet: bool = False) -> None:
        if query is not self._query:
            return
        # `more`: the search left a hit that makes another result within the distance (the
        # photos not shown cannot tell: a RAW+JPEG pair is two photos and one result).
        matches, known, others, more = result
        before = self.results_model.rowCount()
        more_asked, self._more_asked = self._more_asked, False
        self._fresh_pending = False
        if not quiet:
            self.results_model.set_results(matches, more)
            grid = self.results_panel.grid
            grid.scrollToTop()  # the closest first: a reset kept the old list's scroll position
            if grid.hasFocus() and matches:
                # Enter on a result replaced the list under the focus, leaving no current row:
                # no focus shown, nothing for a screen reader to say, arrows from the top.
                grid.setCurrentIndex(self.results_model.index(0))
        else:
            self._follow(matches, more)
        self.results_panel.show_count(len(matches), others, more)
        if not quiet:  # a re-run on a new snapshot is not news
            announce(self.results_panel, self.results_panel.query_label.text(),
                     rich=True)
        elif more_asked:
            added = max(len(matches) - before, 0)
            said = f"{added} more shown" if added else "No more within this distance"
            announce(self.results_panel, said if more else f"{said}; {len(matches)} found in all")
        if not known and not quiet:
            self._tell("This photo has not been indexed yet; its look-alikes appear once it is.")
        self.results_shown.emit(matches)

    def _stale(self, query: Query, snap: SearchSnapshot, encoder: QueryEncoder) -> None:
        """A dropped photo's code is of another model than `snap`'s codes. Not shown; left
        unsaid only while a newer answer is on its way: a newer snapshot or model came (each
        searches again), or the window's model lags the snapshot's (a switch just done: its
        model_switched follows, and searches again)."""
        if (query is not self._query or self.snapshot is not snap
                or self.query_encoder is not encoder
                or (encoder.expected_id and encoder.expected_id != snap.model_id)):
            return
        self._search_failed(query, ModelError(
            encoder.model_dir, "a photo from outside the library was encoded with another "
            "model than the one the library's photos are encoded with, so it cannot be "
            "compared with them", "Choose the active model again in the Model tab"))

    def _follow(self, matches: list, more: bool) -> None:
        """The same search's new answer (more of it, or on a new snapshot): the photo the user
        picked among the results, and where the list was scrolled to, stay; a picture picked
        as its raw stays picked as its JPEG that took the raw's place, and the reverse."""
        shown = self.results_model.matches()
        if [_unpaired(m) for m in matches[:len(shown)]] == [_unpaired(m) for m in shown]:
            # The same first ones (or unchanged): appended. A raw found beside one of them
            # (its twin came after the last result before) is said in its row: no reset, which
            # took Show more's scrolling to the first new row away.
            self.results_model.update_results(matches[:len(shown)])
            self.results_model.append_results(matches[len(shown):], more)
            return
        view = _twins_followed(self.results_panel.view_state(), shown, matches)
        self.results_model.set_results(matches, more)
        self.results_panel.restore_view_state(view)

    def _search_failed(self, query: Query, error: Exception) -> None:
        if query is not self._query:
            return
        self._fresh_pending = self._more_asked = False
        self.results_model.set_results([])
        if query.kind == "file" and isinstance(error, PhotoReadError):
            self._query = None  # the slider would only fail again
            shown = query.name or error.path or query.path
            self.results_panel.show_problem(query.path, "cannot be read: drop or paste another "
                                                        "photo.", name=query.name)
            self._tell(f"{shown} cannot be read: {error.reason}. Drop or paste another photo.",
                       problem=True)
        else:
            self._tell(f"Search failed: {error}", problem=True)
        self.results_shown.emit([])

    def _show_duplicates(self, groups: list, max_distance: int | None = None) -> None:
        # Found on the snapshot of the click, shown as the library is now (the panel follows
        # the photos deleted, renamed or changed during the search).
        self.duplicates_panel.show_found(groups, max_distance)
        announce(self.duplicates_panel.status, self.duplicates_panel.status.text())
        self.duplicates_shown.emit(self.duplicates_panel.shown_matches())

    def _duplicates_failed(self, error: Exception) -> None:
        self.duplicates_panel.end_search()
        self.duplicates_panel.status.setText(f"Looking for duplicates failed: {error}")

    @Slot(int)
    def _on_max_distance(self, value: int) -> None:
        self.settings.max_distance = value
        self.rerun()

    @Slot(object)
    def _on_thumbnail(self, path: str) -> None:
        if self._query is not None and self._query.path == path:
            pix = self.thumbnails.pixmap(path)
            # None while it is made again (at a new scale): the picture shown stays till then.
            if pix is not None or self.thumbnails.is_broken(path):
                self.results_panel.set_query_picture(pix)

    @Slot()
    def _on_rescaled(self) -> None:
        # The header's picture was made for the old scale (blurred on a sharper screen). Its
        # thumbnail may have left the cache's memory, and then no `ready` came for it: it is
        # asked for again, and shown when it comes.
        path = self._query_path()
        if path is not None:
            self._on_thumbnail(path)

    def _query_path(self) -> str | None:
        return self._query.path if self._query is not None else None


def _unpaired(match: Match) -> Match:
    """`match` without the RAW+JPEG twins it names (the result it is, whatever its mark)."""
    return replace(match, twins=()) if match.twins else match


def _twins_followed(view: tuple, shown: list[Match], matches: list[Match]) -> tuple:
    """`view` (ResultsPanel.view_state over `shown`) for `matches`: a photo picked that was
    renamed is the same photo by its new name; one that left the results for its RAW+JPEG twin
    (a raw given way to its JPEG come in, a JPEG gone from the library leaving its raw) is that
    twin, the same picture."""
    current, selected, scroll = view
    now = {m.path for m in matches}
    renamed = {m.photo_id: m.path for m in matches}
    twin_in = {twin: m.path for m in matches for twin in m.twins}  # a raw -> its JPEG shown
    for m in shown:
        if m.path not in now:  # renamed (its id found again), or a JPEG left: its raw instead
            twin_in.setdefault(m.path, renamed.get(m.photo_id) or next(
                (t for t in m.twins if t in now), m.path))

    def follow(path: str | None) -> str | None:
        return path if path is None or path in now else twin_in.get(path, path)

    return follow(current), [follow(path) for path in selected], scroll


def _code_changed(old: SearchSnapshot, new: SearchSnapshot, photo_id: int) -> bool:
    """Whether the photo has another code in `new` than in `old` (same model: same width)."""
    before, after = old.index.code_of(photo_id), new.index.code_of(photo_id)
    return (before is not None and after is not None and before.shape == after.shape
            and bytes(before) != bytes(after))


def png_bytes(image: QImage) -> bytes:
    """The image as PNG file bytes (QImage may be used off the GUI thread)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def save_pasted(path: str, data: bytes) -> None:
    """Keep a pasted image in the cache (the results header shows it), whole or not at all;
    if it cannot be written the search goes on without it, and the log says why."""
    try:
        write_bytes_atomic(Path(path), data, durable=False)
    except OSError as exc:
        log.warning("pasted image not kept in %s (%s); searching with it all the same",
                    os.path.dirname(path), exc.strerror or exc)
        return
    prune_pasted(os.path.dirname(path), keep=path)


def prune_pasted(folder: str, keep: str, kept: int = PASTED_KEPT) -> None:
    """Delete all but the newest `kept` pasted images (and never `keep`). Runs on the pool."""
    try:
        names = sorted(n for n in os.listdir(folder)
                       if n.startswith("pasted-") and n.endswith(".png"))
    except OSError:
        return
    for name in names[:-kept] if kept else names:
        path = os.path.join(folder, name)
        if path != keep:
            try:
                os.remove(path)
            except OSError:
                pass
