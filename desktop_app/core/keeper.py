"""Which photo of a duplicate group to keep: the one a photographer would, from what is cheap to
know. Each photo of a group (never the whole library) costs one stat, and each content one
header read: about 0.13 ms a JPEG (Pillow reads its first kilobytes), with the files in the
page cache (2-core Xeon); the biggest file took 3 us. A HEIC's is read from its boxes, 64-128 KB
whatever its size, 0.1-0.2 ms, where pillow-heif read the whole file: 12 ms and 8 MB for an
8 MB HEIC, 55 ms and 40 MB for a 40 MB one (2-core EPYC). LibRaw reads a camera raw file's
header, the parts that describe the photo: 20 KB of a 49 MB DNG, 0.1-0.13 ms (a JPEG's 0.06 ms
on that 2-core EPYC). Byte-identical copies (the library's fingerprint, their stat as when
indexed) have one header: it is read once, and not at all for
a group of copies of one content (equal headers decide nothing). 1,000 groups of three copies
of an 8 MB HEIC took 35 s reading each, 0.1 s now; on a NAS, 10,000 read 80 GB (minutes).

The biggest file, kept before, trashed an iPhone's HEIC for its bigger JPEG conversion, a camera
JPEG for its PNG export, and a JPEG with its date taken for an editor's bigger re-save without
it. The order, best first (the first that differs decides):
1. the camera's raw file (one LibRaw reads, not a name alone): a camera shooting RAW+JPEG puts
   the same picture in both, and the JPEG, as any export of the raw, is a rendering of it;
2. more pixels: a resized copy (mail, a messenger) loses detail; but not more than a photo of
   the group whose camera's EXIF records its own size has: a copy bigger than the camera took
   it (an AI upscaler's output, an editor's enlargement), without that EXIF or with a smaller
   size in it, holds no more detail, and lost the date taken;
3. the camera's EXIF data (maker, model or date taken): a conversion or export often drops it;
4. a phone's own format (HEIC/HEIF) over a conversion of it;
5. no copy marker in the name ("IMG_1 (1)", "IMG_1 copy", "IMG_1 - Copy", "IMG_1 - Kopie",
   "IMG_1-2") where another photo of the group has the name without it;
6. the bigger file (same pixels, same kind: the less compressed);
7. the older file (a copy is written after its original);
8. the shorter path, then the path: the same group always keeps the same photo.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import BinaryIO

import rawpy
from PIL import Image

from ..log import Shown
from . import camera_raw, crash_journal, heif_boxes, images  # noqa: F401  (images: the HEIF opener, no pixel limit)
from .duplicates import SearchStopped
from .hashing import HammingIndex, hamming_distances
from .records import Match, same_content_stamps
from .scan import change_time

log = logging.getLogger(__name__)

_PHONE_FORMATS = frozenset({"HEIF"})  # Pillow's name for HEIC/HEIF (pillow-heif)
_EXIF_IFD = 0x8769
_MAKE, _MODEL, _DATE_TAKEN = 0x010F, 0x0110, 0x9003
_PIXEL_X, _PIXEL_Y = 0xA002, 0xA003  # the size the camera took the photo at (Exif sub-IFD)

# "Copy" as Windows and macOS write it in the system's language (English, German and Dutch,
# French, Spanish, Italian and Portuguese, Polish and Swedish, Finnish).
_COPY = "(copy|kopie|copie|c[oó]pia|kopia|kopio)"

# Copy markers at the end of a name's stem, as file managers and apps add them.
_MARKERS = [re.compile(pattern, re.IGNORECASE) for pattern in (
    r"\s*\(\d+\)$",  # "IMG_1 (1)": browsers, KDE, GNOME; "IMG_1(1)": Google Takeout
    rf"\s+-\s+{_COPY}(\s*\(\d+\))?$",  # Windows: "IMG_1 - Copy (2)", "IMG_1 - Kopie"
    rf"\s+{_COPY}(\s+\d+)?$",  # macOS Finder: "IMG_1 copy", "IMG_1 copy 2", "IMG_1 Kopie"
    r"\s*\((another |\d+(st|nd|rd|th) )?copy\)$",  # older GNOME: "IMG_1 (copy)"
    r"[-_ ]\d{1,3}$",  # Lightroom, Photos exports: "IMG_1-2"
    rf"^{_COPY}\s+(of|von|de|di|van|av)\s+",  # Google Drive: "Copy of IMG_1", "Kopie von IMG_1"
)]

# Why the photo kept is kept, by the first criterion that sets it before the next best.
REASONS = ("the camera's raw file", "most pixels", "has the camera's EXIF (date taken, camera)",
           "the camera's own format (HEIC)",
           "name without a copy marker", "biggest file", "oldest file", "shortest path",
           "first by path")


@dataclass(frozen=True)
class Copy:
    """What the ranking knows of one photo of a group."""
    path: str
    pixels: int = 0  # 0: not known (the file is gone or its header unreadable, or not read)
    camera_exif: bool = False
    phone_format: bool = False
    size: int = -1
    mtime: float = float("inf")
    camera_pixels: int = 0  # the pixels its EXIF says the camera took (0: not recorded)
    camera_raw: bool = False  # a raw file LibRaw reads (not one by its name alone)


@dataclass(frozen=True)
class Header:
    """What a photo's header tells the ranking: the same for every copy of one content."""
    pixels: int = 0
    camera_exif: bool = False
    phone_format: bool = False
    camera_pixels: int = 0
    camera_raw: bool = False


