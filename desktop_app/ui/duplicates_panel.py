"""Duplicates: groups of near-identical photos side by side. Unwanted copies go to the system
trash (never deleted outright), with undo where the platform's trash allows it. Enter or a
double-click on a photo shows it large in the preview (photo_preview.PhotoPreview), which
follows the groups as it follows a grid: its arrow keys go from copy to copy."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from PySide6.QtCore import QEvent, QModelIndex, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QMouseEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import printable
from ..core.raw_twins import kind_name
from ..core.records import Match, same_content_stamps
from ..core.scan import change_time
from ..core.wording import count_of
from . import file_actions
from .announce import announce
from .models import (
    DistanceRole,
    PathRole,
    PhotoIdRole,
    RecordRole,
    SimilarityRole,
    thumbnail_or_placeholder,
)
from .photo_grid import WheelZoom, untinted
from .photo_preview import GroupRole, NoteRole
from .thumbnails import ThumbnailCache

log = logging.getLogger(__name__)


class _TrashReply(QObject):
    """Lives on the GUI thread; the trash thread emits on it (queued across threads)."""

    # Trashed items, (path, message) already gone, (path, message) left alone, problems
    done = Signal(list, list, list, list)


@dataclass(frozen=True)
class _Shown:
    """A photo of a group, as shown when photos of that group went to the trash."""
    path: str
    distance: str  # the distance column's text
    stamp: tuple | None  # the (size, mtime, change time) it was indexed with then
    why: str = ""  # why it was the photo kept in its group ("" for the others)
    twins: tuple[str, ...] = ()  # its RAW+JPEG twins, not listed (Match.twins)
    match: Match | None = None  # as its row had it (_PhotoItem.match)


class DuplicatesPanel(QWidget):
    find_requested = Signal(int)  # max distance
    # Paths as `object`, not list: Qt strings drop a file name's bytes that are not UTF-8.
    trashed = Signal(object)  # paths moved to the trash
    restored = Signal(object)  # paths put back
    zoom_requested = Signal(int)  # Ctrl+wheel over the groups: steps, as PhotoGrid's

    def __init__(self, thumbnails: ThumbnailCache | None, distance: int = 6, parent=None) -> None:
        super().__init__(parent)
        self._thumbnails = thumbnails
        self._items: dict[str, list[QTreeWidgetItem]] = {}
        self._placeholders: dict = {}  # shared by the rows: one pixmap, not one per row
        # One entry per move to the trash: Undo puts back the last, then the one before.
        self._undo: list[list[file_actions.Trashed]] = []
        # The group each photo in the trash was taken from: Undo puts it back there.
        self._taken_from: dict[file_actions.Trashed, list[_Shown]] = {}
        # Put back by Undo and not indexed since: the library forgets the trashed photo's
        # record and makes a new one, which is that photo, not another picture.
        self._returning: set[str] = set()
        self._trashing: threading.Thread | None = None
        self._far_note = ""  # the groups hold photos too far from the one kept to be ticked
        self._max_distance: int | None = None  # what set_groups ticked up to
        self._count_said = ""  # the status line as set_groups left it (the groups counted)
        # While a search for groups runs: the library's changes told since it started (what
        # follow_moves and drop_gone were given, in turn), and the stamps photos changed since
        # had before (note_indexed). The groups it finds are of the library as it was then.
        self._since_search: list[tuple[str, object]] | None = None
        self._stamps_then: dict[str, tuple | None] = {}
        # The (size, mtime, change time) a photo is indexed with now (the window's grid knows):
        # what a row was found with (_PhotoItem.found_stamp) when it holds none.
        self.indexed_stamp: Callable[[str], tuple | None] = lambda path: None
        self._reply = _TrashReply(self)
        self._reply.done.connect(self._on_trashed)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.distance_spin = QSpinBox()
        self.distance_spin.setRange(0, 64)
        self.distance_spin.setValue(distance)
        self.distance_spin.setAccessibleName("Max distance")  # its label is a separate QLabel
        self.distance_spin.setToolTip(
            "Two photos whose codes differ in at most this many bits go in one group; a group "
            "joins such pairs, so two of its photos may differ in more")
        self.find_button = QPushButton("Find duplicates")
        self.find_button.clicked.connect(
            lambda: self.find_requested.emit(self.distance_spin.value()))
        row.addWidget(QLabel("Max distance"))
        row.addWidget(self.distance_spin)
        row.addWidget(self.find_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.tree = GroupsTree()
        self.tree.setItemDelegate(UntintedPhotos(self.tree))
        self.tree.setHeaderLabels(["Photo", "Distance", "Folder"])
        self._size_columns(thumbnails.edge if thumbnails is not None else 96)
        self.tree.setAccessibleName("Duplicate groups")
        self.tree.setAccessibleDescription(
            "Enter shows a photo large; Space ticks it; Delete moves the ticked photos to the "
            f"{file_actions.trash_name()}; Ctrl+Z puts them back.")
        # Ctrl+wheel zooms here too, as over the grids (F1 and the keys say so); Qt's own
        # scrolled a page of groups.
        self._wheel_zoom = WheelZoom(self.zoom_requested.emit)
        self.tree.viewport().installEventFilter(self)
        layout.addWidget(self.tree, 1)
        buttons = QHBoxLayout()
        # "ticked", as the status line, the keys list and the screen reader's description say
        self.trash_button = QPushButton(
            f"Move ticked photos to the {file_actions.trash_name()}")
        self.trash_button.clicked.connect(self.trash_checked)
        self.undo_button = QPushButton("Undo")
        self.undo_button.clicked.connect(self.undo)
        self.undo_button.setEnabled(False)
        if not file_actions.undo_supported():
            self.undo_button.setToolTip(file_actions.UNDO_UNSUPPORTED.format(
                bin=file_actions.trash_name()))
        buttons.addWidget(self.trash_button)
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.status = QLabel("Press Find duplicates to look for near-identical photos.")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        if thumbnails is not None:
            thumbnails.ready.connect(self._on_thumbnail)
        # A file manager's keys, while the focus is in this tab: Delete moves the ticked
        # photos to the trash (as the button does, with its checks), Ctrl+Z puts them back.
        within = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence.StandardKey.Delete, self, self.trash_checked, within)
        QShortcut(QKeySequence.StandardKey.Undo, self, self.undo, within)

    def set_thumbnail_edge(self, edge: int) -> None:
        """The thumbnails zoomed to `edge` pixels (they are the grids' cache's): the photo
        column and the rows' height follow, and so do the squares shown until each thumbnail
        comes (made at the old size). The current row, if
        in view, stays in view, or else the top one stays at the top: the rows' new height
        moved them away (all the way on a Mac, whose trees scroll by pixels)."""
        self._placeholders.clear()
        tree, current = self.tree, self.tree.currentItem()
        top = tree.visualItemRect(current).top() if current is not None else 0
        kept = current is not None and tree.visualItemRect(current).intersects(
            tree.viewport().rect())
        anchor = current if kept else tree.itemAt(0, 0)
        self._size_columns(edge)
        if anchor is None:
            return
        if not kept:
            tree.scrollToItem(anchor, QAbstractItemView.ScrollHint.PositionAtTop)
            return
        if tree.verticalScrollMode() == QAbstractItemView.ScrollMode.ScrollPerPixel:
            bar = tree.verticalScrollBar()  # (laid out anew by visualItemRect)
            bar.setValue(bar.value() + tree.visualItemRect(current).top() - top)
        tree.scrollToItem(current)  # grown past the bottom: whole again, if it fits

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.Wheel and watched is self.tree.viewport()
                and self._wheel_zoom.took(event)):
            return True
        return super().eventFilter(watched, event)

    def _size_columns(self, edge: int) -> None:
        """Widths in the font's measure: fixed pixels (80 for Distance) cut the header off in a
        large font (16 pt: "Distanc"), and left room for fewer letters of the names."""
        tree = self.tree
        # The rows show the thumbnails' pixmaps at their own size (a pixmap, unlike an icon, is
        # not scaled to iconSize): the edge the cache makes, not the 96 set here before.
        tree.setIconSize(QSize(edge, edge))
        box = tree.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth)
        letters = tree.fontMetrics().averageCharWidth()
        tree.setColumnWidth(0, tree.indentation() + box + edge + 12 + 40 * letters)  # 40: a name
        tree.setColumnWidth(1, max(tree.header().sectionSizeHint(1), 6 * letters))

    def set_groups(self, groups: list[list[Match]], max_distance: int | None = None) -> None:
        """Show `groups` (the photo to keep first, distances to it; a keeper.Group also says
        why it is kept, in that row's tooltip). All but the first are ticked for the trash, but
        those further than `max_distance` from it: a group joins pairs, so a chain of them can
        hold photos that are not copies of the one kept. The current photo, in them still,
        stays current: the preview showing it follows it there (its arrows went nowhere). Each
        photo keeps the stamp it is indexed with now, or had when a search running started
        (note_indexed): what its group was found with."""
        stamps_then, self._stamps_then = self._stamps_then, {}
        self._since_search = None
        current = getattr(self.tree.currentItem(), "path", None)
        self.tree.clear()
        self._items.clear()
        self._returning.clear()
        # All items are built first, then added and expanded at once: per item, adding and
        # expanding (and spanning the group title over the columns) cost time in proportion to
        # the rows already there, and 5,000 groups froze the window for 14 s.
        tops = []
        for n, group in enumerate(groups, 1):
            top = QTreeWidgetItem([group_title(n, len(group)), "", ""])
            tops.append(top)
            for i, match in enumerate(group):
                item = self._row(match.path, str(match.distance),
                                 getattr(group, "why", "") if i == 0 else "", match.twins)
                item.match = match
                item.found_stamp = (stamps_then[match.path] if match.path in stamps_then
                                    else self.indexed_stamp(match.path))
                # Keep the first of each group (core/keeper.py chose it), offer the others that
                # are near it.
                offered = i > 0 and (max_distance is None or match.distance <= max_distance)
                item.setCheckState(0, Qt.CheckState.Checked if offered
                                   else Qt.CheckState.Unchecked)
                top.addChild(item)
                self._items.setdefault(match.path, []).append(item)
        self.tree.addTopLevelItems(tops)
        self.tree.expandAll()
        if current in self._items:
            self.tree.setCurrentItem(self._items[current][0])
        far = max_distance is not None and any(m.distance > max_distance
                                               for group in groups for m in group[1:])
        self._max_distance = max_distance
        # "distance", as the spin box and the Distance column say (not "bits")
        self._far_note = (f" Photos at a distance of more than {max_distance} from the one "
                          "kept are not ticked: look at them first." if far else "")
        self.status.setText(self._groups_text(len(groups)))
        self._count_said = self.status.text()

    def _groups_text(self, count: int) -> str:
        if not count:
            return "No near-identical photos at this distance."
        return f"{count_of(count, 'group')} of near-identical photos.{self._far_note}"

    def _row(self, path: str, distance: str, why: str = "",
             twins: tuple[str, ...] = ()) -> _PhotoItem:
        """`twins`: the photo's RAW+JPEG twins, not listed (nor trashed with it)."""
        # Cut from the exact path, then escaped (odd bytes as \xNN, bidi controls as \u202e):
        # on Windows the \ of an escape would be taken for a folder separator.
        shown = printable(path)
        item = _PhotoItem(path, [printable(os.path.basename(path)), distance,
                                 printable(os.path.dirname(path))],
                          self._thumbnails, self._placeholders)
        item.setData(0, PathRole, path)
        item.twins = twins
        said = _notes(why, twins)
        item.setToolTip(0, f"{shown}\n{said}" if said else shown)
        if why:  # the photo kept: why this one of its group (a tooltip, not one more column)
            item.why = why
            item.setToolTip(1, said)
        if said:
            item.setData(0, Qt.ItemDataRole.AccessibleDescriptionRole, said)
        return item

    def shows_groups(self) -> bool:
        return bool(self._items)

    def follows_changes(self) -> bool:
        """Are groups shown, or a search for them running: is the library's news wanted?"""
        return bool(self._items) or self._since_search is not None

    def begin_search(self) -> None:
        """A search for groups starts, on the library as it is now: what changes from now on
        (follow_moves, drop_gone, note_indexed) is kept for the groups it finds (show_found)."""
        self._since_search = []
        self._stamps_then = {}

    def end_search(self) -> None:
        """The search found nothing to show (it failed): no more news kept for it."""
        self._since_search = None
        self._stamps_then = {}

    def note_indexed(self, path: str, stamp: tuple | None) -> None:
        """The photo at `path` is indexed anew; `stamp` is what it was indexed with before. A
        search running found it with that one: its row keeps it (found_stamp)."""
        if self._since_search is not None:
            self._stamps_then.setdefault(path, stamp)

    def show_found(self, groups: list[list[Match]], max_distance: int | None = None) -> None:
        """The groups a search found on the library as it was when it started, shown as the
        library is now: the changes told since are applied to them as they are to groups
        shown, in turn (a photo gone or changed leaves its group, a renamed one is shown by its
        new name). Else a file deleted meanwhile was offered, or another picture saved over a
        copy went to the trash as that copy."""
        since = self._since_search or []
        self.set_groups(groups, max_distance)
        for kind, told in since:
            if kind == "moves":
                self.follow_moves(told)
            else:
                self.drop_gone(told)

    def shown_matches(self) -> list[list[Match]]:
        """The groups as shown: each photo's Match at its path now."""
        return [[top.child(j).data(0, RecordRole) for j in range(top.childCount())]
                for top in map(self.tree.topLevelItem, range(self.tree.topLevelItemCount()))]

    def drop_gone(self, paths: list[str]) -> None:
        """Photos that left the library (deleted or moved by another program) or that no
        longer hold what they were found with: out of their groups, as if trashed here, so a
        group never offers a file that is not there, or not known to be a copy. A group whose
        kept photo (the first) left goes too: its others, ticked as copies of that one, were
        then all that was left of the picture. A photo put back by Undo is there: its old
        record leaving the library says nothing."""
        if self._since_search is not None:
            self._since_search.append(("gone", list(paths)))
        shown = [path for path in paths if path in self._items
                 and not (path in self._returning and os.path.lexists(path))]
        if shown:
            self._remove_photos(shown, kept_too=True)
            if self.status.text() == self._count_said:  # else it says what happened since
                if self._far_note and not self._far_shown():
                    self._far_note = ""  # those photos are gone: nothing to look at first
                left = self.tree.topLevelItemCount()
                # Not "deleted": a folder removed from the library takes its photos out of
                # the groups, and a copy that came to hold another picture leaves its group
                # (the window's _follow_in_duplicates): both are still there.
                self.status.setText(self._groups_text(left) if left else
                                    "No groups left: photos in them left the library or "
                                    "changed since they were found.")
                self._count_said = self.status.text()

    def _far_shown(self) -> bool:
        """Does a group still show a photo further than set_groups' max distance from the one
        kept (its distance column), which it left unticked?"""
        limit, tree = self._max_distance, self.tree
        return limit is not None and any(
            int(top.child(j).text(1)) > limit
            for top in map(tree.topLevelItem, range(tree.topLevelItemCount()))
            for j in range(1, top.childCount()))

    def follow_moves(self, moves: dict[str, str]) -> None:
        """Photos renamed or moved (old path -> new path) stay in their groups, shown and
        trashed under their new paths."""
        if self._since_search is not None:
            self._since_search.append(("moves", dict(moves)))
        # All taken from their old paths first: the moves are made at once, and one's new path
        # can be another's old one (a chain of renames, IMG_1 -> IMG_2 -> IMG_3, or a swap).
        # One at a time, IMG_1's rows joined IMG_2's and went on with them to IMG_3: IMG_2's
        # picture, ticked there as a copy in IMG_1's group, went to the trash with it.
        taken = {old: self._items.pop(old, []) for old in moves}
        returning = {old for old in moves if old in self._returning}
        self._returning -= returning
        for old, new in moves.items():
            items = taken[old]
            for item in items:
                item.path = new
                # A rename changes the file's change time: it is checked against the stamp
                # the library gives it at its new path.
                item.found_stamp = None
                item.setData(0, PathRole, new)
                # Its twins moved with it (a camera's pair moved together), and what its
                # tooltip says of them and why it is kept stays.
                item.twins = tuple(moves.get(twin, twin) for twin in item.twins)
                shown, said = printable(new), _notes(item.why, item.twins)
                item.setToolTip(0, f"{shown}\n{said}" if said else shown)
                item.setText(0, printable(os.path.basename(new)))
                item.setText(2, printable(os.path.dirname(new)))
            if items:
                self._items.setdefault(new, []).extend(items)
            if old in returning:
                self._returning.add(new)

    def take_returned(self, path: str) -> bool:
        """True, once, if Undo put the photo at `path` back in its group and the library has
        not indexed it since: its new record is that photo (see _returning)."""
        returned = path in self._returning
        self._returning.discard(path)
        return returned

    def _remove_photos(self, paths: list[str], kept_too: bool = False) -> None:
        """Take photos out of their groups. A group left with fewer than two is no duplicate any
        more, so it goes, and so does, `kept_too`, one whose first photo (the one kept) is
        among them; the others are numbered again and show their new counts."""
        def change(tops: list[QTreeWidgetItem]) -> list[QTreeWidgetItem]:
            void = {id(item.parent()) for path in paths for item in self._items.get(path, ())
                    if kept_too and item.parent().indexOfChild(item) == 0}
            for path in paths:
                self._returning.discard(path)
                for item in self._items.pop(path, []):
                    item.parent().removeChild(item)
            for top in tops:
                if top.childCount() < 2 or id(top) in void:
                    for j in range(top.childCount()):
                        self._forget(top.child(j))
            return [top for top in tops if top.childCount() >= 2 and id(top) not in void]

        self._regroup(change)

    def _regroup(self, change: Callable[[list[QTreeWidgetItem]], list[QTreeWidgetItem]]) -> None:
        """Take the groups out of the tree, `change` them (it returns the groups to show; a new
        one is expanded), and put them back numbered in one go, as they were expanded and
        scrolled: changed in the tree one by one, 5,000 groups took 3-8 s."""
        tree = self.tree
        scroll = tree.verticalScrollBar().value()
        place = _place_of(tree.currentItem())
        expanded = [tree.topLevelItem(i).isExpanded() for i in range(tree.topLevelItemCount())]
        tops = tree.invisibleRootItem().takeChildren()
        was_expanded = {id(top): flag for top, flag in zip(tops, expanded, strict=True)}
        shown = change(tops)
        for number, top in enumerate(shown, 1):
            top.setText(0, group_title(number, top.childCount()))
        tree.addTopLevelItems(shown)
        for top in shown:
            top.setExpanded(was_expanded.get(id(top), True))
        tree.verticalScrollBar().setValue(scroll)
        self._set_current_near(place)

    def _set_current_near(self, place: tuple | None) -> None:
        """After the groups changed: the row that was current, or the photo that took its
        place in its group, or the group now where its group was. Else a keyboard (and a
        screen reader) was left on no row at all. The tree is not scrolled to it."""
        tree = self.tree
        if place is None or not tree.topLevelItemCount():
            return
        item, top, group_row, row = place
        if item.treeWidget() is not tree:
            if top.treeWidget() is tree and top.childCount():
                item = top.child(min(row, top.childCount() - 1))
            else:
                item = tree.topLevelItem(min(group_row, tree.topLevelItemCount() - 1))
        tree.setAutoScroll(False)
        tree.setCurrentItem(item)
        tree.setAutoScroll(True)

    def _keep_focus_off(self, button: QPushButton) -> None:
        """A focused button about to be disabled hands the focus on to the next control, out
        of this tab (the watched folders): the groups keep it instead."""
        if button.hasFocus():
            self.tree.setFocus(Qt.FocusReason.OtherFocusReason)

    def _forget(self, item: _PhotoItem) -> None:
        path = item.path
        others = [it for it in self._items.pop(path, []) if it is not item]
        if others:  # the same photo in another group
            self._items[path] = others
        else:
            self._returning.discard(path)

    def _found_stamp(self, path: str) -> tuple | None:
        """The stamp the photo at `path` was found with (its group's), else the library's now:
        a ticked file that differs may hold another picture, and is not trashed. Compared with
        the library's now only, it went to the trash when the library had indexed the other
        picture before its group caught up (saved over it while the search ran)."""
        found = next((item.found_stamp for item in self._items.get(path, ())
                      if item.found_stamp is not None), None)
        return found if found is not None else self.indexed_stamp(path)

    def groups_shown(self) -> list[list[str]]:
        return [[top.child(j).path for j in range(top.childCount())]
                for top in (self.tree.topLevelItem(i)
                            for i in range(self.tree.topLevelItemCount()))]

    def checked_paths(self) -> list[str]:
        return [path for path, items in self._items.items()
                if any(it.checkState(0) == Qt.CheckState.Checked for it in items)]

    def trash_checked(self) -> None:
        """Move the checked photos to the trash on a background thread (thousands of them take
        seconds); `trashed` is emitted when they are there."""
        paths = self.checked_paths()
        if not paths or self._trashing is not None:
            return
        stamps = {path: self._found_stamp(path) for path in paths}
        kept: dict[str, list[str]] = {}  # a ticked photo -> the photos of its group that stay
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            items = [top.child(j) for j in range(top.childCount())]
            stay = [it.path for it in items if it.checkState(0) != Qt.CheckState.Checked]
            for it in items:
                if it.checkState(0) == Qt.CheckState.Checked:
                    kept.setdefault(it.path, []).extend(stay)
        stamps.update((other, self._found_stamp(other)) for others in kept.values()
                      for other in others)
        self._keep_focus_off(self.trash_button)
        self.trash_button.setEnabled(False)
        self.status.setText(f"Moving {count_of(len(paths), 'photo')} to the "
                            f"{file_actions.trash_name()}…")

        def work() -> None:
            done, gone, left, problems = [], [], [], []
            path = None  # the photo being moved, for the message if it stops
            try:
                # All checked before any is moved: moving one hard link changes the change
                # time of its other names (the link count), which then looked changed since
                # indexed.
                reasons = {path: file_actions.reason_to_keep(path, stamps[path],
                                                             kept.get(path, ()))
                                 or _nothing_kept(path, kept.get(path, ()), stamps)
                           for path in paths}
                for path in paths:
                    if reasons[path]:
                        left.append((path, reasons[path]))
                        continue
                    try:
                        done.append(file_actions.move_to_trash(path))
                    except file_actions.AlreadyGone as exc:
                        gone.append((path, str(exc)))
                    except OSError as exc:
                        problems.append(str(exc))
            except Exception as exc:
                # A bug, not a file's problem: the rest stay where they are, and what was
                # moved is still said, kept for Undo and left out of the groups (the button
                # stayed off, the moved photos still shown, when this thread died silently).
                log.exception("moving photos to the trash stopped")
                at = f" at {printable(path)}" if path else ""
                problems.append(f"Moving stopped{at} by an unexpected error ({exc!r}; details "
                                "in the log): the photos not said moved were left where they "
                                "are.")
            finally:
                self._reply.done.emit(done, gone, left, problems)

        # Not a daemon: quitting waits for the photo being moved, never leaves one half-moved.
        self._trashing = threading.Thread(target=work, name="trash")
        self._trashing.start()

    def wait_trashed(self, seconds: float = 60.0) -> None:
        """For tests and shutdown: wait until a move to the trash has finished."""
        if self._trashing is not None:
            self._trashing.join(seconds)

    def _on_trashed(self, done: list, gone: list, left: list, problems: list) -> None:
        self._trashing = None
        self.trash_button.setEnabled(True)
        if done and file_actions.undo_supported():
            self._undo.append(done)
            groups = self._groups_now([item.original for item in done],
                                      {path for path, _ in gone + left})
            self._taken_from.update((item, groups[item.original]) for item in done
                                    if item.original in groups)
        moved = [item.original for item in done]
        # Files deleted or moved by another program since the groups were made leave them too,
        # and so do those not known to be copies any more (changed, or a kept photo's link).
        self._remove_photos(moved + [path for path, _ in gone + left])
        text = f"Moved {count_of(len(moved), 'photo')} to the {file_actions.trash_name()}."
        if moved and not file_actions.undo_supported():
            text += " " + file_actions.UNDO_UNSUPPORTED.format(bin=file_actions.trash_name())
        if gone:
            text += (" " + "; ".join(message for _, message in gone)
                     + (", so it left its group." if len(gone) == 1
                        else ", so they left their groups."))
        if left:
            text += (" Left where " + ("it is" if len(left) == 1 else "they are")
                     + " and out of the groups: " + "; ".join(reason for _, reason in left)
                     + ".")
        if problems:
            text += " Problems: " + " ".join(problems)
        self.status.setText(text)
        announce(self.status, text)  # the focus is on the groups, not on this line
        self._show_undo()
        if moved:
            self.trashed.emit(moved)

    def _groups_now(self, paths: list[str], leaving: set[str]) -> dict[str, list[_Shown]]:
        """Each photo's group as shown now, less the photos in `leaving` (gone, or no longer
        known to be copies): what Undo puts it back into."""
        by_top: dict[int, list[_Shown]] = {}
        groups = {}
        for path in paths:
            items = self._items.get(path)
            if not items:
                continue
            top = items[0].parent()
            key = id(top)  # not indexOfTopLevelItem: a search through every group each time
            if key not in by_top:
                by_top[key] = [_Shown(it.path, it.text(1), self.indexed_stamp(it.path), it.why,
                                      it.twins, it.match)
                               for it in map(top.child, range(top.childCount()))
                               if it.path not in leaving]
            groups[path] = by_top[key]
        return groups

    def undo(self) -> None:
        """Put back the photos of the last move to the trash. One that cannot be (a file now
        has its name, the trash was emptied) stays where it is, and Undo moves on to the move
        before: trying again would meet the same obstacle."""
        if not self._undo:
            return
        restored, problems = [], []
        move = self._undo.pop()
        for item in move:
            try:
                file_actions.restore_from_trash(item)
                restored.append(item.original)
            except OSError as exc:
                problems.append(str(exc))
        groups = {item: self._taken_from.pop(item, None) for item in move}
        self._put_back([groups[item] for item in move
                        if item.original in restored and groups[item] is not None],
                       set(restored), {item.original for item in move} - set(restored))
        self._show_undo()
        self.status.setText(f"Put back {count_of(len(restored), 'photo')}." +
                            (" " + " ".join(problems) if problems else ""))
        announce(self.status, self.status.text())
        if restored:
            self.restored.emit(restored)

    def _put_back(self, groups: Iterable[list[_Shown]], restored: set[str],
                  not_restored: set[str]) -> None:
        """Photos put back by Undo join the groups they were taken from, unticked (the user
        wants them): the group shown that holds another of its photos then, still indexed as
        it was (a new search may have shown it since, and another picture saved at its path
        is no copy of them), else that group again with those of its photos still in the
        library as they were, if that makes two or more. `not_restored`: photos left in the
        trash (whatever has their names now is not them)."""
        def change(tops: list[QTreeWidgetItem]) -> list[QTreeWidgetItem]:
            done = set()
            for group in groups:
                if id(group) in done:  # shared by the photos of one group
                    continue
                done.add(id(group))
                shown = next((s.path for s in group
                              if s.path in self._items and self._as_it_was(s)), None)
                if shown is not None:
                    top = self._items[shown][0].parent()
                    back = [s for s in group if s.path in restored and s.path not in self._items]
                else:
                    back = [s for s in group if s.path in restored
                            or (s.path not in not_restored and self._as_it_was(s))]
                    if len(back) < 2:
                        continue
                    top = QTreeWidgetItem(["", "", ""])
                    tops.append(top)
                self._insert_rows(top, back, group)
                self._returning.update(s.path for s in back if s.path in restored)
            return tops

        self._regroup(change)

    def _insert_rows(self, top: QTreeWidgetItem, photos: list[_Shown],
                     group: list[_Shown]) -> None:
        """Unticked rows for `photos` in `top`, in their places in `group`."""
        order = {s.path: i for i, s in enumerate(group)}
        for s in photos:
            row = self._row(s.path, s.distance, s.why, s.twins)
            row.setCheckState(0, Qt.CheckState.Unchecked)
            # Its old id names no photo: the library gives it a new record.
            row.match = replace(s.match, photo_id=None) if s.match is not None else None
            before = sum(order.get(top.child(j).path, len(group)) < order[s.path]
                         for j in range(top.childCount()))
            top.insertChild(before, row)
            self._items.setdefault(s.path, []).append(row)

    def _as_it_was(self, photo: _Shown) -> bool:
        """Is the photo there, indexed as it was when its group was shown?"""
        now = self.indexed_stamp(photo.path)
        same = (now is None and photo.stamp is None) or (
            None not in (now, photo.stamp) and same_content_stamps(photo.stamp, now))
        return same and os.path.lexists(photo.path)

    def _show_undo(self) -> None:
        """The Undo button says how many photos it puts back."""
        count = len(self._undo[-1]) if self._undo else 0
        if not count:
            self._keep_focus_off(self.undo_button)
        self.undo_button.setText(f"Undo: put back {count_of(count, 'photo')}" if count
                                 else "Undo")
        self.undo_button.setEnabled(bool(count))

    def _on_thumbnail(self, path: str) -> None:
        # A repaint asks the rows in view for their thumbnails again. Not emitDataChanged: the
        # tree then sizes rows far from view too, and their thumbnails are all asked for.
        if path in self._items:
            self.tree.viewport().update()


def _nothing_kept(path: str, kept: list[str], stamps: dict[str, tuple | None]) -> str | None:
    """Why the ticked photo at `path` must stay: the photos of its group that stay (`kept`, as
    found: `stamps`) are all gone or changed, unseen by the library (indexing paused, a folder
    polled, or not yet told): trashed, it might take the last copy of its picture with it.
    None if one is there as found, if none stays (the user ticked them all), or if the photo
    is gone itself (the move says so)."""
    def as_found(other: str) -> bool:
        try:
            st = os.stat(other)
        except OSError:
            return False
        stamp = stamps.get(other)
        return stamp is None or same_content_stamps(stamp, (st.st_size, st.st_mtime,
                                                            change_time(st)))

    if not kept or not os.path.lexists(path) or any(map(as_found, kept)):
        return None
    return (f"{printable(path)} is a copy of {printable(kept[0])}, which is gone or changed "
            "since the group was found (this may be the last copy of the picture); find "
            "duplicates again once it is indexed")


def _notes(why: str, twins: tuple[str, ...]) -> str:
    """What a row's tooltip says under its path: why it is the photo kept, and its RAW+JPEG
    twins not listed ("" for neither)."""
    return " ".join(
        ([f"Kept, not ticked: {why}."] if why else [])
        + [f"With its {kind_name(twin)} twin {printable(os.path.basename(twin))} (shot "
           f"RAW+{kind_name(twin)}: the same photo), not listed." for twin in twins])


class _PhotoItem(QTreeWidgetItem):
    """A photo row whose thumbnail is asked for only when the view needs it (a row in view),
    as the library grid does: thousands of groups start no more jobs than a screenful."""

    def __init__(self, path: str, texts: list[str], thumbnails: ThumbnailCache | None,
                 placeholders: dict) -> None:
        super().__init__(texts)
        # The path as Python holds it: PathRole's Qt string loses the bytes of a name that is
        # not UTF-8 (that path then named another file, or none).
        self.path = path
        self.why = ""  # why it is the photo kept in its group (set on that row only)
        self.twins: tuple[str, ...] = ()  # its RAW+JPEG twins, not listed
        # As found (set_groups); its photo_id None for a photo put back by Undo: the library
        # gives it a new record, and its old id names no photo. Its path is still the preview's
        # (RecordRole): PathRole's Qt string is not.
        self.match: Match | None = None
        # The (size, mtime, change time) it was indexed with when its group was found; None:
        # the library's now (put back by Undo, renamed: the library indexes it anew).
        self.found_stamp: tuple | None = None
        self._thumbnails, self._placeholders = thumbnails, placeholders

    def data(self, column: int, role: int):
        if (column == 0 and role == Qt.ItemDataRole.DecorationRole
                and self._thumbnails is not None):
            return thumbnail_or_placeholder(self._thumbnails, self.path, self._placeholders)
        # The grids' roles, for the preview (and Enter there: a search with the photo).
        if role == PhotoIdRole:
            return self.match.photo_id if self.match is not None else None
        if role == RecordRole:  # its path as Python holds it (models.exact_path)
            return (replace(self.match, path=self.path, twins=self.twins)
                    if self.match is not None else None)
        if role == DistanceRole:
            return int(self.text(1))
        if role == SimilarityRole:
            return self.match.similarity if self.match is not None else None
        if role == GroupRole:
            return id(self.parent())
        if role == NoteRole:
            return self._note()
        return super().data(column, role)

    def _note(self) -> str:
        """"Kept (not ticked) · Group 2, 3 of 4", as the preview's details end."""
        top, tree = self.parent(), self.treeWidget()
        if top is None or tree is None:
            return ""
        ticked = self.checkState(0) == Qt.CheckState.Checked
        state = f"Ticked for the {file_actions.trash_name()}" if ticked else "Kept (not ticked)"
        return (f"{state} · Group {tree.indexOfTopLevelItem(top) + 1}, "
                f"{top.indexOfChild(self) + 1} of {top.childCount()}")


class UntintedPhotos(QStyledItemDelegate):
    """The selected row's photo as it is, not tinted with the highlight colour: the copies of
    a group are compared by eye (the row's highlight marks the selection)."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().initStyleOption(option, index)
        untinted(option, index)


class GroupsTree(QTreeWidget):
    """The groups, each one's photos rows under its row. Enter or a double-click on a photo asks
    for its preview, which follows this tree's current photo as it follows a grid's: it hands
    its navigation keys to `preview_key`, and Enter there searches with the photo shown."""

    preview_requested = Signal(QModelIndex)
    search_requested = Signal(QModelIndex)  # the preview's Enter
    message = Signal(str)  # what the preview's keys and menu say (a path copied)
    problem = Signal(str)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        item = self.currentItem()
        if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() in (Qt.KeyboardModifier.NoModifier,
                                          Qt.KeyboardModifier.KeypadModifier)
                and isinstance(item, _PhotoItem)):
            self.preview_requested.emit(self.currentIndex())
            return
        super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        # Did nothing on a photo before (a group's row: folded or unfolded, as still); on its
        # box, a double-click still ticks it twice.
        at = event.position().toPoint()
        item = self.itemAt(at)
        if (isinstance(item, _PhotoItem) and event.button() == Qt.MouseButton.LeftButton
                and not self._on_box(item, at)):
            self.setCurrentItem(item)
            self.preview_requested.emit(self.currentIndex())
            return
        super().mouseDoubleClickEvent(event)

    def _on_box(self, item: QTreeWidgetItem, at) -> bool:
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        option.rect = self.visualItemRect(item)
        option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
        box = self.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator,
                                          option, self)
        return box.contains(at)

    def preview_key(self, key: Qt.Key) -> None:
        """The preview's navigation keys: the arrows (fitted; zoomed in they move about the
        photo) and Page Down and Page Up (zoomed in too: flipping between copies at 100%) to
        the next or previous photo, on into the next or previous group; Home and End to the
        first (the one kept) and last photo of the group."""
        item = self.currentItem()
        if item is None:  # the groups found anew without the photo shown: as a grid's keys
            target = self._photo_from(0, 1)
            if target is not None:
                self.setCurrentItem(target)
            return
        top = item.parent() or item
        if key in (Qt.Key.Key_Home, Qt.Key.Key_End):
            target = top.child(0 if key == Qt.Key.Key_Home else top.childCount() - 1)
        else:
            step = 1 if key in (Qt.Key.Key_Down, Qt.Key.Key_Right, Qt.Key.Key_PageDown) else -1
            row = top.indexOfChild(item) if item.parent() else (-1 if step > 0 else 0)
            target = (top.child(row + step) if 0 <= row + step < top.childCount()
                      else self._photo_from(self.indexOfTopLevelItem(top) + step, step))
        if target is not None:
            self.setCurrentItem(target)

    def _photo_from(self, group: int, step: int) -> QTreeWidgetItem | None:
        """The first photo (going on, `step` 1) or the last (going back) of the group at
        `group`, or of the next one that has photos that way."""
        while 0 <= group < self.topLevelItemCount():
            top = self.topLevelItem(group)
            if top.childCount():
                return top.child(0 if step > 0 else top.childCount() - 1)
            group += step
        return None

    def photo_found_again(self, row: int, photo_id: int, path: str,
                          during: str = "") -> QModelIndex | None:
        """The preview's photo found again by its id (the groups were shown anew); None, said,
        if it is in none of them now. (As PhotoGrid's.)"""
        for top in map(self.topLevelItem, range(self.topLevelItemCount())):
            for child in map(top.child, range(top.childCount())):
                if child.data(0, PhotoIdRole) == photo_id:
                    return self.indexFromItem(child)
        self.problem.emit(f"{printable(path)} is no longer in the duplicate groups (it left "
                          f"them while {during or 'it was shown'}). Pick another photo.")
        return None


def _place_of(item: QTreeWidgetItem | None) -> tuple | None:
    """(item, its group, the group's row, its row in the group) of the current row."""
    if item is None:
        return None
    top = item.parent() or item
    tree = item.treeWidget()
    return item, top, tree.indexOfTopLevelItem(top), top.indexOfChild(item)


def group_title(number: int, photos: int) -> str:
    return f"Group {number}: {photos} photos"
