"""Typing a photo's name in the results grid: the real ResultsModel answers a name typed
(keyboardSearch -> match) from its rows' names kept folded, as the library grid does, not by
asking every row's data() as Qt's match did (with 100,000 results, up to 0.3 s a key): the
results appended when the view scrolls to their end (fetchMore) are found too, a new search's
in place of the old, a camera's RAW+JPEG pair by its raw's name as by its JPEG's, and a name
stored decomposed (as macOS writes é: e and U+0301) is found typed composed, and the reverse."""

from __future__ import annotations

import os
import random
import unicodedata

import pytest
from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from desktop_app.core.records import Match
from desktop_app.ui.models import ResultsModel
from desktop_app.ui.results_panel import ResultsPanel

DISPLAY = Qt.ItemDataRole.DisplayRole
TYPE_AHEAD = Qt.MatchFlag.MatchStartsWith | Qt.MatchFlag.MatchWrap  # keyboardSearch's
FIRST = 3000  # results shown at first; the next ones come when the view asks at the end
MORE = 1000
SUMMER_NFD = 1234  # été_01234.jpg, stored decomposed, among the first results
SUMMER_NFC = 3700  # été_03700.jpg, stored composed, among those appended


def name_of(i: int) -> str:
    if i == SUMMER_NFD:
        return unicodedata.normalize("NFD", f"été_{i:05d}.jpg")
    if i == SUMMER_NFC:
        return f"été_{i:05d}.jpg"
    return f"IMG_{i:05d}.JPG"