_UNKNOWN = Header()

# What the library stored of a photo: (content fingerprint, (size, mtime, change time) then).
Content = tuple[str, tuple[int, float, int | None]]


@crash_journal.records_decoding  # native header readers (LibRaw, pillow-heif) can crash too
def read_header(path: str) -> Header:
    """The header of a plain file (no decoding): the only read of a photo's bytes here. One
    Pillow (or, for a camera raw file, LibRaw) cannot read is all unknown, never an error: the
    search it serves must go on."""
    if camera_raw.is_raw_name(path) and _starts_like_raw(path):
        header = _raw_header(path)
        if header is not None:
            return header
    try:
        # 64 KiB reads: a JPEG's header and EXIF, a HEIF's ftyp and meta boxes (and mostly its
        # EXIF), in one.
        with open(path, "rb", buffering=64 * 1024) as file:
            heif = _heif_header(file)
            if heif is not None:
                return heif
            file.seek(0)
            with Image.open(file) as image:
                return _header(image.width * image.height, image.getexif(),
                               image.format in _PHONE_FORMATS)
    except Exception:  # noqa: BLE001 - any header Pillow cannot read: facts unknown, not fatal
        return _UNKNOWN


def _header(pixels: int, exif: Image.Exif, phone: bool) -> Header:
    sub = exif.get_ifd(_EXIF_IFD)
    camera = bool(exif.get(_MAKE) or exif.get(_MODEL) or sub.get(_DATE_TAKEN))
    taken = [sub.get(_PIXEL_X), sub.get(_PIXEL_Y)]
    taken_pixels = (taken[0] * taken[1] if camera and all(
        isinstance(n, int) and n > 0 for n in taken) else 0)
    return Header(pixels, camera, phone, taken_pixels)


# The brands pillow-heif opens (as format "HEIF"): its own test, so that a file is a phone's
# format here exactly when Pillow would say so.
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1",
                b"msf1")


def _heif_header(file: BinaryIO) -> Header | None:
    """A HEIF file's header from its boxes (heif_boxes.read_primary_image): the meta box and
    the EXIF, a few KB, where pillow-heif reads the whole file (all 40 MB of a 40 MB HEIC, 55 ms
    in the page cache; on a network share, seconds). None when it is no HEIF or its boxes leave
    a doubt: Pillow reads it then."""
    start = file.read(12)
    if start[4:8] != b"ftyp" or start[8:12] not in _HEIF_BRANDS:
        return None
    primary = heif_boxes.read_primary_image(file)
    if primary is None:
        return None
    exif = Image.Exif()
    if primary.exif:
        exif.load(primary.exif)
    return _header(primary.width * primary.height, exif, phone=True)


