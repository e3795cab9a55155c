"""Space on a photo shows it large in a window over the main window (a quick look): decoded at the
window's size on a pool thread, a raw turned upright, the arrows moving through the grid it was
opened from, Enter searching with it, Escape or Space closing it, an unreadable or deleted photo
said in it, a decode for a photo no longer shown dropped, the photo decoded again on a screen of
another scale, and the Quit key quitting from it."""

from __future__ import annotations

import dataclasses
import math
import os
import threading

import numpy as np
import pytest
from photos import make_camera_raw, make_photo, sample_image
from PIL import Image
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication
from qt_pictures import rgb_picture
from ui_helpers import header, indexed, keys_list_text

from desktop_app.settings import Settings
from desktop_app.ui import photo_preview, thumbnails
from desktop_app.ui.models import PhotoIdRole, placeholder_color
from desktop_app.ui.photo_preview import PhotoPreview, fitted
from desktop_app.ui.thumbnails import ThumbnailCache


@pytest.fixture(autouse=True)
def no_decode_left_running(qapp):
    """After each test (its fixtures' teardowns too), no preview it made is decoding: a decode
    left running when Python ends has Qt print "Qt Concurrent has caught an exception thrown
    from a worker thread" (the thread, back in Python, is ended by it), as runs of this file
    did."""
    def previews() -> list[PhotoPreview]:
        return [w for w in QApplication.topLevelWidgets() if isinstance(w, PhotoPreview)]

    before = previews()  # other tests': not this test's to wait for
    yield
    running = [preview for preview in previews() if not any(preview is b for b in before)
               and preview.loader._pool.activeThreadCount()]
    assert running == [], "a preview still decoding: close it and shut it down"


@pytest.fixture
def photo_folder(tmp_path):
    """A photo bigger than any window, smaller ones, and a camera raw stored turned (its
    orientation 6: the camera held upright)."""
    folder = tmp_path / "photos"
    make_photo(folder / "big.jpg", "coffee", size=(3000, 2000))
    make_photo(folder / "chelsea.jpg", "chelsea", size=(451, 300))
    make_photo(folder / "rocket.jpg", "rocket", size=(320, 427))
    make_camera_raw(folder / "turned.nef", "chelsea", orientation=6)
    return folder


def as_array(pixmap) -> np.ndarray:
    return np.asarray(rgb_picture(pixmap.toImage()))


def decoded(qtbot, preview, path: str):
    """The picture the preview shows for `path`, once decoded."""
    qtbot.waitUntil(lambda: preview.shown_path() == path
                    and preview.shown_picture() is not None, timeout=20000)
    return preview.shown_picture()


def close_to(size, expected) -> bool:
    return all(abs(a - b) <= 1 for a, b in zip(size, expected))


def open_on(qtbot, window, grid, row: int) -> PhotoPreview:
    grid.setFocus()
    grid.setCurrentIndex(grid.model().index(row, 0))
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    preview = window.preview
    assert preview is not None and preview.isVisible()
    return preview


def test_space_shows_the_photo_decoded_for_the_window(qtbot, make_window, photo_folder,
                                                      announced):
    window = indexed(qtbot, make_window, photo_folder, 4)
    model = window.photos_model
    big = model.row_of_path(str(photo_folder / "big.jpg"))
    preview = open_on(qtbot, window, window.grid, big)
    # Nearly the window's size, over it.
    assert preview.width() > 0.9 * window.width() and preview.height() > 0.9 * window.height()
    picture = decoded(qtbot, preview, str(photo_folder / "big.jpg"))
    box = preview.picture.box()
    size = (picture.width(), picture.height())
    # At the room the window has (in device pixels), not the grid's 160-pixel thumbnail.
    assert close_to(size, fitted((3000, 2000), box))
    assert size[0] >= box[0] - 1 or size[1] >= box[1] - 1
    assert "big.jpg · 3000 x 2000 pixels" == preview.details.text()
    assert "big.jpg" in preview.accessibleName()
    assert "Escape" in preview.accessibleDescription()
    # An arrow: the grid's next photo (or the one before, if this is the last), shown at its own
    # size, smaller than the window (never enlarged); the grid's current photo follows, and a
    # screen reader hears its name. The arrow back returns to the first.
    last = big == model.rowCount() - 1
    there, back = ((Qt.Key.Key_Left, Qt.Key.Key_Right) if last
                   else (Qt.Key.Key_Right, Qt.Key.Key_Left))
    qtbot.keyClick(preview, there)
    moved = big - 1 if last else big + 1
    assert window.grid.currentIndex().row() == moved
    photo = model.photo_at(moved)
    picture = decoded(qtbot, preview, photo.path)
    assert close_to((picture.width(), picture.height()), (photo.width, photo.height))
    assert any(os.path.basename(photo.path) in said for said in announced)
    qtbot.keyClick(preview, back)
    assert window.grid.currentIndex().row() == big
    # Escape: closed, the grid on the photo shown last.
    qtbot.keyClick(preview, Qt.Key.Key_Escape)
    assert not preview.isVisible()
    assert preview.shown_picture() is None  # nothing held once closed
    assert window.grid.currentIndex().row() == big
    # Space opens it again, and closes it.
    qtbot.keyClick(window.grid, Qt.Key.Key_Space)
    assert preview.isVisible() and preview.shown_path() == str(photo_folder / "big.jpg")
    qtbot.keyClick(preview, Qt.Key.Key_Space)
    assert not preview.isVisible()


