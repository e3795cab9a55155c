"""Fuzz the app's in-process photo decoding with damaged and lying photos of every format.

The app decodes photos in its own process (core/images.py through Pillow, pillow-heif and
simplejpeg; camera raw files through core/camera_raw.py, LibRaw by rawpy), so a decoder that
crashes, hangs or takes gigabytes on one hostile file would take the window and the indexing job
with it, with nothing said. This measures it: small real seed photos of each supported format are
mutated (bit flips, byte runs, truncations, and header fields set to lies: dimensions of
65535x65535 or 1x10^8, huge chunk, segment, box and strip lengths), and each file goes through
the app's two real paths, in a child process per batch:
- the indexer's: pipeline.prepare (images.read_bytes + decode at the model's draft size +
  preprocess), which the search of a dropped photo shares;
- the thumbnailer's: thumbnails.make_thumbnail at 160 pixels (no disk cache).
Each file is classed as ok, a clean error (the app's PhotoReadError naming the file), an
unexpected exception (a bug: any other exception, or prepare's "unexpected error" fallback),
a crash (the child dies on it), a hang (no answer within --timeout seconds) or a memory outlier
(the peak resident memory it added, VmHWM, over --memory-mib). A child that dies between files
is counted as "died", after the file it answered last (a decoder's damage can show later, at a
free), and the rest of its batch goes to a fresh child. A crash or death is confirmed by running
the file alone in a fresh child; its stack (faulthandler, on the child's stderr) is reported.
One file of each kind of failure is kept in --keep.

The raw seeds are DNGs this script writes (write_dng: a TIFF whose IFD0 holds the camera's JPEG
preview and whose SubIFD holds 16-bit RGGB sensor data; LibRaw reads it as a camera's): with a
full-size preview (taken as it is), a small one and none (the sensor data developed), and turned
(orientation 6); some named .nef, .cr2 or .arw, as the app routes a raw by suffix and content.
Their structural lies: IFD entry counts and links, the SubIFD offset, sensor and preview sizes
(65535), BitsPerSample, strip offsets and byte counts past the end, the CFA pattern's size and
colours, DNG tags, and the embedded JPEG's own.

    nice -n 10 .venv/bin/python bench/fuzz_photos.py --seconds 900 \
        --out bench/results/fuzz-photos.md
    nice -n 10 .venv/bin/python bench/fuzz_photos.py --formats raw --seconds 330 --batch 400
"""

from __future__ import annotations

import argparse
import collections
import io
import itertools
import json
import os
import random
import resource
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))  # photos.tiff_ifd: the DNG seeds' IFDs

FORMATS = ("jpeg", "png", "webp", "tiff", "gif", "bmp", "heic", "avif", "raw")
THUMB_EDGE = 160  # the grid's thumbnail edge at device pixel ratio 1
AS_LIMIT = 8 * 2**30  # the child's address space: a runaway allocation fails instead of the machine


# ----------------------------------------------------------------------------- seeds

def make_seeds(folder: Path) -> dict[str, list[Path]]:
    """Small real photos of every format and the variants decoders take different paths for."""
    import numpy as np
    from PIL import Image

    from desktop_app.core import images  # noqa: F401 - registers pillow-heif's opener

    sample = ROOT / "resources" / "sample-photos" / "flower-marigold.jpg"
    photo = Image.open(sample).convert("RGB")
    photo.thumbnail((96, 96))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: the orientation path too
    exif[0x010F] = "Fuzz camera"
    out: dict[str, list[Path]] = collections.defaultdict(list)

    def save(fmt: str, name: str, image: Image.Image, **kw) -> None:
        path = folder / name
        image.save(path, **kw)
        out[fmt].append(path)

    save("jpeg", "exif.jpg", photo, quality=85, exif=exif)
    save("jpeg", "progressive.jpg", photo, quality=80, progressive=True)
    save("jpeg", "gray.jpg", photo.convert("L"), quality=80)
    save("jpeg", "cmyk.jpg", photo.convert("CMYK"), quality=80)
    raw = (ROOT / "resources" / "sample-photos" / "flower-dandelion-seed.jpg").read_bytes()
    (folder / "camera.jpg").write_bytes(raw)  # a real camera-made JPEG, whole
    out["jpeg"].append(folder / "camera.jpg")
    save("png", "rgb.png", photo)
    save("png", "palette.png", photo.convert("P"), transparency=0)
    sixteen = Image.fromarray(np.asarray(photo.convert("L")).astype(np.uint16) * 257)
    save("png", "gray16.png", sixteen)
    save("png", "interlaced.png", photo.convert("RGBA"), interlace=1)  # Adam7
    save("png", "text.png", photo, pnginfo=_png_text())
    save("webp", "lossy.webp", photo, quality=70)
    save("webp", "lossless.webp", photo.convert("RGBA"), lossless=True)
    frames = [photo.rotate(a) for a in (0, 90, 180)]
    save("webp", "animated.webp", frames[0], save_all=True, append_images=frames[1:],
         duration=100)
    save("tiff", "lzw.tif", photo, compression="tiff_lzw", exif=exif)
    save("tiff", "tiled.tif", photo, compression="tiff_lzw", tiled=True, tile_width=32,
         tile_length=32)
    save("tiff", "pages.tif", frames[0], save_all=True, append_images=frames[1:])
    save("tiff", "raw16.tif", sixteen)
    save("gif", "animated.gif", frames[0].convert("P"), save_all=True,
         append_images=[f.convert("P") for f in frames[1:]], duration=100, loop=0)
    save("bmp", "rgb.bmp", photo)
    save("bmp", "palette.bmp", photo.convert("P"))
    save("heic", "photo.heic", photo, format="HEIF", quality=60, exif=exif.tobytes())
    save("heic", "alpha.heic", photo.convert("RGBA"), format="HEIF", quality=60)
    save("avif", "photo.avif", photo, format="AVIF", quality=60, exif=exif)
    # Camera raw: the sensor larger than the index's 224 pixels, so that a full-size preview is
    # taken as it is, and a small one (under the thumbnail's 160) has the sensor data developed.
    sensor = Image.open(sample).convert("RGB")
    sensor.thumbnail((256, 256))  # 256x160: 80 KB of 16-bit sensor data
    for name, orientation, preview_side in (
            ("full-preview.dng", 1, 256), ("small-preview.nef", 1, 96),
            ("no-preview.cr2", 1, None), ("turned.arw", 6, 256),
            ("turned-developed.dng", 6, 96)):
        write_dng(folder / name, sensor, orientation, preview_side)
        out["raw"].append(folder / name)
    return dict(out)


