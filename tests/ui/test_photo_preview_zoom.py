"""The preview zooms the photo, as a photo viewer does: Ctrl+Plus, Ctrl+Minus and Ctrl+0 (not the
thumbnails behind it any more), Ctrl+wheel and a pinch about the pointer, the zoom said and
shown over the picture; the photo decoded again only when the zoom needs more pixels than the
picture held has, never past the image limits; another photo shown fitted; the F1 list naming
the keys. Real Qt offscreen, real photo files decoded on the preview's thread."""

from __future__ import annotations

import dataclasses
import math
import os
import threading
import time

import numpy as np
import pytest
from photos import make_camera_raw, make_photo
from pixel_pattern import pattern, where_shown
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImageReader, QNativeGestureEvent, QPointingDevice, QWheelEvent
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget
from qt_pictures import rgb_picture
from ui_helpers import keys_list_text, use_own_trash

from desktop_app.core.records import Match, Photo
from desktop_app.ui import photo_preview, zoomed_picture
from desktop_app.ui.duplicates_panel import DuplicatesPanel
from desktop_app.ui.photo_grid import PhotoGrid
from desktop_app.ui.photo_preview import PhotoPreview, PreviewLoader, fitted

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def preview_on(qtbot, grid_of):
    """`grid_of`'s grid and preview, the preview opened by Space on the first photo and its
    picture decoded (fitted)."""
    def make(paths: list, sizes: list) -> tuple[PhotoGrid, PhotoPreview]:
        grid, preview = grid_of(paths, sizes)
        grid.setFocus()
        qtbot.keyClick(grid, Qt.Key.Key_Space)
        assert preview.isVisible()
        qtbot.waitUntil(lambda: preview.shown_picture() is not None, timeout=20000)
        return grid, preview

    return make


def wait_for_picture(qtbot, preview, size: tuple[int, int]):
    """The decoded picture shown once it is `size` device pixels (within one)."""
    def shown():
        picture = preview.shown_picture()
        return picture is not None and all(
            abs(a - b) <= 1 for a, b in zip((picture.width(), picture.height()), size))

    qtbot.waitUntil(shown, timeout=20000)
    return preview.shown_picture()


def asked_sizes(monkeypatch) -> list[tuple[int, int]]:
    """The boxes the preview asks its loader to decode from now on, in order. (On the class:
    a function set on the loader, calling its method, would be a reference cycle, which the
    garbage collector may free on the decoding thread.)"""
    asked = []
    real = PreviewLoader.request

    def request(loader, wanted) -> None:
        asked.append(wanted.box)
        real(loader, wanted)

    monkeypatch.setattr(PreviewLoader, "request", request)
    return asked


def photo_point(view, at: QPointF, full: tuple[int, int]) -> tuple[float, float]:
    """The point of a photo of `full` size (in its own pixels) shown at `at` in the view."""
    area = view.photo_rect()
    return ((at.x() - area.left()) * full[0] / area.width(),
            (at.y() - area.top()) * full[1] / area.height())


def ctrl_wheel(view, at: QPointF, notches: int) -> None:
    event = QWheelEvent(at, QPointF(view.mapToGlobal(at.toPoint())), QPoint(),
                        QPoint(0, 120 * notches), Qt.MouseButton.NoButton, CTRL,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view, event)


def test_the_zoom_keys_zoom_the_photo_said_and_shown(qtbot, preview_on, tmp_path, announced):
    path = make_photo(tmp_path / "big.jpg", "coffee", size=(3000, 2000))
    grid, preview = preview_on([path], [(3000, 2000)])
    view = preview.picture
    fit = view.scale()
    assert view.is_fitted() and fit == min(1.0, view.box()[0] / 3000, view.box()[1] / 2000)
    levels = [z for z in zoomed_picture.ZOOM_LEVELS if z > fit]
    qtbot.keyClick(preview, Qt.Key.Key_Plus, CTRL)
    assert not view.is_fitted() and view.scale() == levels[0]
    # Over the foot of the picture at once; a screen reader hears it once the keys stop.
    assert preview.note.isVisible() and preview.note.text() == f"Zoom {levels[0] * 100:.0f}%"
    qtbot.keyClick(preview, Qt.Key.Key_Equal, CTRL)  # Ctrl++ without Shift
    assert view.scale() == levels[1]
    qtbot.waitUntil(lambda: f"Zoom {levels[1] * 100:.0f}%" in announced, timeout=3000)
    assert f"Zoom {levels[0] * 100:.0f}%" not in announced  # passed: not said
    qtbot.keyClick(preview, Qt.Key.Key_Minus, CTRL)
    assert view.scale() == levels[0]
    qtbot.keyClick(preview, Qt.Key.Key_Minus, CTRL)  # out past the fitted size: fitted
    assert view.is_fitted() and preview.note.text() == f"Fitted, {fit * 100:.0f}%"
    for _ in range(3):
        qtbot.keyClick(preview, Qt.Key.Key_Plus, CTRL)
    qtbot.keyClick(preview, Qt.Key.Key_0, CTRL)
    assert view.is_fitted() and view.scale() == fit
    qtbot.waitUntil(lambda: announced[-1] == f"Fitted, {fit * 100:.0f}%", timeout=3000)
    # Ctrl+wheel over the picture: a step a notch, the photo's point under the pointer kept.
    at = QPointF(view.width() * 0.3, view.height() * 0.7)
    before = photo_point(view, at, (3000, 2000))
    ctrl_wheel(view, at, 2)
    assert view.scale() == levels[1]
    assert all(abs(a - b) <= 1 / levels[1] + 0.5
               for a, b in zip(photo_point(view, at, (3000, 2000)), before))
    ctrl_wheel(view, at, -5)
    assert view.is_fitted()
    assert preview.isVisible() and grid.iconSize().width() == 160  # the grid left alone