def test_a_raw_turned_by_its_orientation_is_shown_upright(qtbot, make_window, photo_folder):
    window = indexed(qtbot, make_window, photo_folder, 4)
    path = str(photo_folder / "turned.nef")
    row = window.photos_model.row_of_path(path)
    photo = window.photos_model.photo_at(row)
    assert (photo.width, photo.height) == (450, 300)  # its sensor's (an even count), upright
    preview = open_on(qtbot, window, window.grid, row)
    shown = as_array(decoded(qtbot, preview, path)).astype(int)
    # The raw's own size, not its embedded picture's 1024 pixels.
    height, width = shown.shape[:2]
    assert close_to((width, height), (450, 300))
    upright = sample_image("chelsea").resize((width, height), Image.Resampling.BILINEAR)
    expected = np.asarray(upright, dtype=int)
    turned_over = np.asarray(upright.transpose(Image.Transpose.ROTATE_180), dtype=int)
    assert np.abs(shown - expected).mean() < 25
    assert np.abs(shown - expected).mean() < np.abs(shown - turned_over).mean() / 2


def test_enter_searches_with_the_photo_shown(qtbot, make_window, photo_folder):
    window = indexed(qtbot, make_window, photo_folder, 4)
    model = window.photos_model
    preview = open_on(qtbot, window, window.grid, 0)
    qtbot.keyClick(preview, Qt.Key.Key_Right)
    shown = model.photo_at(1)
    qtbot.keyClick(preview, Qt.Key.Key_Return)
    assert not preview.isVisible()
    qtbot.waitUntil(lambda: window.search.searched_photo_id == shown.id, timeout=20000)
    assert os.path.basename(shown.path) in header(window)


def test_a_result_is_previewed_with_its_size_and_distance(qtbot, make_window, photo_folder):
    window = indexed(qtbot, make_window, photo_folder, 4, max_distance=1000)  # all of them
    chelsea = window.photos_model.row_of_path(str(photo_folder / "chelsea.jpg"))
    window.search_index(window.photos_model.index(chelsea))
    results = window.results_panel.grid
    qtbot.waitUntil(lambda: results.model().rowCount() == 3, timeout=20000)
    first = results.model().index(0, 0)
    match = window.results_model.matches()[0]
    # From its menu: the entry names the key, as Qt shows a shortcut.
    actions = dict(results.actions_for(first))
    assert list(actions)[:2] == ["Find similar photos", "Preview\tSpace"]
    actions["Preview\tSpace"]()
    preview = window.preview
    assert preview.isVisible() and preview.shown_path() == match.path
    photo = window.photos_model.photo(match.photo_id)
    assert preview.details.text().endswith(
        f" · {photo.width} x {photo.height} pixels · distance {match.distance} · "
        f"{match.similarity * 100:.0f}% similar")
    decoded(qtbot, preview, match.path)
    qtbot.keyClick(preview, Qt.Key.Key_Escape)
    assert not preview.isVisible()