def _png_text():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "fuzz " * 50, zip=True)
    info.add_itxt("Title", "un titre", lang="fr")
    return info


# How a camera stores a picture that EXIF orientation N shows upright: the inverse turn.
_STORED_TURN = {3: 3, 6: 2, 8: 4}  # Image.Transpose ROTATE_180, ROTATE_90, ROTATE_270


def write_dng(path: Path, photo, orientation: int = 1, preview_side: int | None = 256) -> None:
    """A camera raw file as a DNG, which LibRaw reads as it reads a camera's, whatever its
    suffix: `photo` as a 16-bit RGGB Bayer mosaic, stored as the sensor lies for `orientation`,
    and the camera's JPEG of it at `preview_side` (None: no preview). With a preview, IFD0
    describes the JPEG and its SubIFD the sensor data (as cameras do); without, IFD0 the sensor."""
    import numpy as np
    from photos import tiff_ifd  # written as the tests write theirs (tests/photos.py)
    from PIL import Image

    if orientation in _STORED_TURN:
        photo = photo.transpose(Image.Transpose(_STORED_TURN[orientation]))
    rgb = np.asarray(photo, dtype=np.uint16) * 257
    h, w = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2
    mosaic = np.empty((h, w), np.uint16)
    for dy, dx, channel in ((0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 2)):  # R G / G B
        mosaic[dy::2, dx::2] = rgb[dy:h:2, dx:w:2, channel]
    sensor = mosaic.astype("<u2").tobytes()
    camera = [(271, 2, "Fuzz Camera Co"), (272, 2, "Fuzz Raw 1"), (274, 3, [orientation]),
              (50706, 1, [1, 4, 0, 0]),  # DNGVersion
              (50708, 2, "Fuzz Camera Co Fuzz Raw 1"),  # UniqueCameraModel
              (50721, 10, [(int(i % 4 == 0), 1) for i in range(9)]),  # ColorMatrix1: identity
              (50778, 3, [21])]  # CalibrationIlluminant1: D65
    cfa = [(256, 4, [w]), (257, 4, [h]), (258, 3, [16]), (259, 3, [1]),
           (262, 3, [32803]),  # PhotometricInterpretation: CFA
           (277, 3, [1]), (278, 4, [h]), (279, 4, [len(sensor)]), (284, 3, [1]),
           (33421, 3, [2, 2]), (33422, 1, [0, 1, 1, 2]),  # CFARepeatPatternDim, CFAPattern
           (50717, 4, [65535])]  # WhiteLevel
    if preview_side is None:
        ifd_at = 8 + len(sensor)
        ifd = tiff_ifd(camera + cfa + [(254, 4, [0]), (273, 4, [8])], ifd_at)
        path.write_bytes(b"II*\0" + struct.pack("<I", ifd_at) + sensor + ifd)
        return
    preview = photo.resize((max(1, round(photo.width * preview_side / max(photo.size))),
                            max(1, round(photo.height * preview_side / max(photo.size)))))
    buf = io.BytesIO()
    preview.save(buf, "JPEG", quality=85)
    jpeg = buf.getvalue() + b"\0" * (len(buf.getvalue()) % 2)
    # header, preview JPEG, sensor data, IFD0 (the preview), its SubIFD (the sensor data)
    sensor_at, ifd0_at = 8 + len(jpeg), 8 + len(jpeg) + len(sensor)
    shown = camera + [(254, 4, [1]), (256, 4, [preview.width]), (257, 4, [preview.height]),
                      (258, 3, [8, 8, 8]), (259, 3, [7]), (262, 3, [6]), (273, 4, [8]),
                      (277, 3, [3]), (278, 4, [preview.height]), (279, 4, [len(jpeg)]),
                      (284, 3, [1])]
    sub_at = ifd0_at + len(tiff_ifd(shown + [(330, 4, [0])], ifd0_at))
    ifd0 = tiff_ifd(shown + [(330, 4, [sub_at])], ifd0_at)  # SubIFDs
    sub = tiff_ifd(cfa + [(254, 4, [0]), (273, 4, [sensor_at])], sub_at)
    path.write_bytes(b"II*\0" + struct.pack("<I", ifd0_at) + jpeg + sensor + ifd0 + sub)


# ----------------------------------------------------------------------------- mutations

HUGE_DIMS = ((65535, 65535), (100_000_000, 1), (1, 100_000_000), (20000, 10000), (0, 10),
             (14142, 14142), (65500, 3000))
INTERESTING32 = (0, 1, 0x7F, 0xFF, 0x7FFF, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)


