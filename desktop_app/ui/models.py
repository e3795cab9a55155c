"""Item models for the views: the library grid, search results and unreadable photos.

Plain QAbstractItemModels over typed records (Photo, Match), testable without any widget.
Names are shown through printable(): odd bytes as \\xNN, bidirectional controls as \\u202e.
Thumbnails come from a ThumbnailCache and are requested only when a view asks for a row's
decoration, i.e. only for rows on screen.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterable, Sequence

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QMimeData,
    QModelIndex,
    QObject,
    QStringListModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QGuiApplication, QPalette, QPixmap

from ..core.errors import printable
from ..core.raw_twins import pair_label
from ..core.records import Match, Photo
from .file_actions import GNOME_FILES, files_mime
from .thumbnails import ThumbnailCache

PhotoIdRole = Qt.ItemDataRole.UserRole + 1
PathRole = Qt.ItemDataRole.UserRole + 2
RecordRole = Qt.ItemDataRole.UserRole + 3  # the Photo or Match itself
DistanceRole = Qt.ItemDataRole.UserRole + 4
SimilarityRole = Qt.ItemDataRole.UserRole + 5
ErrorRole = Qt.ItemDataRole.UserRole + 6
_ROOT = QModelIndex()  # the invisible root: list and table models have no children


def _mixed(a: QColor, b: QColor, share: float) -> QColor:
    """`a` with `share` of `b` in it."""
    return QColor.fromRgbF(*(x + (y - x) * share for x, y in zip(a.getRgbF()[:3],
                                                                  b.getRgbF()[:3])))


def placeholder_color(palette: QPalette, broken: bool) -> QColor:
    """A fifth of the way from the background to the text: the two are made to contrast in any
    theme, so the square shows on a dark one too (a fixed translucent grey hardly did). A
    photo that cannot be read is redder."""
    roles = QPalette.ColorRole
    fill = _mixed(palette.color(roles.Base), palette.color(roles.Text), 0.2)
    return _mixed(fill, QColor(220, 50, 50), 0.5) if broken else fill


def _placeholder(edge: int, color: QColor) -> QPixmap:
    pix = QPixmap(edge, edge)
    pix.fill(color)
    return pix


def exact_path(index: QModelIndex) -> str | None:
    """The path of the photo at `index` as Python holds it (its record's): PathRole's Qt string
    loses the bytes of a name that is not UTF-8, and then names another file, or none."""
    record = index.data(RecordRole)
    return record.path if record is not None else index.data(PathRole)


def thumbnail_or_placeholder(thumbnails: ThumbnailCache, path: str,
                             placeholders: dict[tuple[int, int], QPixmap]) -> QPixmap:
    """The thumbnail, asked for now (so only for rows a view shows), or a placeholder of the same
    size until it arrives (made once per `placeholders` dict, colour and size). Its colour follows
    the application's palette, the views' own (none sets another), also when the theme changes
    while the app runs: the views repaint then, and ask again."""
    pix = thumbnails.pixmap(path)
    if pix is not None:
        return pix
    color = placeholder_color(QGuiApplication.palette(), thumbnails.is_broken(path))
    key = (color.rgba(), thumbnails.edge)  # after a zoom: squares of the new size
    if key not in placeholders:
        placeholders[key] = _placeholder(thumbnails.edge, color)
    return placeholders[key]


class _ThumbnailRows:
    """Shared part (a mixin; each model calls _init_thumbnails): rows that have a path and a
    thumbnail."""

    def _init_thumbnails(self, thumbnails: ThumbnailCache | None) -> None:
        self._thumbnails = thumbnails
        self._placeholders: dict[tuple[int, int], QPixmap] = {}  # by colour and size
        if thumbnails is not None:
            thumbnails.ready.connect(self._on_thumbnail)

    def _path_at(self, row: int) -> str:
        raise NotImplementedError

    def _rows_of_path(self, path: str) -> Iterable[int]:
        raise NotImplementedError

    def _decoration(self, path: str):
        if self._thumbnails is None:
            return None
        return thumbnail_or_placeholder(self._thumbnails, path, self._placeholders)

    def _on_thumbnail(self, path: str) -> None:
        for row in self._rows_of_path(path):
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


class _FileRows:
    """Shared part (a mixin): rows that are photo files, dragged out as files (to a file
    manager, a mail, a chat, an editor), copied, never moved."""

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        # Not QStringListModel's: no editing, no dropping onto a row.
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flag = Qt.ItemFlag
        return (flag.ItemIsSelectable | flag.ItemIsEnabled | flag.ItemNeverHasChildren
                | flag.ItemIsDragEnabled)

    def supportedDragActions(self) -> Qt.DropAction:
        # A file manager offers a move for local files: the user's photo would leave its
        # folder (and QAbstractItemView removes the rows of a drag that ends in a move).
        return Qt.DropAction.CopyAction

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.IgnoreAction  # QStringListModel's take rows dropped on them

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list", "text/plain", GNOME_FILES]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData | None:
        """The files of `indexes` that are there (file_actions.files_mime), each once, in the
        order of the rows; None if none is: a drag of nothing is not started."""
        there = present_paths(indexes)[0]
        return files_mime(there) if there else None


def present_paths(indexes: Iterable[QModelIndex]) -> tuple[list[str], list[str]]:
    """The paths of the photos at `indexes` (each once, in the order of the rows) whose file
    is there, and those whose file is not (deleted, moved, on a drive unplugged)."""
    there: list[str] = []
    gone: list[str] = []
    for path in dict.fromkeys(exact_path(i) for i in sorted(indexes, key=QModelIndex.row)
                              if i.isValid()):
        if path is not None:
            (there if os.path.isfile(path) else gone).append(path)
    return there, gone


class PhotoListModel(_FileRows, _ThumbnailRows, QStringListModel):
    """The library grid: one row per indexed photo, in the order they were added.

    Built on QStringListModel (one empty string a row) so that rowCount and index() stay in
    C++: a view re-lays out every row after any insertion or removal and asks both for each
    row, and with rowCount in Python that took 0.3-1.2 s at 200,000 photos (the GIL taken
    400,000 times) against 25-60 ms. The photos live in `_photos`, changed by the first
    slots on the row signals, so every view sees them match the row count.

    Rows are only appended or removed, never moved, so each photo's key (a counter at
    insertion) rises with its row: a row is found by bisecting `_keys`, and removing a row
    renumbers nothing (renumbering every later row took 100 ms at 200,000)."""

    def __init__(self, thumbnails: ThumbnailCache | None = None,
                 parent: QObject | None = None) -> None:
        QStringListModel.__init__(self, parent)
        self._init_thumbnails(thumbnails)
        self._photos: list[Photo] = []
        self._keys: list[int] = []  # each row's key, rising
        self._key_of_id: dict[int, int] = {}
        self._key_of_path: dict[str, int] = {}
        self._next_key = 0
        self._incoming: list[Photo] = []  # rows being inserted, or the whole list being reset
        # Connected before any view, so these run first.
        self.rowsInserted.connect(self._take_incoming)
        self.rowsRemoved.connect(self._drop_rows)
        self.modelReset.connect(self._take_reset)

    # -- Qt model API ---------------------------------------------------------------------------
    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._photos):
            return None
        photo = self._photos[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return printable(os.path.basename(photo.path))
        if role == Qt.ItemDataRole.DecorationRole:
            return self._decoration(photo.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            size = f"{photo.width}x{photo.height}, " if photo.width else ""
            return f"{printable(photo.path)}\n{size}{photo.size // 1024:,} KiB"
        if role == PhotoIdRole:
            return photo.id
        if role == PathRole:
            return photo.path
        if role == RecordRole:
            return photo
        return None

    # -- the Python side of the rows, kept with the C++ row count --------------------------------
    def _take_reset(self) -> None:
        self._photos, self._incoming = self._incoming, []
        self._keys = list(range(len(self._photos)))
        self._next_key = len(self._photos)
        self._key_of_id = {p.id: key for key, p in enumerate(self._photos)}
        self._key_of_path = {p.path: key for key, p in enumerate(self._photos)}

    def _take_incoming(self, parent: QModelIndex, first: int, last: int) -> None:
        new, self._incoming = self._incoming, []
        keys = range(self._next_key, self._next_key + len(new))
        self._next_key += len(new)
        self._photos[first:first] = new
        self._keys[first:first] = keys
        for key, photo in zip(keys, new):
            self._key_of_id[photo.id] = key
            self._key_of_path[photo.path] = key

    def _drop_rows(self, parent: QModelIndex, first: int, last: int) -> None:
        # Their ids and paths go here, whoever removed the rows: a stale key would bisect to
        # the next photo's row.
        for key, photo in zip(self._keys[first:last + 1], self._photos[first:last + 1]):
            if self._key_of_id.get(photo.id) == key:
                del self._key_of_id[photo.id]
            if self._key_of_path.get(photo.path) == key:  # not another photo's path now
                del self._key_of_path[photo.path]
            if self._thumbnails is not None:  # a new photo may come to this path
                self._thumbnails.forget(photo.path)
        del self._photos[first:last + 1]
        del self._keys[first:last + 1]

    def _row_of_key(self, key: int | None) -> int | None:
        return None if key is None else bisect.bisect_left(self._keys, key)

    # -- updates ----------------------------------------------------------------------------------
    def set_photos(self, photos: Sequence[Photo]) -> None:
        self._incoming = [p for p in photos if p.status == "ok"]
        self.setStringList([""] * len(self._incoming))

    def upsert(self, photos: Iterable[Photo]) -> None:
        """New photos are appended, known ones (same id) updated in place; failed ones dropped."""
        new: list[Photo] = []
        gone: list[int] = []
        for photo in photos:
            key = self._key_of_id.get(photo.id)
            if photo.status != "ok":
                if key is not None:
                    gone.append(photo.id)
                continue
            if key is None:
                new.append(photo)
                continue
            row = self._row_of_key(key)
            old = self._photos[row]
            if old == photo:  # a full read sends every photo again: nothing to repaint
                continue
            self._photos[row] = photo
            if old.path != photo.path:
                if self._key_of_path.get(old.path) == key:  # not a photo renamed onto it
                    del self._key_of_path[old.path]
                self._key_of_path[photo.path] = key
            # Another picture at this path now (the file changed, even keeping its size and
            # mtime, or this photo was renamed over another): the kept thumbnail is stale.
            if self._thumbnails is not None and (old.path, old.stamp) != (photo.path,
                                                                          photo.stamp):
                self._thumbnails.forget(photo.path)
            index = self.index(row)
            self.dataChanged.emit(index, index)
        if new:
            if self._thumbnails is not None:  # a path may have shown another photo before
                for photo in new:
                    self._thumbnails.forget(photo.path)
            self._incoming = new
            self.insertRows(len(self._photos), len(new))
        if gone:
            self.remove_ids(gone)

    def remove_ids(self, photo_ids: Iterable[int]) -> None:
        keys = {self._key_of_id[i] for i in photo_ids if i in self._key_of_id}
        rows = sorted((self._row_of_key(key) for key in keys), reverse=True)
        if not rows:
            return
        # Remove contiguous runs from the bottom up so earlier row numbers stay valid.
        start = end = rows[0]
        runs = []
        for row in rows[1:]:
            if row == start - 1:
                start = row
            else:
                runs.append((start, end))
                start = end = row
        runs.append((start, end))
        for first, last in runs:
            self.removeRows(first, last - first + 1)  # _drop_rows forgets their ids and paths

    # -- lookups ----------------------------------------------------------------------------------
    def photo_at(self, row: int) -> Photo:
        return self._photos[row]

    def row_of(self, photo_id: int) -> int | None:
        return self._row_of_key(self._key_of_id.get(photo_id))

    def row_of_path(self, path: str) -> int | None:
        return self._row_of_key(self._key_of_path.get(path))

    def photo(self, photo_id: int) -> Photo | None:
        row = self.row_of(photo_id)
        return None if row is None else self._photos[row]

    def stamp_of_path(self, path: str) -> tuple | None:
        """The (size, mtime, change time) the photo at `path` was indexed with (see
        Photo.stamp), or None if the grid has no photo there."""
        row = self.row_of_path(path)
        return None if row is None else self._photos[row].stamp

    def ids(self) -> list[int]:
        return [p.id for p in self._photos]

    def _path_at(self, row: int) -> str:
        return self._photos[row].path

    def _rows_of_path(self, path: str) -> Iterable[int]:
        row = self.row_of_path(path)
        return () if row is None else (row,)


def similarity_text(match: Match) -> str:
    return f"{match.similarity * 100:.0f}%"


class ResultsModel(_FileRows, _ThumbnailRows, QAbstractListModel):
    """Search results, ranked: distance and similarity per row. The closest come first; when
    more may lie within the distance, a view scrolled to the end (Qt's canFetchMore and
    fetchMore) or the header's Show more asks for the next ones (`more_wanted`), which the
    search controller appends."""

    more_wanted = Signal()

    def __init__(self, thumbnails: ThumbnailCache | None = None,
                 parent: QObject | None = None) -> None:
        QAbstractListModel.__init__(self, parent)
        self._init_thumbnails(thumbnails)
        self._matches: list[Match] = []
        self._more = False  # more may lie within the distance, and none are asked for yet

    def canFetchMore(self, parent: QModelIndex = _ROOT) -> bool:
        return not parent.isValid() and self._more

    def fetchMore(self, parent: QModelIndex = _ROOT) -> None:
        if self.canFetchMore(parent):
            # One request at a time: a view asks again on every scroll at the end; the
            # answer says whether more remain.
            self._more = False
            self.more_wanted.emit()

    def rowCount(self, parent: QModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._matches)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._matches):
            return None
        match = self._matches[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            # A RAW+JPEG pair's mark on a line of its own, under the distance line: the grid
            # keeps the lines after the name whole, and both fit the cell's width.
            pair = pair_label(match)
            return (f"{printable(os.path.basename(match.path))}\n"
                    f"distance {match.distance} · {similarity_text(match)}"
                    + (f"\n{pair}" if pair else ""))
        if role == Qt.ItemDataRole.DecorationRole:
            return self._decoration(match.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"{printable(match.path)}\nHamming distance {match.distance} of "
                    f"{match.bits} bits, {similarity_text(match)} similar"
                    + "".join(f"\nShot {pair_label(match)}: its raw file "
                              f"{printable(os.path.basename(raw))} is the same photo"
                              for raw in match.twins))
        if role == PhotoIdRole:
            return match.photo_id
        if role == PathRole:
            return match.path
        if role == RecordRole:
            return match
        if role == DistanceRole:
            return match.distance
        if role == SimilarityRole:
            return match.similarity
        return None

    def set_results(self, matches: Sequence[Match], more: bool = False) -> None:
        """`more`: more may lie within the distance (fetchMore then asks for them)."""
        self.beginResetModel()
        self._matches = list(matches)
        self._more = more
        self.endResetModel()

    def append_results(self, matches: Sequence[Match], more: bool = False) -> None:
        """The next ones, below those shown: the current and selected rows and the scroll
        position stay (a reset would lose them)."""
        self._more = more  # set first: a view asks canFetchMore as the rows come in
        if matches:
            first = len(self._matches)
            self.beginInsertRows(_ROOT, first, first + len(matches) - 1)
            self._matches.extend(matches)
            self.endInsertRows()

    def update_results(self, matches: Sequence[Match]) -> None:
        """The first rows' matches replaced by `matches`, of the same photos in the same order
        (a RAW+JPEG twin named beside one since), each row changed repainted: the current and
        selected rows and the scroll position stay."""
        changed = [row for row, (old, new) in enumerate(zip(self._matches, matches))
                   if old != new]
        if changed:
            self._matches[:len(matches)] = matches
            self.dataChanged.emit(self.index(changed[0]), self.index(changed[-1]))

    def matches(self) -> list[Match]:
        return list(self._matches)

    def _path_at(self, row: int) -> str:
        return self._matches[row].path

    def _rows_of_path(self, path: str) -> Iterable[int]:
        return [r for r, m in enumerate(self._matches) if m.path == path]


class FailedPhotosModel(QAbstractTableModel):
    """Photos that could not be read: file and reason."""

    HEADERS = ("File", "Reason")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._photos: list[Photo] = []

    def rowCount(self, parent: QModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._photos)

    def columnCount(self, parent: QModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._photos):
            return None
        photo = self._photos[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            # The reason too: it names the file, and one stored before printable escaped
            # bidirectional controls (an older library) holds them as they are.
            return printable(photo.path if index.column() == 0
                             else photo.error or "unknown reason")
        if role == PathRole:
            return photo.path
        if role == RecordRole:
            return photo
        if role == ErrorRole:
            return photo.error
        if role == PhotoIdRole:
            return photo.id
        return None

    def set_photos(self, photos: Sequence[Photo]) -> None:
        self.beginResetModel()
        self._photos = sorted(photos, key=lambda p: p.path)
        self.endResetModel()

    def photos(self) -> list[Photo]:
        return list(self._photos)
