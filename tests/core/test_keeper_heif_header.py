"""The duplicates keeper reads a HEIC's header (its primary image's size, its EXIF) from the
file's boxes, a few KB: pillow-heif read the whole file for it (all 20 MB of a 20 MB HEIC; on a
network share, seconds a photo of a group). What it says is what Pillow says of the file."""

from __future__ import annotations

import io
import struct

import pillow_heif
import pytest
from photos import sample_image
from PIL import Image, UnidentifiedImageError

from desktop_app.core import heif_boxes, keeper

TAKEN = "2023:05:01 10:00:00"


def bytes_read_by(action) -> int:
    """Bytes this process read through read() calls while `action` ran (Linux: rchar)."""
    def rchar() -> int:
        with open("/proc/self/io", encoding="ascii") as io_counts:
            return int(next(line for line in io_counts if line.startswith("rchar:")).split()[1])
    before = rchar()
    action()
    return rchar() - before


def exif(make: str | None = "Apple", taken: str | None = TAKEN,
         size: tuple[int, int] | None = None) -> bytes:
    data = Image.Exif()
    if make:
        data[0x010F], data[0x0110] = make, "iPhone 13"
    if taken:
        data.get_ifd(0x8769)[0x9003] = taken
    if size:
        data.get_ifd(0x8769)[0xA002], data.get_ifd(0x8769)[0xA003] = size
    return data.tobytes()


def heic(exif_bytes: bytes | None = None, size: tuple[int, int] = (512, 384)) -> bytes:
    image = sample_image("astronaut").resize(size)
    buffer = io.BytesIO()
    options = {"exif": exif_bytes} if exif_bytes else {}
    image.save(buffer, "HEIF", quality=50, **options)
    return buffer.getvalue()


def top_boxes(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, start, end) of each top-level box (32-bit sizes, as libheif writes them)."""
    found, at = [], 0
    while at < len(data):
        size, kind = struct.unpack_from(">I4s", data, at)
        found.append((kind, at, at + size))
        at += size
    return found


def with_bigger_mdat(data: bytes, extra: int) -> bytes:
    """The file with `extra` bytes more of picture data at the end of its mdat (its last box):
    the size of a phone's 12-48 MP HEIC, without encoding one."""
    (kind, start, end), = [box for box in top_boxes(data) if box[0] == b"mdat"]
    assert kind == b"mdat" and end == len(data)
    grown = bytearray(data)
    struct.pack_into(">I", grown, start, end - start + extra)
    return bytes(grown) + bytes(extra)


def with_meta_last(data: bytes) -> bytes:
    """The file laid out ftyp, mdat, meta (as some writers and editors save it), the item
    offsets in its iloc moved with the mdat."""
    boxes = {kind: data[start:end] for kind, start, end in top_boxes(data)}
    assert list(boxes) == [b"ftyp", b"meta", b"mdat"]
    shift = -len(boxes[b"meta"])
    meta = bytearray(boxes[b"meta"])
    at = meta.index(b"iloc") + 4  # its body
    version = meta[at]
    offset_size, length_size = meta[at + 4] >> 4, meta[at + 4] & 15
    base_size, index_size = meta[at + 5] >> 4, (meta[at + 5] & 15) if version else 0
    id_size = 2 if version < 2 else 4
    assert offset_size in (4, 8) and base_size in (0, 4, 8)
    count = int.from_bytes(meta[at + 6:at + 6 + id_size], "big")
    at += 6 + id_size

    def move(at: int, size: int) -> None:
        value = int.from_bytes(meta[at:at + size], "big") + shift
        meta[at:at + size] = value.to_bytes(size, "big")

    for _ in range(count):
        at += id_size + (2 if version else 0) + 2  # item, construction method, data reference
        if base_size:
            move(at, base_size)
        extents = int.from_bytes(meta[at + base_size:at + base_size + 2], "big")
        at += base_size + 2
        for _ in range(extents):
            if not base_size:
                move(at + index_size, offset_size)
            at += index_size + offset_size + length_size
    return boxes[b"ftyp"] + boxes[b"mdat"] + bytes(meta)


