"""Thumbnails made off the GUI thread, cached in memory (LRU of QPixmaps) and on disk.

A job on a small dedicated pool stats the file, looks for a cached JPEG keyed by
(path, mtime, size, change time, edge, DISK_FORMAT) in paths.cache_dir(), or else decodes the
photo (reduced-size JPEG decode, an HEIC's embedded thumbnail or a camera raw's embedded JPEG
when it is big enough, EXIF orientation (a raw's own), colours turned to sRGB through the photo's
colour profile) and writes one. It hands back a QImage; only the GUI thread turns it into a
QPixmap. Views ask for pixmaps only for the rows they paint, so only visible photos load. A
cached JPEG used gets its mtime refreshed (at most once a day), so that thumbnail_housekeeping
can remove the ones unused for long, least recently used first.
"""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import logging
import os
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QGuiApplication, QImage, QPainter, QPixmap, QScreen

from .. import paths
from ..atomic_file import write_bytes_atomic
from ..core.display_colour import to_srgb_for_display
from ..core.errors import PhotoReadError
from ..core.images import load_picture
from ..core.scan import change_time
from .background import lower_this_thread
from .thumbnail_housekeeping import note_used

log = logging.getLogger(__name__)


# In every disk key: raised when the pictures made change, so that those made before are made
# again once (the old files, never shown again, go with the housekeeping's 90 days).
# 2: converted to sRGB through the photo's colour profile or a HEIC's or AVIF's nclx colour
#    description (P3, Adobe RGB, BT.2020 photos looked dull).
# 3: a PNG's cICP chunk, Adobe RGB said by a camera JPEG's EXIF, BT.709-like curves as sRGB's.
# 4: HDR pictures (PQ, HLG) tone-mapped to SDR; they were shown as stored, washed out.
DISK_FORMAT = 4

# What the thumbnails kept in memory may take: 1,310 of 160 pixels at ratio 1 (more than 30
# screens of 1280x800), fewer as each gets bigger (a larger thumbnail_size or a HiDPI screen).
# A count alone (3,000 were kept) grew with the size: about 300 MB at 160 pixels, 12 GB at 1024.
MEMORY_BYTES = 128 * 2**20
# ...but never fewer than this many (at 1024 pixels on a HiDPI screen, 512 MB), so that the
# rows on screen in both grids fit: fewer, and each one painted would push out another, and
# the views would ask for them again and again.
MIN_MEMORY_ITEMS = 32
# The sizes (logical pixels) the zoom keys step through, each about a quarter bigger than the
# last, thumbnail_size's default among them. None under 96: the results header's 72-pixel
# picture is made from the thumbnail (stretched, it blurred); none over 400: wider, a cell
# left the results panel at its usual width. settings.json may hold any size in between, or
# beyond, for a start: the keys step from there to the next of these.
ZOOM_STEPS = (96, 128, 160, 208, 256, 320, 400)


def zoomed(edge: int, steps: int) -> int:
    """The size `steps` zoom steps from `edge` (more than 0: bigger), one of ZOOM_STEPS; `edge`
    itself when it is already past the last step that way."""
    if steps > 0:
        bigger = [s for s in ZOOM_STEPS if s > edge]
        return bigger[min(steps, len(bigger)) - 1] if bigger else edge
    smaller = [s for s in ZOOM_STEPS if s < edge]
    return smaller[max(steps, -len(smaller))] if smaller and steps else edge


def disk_key(path: str, st: os.stat_result, edge: int) -> str:
    # The change time too, as the library's index: a photo rewritten with the same size and
    # mtime (exiftool -P, cp -p) is a new picture (a chmod only costs one thumbnail made again).
    stamp = f"{st.st_mtime!r}\0{st.st_size}\0{change_time(st)}"
    # surrogateescape: a file name that is not UTF-8 keeps its bytes (and gets a thumbnail)
    key = f"{path}\0{stamp}\0{edge}\0{DISK_FORMAT}".encode("utf-8", "surrogateescape")
    return hashlib.blake2b(key, digest_size=16).hexdigest()


