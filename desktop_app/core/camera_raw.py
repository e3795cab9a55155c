"""Camera raw files (DNG, CR2, CR3, NEF, ARW, RAF, ORF, RW2, ...): the camera's picture in them.

A raw file holds the sensor's data and, beside it, a JPEG the camera made of the photo (full size
on most cameras since about 2010). That JPEG is what the camera's screen and other photo viewers
show, and it decodes through the same checked path as any JPEG (58 ms for a 24 MP raw on a
2-core EPYC, bench/results/raw-read-speed.md); developing the sensor data took LibRaw 378 ms at
half size, in a look of its own (not the camera's picture style). So the embedded picture is
taken when it is big enough for what is asked, and the sensor data is developed (at half size)
only when there is none, it is too small (old cameras kept a 160x120 thumbnail) or its JPEG is
damaged (images asks for the development then). LibRaw, through rawpy, reads the containers:
hundreds of camera models whose ways of storing the picture change with each one, which code of
ours could not follow. A plain TIFF named as a raw (an export, a scan) is told apart, to be read
as the TIFF it is (PlainTiff).
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import rawpy
from PIL import Image

from .errors import PhotoReadError

# The suffixes cameras give their raw files. Not ".raw" alone: disk images and sound carry it too.
RAW_EXTENSIONS = frozenset({
    ".dng",  # Adobe, and the phones' ProRAW / Expert RAW
    ".cr2", ".cr3", ".crw",  # Canon
    ".nef", ".nrw",  # Nikon
    ".arw", ".srf", ".sr2",  # Sony
    ".raf",  # Fujifilm
    ".orf",  # Olympus / OM System
    ".rw2", ".rwl",  # Panasonic, Leica
    ".pef",  # Pentax
    ".srw",  # Samsung
    ".x3f",  # Sigma
    ".3fr", ".fff",  # Hasselblad
    ".iiq",  # Phase One
    ".erf", ".kdc", ".dcr",  # Epson, Kodak
    ".mrw",  # Minolta
    ".mos", ".mef",  # Leaf, Mamiya
})

# How raw files start: TIFF (DNG, CR2, NEF, ARW, PEF, ...) and the containers of their own.
_SIGNATURES = (b"II*\0", b"MM\0*", b"IIRO", b"IIRS", b"MMOR", b"IIU\0", b"FUJIFILM", b"FOVb",
               b"\0MRM")

# LibRaw's sizes.flip -> the EXIF Orientation that shows the picture the same way (LibRaw reads
# a raw's Orientation 1-8 as 0, 1, 3, 2, 4, 6, 7, 5: bit 4 swaps the axes). The mirrored ones
# (2, 4, 5, 7) are rare, but a raw editor's or a phone's DNG may say them.
_FLIP_TO_ORIENTATION = {0: 1, 1: 2, 2: 4, 3: 3, 4: 5, 5: 8, 6: 6, 7: 7}

# An embedded picture smaller than this on its long side is not taken for a picture asked at no
# size (a photo viewed whole): old cameras' previews (640x424) look soft; develop instead.
WHOLE_PICTURE_SIDE = 1024


def is_raw_name(path: str | os.PathLike) -> bool:
    return os.path.splitext(os.fsdecode(path))[1].lower() in RAW_EXTENSIONS


def looks_like_raw(head: bytes) -> bool:
    """Whether a file's first bytes are those of a raw container (as far as they tell)."""
    return (head.startswith(_SIGNATURES) or head[4:12] == b"ftypcrx "  # CR3: ISO BMFF
            or head[6:14] == b"HEAPCCDR")  # CRW (Canon's CIFF)


@dataclass
class RawPicture:
    """What a raw file gives: the camera's embedded JPEG (`jpeg`, decoded as any JPEG) or its
    pixels (`image`: the developed sensor data, upright already), to be turned by
    `orientation` (the raw's own: an embedded picture is stored as the sensor lies, whatever
    its own EXIF says); and the photo's full size, upright."""
    width: int
    height: int
    orientation: int = 1
    jpeg: bytes | None = None
    image: Image.Image | None = None


class PlainTiff(Exception):
    """A file named as a raw that is a plain TIFF (an exported picture, a scan): LibRaw found
    no raw photo in it, and none of its pictures is sensor data. It is read as the TIFF it is."""