def mutate(data: bytes, fmt: str, rng: random.Random) -> tuple[bytes, str]:
    """One or two mutations, half of them aware of the format's structure."""
    names = []
    for _ in range(1 + (rng.random() < 0.3)):
        structural = STRUCTURAL.get(fmt)
        if structural is not None and rng.random() < 0.5:
            try:
                changed, name = structural(bytearray(data), rng)
            except (struct.error, IndexError, ValueError):  # a structure too broken to edit
                changed, name = _generic(bytearray(data), rng)
        else:
            changed, name = _generic(bytearray(data), rng)
        data = bytes(changed)
        names.append(name)
    return data, "+".join(names)


def _generic(b: bytearray, rng: random.Random) -> tuple[bytearray, str]:
    kind = rng.choice(("bitflip", "bitflip", "run", "insert", "delete", "truncate", "int32",
                       "int16", "splice"))
    n = len(b)
    if kind == "bitflip":
        for _ in range(rng.choice((1, 1, 2, 4, 8, 32))):
            i = rng.randrange(n)
            b[i] ^= 1 << rng.randrange(8)
    elif kind == "run":
        i, size = rng.randrange(n), rng.choice((1, 4, 16, 64, 256))
        fill = rng.choice((0, 0xFF, None))
        b[i:i + size] = bytes(rng.randrange(256) if fill is None else fill for _ in range(size))
    elif kind == "insert":
        i = rng.randrange(n)
        b[i:i] = bytes([rng.randrange(256)]) * rng.choice((1, 16, 1000))
    elif kind == "delete":
        i = rng.randrange(n)
        del b[i:i + rng.choice((1, 4, 64, 512))]
    elif kind == "truncate":
        del b[rng.choice((rng.randrange(1, n), max(1, n - rng.randrange(1, 64)))):]
    elif kind in ("int32", "int16"):
        i = rng.randrange(max(1, n - 4))
        value = rng.choice(INTERESTING32)
        order = rng.choice("<>")
        b[i:i + 4 if kind == "int32" else i + 2] = (
            struct.pack(order + "I", value) if kind == "int32"
            else struct.pack(order + "H", value & 0xFFFF))
    else:  # a piece of the file copied over another place (duplicated structures)
        i, j, size = rng.randrange(n), rng.randrange(n), rng.choice((8, 64, 512))
        b[j:j + size] = b[i:i + size]
    return b, kind


def _png(b: bytearray, rng: random.Random) -> tuple[bytearray, str]:
    chunks, pos = [], 8
    while pos + 8 <= len(b):
        length, kind = struct.unpack(">I4s", b[pos:pos + 8])
        chunks.append((pos, length, kind))
        pos += 12 + length
    kind = rng.choice(("ihdr", "ihdr", "length", "ztxt_bomb", "iccp_bomb", "idat_bomb"))
    if kind == "ihdr":
        w, h = rng.choice(HUGE_DIMS)
        b[16:24] = struct.pack(">II", w, h)
        if rng.random() < 0.5:  # and a depth/colour type pair that may not exist
            b[24] = rng.choice((1, 2, 4, 8, 16, 32))
            b[25] = rng.choice((0, 2, 3, 4, 6, 7))
        b[29:33] = struct.pack(">I", zlib.crc32(b[12:29]))  # a valid CRC: the lie is read
        return b, "png-ihdr"
    if kind == "length":
        pos, _, name = rng.choice(chunks)
        b[pos:pos + 4] = struct.pack(">I", rng.choice((0x7FFFFFFF, 0xFFFFFFF0, 0x100000)))
        return b, f"png-length-{name.decode('latin-1')}"
    # a small chunk that inflates to a lot, put after IHDR
    payload = zlib.compress(b"\0" * rng.choice((2**20, 64 * 2**20)), 9)
    if kind == "ztxt_bomb":
        name, body = b"zTXt", b"Comment\0\0" + payload
    elif kind == "iccp_bomb":
        name, body = b"iCCP", b"icc\0\0" + payload
    else:  # an IDAT that inflates far past the image it belongs to
        name, body = b"IDAT", payload
    chunk = struct.pack(">I4s", len(body), name) + body
    chunk += struct.pack(">I", zlib.crc32(chunk[4:]))
    at = 33 if name != b"IDAT" else next((p for p, _, k in chunks if k == b"IDAT"), 33)
    b[at:at] = chunk
    return b, f"png-{kind}"


def _jpeg(b: bytearray, rng: random.Random) -> tuple[bytearray, str]:
    segments, pos = [], 2
    while pos + 4 <= len(b) and b[pos] == 0xFF:
        marker, length = b[pos + 1], struct.unpack(">H", b[pos + 2:pos + 4])[0]
        segments.append((pos, marker))
        if marker == 0xDA:
            break
        pos += 2 + length
    sofs = [p for p, m in segments if m in (0xC0, 0xC1, 0xC2)]
    kind = rng.choice(("sof", "sof", "length", "components", "exif"))
    if kind == "sof" and sofs:
        p = rng.choice(sofs)
        w, h = rng.choice(HUGE_DIMS)
        b[p + 5:p + 9] = struct.pack(">HH", min(h, 65535), min(w, 65535))
        return b, "jpeg-sof-dims"
    if kind == "components" and sofs:
        p = rng.choice(sofs)
        b[p + 9] = rng.choice((0, 2, 5, 255))
        return b, "jpeg-sof-components"
    if kind == "exif":
        at = b.find(b"Exif\0\0")
        if at > 0:  # a TIFF entry count or offset in the EXIF set huge
            i = at + 6 + rng.choice((4, 8, 10, 18, 22))
            b[i:i + 4] = struct.pack(rng.choice("<>") + "I", rng.choice(INTERESTING32))
            return b, "jpeg-exif-ifd"
    if segments:
        p, marker = rng.choice(segments)
        b[p + 2:p + 4] = struct.pack(">H", rng.choice((0, 1, 2, 0xFFFF)))
        return b, f"jpeg-length-{marker:02X}"
    return _generic(b, rng)


