"""Reading photos: every format people have, EXIF orientation applied, big JPEGs decoded small.

Files are read into memory once; the same bytes give the content fingerprint and the decode, so a
photo is never read from disk twice. Of a file over 16 MiB, only the start is read until it looks
like an image: a video or disk image with a photo's name costs 64 KiB, not its whole size.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import stat
import struct
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import simplejpeg
import xxhash
from PIL import Image, ImageFile, UnidentifiedImageError

from .errors import PhotoReadError

if TYPE_CHECKING:  # imported when a profile is met: a Pillow without littlecms lacks it
    from PIL import ImageCms

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
})


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
    try:
        kind = _special_kind(os.stat(path))  # checked first: opening a FIFO alone can block
        if kind is not None:
            raise PhotoReadError(path, f"this is {kind}, not a photo file", "Give a photo file")
        with open(path, "rb", buffering=0) as file:
            if os.fstat(file.fileno()).st_size <= READ_WHOLE_BYTES:  # (a pipe's size is 0)
                return file.read()
            return _read_if_image(file, path)
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


def decode(data: bytes, path: str | os.PathLike, min_size: tuple[int, int] | None = None,
           max_pixels: int = MAX_PIXELS, display_edge: int | None = None,
           ) -> tuple[Image.Image, int, int]:
    """Bytes -> (RGB image with EXIF orientation applied, full width, full height).

    With `min_size`, JPEGs are decoded by DCT scaling (Pillow's draft mode) to the smallest size
    that is still at least `min_size` in both directions: 4-6x faster for camera photos.
    `display_edge` is for pictures shown, never for codes: an HEIC's embedded thumbnail that
    still fills a display_edge square once fitted in it is decoded instead of the photo, and the
    file's RGB colour profile (or one made from its nclx colour description) is kept in the
    result's info["icc_profile"] (decoding small drops it) for `to_srgb_for_display`.
    """
    if not data:
        raise PhotoReadError(path, "the file is empty (0 bytes)",
                             "It may still be copying; it will be retried when it changes")
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
    shown_profile = _rgb_profile(image, data) if display_edge is not None else None
    if display_edge is not None and image.format == "HEIF":
        _draft_embedded_thumbnail(image, display_edge)
    # DCT-scaled JPEGs decode small; anything else is made whole (a progressive JPEG keeps all
    # its coefficients while scaling), so big ones wait their turn.
    scaled = (min_size is not None and image.format in ("JPEG", "MPO")
              and not image.info.get("progressive"))
    with _one_big_at_a_time(0 if scaled else image.width * image.height):
        try:
            return _shown(_load(image, data, path, min_size, width, height), display_edge,
                          shown_profile)
        except RuntimeError as exc:  # libheif's own: no decoder for this compression here
            if image.format != "HEIF":  # none of libheif's: a fault of ours, to be reported
                raise
            avif = _avif_by_pillow(image, data)
            if avif is not None:
                with contextlib.suppress(RuntimeError):
                    # Its own size: libheif's is turned upright already, Pillow's turns by the
                    # orientation it reads from the file's irot/imir (as EXIF), as _load does.
                    return _shown(_load(avif, data, path, min_size, *avif.size),
                                  display_edge, shown_profile)
            raise PhotoReadError(path, f"this image cannot be decoded here ({exc})",
                                 "Convert it to JPEG or PNG to have it found") from exc


def _avif_by_pillow(image: Image.Image, data: bytes) -> Image.Image | None:
    """An AVIF file whose main brand is the generic "mif1" is taken by pillow-heif, whose
    libheif may lack an AV1 decoder; Pillow's own AVIF plugin (libavif), which reads AVIF
    files branded "avif", reads it. None if it is no AVIF or that plugin is missing."""
    size = int.from_bytes(data[:4], "big")
    brands = {data[i:i + 4] for i in range(8, min(size, 256), 4)} if data[4:8] == b"ftyp" \
        else set()
    if image.format != "HEIF" or not brands & {b"avif", b"avis"}:
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


def _load(image: Image.Image, data: bytes, path: str | os.PathLike,
          min_size: tuple[int, int] | None, width: int, height: int,
          ) -> tuple[Image.Image, int, int]:
    """The pixels of an opened image: decoded (small where it can), in RGB, turned upright."""
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
            if orientation != 1 and _orientation(image) == 1:
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
# folder of panoramas in view had every thumbnail thread decoding one at once.
BIG_PIXELS = 64_000_000  # above 48-50 MP phone photos: those still decode side by side
_big_decode = threading.Lock()


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


# -- pictures shown, in sRGB -----------------------------------------------------------------
# Display only: codes are made from a file's numbers as stored, whatever its profile (converting
# those would change the codes of every library already indexed).

def _rgb_profile(image: Image.Image, data: bytes) -> bytes | None:
    """The ICC profile an RGB or palette picture's file embeds, or else the one its nclx colour
    description stands for (HEIC, AVIF); None for any other picture (a CMYK file's profile is
    used by _cmyk_to_rgb already, a gray one's changes little)."""
    if image.mode not in ("RGB", "RGBA", "RGBX", "P", "PA"):
        return None
    profile = image.info.get("icc_profile")
    if not isinstance(profile, bytes):
        # pillow-heif gives the nclx box; Pillow's own AVIF plugin drops it: read from the file.
        nclx = image.info.get("nclx_profile")
        if nclx is None and image.format == "AVIF":
            nclx = _avif_nclx(data)
        return nclx_icc_profile(nclx)
    return profile if profile[16:20] == b"RGB " else None  # the header's colour space


def _shown(result: tuple[Image.Image, int, int], display_edge: int | None,
           profile: bytes | None) -> tuple[Image.Image, int, int]:
    """On the display path, the picture carries the file's RGB profile (or none) in its info."""
    if display_edge is not None:
        result[0].info.pop("icc_profile", None)  # convert() copies a gray or CMYK one
        if profile is not None:
            result[0].info["icc_profile"] = profile
    return result


def to_srgb_for_display(image: Image.Image) -> Image.Image:
    """A picture from decode(display_edge=...) in sRGB, as screens and Qt take its numbers: a
    Display P3 (phones), Adobe RGB (cameras) or ProPhoto (Lightroom) photo shown as stored looks
    dull or off-hue. Meant for the small picture shown: about 17 ns a pixel here, 0.3 ms for a
    160-pixel thumbnail. The profile is the file's own or one made from its nclx colour
    description (decode puts either in info["icc_profile"]). The same picture is returned when
    it has no RGB profile, an sRGB one, or a broken one."""
    profile = image.info.get("icc_profile")
    if image.mode != "RGB" or not isinstance(profile, bytes) or profile[16:20] != b"RGB ":
        return image
    transform = _srgb_transform(profile)
    return image if transform is None else transform.apply(image)


# Transforms by the hash of the profile: a library has a handful of distinct profiles, and
# building one (with its probe) takes 5-15 ms. Bounded, for a folder of scans each with its own.
_transforms: dict[str, ImageCms.ImageCmsTransform | None] = {}
_transforms_lock = threading.Lock()
_KEEP_TRANSFORMS = 32


def _srgb_transform(profile: bytes) -> ImageCms.ImageCmsTransform | None:
    # Keyed without the header's creation date (bytes 24-36) and profile ID (84-100): profiles
    # made by LittleCMS (GIMP, darktable exports) differ in those alone, one per session.
    key = xxhash.xxh3_128_hexdigest(profile[:24] + bytes(12) + profile[36:84] + bytes(16)
                                    + profile[100:])
    with _transforms_lock:
        if key not in _transforms:
            if len(_transforms) >= _KEEP_TRANSFORMS:
                del _transforms[next(iter(_transforms))]  # the oldest
            _transforms[key] = _build_srgb_transform(profile)
        return _transforms[key]


# Colours across the whole 8-bit cube, 8 steps a channel: what a profile does to a photo.
_LEVELS = np.linspace(0, 255, 8).round().astype(np.uint8)
_PROBE = np.stack(np.meshgrid(_LEVELS, _LEVELS, _LEVELS, indexing="ij"), -1).reshape(1, -1, 3)


def _build_srgb_transform(profile: bytes) -> ImageCms.ImageCmsTransform | None:
    """Profile -> sRGB transform; None when it changes no colour by more than 2 steps (an sRGB
    profile: that photo is shown exactly as before, at no cost) or cannot be used."""
    try:
        from PIL import ImageCms
    except ImportError:  # a Pillow built without littlecms: shown as stored
        return None
    try:
        transform = ImageCms.buildTransform(ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                                            ImageCms.createProfile("sRGB"), "RGB", "RGB")
        probe = np.asarray(transform.apply(Image.fromarray(_PROBE, "RGB")), np.int16)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None  # a broken profile must not cost the picture: shown as stored
    return transform if np.abs(probe - _PROBE).max() > 2 else None


# -- profiles for nclx colour descriptions ---------------------------------------------------
# HEIC and AVIF files may describe their colours by ITU-T H.273 code points (an "nclx" box,
# which pillow-heif gives as info["nclx_profile"], a dict) instead of an ICC profile: phones and
# exporters write Display P3 or BT.2020 that way. The matching ICC profile is made here, so
# those pictures go through the same transforms as embedded profiles.

D65, D50 = (0.3127, 0.3290), (0.3457, 0.3585)
_BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367],
                      [0.0389, -0.0685, 1.0296]])
