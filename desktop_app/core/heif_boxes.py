"""What a HEIF/AVIF file's boxes say, read before (or instead of) any decoding.

An AVIF's claimed size against its coded size: the 'ispe' property says how big the primary
image is; libavif (and libheif) make a picture of that size whatever the AV1 data codes: a 1 KB
file whose ispe claimed 14142x14142 over a 64x48 frame took 1.8 GiB to decode into a mostly
blank picture. The AV1 sequence header at the start of the item's data gives the largest frame
it can code (max_frame_width/height), so a claim beyond it is a lie. Only the meta box and a few
bytes of the item's data are read; any box this reader does not follow gives no answer, so a
file it cannot judge is decoded as before.

A HEIF file's primary image, its size and EXIF, for the duplicates keeper (read_primary_image):
from the meta box and the EXIF item's bytes alone, where pillow-heif reads the whole file (all
20 MB of a 20 MB HEIC, for a header).
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

# Past these the file is not judged (a real meta box is a few KB, 100 KB for a big grid).
MAX_TOP_BOXES = 16
MAX_META_BYTES = 4 << 20
SEQUENCE_HEADER_SEARCH = 4096  # bytes of the item's data that may come before it


def av1_size_lie(data: bytes) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """((claimed width, height), (coded width, height)) when the primary image is one AV1 item
    whose ispe claims more pixels in either direction than its sequence header can code;
    None when it does not, or when the file's boxes leave any doubt."""
    sizes = claimed_and_coded_size(data)
    if sizes is None:
        return None
    (claimed_width, claimed_height), (coded_width, coded_height) = sizes
    return sizes if claimed_width > coded_width or claimed_height > coded_height else None


def claimed_and_coded_size(data: bytes) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The primary image's ispe (width, height) and its AV1 sequence header's largest frame;
    None unless the primary image is a lone AV1 item and both were read."""
    try:
        return _sizes(data)
    except (struct.error, IndexError, ValueError):
        return None


def _sizes(data: bytes) -> tuple[tuple[int, int], tuple[int, int]] | None:
    meta = _top_level_meta(data)
    if meta is None:
        return None
    start, end = meta[0] + 4, meta[1]  # a full box: version and flags first
    children = {kind: (body, stop) for kind, body, stop in boxes(data, start, end)}
    if not {b"pitm", b"iinf", b"iloc", b"iprp"} <= children.keys():
        return None
    primary = primary_item(data, children[b"pitm"][0])
    # Grids (tiles each smaller than the whole) and HEVC are not judged: only a lone AV1 frame.
    if _item_type(data, *children[b"iinf"], primary) != b"av01":
        return None
    claimed = coded = None
    found = item_properties(data, children[b"iprp"], primary)
    if found is None:
        return None
    for kind, body, stop in found:
        if kind == b"ispe" and claimed is None:
            claimed = struct.unpack_from(">II", data, body + 4)
        elif kind == b"av1C" and coded is None:
            coded = _sequence_size(data, body + 4, stop)  # its configOBUs, when written
    extent = _first_extent(data, *children[b"iloc"], primary, children.get(b"idat"))
    if extent is not None:
        from_data = _sequence_size(data, extent[0], min(extent[1], len(data)))
        coded = from_data or coded  # the data's own header is the one the decoder follows
    if claimed is None or coded is None:
        return None
    return (claimed[0], claimed[1]), coded


def _top_level_meta(data: bytes) -> tuple[int, int] | None:
    for number, (kind, body, stop) in enumerate(boxes(data, 0, len(data))):
        if number >= MAX_TOP_BOXES:
            return None
        if kind == b"meta":
            return (body, stop) if stop - body <= MAX_META_BYTES else None
    return None


def boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
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


def child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    return next(((body, stop) for found, body, stop in boxes(data, start, end)
                 if found == kind), None)


def primary_item(data: bytes, pitm: int) -> int:
    """The item the pitm box data[pitm:] (its body) names: the picture a viewer shows."""
    return int.from_bytes(data[pitm + 4:pitm + (6 if data[pitm] == 0 else 8)], "big")


def item_properties(data: bytes, iprp: tuple[int, int],
                    item: int) -> list[tuple[bytes, int, int]] | None:
    """The properties (type, where its body starts, where it ends) the iprp box data[iprp]
    (its body) gives `item`, in its order; None when it has no ipco or ipma."""
    ipco, ipma = child(data, *iprp, b"ipco"), child(data, *iprp, b"ipma")
    if ipco is None or ipma is None:
        return None
    properties = list(boxes(data, *ipco))
    # 1-based indexes; 0 means none
    return [properties[i - 1] for i in associations(data, *ipma, item)
            if 0 < i <= len(properties)]


def _item_type(data: bytes, iinf: int, end: int, item: int) -> bytes | None:
    """The type of `item` in the iinf box data[iinf:end] (its body), from its infe entry."""
    return next((kind for found, kind in _item_types(data, iinf, end) if found == item), None)


def _item_types(data: bytes, iinf: int, end: int) -> Iterator[tuple[int, bytes]]:
    """(item, type) of each infe entry of the iinf box data[iinf:end] (its body) naming one."""
    entries = iinf + (6 if data[iinf] == 0 else 8)  # a 16- or 32-bit count first
    for kind, body, _ in boxes(data, entries, end):
        if kind != b"infe" or data[body] < 2:  # versions 0 and 1 name no item type
            continue
        wide = data[body] >= 3
        found = int.from_bytes(data[body + 4:body + (8 if wide else 6)], "big")
        at = body + (10 if wide else 8)  # past the protection index
        yield found, bytes(data[at:at + 4])


def associations(data: bytes, ipma: int, end: int, item: int) -> list[int]:
    """The property indexes the ipma box data[ipma:end] (its body) gives `item`; none once an
    entry would pass its end."""
    version, wide = data[ipma], data[ipma + 3] & 1
    count = int.from_bytes(data[ipma + 4:ipma + 8], "big")
    at, id_size, step = ipma + 8, 2 if version < 1 else 4, 2 if wide else 1
    for _ in range(count):
        if at + id_size + 1 > end:
            return []
        found = int.from_bytes(data[at:at + id_size], "big")
        n, at = data[at + id_size], at + id_size + 1
        if at + n * step > end:
            return []
        if found == item:
            return [int.from_bytes(data[at + i * step:at + (i + 1) * step], "big")
                    & (0x7FFF if wide else 0x7F) for i in range(n)]
        at += n * step
    return []


def _first_extent(data: bytes, iloc: int, end: int, item: int,
                  idat: tuple[int, int] | None) -> tuple[int, int] | None:
    """(start, end) in `data` of the first extent of `item`'s data, from the iloc box
    data[iloc:end] (its body): in the file, or in the meta box's idat."""
    location = _location(data, iloc, end, item)
    if location is None:
        return None
    method, _, extents = location
    offset, length = next(extents)
    if method == 1:  # in the idat box
        if idat is None:
            return None
        offset += idat[0]
    return offset, (offset + length if length else len(data))  # 0: to the end of the file


