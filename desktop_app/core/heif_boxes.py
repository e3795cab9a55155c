"""An AVIF's claimed size against its coded size, read from its boxes before any decoding.

The 'ispe' property says how big the primary image is; libavif (and libheif) make a picture of
that size whatever the AV1 data codes: a 1 KB file whose ispe claimed 14142x14142 over a
64x48 frame took 1.8 GiB to decode into a mostly blank picture. The AV1 sequence header at the
start of the item's data gives the largest frame it can code (max_frame_width/height), so a
claim beyond it is a lie. Only the meta box and a few bytes of the item's data are read; any
box this reader does not follow gives no answer, so a file it cannot judge is decoded as before.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

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
    entries = iinf + (6 if data[iinf] == 0 else 8)  # a 16- or 32-bit count first
    for kind, body, _ in boxes(data, entries, end):
        if kind != b"infe" or data[body] < 2:  # versions 0 and 1 name no item type
            continue
        wide = data[body] >= 3
        found = int.from_bytes(data[body + 4:body + (8 if wide else 6)], "big")
        if found == item:
            at = body + (10 if wide else 8)  # past the protection index
            return bytes(data[at:at + 4])
    return None


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
        first = at + index_size
        at += extents * (index_size + offset_size + length_size)
        if found != item:
            continue
        if not extents or reference != 0 or method not in (0, 1):  # elsewhere, or derived
            return None
        offset = base + int.from_bytes(data[first:first + offset_size], "big")
        length = int.from_bytes(data[first + offset_size:first + offset_size + length_size],
                                "big")
        if method == 1:  # in the idat box
            if idat is None:
                return None
            offset += idat[0]
        return offset, (offset + length if length else len(data))  # 0: to the end of the file
    return None


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