# ICC parametric curves (type 3: g, a, b, c, d), from stored value to linear light.
SRGB_CURVE = (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)
BT709_CURVE = (1 / 0.45, 1 / 1.099, 0.099 / 1.099, 1 / 4.5, 0.081)  # the camera curve, inverted

# colour_primaries -> red, green, blue (x, y), all with a D65 white. 1 (BT.709) has the sRGB
# primaries: shown as stored, as before. Others (BT.601, DCI white...) are rare in photos.
_NCLX_PRIMARIES = {
    9: ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046)),  # BT.2020
    12: ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)),  # Display P3 (SMPTE EG 432-1)
}
# transfer_characteristics -> curve, SDR ones only. HDR (16 PQ, 18 HLG) needs tone mapping to
# fit an SDR screen, which a profile cannot do: those pictures are shown as stored.
_NCLX_CURVES: dict[int, float | tuple[float, ...]] = {
    1: BT709_CURVE, 6: BT709_CURVE, 14: BT709_CURVE, 15: BT709_CURVE,  # BT.709/601/2020
    13: SRGB_CURVE, 4: 2.2, 5: 2.8,
}


def nclx_icc_profile(nclx: object) -> bytes | None:
    """The ICC profile for an nclx colour description as pillow-heif gives it (a dict with
    color_primaries and transfer_characteristics); None when the picture needs no conversion
    (BT.709/sRGB primaries) or cannot be converted (HDR, unknown or unspecified code points)."""
    if not isinstance(nclx, dict):
        return None
    primaries, transfer = nclx.get("color_primaries"), nclx.get("transfer_characteristics")
    if primaries not in _NCLX_PRIMARIES or transfer not in _NCLX_CURVES:
        return None
    return _nclx_profile(primaries, transfer)