def make_thumbnail(path: str, edge: int, cache_root: Path | None) -> QImage:
    """Runs on a pool thread. Returns a null QImage if the photo cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return QImage()
    cached = None
    if cache_root is not None:
        key = disk_key(path, st, edge)
        cached = cache_root / key[:2] / f"{key}.jpg"
        image = _cached_image(str(cached))
        if image is not None:
            return image
    try:
        pil, _, _ = load_picture(path, min_size=(edge, edge), display_edge=edge)
    except PhotoReadError as exc:
        log.debug("no thumbnail: %s", exc)
        return QImage()
    pil.thumbnail((edge, edge))
    pil = to_srgb_for_display(pil)  # on the small picture: 0.3-1.3 ms, not 10-50 on 12 MP
    if cached is not None:
        try:
            # Encoded in memory, then written whole or not at all: Pillow writing to a file
            # ignores a short write (a disk filling up), and left a cut-off JPEG in the cache.
            encoded = io.BytesIO()
            pil.save(encoded, "JPEG", quality=85)
            write_bytes_atomic(cached, encoded.getbuffer(), durable=False)
        except OSError as exc:  # a full or read-only cache disk costs speed, not thumbnails
            log.debug("thumbnail cache not written (%s)", exc)
    return rgb_qimage(pil)


def rgb_qimage(pil) -> QImage:
    """A decoded picture (load_picture's, made sRGB) as a QImage of its own pixels."""
    if pil.mode != "RGB":
        pil = pil.convert("RGB")
    data = pil.tobytes()
    image = QImage(data, pil.width, pil.height, 3 * pil.width, QImage.Format.Format_RGB888)
    return image.copy()  # own the pixels: `data` goes away with this frame


def _cached_image(name: str) -> QImage | None:
    """The thumbnail cached in file `name`, marked as used; None if there is none to read."""
    try:
        st = os.lstat(name)  # no more than Qt's failed open on a miss; the mtime on a hit
    except OSError:
        return None
    image = QImage(name)
    if image.isNull():
        return None
    note_used(name, st)
    return image


class _Reply(QObject):
    """Lives on the GUI thread; pool threads emit on it (queued across threads)."""

    done = Signal(object, QImage)  # the path as `object`: a Qt string drops non-UTF-8 bytes


def _thumbnail_job(path: str, edge: int, cache_root: Path | None, reply: _Reply) -> None:
    """Runs on a pool thread. A plain callable, not a QRunnable subclass: PySide keeps such a
    runnable's Python object for good when it ends while the GUI thread runs Python (see
    tasks._run_job)."""
    lower_this_thread()
    try:
        image = make_thumbnail(path, edge, cache_root)
    except Exception:  # never let a pool thread die silently with a request pending
        log.exception("thumbnail failed for %s", path)
        image = QImage()
    reply.done.emit(path, image)


class ThumbnailCache(QObject):
    """`pixmap(path)` returns a cached QPixmap or None (and starts loading it); `ready(path)`
    says a thumbnail arrived. Unreadable photos are remembered so they are not retried on
    every repaint until `forget(path)`."""

    ready = Signal(object)  # the path (not str: see _Reply.done)
    # Thumbnails are made for another device pixel ratio or size now: a copy kept outside the
    # cache (the results header's) is to be asked for again, even if its path had left the memory.
    rescaled = Signal()

    def __init__(self, edge: int = 160, memory_items: int | None = None,
                 threads: int | None = None, disk_cache: bool = True,
                 parent: QObject | None = None, scale: float | None = None) -> None:
        """`memory_items` (tests): keep this many thumbnails at ratio 1, not MEMORY_BYTES."""
        super().__init__(parent)
        self.edge = edge  # logical pixels, as views lay them out
        self._memory_budget = memory_items
        self._memory: OrderedDict[str, QPixmap] = OrderedDict()
        self._loading: set[str] = set()
        self._outdated: set[str] = set()  # forgotten while loading: what comes is not used
        self._broken: set[str] = set()
        self._cache_root = paths.cache_dir() / "thumbnails" if disk_cache else None
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads or max(1, (os.cpu_count() or 2) - 1))
        self._priority = itertools.count()
        self._reply = _Reply(self)
        self._reply.done.connect(self._on_done)
        self._set_pixel_size(scale or screens_ratio())
        if scale is None and QGuiApplication.instance() is not None:
            # A screen plugged in (a 4K monitor docked to a laptop), unplugged, or given another
            # scale while the app runs: thumbnails made for the screens at start would be
            # blurred on the new one (or needlessly big). Qt says so per screen: the logical
            # DPI (Windows, Wayland), or the geometry when a new scale changes it.
            app = QGuiApplication.instance()
            for screen in app.screens():
                self._watch(screen)
            app.screenAdded.connect(self._on_screen_added)
            app.screenRemoved.connect(self._check_screens)

    def _set_pixel_size(self, scale: float) -> None:
        # On a HiDPI screen (device pixel ratio 2) a thumbnail made at `edge` pixels would be
        # stretched to twice its size and look blurred: make it with the screen's pixels.
        self.scale = scale
        self._pixel_edge = max(1, round(self.edge * scale))
        if self._memory_budget is not None:
            # The same memory on any screen: a thumbnail in screen pixels is scale² times bigger.
            self._memory_items = max(1, round(self._memory_budget / scale ** 2))
        else:  # a square of ARGB pixels each (see _square)
            self._memory_items = max(MIN_MEMORY_ITEMS,
                                     MEMORY_BYTES // (4 * self._pixel_edge ** 2))

    def set_scale(self, scale: float) -> None:
        """Make thumbnails for screens of this device pixel ratio from now on. Those made for
        another are dropped, and `ready` is emitted for each, so that views ask again: the rows
        on screen load anew (the others when they are shown), sharp and at their size; then
        `rescaled`."""
        if scale != self.scale:
            self._remake(scale)

    def set_edge(self, edge: int) -> None:
        """Make thumbnails of `edge` logical pixels from now on (the grids zoomed), as
        set_scale does: those on screen are made again at the new size, not stretched. Each
        size has its own files in the disk cache (the edge is in the key), so one zoomed to
        before comes back from there; those of a size left go with the housekeeping."""
        if edge != self.edge:
            self.edge = edge
            self._remake(self.scale)

    def _remake(self, scale: float) -> None:
        self._set_pixel_size(scale)  # and the memory's count for the new size
        remade = list(self._memory)
        self._memory.clear()
        self._outdated |= self._loading  # made at the old size: not kept when they come
        for path in remade:
            self.ready.emit(path)
        self.rescaled.emit()

    def _watch(self, screen: QScreen) -> None:
        screen.logicalDotsPerInchChanged.connect(self._check_screens)
        screen.geometryChanged.connect(self._check_screens)

    def _on_screen_added(self, screen: QScreen) -> None:
        self._watch(screen)
        self._check_screens()

    def _check_screens(self, *_) -> None:
        self.set_scale(screens_ratio())

    @property
    def cache_root(self) -> Path | None:
        """The disk cache's folder (None: no disk cache)."""
        return self._cache_root

    def pixmap(self, path: str) -> QPixmap | None:
        pix = self._memory.get(path)
        if pix is not None:
            self._memory.move_to_end(path)
            return pix
        if path not in self._loading and path not in self._broken:
            self._loading.add(path)
            # Newest requests first: what is on screen now beats what scrolled past.
            job = functools.partial(_thumbnail_job, path, self._pixel_edge, self._cache_root,
                                    self._reply)
            self._pool.start(job, next(self._priority) % 1_000_000_000)
        return None

    def is_broken(self, path: str) -> bool:
        return path in self._broken

    def forget(self, path: str) -> None:
        """The file changed: drop what is cached in memory (the disk key changes by itself).
        A thumbnail being made now may show the picture before the change: it is made again."""
        self._memory.pop(path, None)
        self._broken.discard(path)
        if path in self._loading:
            self._outdated.add(path)

    def pending(self) -> int:
        return len(self._loading)

    def shutdown(self) -> None:
        self._pool.clear()
        self._pool.waitForDone(3000)

    def _square(self, image: QImage) -> QPixmap:
        """Centre the thumbnail on a transparent edge x edge square: every grid cell has the
        same size, so views lay out in constant time and labels never overlap pictures."""
        side = self._pixel_edge
        pix = QPixmap(side, side)
        pix.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pix)
        painter.drawImage((side - image.width()) // 2, (side - image.height()) // 2, image)
        painter.end()
        pix.setDevicePixelRatio(self.scale)  # shown at `edge` logical pixels, sharp
        return pix

    @Slot(object, QImage)
    def _on_done(self, path: str, image: QImage) -> None:
        self._loading.discard(path)
        if path in self._outdated:  # read before the file changed: views ask again (ready)
            self._outdated.discard(path)
        elif image.isNull():
            self._broken.add(path)
        else:
            self._memory[path] = self._square(image)
            while len(self._memory) > self._memory_items:
                self._memory.popitem(last=False)
        self.ready.emit(path)


def screens_ratio() -> float:
    """The highest device pixel ratio of the screens now: thumbnails made for it are sharp on
    that screen, and scaled down smoothly on the others (Qt's icons do that). Asked of each
    screen, not of the application: Qt emits a screen's geometryChanged and
    logicalDotsPerInchChanged for a new scale before it drops the application's cached highest
    ratio, which then still said the old one there (thumbnails stayed blurred)."""
    app = QGuiApplication.instance()
    if app is None:
        return 1.0
    return max([1.0, *(screen.devicePixelRatio() for screen in app.screens())])  # as Qt's
