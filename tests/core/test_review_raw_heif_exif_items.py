"""A HEIF file whose primary image is described by thousands of Exif items, each empty, has
its header read in a blink, left to pillow-heif (which refuses it): each item was read through
another walk of the iloc box, and the keeper's header read of a 390 KB file took 53 s (of a
3 MB one, most of an hour), a duplicates search stalled on it (core/heif_boxes.py)."""

from __future__ import annotations

import io
import struct
import time

import pytest
from PIL import Image, UnidentifiedImageError

from desktop_app.core import heif_boxes, keeper


def box(kind: bytes, body: bytes, version: int | None = None) -> bytes:
    """An ISO-BMFF box; a full box (version and no flags first) with `version`."""
    head = b"" if version is None else bytes([version, 0, 0, 0])
    return struct.pack(">I4s", 8 + len(head) + len(body), kind) + head + body


def heif_of_empty_exif_items(count: int) -> bytes:
    """A 4000x3000 primary image (item 1) and `count` Exif items describing it, one byte each."""
    items = [(1, b"hvc1")] + [(item, b"Exif") for item in range(2, count + 2)]
    iinf = box(b"iinf", struct.pack(">H", len(items)) + b"".join(
        box(b"infe", struct.pack(">HH4s", item, 0, kind) + b"\0", version=2)
        for item, kind in items), version=0)
    iloc = box(b"iloc", bytes([0x44, 0]) + struct.pack(">H", len(items)) + b"".join(
        struct.pack(">HHHII", item, 0, 1, 0, 1) for item, _ in items), version=0)
    iref = box(b"iref", b"".join(box(b"cdsc", struct.pack(">HHH", item, 1, 1))
                                 for item, _ in items[1:]), version=0)
    iprp = box(b"iprp", box(b"ipco", box(b"ispe", struct.pack(">II", 4000, 3000), version=0))
               + box(b"ipma", struct.pack(">IHBB", 1, 1, 1, 0x81), version=0))
    meta = box(b"meta", box(b"hdlr", bytes(4) + b"pict" + bytes(13), version=0)
               + box(b"pitm", struct.pack(">H", 1), version=0) + iloc + iinf + iref + iprp,
               version=0)
    return box(b"ftyp", b"heic" + bytes(4) + b"mif1heic") + meta


def test_one_empty_exif_item_is_read_as_no_exif_more_are_left_to_pillow_heif():
    """pillow-heif takes the first Exif item whose EXIF is not empty."""
    read = heif_boxes.read_primary_image
    assert read(io.BytesIO(heif_of_empty_exif_items(1))) == heif_boxes.PrimaryImage(
        4000, 3000, None)
    assert read(io.BytesIO(heif_of_empty_exif_items(2))) is None


def test_thousands_of_them_are_left_to_pillow_heif_at_once(tmp_path):
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(heif_of_empty_exif_items(6000))
    started = time.monotonic()
    header = keeper.read_header(str(path))
    assert time.monotonic() - started < 3  # about 30 s here before
    with pytest.raises(UnidentifiedImageError):
        Image.open(path)
    assert header == keeper.Header()  # all unknown, as Pillow leaves it