def _location(data: bytes, iloc: int, end: int,
              item: int) -> tuple[int, int, Iterator[tuple[int, int]]] | None:
    """Where `item`'s data is, from the iloc box data[iloc:end] (its body): its construction
    method (0: in the file, 1: in the meta box's idat), its number of extents and the
    (offset, length) of each (a length of 0: to the end); None when it names none, or data
    elsewhere (another file, or derived from other items)."""
    version = data[iloc]
    if version > 2:
        return None
    offset_size, length_size = data[iloc + 4] >> 4, data[iloc + 4] & 15
    base_size, index_size = data[iloc + 5] >> 4, (data[iloc + 5] & 15) if version else 0
    id_size = 2 if version < 2 else 4
    count = int.from_bytes(data[iloc + 6:iloc + 6 + id_size], "big")
    at = iloc + 6 + id_size
    for _ in range(count):
        if at >= end:
            return None
        found = int.from_bytes(data[at:at + id_size], "big")
        at += id_size
        method = 0
        if version:
            method = int.from_bytes(data[at:at + 2], "big") & 15
            at += 2
        reference = int.from_bytes(data[at:at + 2], "big")
        base = int.from_bytes(data[at + 2:at + 2 + base_size], "big")
        extents = int.from_bytes(data[at + 2 + base_size:at + 4 + base_size], "big")
        at += 4 + base_size
        step = index_size + offset_size + length_size
        if found != item:
            at += extents * step
            continue
        if not extents or reference != 0 or method not in (0, 1):  # elsewhere, or derived
            return None
        starts = (at + index_size + i * step for i in range(extents))
        return method, extents, (
            (base + int.from_bytes(data[e:e + offset_size], "big"),
             int.from_bytes(data[e + offset_size:e + offset_size + length_size], "big"))
            for e in starts)
    return None


@dataclass(frozen=True)
class PrimaryImage:
    """A HEIF file's primary image (the picture viewers show), as its boxes describe it."""
    width: int  # as stored (its ispe), before any turn its irot says
    height: int
    exif: bytes | None  # its EXIF (from the TIFF header), as pillow-heif gives it


