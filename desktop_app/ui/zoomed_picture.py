"""The preview's picture: the photo fitted in its room, or zoomed and moved about, as in any photo
viewer. Ctrl with the wheel and a touchpad's pinch zoom about the pointer, a double-click goes
to 100% (one photo pixel a screen pixel, in device pixels on a HiDPI screen) about the point
clicked and back, and a drag moves a photo larger than the room, never past its edges.

It decodes nothing: it draws the picture it is given (the one decoded, or a thumbnail standing
in) over the place the whole photo takes at the zoom, enlarged meanwhile when that picture has
fewer pixels; the preview asks for the pixels the zoom needs (`needed_size`). With no thumbnail
made yet, the photo's place is shown, in the tone of the grids' placeholders, saying "Loading…"
(its size not known: only the words)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QNativeGestureEvent, QPainter, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from .models import placeholder_color
from .photo_grid import WheelZoom

# Device pixels a photo pixel, as the zoom keys and the wheel step through them (a pinch goes
# anywhere between): the usual viewers' ladder, up to 1600% (a photo pixel 16 screen pixels
# across).
ZOOM_LEVELS = (0.1, 0.125, 1 / 6, 0.25, 1 / 3, 0.5, 2 / 3, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0,
               12.0, 16.0)
# An arrow key (zoomed in) moves the photo this share of the room.
PAN_KEY_SHARE = 0.1
# The full picture drawn at this many screen pixels a photo pixel or more: each pixel a sharp
# square (what one zooms in to see: focus, noise), not smoothed into its neighbours.
SHARP_FROM = 2.0
LOADING_TEXT = "Loading…"


def zoom_percent(scale: float) -> str:
    """`scale` (device pixels a photo pixel) as a user reads it: "12.5%" (the ladder's level,
    as other viewers say it: Python's rounding made it "12%"), "31%" (a fitted size)."""
    halves = round(scale * 200)
    if halves % 2 and abs(scale * 200 - halves) < 1e-6:  # a whole and a half percent
        return f"{halves / 2:.1f}%"
    return f"{round(scale * 100)}%"


def fitted(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """`size` made to fit in `box`, keeping its shape; never made bigger."""
    width, height = size
    scale = min(1.0, box[0] / width, box[1] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


class PictureView(QWidget):
    """The photo, fitted (centred, never enlarged past its own pixels) or zoomed. The decoded
    picture covers the whole photo at any size; the thumbnail standing in is a grid's square
    (the picture centred in it), drawn so that its picture takes the photo's place."""

    room_changed = Signal()  # resized, or its device pixels changed (another screen's scale)
    zoom_changed = Signal()  # zoomed in or out, or fitted again (also by the preview's keys)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._pixmap: QPixmap | None = None
        self._is_stand_in = False
        self._loading = False  # a picture is coming, and no thumbnail stands in for it
        self._full: tuple[int, int] | None = None  # the photo's own size, upright, if known
        self._scale: float | None = None  # device pixels a photo pixel; None: fitted
        self._centre = (0.0, 0.0)  # the photo's point (in its pixels) at the room's centre
        self._dragged_from: QPointF | None = None
        # The wheel's steps go to a list, not to a method of this widget: a cycle through it
        # would leave the widget (and the picture it holds) to the garbage collector, which
        # may free them on whatever thread it runs, the preview's decoding one (a crash).
        self._wheel_steps: list[int] = []
        self._wheel_zoom = WheelZoom(self._wheel_steps.append)

    def sizeHint(self) -> QSize:
        return QSize(320, 240)

    # -- what is shown ---------------------------------------------------------------------------
    def set_photo(self, size: tuple[int, int] | None) -> None:
        """Another photo (of this full size, upright, if known): fitted, nothing shown yet."""
        self._full = size if size and size[0] > 0 and size[1] > 0 else None
        self._scale = None
        self._dragged_from = None
        self.clear()

    def photo_size(self) -> tuple[int, int] | None:
        """The photo's own size, upright, if known (from the library, or learnt)."""
        return self._full

    def learn_size(self, size: tuple[int, int]) -> None:
        """The photo's size as its decoder found it, for a photo whose size was not known (the
        decoded picture was taken for the whole photo: its 100% was the picture's); learnt
        anew when another file of another size is put at its path (drawn in the old one's
        place, it was stretched)."""
        if size != self._full and size[0] > 0 and size[1] > 0:
            self._full = size
            self._changed()

    def is_loading(self) -> bool:
        """Is the photo's place shown, "Loading…", no thumbnail standing in?"""
        return self._loading

    def picture(self) -> QPixmap | None:
        """The decoded picture shown (None while the thumbnail stands in, or none is)."""
        return None if self._is_stand_in else self._pixmap

    def stand_in(self) -> tuple[QPixmap, int] | None:
        """The thumbnail standing in and the side it is drawn at (logical pixels), if one does."""
        if not self._is_stand_in:
            return None
        area = self.photo_rect()
        side = max(area.width(), area.height()) if area is not None else min(
            self.width(), self.height())
        return self._pixmap, max(1, round(side))

    def show_picture(self, pixmap: QPixmap) -> None:
        self._pixmap, self._is_stand_in, self._loading = pixmap, False, False
        self._changed()

    def show_stand_in(self, thumbnail: QPixmap | None) -> None:
        """While the picture is decoded: `thumbnail`, a grid's square (the picture centred in
        it, the rest transparent); None: none made yet, the photo's place shown loading."""
        valid = thumbnail is not None and not thumbnail.isNull()
        self._pixmap, self._is_stand_in = (thumbnail, True) if valid else (None, False)
        self._loading = not valid
        self._changed()

    def clear(self) -> None:
        self._pixmap, self._is_stand_in, self._loading = None, False, False
        self._changed()

    def box(self) -> tuple[int, int]:
        """The room for the picture, in device pixels."""
        ratio = self.devicePixelRatioF()
        return max(1, round(self.width() * ratio)), max(1, round(self.height() * ratio))

    # -- the zoom ----------------------------------------------------------------------------------
    def is_fitted(self) -> bool:
        return self._scale is None

    def scale(self) -> float:
        """Device pixels a photo pixel (1.0: 100%), fitted or zoomed."""
        return self.fit_scale() if self._scale is None else self._scale

    def fit_scale(self) -> float:
        full, box = self._full_size(), self.box()
        if full is None:
            return 1.0
        return min(1.0, box[0] / full[0], box[1] / full[1])

    def needed_size(self) -> tuple[int, int] | None:
        """The picture's size, in device pixels, that shows the photo sharp at this zoom: never
        more than the photo's own pixels (past 100% they are enlarged). None if its size is not
        known (the picture held is then all there is)."""
        full = self._full
        if full is None:
            return None
        if self._scale is None:
            return fitted(full, self.box())
        most = min(1.0, self._scale)
        return max(1, round(full[0] * most)), max(1, round(full[1] * most))

    def zoom_steps(self, steps: int, about: QPointF | None = None) -> None:
        """`steps` levels in (more than 0) or out of ZOOM_LEVELS, about `about` (logical, in
        this widget; None: the room's centre); out past the fitted size: fitted."""
        scale = self.scale()
        for _ in range(abs(steps)):
            if steps > 0:
                scale = next((z for z in ZOOM_LEVELS if z > scale * 1.001), ZOOM_LEVELS[-1])
            else:
                scale = next((z for z in reversed(ZOOM_LEVELS) if z < scale / 1.001),
                             ZOOM_LEVELS[0])
        self.zoom_to(scale, about)

    def zoom_to(self, scale: float, about: QPointF | None = None, keep: bool = False) -> None:
        """Zoomed to `scale` device pixels a photo pixel, the photo's point under `about` kept
        there; at the fitted size or less, fitted (unless `keep`: 100% of a photo smaller than
        the room is still a zoom the double-click toggles back from)."""
        full = self._full_size()
        if full is None:
            return
        scale = min(scale, ZOOM_LEVELS[-1])
        if not keep and scale <= self.fit_scale() * 1.001:
            self.fit()
            return
        ratio, box = self.devicePixelRatioF(), self.box()
        at = about if about is not None else QPointF(self.width() / 2, self.height() / 2)
        x, y = at.x() * ratio, at.y() * ratio
        under = self._photo_point(x, y)
        self._scale = scale
        self._centre = (under[0] - (x - box[0] / 2) / scale, under[1] - (y - box[1] / 2) / scale)
        self._clamp()
        self._changed()
        self.zoom_changed.emit()

    def fit(self) -> None:
        self._scale = None
        self._changed()
        self.zoom_changed.emit()

    def toggle_actual(self, about: QPointF | None = None) -> None:
        """Fitted: 100% about `about`; zoomed: fitted again."""
        if self._scale is None:
            self.zoom_to(1.0, about, keep=True)
        else:
            self.fit()

    def can_pan(self) -> bool:
        """Zoomed, and part of the photo out of sight."""
        area = self._device_rect() if self._scale is not None else None
        box = self.box()
        return area is not None and (area.width() > box[0] + 0.5 or area.height() > box[1] + 0.5)

    def pan(self, dx: float, dy: float) -> bool:
        """The photo moved `dx`, `dy` logical pixels (as a drag moves it), within its edges.
        False if it did not move (not zoomed, or at its edges that way)."""
        if self._scale is None:
            return False
        before = self._centre
        step = self.devicePixelRatioF() / self._scale
        self._centre = (before[0] - dx * step, before[1] - dy * step)
        self._clamp()
        if self._centre == before:
            return False
        self.update()
        return True

    def pan_by_key(self, key: Qt.Key) -> bool:
        dx = {Qt.Key.Key_Left: 1, Qt.Key.Key_Right: -1}.get(key, 0) * self.width()
        dy = {Qt.Key.Key_Up: 1, Qt.Key.Key_Down: -1}.get(key, 0) * self.height()
        return self.pan(dx * PAN_KEY_SHARE, dy * PAN_KEY_SHARE)

    def photo_rect(self) -> QRectF | None:
        """Where the whole photo lies, in logical pixels of this widget (most of it outside
        when zoomed in); None if its size is not known and no picture tells it."""
        area = self._device_rect()
        if area is None:
            return None
        ratio = self.devicePixelRatioF()
        return QRectF(area.left() / ratio, area.top() / ratio, area.width() / ratio,
                      area.height() / ratio)

    def _photo_point(self, x: float, y: float) -> tuple[float, float]:
        """The photo's point (in its pixels) at `x`, `y` (device pixels in this widget). Zoomed,
        from the exact centre: read back from the picture's place, which is on whole device
        pixels, each step was off by up to half a pixel, and the steps added up (from fitted to
        1600%, the point under the pointer moved 20-60 screen pixels). Fitted, from the picture
        as it is drawn."""
        if self._scale is not None:
            box = self.box()
            return (self._centre[0] + (x - box[0] / 2) / self._scale,
                    self._centre[1] + (y - box[1] / 2) / self._scale)
        full, area = self._full_size(), self._device_rect()
        return ((x - area.left()) * full[0] / area.width(),
                (y - area.top()) * full[1] / area.height())

    def _full_size(self) -> tuple[int, int] | None:
        """The photo's size; not known: the decoded picture's (zoomed, it is enlarged)."""
        if self._full is not None:
            return self._full
        if self._pixmap is not None and not self._is_stand_in:
            return self._pixmap.width(), self._pixmap.height()
        return None

    def _device_rect(self) -> QRectF | None:
        full, box = self._full_size(), self.box()
        if full is None:
            return None
        if self._scale is None:
            width, height = fitted(full, box)
            return QRectF((box[0] - width) // 2, (box[1] - height) // 2, width, height)
        scale = self._scale
        # On whole device pixels: at 100% each photo pixel lands on one screen pixel, not
        # smoothed across two.
        return QRectF(round(box[0] / 2 - self._centre[0] * scale),
                      round(box[1] / 2 - self._centre[1] * scale),
                      full[0] * scale, full[1] * scale)

    def _clamp(self) -> None:
        """The photo kept over the room: a side larger than it has no gap at its edges, a
        smaller one is centred."""
        full, box, scale = self._full_size(), self.box(), self._scale
        if full is None or scale is None:
            return

        def along(centre: float, length: int, room: int) -> float:
            if length * scale <= room:
                return length / 2
            half = room / 2 / scale
            return min(max(centre, half), length - half)

        self._centre = (along(self._centre[0], full[0], box[0]),
                        along(self._centre[1], full[1], box[1]))

    def _changed(self) -> None:
        self._clamp()
        pannable = self.can_pan()
        if self._dragged_from is not None:
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif pannable:
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.unsetCursor()
        self.update()

    # -- events ----------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._changed()
        self.room_changed.emit()

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.NativeGesture:
            return self._gesture(event)
        handled = super().event(event)
        # Its window moved to a screen of another scale (or the screen's scale changed): the
        # same logical size, other device pixels. No resize comes: the picture stayed blurred.
        if event.type() == QEvent.Type.DevicePixelRatioChange:
            self._changed()
            self.room_changed.emit()
        return handled

    def _gesture(self, event: QNativeGestureEvent) -> bool:
        """A touchpad's pinch (macOS, Wayland, X11 with libinput): zoomed about the fingers by
        the factor it gives; a two-finger double tap (macOS's smart zoom): 100% and back."""
        kind = event.gestureType()
        if kind == Qt.NativeGestureType.ZoomNativeGesture:
            self.zoom_to(self.scale() * (1.0 + event.value()), event.position())
        elif kind == Qt.NativeGestureType.SmartZoomNativeGesture:
            self.toggle_actual(event.position())
        event.accept()  # the gesture's begin too: Qt sends the rest only where it was taken
        return True

    def wheelEvent(self, event) -> None:
        if self._wheel_zoom.took(event):
            while self._wheel_steps:
                self.zoom_steps(self._wheel_steps.pop(0), event.position())
            return
        if self.can_pan():  # a touchpad's two-finger scroll (or the wheel) moves the photo
            delta = event.pixelDelta()
            if delta.isNull():
                delta = event.angleDelta() / 2  # a notch: 60 pixels
            self.pan(delta.x(), delta.y())
            event.accept()
            return
        super().wheelEvent(event)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.can_pan():
            self._dragged_from = event.position()
            self._changed()
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._dragged_from is not None and event.buttons() & Qt.MouseButton.LeftButton:
            moved = event.position() - self._dragged_from
            self._dragged_from = event.position()
            self.pan(moved.x(), moved.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._dragged_from is not None:
            self._dragged_from = None
            self._changed()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._dragged_from = None
            self.toggle_actual(event.position())
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def paintEvent(self, event) -> None:
        pixmap, area = self._pixmap, self.photo_rect()
        if pixmap is None:
            if self._loading:
                self._paint_loading(area)
            return
        painter = QPainter(self)
        if self._is_stand_in:
            # Its square as big as the photo's long side: its picture takes the photo's place
            # (its transparent edges may pass the room).
            side = max(area.width(), area.height()) if area is not None else min(
                self.width(), self.height())
            square = QRectF(0, 0, side, side)
            square.moveCenter(area.center() if area is not None else QRectF(self.rect()).center())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(square, pixmap, QRectF(pixmap.rect()))
            painter.end()
            return
        seen = area.intersected(QRectF(self.rect()))
        if seen.isEmpty():
            painter.end()
            return
        # Only the part in sight: a 16x zoom of a 24 MP picture is not scaled whole.
        across, down = pixmap.width() / area.width(), pixmap.height() / area.height()
        source = QRectF((seen.left() - area.left()) * across, (seen.top() - area.top()) * down,
                        seen.width() * across, seen.height() * down)
        whole = pixmap.width() >= self._full_size()[0]  # all the photo's pixels, not fewer
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform,
                              not (whole and self.scale() >= SHARP_FROM))
        painter.drawPixmap(seen, pixmap, source)
        painter.end()

    def _paint_loading(self, area: QRectF | None) -> None:
        """The photo's place, of its shape, in the grids' placeholder tone (a grey square of
        the long side stood in before: the wrong shape, past the photo's edges), saying it is
        coming; its size not known, the words alone."""
        painter = QPainter(self)
        palette = self.palette()
        if area is not None:
            painter.fillRect(area, placeholder_color(palette, False))
        painter.setPen(palette.color(palette.ColorRole.Text))
        where = area.intersected(QRectF(self.rect())) if area is not None else QRectF(self.rect())
        painter.drawText(where, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextDontClip,
                         LOADING_TEXT)
        painter.end()
