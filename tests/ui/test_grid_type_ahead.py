"""Typing a photo's name in the library grid: the real PhotoListModel answers a name typed
(keyboardSearch -> match) from its rows' texts kept folded, not by asking every row's data()
as Qt's match does (up to 0.6 s a key at 200,000 photos), with Qt's answers over the names
and what is typed both decomposed (NFD: a name stored decomposed, as macOS writes it, is found
typed composed, and the reverse): the same text compared, case as Qt's case-insensitive
compare has it (not Python's casefold), the same wrap from the start row, a pair found by its
raw's name, and the rows as they change."""

from __future__ import annotations

import os
import random
import time
import unicodedata

import pytest
from PySide6.QtCore import QAbstractItemModel, QStringListModel, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from desktop_app.core.errors import printable
from desktop_app.core.records import Photo
from desktop_app.ui import type_ahead
from desktop_app.ui.models import PhotoListModel
from desktop_app.ui.photo_grid import PhotoGrid

DISPLAY = Qt.ItemDataRole.DisplayRole
TYPE_AHEAD = Qt.MatchFlag.MatchStartsWith | Qt.MatchFlag.MatchWrap  # keyboardSearch's
# Letters whose case Qt and Python's casefold() tell apart (ß, ẞ, İ, ı, the ligature ﬁ),
# or that fold to ASCII (the Kelvin sign, long s), fold upwards (Cherokee), are outside the
# BMP (Deseret, an emoji), newer than Python 3.11's Unicode (Ɤ, ɤ: Unicode 16); a control
# character printable() keeps (\x01), a zero-width no-break space (PySide drops one that
# starts a string), a bidirectional one and a byte that is not UTF-8 printable() escapes.
LETTERS = ("aAbBsS_.- 09" "ßẞİıiIKkſΣσςǅǆǄéÉ\u0301ﬁ\u212aᎠꭰ𐐀𐐨\ua7cb\u0264😀\x01\ufeff"
           "\u202e\udcff")


def photo(i: int, name: str, folder: str = "/photos", status: str = "ok") -> Photo:
    return Photo(i, f"{folder}/{name}", 1, 100, 1.0 + i, 60, 40, status, None)


def random_name(rng: random.Random) -> str:
    return "".join(rng.choice(LETTERS) for _ in range(rng.randint(1, 5)))


