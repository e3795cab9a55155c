"""Reading photos: every format people have, EXIF orientation applied, big JPEGs decoded small.

Files are read into memory once; the same bytes give the content fingerprint and the decode, so a
photo is never read from disk twice. Of a file over 16 MiB, only the start is read until it looks
like an image: a video or disk image with a photo's name costs 64 KiB, not its whole size.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import simplejpeg
import xxhash
from PIL import Image, ImageFile, UnidentifiedImageError

from . import camera_raw, crash_journal
from .display_colour import display_profile, with_display_profile
from .errors import PhotoReadError
from .heif_boxes import av1_size_lie

try:  # HEIC/HEIF (and AVIF on older Pillow) come from pillow-heif.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - pillow-heif is a required dependency
    HEIF_SUPPORTED = False

# Pillow's own bomb guard raises for > 2x this; we refuse anything over it with our message.
MAX_PIXELS = 200_000_000
Image.MAX_IMAGE_PIXELS = None  # we check ourselves, before decoding
ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is an error, reported per file

PHOTO_EXTENSIONS = frozenset({
    ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif",
    ".heic", ".heif", ".hif", ".avif",
}) | camera_raw.RAW_EXTENSIONS


def is_photo(path: str | os.PathLike) -> bool:
    """A name that looks like a photo and is not hidden or a temporary/partial download."""
    name = os.path.basename(os.fsdecode(path))
    if name.startswith((".", "~")):
        return False
    lower = name.lower()
    if lower.endswith((".part", ".crdownload", ".tmp", ".download")):
        return False
    return os.path.splitext(lower)[1] in PHOTO_EXTENSIONS


def fingerprint_bytes(data: bytes) -> str:
    """Content identity of a file: recognises a moved or renamed photo without re-encoding it.

    XXH3-128 hashes at memory speed (0.2 ms for a 3 MB photo here; blake2b took 4 ms, 7% of the
    whole per-photo indexing cost). It is not a cryptographic hash: fine for telling a user's own
    files apart, not meant to resist someone forging collisions.
    """
    return xxhash.xxh3_128_hexdigest(data)


def fingerprint(path: str | os.PathLike) -> str:
    return fingerprint_bytes(Path(path).read_bytes())


@dataclass(frozen=True)
class LoadedPhoto:
    path: str
    image: Image.Image  # RGB, orientation applied, possibly reduced by draft decoding
    width: int  # full size, after orientation
    height: int
    fingerprint: str
    size: int  # bytes on disk


def _special_kind(st: os.stat_result) -> str | None:
    """What a file that is not a regular file (nor a folder) is: reading a named pipe or a
    device may wait forever or never end. A pipe that is this program's own standard input
    (`cat photo.jpg | lookalike similar /dev/stdin`) has a writer, so it is read."""
    if stat.S_ISFIFO(st.st_mode):
        try:
            own = os.fstat(0)
        except OSError:  # no standard input at all
            own = None
        if own is not None and (own.st_dev, own.st_ino) == (st.st_dev, st.st_ino):
            return None
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        return "a device"
    if stat.S_ISSOCK(st.st_mode):
        return "a socket"
    return None


def read_bytes(path: str | os.PathLike) -> bytes:
    with _reading(path), open(path, "rb", buffering=0) as file:
        if os.fstat(file.fileno()).st_size <= READ_WHOLE_BYTES:  # (a pipe's size is 0)
            return file.read()
        return _read_if_image(file, path)


def read_start(path: str | os.PathLike, size: int = 16) -> bytes:
    """The first `size` bytes of a photo file, with read_bytes' checks and errors."""
    with _reading(path), open(path, "rb", buffering=0) as file:
        return file.read(size)