def test_the_quit_key_quits_from_the_preview(qtbot, make_window, photo_folder):
    """Ctrl+Q (Cmd+Q on a Mac) did nothing while the preview had the focus: it is a window of
    its own, which the main window's keys do not reach. It quits as there: the preview closed,
    the main window closed through its own shutdown."""
    window = indexed(qtbot, make_window, photo_folder, 4)
    preview = open_on(qtbot, window, window.grid, 0)
    qtbot.waitUntil(preview.isActiveWindow, timeout=5000)
    assert Settings.load().window_geometry == ""
    keys = QKeySequence(QKeySequence.StandardKey.Quit)
    if keys.isEmpty():  # Windows has none (Alt+F4 is the window manager's); nor has offscreen
        shortcut = next(s for s in preview.findChildren(QShortcut) if s.key() == keys)
        shortcut.activated.emit()
    else:
        qtbot.keyClick(preview, keys[0].key(), keys[0].keyboardModifiers())
    assert not preview.isVisible() and not window.isVisible()
    assert Settings.load().window_geometry != ""  # saved by the main window's closeEvent only
    assert not window.thread_.isRunning()  # the indexer stopped, as when the window is closed


def test_the_keys_list_names_the_previews_keys(qtbot):
    text = keys_list_text(qtbot)
    assert "<b>Space</b></td><td>The current photo large, in a preview" in text
    assert "<td>Preview: the other photos of its grid" in text
    assert "<b>Enter</b></td><td>Preview: close it and show the photos" in text
    assert "<b>Space, Esc</b></td><td>Preview: close it" in text


# -- a grid of its own: photos that cannot be read, decodes overtaken ------------------------------
def test_an_unreadable_or_deleted_photo_says_why(qtbot, grid_of, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"this is no photo at all, only some text " * 20)
    deleted = make_photo(tmp_path / "deleted.jpg", "rocket", size=(120, 160))
    grid, preview = grid_of([broken, deleted], [(400, 300), (120, 160)])
    deleted.unlink()  # after it was indexed
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    assert preview.isVisible()
    qtbot.waitUntil(lambda: preview.message.text() != "", timeout=10000)
    said = preview.message.text()
    assert said.startswith(f"{broken}: ") and "photo" in said  # PhotoReadError's sentence
    assert preview.stack.currentWidget() is preview.message
    assert preview.shown_picture() is None
    qtbot.keyClick(preview, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: "not there" in preview.message.text(), timeout=10000)
    assert preview.message.text().startswith(f"{deleted}: the file is not there")
    assert grid.currentIndex().row() == 1


def test_a_decode_for_a_photo_no_longer_shown_is_dropped(qtbot, grid_of, tmp_path, monkeypatch,
                                                          request):
    """Arrowing fast: the photo being decoded finishes, those passed meanwhile are never
    decoded, and the first one's picture is not shown over the last one's."""
    sizes = [(300, 200), (200, 300), (240, 240), (180, 320)]
    paths = [make_photo(tmp_path / f"{i}.jpg", "chelsea", size=size)
             for i, size in enumerate(sizes)]
    first_done = threading.Event()
    real = photo_preview.preview_image

    def slow_first(asked):
        if asked.path == str(paths[0]):
            first_done.wait(10)
        return real(asked)

    monkeypatch.setattr(photo_preview, "preview_image", slow_first)
    thumbnails = ThumbnailCache(edge=160, threads=1, disk_cache=False, scale=1.0)
    request.addfinalizer(thumbnails.shutdown)
    grid, preview = grid_of(paths, sizes, thumbnails)
    qtbot.waitUntil(lambda: thumbnails.pixmap(str(paths[0])) is not None, timeout=10000)
    try:
        qtbot.keyClick(grid, Qt.Key.Key_Space)
        # Never blank: the grid's thumbnail stands in, drawn as big as the photo will be.
        thumbnail, side = preview.picture.stand_in()
        assert thumbnail.cacheKey() == thumbnails.pixmap(str(paths[0])).cacheKey()
        assert side == max(fitted(sizes[0], preview.picture.box()))
        for _ in range(3):
            qtbot.keyClick(preview, Qt.Key.Key_Right)
        assert preview.shown_path() == str(paths[3]) and grid.currentIndex().row() == 3
        assert preview.loader.started == [str(paths[0])]  # the others wait, only the last
    finally:
        first_done.set()
    picture = decoded(qtbot, preview, str(paths[3]))
    assert (picture.width(), picture.height()) == sizes[3]
    assert preview.loader.started == [str(paths[0]), str(paths[3])]
    assert preview.dropped == 1
    qtbot.wait(100)  # nothing else comes
    assert preview.shown_picture() is picture