def _tiff(b: bytearray, rng: random.Random) -> tuple[bytearray, str]:
    order = "<" if b[:2] == b"II" else ">"
    ifd = struct.unpack(order + "I", b[4:8])[0]
    if ifd + 2 > len(b):
        return _generic(b, rng)
    entries = _ifd_entries(b, order, ifd)
    kind = rng.choice(("dims", "dims", "strips", "tiles", "samples", "count"))
    name = _tiff_entry_lie(b, order, entries, kind, rng)
    return (b, name) if name else _generic(b, rng)


def _ifd_entries(b: bytearray, order: str, ifd: int) -> dict[int, tuple[int, int, int]]:
    """A TIFF IFD's entries: tag -> (the entry's offset, its type, its value count)."""
    count = struct.unpack(order + "H", b[ifd:ifd + 2])[0]
    entries = {}
    for k in range(count):
        e = ifd + 2 + 12 * k
        if e + 12 > len(b):
            break
        tag, typ, n = struct.unpack(order + "HHI", b[e:e + 8])
        entries[tag] = (e, typ, n)
    return entries


def _tiff_entry_lie(b: bytearray, order: str, entries: dict, kind: str,
                    rng: random.Random) -> str | None:
    """Sets one entry of an IFD to a lie of `kind` (dims, strips, tiles, samples, count), in
    place; None when the IFD has none of the kind's tags."""
    targets = {"dims": (256, 257), "strips": (273, 279), "tiles": (322, 323, 324, 325),
               "samples": (258, 277, 259, 262), "count": tuple(entries)}[kind]
    present = [t for t in targets if t in entries]
    if not present:
        return None
    tag = rng.choice(present)
    e, typ, n = entries[tag]
    if kind == "count":  # the entry's value count
        b[e + 4:e + 8] = struct.pack(order + "I", rng.choice((0, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF)))
        return f"tiff-count-{tag}"
    if kind == "dims":
        value = rng.choice(HUGE_DIMS)[rng.randrange(2)]
    elif kind == "samples":
        value = rng.choice((0, 3, 7, 16, 64, 255, 65535))
    else:
        value = rng.choice((0, 1, 0xFFFF, 0x7FFFFFF0, 0xFFFFFFF0))
    if n == 1:  # the value itself, in the entry
        packed = struct.pack(order + ("H" if typ == 3 else "I"), value & (
            0xFFFF if typ == 3 else 0xFFFFFFFF))
        b[e + 8:e + 8 + len(packed)] = packed
    else:  # the first of the values, wherever they are
        off = struct.unpack(order + "I", b[e + 8:e + 12])[0]
        size = 2 if typ == 3 else 4
        if off + size <= len(b):
            b[off:off + size] = struct.pack(order + ("H" if size == 2 else "I"),
                                            value & (0xFFFF if size == 2 else 0xFFFFFFFF))
    return f"tiff-{kind}-{tag}"


RAW_KINDS = ("dims", "dims", "strips", "strips", "samples", "count", "ifd-count", "next-ifd",
             "subifd", "cfa", "cfa", "dng", "preview")


def _raw(b: bytearray, rng: random.Random) -> tuple[bytearray, str]:
    """A DNG's structure: IFD0 (the preview, or the sensor data without one) and its SubIFD
    (the sensor data), their entry counts and links, the sensor's size, depth, strips and CFA
    pattern, DNG tags, and the embedded JPEG preview's own structure."""
    order = "<" if b[:2] == b"II" else ">"
    ifd0 = struct.unpack(order + "I", b[4:8])[0]
    if ifd0 + 2 > len(b):
        return _generic(b, rng)
    ifds = {ifd0: _ifd_entries(b, order, ifd0)}
    sub = _value(b, order, ifds[ifd0], 330)  # the SubIFD (one, its offset in the entry)
    if sub is not None and sub + 2 <= len(b):
        ifds[sub] = _ifd_entries(b, order, sub)
    ifd = rng.choice(list(ifds))
    entries, where = ifds[ifd], "ifd0" if ifd == ifd0 else "sub"
    kind = rng.choice(RAW_KINDS)
    name = None
    if kind == "dims" and rng.random() < 0.5:  # the most a SHORT says: the pixel limit passed
        tag = rng.choice((256, 257))
        name = _set_value(b, order, entries, tag, 65535) and f"raw-{where}-{tag}-65535"
    elif kind in ("dims", "samples", "count"):  # the TIFF mutator's: sizes, depth, counts
        name = _tiff_entry_lie(b, order, entries, kind, rng)
        name = name and f"raw-{where}-{name}"
        if name and kind == "samples" and rng.random() < 0.5:  # a depth a camera might say
            _set_value(b, order, entries, 258, rng.choice((1, 8, 10, 12, 14, 15, 17, 32)))
            name += "+bits"
    elif kind == "strips":  # offsets and byte counts past the end, or just short of it
        tag = rng.choice((273, 279))
        name = _set_value(b, order, entries, tag, rng.choice(
            (0, 1, len(b) - 2, len(b), len(b) + 4096, 0x7FFFFFF0, 0xFFFFFFF0))) \
            and f"raw-{where}-strips-{tag}"
    elif kind == "ifd-count":  # the number of entries the IFD says it has
        b[ifd:ifd + 2] = struct.pack(order + "H", rng.choice(
            (0, 1, len(entries) - 1, len(entries) + 1, len(entries) + 40, 0x7FFF, 0xFFFF)))
        name = f"raw-{where}-entries"
    elif kind == "next-ifd":  # the link after the entries: to itself, IFD0, or past the end
        at = ifd + 2 + 12 * len(entries)
        b[at:at + 4] = struct.pack(order + "I", rng.choice(
            (ifd, ifd0, 8, len(b) - 2, len(b) + 4096, 0xFFFFFFFF)))
        name = f"raw-{where}-next-ifd"
    elif kind == "subifd":  # the sensor's IFD: a loop to IFD0, inside another IFD, or nowhere
        name = _set_value(b, order, ifds[ifd0], 330, rng.choice(
            (0, 1, 8, ifd0, (sub or 0) + 2, (sub or 0) + 12, len(b) - 2, len(b) + 4096,
             0xFFFFFFFF))) and "raw-subifd-offset"
    elif kind == "cfa" and rng.random() < 0.6:  # the CFA pattern's size...
        name = _set_value(b, order, entries, 33421, rng.choice((0, 1, 3, 8, 16, 65535))) \
            and _set_value(b, order, entries, 33421, rng.choice((0, 1, 2, 3, 8, 16, 65535)),
                           index=1) and f"raw-{where}-cfa-dims"
    elif kind == "cfa":  # ... and its colours (0 red, 1 green, 2 blue: others mean nothing)
        name = _set_value(b, order, entries, 33422, rng.choice((3, 4, 9, 255)),
                          index=rng.randrange(4)) and f"raw-{where}-cfa-colours"
    elif kind == "dng":  # white level, DNG version, colour matrix, orientation
        tag = rng.choice((50717, 50706, 50721, 274))
        holder = next((e for e in ifds.values() if tag in e), {})
        value = rng.choice(INTERESTING32 + (2, 5, 9))
        # a colour matrix's denominator (the rational's second number) set to zero too
        name = _set_value(b, order, holder, tag, value, index=int(tag == 50721)) \
            and f"raw-dng-{tag}"
    else:  # the JPEG preview's own lies, in place, keeping its length
        start, size = _value(b, order, ifds[ifd0], 273), _value(b, order, ifds[ifd0], 279)
        if start is not None and size is not None and b[start:start + 2] == b"\xff\xd8":
            size = min(size, len(b) - start)  # the length may be a lie already: not past the end
            jpeg, what = _jpeg(bytearray(b[start:start + size]), rng)
            b[start:start + size] = bytes(jpeg[:size]).ljust(size, b"\0")
            name = f"raw-preview-{what}"
    return (b, name) if name else _generic(b, rng)


