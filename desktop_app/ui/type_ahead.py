"""Type-ahead over many rows without asking each row for its text: a view's keyboardSearch
calls its model's match, and Qt's match calls the Python data() of every row it passes (up to
0.5-0.6 s a key with 200,000 photos in the library grid). Here each row's text is kept
folded, the texts of a block of rows joined in one string, and a key is a str.find a block.

QtCaseFolding folds as Qt's case-insensitive compare does; search_form puts a text in the one
form names and what is typed are compared in (decomposed, then folded); RowTexts keeps the rows'
texts and finds the first row, from a given one and wrapping round, whose text holds a marker
and what was typed (the match of the models' _TypeAheadRows).
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Callable, Sequence

from PySide6.QtCore import QStringListModel, Qt

BLOCK_ROWS = 1024  # rows a joined string: a change re-joins its block and those after it
ROW_START = "\0"  # before each row's text in a block
MAX_CHANGES = 2000  # changes noted between searches, past which the texts are made afresh
_ASKED = " "  # before a character given to Qt (QtCaseFolding)


class QtCaseFolding:
    """Text folded so that two texts of one length are equal as Qt's case-insensitive compare
    (QString::startsWith with Qt::CaseInsensitive, what Qt's match uses) has them: each
    character's simple case folding, ß left as it is and İ too, where Python's casefold()
    makes them "ss" and "i̇". Qt itself tells which characters it takes for one another
    (MatchFixedString over a model of one character a row, in C++), each character asked
    once, when it is first met: Python's tables are of another Unicode version than Qt's.
    Each character is folded to the first one learnt of those Qt takes for it: ASCII ones to
    their small letter (learnt first), so that an ASCII text folds to its lower(). Qt is
    given each after a space: PySide takes a U+FEFF or U+FFFE that starts a string for a byte
    order mark and drops it (alone, the two were one empty string, and the one learnt second
    was folded to nothing).

    Python's tables tell the characters that case folding leaves as they are (an ideograph, a
    digit, a small letter; Unicode never changes an assigned character's folding, and those
    newer than Python's tables are not among them): Qt takes no two of them for one another,
    so one is only compared with the others learnt. Each compared with every character
    learnt, the names of a library holding 4,000 different ideographs took the first key
    0.8 s (8,000: 3.3 s)."""

    def __init__(self) -> None:
        # A character a row (after _ASKED), the first of each kind learnt: those folded to
        # themselves, and the others.
        self._fixed = QStringListModel()
        self._others = QStringListModel()
        self._fold_of: dict[str, str] = {}
        self._table: dict[int, str] = {}  # for str.translate: the characters folded to another
        self._learn(string.ascii_lowercase + string.printable)

    def fold(self, text: str) -> str:
        """`text` (no half of a surrogate pair in it) as Qt has it, each character folded.
        PySide takes a U+FEFF that starts a string (a name's) for a byte order mark and drops
        it: Qt's match then compared the name without it."""
        if text.isascii():
            return text.lower()
        if text[0] == "\ufeff":
            one = QStringListModel([text])
            text = one.index(0).data()
        new = set(text).difference(self._fold_of)
        if new:
            self._learn(sorted(new))
        return text.translate(self._table)

    def _learn(self, chars) -> None:
        for char in chars:
            if char in self._fold_of:
                continue
            fixed = char.casefold() == char and unicodedata.category(char) != "Cn"
            folded = _same_in(self._others, char)
            if folded is None and not fixed:
                folded = _same_in(self._fixed, char)
            if folded is not None:
                self._fold_of[char] = folded
                self._table[ord(char)] = folded
            else:
                self._fold_of[char] = char
                known = self._fixed if fixed else self._others
                count = known.rowCount()
                known.insertRows(count, 1)
                known.setData(known.index(count), _ASKED + char)


def _same_in(known: QStringListModel, char: str) -> str | None:
    """The character of `known` (one a row) that Qt takes for `char`, if any."""
    if not known.rowCount():
        return None
    same = known.match(known.index(0), Qt.ItemDataRole.DisplayRole, _ASKED + char, 1,
                       Qt.MatchFlag.MatchFixedString)
    return same[0].data()[len(_ASKED):] if same else None


class RowTexts:
    """The rows' texts, made at the first search and then kept in step with the rows, searched
    from a row on, wrapping round to the rows before it, as Qt's match goes. The texts of
    BLOCK_ROWS rows are joined in one string, each after a NUL (ROW_START), and each block is
    searched by str.find. A text holds no NUL; the text after each other marker it holds (a
    line break) is a segment of its own. What is looked for is a marker, then text holding
    none: it is found only at the start of a segment, and cannot reach into the next one.

    A change is only noted (changed), and put into the texts before the next search
    (catch_up: a row's text made then, from its record and what it shows then): rows removed
    from a list of 200,000 moved the rest of it, 16 us a removal, which made the grid's turn
    of 100 removals 1.6 ms longer. The blocks are then joined again from the first row moved
    on (a row's text replaced: its block only), 3 ms for 200,000 rows. Past MAX_CHANGES
    changes noted, the texts are dropped, to be made afresh."""

    def __init__(self) -> None:
        self._texts: list[str] | None = None  # None until the first search
        self._changes: list[tuple[int, int, Sequence]] = []  # changed()'s, in their order
        self._blocks: list[str] = []
        self._joined_rows = 0  # the rows before it are in _blocks as they are now
        self._stale_blocks: set[int] = set()  # of those, blocks where a row's text changed

    def changed(self, first: int, end: int, rows: Sequence = ()) -> None:
        """The rows from `first` up to `end` are now `rows` (their records): rows inserted
        (`first` == `end`), removed (no `rows`), or each replaced."""
        if self._texts is None:
            return
        if len(self._changes) >= MAX_CHANGES:
            self.forget()
        else:
            self._changes.append((first, end, rows))

    def forget(self) -> None:
        """The texts dropped (every row replaced), to be made afresh at the next catch_up."""
        self._texts = None
        self._changes.clear()

    def catch_up(self, rows: Sequence, texts_of: Callable[[Sequence], list[str]]) -> None:
        """The texts and the blocks made as the rows are now: `rows`, all their records (as
        changed() was given them), `texts_of` giving the texts of records."""
        if self._texts is None:
            self._texts = texts_of(rows)
            self._blocks.clear()
            self._joined_rows = 0
            self._stale_blocks.clear()
        texts = self._texts
        for first, end, changed in self._changes:
            texts[first:end] = texts_of(changed) if changed else ()
            if len(changed) == end - first:  # replaced: the rows after them stay where they were
                self._stale_blocks.update(range(first // BLOCK_ROWS,
                                                (end - 1) // BLOCK_ROWS + 1))
            else:
                self._joined_rows = min(self._joined_rows, first)
        self._changes.clear()
        fresh = self._joined_rows // BLOCK_ROWS  # the blocks before it are as they were
        blocks = self._blocks
        del blocks[fresh:]
        for block in self._stale_blocks:
            if block < fresh:
                blocks[block] = self._joined(block * BLOCK_ROWS)
        blocks.extend(map(self._joined, range(fresh * BLOCK_ROWS, len(texts), BLOCK_ROWS)))
        self._joined_rows = len(texts)
        self._stale_blocks.clear()

    def first_from(self, row: int, needle: str) -> int | None:
        """The first row from `row` on, then from the first row up to `row`, whose text holds
        `needle` (a marker, then text holding none); None if none does. After catch_up."""
        if not self._texts:
            return None
        blocks = self._blocks
        first = row // BLOCK_ROWS
        # Where `row`'s text starts in its block: its block is searched from there, and again
        # up to there at the end. Counted in the texts kept, as joined: a name decomposed
        # (NFD) is longer than the name as stored, composed.
        start = sum(map(len, self._texts[first * BLOCK_ROWS:row])) + row % BLOCK_ROWS
        at = blocks[first].find(needle, start)
        if at >= 0:
            return self._row_at(first, at)
        for block in (*range(first + 1, len(blocks)), *range(first)):
            at = blocks[block].find(needle)
            if at >= 0:
                return self._row_at(block, at)
        at = blocks[first].find(needle, 0, start)
        return None if at < 0 else self._row_at(first, at)

    def _row_at(self, block: int, at: int) -> int:
        """The row whose text is at `at` in `block`'s string: as many as start up to it."""
        return block * BLOCK_ROWS + self._blocks[block].count(ROW_START, 0, at + 1) - 1

    def _joined(self, top: int) -> str:
        return ROW_START + ROW_START.join(self._texts[top:top + BLOCK_ROWS])


def search_form(text: str) -> str:
    """`text` (a name shown, or what was typed) as names and what is typed are compared:
    decomposed (NFD), so that a name stored decomposed (macOS writes é as e and U+0301) and the
    same name typed composed are one (users cannot see the difference), and the reverse; then
    folded as Qt's case-insensitive compare folds (qt_fold). Decomposed, not composed: a letter
    typed finds the names where it carries an accent, so an accent typed as a key of its own
    after its letter goes on from there (composed, e found ete past été, and e then U+0301 the
    été after it); and a capital with no composed form (J and U+030C) folds to the small
    letter's (ǰ), which composed is one character."""
    if text.isascii():  # most names: decomposed already, folded by lower()
        return text.lower()
    return qt_fold(unicodedata.normalize("NFD", text))


_folding: QtCaseFolding | None = None


def qt_fold(text: str) -> str:
    """QtCaseFolding's fold, its characters learnt once for the whole app."""
    global _folding
    if _folding is None:
        _folding = QtCaseFolding()
    return _folding.fold(text)