def test_the_point_zoomed_about_stays_put_through_every_step(qtbot, preview_on, tmp_path):
    """The photo's point under the pointer stays under it, to half a screen pixel, from fitted
    to 1600% (each step was exact to half a pixel, and the halves added up: 23 pixels off at
    1600%); so does the middle under the keys' steps, and the point double-clicked."""
    full = (3000, 2000)
    path = make_photo(tmp_path / "big.jpg", "coffee", size=full)
    _, preview = preview_on([path], [full])
    view = preview.picture

    def off(at: QPointF, before: tuple[float, float]) -> float:
        """How far the photo's point at `at` is from `before`, in screen pixels."""
        now = photo_point(view, at, full)
        return max(abs(a - b) for a, b in zip(now, before)) * view.scale()

    at = QPointF(view.width() / 2 + 13.3, view.height() / 2 - 7.7)
    before, steps = photo_point(view, at, full), []
    while view.scale() < zoomed_picture.ZOOM_LEVELS[-1]:
        ctrl_wheel(view, at, 1)
        steps.append((view.scale(), off(at, before)))
    assert len(steps) > 8 and all(pixels <= 0.5 + 1e-6 for _, pixels in steps), steps
    qtbot.keyClick(preview, Qt.Key.Key_0, CTRL)
    middle = QPointF(view.width() / 2, view.height() / 2)
    before, steps = photo_point(view, middle, full), []
    while view.scale() < zoomed_picture.ZOOM_LEVELS[-1]:
        qtbot.keyClick(preview, Qt.Key.Key_Plus, CTRL)
        steps.append((view.scale(), off(middle, before)))
    assert all(pixels <= 0.5 + 1e-6 for _, pixels in steps), steps
    qtbot.keyClick(preview, Qt.Key.Key_0, CTRL)
    clicked = QPoint(round(view.width() * 0.4), round(view.height() * 0.55))
    before = photo_point(view, QPointF(clicked), full)
    qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=clicked)
    assert view.scale() == 1.0 and off(QPointF(clicked), before) <= 0.5 + 1e-6


def test_the_zoom_is_said_as_a_user_reads_it(qtbot, preview_on, tmp_path, announced):
    """12.5% is said "12.5%", over the picture and to a screen reader alike (Python's rounding,
    half to even, said "12%"); the other levels and a fitted size in whole percents."""
    assert [zoomed_picture.zoom_percent(z) for z in zoomed_picture.ZOOM_LEVELS] == [
        "10%", "12.5%", "17%", "25%", "33%", "50%", "67%", "100%", "150%", "200%", "300%",
        "400%", "600%", "800%", "1200%", "1600%"]
    path = make_photo(tmp_path / "big.jpg", "coffee", size=(3000, 2000))
    _, preview = preview_on([path], [(3000, 2000)])
    view = preview.picture
    preview.resize(360, 300)  # the photo fitted at less than 12.5%
    qtbot.waitUntil(lambda: view.fit_scale() < 0.125, timeout=3000)
    qtbot.keyClick(preview, Qt.Key.Key_Plus, CTRL)
    assert view.scale() == 0.125 and preview.note.text() == "Zoom 12.5%"
    qtbot.waitUntil(lambda: announced[-1:] == ["Zoom 12.5%"], timeout=3000)
    qtbot.keyClick(preview, Qt.Key.Key_0, CTRL)
    assert preview.note.text() == f"Fitted, {round(view.scale() * 100)}%"