# The EXIF item's bytes read at most (a camera's EXIF is a few KB, 64 KB in a JPEG at most).
MAX_EXIF_BYTES = 1 << 20
MAX_EXIF_EXTENTS = 16


def read_primary_image(file: BinaryIO) -> PrimaryImage | None:
    """The primary image of the HEIF `file` (seekable), read from its meta box, found by the
    top-level boxes' headers (a meta after a 40 MB mdat costs their few bytes, not the mdat),
    and its EXIF item's bytes: no picture data. None when its boxes leave any doubt (no ispe; a
    clap crop, which makes the picture smaller than the ispe; data elsewhere or cut short): to be
    read whole by pillow-heif then."""
    try:
        meta = _top_level_meta_of(file)
        return None if meta is None else _primary_image(meta, file)
    except (struct.error, IndexError, ValueError):
        return None


def _top_level_meta_of(file: BinaryIO) -> bytes | None:
    """The body of the file's top-level meta box."""
    at = 0
    for _ in range(MAX_TOP_BOXES):
        file.seek(at)
        head = file.read(16)
        if len(head) < 8:
            return None
        size, kind = struct.unpack_from(">I4s", head)
        header = 8
        if size == 1:  # a 64-bit size follows
            size, header = struct.unpack_from(">Q", head, 8)[0], 16
        elif size == 0:  # to the end
            size = file.seek(0, io.SEEK_END) - at
        if size < header:
            return None
        if kind == b"meta":
            if size - header > MAX_META_BYTES:
                return None
            file.seek(at + header)
            body = file.read(size - header)
            return body if len(body) == size - header else None
        at += size
    return None


def _primary_image(meta: bytes, file: BinaryIO) -> PrimaryImage | None:
    children = {kind: (body, stop) for kind, body, stop in boxes(meta, 4, len(meta))}
    if not {b"pitm", b"iinf", b"iloc", b"iprp"} <= children.keys():
        return None
    primary = primary_item(meta, children[b"pitm"][0])
    properties = item_properties(meta, children[b"iprp"], primary)
    if properties is None or any(kind == b"clap" for kind, _, _ in properties):
        return None
    ispe = next((body for kind, body, _ in properties if kind == b"ispe"), None)
    if ispe is None:
        return None
    width, height = struct.unpack_from(">II", meta, ispe + 4)
    return PrimaryImage(width, height, _primary_exif(meta, children, primary, file))


def _primary_exif(meta: bytes, children: dict[bytes, tuple[int, int]], primary: int,
                  file: BinaryIO) -> bytes | None:
    """The EXIF of the primary image as pillow-heif gives it: of the first Exif item (by item
    number, as libheif lists them) describing it (a cdsc reference) whose EXIF is not empty,
    what follows its TIFF header offset. Raises ValueError when its bytes cannot be read here,
    or the first is empty and others follow."""
    if b"iref" not in children:
        return None
    described = {source for source, targets in _references(meta, *children[b"iref"], b"cdsc")
                 if primary in targets}
    items = sorted(found for found, kind in _item_types(meta, *children[b"iinf"])
                   if kind == b"Exif" and found in described)
    if not items:
        return None
    payload = _item_bytes(meta, children, items[0], file)
    skip = int.from_bytes(payload[:4], "big") + 4  # past the offset of the TIFF header
    if len(payload) - skip <= 4:  # a bad offset: pillow-heif takes all but it
        skip = 4
    elif skip >= 6 and payload[skip - 6:skip] == b"Exif\0\0":
        skip -= 6  # Pillow takes EXIF with this mark too
    if payload[skip:]:
        return payload[skip:]
    if len(items) > 1:
        # pillow-heif takes the next one's: left to it. Each item read walks the iloc again: a
        # 390 KB file of 8,000 empty ones took 53 s, growing with the square of their number.
        raise ValueError("EXIF items past an empty first one not read here")
    return None


