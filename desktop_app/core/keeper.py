"""Which photo of a duplicate group to keep: the one a photographer would, from what is cheap to
know. Each photo of a group (never the whole library) costs one stat and one header read:
about 0.13 ms a JPEG (Pillow reads its first kilobytes), 0.3-3 ms a HEIC (pillow-heif reads the
whole file), with the files in the page cache (2-core Xeon); the biggest file took 3 us.

The biggest file, kept before, trashed an iPhone's HEIC for its bigger JPEG conversion, a camera
JPEG for its PNG export, and a JPEG with its date taken for an editor's bigger re-save without
it. The order, best first (the first that differs decides):
1. more pixels: a resized copy (mail, a messenger) loses detail; but not more than a photo of
   the group whose camera's EXIF records its own size has: a copy bigger than the camera took
   it (an AI upscaler's output, an editor's enlargement), without that EXIF or with a smaller
   size in it, holds no more detail, and lost the date taken;
2. the camera's EXIF data (maker, model or date taken): a conversion or export often drops it;
3. a phone's own format (HEIC/HEIF) over a conversion of it;
4. no copy marker in the name ("IMG_1 (1)", "IMG_1 copy", "IMG_1 - Copy", "IMG_1 - Kopie",
   "IMG_1-2") where another photo of the group has the name without it;
5. the bigger file (same pixels, same kind: the less compressed);
6. the older file (a copy is written after its original);
7. the shorter path, then the path: the same group always keeps the same photo.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image

from . import images  # noqa: F401  (registers the HEIF opener; lifts Pillow's pixel limit)
from .duplicates import SearchStopped
from .hashing import HammingIndex, hamming_distances
from .records import Match

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
REASONS = ("most pixels", "has the camera's EXIF (date taken, camera)",
           "the camera's own format (HEIC)",
           "name without a copy marker", "biggest file", "oldest file", "shortest path",
           "first by path")


@dataclass(frozen=True)
class Copy:
    """What the ranking knows of one photo of a group."""
    path: str
    pixels: int = 0  # 0: not known (the file is gone or its header unreadable)
    camera_exif: bool = False
    phone_format: bool = False
    size: int = -1
    mtime: float = float("inf")
    camera_pixels: int = 0  # the pixels its EXIF says the camera took (0: not recorded)


def look(path: str) -> Copy:
    """One stat and one header read (no decoding). A file that is gone, not a plain file, or
    unreadable is ranked last, never an error: the search it serves must go on."""
    try:
        st = os.stat(path)
    except OSError:
        return Copy(path)
    if not stat.S_ISREG(st.st_mode):  # a FIFO put at the name would block the read
        return Copy(path, size=st.st_size, mtime=st.st_mtime)
    try:
        with Image.open(path) as image:
            pixels = image.width * image.height
            phone = image.format in _PHONE_FORMATS
            exif = image.getexif()
            sub = exif.get_ifd(_EXIF_IFD)
            camera = bool(exif.get(_MAKE) or exif.get(_MODEL) or sub.get(_DATE_TAKEN))
            taken = [sub.get(_PIXEL_X), sub.get(_PIXEL_Y)]
            taken_pixels = (taken[0] * taken[1] if camera and all(
                isinstance(n, int) and n > 0 for n in taken) else 0)
    except Exception:  # noqa: BLE001 - any header Pillow cannot read: facts unknown, not fatal
        return Copy(path, size=st.st_size, mtime=st.st_mtime)
    return Copy(path, pixels, camera, phone, st.st_size, st.st_mtime, taken_pixels)


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
    return (-pixels, not camera, not copy.phone_format, marked, -copy.size,
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
                 should_stop: Callable[[], bool] | None = None) -> Group:
    """`group` with the photo to keep first and every distance to it, the others nearest first.
    Reads each photo's header: run it off the GUI thread. Raises duplicates.SearchStopped once
    should_stop() is true (a group can hold thousands of photos: whole HEIC files on a NAS)."""
    looks = []
    for m in group:
        if should_stop is not None and should_stop():
            raise SearchStopped
        looks.append(look(m.path))
    order, why = rank(looks)
    keeper = group[order[0]] if order else None
    result = Group()
    result.why = why
    if keeper is None:
        return result
    code = index.code_of(keeper.photo_id)
    rest = [group[i] for i in order[1:]]
    if code is not None:
        codes = {m.photo_id: index.code_of(m.photo_id) for m in rest}
        rest = [Match(m.photo_id, m.path, m.distance if codes[m.photo_id] is None else
                      int(hamming_distances(code, codes[m.photo_id][None])[0]), m.bits)
                for m in rest]
        rest.sort(key=lambda m: (m.distance, m.photo_id))
    result.extend([Match(keeper.photo_id, keeper.path, 0, keeper.bits), *rest])
    return result