def read(data: bytes | None, path: str | os.PathLike, needed_side: int | None,
         max_pixels: int,
         one_at_a_time: Callable[[int], contextlib.AbstractContextManager[object]] = (
             contextlib.nullcontext), develop: bool = False) -> RawPicture:
    """The picture of a raw file's bytes: its embedded JPEG when that is at least `needed_side`
    pixels on its long side (None: a photo asked whole, WHOLE_PICTURE_SIDE), else developed;
    with `develop`, developed whatever it embeds (images: its JPEG turned out damaged).
    With `data` None, LibRaw reads the file at `path` itself, only the parts it needs: a
    thumbnail of a 50 MB raw reads its embedded picture, a few MB (on a network share, the
    difference between seconds and a blink). The development runs inside
    `one_at_a_time(sensor pixels)` (images: a big one waits for the others; about 5 bytes a
    sensor pixel, 265 MB for 48 MP). Raises PlainTiff for a plain TIFF named as a raw file, and
    PhotoReadError naming the file, the cause and what to do."""
    try:
        with opened(data, path) as raw:
            sizes = raw.sizes
            orientation = _FLIP_TO_ORIENTATION.get(sizes.flip, 1)
            width, height = sizes.width, sizes.height
            if orientation in (5, 6, 7, 8):
                width, height = height, width
            if width * height > max_pixels:
                raise PhotoReadError(path, f"the raw photo is {width}x{height} pixels, over "
                                     f"the {max_pixels // 1_000_000}-megapixel safety limit",
                                     "Lookalike leaves images this large out; to have it "
                                     "found, export a JPEG of it beside it")
            picture = None if develop else _embedded(raw, needed_side or WHOLE_PICTURE_SIDE)
            if picture is not None:
                picture.width, picture.height, picture.orientation = width, height, orientation
                return picture
            # Half size: one pixel from each 2x2 block of sensor sites, no interpolation (4x
            # less work and memory than a full development); enough for codes and thumbnails.
            with one_at_a_time(width * height):
                pixels = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)
            # LibRaw turned it upright already. A monochrome camera's (Leica M Monochrom, Pentax
            # K-3 III Monochrome) has one channel.
            if pixels.shape[2] == 1:
                image = Image.fromarray(np.ascontiguousarray(pixels[:, :, 0])).convert("RGB")
            else:
                image = Image.fromarray(np.ascontiguousarray(pixels))
            return RawPicture(width, height, image=image)
    except PhotoReadError:
        raise
    except (rawpy.LibRawError, MemoryError, OSError, ValueError) as exc:
        if isinstance(exc, rawpy.LibRawFileUnsupportedError) and is_plain_tiff(data, path):
            raise PlainTiff(path) from exc
        error = _said(exc, data, path)
        raise error from error.__cause__ or exc


def _said(exc: Exception, data: bytes | None, path: str | os.PathLike) -> PhotoReadError:
    """LibRaw's error as one sentence naming the file, the cause and what to do."""
    if data is None and not os.path.exists(path):
        # Gone between its first bytes and LibRaw's open, which says "too big" of a file it
        # cannot open: the cause is FileNotFoundError, as for a read (the indexer's "gone").
        error = PhotoReadError(path, "the file no longer exists (deleted or moved while "
                               "reading)", "Nothing to do; it will be picked up where it went")
        error.__cause__ = FileNotFoundError(path)
        return error
    if isinstance(exc, rawpy.LibRawFileUnsupportedError):
        # LibRaw says the same of a file cut short before its picture's description.
        return PhotoReadError(path, f"LibRaw {'.'.join(map(str, rawpy.libraw_version))} cannot "
                              "read this camera raw file: it is cut short or damaged, or from "
                              "a camera newer than this Lookalike", "If it is still being "
                              "copied it will be retried; otherwise export a JPEG of it beside "
                              "it to have it found, or update Lookalike")
    if isinstance(exc, (rawpy.LibRawUnsufficientMemoryError, rawpy.LibRawTooBigError,
                        rawpy.LibRawMemPoolOverflowError, MemoryError)):
        return PhotoReadError(path, "not enough memory to read this raw photo",
                              "Close other programs; it is retried when the file changes")
    return PhotoReadError(path, f"the raw photo's data is damaged or cut short ({_words(exc)})",
                          "If it is still being copied it will be retried; otherwise open it "
                          "in your raw editor to check it")


def _words(exc: Exception) -> str:
    """What an error says: LibRaw's words come as bytes, which were shown as b'Input/output
    error'."""
    said = exc.args[0] if len(exc.args) == 1 else exc
    return said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)