def _references(data: bytes, iref: int, end: int,
                kind: bytes) -> Iterator[tuple[int, list[int]]]:
    """(from item, [to items]) of each `kind` reference in the iref box data[iref:end] (its
    body)."""
    size = 2 if data[iref] == 0 else 4  # version 1: 32-bit item numbers
    for found, body, stop in boxes(data, iref + 4, end):
        if found != kind:
            continue
        count = int.from_bytes(data[body + size:body + size + 2], "big")
        at = body + size + 2
        yield (int.from_bytes(data[body:body + size], "big"),
               [int.from_bytes(data[at + i * size:at + (i + 1) * size], "big")
                for i in range(min(count, (stop - at) // size))])


def _item_bytes(meta: bytes, children: dict[bytes, tuple[int, int]], item: int,
                file: BinaryIO) -> bytes:
    """`item`'s data, from the file or the meta box's idat. Raises ValueError when it is
    elsewhere, in more or bigger extents than an EXIF takes, or cut short."""
    location = _location(meta, *children[b"iloc"], item)
    if location is None or location[1] > MAX_EXIF_EXTENTS:
        raise ValueError("item data not read here")
    method, _, extents = location
    parts = []
    for offset, length in extents:
        if not 0 < length <= MAX_EXIF_BYTES - sum(map(len, parts)):
            raise ValueError("item data too big, or to the end of the file")
        if method == 1:
            idat = children.get(b"idat")
            if idat is None or offset + length > idat[1] - idat[0]:
                raise ValueError("item data past its idat")
            parts.append(meta[idat[0] + offset:idat[0] + offset + length])
        else:
            file.seek(offset)
            parts.append(file.read(length))
            if len(parts[-1]) != length:
                raise ValueError("item data cut short")
    return b"".join(parts)


_OBU_SEQUENCE_HEADER, _OBU_FRAME_HEADER, _OBU_FRAME = 1, 3, 6


def _sequence_size(data: bytes, start: int, end: int) -> tuple[int, int] | None:
    """The largest frame (width, height) the first AV1 sequence header OBU in data[start:end]
    allows; None if a frame comes first or none is found near the start."""
    end = min(end, start + SEQUENCE_HEADER_SEARCH)
    at = start
    while at < end:
        header = data[at]
        kind, extension, sized = (header >> 3) & 15, header >> 2 & 1, header >> 1 & 1
        if header & 0x80:  # the forbidden bit: not an OBU
            return None
        at += 1 + extension
        size = end - at
        if sized:
            size, at = _leb128(data, at)
        if kind == _OBU_SEQUENCE_HEADER:
            # Past the end of its extent (or of the file): other bytes, not a size to trust.
            if at + size > min(end, len(data)):
                return None
            return _max_frame_size(data[at:at + size])
        if kind in (_OBU_FRAME_HEADER, _OBU_FRAME):
            return None
        at += size
    return None


def _leb128(data: bytes, at: int) -> tuple[int, int]:
    value = 0
    for i in range(8):
        byte = data[at + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, at + i + 1
    raise ValueError("leb128 longer than 8 bytes")


class _Bits:
    def __init__(self, payload: bytes) -> None:
        self.value, self.left = int.from_bytes(payload, "big"), 8 * len(payload)

    def read(self, n: int) -> int:
        if n > self.left:
            raise ValueError("sequence header cut short")
        self.left -= n
        return (self.value >> self.left) & ((1 << n) - 1)

    def uvlc(self) -> int:
        zeros = 0
        while not self.read(1):
            zeros += 1
            if zeros >= 32:
                return (1 << 32) - 1
        return self.read(zeros) + (1 << zeros) - 1


def _max_frame_size(payload: bytes) -> tuple[int, int]:
    """max_frame_width/height from a sequence header OBU's payload (AV1 spec, 5.5.1)."""
    bits = _Bits(payload)
    bits.read(3)  # seq_profile
    bits.read(1)  # still_picture
    if bits.read(1):  # reduced_still_picture_header
        bits.read(5)  # seq_level_idx
    else:
        decoder_model = False
        buffer_delay_bits = 0
        if bits.read(1):  # timing_info_present_flag
            bits.read(32)  # num_units_in_display_tick
            bits.read(32)  # time_scale
            if bits.read(1):  # equal_picture_interval
                bits.uvlc()
            decoder_model = bool(bits.read(1))
            if decoder_model:
                buffer_delay_bits = bits.read(5) + 1
                bits.read(32)  # num_units_in_decoding_tick
                bits.read(10)  # buffer_removal_time and frame_presentation_time lengths
        display_delay = bits.read(1)
        for _ in range(bits.read(5) + 1):  # operating points
            bits.read(12)  # operating_point_idc
            if bits.read(5) > 7:  # seq_level_idx
                bits.read(1)  # seq_tier
            if decoder_model and bits.read(1):
                bits.read(2 * buffer_delay_bits + 1)
            if display_delay and bits.read(1):
                bits.read(4)
    width_bits, height_bits = bits.read(4) + 1, bits.read(4) + 1
    return bits.read(width_bits) + 1, bits.read(height_bits) + 1