@contextmanager
def _reading(path: str | os.PathLike) -> Iterator[None]:
    """Reading a photo file: a FIFO or device refused before it is opened (opening a FIFO
    alone can block), and the system's errors said as PhotoReadError naming the file."""
    try:
        kind = _special_kind(os.stat(path))
        if kind is not None:
            raise PhotoReadError(path, f"this is {kind}, not a photo file", "Give a photo file")
        yield
    except FileNotFoundError as exc:
        raise PhotoReadError(path, "the file no longer exists (deleted or moved while reading)",
                             "Nothing to do; it will be picked up where it went") from exc
    except IsADirectoryError as exc:
        raise PhotoReadError(path, "this is a folder, not a photo",
                             "Give a photo file; to search a whole folder, index it first with "
                             "`lookalike index`") from exc
    except PermissionError as exc:
        raise PhotoReadError(path, "permission denied",
                             "Give your user read access to the file, then rescan") from exc
    except OSError as exc:
        raise PhotoReadError(path, f"cannot read the file ({exc.strerror or exc})",
                             "Check the disk or network share, then rescan") from exc


# Files up to this size are read whole at once (16 MiB a decode thread at worst, for a file that
# is no image): the fingerprint of even a file that fails is kept, so the library recognises it
# moved. Beyond it, the start is read first: enough for every decoder to know its format
# (Pillow looks at 16 bytes, pillow-heif at 12).
READ_WHOLE_BYTES = 16 * 1024 * 1024
HEAD_BYTES = 64 * 1024


def _read_if_image(file: io.RawIOBase, path: str | os.PathLike) -> bytes:
    """The whole (regular) file, read only once its start looks like an image: a multi-GB video
    or disk image named .jpg was read whole (per decode thread) just to be refused."""
    head = _read_head(file)
    if len(head) < HEAD_BYTES:  # shrunk meanwhile: all of it, and decode says what it is
        return head
    if not _looks_like_image(head):
        error = _unidentified(head, path, only_zeros=_only_zeros(head, file))
        # Known by its start and size instead of its whole contents (which would mean reading
        # it all): the library still knows it when it is moved, as a failure (it has no code).
        error.fingerprint = head_fingerprint(head, os.fstat(file.fileno()).st_size)
        raise error
    # Read again from the start (the head is in the page cache now), not head + rest: joining
    # would hold the file twice at once; this is one buffer of its size.
    file.seek(0)
    return file.read()


def _read_head(file: io.RawIOBase) -> bytes:
    parts, size = [], 0
    while size < HEAD_BYTES and (part := file.read(HEAD_BYTES - size)):  # reads may come short
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _looks_like_image(head: bytes) -> bool:
    """Whether some decoder may take the file: the same test Image.open makes (a format's
    signature), and Image.open itself for the few formats without one. Lenient on purpose: a
    file let through is read whole and judged by the full decode, as before."""
    if camera_raw.looks_like_raw(head):  # most raw files are over 16 MiB; few start as TIFF
        return True
    Image.init()  # every format, as Image.open loads them for a file it does not know
    prefix = head[:16]
    for _, accept in list(Image.OPEN.values()):  # a copy: another thread may register one
        try:
            if accept is not None and accept(prefix):
                return True
        except Exception:  # noqa: BLE001, S112 - a plugin's check failing means "not mine"
            continue
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Image.open(io.BytesIO(head)).close()
    except UnidentifiedImageError:
        return False
    except Exception:  # noqa: BLE001 - recognised, but cut short or damaged: decode will say
        return True
    return True


def head_fingerprint(head: bytes, size: int) -> str:
    """The identity of a big file refused from its start: its start and size. Marked with a
    leading "h", it never equals the fingerprint of a photo's whole contents."""
    return "h" + xxhash.xxh3_128_hexdigest(head + size.to_bytes(8, "little"))


def _only_zeros(head: bytes, file: io.RawIOBase) -> bool:
    """Whether the file holds nothing but zero bytes (a crash-zeroed photo), read a chunk at a
    time past the head, and only when the head is all zeros: stops at the first other byte."""
    if head.count(0) != len(head):
        return False
    chunk = bytearray(1 << 20)
    while size := file.readinto(chunk):
        if chunk.count(0, 0, size) != size:
            return False
    return True