def test_a_pinch_zooms_about_the_fingers(qtbot, preview_on, tmp_path):
    """A touchpad's pinch comes as native zoom gestures, each giving its factor less 1."""
    path = make_photo(tmp_path / "big.jpg", "coffee", size=(3000, 2000))
    _, preview = preview_on([path], [(3000, 2000)])
    view = preview.picture
    fit = view.scale()
    at = QPointF(view.width() * 0.75, view.height() * 0.25)
    before = photo_point(view, at, (3000, 2000))
    device = QPointingDevice.primaryPointingDevice()
    where = QPointF(view.mapToGlobal(at.toPoint()))
    for kind, value in ((Qt.NativeGestureType.BeginNativeGesture, 0.0),
                        (Qt.NativeGestureType.ZoomNativeGesture, 0.5),
                        (Qt.NativeGestureType.ZoomNativeGesture, 0.2),
                        (Qt.NativeGestureType.EndNativeGesture, 0.0)):
        gesture = QNativeGestureEvent(kind, device, 2, at, at, where, value, QPointF())
        QApplication.sendEvent(view, gesture)
        assert gesture.isAccepted()
    assert not view.is_fitted() and view.scale() == pytest.approx(fit * 1.5 * 1.2)
    assert all(abs(a - b) <= 1 / view.scale() + 0.5
               for a, b in zip(photo_point(view, at, (3000, 2000)), before))


def test_a_double_click_shows_the_photos_pixels_one_to_one(qtbot, preview_on, tmp_path):
    """100% is one photo pixel a screen pixel, about the point clicked; the zoom needs all the
    photo's pixels, so it is decoded again at its own size, and the picture then on screen is
    the photo's own pixels, none smoothed into another."""
    path = tmp_path / "pattern.png"
    pattern(1600, 1200).save(path)
    _, preview = preview_on([path], [(1600, 1200)])
    view = preview.picture
    at = QPoint(round(view.width() * 0.35), round(view.height() * 0.6))
    before = photo_point(view, QPointF(at), (1600, 1200))
    qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=at)
    assert not view.is_fitted() and view.scale() == 1.0
    assert preview.note.text() == "Zoom 100%"
    wait_for_picture(qtbot, preview, (1600, 1200))
    shown = np.asarray(rgb_picture(view.grab().toImage()))
    x, y = where_shown(shown[at.y(), at.x()])
    assert abs(x - before[0]) <= 2 and abs(y - before[1]) <= 2  # the point clicked stayed
    # Each screen pixel of a row and a column is the next photo pixel.
    assert [where_shown(p) for p in shown[at.y(), at.x() - 40:at.x() + 40]] == [
        (x + d, y) for d in range(-40, 40)]
    assert [where_shown(p) for p in shown[at.y() - 40:at.y() + 40, at.x()]] == [
        (x, y + d) for d in range(-40, 40)]
    # From 200% on, each photo pixel is a sharp square of four, not smoothed into the next.
    qtbot.keyClick(preview, Qt.Key.Key_Plus, CTRL)
    qtbot.keyClick(preview, Qt.Key.Key_Plus, CTRL)
    assert view.scale() == 2.0
    area = view.photo_rect()
    shown = np.asarray(rgb_picture(view.grab().toImage()))
    left, top = round(area.left()) % 2, round(area.top()) % 2  # a square's corner in sight
    block = shown[top + 100:top + 180, left + 100:left + 180]
    assert (block[0::2, 0::2] == block[1::2, 1::2]).all()
    assert (block[0::2, 0::2] == block[0::2, 1::2]).all()
    assert len({where_shown(p) for p in block[0]}) == 40
    # Again: fitted; Z and 1 do the same, about the middle.
    qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=at)
    assert view.is_fitted()
    for key in (Qt.Key.Key_Z, Qt.Key.Key_1):
        qtbot.keyClick(preview, key)
        assert view.scale() == 1.0 and not view.is_fitted()
        qtbot.keyClick(preview, key)
        assert view.is_fitted()