def _value(b: bytearray, order: str, entries: dict, tag: int) -> int | None:
    """An entry's first value (a SHORT or LONG), or None when the IFD has no such tag."""
    if tag not in entries:
        return None
    e, typ, _ = entries[tag]
    return struct.unpack(order + ("H" if typ == 3 else "I"),
                         b[e + 8:e + (10 if typ == 3 else 12)])[0]


def _set_value(b: bytearray, order: str, entries: dict, tag: int, value: int,
               index: int = 0) -> bool:
    """Sets an entry's value number `index` (of a rational: its numbers) where it lies: in the
    entry or at its offset; False when the IFD has no such tag or the value is past the end."""
    if tag not in entries:
        return False
    e, typ, n = entries[tag]
    size = {1: 1, 2: 1, 3: 2}.get(typ, 4)  # BYTE, ASCII, SHORT; else 4-byte numbers
    numbers = n * (2 if typ in (5, 10) else 1)
    at = e + 8 if numbers * size <= 4 else struct.unpack(order + "I", b[e + 8:e + 12])[0]
    at += index * size
    if at + size > len(b):
        return False
    b[at:at + size] = (value & ((1 << 8 * size) - 1)).to_bytes(
        size, "little" if order == "<" else "big")
    return True


def _gif(b: bytearray, rng: random.Random) -> tuple[bytearray, str]:
    w, h = rng.choice(HUGE_DIMS)
    if rng.random() < 0.4:
        b[6:10] = struct.pack("<HH", min(w, 65535), min(h, 65535))
        return b, "gif-screen"
    descriptors = [i for i in range(13, len(b) - 10) if b[i] == 0x2C]
    if not descriptors:
        return _generic(b, rng)
    d = rng.choice(descriptors)
    if rng.random() < 0.7:
        b[d + 5:d + 9] = struct.pack("<HH", min(w, 65535), min(h, 65535))
        return b, "gif-frame-dims"
    b[d + 10] = rng.choice((0, 1, 11, 12, 255))  # the LZW minimum code size
    return b, "gif-lzw-size"


def _bmp(b: bytearray, rng: random.Random) -> tuple[bytearray, str]:
    kind = rng.choice(("dims", "dims", "bpp", "offset", "colours", "compression"))
    if kind == "dims":
        w, h = rng.choice(HUGE_DIMS)
        b[18:26] = struct.pack("<ii", min(w, 2**31 - 1), rng.choice((h, -h)))
    elif kind == "bpp":
        b[28:30] = struct.pack("<H", rng.choice((0, 1, 2, 4, 8, 16, 32, 64, 0xFFFF)))
    elif kind == "offset":
        b[10:14] = struct.pack("<I", rng.choice(INTERESTING32))
    elif kind == "colours":
        b[46:50] = struct.pack("<I", rng.choice((256, 257, 0xFFFF, 0xFFFFFFFF)))
    else:
        b[30:34] = struct.pack("<I", rng.choice((1, 2, 3, 4, 5, 6, 99)))
    return b, f"bmp-{kind}"