def _avif_nclx(data: bytes) -> dict[str, int] | None:
    """The nclx colour description of an AVIF file's primary image, in pillow-heif's keys: its
    "colr" property (meta > iprp > ipco) that meta > iprp > ipma gives the item meta > pitm
    names. None when it has none, or its boxes cannot be read (shown as stored then)."""
    try:
        meta = _child(data, 0, len(data), b"meta")
        if meta is None:
            return None
        start, end = meta[0] + 4, meta[1]  # a full box: version and flags first
        pitm, iprp = _child(data, start, end, b"pitm"), _child(data, start, end, b"iprp")
        if pitm is None or iprp is None:
            return None
        primary = int.from_bytes(data[pitm[0] + 4:pitm[0] + (6 if data[pitm[0]] == 0 else 8)])
        ipco, ipma = _child(data, *iprp, b"ipco"), _child(data, *iprp, b"ipma")
        if ipco is None or ipma is None:
            return None
        properties = list(_boxes(data, *ipco))
        for index in _associations(data, ipma[0], primary):
            if not 0 < index <= len(properties):  # 1-based; 0 means none
                continue
            kind, body, _ = properties[index - 1]
            if kind == b"colr" and data[body:body + 4] == b"nclx":
                colour, transfer, matrix = struct.unpack_from(">HHH", data, body + 4)
                return {"color_primaries": colour, "transfer_characteristics": transfer,
                        "matrix_coefficients": matrix, "full_range_flag": data[body + 10] >> 7}
    except (struct.error, IndexError):
        return None
    return None


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """The ISO-BMFF boxes in data[start:end]: (type, where its body starts, where it ends)."""
    while start + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, start)
        body = start + 8
        if size == 1:  # a 64-bit size follows
            size, body = struct.unpack_from(">Q", data, body)[0], body + 8
        elif size == 0:  # to the end
            size = end - start
        if size < body - start or start + size > end:
            return
        yield kind, body, start + size
        start += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    return next(((body, stop) for found, body, stop in _boxes(data, start, end)
                 if found == kind), None)