def as_pillow_says(path) -> keeper.Header:
    """The header as Pillow (pillow-heif) reads the file, decoding nothing."""
    with Image.open(path) as image:
        assert image.format == "HEIF"
        stored = image.getexif()
        sub = stored.get_ifd(0x8769)
        camera = bool(stored.get(0x010F) or stored.get(0x0110) or sub.get(0x9003))
        taken = (sub.get(0xA002, 0) * sub.get(0xA003, 0)) if camera else 0
        return keeper.Header(image.width * image.height, camera, True, taken)


@pytest.mark.parametrize("layout", ["meta first", "meta after mdat"])
def test_a_big_heics_header_is_read_without_its_picture_data(tmp_path, layout):
    data = with_bigger_mdat(heic(exif(size=(512, 384))), 20 << 20)
    if layout == "meta after mdat":
        data = with_meta_last(data)
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(data)
    header = {}
    read = bytes_read_by(lambda: header.update(found=keeper.read_header(str(path))))
    assert header["found"] == keeper.Header(512 * 384, camera_exif=True, phone_format=True,
                                            camera_pixels=512 * 384)
    assert header["found"] == as_pillow_says(path)
    assert read < 512 * 1024  # of 20 MB


@pytest.mark.parametrize("exif_bytes", [
    None, exif(), exif(make=None), exif(taken=None), exif(make=None, taken=None),
    exif(size=(4032, 3024)), exif(size=(512, 384))],
    ids=["no EXIF", "camera", "date only", "maker only", "no camera", "camera size bigger",
         "camera size"])
@pytest.mark.parametrize("layout", ["meta first", "meta after mdat"])
def test_what_it_reads_is_what_pillow_reads(tmp_path, exif_bytes, layout):
    data = heic(exif_bytes)
    if layout == "meta after mdat":
        data = with_meta_last(data)
    path = tmp_path / "IMG_0002.HEIC"
    path.write_bytes(data)
    assert keeper.read_header(str(path)) == as_pillow_says(path)
    with open(path, "rb") as file:  # read from the boxes, not left to Pillow
        primary = heif_boxes.read_primary_image(file)
    assert primary is not None and (primary.width, primary.height) == (512, 384)
    assert (primary.exif is None) == (exif_bytes is None)


def test_the_primary_pictures_header_is_read_not_the_first_stored(tmp_path):
    pair = pillow_heif.from_pillow(sample_image("astronaut").resize((600, 400)))
    pair.add_from_pillow(sample_image("chelsea").resize((500, 300)))
    pair[0].info["exif"], pair[1].info["exif"] = exif(size=(600, 400)), exif(size=(500, 300))
    buffer = io.BytesIO()
    pair.save(buffer, quality=50, primary_index=1)
    path = tmp_path / "pair.heic"
    path.write_bytes(buffer.getvalue())
    stored = pillow_heif.open_heif(path)
    assert stored.primary_index == 1 and all(image.info["exif"] for image in stored)
    header = keeper.read_header(str(path))
    assert header == as_pillow_says(path) and header.pixels == 500 * 300
    assert header.camera_pixels == 500 * 300  # the primary's EXIF, not the first picture's


def test_a_heic_cut_short_in_its_exif_is_all_unknown_as_pillow_leaves_it(tmp_path):
    data = heic(exif())
    path = tmp_path / "cut.heic"
    path.write_bytes(data[:len(data) // 2])  # the EXIF is written last, in the mdat
    with open(path, "rb") as file:
        assert heif_boxes.read_primary_image(file) is None  # left to Pillow
    with pytest.raises(UnidentifiedImageError):
        as_pillow_says(path)
    assert keeper.read_header(str(path)) == keeper.Header()