@crash_journal.records_decoding  # a photo that crashes its decoder stops Lookalike once
def decode(data: bytes, path: str | os.PathLike, min_size: tuple[int, int] | None = None,
           max_pixels: int = MAX_PIXELS, display_edge: int | None = None,
           orientation: int | None = None) -> tuple[Image.Image, int, int]:
    """Bytes -> (RGB image with EXIF orientation applied, full width, full height).

    With `min_size`, JPEGs are decoded by DCT scaling (Pillow's draft mode) to the smallest size
    that is still at least `min_size` in both directions: 4-6x faster for camera photos.
    `display_edge` is for pictures shown, never for codes: an HEIC's embedded thumbnail that
    still fills a display_edge square once fitted in it is decoded instead of the photo, and the
    file's RGB colour profile (or one made from its nclx colour description or PNG cICP chunk,
    or Adobe RGB said by a camera JPEG's EXIF) is kept in the result's info["icc_profile"]
    (decoding small drops it; a PQ or HLG picture's colours in info[display_colour.HDR_KEY],
    for tone mapping) for `display_colour.to_srgb_for_display`. `orientation` turns the
    picture instead of its EXIF's (a raw file's embedded JPEG: the raw's own says).

    A camera raw file (by its name and first bytes) gives the picture the camera embedded in it,
    or its sensor data developed (`camera_raw`); the full size is the raw photo's.
    """
    if not data:
        raise PhotoReadError(path, "the file is empty (0 bytes)",
                             "It may still be copying; it will be retried when it changes")
    if camera_raw.is_raw_name(path) and camera_raw.looks_like_raw(data[:16]):
        try:
            return _decode_raw(data, path, min_size, max_pixels, display_edge)
        except camera_raw.PlainTiff:
            pass  # an exported or scanned TIFF named as a raw: read as the TIFF it is
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError as exc:
        raise _unidentified(data, path) from exc
    except Exception as exc:
        raise PhotoReadError(path, f"the image header is damaged ({exc})",
                             "Open it in an image viewer to check it; it is retried when the "
                             "file changes") from exc
    width, height = image.size
    if width * height > max_pixels:
        raise PhotoReadError(path, f"the image is {width}x{height} pixels, over the "
                             f"{max_pixels // 1_000_000}-megapixel safety limit",
                             "Lookalike leaves images this large out (reading one would take "
                             "gigabytes of memory); to have it found, save a copy at a smaller "
                             "size beside it")
    if width * height > ANIMATED_MAX_PIXELS and _is_animation(image):
        raise PhotoReadError(path, f"the image is an animation of {width}x{height} pixels, "
                             f"over the {ANIMATED_MAX_PIXELS // 1_000_000}-megapixel limit for "
                             "animations", "Lookalike leaves animations this large out (decoding "
                             "one takes up to 16 bytes a pixel of memory); to have it found, save "
                             "its first frame as a JPEG or PNG beside it")
    if _cannot_hold(image.format, data, width, height):
        raise PhotoReadError(path, f"the image says it is {width}x{height} pixels, more than "
                             f"its {len(data):,} bytes can hold: the file is damaged or cut "
                             "short", "If it is still being copied it will be retried; "
                             "otherwise re-export or remove it")
    lie = av1_size_lie(data) if image.format in ("AVIF", "HEIF") else None
    if lie is not None:
        # libavif made a picture of the claimed size (1.8 GiB for a 1 KB file claiming 200 MP).
        (claimed_width, claimed_height), (coded_width, coded_height) = lie
        raise PhotoReadError(path, f"the image says it is {claimed_width}x{claimed_height} "
                             f"pixels, but its picture data is {coded_width}x{coded_height}: "
                             "the file is damaged", "Open it in an image viewer to check it; "
                             "otherwise re-export or remove it")
    shown_profile = display_profile(image, data) if display_edge is not None else None
    if display_edge is not None and image.format == "HEIF":
        _draft_embedded_thumbnail(image, display_edge)
    # DCT-scaled JPEGs decode small; anything else is made whole (a progressive JPEG keeps all
    # its coefficients while scaling), so big ones wait their turn, as does a JPEG scaled to a
    # picture as big (the preview zoomed to 100% of a 100 MP photo).
    scaled = (min_size is not None and image.format in ("JPEG", "MPO")
              and not image.info.get("progressive"))
    with _one_big_at_a_time(_jpeg_scaled_pixels(image.size, max(min_size)) if scaled
                            else image.width * image.height):
        try:
            return with_display_profile(
                _load(image, data, path, min_size, width, height, orientation),
                display_edge, shown_profile)
        except RuntimeError as exc:  # libheif's own: no decoder for this compression here
            if image.format == "AVIF":  # libavif's, through Pillow: its data is damaged
                raise PhotoReadError(path, f"the image data is damaged ({exc})",
                                     "Open it in an image viewer to check it; otherwise "
                                     "re-export or remove it") from exc
            if image.format != "HEIF":  # none of libheif's: a fault of ours, to be reported
                raise
            avif = _avif_by_pillow(data)
            if avif is not None:
                with contextlib.suppress(RuntimeError):
                    # Its own size: libheif's is turned upright already, Pillow's turns by the
                    # orientation it reads from the file's irot/imir (as EXIF), as _load does.
                    return with_display_profile(
                        _load(avif, data, path, min_size, *avif.size), display_edge,
                        shown_profile)
            raise PhotoReadError(path, f"this image cannot be decoded here ({exc})",
                                 "Convert it to JPEG or PNG to have it found") from exc