def decomposed(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def qts_answer(model: PhotoListModel, start: int, typed: str) -> int | None:
    """Qt's own match over the rows' texts (data()), and past a dot the rows whose raws' names
    start with `typed` as Qt compares them (its match over a list of those names), the
    nearest after `start` as the search wraps: the texts and `typed` decomposed (NFD)."""
    shown = QStringListModel([decomposed(model.index(row).data(DISPLAY))
                              for row in range(model.rowCount())])
    typed = decomposed(typed)
    rows = [i.row() for i in QAbstractItemModel.match(shown, shown.index(start), DISPLAY,
                                                      typed, 1, TYPE_AHEAD)]
    if "." in typed:
        raws = [(row, decomposed(printable(os.path.basename(raw))))
                for row in range(model.rowCount())
                for raw in model.twins_of(model.photo_at(row).id)]
        names = QStringListModel([name for _row, name in raws])
        rows += [raws[i.row()][0] for i in names.match(names.index(0), DISPLAY, typed, -1,
                                                       Qt.MatchFlag.MatchStartsWith)]
    return min(rows, key=lambda row: (row - start) % model.rowCount(), default=None)


def answer(model: PhotoListModel, start: int, typed: str) -> int | None:
    found = model.match(model.index(start), DISPLAY, typed)
    assert len(found) <= 1
    return found[0].row() if found else None


def typed_names(model: PhotoListModel, rng: random.Random, count: int) -> list[str]:
    """Names as a person might type them: the start of a name shown or of a raw's behind a
    tile, its letters' case changed here and there (ß to SS...), or letters at random."""
    names = []
    for _ in range(count):
        row = rng.randrange(model.rowCount())
        shown = [model.index(row).data(DISPLAY).split("\n")[0]]
        shown += [printable(os.path.basename(raw))
                  for raw in model.twins_of(model.photo_at(row).id)]
        name = rng.choice(shown)[:rng.randint(1, 12)]
        if rng.random() < 0.5:
            name = "".join(c.swapcase() if rng.random() < 0.5 else c for c in name)
        if rng.random() < 0.2:
            name = "".join(rng.choice(LETTERS[:-2]) for _ in range(rng.randint(1, 3)))
        names.append(name)
    return names


def assert_answers_as_qts(model: PhotoListModel, rng: random.Random, count: int = 60) -> None:
    for typed in typed_names(model, rng, count):
        start = rng.randrange(model.rowCount())
        assert answer(model, start, typed) == qts_answer(model, start, typed), (start, typed)


def library(rng: random.Random, count: int, first_id: int = 1,
            model: PhotoListModel | None = None) -> list[Photo]:
    """At least `count` photos of random names in two folders (none at a path `model` holds),
    some shot RAW+JPEG (a raw beside a JPEG of its name), some raws alone."""
    photos: list[Photo] = []
    while len(photos) < count:
        i, stem = first_id + len(photos), random_name(rng)
        folder = rng.choice(["/photos", "/card"])
        kind = rng.random()
        if kind < 0.3:  # a pair
            names = [f"{stem}.CR2", f"{stem}.JPG"]
        else:
            names = [stem + (".cr2" if kind < 0.4 else rng.choice([".jpg", ".PNG", ""]))]
        new = [photo(i + n, name, folder) for n, name in enumerate(names)]
        taken = any(p.path == q.path for p in photos for q in new) or (
            model is not None and not all(free(model, q.path) for q in new))
        if not taken:
            photos += new
    return photos


def free(model: PhotoListModel, path: str) -> bool:
    """Whether no photo of `model` is at `path` (in a row or behind its JPEG's)."""
    return model.stamp_of_path(path) is None


@pytest.fixture(params=[(type_ahead.BLOCK_ROWS, type_ahead.MAX_CHANGES), (5, 3)],
                ids=["as shipped", "blocks of 5, 3 changes"])
def block_rows(request, monkeypatch) -> int:
    """The rows' texts joined and kept as the app does, or 5 rows a block and at most 3
    changes noted: the tests' libraries of a few hundred rows then have many blocks (a search
    goes on from block to block and wraps, a change makes those after its row joined again),
    and a change of many rows has the texts made afresh."""
    rows, changes = request.param
    monkeypatch.setattr(type_ahead, "BLOCK_ROWS", rows)
    monkeypatch.setattr(type_ahead, "MAX_CHANGES", changes)
    return rows


@pytest.mark.parametrize("seed", range(6))
def test_answers_are_qts_for_random_names_case_and_start_rows(qapp, block_rows, seed):
    rng = random.Random(seed)
    model = PhotoListModel()
    model.set_photos(library(rng, 300))
    assert model.hidden_raws() > 0  # pairs among them: a raw's name finds its JPEG's tile
    assert_answers_as_qts(model, rng, 200)


@pytest.mark.parametrize("seed", range(4))
def test_answers_follow_photos_added_removed_renamed_and_paired(qapp, block_rows, seed):
    """The rows' texts are made at the first name typed, then kept in step: each change
    below is followed by names typed again."""
    rng = random.Random(seed)
    model = PhotoListModel()
    model.set_photos(library(rng, 120))
    assert_answers_as_qts(model, rng, 10)  # the texts made
    next_id = 10_000
    for _ in range(40):
        ids = model.ids()
        change = rng.choice(["add", "remove", "rename", "pair", "unpair", "fail", "reload"])
        if change == "reload":  # every photo given again (set_photos)
            model.set_photos(library(rng, rng.randint(20, 120), next_id))
            next_id += 1000
        elif change == "add":
            model.upsert(library(rng, rng.randint(1, 30), next_id, model))
            next_id += 100
        elif change == "remove":
            model.remove_ids(rng.sample(ids, min(len(ids) - 1, rng.randint(1, 20))))
        elif change == "rename":  # in place: the same photo, another name
            old = model.photo(rng.choice(ids))
            new = photo(old.id, random_name(rng) + rng.choice([".jpg", ".CR2"]),
                        os.path.dirname(old.path))
            if free(model, new.path):
                model.upsert([new])
        elif change == "pair":  # the raw or the JPEG of a photo comes: one tile for both
            old = model.photo(rng.choice(ids))
            new = photo(next_id, os.path.basename(os.path.splitext(old.path)[0])
                        + rng.choice([".CR2", ".JPG"]), os.path.dirname(old.path))
            next_id += 1
            if free(model, new.path):
                model.upsert([new])
        elif change == "unpair":  # a tile's JPEG removed: its raw shows in its place
            paired = [i for i in ids if model.twins_of(i)]
            if paired:
                model.remove_ids([rng.choice(paired)])
        else:  # a photo that can no longer be read leaves the grid
            old = model.photo(rng.choice(ids))
            model.upsert([photo(old.id, os.path.basename(old.path),
                                os.path.dirname(old.path), status="failed")])
        assert_answers_as_qts(model, rng, 15)


NAMES = ["straße.jpg", "İstanbul.jpg", "istanbul.jpg", "ǅemal.jpg", "kelvin.jpg",
         "\ua7cbam.jpg", os.fsdecode(b"\xff\xfe.jpg"), "IMG_0001.JPG", "IMG_0001.CR2",
         "img_0002.jpg", "STRASSE.jpg", "\u202eevil.jpg", "a\ufeffc.jpg", "a\ufffeb.jpg",
         "\ufeffzz.jpg"]


@pytest.mark.parametrize(("typed", "found"), [
    ("STRAẞE", "straße.jpg"),  # Qt folds ẞ to ß, as it does S to s
    ("strasse", "STRASSE.jpg"),  # not straße, which casefold() has as strasse
    ("İST", "İstanbul.jpg"),  # Qt folds İ to nothing else, Turkish or not
    ("IST", "istanbul.jpg"),
    ("i\u0307st", "İstanbul.jpg"),  # casefold()'s İ: İ is I and a dot above, decomposed
    ("ǆ", "ǅemal.jpg"),  # a title-case letter
    ("\u212aelvin", "kelvin.jpg"),  # the Kelvin sign is a K to Qt
    ("\u0264a", "\ua7cbam.jpg"),  # Unicode 16: Qt knows, Python 3.11 does not
    ("\\XFF\\XF", os.fsdecode(b"\xff\xfe.jpg")),  # shown as \xff\xfe
    ("\\u202E", "\u202eevil.jpg"),  # shown as \u202e
    ("img_0001.cr", "IMG_0001.JPG"),  # a raw's name finds its JPEG's tile
    ("img_0001.j", "IMG_0001.JPG"),
    ("IMG_0001.JPG\nRAW+", "IMG_0001.JPG"),  # the tile's mark, on its line (Qt's match)
    # A zero-width no-break space and a noncharacter, which PySide takes for byte order
    # marks at the start of a string: shown as their codes (printable), as they are compared.
    ("ac", None),
    ("zz", None),
    ("\\ufeffz", "\ufeffzz.jpg"),
    ("ab", None),
    ("A\\uFEFFC", "a\ufeffc.jpg"),
    ("a\\ufffe", "a\ufffeb.jpg"),
])
def test_a_name_typed_in_the_grid_finds_the_photo_qt_finds(qtbot, typed, found):
    model = PhotoListModel()
    model.set_photos([photo(i, name) for i, name in enumerate(NAMES, 1)])
    grid = PhotoGrid(64)
    grid.setModel(model)
    qtbot.addWidget(grid)
    grid.show()
    interval = QApplication.keyboardInputInterval()
    for start in range(model.rowCount()):  # each start row: the search wraps from there
        grid.setCurrentIndex(model.index(start))
        QApplication.setKeyboardInputInterval(0)  # a new name each time
        try:
            QTest.qWait(2)
            grid.keyboardSearch(typed)
        finally:
            QApplication.setKeyboardInputInterval(interval)
        row = grid.currentIndex().row()
        expected = qts_answer(model, (start + 1) % model.rowCount(), typed)  # past the current
        assert row == (start if expected is None else expected)
        name = os.path.basename(model.photo_at(row).path)
        assert name == found or (found is None and row == start)


@pytest.mark.parametrize(("typed", "found"), [
    ("straße_1.cr2", "Straße_1.JPG"),
    ("STRAẞE_1.C", "Straße_1.JPG"),
    ("STRASSE_1.CR2", "Strasse_1.JPG"),
    ("strasse_1.c", "Strasse_1.JPG"),
])
def test_a_raws_name_is_compared_as_the_name_shown_is(qapp, typed, found):
    """Qt has ß for ß (and ẞ) only, as in the names shown, not for ss as casefold() has it:
    a raw's exact name typed finds its own picture's tile from every row."""
    model = PhotoListModel()
    model.set_photos([photo(1, "Strasse_1.JPG", "/a"), photo(2, "Strasse_1.CR2", "/a"),
                      photo(3, "Straße_1.JPG", "/b"), photo(4, "Straße_1.CR2", "/b")])
    assert model.rowCount() == 2  # a tile for each pair
    for start in range(model.rowCount()):
        assert os.path.basename(model.photo_at(answer(model, start, typed)).path) == found
        assert answer(model, start, typed) == qts_answer(model, start, typed)


# Names of été (summer) as macOS writes them, decomposed (e and U+0301), and as most systems
# do, composed: a composed name is shorter than its text kept. ete, unaccented, is not été.
DECOMPOSED = unicodedata.normalize("NFD", "été")
SUMMER = [f"{DECOMPOSED}_01.jpg", f"{DECOMPOSED}_02.jpg", "été_03.jpg", f"{DECOMPOSED}_04.jpg",
          "zebra.jpg", "été_06.jpg", "ete_07.jpg"]
SUMMER_ROWS = [0, 1, 2, 3, 5]  # été_..., stored either way


def type_in(grid: PhotoGrid, typed: str, by_keys: bool) -> None:
    """`typed` typed in `grid` as a new name: key by key, each character a key press's text
    (QTest.keyClicks takes Latin-1 letters only, and not é), or given whole to keyboardSearch,
    as an input method's text is."""
    interval = QApplication.keyboardInputInterval()
    QApplication.setKeyboardInputInterval(0)  # a new name at the first key
    try:
        QTest.qWait(2)
        if by_keys:
            key(grid, typed[0])
        else:
            grid.keyboardSearch(typed)
    finally:
        QApplication.setKeyboardInputInterval(interval)
    if by_keys:
        for char in typed[1:]:  # going on with the name
            key(grid, char)


def key(widget, char: str) -> None:
    QTest.sendKeyEvent(QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, char,
                       Qt.KeyboardModifier.NoModifier)


@pytest.mark.parametrize(("typed", "by_keys"), [
    ("ÉTÉ_0", True),  # composed, as a keyboard types é: finds the names stored decomposed
    ("été", True),
    (unicodedata.normalize("NFD", "ÉTÉ_0"), False),  # decomposed: finds the composed names
    (DECOMPOSED, False),
])
def test_a_name_stored_decomposed_is_found_typed_composed_and_the_reverse(
        qtbot, block_rows, typed, by_keys):
    """Both look the same: é as one character or as e and an accent (U+0301). Found from
    each row, the next été after it, whatever the form of the names before it in its block:
    where a row's text starts is counted in the texts kept, decomposed (counted in the names
    as stored, shorter, a search from a row began inside the next row's text, and missed it)."""
    model = PhotoListModel()
    model.set_photos([photo(i, name) for i, name in enumerate(SUMMER, 1)])
    grid = PhotoGrid(64)
    grid.setModel(model)
    qtbot.addWidget(grid)
    grid.show()
    for start in range(model.rowCount()):
        grid.setCurrentIndex(model.index(start))
        type_in(grid, typed, by_keys)
        # The next after the current one: Qt's keyboardSearch starts a new name past it.
        expected = min(SUMMER_ROWS, key=lambda row: (row - start - 1) % model.rowCount())
        assert grid.currentIndex().row() == expected, start
    assert model.rowCount() == len(SUMMER)


@pytest.mark.parametrize(("raw", "typed"), [
    (unicodedata.normalize("NFD", "Büro_1"), "büro_1.cr"),
    ("Büro_1", unicodedata.normalize("NFD", "BÜRO_1.CR2")),
])
def test_a_raws_name_is_found_in_either_form(qtbot, raw, typed):
    """A pair's tile, found by its raw's name in the form the name is not stored in, typed
    from another photo (key by key from the tile itself: the search starts past it, and the
    first key finds bison.jpg)."""
    model = PhotoListModel()
    model.set_photos([photo(1, "zebra.jpg"), photo(2, f"{raw}.JPG"), photo(3, f"{raw}.CR2"),
                      photo(4, "bison.jpg")])
    assert model.rowCount() == 3  # a tile for the pair
    grid = PhotoGrid(64)
    grid.setModel(model)
    qtbot.addWidget(grid)
    grid.show()
    by_keys = "\u0308" not in typed
    grid.setCurrentIndex(model.index(1 if by_keys else 2))
    type_in(grid, typed, by_keys)
    assert os.path.basename(model.photo_at(grid.currentIndex().row()).path) == f"{raw}.JPG"


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_an_accent_typed_after_its_letter_finds_the_next_name_with_it(qtbot, form):
    """A keyboard whose accent is a key of its own, pressed after its letter (e, then U+0301,
    each a key press's text): é is found where é typed finds it, the next été after the
    current photo. The letter alone finds été (it is there, with its accent), and the accent
    then goes on from there; compared composed, e found ete past été_A, and the accent then
    found été_B."""
    model = PhotoListModel()
    model.set_photos([photo(i, unicodedata.normalize(form, name)) for i, name in
                      enumerate(["zebra.jpg", "été_A.jpg", "ete.jpg", "été_B.jpg"], 1)])
    grid = PhotoGrid(64)
    grid.setModel(model)
    qtbot.addWidget(grid)
    grid.show()
    grid.setCurrentIndex(model.index(0))
    type_in(grid, "e", by_keys=True)
    assert grid.currentIndex().row() == 1
    key(grid, "\u0301")
    assert grid.currentIndex().row() == 1
    key(grid, "t")
    assert grid.currentIndex().row() == 1


def qt_takes_for_one_another(a: str, b: str) -> bool:
    """Whether Qt's case-insensitive compare has `a` and `b` equal (each after an x: PySide
    drops a byte order mark that starts a string)."""
    one = QStringListModel(["x" + a])
    return bool(one.match(one.index(0), DISPLAY, "x" + b, 1, Qt.MatchFlag.MatchFixedString))


# Characters that Qt takes for others (K, the Kelvin sign and k; Θ θ ϑ ϴ; ẞ and ß; Unicode
# 16's Ɤ, Garay and Beria Erfe letters, which Python 3.11 does not know), some that it takes
# for no other (ideographs, a digit, ı), and two that PySide reads as byte order marks.
FOLDED = ("Kk\u212aSsſΘθϑϴẞßİiIıΣσςǄǅǆᎠꭰ𐐀𐐨\u0264\ua7cb\U00010d50\U00010d70"
          "\U00016ea0\U00016ebb東京0\ufeff\ufffe")


@pytest.mark.parametrize("seed", range(4))
def test_each_character_folds_as_qt_compares_it_whatever_the_order_learnt(qapp, seed):
    chars = list(FOLDED)
    random.Random(seed).shuffle(chars)
    folding = type_ahead.QtCaseFolding()
    folded = {char: folding.fold("é" + char)[1:] for char in chars}
    for a in chars:
        assert len(folded[a]) == 1, a
        for b in chars:
            assert (folded[a] == folded[b]) == qt_takes_for_one_another(a, b), (a, b)


def test_the_first_name_typed_among_thousands_of_different_ideographs_is_found_at_once(
        qapp, monkeypatch):
    """Qt is asked once about each character met in the names: an ideograph only about the
    characters learnt that case folding changes, not about every other ideograph (10,000
    took the first key 3.3 s)."""
    monkeypatch.setattr(type_ahead, "_folding", None)  # none learnt yet
    model = PhotoListModel()
    model.set_photos([photo(i, "".join(chr(0x4E00 + 5 * i + k) for k in range(5)) + ".jpg")
                      for i in range(2000)])
    started = time.monotonic()
    name = os.path.basename(model.photo_at(1234).path)
    assert answer(model, 0, name[:2]) == 1234
    assert time.monotonic() - started < 1.0


class CountingModel(PhotoListModel):
    """The grid's model, counting the rows whose text is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.texts_asked = 0

    def data(self, index, role=DISPLAY):
        if role == DISPLAY:
            self.texts_asked += 1
        return super().data(index, role)


def test_a_key_typed_asks_no_rows_text_in_a_big_library(qtbot):
    count = 20_000
    model = CountingModel()
    model.set_photos([photo(i, f"IMG_{i:05d}.JPG") for i in range(count)])
    grid = PhotoGrid(64)
    grid.setModel(model)
    qtbot.addWidget(grid)
    grid.resize(600, 400)
    grid.show()
    qtbot.waitExposed(grid)
    grid.setCurrentIndex(model.index(count // 2))
    qtbot.wait(QApplication.keyboardInputInterval() + 50)
    model.texts_asked = 0
    QTest.keyClicks(grid, "img_0123")  # each key searched from the middle on, wrapping
    assert os.path.basename(model.photo_at(grid.currentIndex().row()).path) == "IMG_01230.JPG"
    # Qt's match asked for the text of each row it passed: 11,237 for this name.
    assert model.texts_asked == 0


@pytest.mark.parametrize("searches", [1, 5], ids=["changes one by one", "changes noted"])
def test_row_texts_answer_as_a_scan_after_changes_anywhere(monkeypatch, searches):
    """RowTexts on its own, rows inserted, removed and replaced at any row (the grid only
    appends), 3 rows a block, searched after each change or after a few: the first row from
    a start on, wrapping, whose text holds what is looked for after a row's start or a
    segment's marker."""
    monkeypatch.setattr(type_ahead, "BLOCK_ROWS", 3)
    rng = random.Random(searches)

    def text() -> str:  # segments: the first after the row's start, others after a \n
        return "\n".join("".join(rng.choice("ab") for _ in range(rng.randint(0, 3)))
                         for _ in range(rng.randint(1, 3)))

    def scan(texts: list[str], row: int, needle: str) -> int | None:
        order = [*range(row, len(texts)), *range(row)]
        return next((r for r in order if needle in type_ahead.ROW_START + texts[r]), None)

    texts = [text() for _ in range(20)]
    rows = type_ahead.RowTexts()
    rows.catch_up(texts, list)  # (a row's record is its text here)
    for change in range(300):
        kind = rng.choice(["insert", "remove", "replace"])
        if kind == "insert":
            row, new = rng.randint(0, len(texts)), [text() for _ in range(rng.randint(1, 4))]
            texts[row:row] = new
            rows.changed(row, row, new)
        elif kind == "remove" and len(texts) > 4:
            first = rng.randrange(len(texts))
            end = min(len(texts), first + rng.randint(1, 4))
            del texts[first:end]
            rows.changed(first, end)
        elif texts:
            first = rng.randrange(len(texts))
            end = min(len(texts), first + rng.randint(1, 4))
            texts[first:end] = [text() for _ in range(first, end)]
            rows.changed(first, end, texts[first:end])
        if change % searches:
            continue
        rows.catch_up(texts, list)
        for _ in range(5):
            needle = rng.choice([type_ahead.ROW_START, "\n"]) + "".join(
                rng.choice("ab") for _ in range(rng.randint(1, 3)))
            start = rng.randrange(len(texts))
            assert rows.first_from(start, needle) == scan(texts, start, needle)