def held_back(monkeypatch, request) -> tuple[threading.Event, threading.Event, ThumbnailCache]:
    """Thumbnails made by the cache returned, and the preview's decodes, held back until their
    event is set (each set at the test's end too)."""
    thumbnail_go, decode_go = threading.Event(), threading.Event()
    thumbnail_job, decode = thumbnails._thumbnail_job, photo_preview.preview_image

    def held_thumbnail(*args):
        thumbnail_go.wait(10)
        thumbnail_job(*args)

    def held_decode(asked):
        decode_go.wait(10)
        return decode(asked)

    monkeypatch.setattr(thumbnails, "_thumbnail_job", held_thumbnail)
    monkeypatch.setattr(photo_preview, "preview_image", held_decode)
    cache = ThumbnailCache(edge=160, threads=1, disk_cache=False, scale=1.0)
    request.addfinalizer(cache.shutdown)
    request.addfinalizer(decode_go.set)
    request.addfinalizer(thumbnail_go.set)
    return thumbnail_go, decode_go, cache


def test_a_photo_with_no_thumbnail_yet_shows_its_own_shape_loading(qtbot, grid_of, tmp_path,
                                                                   monkeypatch, request):
    """Opened before its thumbnail is made (a big photo, a raw): the grid's placeholder, a
    grey square as wide as the photo, stood in over and past a wide photo's place. Now its
    place is shown, of its shape, "Loading…"; the thumbnail made meanwhile stands in then."""
    path = make_photo(tmp_path / "wide.jpg", "coffee", size=(1500, 500))
    thumbnail_go, decode_go, cache = held_back(monkeypatch, request)
    grid, preview = grid_of([path], [(1500, 500)], cache)
    view = preview.picture
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    shot, area = view.grab().toImage(), view.photo_rect()
    tone = placeholder_color(view.palette(), False).rgb()
    assert area.height() < view.height() - 100  # room above and below the photo
    inside = shot.pixel(round(area.left()) + 5, round(area.center().y()))
    above = shot.pixel(round(area.center().x()), round(area.top()) - 20)
    assert inside == tone and above != tone
    assert view.stand_in() is None and view.is_loading()
    thumbnail_go.set()
    qtbot.waitUntil(lambda: view.stand_in() is not None, timeout=10000)
    assert view.stand_in()[0].cacheKey() == cache.pixmap(str(path)).cacheKey()
    assert not view.is_loading()
    decode_go.set()
    decoded(qtbot, preview, str(path))
    assert not view.is_loading()


def test_a_photo_of_unknown_size_with_no_thumbnail_yet_shows_no_square(qtbot, grid_of,
                                                                        tmp_path, monkeypatch,
                                                                        request):
    """Its shape not known either (a photo put back by Undo in the Duplicates tab): a grey
    square stood in, across the room's height; now only "Loading…" is shown."""
    path = make_photo(tmp_path / "wide.jpg", "coffee", size=(1500, 500))
    _, decode_go, cache = held_back(monkeypatch, request)
    grid, preview = grid_of([path], [(None, None)], cache)
    view = preview.picture
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    shot = view.grab().toImage()
    tone = placeholder_color(view.palette(), False).rgb()
    centre = view.rect().center()
    assert [shot.pixel(centre.x() + dx, centre.y() + 60) for dx in (-60, 0, 60)].count(tone) == 0
    assert view.photo_rect() is None and view.is_loading()
    decode_go.set()
    decoded(qtbot, preview, str(path))


def decoded_sizes(monkeypatch) -> list[tuple[int, int]]:
    """The size of each picture the preview's decoder gives from now on (turned upright),
    before it is fitted to the window."""
    sizes = []
    real = photo_preview.load_picture

    def load_picture(*args, **kwargs):
        picture = real(*args, **kwargs)
        sizes.append(picture[0].size)
        return picture

    monkeypatch.setattr(photo_preview, "load_picture", load_picture)
    return sizes


def smallest_scaled(size: tuple[int, int], shown: tuple[int, int]) -> tuple[int, int]:
    """The smallest of a JPEG's DCT-scaled sizes (n/8 of its own: libjpeg's) covering `shown`."""
    scales = [(math.ceil(size[0] * n / 8), math.ceil(size[1] * n / 8)) for n in range(1, 9)]
    return next(s for s in scales if s[0] >= shown[0] and s[1] >= shown[1])