# Animations are screen recordings and stickers, 8K video frames (35 MP) at most; cameras make
# stills. Decoding even the first frame of one costs far more than a still: Pillow's WebP
# (libwebp's animation decoder) holds the canvas twice and copies it twice, 16 bytes a pixel
# (3 GB for a 5 KB file claiming a 200 MP canvas), and a GIF's small frame on a big screen is
# made whole (782 MB). Not HEIF (pillow-heif decodes its primary image alone), TIFF (pages) or
# MPO (a camera JPEG with a gain map): those are stills.
ANIMATED_MAX_PIXELS = 40_000_000
_ANIMATION_FORMATS = ("GIF", "WEBP", "PNG", "AVIF")


def _is_animation(image: Image.Image) -> bool:
    """Whether an opened GIF, WebP, APNG or AVIF sequence has more than one frame: from its
    header or frame headers, decoding nothing."""
    if image.format not in _ANIMATION_FORMATS:
        return False
    try:
        return bool(getattr(image, "is_animated", False))
    except Exception:  # noqa: BLE001 - a damaged later frame: judged by its first, as before
        return False


# Deflate's best: a 258-byte match in 2 bits. No PNG inflates to more than this times its size.
DEFLATE_MAX_RATIO = 1032
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by IHDR colour type


def _cannot_hold(image_format: str | None, data: bytes, width: int, height: int) -> bool:
    """Whether a PNG's, an uncompressed BMP's or a Huffman JPEG's header lies about its size: its
    rows need more bytes than the file holds (a PNG's, once inflated as much as deflate can; a
    JPEG's, a bit a block). Caught before decoding: Pillow allocated the whole image (up to 2 GB)
    before finding the data cut short, for a file of a few KB. Other formats can squeeze a plain
    picture without such a bound."""
    if image_format == "PNG" and data[12:16] == b"IHDR" and len(data) >= 26:
        bits = data[24] * _PNG_CHANNELS.get(data[25], 1)
        rows = height * (1 + (width * bits + 7) // 8)  # a filter byte starts each row
        return rows > DEFLATE_MAX_RATIO * len(data)
    if image_format == "BMP" and len(data) >= 34 and data[14] >= 40:  # not an OS/2 header
        bits, compression = int.from_bytes(data[28:30], "little"), data[30:34]
        if compression in (b"\0\0\0\0", b"\3\0\0\0", b"\6\0\0\0") and bits:  # raw
            stride = (width * bits + 31) // 32 * 4
            return stride * (height - 1) + (width * bits + 7) // 8 > len(data)
    if image_format in ("JPEG", "MPO"):
        return _jpeg_blocks(data) > 8 * len(data)
    return False


def _jpeg_blocks(data: bytes) -> int:
    """The 8x8 blocks of a Huffman-coded JPEG's components, from its frame header (0 if it is
    arithmetic-coded or not found). Each block takes at least a 1-bit code for its DC value, so a
    whole file has at least as many bits: a 2 KB progressive JPEG claiming 196 MP was cut
    short, and libjpeg took 577 MiB of coefficients (draft or not) before filling it blank."""
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2, 0xC3):  # Huffman: baseline, extended, progressive, lossless
            frame = data[pos + 4:pos + 2 + length]
            if len(frame) < 6:
                return 0
            height, width = int.from_bytes(frame[1:3], "big"), int.from_bytes(frame[3:5], "big")
            factors = [(b >> 4, b & 15) for b in frame[7:6 + 3 * frame[5]:3]]
            h_max = max((h for h, _ in factors), default=0)
            v_max = max((v for _, v in factors), default=0)
            if not h_max or not v_max:
                return 0
            return sum(_ceil(_ceil(width * h, h_max), 8) * _ceil(_ceil(height * v, v_max), 8)
                       for h, v in factors)
        if marker in (0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF, 0xDA, 0xD9):
            return 0  # hierarchical or arithmetic-coded, or no frame before the data
        pos += 2 + length
    return 0


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def _avif_by_pillow(data: bytes) -> Image.Image | None:
    """An AVIF file whose main brand is the generic "mif1" is taken by pillow-heif, whose
    libheif may lack an AV1 decoder; Pillow's own AVIF plugin (libavif), which reads AVIF
    files branded "avif", reads it. None if it is no AVIF or that plugin is missing."""
    size = int.from_bytes(data[:4], "big")
    brands = {data[i:i + 4] for i in range(8, min(size, 256), 4)} if data[4:8] == b"ftyp" \
        else set()
    if not brands & {b"avif", b"avis"}:
        return None
    try:
        from PIL import AvifImagePlugin

        return AvifImagePlugin.AvifImageFile(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - no libavif in this Pillow, or it refuses the file too
        return None


def _draft_embedded_thumbnail(image: Image.Image, edge: int) -> None:
    """Have pillow-heif decode the photo's embedded thumbnail (a few hundred pixels wide)
    instead of the photo: 15-30 ms instead of about a second for a 12 MP HEIC here. It takes
    only a thumbnail at least the size the photo is shown at and that is a scaled copy of it
    (same rotation, mirroring, crop and colour profile); otherwise the photo is decoded."""
    width, height = image.size  # upright already: libheif applies the photo's rotation
    scale = edge / max(width, height)
    if scale >= 1:
        return
    try:
        image.draft(None, (max(1, round(width * scale)), max(1, round(height * scale))))
    except Exception:  # noqa: BLE001, S110 - a broken thumbnail must not cost the photo
        pass


def _decode_raw(data: bytes | None, path: str | os.PathLike, min_size: tuple[int, int] | None,
                max_pixels: int, display_edge: int | None) -> tuple[Image.Image, int, int]:
    needed = max(min_size) if min_size is not None else display_edge
    picture = camera_raw.read(data, path, needed, max_pixels, _one_big_at_a_time)
    if picture.jpeg is not None:
        try:
            image, _, _ = decode(picture.jpeg, path, min_size, max_pixels, display_edge,
                                 orientation=picture.orientation)
            return image, picture.width, picture.height
        except PhotoReadError as damaged:
            # The camera's picture is damaged (a bad card sector, a raw tool's faulty write);
            # its sensor data may not be: developed, as for a raw without one.
            picture = _developed_instead(data, path, needed, max_pixels, damaged)
    return _apply_orientation(picture.image, picture.orientation), picture.width, picture.height


def _developed_instead(data: bytes | None, path: str | os.PathLike, needed: int | None,
                       max_pixels: int, damaged: PhotoReadError) -> camera_raw.RawPicture:
    """A raw's sensor data developed, its embedded picture found `damaged`; when that fails
    too, one error saying both."""
    try:
        return camera_raw.read(data, path, needed, max_pixels, _one_big_at_a_time,
                               develop=True)
    except PhotoReadError as error:
        if isinstance(error.__cause__, FileNotFoundError):  # gone meanwhile: said as gone
            raise
        raise PhotoReadError(path, "the picture embedded in this raw photo is damaged, and its "
                             f"sensor data cannot be developed either: {error.reason}",
                             error.hint) from damaged


def _load(image: Image.Image, data: bytes, path: str | os.PathLike,
          min_size: tuple[int, int] | None, width: int, height: int,
          orientation: int | None = None) -> tuple[Image.Image, int, int]:
    """The pixels of an opened image: decoded (small where it can), in RGB, turned upright
    (by `orientation` when given, else by its EXIF)."""
    told = orientation is not None
    if not told:
        orientation = _orientation(image)  # a PNG is decoded here already (its EXIF may trail)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    try:
        # MPO is a JPEG with more pictures after it (phones' Ultra HDR gain maps, 3D cameras):
        # its first picture is an ordinary JPEG, and is decoded small the same way.
        if min_size is not None and image.format in ("JPEG", "MPO"):
            # Orientation 5-8 swaps axes, so ask for the larger side in both directions.
            side = max(min_size)
            small = _decode_jpeg_small(data, image.mode, side)
            if small is not None:
                return _apply_orientation(small, orientation), width, height
            image.draft("RGB", (side, side))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # First frame of animations. Not for HEIF: pillow-heif opens at the primary image,
            # the picture viewers show, which is not always its first (and the size said above,
            # and the embedded thumbnail drafted, are the primary's).
            if image.format != "HEIF":
                image.seek(0)
            image.load()
            if not told and orientation != 1 and _orientation(image) == 1:
                # Pillow turned it while loading (TIFF does, and drops the tag): the loaded,
                # undrafted size is the full oriented size; turning it again would undo it.
                orientation = 1
                width, height = image.size
            image = _to_rgb(image)  # rebound first: the source is freed before the turn
            image = _apply_orientation(image, orientation)
    except PhotoReadError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise PhotoReadError(path, f"the image data is damaged or truncated ({exc})",
                             "If it is still being copied it will be retried; otherwise "
                             "re-export or remove it") from exc
    except MemoryError as exc:
        raise PhotoReadError(path, "not enough memory to decode this image") from exc
    return image, width, height


# Images made whole above this size are decoded one at a time across all threads (indexer,
# thumbnails, search): each takes up to about 10 bytes a pixel, 2 GB at the pixel limit, and a
# folder of panoramas in view had every thumbnail thread decoding one at once. So are camera
# raws developed from sensor data this big (a 4 KB DNG claiming 196 MP took 700 MB and 5 s).
BIG_PIXELS = 64_000_000  # above 48-50 MP phone photos: those still decode side by side
_big_decode = threading.Lock()


def _jpeg_scaled_pixels(size: tuple[int, int], side: int) -> int:
    """The most pixels a JPEG of `size` decoded by DCT scaling to at least `side` both ways
    has (_load): Pillow's draft, at the smallest of 1/8, 1/4, 1/2 and 1 whose sides are `side`
    or more; libjpeg-turbo's eighths, tried first, never give more."""
    width, height = size
    most = min(width // max(1, side), height // max(1, side))
    denominator = next((d for d in (8, 4, 2) if d <= most), 1)
    return -(-width // denominator) * -(-height // denominator)


@contextmanager
def _one_big_at_a_time(pixels: int) -> Iterator[None]:
    if pixels <= BIG_PIXELS:
        yield
        return
    with _big_decode:
        yield


def _unidentified(data: bytes, path: str | os.PathLike,
                  only_zeros: bool | None = None) -> PhotoReadError:
    """The error for a file no image decoder recognises, saying what it is where that is
    plain: "unknown format, open it in a viewer" does not help with a saved error page.
    `data` may be the file's start only; `only_zeros` then says whether the rest is zeros too."""
    start = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html")) or (start[:1] == b"<"
                                                          and b"<html" in start):
        return PhotoReadError(path, "this is a web page (HTML), not an image: probably a "
                              "download that saved an error or sign-in page instead of the photo",
                              "Download the photo again, or delete this file")
    if start[:1] == b"<" and b"<svg" in start:
        return PhotoReadError(path, "this is an SVG drawing, which Lookalike does not read",
                              "Export it as PNG or JPEG to have it found")
    if _is_text(data):
        return PhotoReadError(path, "this is a text file, not an image",
                              "Move it out of the photo folder, or name it for what it is "
                              "(such as .txt)")
    if only_zeros is None:
        only_zeros = data.count(0) == len(data)
    if only_zeros:
        return PhotoReadError(path, "the file holds only zero bytes, not an image: its contents "
                              "were lost (a crash or an unfinished copy)",
                              "If it is still being copied it will be retried; otherwise "
                              "restore it from a backup or copy it again")
    return PhotoReadError(path, "this is not an image Lookalike can read (unknown or damaged "
                          "format)", "Open it in an image viewer to check it")


def _is_text(data: bytes, sample: int = 4096) -> bool:
    """UTF-8 (or ASCII) with no control characters but line breaks and tabs."""
    head = data[:sample]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if len(data) <= sample or exc.start < sample - 3:  # not a character cut by the sample
            return False
        text = head[:exc.start].decode("utf-8")
    return bool(text.strip()) and all(c.isprintable() or c in "\t\r\n\f" for c in text)


def _orientation(image: Image.Image) -> int:
    """The EXIF Orientation tag (1-8), 1 when absent or unreadable."""
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - broken EXIF must not cost the photo
        return 1
    return value if value in range(1, 9) else 1


def _decode_jpeg_small(data: bytes, mode: str, side: int) -> Image.Image | None:
    """The indexing hot path: a JPEG decoded by DCT scaling to at least side x side, in RGB.

    libjpeg-turbo through simplejpeg with fast chroma upsampling: 15% less CPU than Pillow's draft
    mode on 12 MP camera photos (bench/results/core-index-speed.md), and the image is shrunk to
    the encoder's input right after, so the cheaper upsampling changes nothing that matters.
    None when this path does not apply (CMYK, or anything libjpeg-turbo flags): Pillow then decodes
    the file and reports its faults in the usual words.
    """
    if mode not in ("RGB", "L"):
        return None
    try:
        pixels = simplejpeg.decode_jpeg(data, colorspace="RGB", fastupsample=True,
                                        min_height=side, min_width=side)
    except (ValueError, MemoryError):
        return None
    return Image.fromarray(np.ascontiguousarray(pixels), "RGB")


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any mode (16-bit, CMYK, palette+alpha, LA...) -> RGB, transparent areas on white.

    Memory stays near the source plus the RGB result (a few bytes a pixel): a 200-megapixel
    16-bit or RGBA image took 4-6 GB through float64 arrays and whole-image RGBA copies.
    """
    if image.mode == "RGB":
        return image
    if image.mode == "CMYK":
        return _cmyk_to_rgb(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = _deep_gray_to_l(image)
    elif image.mode == "F":
        image = _float_to_l(image)
    if image.mode == "P" or image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        return _on_white(image)
    return image.convert("RGB")


def _cmyk_to_rgb(image: Image.Image) -> Image.Image:
    """Print files (CMYK JPEG/TIFF) through their embedded ICC profile, as viewers show them:
    the plain formula takes inks for ideal ones and turns a real separation dark and off-hue."""
    profile = image.info.get("icc_profile")
    if profile:
        try:
            from PIL import ImageCms
        except ImportError:  # a Pillow built without littlecms: the plain formula
            return image.convert("RGB")
        try:
            return ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                                             ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken profile must not cost the photo: the plain formula then
    return image.convert("RGB")


# round(v * 255 / 65535) for every 16-bit value v, as one table (no float arrays).
_SIXTEEN_TO_EIGHT = ((np.arange(65536, dtype=np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


def _deep_gray_to_l(image: Image.Image) -> Image.Image:
    """16/32-bit gray -> L. Files holding only 0..255 (8-bit values in a 16-bit file, as some
    tools write) are taken as they are rather than shown black."""
    arr = np.asarray(image)
    if image.mode == "I":  # signed 32-bit: out-of-range values clip instead of wrapping
        arr = np.clip(arr, 0, 65535)
    if arr.size and arr.max() <= 255:
        return Image.fromarray(arr.astype(np.uint8), "L")
    return Image.fromarray(_SIXTEEN_TO_EIGHT[arr], "L")


def _float_to_l(image: Image.Image) -> Image.Image:
    """Float TIFFs (scientific, HDR exports) are usually 0..1; Pillow's convert would clip those
    to black. Anything brighter is taken as 0..255. One float32 copy, changed in place."""
    arr = np.array(image, dtype=np.float32)
    np.nan_to_num(arr, copy=False, nan=0.0, posinf=255.0, neginf=0.0)
    if arr.size and arr.max() <= 1.0:
        arr *= 255.0
    np.clip(arr, 0, 255, out=arr)
    np.rint(arr, out=arr)
    return Image.fromarray(arr.astype(np.uint8), "L")


_BAND_PIXELS = 1 << 20  # composited a band of rows at a time: about 4 MB of RGBA each


def _on_white(image: Image.Image) -> Image.Image:
    """Transparent and translucent pixels composited on white, band by band (the same
    per-pixel arithmetic as the whole image at once, without its RGBA copies)."""
    width, height = image.size
    out = Image.new("RGB", image.size, (255, 255, 255))
    rows = max(1, _BAND_PIXELS // max(1, width))
    for top in range(0, height, rows):
        band = image.crop((0, top, width, min(height, top + rows))).convert("RGBA")
        white = Image.new("RGBA", band.size, (255, 255, 255, 255))
        out.paste(Image.alpha_composite(white, band).convert("RGB"), (0, top))
    return out


_ORIENTATION_OPS = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def _apply_orientation(image: Image.Image, orientation: int) -> Image.Image:
    """Turn the pixels the way the camera's EXIF Orientation tag (1-8) says they are shown."""
    for op in _ORIENTATION_OPS.get(orientation, ()):
        image = image.transpose(op)
    return image


@crash_journal.records_decoding
def load_picture(path: str | os.PathLike, min_size: tuple[int, int] | None = None,
                 display_edge: int | None = None) -> tuple[Image.Image, int, int]:
    """A photo's picture to show (thumbnails, the preview), as decode gives it: of a camera
    raw, LibRaw reads only the parts of the file it needs (its embedded picture: a few MB of a
    25-80 MB raw); any other file is read whole, as decode needs it. Raises PhotoReadError."""
    if camera_raw.is_raw_name(path) and camera_raw.looks_like_raw(read_start(path)):
        try:
            return _decode_raw(None, path, min_size, MAX_PIXELS, display_edge)
        except camera_raw.PlainTiff:
            pass  # an exported or scanned TIFF named as a raw: read whole, as the TIFF it is
    return decode(read_bytes(path), path, min_size=min_size, display_edge=display_edge)


def load_photo(path: str | os.PathLike, min_size: tuple[int, int] | None = None,
               max_pixels: int = MAX_PIXELS) -> LoadedPhoto:
    """Read, fingerprint and decode one photo. Raises PhotoReadError naming the file."""
    data = read_bytes(path)
    image, width, height = decode(data, path, min_size=min_size, max_pixels=max_pixels)
    return LoadedPhoto(os.fspath(path), image, width, height, fingerprint_bytes(data), len(data))


def read_image(path: str | os.PathLike, min_size: tuple[int, int] | None = None) -> Image.Image:
    return load_photo(path, min_size=min_size).image
