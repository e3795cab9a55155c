"""Item models for the views: the library grid, search results and unreadable photos.

Plain QAbstractItemModels over typed records (Photo, Match), testable without any widget.
Names are shown through printable(): odd bytes as \\xNN, bidirectional controls as \\u202e.
Thumbnails come from a ThumbnailCache and are requested only when a view asks for a row's
decoration, i.e. only for rows on screen.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterable, Sequence
from itertools import chain

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
from ..core.raw_twins import PictureFiles, files_pair_label, may_hold_raws, picture_key
from ..core.records import Match, Photo
from .file_actions import GNOME_FILES, files_mime
from .thumbnails import ThumbnailCache
from .type_ahead import ROW_START, RowTexts, search_form

PhotoIdRole = Qt.ItemDataRole.UserRole + 1
PathRole = Qt.ItemDataRole.UserRole + 2
RecordRole = Qt.ItemDataRole.UserRole + 3  # the Photo or Match itself
DistanceRole = Qt.ItemDataRole.UserRole + 4
SimilarityRole = Qt.ItemDataRole.UserRole + 5
ErrorRole = Qt.ItemDataRole.UserRole + 6
_ROOT = QModelIndex()  # the invisible root: list and table models have no children
_TYPE_AHEAD = Qt.MatchFlag.MatchStartsWith | Qt.MatchFlag.MatchWrap  # a view's keyboardSearch
# Typed text that the rows' texts (_TypeAheadRows) cannot answer for: their markers (a NUL, a
# line break: the line of a pair's mark starts with one, as Qt's match sees it), half a
# surrogate pair (Qt cannot be asked how it folds one).
_NOT_TYPE_AHEAD = re.compile("[\0\n\ud800-\udfff]")


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


_POSIX = os.sep == "/" and os.altsep is None


def _shown_name(path: str) -> str:
    """The name the library grid shows of the file at `path` (the first line of its text)."""
    # os.path.basename's on POSIX without its calls: the first name typed has 200,000 made.
    return printable(path[path.rfind("/") + 1:] if _POSIX else os.path.basename(path))


def exact_path(index: QModelIndex) -> str | None:
    """The path of the photo at `index` as Python holds it (its record's): PathRole's Qt string
    loses the bytes of a name that is not UTF-8, and then names another file, or none."""
    record = index.data(RecordRole)
    return record.path if record is not None else index.data(PathRole)


def pair_mark_line(path: str, twins: Sequence[str]) -> str:
    """The mark of a photo shown for a RAW+JPEG pair, on a line of its own under the cell's
    other lines ("\nRAW+JPEG"): the grids keep the lines after the name whole, and it fits the
    cell's width. "" for a photo shown alone."""
    label = files_pair_label(path, twins)
    return f"\n{label}" if label else ""


def pair_tooltip_lines(path: str, twins: Sequence[str]) -> str:
    """The tooltip's lines naming the raw files of a photo shown for a RAW+JPEG pair, each on
    a line of its own; "" for a photo shown alone."""
    label = files_pair_label(path, twins)
    return "".join(f"\nShot {label}: its raw file {printable(os.path.basename(raw))} is the "
                   "same photo" for raw in twins)


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


class _TypeAheadRows:
    """Shared part (a mixin; each model calls _init_type_ahead and notes its rows' changes in
    `_type_ahead`): a name typed in a view (keyboardSearch, which calls match) is looked for
    in each row's text kept folded (type_ahead.RowTexts), not through data(): Qt's match asks
    the data() of every row it passes. Names and what is typed are compared decomposed (NFD,
    type_ahead.search_form): a name stored decomposed is found by the same name typed."""

    def _init_type_ahead(self) -> None:
        self._type_ahead = RowTexts()  # each row's _search_texts once a name is typed

    def _type_ahead_records(self) -> Sequence:
        """The rows' records, in order (what RowTexts.changed is given)."""
        raise NotImplementedError

    def _search_texts(self, records: Sequence) -> list[str]:
        """What a name typed is looked for in, in the rows of `records`: the name shown (in
        search_form), then maybe other names, each after a line break."""
        raise NotImplementedError

    def _raws_named(self) -> bool:
        """Whether a row's text may hold a raw's name after its name (a RAW+JPEG pair)."""
        return False

    def match(self, start: QModelIndex, role: int, value, hits: int = 1,
              flags: Qt.MatchFlag = _TYPE_AHEAD) -> list[QModelIndex]:
        """Qt's, but for a name typed in a view (keyboardSearch): the first row from `start`
        on, wrapping round, whose name shown starts with it as Qt's case-insensitive compare
        has it, both decomposed, or (_raws_named) whose raw's name does, past a dot: up to the
        suffix, the raw's name is its twin's (_typed_row)."""
        if (role == Qt.ItemDataRole.DisplayRole and hits == 1 and flags == _TYPE_AHEAD
                and isinstance(value, str) and value and not _NOT_TYPE_AHEAD.search(value)
                and start.isValid() and start.model() is self):
            row = self._typed_row(start.row(), value)
            return [] if row is None else [self.index(row)]
        # Qt's alone, for any other call and for a name typed holding a NUL, a line break or
        # half a surrogate pair, which no raw's name holds.
        return super().match(start, role, value, hits, flags)

    def _typed_row(self, first: int, typed: str) -> int | None:
        """match's answer for a name typed, from the row `first` on: the first row, wrapping
        round, whose name shown starts with `typed` (the lines after it cannot be reached:
        `typed` holds no line break), or whose raw's name does, past a dot."""
        records = self._type_ahead_records()
        texts = self._type_ahead
        texts.catch_up(records, self._search_texts)
        folded = search_form(typed)
        rows = [texts.first_from(first, ROW_START + folded)]
        if "." in typed and self._raws_named():
            rows.append(texts.first_from(first, "\n" + folded))
        count = len(records)
        return min((row for row in rows if row is not None),
                   key=lambda row: (row - first) % count, default=None)  # as wrapped


def _raw_lines(raws: Iterable[str]) -> str:
    """The names of a pair's raws as a row's text holds them after its name shown (RowTexts):
    each after a line break, in search_form."""
    return "".join(f"\n{search_form(_shown_name(raw))}" for raw in raws)


class PhotoListModel(_TypeAheadRows, _FileRows, _ThumbnailRows, QStringListModel):
    """The library grid: one row per picture indexed, in the order they were added.

    A camera's RAW+JPEG pair (core/raw_twins.py) is one row, as in the results: its JPEG (or
    HEIC...), marked under its name, its raws named in its tooltip. The raws behind it are kept
    aside (`_hidden`), found by id and path all the same (photo, stamp_of_path: the Duplicates
    tab lists raws). A raw whose twin is not in the library (deleted, not indexed yet, failed)
    has its own row, which its twin takes when it comes: the row stays, so the current and
    selected rows stay on the picture; the raw takes it back when the twin goes. Pairs are
    looked for once the library holds a raw (PictureFiles): 200,000 files shot RAW+JPEG took
    0.6-0.8 s more of the first load's slices than one row a file, and 17 MiB; before, only
    the suffixes of the photos that come are looked at (28-44 ms for 200,000;
    bench/results/grid-raw-pairs.md).

    Built on QStringListModel (one empty string a row) so that rowCount and index() stay in
    C++: a view re-lays out every row after any insertion or removal and asks both for each
    row, and with rowCount in Python that took 0.3-1.2 s at 200,000 photos (the GIL taken
    400,000 times) against 25-60 ms. The photos live in `_photos`, changed by the first
    slots on the row signals, so every view sees them match the row count.

    Rows are only appended or removed, never moved, so each photo's key (a counter at
    insertion) rises with its row: a row is found by bisecting `_keys`, and removing a row
    renumbers nothing (renumbering every later row took 100 ms at 200,000).

    A name typed in a view (keyboardSearch, which calls match) is looked for in each row's
    text kept folded (`_type_ahead`, _TypeAheadRows), not through data(): Qt's match asked
    the data() of every row it passed, up to 0.5-0.6 s a key at 200,000 photos, now under
    5 ms. A pair is found by its raw's name too (IMG_0001.CR2 typed finds the tile shown as
    IMG_0001.JPG). The texts are made at the first name typed (77 ms at 200,000 photos, 140 ms
    with RAW+JPEG pairs; 17 MiB), then kept in step by the slots above and `_retext`, a
    change noted in them only (bench/results/grid-typing.md)."""

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
        self._pictures: PictureFiles | None = None  # None while the library holds no raw
        # The rows filed so far for the first raw to come (file_ahead), and how many.
        self._filing: PictureFiles | None = None
        self._filed_rows = 0
        self._hidden: dict[int, Photo] = {}  # raws behind their twin's row
        self._hidden_of_path: dict[str, int] = {}
        # A row's photo -> the paths of the raws behind it, joined by NULs (no path holds one):
        # a string, not a tuple, which the garbage collector would go through again and again.
        self._twins: dict[int, str] = {}
        self._init_type_ahead()
        # Connected before any view, so these run first.
        self.rowsInserted.connect(self._take_incoming)
        self.rowsRemoved.connect(self._drop_rows)
        self.modelReset.connect(self._take_reset)
        self.dataChanged.connect(self._retext)

    # -- Qt model API ---------------------------------------------------------------------------
    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._photos):
            return None
        photo = self._photos[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _shown_name(photo.path) + pair_mark_line(photo.path, self.twins_of(photo.id))
        if role == Qt.ItemDataRole.DecorationRole:
            return self._decoration(photo.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            size = f"{photo.width}x{photo.height}, " if photo.width else ""
            return (f"{printable(photo.path)}\n{size}{photo.size // 1024:,} KiB"
                    + pair_tooltip_lines(photo.path, self.twins_of(photo.id)))
        if role == PhotoIdRole:
            return photo.id
        if role == PathRole:
            return photo.path
        if role == RecordRole:
            return photo
        return None

    def _type_ahead_records(self) -> list[Photo]:
        return self._photos

    def _raws_named(self) -> bool:
        return bool(self._twins)

    def _search_texts(self, photos: Sequence[Photo]) -> list[str]:
        """What a name typed is looked for in, in the rows of `photos` (RowTexts): the name
        shown, then the name of each raw behind it after a line break (printable() leaves
        none in a name, nor a NUL, RowTexts' mark of a row's start), decomposed and folded as
        Qt's case-insensitive compare folds them (search_form). (Casefolded, a raw's name had
        ß as ss: straße.cr2 typed found Strasse.JPG's tile, where straße.jpg found
        Straße.JPG's.)"""
        texts = [search_form(_shown_name(photo.path)) for photo in photos]
        if self._twins:
            twins = self._twins
            for i, photo in enumerate(photos):
                raws = twins.get(photo.id)
                if raws:
                    texts[i] += _raw_lines(raws.split("\0"))
        return texts

    # -- the Python side of the rows, kept with the C++ row count --------------------------------
    def _take_reset(self) -> None:
        self._photos, self._incoming = self._incoming, []
        self._type_ahead.forget()  # made again at the next name typed
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
        self._type_ahead.changed(first, first, new)
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
        self._type_ahead.changed(first, last + 1)

    def _retext(self, top: QModelIndex, bottom: QModelIndex, roles: Sequence[int] = ()) -> None:
        # A row's photo replaced (renamed, its twin's row taken), or the raws behind it
        # changed: each emits dataChanged for the views to show it.
        if not roles or Qt.ItemDataRole.DisplayRole in roles:
            first, end = top.row(), bottom.row() + 1
            self._type_ahead.changed(first, end, self._photos[first:end])

    def _row_of_key(self, key: int | None) -> int | None:
        return None if key is None else bisect.bisect_left(self._keys, key)

    # -- updates ----------------------------------------------------------------------------------
    def set_photos(self, photos: Sequence[Photo]) -> None:
        ok = [p for p in photos if p.status == "ok"]
        self._pictures, self._hidden, self._hidden_of_path, self._twins = None, {}, {}, {}
        self._filing = None
        if may_hold_raws(p.path for p in ok):
            ok = self._paired(ok)
        self._incoming = ok
        self.setStringList([""] * len(ok))

    def _paired(self, photos: list[Photo]) -> list[Photo]:
        """`photos` less the raws behind a twin among them, set aside (the pairs filed)."""
        pictures = self._pictures = PictureFiles()
        for photo in photos:
            pictures.add(photo.id, photo.path)
        by_id = {p.id: p for p in photos}
        for others, raws in pictures.pairs():
            paths = "\0".join(by_id[i].path for i in raws)
            for photo_id in others:
                self._twins[photo_id] = paths
            for photo_id in raws:
                self._hide(by_id[photo_id])
        return [p for p in photos if p.id not in self._hidden]

    def upsert(self, photos: Iterable[Photo]) -> None:
        """New photos are appended, known ones (same id) updated in place; failed ones dropped.
        A RAW+JPEG pair's files share a row (see the class)."""
        photos = list(photos)
        if self._pictures is None and may_hold_raws(p.path for p in photos):
            self.file_ahead(photos, len(self._photos))  # those left (every photo: no pair yet)
            self._pictures, self._filing = self._filing, None
        if self._pictures is None:
            self._filing = None  # its rows may change: filed again from the first
            self._upsert_rows(photos)
            return
        latest = {photo.id: photo for photo in photos}  # (an id sent twice: as it is now)
        olds = {photo_id: self._record(photo_id) for photo_id in latest}
        arrived = [photo for photo in latest.values()
                   if photo.status == "ok" and olds[photo.id] != photo]
        left = [photo.id for photo in latest.values()
                if photo.status != "ok" and olds[photo.id] is not None]
        self._change(arrived, left, olds)

    def file_ahead(self, photos: Sequence[Photo], most: int) -> bool:
        """Ready the pairing that the first raw among `photos` starts in a library that held
        none, before they are upserted: up to `most` more of the rows filed (PictureFiles).
        True while rows are left to file; False if none are, or `photos` hold no raw, or pairs
        are looked for already. The RowFeeder calls it over turns: 200,000 rows filed at once
        held one turn 0.2-0.3 s. Any other change to the rows before the upsert drops them."""
        if self._pictures is not None or not may_hold_raws(p.path for p in photos):
            return False
        if self._filing is None:
            self._filing, self._filed_rows = PictureFiles(), 0
        end = min(self._filed_rows + most, len(self._photos))
        for photo in self._photos[self._filed_rows:end]:
            self._filing.add(photo.id, photo.path)
        self._filed_rows = end
        return end < len(self._photos)

    def _upsert_rows(self, photos: list[Photo]) -> None:
        """upsert() while the library holds no raw: a photo is a row."""
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
            self._forget_thumbnail(old, photo)
            self._put(key, photo)
            index = self.index(row)
            self.dataChanged.emit(index, index)
        self._append(new)
        if gone:
            self.remove_ids(gone)

    def remove_ids(self, photo_ids: Iterable[int]) -> None:
        if self._pictures is None:
            self._filing = None  # its rows change: filed again from the first
            self._remove_keys({self._key_of_id[i] for i in photo_ids if i in self._key_of_id})
            return
        olds = {photo_id: self._record(photo_id) for photo_id in photo_ids}
        self._change([], [i for i, old in olds.items() if old is not None], olds)

    def _change(self, arrived: list[Photo], left: list[int],
                olds: dict[int, Photo | None]) -> None:
        """Photos new or changed (`arrived`) and ids that leave the grid (`left`), their
        records before by id (`olds`), put into the rows, pairs looked for: a row updated in
        place, given by a file of a picture to its twin, removed, or appended."""
        if self._thumbnails is not None:
            for photo in arrived:
                self._forget_thumbnail(olds[photo.id], photo)
        show, hide, picture_of, pictures = self._sort_out(arrived, left, olds)
        records = {photo.id: photo for photo in arrived}
        key_of_id, hidden = self._key_of_id, self._hidden
        hiding = [records.get(photo_id) or self._record(photo_id) for photo_id in hide]
        free: dict[str, list[int]] = {}  # rows that files leave, by their picture
        for photo_id in chain(left, hide):
            row_key = key_of_id.get(photo_id)
            if row_key is not None:
                picture = picture_of.get(photo_id) or hide[photo_id]
                free.setdefault(picture, []).append(row_key)
        repaint: list[int] = []
        new: list[Photo] = []
        for photo_id, picture in show.items():
            photo = records.get(photo_id) or self._record(photo_id)
            if photo_id in hidden:
                self._unhide(photo_id)
            row_key = key_of_id.get(photo_id)
            if row_key is None and free and free.get(picture):
                row_key = free[picture].pop(0)  # its twin's row: the picture stays put
            if row_key is None:
                new.append(photo)
            elif self._photos[self._row_of_key(row_key)] != photo:
                self._put(row_key, photo)
                repaint.append(row_key)
        for photo in hiding:
            self._unhide(photo.id)
            self._hide(photo)
        for photo_id in left:
            self._unhide(photo_id)
            self._twins.pop(photo_id, None)
        repaint += self._mark_twins(pictures)
        for row_key in dict.fromkeys(repaint):
            index = self.index(self._row_of_key(row_key))
            self.dataChanged.emit(index, index)
        self._remove_keys(chain.from_iterable(free.values()))  # _drop_rows forgets them
        self._append(new)
        # A path is the photo's that came to it, not a raw's shown again above from its old
        # record (a JPEG renamed over its raw: the raw's removal comes next, and took the path).
        for photo in arrived:
            if photo.id in self._key_of_id:
                self._key_of_path[photo.path] = self._key_of_id[photo.id]
            elif photo.id in hidden:
                self._hidden_of_path[photo.path] = photo.id
        if self._thumbnails is not None:  # a new photo may come to these paths
            for photo_id in left:
                self._thumbnails.forget(olds[photo_id].path)

    def _sort_out(self, arrived: list[Photo], left: list[int],
                  olds: dict[int, Photo | None]) -> tuple[
            dict[int, str | None], dict[int, str], dict[int, str],
            dict[str, tuple[tuple[int, ...], tuple[int, ...]]]]:
        """Where the photos a change touches go: those in a row after it, each with its
        picture's key (None: its own row still), those behind a twin's row with theirs, the
        picture each photo leaving one showed, and the files of each picture touched
        (PictureFiles.files)."""
        filed = self._pictures
        picture_of: dict[int, str] = {}
        touched: dict[str, None] = {}
        for photo_id in left:
            picture_of[photo_id] = filed.remove(photo_id, olds[photo_id].path)
        kept = []
        for photo in arrived:
            old = olds[photo.id]
            if old is None:
                touched[filed.add(photo.id, photo.path)] = None
            elif old.path != photo.path:  # renamed or moved: maybe no longer, or now, a twin
                picture_of[photo.id] = filed.remove(photo.id, old.path)
                touched[filed.add(photo.id, photo.path)] = None
            else:
                kept.append(photo.id)
        touched.update(dict.fromkeys(picture_of.values()))
        show: dict[int, str | None] = {}
        hide: dict[int, str] = {}
        pictures = {key: filed.files(key) for key in touched}
        for key, (others, raws) in pictures.items():
            for photo_id in others or raws:
                show[photo_id] = key
            if others:
                for photo_id in raws:
                    hide[photo_id] = key
        for photo_id in kept:  # the rest stay where they are: in a row, or behind a twin
            if photo_id not in show and photo_id not in hide:
                if photo_id in self._hidden:
                    hide[photo_id] = ""  # (no row to give)
                else:
                    show[photo_id] = None  # in its own row still
        return show, hide, picture_of, pictures

    def _mark_twins(self, pictures: dict[str, tuple[tuple[int, ...], tuple[int, ...]]]
                    ) -> list[int]:
        """The raws behind each row of the `pictures` noted, for its mark; the keys of the
        rows whose mark changed."""
        changed = []
        for others, raws in pictures.values():
            paths = "\0".join(self._hidden[i].path for i in raws) if others else ""
            for photo_id in chain(others, raws):  # (a JPEG renamed as a raw has none now)
                now = paths if photo_id in others else ""
                if self._twins.get(photo_id, "") != now:
                    if now:
                        self._twins[photo_id] = now
                    else:
                        del self._twins[photo_id]
                    if photo_id in self._key_of_id:
                        changed.append(self._key_of_id[photo_id])
        return changed

    def _forget_thumbnail(self, old: Photo | None, photo: Photo) -> None:
        # Another picture at this path now (a new photo where one was, the file changed, even
        # keeping its size and mtime, or this photo renamed over another): the kept thumbnail
        # is stale.
        if self._thumbnails is not None and (old is None or (old.path, old.stamp)
                                             != (photo.path, photo.stamp)):
            self._thumbnails.forget(photo.path)

    def _put(self, row_key: int, photo: Photo) -> None:
        """`photo` in the row of `row_key`: its own row, or one its twin leaves."""
        row = self._row_of_key(row_key)
        old, self._photos[row] = self._photos[row], photo
        if old.id != photo.id:
            if self._key_of_id.get(old.id) == row_key:
                del self._key_of_id[old.id]
            self._key_of_id[photo.id] = row_key
        if old.path != photo.path:
            if self._key_of_path.get(old.path) == row_key:  # not a photo renamed onto it
                del self._key_of_path[old.path]
            self._key_of_path[photo.path] = row_key

    def _append(self, photos: list[Photo]) -> None:
        if photos:
            if self._thumbnails is not None:  # a path may have shown another photo before
                for photo in photos:
                    self._thumbnails.forget(photo.path)
            self._incoming = photos
            self.insertRows(len(self._photos), len(photos))

    def _hide(self, photo: Photo) -> None:
        self._hidden[photo.id] = photo
        self._hidden_of_path[photo.path] = photo.id

    def _unhide(self, photo_id: int) -> None:
        photo = self._hidden.pop(photo_id, None)
        if photo is not None and self._hidden_of_path.get(photo.path) == photo_id:
            del self._hidden_of_path[photo.path]

    def _remove_keys(self, row_keys: Iterable[int]) -> None:
        rows = sorted((self._row_of_key(key) for key in row_keys), reverse=True)
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
    def _record(self, photo_id: int) -> Photo | None:
        """The photo of `photo_id`, in a row or behind its twin's."""
        key = self._key_of_id.get(photo_id)
        return self._hidden.get(photo_id) if key is None else self._photos[self._row_of_key(key)]

    def photo_at(self, row: int) -> Photo:
        return self._photos[row]

    def row_of(self, photo_id: int) -> int | None:
        """The row showing the photo: for a raw behind its twin, the twin's."""
        if photo_id in self._hidden:
            return self._twin_row(self._hidden[photo_id])
        return self._row_of_key(self._key_of_id.get(photo_id))

    def row_of_path(self, path: str) -> int | None:
        """The row showing the photo at `path`: for a raw behind its twin, the twin's."""
        if path in self._hidden_of_path:
            return self._twin_row(self._hidden[self._hidden_of_path[path]])
        return self._row_of_key(self._key_of_path.get(path))

    def _twin_row(self, raw: Photo) -> int | None:
        others = self._pictures.files(picture_key(raw.path)[0])[0]
        return next((self._row_of_key(self._key_of_id[i]) for i in others
                     if i in self._key_of_id), None)

    def photo(self, photo_id: int) -> Photo | None:
        """The library's record of a photo of the grid (a raw behind its twin's row too)."""
        return self._record(photo_id)

    def twins_of(self, photo_id: int) -> tuple[str, ...]:
        """The paths of the raws behind the row of the photo (none for most)."""
        paths = self._twins.get(photo_id)
        return tuple(paths.split("\0")) if paths else ()

    def stamp_of_path(self, path: str) -> tuple | None:
        """The (size, mtime, change time) the photo at `path` was indexed with (see
        Photo.stamp), or None if the grid has no photo there (a raw behind its twin: its own)."""
        key = self._key_of_path.get(path)
        if key is not None:
            return self._photos[self._row_of_key(key)].stamp
        photo_id = self._hidden_of_path.get(path)
        return None if photo_id is None else self._hidden[photo_id].stamp

    def hidden_raws(self) -> int:
        """How many raws are behind their twin's row (one picture, two files)."""
        return len(self._hidden)

    def ids(self) -> list[int]:
        """The ids of the photos in the rows, in order."""
        return [p.id for p in self._photos]

    def _path_at(self, row: int) -> str:
        return self._photos[row].path

    def _rows_of_path(self, path: str) -> Iterable[int]:
        row = self._row_of_key(self._key_of_path.get(path))  # its own row: not its twin's
        return () if row is None else (row,)


def similarity_text(match: Match) -> str:
    return f"{match.similarity * 100:.0f}%"


class ResultsModel(_TypeAheadRows, _FileRows, _ThumbnailRows, QAbstractListModel):
    """Search results, ranked: distance and similarity per row. The closest come first; when
    more may lie within the distance, a view scrolled to the end (Qt's canFetchMore and
    fetchMore) or the header's Show more asks for the next ones (`more_wanted`), which the
    search controller appends.

    A name typed in a view is looked for in the rows' names kept folded (_TypeAheadRows), made
    at the first name typed and kept in step as rows are set, appended and updated: Qt's match
    asked the data() of every row it passed, up to 0.43 s a key with 100,000 results, now
    under 2 ms, the texts made at the first key in 37 ms (bench/results/grid-typing.md). A
    RAW+JPEG pair's row is found by its raw's name too, as in the library grid."""

    more_wanted = Signal()

    def __init__(self, thumbnails: ThumbnailCache | None = None,
                 parent: QObject | None = None) -> None:
        QAbstractListModel.__init__(self, parent)
        self._init_thumbnails(thumbnails)
        self._init_type_ahead()
        self._matches: list[Match] = []
        self._more = False  # more may lie within the distance, and none are asked for yet
        # Whether a row shows a RAW+JPEG pair (a raw named among its twins): only then is a
        # raw's name looked for too, a second search of the texts for each key.
        self._paired = False

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
            # A RAW+JPEG pair's mark under the distance line.
            return (f"{printable(os.path.basename(match.path))}\n"
                    f"distance {match.distance} · {similarity_text(match)}"
                    + pair_mark_line(match.path, match.twins))
        if role == Qt.ItemDataRole.DecorationRole:
            return self._decoration(match.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"{printable(match.path)}\nHamming distance {match.distance} of "
                    f"{match.bits} bits, {similarity_text(match)} similar"
                    + pair_tooltip_lines(match.path, match.twins))
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
        self._paired = any(m.twins for m in self._matches)
        self._type_ahead.forget()  # made again at the next name typed
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
            self._paired = self._paired or any(m.twins for m in matches)
            self._type_ahead.changed(first, first, self._matches[first:])
            self.endInsertRows()

    def update_results(self, matches: Sequence[Match]) -> None:
        """The first rows' matches replaced by `matches`, of the same photos in the same order
        (a RAW+JPEG twin named beside one since), each row changed repainted: the current and
        selected rows and the scroll position stay."""
        changed = [row for row, (old, new) in enumerate(zip(self._matches, matches))
                   if old != new]
        if changed:
            self._matches[:len(matches)] = matches
            first, end = changed[0], changed[-1] + 1
            self._paired = self._paired or any(m.twins for m in self._matches[first:end])
            self._type_ahead.changed(first, end, self._matches[first:end])
            self.dataChanged.emit(self.index(changed[0]), self.index(changed[-1]))

    def matches(self) -> list[Match]:
        return list(self._matches)

    def _type_ahead_records(self) -> list[Match]:
        return self._matches

    def _raws_named(self) -> bool:
        return self._paired

    def _search_texts(self, matches: Sequence[Match]) -> list[str]:
        """The name shown of each of `matches` (the first line of its text), then the name of
        each raw of a RAW+JPEG pair after a line break, decomposed and folded (search_form):
        IMG_0001.CR2 typed finds the row shown as IMG_0001.JPG, as in the library grid."""
        return [search_form(_shown_name(m.path)) + _raw_lines(m.twins) if m.twins
                else search_form(_shown_name(m.path)) for m in matches]

    def _path_at(self, row: int) -> str:
        return self._matches[row].path

    def _rows_of_path(self, path: str) -> Iterable[int]:
        return [r for r, m in enumerate(self._matches) if m.path == path]


class FailedPhotosModel(QAbstractTableModel):
    """Photos that could not be read: file and reason."""

    HEADERS = ("File", "Reason")
    # set_photos done: once a list, after the signals of each span of rows it removed or
    # inserted (a count follows this: one for each span took 0.9 s for 5,000 spans).
    photos_set = Signal()

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
        """The list now (one row a path, by path). Only the rows that differ change: removed,
        inserted, their texts updated; a view keeps its current row, its selection and where
        it is scrolled to (a reset lost them: the next arrow key started from the top). The
        current row removed: FailedTable makes the row that takes its place current."""
        new = sorted({p.path: p for p in photos}.values(), key=lambda p: p.path)
        listed = {p.path for p in new}
        gone = [row for row, p in enumerate(self._photos) if p.path not in listed]
        for first, last in reversed(self._spans(gone)):  # from the bottom: rows above stay put
            self.beginRemoveRows(_ROOT, first, last)
            del self._photos[first:last + 1]
            self.endRemoveRows()
        # What is left is in the new list's order: each new span goes where the new list has it.
        kept = {p.path for p in self._photos}
        for first, last in self._spans([row for row, p in enumerate(new) if p.path not in kept]):
            self.beginInsertRows(_ROOT, first, last)
            self._photos[first:first] = new[first:last + 1]
            self.endInsertRows()
        # A photo still listed whose record changed (another reason, the file rewritten).
        for first, last in self._spans([row for row, p in enumerate(new)
                                        if p != self._photos[row]]):
            self._photos[first:last + 1] = new[first:last + 1]
            self.dataChanged.emit(self.index(first, 0),
                                  self.index(last, len(self.HEADERS) - 1))
        self.photos_set.emit()

    @staticmethod
    def _spans(rows: list[int]) -> list[tuple[int, int]]:
        """Ascending `rows` as (first, last) spans of consecutive rows."""
        spans: list[tuple[int, int]] = []
        for row in rows:
            if spans and spans[-1][1] == row - 1:
                spans[-1] = (spans[-1][0], row)
            else:
                spans.append((row, row))
        return spans

    def photos(self) -> list[Photo]:
        return list(self._photos)