def test_a_jpeg_is_decoded_no_bigger_than_its_place_needs(qtbot, grid_of, tmp_path,
                                                            monkeypatch):
    """A JPEG is decoded at the smallest of its DCT scales that covers its place. The decoder
    was asked for a square of the long side the photo takes, both of the JPEG's sides at least
    that: a 3000 x 2000 photo fitted in 924 x 616 was decoded at 1500 x 1000, not 1125 x 750 (a
    6000 x 4000 one fitted in 2160 x 1440: 3750 x 2500, slower than whole). Turned by its EXIF
    (stored 3000 x 2000, upright 2000 x 3000: the library's size), the same, the picture still
    as sharp as its place."""
    wide = make_photo(tmp_path / "wide.jpg", "coffee", size=(3000, 2000))
    turned = make_photo(tmp_path / "turned.jpg", "coffee", size=(3000, 2000), orientation=6)
    grid, preview = grid_of([wide, turned], [(3000, 2000), (2000, 3000)])
    sizes = decoded_sizes(monkeypatch)
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    picture = decoded(qtbot, preview, str(wide))
    shown = fitted((3000, 2000), preview.picture.box())
    assert close_to((picture.width(), picture.height()), shown)
    assert sizes == [smallest_scaled((3000, 2000), shown)]  # 1125 x 750 in 924 x 622
    qtbot.keyClick(preview, Qt.Key.Key_Right)
    picture = decoded(qtbot, preview, str(turned))
    shown = fitted((2000, 3000), preview.picture.box())
    assert close_to((picture.width(), picture.height()), shown)
    stored = smallest_scaled((3000, 2000), (shown[1], shown[0]))
    assert sizes[1:] == [(stored[1], stored[0])]


def test_enter_after_the_grid_rows_were_replaced(qtbot, grid_of, tmp_path):
    """The grid's rows replaced while the preview was open (the results' slider moved, the
    library read again): Enter searches with the photo shown, found again by its id, or says it
    is gone; it does not close in silence."""
    paths = [make_photo(tmp_path / f"{i}.jpg", "chelsea", size=(300, 200)) for i in range(3)]
    grid, preview = grid_of(paths, [(300, 200)] * 3)
    model = grid.model()
    problems, searched = [], []
    grid.problem.connect(problems.append)
    grid.search_requested.connect(searched.append)
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    photos = [model.photo_at(row) for row in range(3)]
    model.set_photos(photos[::-1])  # still there, in another row
    qtbot.keyClick(preview, Qt.Key.Key_Return)
    assert not preview.isVisible() and problems == []
    assert [index.data(PhotoIdRole) for index in searched] == [photos[0].id]
    grid.setCurrentIndex(model.index(0))  # 2.jpg now
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    assert preview.isVisible()
    model.set_photos([])  # gone
    qtbot.keyClick(preview, Qt.Key.Key_Return)
    assert not preview.isVisible() and len(searched) == 1
    assert len(problems) == 1 and problems[0].startswith(f"{paths[2]} is no longer shown here")


def test_the_photo_shown_renamed_is_followed(qtbot, grid_of, tmp_path):
    """Renamed while shown (the library updates its row in place): the window names it anew and
    reads it at its new path (a resize read the old one: "the file is not there"); its file
    changed: read again."""
    paths = [make_photo(tmp_path / f"{i}.jpg", "chelsea", size=(300, 200)) for i in range(2)]
    grid, preview = grid_of(paths, [(300, 200)] * 2)
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    decoded(qtbot, preview, str(paths[0]))
    model = grid.model()
    renamed = tmp_path / "renamed.jpg"
    os.rename(paths[0], renamed)
    model.upsert([dataclasses.replace(model.photo_at(0), path=str(renamed))])
    assert preview.details.text() == "renamed.jpg · 300 x 200 pixels"
    assert "renamed.jpg" in preview.windowTitle()
    picture = decoded(qtbot, preview, str(renamed))
    preview.resize(preview.width() - 60, preview.height() - 40)  # read again, at its new path
    qtbot.waitUntil(lambda: preview.shown_picture() not in (None, picture), timeout=10000)
    assert preview.message.text() == ""
    # Its file changed (turned in an editor, kept at its path): shown as it is now.
    make_photo(renamed, "rocket", size=(200, 300))
    model.upsert([dataclasses.replace(model.photo_at(0), size=renamed.stat().st_size,
                                      mtime=renamed.stat().st_mtime, width=200, height=300)])
    assert preview.details.text() == "renamed.jpg · 200 x 300 pixels"
    qtbot.waitUntil(lambda: (picture := preview.shown_picture()) is not None
                    and (picture.width(), picture.height()) == (200, 300), timeout=10000)


def space(widget, repeat: bool) -> None:
    QApplication.sendEvent(widget, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Space,
                                             Qt.KeyboardModifier.NoModifier, " ", repeat))