def _starts_like_raw(path: str) -> bool:
    """Whether the file's first bytes are a raw container's: a JPEG named .NEF is read as the
    JPEG it is (as images.decode reads it)."""
    try:
        with open(path, "rb") as file:
            return camera_raw.looks_like_raw(file.read(16))
    except OSError:
        return False


def _raw_header(path: str) -> Header | None:
    """A camera raw file's header, as LibRaw reads it (Pillow would read a TIFF-based raw's
    first picture, often a 160x120 thumbnail): the sensor's size, which the camera took. LibRaw
    reads the parts that describe the photo, not the sensor data or the embedded JPEG. rawpy
    does not give the camera's make and model: a raw LibRaw reads is the camera's own file,
    with its data. One LibRaw refuses (damaged, cut short) is all unknown, as images.decode
    refuses it, not taken for a JPEG or TIFF by its first picture; None for a plain TIFF
    named as a raw (camera_raw.is_plain_tiff), which images.decode reads as the TIFF it is."""
    try:
        with camera_raw.opened(None, path) as raw:
            pixels = raw.sizes.width * raw.sizes.height
    except rawpy.LibRawFileUnsupportedError:
        return None if camera_raw.is_plain_tiff(None, path) else _UNKNOWN
    except Exception:  # noqa: BLE001 - any file LibRaw cannot read: facts unknown, not fatal
        return _UNKNOWN
    if pixels <= 0:
        return _UNKNOWN
    return Header(pixels, camera_exif=True, camera_pixels=pixels, camera_raw=True)


def look(path: str) -> Copy:
    """One stat and one header read (no decoding). A file that is gone, not a plain file, or
    unreadable is ranked last, never an error."""
    return look_all([path])[0]


def look_all(paths: Sequence[str], contents: Sequence[Content | None] = (),
             should_stop: Callable[[], bool] | None = None) -> list[Copy]:
    """`look` at each of `paths` (a group), one header read per content: `contents[i]`, what
    the library stored of paths[i] (None: nothing), says which are byte-identical copies. A
    group of one content reads none: its copies' headers are equal and decide nothing (their
    Copy says 0 pixels, no EXIF). Raises duplicates.SearchStopped once should_stop() is true."""
    stats, keys = [], []
    for i, path in enumerate(paths):
        _check(should_stop)
        try:
            st = os.stat(path)
        except OSError:
            st = None
        stats.append(st)
        keys.append(_stored_key(st, contents[i] if i < len(contents) else None))
    copies_of = Counter(keys)
    for i, key in enumerate(keys):
        if key is not None and copies_of[key] > 1:
            _check(should_stop)
            # A copy that cannot be opened (its permissions) has an unknown header: its own.
            keys[i] = key if _opens(paths[i]) else None
        else:
            keys[i] = None  # no copy in the group: nothing to share
    one_content = len(paths) > 1 and None not in keys and len(set(keys)) == 1
    headers: dict[str, Header] = {}
    copies = []
    for path, st, key in zip(paths, stats, keys, strict=True):
        if st is None:
            copies.append(Copy(path))
            continue
        if not stat.S_ISREG(st.st_mode):  # a FIFO put at the name would block the read
            copies.append(Copy(path, size=st.st_size, mtime=st.st_mtime))
            continue
        if one_content:
            header = _UNKNOWN
        elif key in headers:
            header = headers[key]
        else:
            _check(should_stop)
            header = read_header(path)
            if key is not None:
                headers[key] = header
        copies.append(Copy(path, header.pixels, header.camera_exif, header.phone_format,
                           st.st_size, st.st_mtime, header.camera_pixels, header.camera_raw))
    return copies


def _stored_key(st: os.stat_result | None, content: Content | None) -> str | None:
    """The stored fingerprint of a plain file that the library read as it is now (the
    indexer's own test: size, mtime and change time unchanged); None: not known."""
    if content is None or st is None or not stat.S_ISREG(st.st_mode) or not content[0]:
        return None
    if not same_content_stamps(content[1], (st.st_size, st.st_mtime, change_time(st))):
        return None
    return content[0]


def _opens(path: str) -> bool:
    try:
        os.close(os.open(path, os.O_RDONLY))
    except OSError:
        return False
    return True