def results(first: int, count: int, folder: str = "/photos") -> list[Match]:
    """Results `first` on, further and further from the photo searched for."""
    return [Match(i, f"{folder}/{name_of(i)}", i * 48 // (FIRST + MORE), 48)
            for i in range(first, first + count)]


class CountingResults(ResultsModel):
    """The results' model, counting the rows whose text is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.texts_asked = 0
        self.keys_asked = 0  # by the keys typed (type_in)

    def data(self, index, role=DISPLAY):
        if role == DISPLAY:
            self.texts_asked += 1
        return super().data(index, role)


def key(widget, char: str) -> None:
    """A key pressed whose text is `char` (QTest.keyClicks takes Latin-1 letters only)."""
    QTest.sendKeyEvent(QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, char,
                       Qt.KeyboardModifier.NoModifier)


def type_in(grid, typed: str, by_keys: bool = True) -> None:
    """`typed` typed as a new name, key by key, or given whole to keyboardSearch (as an input
    method's text is). The rows' texts asked for by the keys are counted (CountingResults),
    not those the grid's painting asks for."""
    model = grid.model()
    interval = QApplication.keyboardInputInterval()
    QApplication.setKeyboardInputInterval(0)  # a new name at the first key
    try:
        QTest.qWait(2)
        painted = model.texts_asked
        if by_keys:
            key(grid, typed[0])
        else:
            grid.keyboardSearch(typed)
    finally:
        QApplication.setKeyboardInputInterval(interval)
    if by_keys:
        for char in typed[1:]:
            key(grid, char)
    model.keys_asked += model.texts_asked - painted


def found(model: ResultsModel, grid) -> str:
    return os.path.basename(model.matches()[grid.currentIndex().row()].path)


@pytest.fixture
def results_grid(qtbot):
    model = CountingResults()
    panel = ResultsPanel(model, 96)
    qtbot.addWidget(panel)
    panel.resize(800, 600)
    panel.show()
    qtbot.waitExposed(panel)
    # The search controller's part: the next closest appended when the view asks for them.
    model.more_wanted.connect(lambda: model.append_results(results(model.rowCount(), MORE)))
    model.set_results(results(0, FIRST), more=True)
    yield model, panel.grid
    panel.close()  # (the panel kept until then: the grid is its child)


def test_a_name_typed_finds_the_result_without_asking_rows_for_their_text(
        qtbot, results_grid):
    model, grid = results_grid
    grid.setFocus()
    grid.setCurrentIndex(model.index(FIRST // 2))
    type_in(grid, "img_02500")
    assert found(model, grid) == "IMG_02500.JPG"
    type_in(grid, "IMG_00100.J")  # before the current one: the search wraps
    assert found(model, grid) == "IMG_00100.JPG"
    # Qt's match asked for the text of each row it passed: 1,618 for these two names.
    assert model.keys_asked == 0
    # Scrolled to the end: the next results are appended, and found.
    grid.executeDelayedItemsLayout()
    bar = grid.verticalScrollBar()
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: model.rowCount() == FIRST + MORE, timeout=10000)
    type_in(grid, "img_035")
    assert found(model, grid) == "IMG_03500.JPG"
    type_in(grid, "IMG_00099")
    assert found(model, grid) == "IMG_00099.JPG"
    assert model.keys_asked == 0
    # A new search: its results, not the old ones, are found (the old texts had the row
    # of IMG_00040.JPG 40).
    model.set_results(results(0, 50, "/elsewhere")[::-1])
    type_in(grid, "img_00040")
    assert grid.currentIndex().row() == 50 - 1 - 40
    assert model.matches()[grid.currentIndex().row()].path == "/elsewhere/IMG_00040.JPG"
    # A result updated in place (update_results: the search controller's, a photo's twin
    # named since): its name as it is now is found.
    model.update_results([Match(49, "/elsewhere/renamed.jpg", 0, 48)])
    type_in(grid, "renamed")
    assert grid.currentIndex().row() == 0


def pair(i: int, stem: str, raw_suffix: str = ".CR2", folder: str = "/photos") -> Match:
    """The result of a RAW+JPEG pair, as the search controller makes it (core/raw_twins.py):
    one row, shown as its JPEG, its raw named in `twins`."""
    return Match(i, f"{folder}/{stem}.JPG", i * 48 // (FIRST + MORE), 48,
                 twins=(f"{folder}/{stem}{raw_suffix}",))


def test_a_raws_name_typed_finds_its_pairs_row(qtbot, results_grid):
    """Typing a raw's name finds the row of its RAW+JPEG pair, as in the library grid, in the
    results of a search, in those appended and in a row that gained its raw since (the search
    controller's update_results); the JPEG's name still finds it, and a raw's name no more
    than its name up to the suffix. (Only the name shown was looked for: IMG_0001.CR2 given
    whole, as an input method gives it, found nothing, and typed key by key went on from the
    pair's row to a raw of that name shown alone, a copy in another folder.)"""
    model, grid = results_grid
    lone_raw = Match(2000, "/card/DSC_0042.NEF", 20, 48)  # a copy, its JPEG not among them
    model.set_results([*results(0, 1500), pair(1500, "DSC_0042", ".NEF"),
                       *results(1501, 499), lone_raw, *results(2001, FIRST - 2001)],
                      more=True)
    grid.setFocus()
    for by_keys in (False, True):
        grid.setCurrentIndex(model.index(0))
        type_in(grid, "dsc_0042.nef", by_keys)
        assert grid.currentIndex().row() == 1500, by_keys
    type_in(grid, "DSC_0042.J")
    assert grid.currentIndex().row() == 1500
    grid.setCurrentIndex(model.index(0))
    type_in(grid, "dsc_0042.cr2", by_keys=False)  # not its raw: not found, the row stays
    assert grid.currentIndex().row() == 0
    # A pair among the results appended when the view scrolls to their end.
    model.more_wanted.disconnect()
    model.more_wanted.connect(lambda: model.append_results(
        [*results(model.rowCount(), 10), pair(FIRST + 10, "IMG_7777")]))
    grid.executeDelayedItemsLayout()
    bar = grid.verticalScrollBar()
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: model.rowCount() == FIRST + 11, timeout=10000)
    grid.setCurrentIndex(model.index(0))
    type_in(grid, "IMG_7777.CR", by_keys=False)
    assert grid.currentIndex().row() == FIRST + 10
    # A new search whose first result gains its raw afterwards.
    model.set_results(results(0, 50, "/elsewhere"))
    grid.setCurrentIndex(model.index(49))
    type_in(grid, "img_00007.cr2", by_keys=False)
    assert grid.currentIndex().row() == 49  # no raw yet: not found
    model.update_results([*results(0, 7, "/elsewhere"), pair(7, "IMG_00007", ".CR2",
                                                              "/elsewhere")])
    type_in(grid, "img_00007.cr2", by_keys=False)
    assert grid.currentIndex().row() == 7
    assert model.keys_asked == 0  # no row's data() asked


@pytest.mark.parametrize(("typed", "by_keys", "expected"), [
    ("ÉTÉ_01", True, SUMMER_NFD),  # composed, as a keyboard types é
    (unicodedata.normalize("NFD", "été_03"), False, SUMMER_NFC),
    # Typed as stored, found as before.
    ("été_03", True, SUMMER_NFC),
    (unicodedata.normalize("NFD", "ÉTÉ_01"), False, SUMMER_NFD),
])
def test_a_name_stored_decomposed_is_found_typed_composed_and_the_reverse(
        qtbot, results_grid, typed, by_keys, expected):
    model, grid = results_grid
    grid.executeDelayedItemsLayout()
    bar = grid.verticalScrollBar()
    bar.setValue(bar.maximum())  # the composed name is among the results appended
    qtbot.waitUntil(lambda: model.rowCount() == FIRST + MORE, timeout=10000)
    for start in (0, SUMMER_NFD, SUMMER_NFC, FIRST + MORE - 1):
        grid.setCurrentIndex(model.index(start))
        type_in(grid, typed, by_keys)
        assert grid.currentIndex().row() == expected, start
        assert found(model, grid) == name_of(expected)


@pytest.mark.parametrize("name", ["ǰ", "ΐ", "ΰ"])
@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_a_capital_with_no_composed_form_finds_its_small_letter(qapp, name, form):
    """j with a caron (ǰ) and Greek ι and υ with a diaeresis and an accent (ΐ, ΰ) are one
    character composed, their capitals two (J and U+030C; Ϊ and U+0301): typed in capitals,
    whichever way the name is stored, it is found, as Qt's case-insensitive compare has the
    two decomposed. (Composed, then folded, the capital stayed two characters and the small
    letter one: not found.)"""
    model = ResultsModel()
    model.set_results([Match(1, "/photos/zebra.jpg", 0, 48),
                       Match(2, f"/photos/{unicodedata.normalize(form, name)}_1.jpg", 1, 48)])
    typed = unicodedata.normalize("NFC", name.upper())
    assert len(typed) == 2  # no capital of one character
    assert [i.row() for i in model.match(model.index(0), DISPLAY, typed + "_")] == [1]


# Letters Qt and Python's casefold() fold apart (ß, ẞ, İ, ı), the Kelvin sign (a K to Qt), é
# as one character or two, a control character printable() keeps, and a bidirectional one
# and a byte that is not UTF-8, which printable() escapes (\u202e, \xff).
LETTERS = "aAsSßẞİıiIKk\u212aéÉe\u0301_.\x01\u202e\udcff"


def decomposed(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize("seed", range(3))
def test_answers_are_qts_over_the_names_decomposed(qapp, seed):
    """The row found for names typed (the start of a name shown, its case changed here and
    there, or letters at random) from any row is the one Qt's match finds (row by row through
    each row's text, wrapping) with the names and what is typed decomposed (NFD): case as Qt's
    case-insensitive compare has it, the names as shown (escaped), the results appended
    after the first ones too."""
    rng = random.Random(seed)
    names = {"".join(rng.choice(LETTERS) for _ in range(rng.randint(1, 6))) + ".jpg"
             for _ in range(300)}
    matches = [Match(i, f"/photos/{name}", i // 10, 48) for i, name in enumerate(names)]
    model = ResultsModel()
    model.set_results(matches[:200], more=True)
    model.append_results(matches[200:])
    shown = QStringListModel([decomposed(model.index(row).data(DISPLAY))
                              for row in range(model.rowCount())])
    for _ in range(200):
        name = model.index(rng.randrange(model.rowCount())).data(DISPLAY).split("\n")[0]
        typed = "".join(c.swapcase() if rng.random() < 0.5 else c
                        for c in name[:rng.randint(1, 8)])
        if rng.random() < 0.2:
            typed = "".join(rng.choice(LETTERS[:-1]) for _ in range(rng.randint(1, 3)))
        start = rng.randrange(model.rowCount())
        qts = [i.row() for i in shown.match(shown.index(start), DISPLAY, decomposed(typed), 1,
                                            TYPE_AHEAD)]
        answer = [i.row() for i in model.match(model.index(start), DISPLAY, typed)]
        assert answer == qts, (start, typed)