def test_space_held_opens_it_once(qtbot, grid_of, tmp_path):
    """Space held: the key repeats, each repeat going to the window focused. It opened the
    preview, the next repeat (in the preview) closed it, the next (in the grid) opened it..."""
    paths = [make_photo(tmp_path / f"{i}.jpg", "chelsea", size=(300, 200)) for i in range(2)]
    grid, preview = grid_of(paths, [(300, 200)] * 2)
    asked = []
    grid.preview_requested.connect(asked.append)
    space(grid, repeat=False)
    assert preview.isVisible()
    for _ in range(3):
        space(preview, repeat=True)
        space(grid, repeat=True)
        assert preview.isVisible()
    assert len(asked) == 1
    space(preview, repeat=False)  # pressed again: closed, and held down it stays closed
    assert not preview.isVisible()
    space(grid, repeat=True)
    assert not preview.isVisible()


def test_a_space_typed_in_a_name_goes_on_with_the_name(qtbot, grid_of, tmp_path):
    """Typing a name's first letters finds it (Qt's keyboard search); a space among them is
    part of the name, not a preview. Once typing has paused, Space opens the preview."""
    names = ["apple.jpg", "beach day.jpg", "beach night.jpg"]
    paths = [make_photo(tmp_path / name, "chelsea", size=(300, 200)) for name in names]
    grid, preview = grid_of(paths, [(300, 200)] * 3)
    qtbot.keyClicks(grid, "beach n")
    assert not preview.isVisible()
    assert grid.currentIndex().data() == "beach night.jpg"
    qtbot.wait(QApplication.keyboardInputInterval() + 50)
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    assert preview.isVisible() and preview.shown_path() == str(paths[2])


def test_an_arrow_held_down_says_the_photo_it_stops_on(qtbot, grid_of, tmp_path, announced):
    """An arrow held down passes a photo at each repeat (30 a second): a screen reader hears
    the photo it stops on, not each one passed (polite announcements wait for each other)."""
    paths = [make_photo(tmp_path / f"{i}.jpg", "chelsea", size=(300, 200)) for i in range(6)]
    grid, preview = grid_of(paths, [(300, 200)] * 6)
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    qtbot.keyClick(preview, Qt.Key.Key_Right)  # pressed: said at once
    assert [said.split(" · ")[0] for said in announced] == ["1.jpg"]
    for _ in range(4):  # held: the repeats
        QApplication.sendEvent(preview, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Right,
                                                  Qt.KeyboardModifier.NoModifier, "", True))
    assert grid.currentIndex().row() == 5 and preview.shown_path() == str(paths[5])
    assert len(announced) == 1
    qtbot.waitUntil(lambda: len(announced) == 2, timeout=2000)
    assert announced[1].startswith("5.jpg · ")
    qtbot.wait(2 * photo_preview.SAY_AFTER_REPEAT_MS)
    assert len(announced) == 2


def test_a_screen_of_another_scale_decodes_the_photo_again(qtbot, grid_of, tmp_path,
                                                           move_to_scale):
    """Moved to a screen of scale 2 (or its screen's scale changed), the window kept its size
    in logical pixels, so no resize asked for the photo again: the picture decoded for scale 1
    stayed, stretched over twice as many screen pixels (blurred)."""
    path = make_photo(tmp_path / "big.jpg", "coffee", size=(3000, 2000))
    grid, preview = grid_of([path], [(3000, 2000)])
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    before = decoded(qtbot, preview, str(path))
    box = preview.picture.box()
    assert before.devicePixelRatio() == 1.0
    assert close_to((before.width(), before.height()), fitted((3000, 2000), box))
    logical = preview.picture.size()
    move_to_scale(preview, 2.0)
    assert preview.picture.devicePixelRatioF() == 2.0 and preview.picture.size() == logical
    assert preview.shown_picture() is before  # shown meanwhile, not a blank window
    qtbot.waitUntil(lambda: (shown := preview.shown_picture()) is not None
                    and shown.devicePixelRatio() == 2.0, timeout=20000)
    after = preview.shown_picture()
    # One picture pixel a screen pixel: twice as many each way, at the same logical size.
    assert close_to((after.width(), after.height()), fitted((3000, 2000), (2 * box[0],
                                                                           2 * box[1])))
    assert close_to((after.width() / 2, after.height() / 2), (before.width(), before.height()))
    assert preview.loader.started == [str(path)] * 2