def _webp(b: bytearray, rng: random.Random) -> tuple[bytearray, str]:
    kind = rng.choice(("canvas", "frame", "chunk", "riff"))
    if kind == "riff":
        b[4:8] = struct.pack("<I", rng.choice(INTERESTING32))
        return b, "webp-riff-size"
    if kind == "canvas" and b[12:16] == b"VP8X":
        w, h = rng.choice(HUGE_DIMS)
        b[24:30] = struct.pack("<I", max(1, min(w, 2**24)) - 1)[:3] + struct.pack(
            "<I", max(1, min(h, 2**24)) - 1)[:3]
        return b, "webp-canvas"
    if kind == "frame":
        at = b.find(b"VP8L")
        if at > 0:  # 14-bit width-1 and height-1 after the signature byte
            bits = (rng.randrange(1 << 14)) | (rng.randrange(1 << 14) << 14)
            b[at + 9:at + 13] = struct.pack("<I", bits | (b[at + 12] & 0xF0) << 24 & 0xFFFFFFFF)
            return b, "webp-vp8l-dims"
        at = b.find(b"VP8 ")
        if at > 0:
            b[at + 14:at + 18] = struct.pack("<HH", 0x3FFF, 0x3FFF)
            return b, "webp-vp8-dims"
    chunks = [i for i in range(12, len(b) - 8) if bytes(b[i:i + 4]) in (
        b"VP8 ", b"VP8L", b"VP8X", b"ANIM", b"ANMF", b"ALPH", b"EXIF", b"ICCP")]
    if not chunks:
        return _generic(b, rng)
    i = rng.choice(chunks)
    b[i + 4:i + 8] = struct.pack("<I", rng.choice((0, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFF0)))
    return b, f"webp-length-{b[i:i + 4].decode('latin-1').strip()}"


def _isobmff(b: bytearray, rng: random.Random) -> tuple[bytearray, str]:
    """HEIC and AVIF: the boxes' sizes, the image sizes (ispe), the item locations (iloc)."""
    kind = rng.choice(("ispe", "ispe", "box", "iloc", "pixi"))
    if kind in ("ispe", "pixi", "iloc"):
        spots = []
        at = b.find(kind.encode())
        while at > 0:
            spots.append(at)
            at = b.find(kind.encode(), at + 1)
        if spots:
            at = rng.choice(spots) + 8  # past the name and the version/flags
            if kind == "ispe":
                w, h = rng.choice(HUGE_DIMS)
                b[at:at + 8] = struct.pack(">II", w, h)
            elif kind == "pixi":
                b[at:at + 2] = bytes([rng.choice((0, 1, 200)), rng.choice((0, 16, 255))])
            else:
                i = at + rng.randrange(0, 24)
                b[i:i + 4] = struct.pack(">I", rng.choice(INTERESTING32))
            return b, f"isobmff-{kind}"
    boxes = [i - 4 for i in range(4, len(b) - 4) if bytes(b[i:i + 4]) in (
        b"ftyp", b"meta", b"iinf", b"iloc", b"iprp", b"ipco", b"ipma", b"hvcC", b"av1C",
        b"mdat", b"colr", b"iref", b"Exif", b"infe")]
    if not boxes:
        return _generic(b, rng)
    i = rng.choice(boxes)
    b[i:i + 4] = struct.pack(">I", rng.choice((0, 1, 7, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF)))
    return b, f"isobmff-size-{b[i + 4:i + 8].decode('latin-1')}"


STRUCTURAL = {"png": _png, "jpeg": _jpeg, "tiff": _tiff, "gif": _gif, "bmp": _bmp,
              "webp": _webp, "heic": _isobmff, "avif": _isobmff, "raw": _raw}


# ----------------------------------------------------------------------------- child

def child() -> None:
    """Reads file names on stdin, answers one JSON line per file on stdout (and a "start" line
    before each, so that the parent knows which file it was on when this process died)."""
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))
    import faulthandler
    import logging

    faulthandler.enable()  # a crash's Python stack on stderr, which the parent keeps

    from desktop_app.core.errors import PhotoReadError
    from desktop_app.core.model_card import read_card
    from desktop_app.core.pipeline import prepare
    from desktop_app.core.scan import FileEntry
    from desktop_app.ui import thumbnails

    spec = read_card(ROOT / "resources" / "models" / "default").input
    said: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            said.append(record.getMessage())

    thumbnails.log.addHandler(Keep())
    thumbnails.log.setLevel(logging.DEBUG)
    thumbnails.log.propagate = False
    out = sys.stdout
    for line in sys.stdin:
        path = line.rstrip("\n")
        out.write(json.dumps({"start": path}) + "\n")
        out.flush()
        _clear_peak()
        before = _status("VmRSS")
        started = time.perf_counter()
        st = os.stat(path)
        prepared = prepare(FileEntry(path, st.st_size, st.st_mtime), spec)
        if prepared.error is None:
            index = ("ok", "")
        elif "unexpected error while reading it" in prepared.error:
            index = ("unexpected", prepared.error)
        else:
            index = ("clean" if path in prepared.error else "unnamed", prepared.error)
        said.clear()
        try:
            image = thumbnails.make_thumbnail(path, THUMB_EDGE, None)
            if not image.isNull():
                thumb = ("ok", "")
            elif said and path in said[-1]:
                thumb = ("clean", said[-1])
            else:
                thumb = ("unnamed", said[-1] if said else "null thumbnail, nothing said")
        except PhotoReadError as exc:  # make_thumbnail itself should have caught it
            thumb = ("unexpected", f"PhotoReadError escaped: {exc}")
        except Exception as exc:  # noqa: BLE001 - what is being measured
            thumb = ("unexpected", f"{type(exc).__name__}: {exc}")
        out.write(json.dumps({"path": path, "index": index, "thumb": thumb,
                              "seconds": time.perf_counter() - started,
                              "peak_mib": (_status("VmHWM") - before) / 2**20}) + "\n")
        out.flush()


def _status(key: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key + ":"))


def _clear_peak() -> None:
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")  # VmHWM restarts from the current RSS