def _check(should_stop: Callable[[], bool] | None) -> None:
    if should_stop is not None and should_stop():
        raise SearchStopped


def copy_marked(paths: Sequence[str]) -> list[bool]:
    """For each path: does its name carry a copy marker that another path of `paths` lacks
    ("IMG_1 (1).jpg" beside "IMG_1.heic")? A name alone ("Walk_12") is never taken for a copy."""
    stems = [os.path.splitext(os.path.basename(p))[0] for p in paths]
    known = {}
    for i, stem in enumerate(stems):
        known.setdefault(stem.casefold(), set()).add(i)
    marked = []
    for i, stem in enumerate(stems):
        found, base = False, stem
        while not found:
            shorter = base
            for marker in _MARKERS:
                shorter = marker.sub("", shorter, count=1)
                if shorter != base:
                    break
            if shorter == base or not shorter:
                break
            base = shorter
            found = bool(known.get(base.casefold(), set()) - {i})
        marked.append(found)
    return marked


def _key(copy: Copy, marked: bool, camera_size: int) -> tuple:
    """Sorts the copy to keep first; one entry per REASONS. `camera_size`: the most pixels a
    photo of the group has at the size its camera's EXIF records (0: none has)."""
    pixels, camera = copy.pixels, copy.camera_exif
    if camera_size and pixels > camera_size and (not camera or 0 < copy.camera_pixels < pixels):
        # Enlarged after the camera: no more detail than the original, and an EXIF that is
        # not this file's (the camera took fewer pixels).
        pixels, camera = camera_size, False
    return (not copy.camera_raw, -pixels, not camera, not copy.phone_format, marked, -copy.size,
            copy.mtime, len(copy.path), copy.path)


def rank(copies: Sequence[Copy]) -> tuple[list[int], str]:
    """The order of `copies`, the one to keep first, and why it is kept (a REASONS entry: the
    first criterion that puts it before the next)."""
    camera_size = max((c.pixels for c in copies
                       if c.camera_exif and c.pixels and c.pixels == c.camera_pixels), default=0)
    keys = [_key(c, m, camera_size) for c, m in zip(
        copies, copy_marked([c.path for c in copies]), strict=True)]
    order = sorted(range(len(copies)), key=keys.__getitem__)
    if len(order) < 2:
        return order, ""
    best, next_best = keys[order[0]], keys[order[1]]
    why = next((reason for reason, a, b in zip(REASONS, best, next_best, strict=True) if a != b),
               REASONS[-1])
    return order, why


class Group(list):
    """The photos of a duplicate group, the one to keep first, and `why` it is kept (a list:
    what takes a group takes it)."""

    why: str = ""


def keeper_first(group: Sequence[Match], index: HammingIndex,
                 should_stop: Callable[[], bool] | None = None,
                 contents: Mapping[int, Content] | None = None) -> Group:
    """`group` with the photo to keep first and every distance to it, the others nearest first.
    Reads a header per content (`contents`: photo id -> what the library stored of it; without
    it, each photo's): run it off the GUI thread. Raises duplicates.SearchStopped once
    should_stop() is true (a group can hold thousands of photos: whole HEIC files on a NAS)."""
    contents = contents or {}
    looks = look_all([m.path for m in group], [contents.get(m.photo_id) for m in group],
                     should_stop)
    order, why = rank(looks)
    keeper = group[order[0]] if order else None
    if keeper is not None and log.isEnabledFor(logging.DEBUG):
        log.debug("keeping %s of %d photos: %s", Shown(keeper.path), len(group), why)
    result = Group()
    result.why = why
    if keeper is None:
        return result
    code = index.code_of(keeper.photo_id)
    rest = [group[i] for i in order[1:]]
    if code is not None:
        codes = {m.photo_id: index.code_of(m.photo_id) for m in rest}
        # replace(): a Match's other fields (the RAW+JPEG twins it stands for) stay.
        rest = [replace(m, distance=m.distance if codes[m.photo_id] is None else
                        int(hamming_distances(code, codes[m.photo_id][None])[0]))
                for m in rest]
        rest.sort(key=lambda m: (m.distance, m.photo_id))
    result.extend([replace(keeper, distance=0), *rest])
    return result