def test_zoomed_in_a_drag_and_the_arrows_move_about_the_photo(qtbot, preview_on, tmp_path):
    """A drag moves the photo, never past its edges. The arrow keys move the next photo in
    fitted; zoomed in past the window they move about the photo, and stop at its edge."""
    paths = [make_photo(tmp_path / f"{i}.jpg", "chelsea", size=(1600, 1200)) for i in range(2)]
    grid, preview = preview_on(paths, [(1600, 1200)] * 2)
    view = preview.picture
    qtbot.keyClick(preview, Qt.Key.Key_Z)
    assert view.can_pan()
    middle = view.rect().center()

    def drag(dx: int, dy: int) -> None:
        qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=middle)
        for step in range(1, 5):
            qtbot.mouseMove(view, middle + QPoint(dx * step // 4, dy * step // 4))
        qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=middle + QPoint(dx, dy))

    area = view.photo_rect()
    drag(-100, -50)
    moved = view.photo_rect()
    assert (moved.left() - area.left(), moved.top() - area.top()) == (-100, -50)
    drag(3000, 3000)  # far past its top left corner: stopped there
    area = view.photo_rect()
    assert (area.left(), area.top()) == (0, 0)
    assert (area.width(), area.height()) == (1600, 1200)  # still 100%
    drag(-5000, -5000)
    area = view.photo_rect()
    assert (area.right(), area.bottom()) == (view.width(), view.height())
    qtbot.keyClick(preview, Qt.Key.Key_Right)  # at its right edge: stays, on this photo
    assert view.photo_rect() == area and grid.currentIndex().row() == 0
    wheel = QWheelEvent(QPointF(middle), QPointF(view.mapToGlobal(middle)), QPoint(0, 30),
                        QPoint(0, 60), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.ScrollUpdate, False)
    QApplication.sendEvent(view, wheel)  # a touchpad's two fingers moved down: its top shown
    assert view.photo_rect().bottom() == area.bottom() + 30
    area = view.photo_rect()
    qtbot.keyClick(preview, Qt.Key.Key_Left)  # more of its left shown
    assert view.photo_rect().left() == area.left() + round(view.width() * 0.1)
    qtbot.keyClick(preview, Qt.Key.Key_Up)
    assert view.photo_rect().bottom() == area.bottom() + round(view.height() * 0.1)
    assert grid.currentIndex().row() == 0 and preview.shown_path() == str(paths[0])
    qtbot.keyClick(preview, Qt.Key.Key_0, CTRL)
    qtbot.keyClick(preview, Qt.Key.Key_Right)
    assert grid.currentIndex().row() == 1 and preview.shown_path() == str(paths[1])


def test_another_photo_is_shown_fitted(qtbot, preview_on, tmp_path):
    paths = [make_photo(tmp_path / f"{i}.jpg", "chelsea", size=(1600, 1200)) for i in range(3)]
    grid, preview = preview_on(paths, [(1600, 1200)] * 3)
    view = preview.picture
    qtbot.keyClick(preview, Qt.Key.Key_Plus, CTRL)
    qtbot.keyClick(preview, Qt.Key.Key_Plus, CTRL)
    assert not view.is_fitted()
    qtbot.keyClick(preview, Qt.Key.Key_End)  # the grid's keys go on while zoomed
    assert grid.currentIndex().row() == 2 and view.is_fitted()
    wait_for_picture(qtbot, preview, fitted((1600, 1200), view.box()))
    qtbot.keyClick(preview, Qt.Key.Key_1)
    qtbot.keyClick(preview, Qt.Key.Key_Escape)  # closed, and opened again: fitted
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    assert preview.isVisible() and view.is_fitted()


def test_a_larger_decode_is_asked_only_when_the_zoom_needs_it(qtbot, preview_on, tmp_path,
                                                               monkeypatch):
    """Zoomed past the picture held, the photo is decoded again at the zoom's size (never more
    than its own pixels), the picture held shown enlarged meanwhile; zoomed within it, nothing
    is decoded; fitted again, it is decoded at the window's size (the big picture let go)."""
    path = make_photo(tmp_path / "big.jpg", "coffee", size=(3000, 2000))
    small = make_photo(tmp_path / "small.jpg", "chelsea", size=(451, 300))
    _, preview = preview_on([path, small], [(3000, 2000), (451, 300)])
    view, asked = preview.picture, asked_sizes(monkeypatch)
    fitted_picture = preview.shown_picture()
    qtbot.keyClick(preview, Qt.Key.Key_Z)  # 100%: all its pixels
    assert asked == [(3000, 2000)]
    assert preview.shown_picture() is fitted_picture  # enlarged meanwhile
    assert view.photo_rect().width() == 3000
    wait_for_picture(qtbot, preview, (3000, 2000))
    for key in (Qt.Key.Key_Plus, Qt.Key.Key_Plus, Qt.Key.Key_Minus, Qt.Key.Key_Minus,
                Qt.Key.Key_Minus):  # 150%, 200%, back, 67%: the picture held has enough
        qtbot.keyClick(preview, key, CTRL)
    assert view.scale() == pytest.approx(2 / 3) and asked == [(3000, 2000)]
    qtbot.keyClick(preview, Qt.Key.Key_0, CTRL)
    assert len(asked) == 2 and asked[1] == view.box()
    wait_for_picture(qtbot, preview, fitted((3000, 2000), view.box()))
    # A photo smaller than the window: fitted at its own size already.
    qtbot.keyClick(preview, Qt.Key.Key_Right)
    wait_for_picture(qtbot, preview, (451, 300))
    del asked[:]
    qtbot.keyClick(preview, Qt.Key.Key_Z)
    qtbot.keyClick(preview, Qt.Key.Key_Plus, CTRL)
    assert view.scale() == 1.5 and asked == []


def test_a_photo_of_unknown_size_is_decoded_at_its_own_pixels_at_100(qtbot, preview_on,
                                                                     tmp_path):
    """A photo whose size the library does not know (one put back by Undo in the Duplicates
    tab): its 100% was the fitted picture's pixels, never decoded larger. Its decoder tells
    its size: 100% is then its own pixels, decoded, and the fitted picture is not decoded
    again for it."""
    path = make_photo(tmp_path / "big.jpg", "coffee", size=(3000, 2000))
    _, preview = preview_on([path], [(None, None)])
    view = preview.picture
    qtbot.keyClick(preview, Qt.Key.Key_0, CTRL)  # fitted already: the picture held will do
    qtbot.wait(100)
    assert preview.loader.started == [str(path)]
    qtbot.keyClick(preview, Qt.Key.Key_Z)
    assert view.scale() == 1.0 and view.photo_rect().width() == 3000
    wait_for_picture(qtbot, preview, (3000, 2000))
    assert preview._zoom_text() == "Zoom 100%"


def test_a_raw_of_unknown_size_is_decoded_again_when_its_first_picture_is_too_small(
        qtbot, preview_on, tmp_path):
    """Its size not known (a raw put back by Undo), it was asked for at the room's long side,
    more than its embedded picture's: developed at half size (600 x 400), then, its size learnt,
    enlarged to fill its place, and never asked for again, where a raw of known size takes its
    embedded picture whole (900 x 600)."""
    raw = make_camera_raw(tmp_path / "put-back.dng", "coffee", size=(1200, 800),
                          preview_side=900)
    _, preview = preview_on([raw], [(None, None)])
    view = preview.picture
    assert max(view.box()) > 900 and view.is_fitted()  # the room: more than the picture's side
    wait_for_picture(qtbot, preview, (900, 600))
    assert view.photo_size() == (1200, 800)


def test_a_photo_of_unknown_size_replaced_by_another_shape_is_learnt_again(qtbot, preview_on,
                                                                         tmp_path):
    """Its size learnt from its first decode (the library does not follow a photo put back by
    Undo), then another file of another shape put at its path: decoded again (the window
    resized, a zoom), its picture was drawn in the old photo's place, stretched, and its 100%
    was the old photo's size."""
    path = make_photo(tmp_path / "put-back.jpg", "coffee", size=(1500, 500))
    _, preview = preview_on([path], [(None, None)])
    view = preview.picture
    make_photo(path, "coffee", size=(500, 1500))
    preview.resize(preview.width() - 100, preview.height() - 50)
    picture = wait_for_picture(qtbot, preview, fitted((500, 1500), view.box()))
    area = view.photo_rect()
    assert view.photo_size() == (500, 1500)
    assert abs(area.width() - picture.width()) <= 1  # in its own place, of its shape
    assert abs(area.height() - picture.height()) <= 1
    make_photo(path, "coffee", size=(1200, 900))
    qtbot.keyClick(preview, Qt.Key.Key_Z)  # 100% of the old one asked: 1200 x 900 fitted in it
    wait_for_picture(qtbot, preview, (1200, 900))
    area = view.photo_rect()
    assert view.photo_size() == (1200, 900) and (area.width(), area.height()) == (1200, 900)


def test_a_copy_put_back_by_undo_is_shown_at_the_zoom_of_its_group(qtbot, tmp_path,
                                                                    monkeypatch, request):
    """The Duplicates compare: at 100% on a photo, its half-size copy is shown at 200%. The
    photos of a group put back by Undo, their sizes not known to the library, were shown
    fitted (the zoom lost); each is shown at the group's zoom once its first decode tells its
    size, unless zoomed or fitted by hand meanwhile."""
    big = make_photo(tmp_path / "a" / "big.jpg", "coffee", size=(1600, 1200))
    half = make_photo(tmp_path / "a" / "half.jpg", "coffee", size=(800, 600))
    host = QWidget()
    qtbot.addWidget(host)
    panel = DuplicatesPanel(None, parent=host)
    QVBoxLayout(host).addWidget(panel)
    host.resize(1000, 700)
    host.show()
    qtbot.waitExposed(host)
    use_own_trash(monkeypatch, tmp_path / "xdg")
    panel.set_groups([[Match(1, str(big), 0, 64), Match(2, str(half), 2, 64)]])
    with qtbot.waitSignal(panel.trashed, timeout=20000):
        panel.trash_checked()  # the copy, ticked: the group goes, one photo left
    with qtbot.waitSignal(panel.restored, timeout=20000):
        panel.undo()  # and comes back whole: neither photo has a library id now
    preview = PhotoPreview(parent=host)
    panel.tree.preview_requested.connect(lambda index: preview.show_for(panel.tree, index))
    try:
        panel.tree.setCurrentItem(panel.tree.topLevelItem(0).child(0))
        panel.tree.setFocus()
        qtbot.keyClick(panel.tree, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: preview.shown_picture() is not None, timeout=20000)
        view = preview.picture
        qtbot.keyClick(preview, Qt.Key.Key_Z)  # 100%
        before = view.photo_rect()
        qtbot.keyClick(preview, Qt.Key.Key_PageDown)  # the copy
        assert preview.shown_path() == str(half)
        qtbot.waitUntil(lambda: view.photo_size() == (800, 600), timeout=20000)
        assert not view.is_fitted() and view.scale() == pytest.approx(2.0)
        assert view.photo_rect().width() == pytest.approx(before.width())
        qtbot.keyClick(preview, Qt.Key.Key_PageUp)  # and back to the photo, put back too
        qtbot.waitUntil(lambda: view.photo_size() == (1600, 1200), timeout=20000)
        assert not view.is_fitted() and view.scale() == pytest.approx(1.0)
        # Fitted by hand before its decode came: left fitted.
        go_on = threading.Event()
        request.addfinalizer(go_on.set)
        decode = photo_preview.preview_image

        def held_back(asked):
            go_on.wait(10)
            return decode(asked)

        monkeypatch.setattr(photo_preview, "preview_image", held_back)
        qtbot.keyClick(preview, Qt.Key.Key_PageDown)
        qtbot.keyClick(preview, Qt.Key.Key_0, CTRL)
        go_on.set()
        qtbot.waitUntil(lambda: view.photo_size() == (800, 600), timeout=20000)
        assert view.is_fitted()
    finally:
        preview.close()
        preview.shutdown()


def test_the_image_limits_cap_the_decode_and_the_view_says_so(qtbot, preview_on, tmp_path,
                                                               monkeypatch):
    """Never a picture over the image limits (Qt's image memory limit here set to 4 MB: a
    million pixels): zoomed further, the capped picture is enlarged, and the note says why."""
    before = QImageReader.allocationLimit()
    QImageReader.setAllocationLimit(4)
    try:
        path = make_photo(tmp_path / "wide.jpg", "coffee", size=(2400, 1200))
        _, preview = preview_on([path], [(2400, 1200)])
        asked = asked_sizes(monkeypatch)
        qtbot.keyClick(preview, Qt.Key.Key_Z)
        (width, height), = asked
        assert width * height <= 4 * 2**20 // 4 and width / height == pytest.approx(2, 0.01)
        assert width > fitted((2400, 1200), preview.picture.box())[0]
        picture = wait_for_picture(qtbot, preview, (width, height))
        assert picture.width() * picture.height() <= 2**20
        assert preview.note.text() == (
            f"Zoom 100% · enlarged from {width} x {height} pixels: the preview holds no "
            "picture over 1.05 megapixels")
        qtbot.keyClick(preview, Qt.Key.Key_Plus, CTRL)
        assert asked == [(width, height)]  # no more to be had
    finally:
        QImageReader.setAllocationLimit(before)


def test_a_raw_and_a_heic_zoom_on_the_same_path(qtbot, preview_on, tmp_path, monkeypatch):
    """A camera raw gives the picture it holds (its embedded one, or its sensor developed at
    half size): asked for more once, not again at each step, and said; an HEIC its pixels."""
    raw = make_camera_raw(tmp_path / "small-preview.nef", "chelsea", size=(1200, 800),
                          preview_side=300)
    heic = make_photo(tmp_path / "phone.heic", "rocket", size=(1200, 900))
    _, preview = preview_on([raw, heic], [(1200, 800), (1200, 900)])
    view = preview.picture
    picture = preview.shown_picture()
    half = (picture.width(), picture.height())
    assert half == (600, 400)  # its sensor at half size: more than its 300-pixel preview
    asked = asked_sizes(monkeypatch)
    qtbot.keyClick(preview, Qt.Key.Key_Z)
    qtbot.keyClick(preview, Qt.Key.Key_Plus, CTRL)
    assert asked == [] and preview.shown_picture() is picture
    assert preview.note.text() == ("Zoom 150% · enlarged from 600 x 400 pixels, the largest "
                                   "picture this file gives the preview")
    qtbot.keyClick(preview, Qt.Key.Key_End)  # (the arrows move about the photo now)
    wait_for_picture(qtbot, preview, fitted((1200, 900), view.box()))
    qtbot.keyClick(preview, Qt.Key.Key_Z)
    wait_for_picture(qtbot, preview, (1200, 900))
    assert preview.note.text() == "Zoom 100%"


def test_a_raws_camera_picture_is_shown_when_its_development_gives_less(qtbot, preview_on,
                                                                        tmp_path):
    """A camera's embedded picture is often a few pixels smaller than its raw (LibRaw's size):
    at 100% it was passed over for the sensor developed at half size (slow, and half the
    pixels), or the fitted picture kept and the note saying that was all the file gave."""
    raw = make_camera_raw(tmp_path / "camera.nef", "chelsea", size=(1200, 800),
                          preview_side=1190)
    _, preview = preview_on([raw], [(1200, 800)])
    assert preview.shown_picture().width() < 1190  # fitted in the window
    qtbot.keyClick(preview, Qt.Key.Key_Z)
    picture = wait_for_picture(qtbot, preview, (1190, 793))
    assert np.asarray(rgb_picture(picture.toImage())).std() > 20  # the photo, not a blank
    assert preview.note.text() == ("Zoom 100% · enlarged from 1190 x 793 pixels, the largest "
                                   "picture this file gives the preview")


def test_the_picture_comes_ready_for_the_screen(qtbot, preview_on, tmp_path):
    """The decoded picture is made on the loader's thread in the format a pixmap holds, so the
    pixmap shown shares its pixels: made from the decoder's RGB on the GUI thread, a 24 MP
    picture at 100% froze the window 47 ms, a 67 MP one 120 ms (2-core EPYC)."""
    path = make_photo(tmp_path / "big.jpg", "coffee", size=(3000, 2000))
    _, preview = preview_on([path], [(3000, 2000)])
    loaded = []
    preview.loader.loaded.connect(lambda _request, image, _error: loaded.append(image))
    qtbot.keyClick(preview, Qt.Key.Key_Z)
    picture = wait_for_picture(qtbot, preview, (3000, 2000))
    image, = loaded
    assert picture.toImage().cacheKey() == image.cacheKey()  # shared, not converted


def test_a_photo_found_unreadable_when_zoomed_is_shown_fitted(qtbot, preview_on, tmp_path):
    """Its file deleted, the zoom's decode says it is not there, in the picture's place: the
    arrows then show the next photo (they moved about the picture out of sight), and the zoom
    keys zoom nothing out of sight (the note said "Zoom 150%" over the message)."""
    paths = [make_photo(tmp_path / f"{i}.jpg", "coffee", size=(3000, 2000)) for i in range(2)]
    grid, preview = preview_on(paths, [(3000, 2000)] * 2)
    view = preview.picture
    paths[0].unlink()
    qtbot.keyClick(preview, Qt.Key.Key_Z)
    qtbot.waitUntil(lambda: "not there" in preview.message.text(), timeout=10000)
    assert preview.stack.currentWidget() is preview.message and view.is_fitted()
    preview.note.hide()
    for key, modifiers in ((Qt.Key.Key_Plus, CTRL), (Qt.Key.Key_Z, Qt.KeyboardModifier.NoModifier)):
        qtbot.keyClick(preview, key, modifiers)
        assert view.is_fitted() and not preview.note.isVisible()
    qtbot.keyClick(preview, Qt.Key.Key_Right)
    assert grid.currentIndex().row() == 1 and preview.shown_path() == str(paths[1])
    wait_for_picture(qtbot, preview, fitted((3000, 2000), view.box()))


def as_the_library_has_it(model, row: int, path) -> Photo:
    """The row's photo at `path`, with its file's size, mtime and change time now (the library
    keeps a photo's id, and gives it the new path and times, when it is renamed or moved)."""
    stat = os.stat(path)
    return dataclasses.replace(model.photo_at(row), path=str(path), size=stat.st_size,
                               mtime=stat.st_mtime, ctime_ns=stat.st_ctime_ns)


def test_a_photo_renamed_while_zoomed_keeps_its_zoom_and_picture(qtbot, preview_on, tmp_path):
    """Renamed in a file manager while zoomed (a new path and change time, the same size and
    mtime): it is the same file, so the zoom, the place looked at and the picture held stay,
    only its name changes (it went back to fitted and decoded the 100% picture again); it is
    read at its new path from then on. Its file rewritten: read again, fitted."""
    full = (3000, 2000)
    path = make_photo(tmp_path / "before.jpg", "coffee", size=full)
    grid, preview = preview_on([path], [full])
    model, view = grid.model(), preview.picture
    model.upsert([as_the_library_has_it(model, 0, path)])
    qtbot.keyClick(preview, Qt.Key.Key_Z)
    picture = wait_for_picture(qtbot, preview, full)
    view.pan(-150, 80)
    place, started = view.photo_rect(), list(preview.loader.started)
    time.sleep(0.05)  # (its change time moves on)
    renamed = tmp_path / "after.jpg"
    os.rename(path, renamed)
    record = as_the_library_has_it(model, 0, renamed)
    assert record.ctime_ns != model.photo_at(0).ctime_ns
    model.upsert([record])
    assert preview.shown_path() == str(renamed) and "after.jpg" in preview.windowTitle()
    assert preview.details.text() == "after.jpg · 3000 x 2000 pixels"
    assert not view.is_fitted() and view.scale() == 1.0 and view.photo_rect() == place
    assert preview.shown_picture() is picture
    qtbot.wait(200)
    assert preview.loader.started == started and preview.shown_picture() is picture
    qtbot.keyClick(preview, Qt.Key.Key_0, CTRL)  # fitted: decoded at the new path
    wait_for_picture(qtbot, preview, fitted(full, view.box()))
    assert preview.loader.started[-1] == str(renamed) and preview.message.text() == ""
    qtbot.keyClick(preview, Qt.Key.Key_Z)
    wait_for_picture(qtbot, preview, full)
    started = len(preview.loader.started)
    make_photo(renamed, "rocket", size=full)  # rewritten at its path: another picture
    model.upsert([as_the_library_has_it(model, 0, renamed)])
    assert view.is_fitted()
    wait_for_picture(qtbot, preview, fitted(full, view.box()))
    assert preview.loader.started[started:] == [str(renamed)]


def test_a_photo_renamed_while_its_zoom_decodes_is_read_at_its_new_path(
        qtbot, preview_on, tmp_path, monkeypatch):
    """Renamed while the zoom's picture was being decoded from its old path (not there now):
    asked again at the new one, the zoom kept; never "the file is not there"."""
    full = (3000, 2000)
    path = make_photo(tmp_path / "before.jpg", "coffee", size=full)
    grid, preview = preview_on([path], [full])
    model, view = grid.model(), preview.picture
    model.upsert([as_the_library_has_it(model, 0, path)])
    wait_for_picture(qtbot, preview, fitted(full, view.box()))
    renamed, go_on = tmp_path / "after.jpg", threading.Event()
    real = photo_preview.preview_image

    def held_back(request):
        if request.path == str(path):
            go_on.wait(10)
        return real(request)

    monkeypatch.setattr(photo_preview, "preview_image", held_back)
    try:
        qtbot.keyClick(preview, Qt.Key.Key_Z)
        assert preview.loader.started[-1] == str(path)
        os.rename(path, renamed)
        model.upsert([as_the_library_has_it(model, 0, renamed)])
        assert view.scale() == 1.0 and not view.is_fitted()
    finally:
        go_on.set()
    wait_for_picture(qtbot, preview, full)
    assert preview.loader.started[-2:] == [str(path), str(renamed)]
    assert preview.message.text() == "" and preview.stack.currentWidget() is view
    assert view.scale() == 1.0 and preview.dropped == 1


def test_the_keys_list_says_the_previews_zoom_keys(qtbot):
    text = keys_list_text(qtbot)
    assert ("<b>Ctrl++, Ctrl+-, Ctrl+wheel, pinch</b></td><td>Preview: zoom the photo in or "
            "out") in text
    assert "<b>Ctrl+0</b></td><td>Preview: the photo fitted in the window again" in text
    assert "<b>Z, 1, double-click</b></td><td>Preview: the photo at 100%" in text
    assert "<b>Arrow keys, drag</b></td><td>Preview, zoomed in: move about the photo" in text


def test_the_zoom_size_cap_keeps_the_shape():
    """The arithmetic the view's note relies on: a 50 MP photo at 100% under the default
    256 MiB limit is decoded whole; a 100 MP one is cut to 67 MP, its shape kept."""
    from desktop_app.ui.photo_preview import allowed_size

    most = 256 * 2**20 // 4
    assert allowed_size((8660, 5773), None, most) == ((8660, 5773), "")
    (width, height), why = allowed_size((11648, 8736), None, most)
    assert width * height <= most and math.isclose(width / height, 11648 / 8736, rel_tol=1e-3)
    assert why.endswith("no picture over 67.1 megapixels")