def _associations(data: bytes, ipma: int, item: int) -> list[int]:
    """The property indexes the ipma box at `ipma` (its body) gives `item`."""
    version, wide = data[ipma], data[ipma + 3] & 1
    count = int.from_bytes(data[ipma + 4:ipma + 8])
    at = ipma + 8
    for _ in range(count):
        id_size = 2 if version < 1 else 4
        found = int.from_bytes(data[at:at + id_size])
        n, at = data[at + id_size], at + id_size + 1
        step = 2 if wide else 1
        indexes = [int.from_bytes(data[at + i * step:at + (i + 1) * step]) & (0x7FFF if wide
                                                                              else 0x7F)
                   for i in range(n)]
        if found == item:
            return indexes
        at += n * step
    return []


@functools.lru_cache(maxsize=32)
def _nclx_profile(primaries: int, transfer: int) -> bytes:
    # Made once per pair (about 0.1 ms); the same bytes each time, so one transform is kept.
    return rgb_icc_profile(f"nclx {primaries}/{transfer}", _NCLX_PRIMARIES[primaries], D65,
                           _NCLX_CURVES[transfer])


def _xyz(xy: tuple[float, float]) -> np.ndarray:
    x, y = xy
    return np.array([x / y, 1.0, (1 - x - y) / y])


def _adapt(source_white: tuple[float, float], target_white: tuple[float, float]) -> np.ndarray:
    """Bradford chromatic adaptation, as ICC profiles and LittleCMS use it."""
    cone = _BRADFORD @ _xyz(target_white) / (_BRADFORD @ _xyz(source_white))
    return np.linalg.inv(_BRADFORD) @ np.diag(cone) @ _BRADFORD


def _rgb_to_xyz(primaries, white) -> np.ndarray:
    """Linear RGB -> XYZ under the space's own white (white maps to Y = 1)."""
    columns = np.stack([_xyz(p) for p in primaries], axis=1)
    return columns * np.linalg.solve(columns, _xyz(white))


def rgb_icc_profile(name: str, primaries, white: tuple[float, float],
                    curve: float | tuple[float, ...]) -> bytes:
    """An ICC v4 matrix/TRC RGB display profile, as phones and cameras embed (about 600 bytes):
    `primaries` red, green, blue and `white` as (x, y); `curve` a gamma or an ICC parametric
    curve (g, a, b, c, d) such as SRGB_CURVE."""
    def s15(*values: float) -> bytes:
        return b"".join(struct.pack(">i", round(v * 65536)) for v in values)

    def mluc(text: str) -> bytes:
        utf16 = text.encode("utf-16-be")
        return b"mluc\0\0\0\0" + struct.pack(">II4sII", 1, 12, b"enUS", len(utf16), 28) + utf16

    def xyz_tag(v) -> bytes:
        return b"XYZ \0\0\0\0" + s15(*v)

    colorants = _adapt(white, D50) @ _rgb_to_xyz(primaries, white)  # the PCS is D50
    params = (curve,) if isinstance(curve, float) else curve
    trc = b"para\0\0\0\0" + struct.pack(">HH", 0 if len(params) == 1 else 3, 0) + s15(*params)
    tags = [(b"desc", mluc(name)), (b"cprt", mluc("No copyright, use freely")),
            (b"wtpt", xyz_tag(_xyz(D50))), (b"rXYZ", xyz_tag(colorants[:, 0])),
            (b"gXYZ", xyz_tag(colorants[:, 1])), (b"bXYZ", xyz_tag(colorants[:, 2])),
            (b"rTRC", trc), (b"gTRC", trc), (b"bTRC", trc)]
    table, body = b"", b""
    start = 128 + 4 + 12 * len(tags)
    for signature, data in tags:
        table += signature + struct.pack(">II", start + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    header = (struct.pack(">I", start + len(body)) + b"\0" * 4 + bytes([4, 0x30, 0, 0])
              + b"mntrRGB XYZ " + b"\0" * 12 + b"acsp" + b"\0" * 28 + s15(*_xyz(D50)))
    header += b"\0" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + body


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


def load_photo(path: str | os.PathLike, min_size: tuple[int, int] | None = None,
               max_pixels: int = MAX_PIXELS) -> LoadedPhoto:
    """Read, fingerprint and decode one photo. Raises PhotoReadError naming the file."""
    data = read_bytes(path)
    image, width, height = decode(data, path, min_size=min_size, max_pixels=max_pixels)
    return LoadedPhoto(os.fspath(path), image, width, height, fingerprint_bytes(data), len(data))


def read_image(path: str | os.PathLike, min_size: tuple[int, int] | None = None) -> Image.Image:
    return load_photo(path, min_size=min_size).image
