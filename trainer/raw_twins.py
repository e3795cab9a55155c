"""A camera's RAW+JPEG pairs: one picture written twice, counted as one photo (no torch).

A camera set to RAW+JPEG writes IMG_0001.CR2 and IMG_0001.JPG side by side: other bytes, so other
content fingerprints, but the same picture. Counted as two photos, the split could put one in
training and the other among the held-out photos, and each would find the other: a held-out mAP
(and a validation mAP choosing the model) better than the model is. Twins are files of one folder
whose names differ only by their suffix (case aside), at least one a camera raw.

One of them is kept, not both in one split: the validation queries are searched among the other
validation photos, so twins both there would still find each other, and a picture shot RAW+JPEG
would weigh twice in training. The kept one is the JPEG (a file that is not a raw): the camera's
own rendering, which its raw embeds too, and quick to decode; the manifest of such an album is
then the one it had before raws were read (same photos, split and fingerprint), so run folders
made then stay valid.

Names alone are not enough: two cameras name files alike (a Canon shooting RAW alone writes
IMG_1234.CR2, an iPhone IMG_1234.JPG), and dropped into one folder their pictures would be taken
for one, the raw silently left out of training. So twins also have one shape: the same aspect
ratio once upright, within SHAPE_TOLERANCE (a camera's JPEG is its raw's frame or a scaled copy
of it, 3:2 and 3:2; the iPhone's is 4:3), read from headers without decoding, and only for files
that share a name with a raw (0.08 ms a 12 MB DNG, 0.06 ms a JPEG, in the page cache of a 2-core
EPYC: 1.4 s for 10,000 pairs). A file whose header cannot be read goes with its namesakes, as
before, when they are of one shape: nothing says it is another picture, and a wrong guess costs
less that way (one picture less to train on, where one picture in two splits would flatter the
held-out mAP). In a prepare that is a file changed since it was decoded (the unreadable are not
looked at); in an estimate, one a prepare will find unreadable, its namesake being the one kept,
so counting them once counts right. Not told apart from another camera's: a camera set to crop
its JPEG to another aspect ratio (16:9, 1:1) while its raw keeps the sensor's whole frame, as most
do; such pairs count as two photos, as every pair did before twins were known.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import rawpy
from PIL import Image

from desktop_app.core import images  # noqa: F401  (registers the HEIF opener with Pillow)
from desktop_app.core.camera_raw import is_plain_tiff, is_raw_name, looks_like_raw, opened
from desktop_app.core.raw_twins import twin_key

# How far apart two aspect ratios may be (relative) and still be one picture's: LibRaw's size of
# a raw can count a margin of sensor pixels its camera's JPEG leaves out (tens of pixels on a
# 6000-pixel side: well under 1%), and a small JPEG is rounded to whole pixels; 3:2 and 4:3 are
# 12% apart, 4:3 and 5:4 6.7%.
SHAPE_TOLERANCE = 0.03

_ORIENTATION = 0x0112


def twin_groups(files: list[Path], check: Callable[[], None] | None = None
                ) -> list[list[int]]:
    """Indices (into `files`) of the twins of each folder, a group per picture, in file order:
    files with the app's twin key (core/raw_twins.py: folder and name but the suffix, case and
    Unicode form aside), at least one a raw (a CR2 beside its DNG conversion is one picture
    too, for training), of one shape (picture_shape; the headers of these files alone are
    read; `check()` before each, which may raise to stop)."""
    by_name: dict[tuple[str, str], list[int]] = {}
    for i, f in enumerate(files):
        by_name.setdefault(twin_key(f), []).append(i)
    return [part for group in by_name.values()
            if len(group) > 1 and any(is_raw_name(files[i]) for i in group)
            for part in _by_shape(group, files, check)
            if len(part) > 1 and any(is_raw_name(files[i]) for i in part)]


def _by_shape(group: list[int], files: list[Path],
              check: Callable[[], None] | None = None) -> list[list[int]]:
    """The files of one name split into pictures of one shape each (a file joins the first
    picture whose first file's shape is its own), in file order. A file whose shape is not
    known joins them when they are of one shape (the name is all there is to go by), else
    stands alone (which picture it would be, the name no longer says)."""
    parts: list[tuple[float, list[int]]] = []
    unknown = []
    for i in group:
        if check is not None:
            check()
        shape = picture_shape(files[i])
        if shape is None:
            unknown.append(i)
            continue
        for first, members in parts:
            if same_shape(first, shape):
                members.append(i)
                break
        else:
            parts.append((shape, [i]))
    if len(parts) > 1:
        return [members for _, members in parts]
    return [sorted(unknown + [i for _, members in parts for i in members])]


def same_shape(a: float, b: float) -> bool:
    """Whether two aspect ratios (width / height) are one picture's, within SHAPE_TOLERANCE."""
    return abs(math.log(a / b)) <= math.log1p(SHAPE_TOLERANCE)


def picture_shape(path: Path) -> float | None:
    """The aspect ratio (width / height) of the picture in `path` once upright, from its header
    (no decoding): a camera raw's as LibRaw reads it (its sensor's size and its flip), as
    images.decode routes it (a raw's name and a raw container's first bytes); any other's, a
    plain TIFF named as a raw's too, as Pillow opens it, turned by its EXIF orientation. None:
    the header cannot be read."""
    try:
        with open(path, "rb") as file:
            head = file.read(16)
        size = _raw_size(path) if is_raw_name(path) and looks_like_raw(head) else None
        if size is not None:
            width, height, turned = size
        else:
            with Image.open(path) as image:
                width, height = image.size
                turned = image.getexif().get(_ORIENTATION, 1) in (5, 6, 7, 8)
    except Exception:  # noqa: BLE001 - any header that cannot be read: the shape is unknown
        return None
    if width <= 0 or height <= 0:
        return None
    return height / width if turned else width / height


def _raw_size(path: Path) -> tuple[int, int, bool] | None:
    """A raw's size as its sensor lies and whether it is turned a quarter: LibRaw reads the parts
    that describe the photo, not the sensor data (keeper.py's header read). None for a plain
    TIFF named as a raw (is_plain_tiff), which images.decode reads as the TIFF it is."""
    try:
        with opened(None, path) as raw:  # as camera_raw.read opens it (a name not in UTF-8 too)
            sizes = raw.sizes
            return sizes.width, sizes.height, bool(sizes.flip & 4)  # flip 4-7 swap the axes
    except rawpy.LibRawFileUnsupportedError:
        if is_plain_tiff(None, path):
            return None
        raise


def counted_as(files: list[tuple[Path, str]], check: Callable[[], None] | None = None
               ) -> dict[str, str]:
    """fingerprint -> the fingerprint of the photo it counts as, for the fingerprints of twins
    (`files`: the readable files with their fingerprints, in listing order; a fingerprint that
    has no twin is absent). Twins are joined through copies too: a raw whose twin JPEG is in
    one album and whose copy is in another is one photo with both labels. The photo kept is the
    first file that is not a raw, else the first. `check()` runs before each header read (a
    stop)."""
    leader: dict[str, str] = {}

    def find(fp: str) -> str:
        while leader.get(fp, fp) != fp:
            fp = leader[fp]
        return fp

    for group in twin_groups([f for f, _ in files], check):
        first = find(files[group[0]][1])
        for i in group[1:]:
            other = find(files[i][1])
            if other != first:
                leader[other] = first
    if not leader:
        return {}
    joined = set(leader) | set(leader.values())
    members: dict[str, list[int]] = {}  # a picture's leader -> its files, in order
    for i, (_, fp) in enumerate(files):
        if fp in joined:
            members.setdefault(find(fp), []).append(i)
    out = {}
    for indices in members.values():
        kept = next((i for i in indices if not is_raw_name(files[i][0])), indices[0])
        for i in indices:
            out[files[i][1]] = files[kept][1]
    return out


def left_out_by_name(files: list[Path], check: Callable[[], None] | None = None) -> set[int]:
    """Indices of the twins a prepare would leave out, found by their names and the shapes in
    their headers, before any photo is decoded (trainer estimate): all of each group but its
    first file that is not a raw, else its first. A prepare finds the same when every twin can
    be read and none is a copy. `check()` runs before each header read (a stop: thousands of
    pairs on a network share take minutes)."""
    out: set[int] = set()
    for group in twin_groups(files, check):
        kept = next((i for i in group if not is_raw_name(files[i])), group[0])
        out.update(i for i in group if i != kept)
    return out