# ----------------------------------------------------------------------------- parent

def run_batch(paths: list[str], timeout: float) -> tuple[list[dict], list[tuple[str, str, str]]]:
    """Results of the files that finished, and (path, what, the end of the child's stderr) for
    the others and for the child's deaths between files. what: "crash:<rc>" (it died on this
    file), "hang", or "died after:<rc>" (it died between files, after answering for this one:
    damage done by a decoder showing later, at a free or a garbage collection; the file's own
    result stands) or "died at start:<rc>" (before any file: this one is not decoded)."""
    results, failures = [], []
    todo = list(paths)
    while todo:
        with tempfile.TemporaryFile() as stderr:
            todo = _run_child(todo, timeout, stderr, results, failures)
    return results, failures


def _run_child(todo: list[str], timeout: float, stderr, results: list,
               failures: list) -> list[str]:
    """One child on the files to do, until it ends: the files left for the next one."""
    proc = subprocess.Popen([sys.executable, __file__, "--child"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=stderr, text=True,
                            cwd=ROOT, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    proc.stdin.write("".join(p + "\n" for p in todo))
    proc.stdin.close()
    current, last, reader = None, None, proc.stdout
    while True:
        ready, _, _ = select.select([reader], [], [], timeout)
        if not ready:  # no answer for this long on one file
            proc.kill()
            proc.wait()
            failures.append((current or todo[0], "hang", ""))
            return todo[todo.index(current) + 1:] if current else todo[1:]
        line = reader.readline()
        if not line:
            rc = proc.wait()
            said = _tail(stderr)
            if current is not None:
                failures.append((current, f"crash:{rc}", said))
                return todo[todo.index(current) + 1:]
            if last is not None and (rc != 0 or todo):  # the rest goes to a fresh child
                failures.append((last, f"died after:{rc}", said))
            elif todo:  # died before any file: skip one, so that the batch ends
                failures.append((todo[0], f"died at start:{rc}", said))
                return todo[1:]
            return todo
        answer = json.loads(line)
        if "start" in answer:
            current = answer["start"]
        else:
            results.append(answer)
            current, last = None, answer["path"]
            todo.remove(last)


def _tail(file, size: int = 1500) -> str:
    """The end of what a child wrote on stderr (faulthandler's stack for a crash)."""
    file.seek(max(0, file.seek(0, os.SEEK_END) - size))
    return file.read().decode("utf-8", "replace").strip()


def confirm_crash(path: str, timeout: float) -> str:
    """The file alone in a fresh child: what it does there."""
    _, failures = run_batch([path], timeout)
    return failures[0][1] if failures else "no crash alone"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=900, help="how long to fuzz")
    parser.add_argument("--seed", type=int, default=1, help="the mutations' random seed")
    parser.add_argument("--formats", default=",".join(FORMATS),
                        help=f"comma-separated, of {','.join(FORMATS)}")
    parser.add_argument("--batch", type=int, default=40, help="files per child process")
    parser.add_argument("--timeout", type=float, default=20, help="seconds before a file hangs")
    parser.add_argument("--memory-mib", type=float, default=256,
                        help="peak memory a file may add before it is an outlier")
    parser.add_argument("--keep", default=os.path.join(tempfile.gettempdir(),
                                                       "lookalike-fuzz-repro"),
                        help="folder for one reproducer of each kind of failure")
    parser.add_argument("--out", help="write the markdown report here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    formats = [f for f in args.formats.split(",") if f]
    unknown = set(formats) - set(FORMATS)
    if unknown:
        parser.error(f"unknown formats {sorted(unknown)}; choose among {','.join(FORMATS)}")
    from _common import header, nice_prefix

    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="lookalike-fuzz-"))
    keep = Path(args.keep)
    keep.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    seeds = make_seeds(work)
    seed_data = {fmt: [(p.name, p.read_bytes()) for p in seeds[fmt]] for fmt in formats}
    counts = {fmt: collections.Counter() for fmt in formats}
    kinds: dict[tuple, dict] = {}  # one example per (format, path, outcome, first words)
    peaks: list[tuple[float, float, str, str]] = []
    n = 0
    try:
        # the seeds themselves first: each must decode cleanly, or the run says nothing
        cases = _cases(formats, seed_data, rng)
        while time.monotonic() - started < args.seconds:
            batch, meta = [], {}
            for _ in range(args.batch):
                fmt, name, data, mutation = next(cases)
                path = work / f"{n:06d}-{Path(name).stem}{Path(name).suffix}"
                path.write_bytes(data)
                batch.append(str(path))
                meta[str(path)] = (fmt, name, mutation)
                n += 1
            results, failures = run_batch(batch, args.timeout)
            for r in results:
                fmt, name, mutation = meta[r["path"]]
                for where in ("index", "thumb"):
                    outcome, message = r[where]
                    counts[fmt][f"{where}:{outcome}"] += 1
                    if outcome in ("unexpected", "unnamed") or (
                            mutation.startswith("none") and outcome != "ok"):
                        _note(kinds, keep, fmt, where, outcome, message, r["path"], name,
                              mutation)
                counts[fmt]["largest peak (MiB)"] = max(counts[fmt]["largest peak (MiB)"],
                                                        round(r["peak_mib"]))
                if r["peak_mib"] > args.memory_mib:
                    counts[fmt]["memory outlier"] += 1
                    peaks.append((r["peak_mib"], r["seconds"], fmt, mutation))
                    _note(kinds, keep, fmt, "both", "memory", f"{r['peak_mib']:.0f} MiB, "
                          f"then index {r['index'][0]}, thumb {r['thumb'][0]}",
                          r["path"], name, mutation)
                if r["seconds"] > 2:
                    counts[fmt]["slow (>2 s)"] += 1
                    _note(kinds, keep, fmt, "both", "slow", f"{r['seconds']:.1f} s",
                          r["path"], name, mutation)
            for path, what, said in failures:
                fmt, name, mutation = meta[path]
                if what.startswith(("crash", "died after")):
                    what = f"{what} (alone: {confirm_crash(path, args.timeout)})"
                counts[fmt][what.split(":")[0].split(" ")[0]] += 1
                _note(kinds, keep, fmt, "both", what, said, path, name, mutation)
            for path in batch:
                Path(path).unlink(missing_ok=True)
            print(f"{time.monotonic() - started:6.0f} s  {n} files  "
                  f"{len(kinds)} kinds of failure kept", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    head = header("Fuzzing the in-process photo decoding").replace(
        "- command: `", "- command: `" + nice_prefix())
    report = _report(head, args, formats, seeds,
                     counts, kinds, peaks, n, time.monotonic() - started)
    print(report)
    if args.out:
        Path(args.out).write_text(report, encoding="utf-8")


def _cases(formats, seed_data, rng):
    """(format, seed name, bytes, mutation): every seed as it is, then mutants in turn."""
    for fmt in formats:
        for name, data in seed_data[fmt]:
            yield fmt, name, data, "none (seed)"
    for i in itertools.count():
        fmt = formats[i % len(formats)]
        name, data = rng.choice(seed_data[fmt])
        yield (fmt, name, *mutate(data, fmt, rng))


def _note(kinds, keep: Path, fmt, where, outcome, message, path, seed, mutation) -> None:
    # one entry per kind of message; memory and time outliers per format and path only
    first = "" if outcome in ("memory", "slow") else \
        " ".join(message.replace(path, "<file>").split(":")[-2:])[:90]
    key = (fmt, where, outcome, first)
    entry = kinds.setdefault(key, {"count": 0, "example": None, "seed": seed,
                                   "mutation": mutation, "message": message})
    entry["count"] += 1
    if entry["example"] is None:
        target = keep / f"{fmt}-{outcome.split(':')[0].split(' ')[0]}-{len(kinds):03d}-" \
                        f"{Path(path).name}"
        shutil.copyfile(path, target)
        entry["example"] = target.name
        entry["message"] = message.replace(path, "<file>")


def _report(head, args, formats, seeds, counts, kinds, peaks, n, seconds) -> str:
    import PIL
    import pillow_heif
    import rawpy
    import simplejpeg
    from PIL import features

    lines = [head.rstrip("\n")]
    lines.append(f"- versions: Pillow {PIL.__version__} (libjpeg-turbo {features.version('jpg')}, "
                 f"libwebp {features.version('webp')}, libtiff {features.version('libtiff')}, "
                 f"zlib {features.version('zlib')}, libavif {features.version('avif')}), "
                 f"pillow-heif {pillow_heif.__version__} (libheif "
                 f"{pillow_heif.libheif_info()['libheif']}), simplejpeg {simplejpeg.__version__}"
                 f", rawpy {rawpy.__version__} (LibRaw "
                 f"{'.'.join(map(str, rawpy.libraw_version))})")
    lines.append(f"- {n:,} files in {seconds:.0f} s, seed {args.seed}, batches of {args.batch} "
                 f"per child process, {args.timeout:.0f} s a file before a hang, address space "
                 f"limited to {AS_LIMIT // 2**30} GiB, memory outlier above {args.memory_mib:.0f} "
                 "MiB of peak (VmHWM) added")
    lines.append("- seeds: " + "; ".join(f"{f}: {', '.join(p.name for p in seeds[f])}"
                                         for f in formats))
    lines.append("")
    columns = ["index:ok", "index:clean", "index:unexpected", "index:unnamed", "thumb:ok",
               "thumb:clean", "thumb:unexpected", "thumb:unnamed", "crash", "hang", "died",
               "memory outlier", "largest peak (MiB)", "slow (>2 s)"]
    lines.append("| format | files | " + " | ".join(columns) + " |")
    lines.append("|---" * (len(columns) + 2) + "|")
    for fmt in formats:
        c = counts[fmt]
        files = c["index:ok"] + c["index:clean"] + c["index:unexpected"] + c["index:unnamed"] \
            + c["crash"] + c["hang"]
        lines.append(f"| {fmt} | {files} | " + " | ".join(str(c[k]) for k in columns) + " |")
    lines.append("")
    lines.append("index: pipeline.prepare (read_bytes, decode at the model's draft size, "
                 "preprocess); thumb: thumbnails.make_thumbnail at 160 px. clean: the app's "
                 "PhotoReadError naming the file; unexpected: any other exception (prepare's "
                 "'unexpected error ... report this file' fallback); unnamed: an error that does "
                 "not name the file. crash: the child died on the file; died: it died between "
                 "files, after answering for the file named (a decoder's damage showing later; "
                 "that file's own result is counted too).")
    lines.append("")
    lines.append("## Failures kept (one reproducer each)")
    lines.append("")
    if not kinds:
        lines.append("None.")
    for (fmt, where, outcome, _), e in sorted(kinds.items(), key=lambda kv: -kv[1]["count"]):
        lines.append(f"- {fmt} {where} {outcome} x{e['count']}: seed {e['seed']}, mutation "
                     f"{e['mutation']}, kept as {e['example']}: {e['message'][:300]}")
    if peaks:
        lines.append("")
        lines.append("## Peak memory outliers (largest 10)")
        lines.append("")
        for peak, secs, fmt, mutation in sorted(peaks, reverse=True)[:10]:
            lines.append(f"- {fmt} {mutation}: +{peak:.0f} MiB, {secs:.1f} s")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