def opened(data: bytes | None, path: str | os.PathLike) -> rawpy.RawPy:
    """LibRaw opened on `data`, or with `data` None on the file at `path` (which it reads only
    in part); a name not in UTF-8 is given as the whole file's bytes. Raises what rawpy does."""
    if data is None:
        try:
            return rawpy.imread(os.fspath(path))
        except UnicodeEncodeError:  # a name not in UTF-8 (Linux), which rawpy cannot pass on
            with open(path, "rb") as file:
                data = file.read()
    return rawpy.imread(io.BytesIO(data))


def _embedded(raw: rawpy.RawPy, needed_side: int) -> RawPicture | None:
    """The camera's embedded JPEG when it is big enough, else None. Not a bitmap thumbnail
    (old cameras' 160x120, a Leica M9's 320x240): rawpy gives it as an array of the size its
    header claims over LibRaw's buffer of the size its data has, unchecked, so a damaged one
    (a 270 KB DNG whose thumbnail claims 2000x1500 and holds 3 KB) read past the buffer and
    crashed the app; and LibRaw turns a 16-bit one upright but not an 8-bit one."""
    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    if thumb.format != rawpy.ThumbFormat.JPEG:
        return None  # its pixels never read: the sensor data is developed instead
    try:
        with Image.open(io.BytesIO(thumb.data)) as header:
            long_side = max(header.size)
    except Exception:  # noqa: BLE001 - a damaged preview: the sensor data may still be good
        return None
    return RawPicture(0, 0, jpeg=thumb.data) if long_side >= needed_side else None


# TIFF tags, and the PhotometricInterpretation values of raw sensor data: a colour filter
# array's mosaic (CFA) and a DNG's LinearRaw (a monochrome camera's, or demosaiced).
_PHOTOMETRIC, _SUB_IFDS, _DNG_VERSION = 262, 330, 50706
_SENSOR_DATA = frozenset({32803, 34892})
_MAX_IFDS, _MAX_ENTRIES = 64, 4096  # past these the file is not taken for a plain TIFF


def is_plain_tiff(data: bytes | None, path: str | os.PathLike) -> bool:
    """Whether a file LibRaw refused as no raw is a plain TIFF: each of its pictures (pages
    and their SubIFDs) says how its pixels are meant (PhotometricInterpretation), none as
    sensor data, and it has no DNG version. Asked only of a file LibRaw refused, not instead of
    LibRaw, since raws of some makers store their sensor data as a plain-looking picture (LibRaw
    knows them by their camera). One whose pictures cannot all be walked (cut short, damaged)
    is not: it is the raw LibRaw says it cannot read, not one of its pictures (a DNG's
    thumbnail) shown as the photo."""
    try:
        with (io.BytesIO(data) if data is not None else open(path, "rb")) as file:
            return _tiff_pictures_are_plain(file)
    except (OSError, ValueError, struct.error):
        return False


def _tiff_pictures_are_plain(file: io.BufferedIOBase) -> bool:
    head = file.read(8)
    order = {b"II": "<", b"MM": ">"}.get(head[:2])
    if order is None or len(head) < 8 or struct.unpack(order + "H", head[2:4])[0] != 42:
        return False
    pending, seen = [struct.unpack(order + "I", head[4:8])[0]], set()
    while pending:
        at = pending.pop()
        if at in seen or len(seen) >= _MAX_IFDS:
            return False
        seen.add(at)
        file.seek(at)
        count = struct.unpack(order + "H", file.read(2))[0]
        if not 0 < count <= _MAX_ENTRIES:
            return False
        ifd = file.read(12 * count + 4)
        photometric = None
        for entry in range(0, 12 * count, 12):
            tag, kind, n = struct.unpack_from(order + "HHI", ifd, entry)
            if tag == _DNG_VERSION:
                return False
            if tag == _PHOTOMETRIC and kind == 3:  # SHORT
                photometric = struct.unpack_from(order + "H", ifd, entry + 8)[0]
            elif tag == _SUB_IFDS:
                if kind not in (4, 13) or not 0 < n <= _MAX_IFDS:  # LONG, IFD
                    return False  # pictures it cannot walk, maybe the sensor data
                if n > 1:
                    file.seek(struct.unpack_from(order + "I", ifd, entry + 8)[0])
                    pending.extend(struct.unpack(f"{order}{n}I", file.read(4 * n)))
                else:
                    pending.append(struct.unpack_from(order + "I", ifd, entry + 8)[0])
        if photometric is None or photometric in _SENSOR_DATA:
            return False
        following = struct.unpack_from(order + "I", ifd, 12 * count)[0]
        if following:
            pending.append(following)
    return True
