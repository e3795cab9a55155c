"""Real photo files for tests: scikit-image's sample photographs (shipped by the package, no
download), written as JPEG with EXIF, PNG, HEIC..., plus edited copies."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import numpy as np
from PIL import Image

# Colour photographs shipped inside scikit-image's data folder.
SAMPLE_NAMES = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field",
                "immunohistochemistry", "retina", "cat", "colorwheel")


def sample_image(name: str) -> Image.Image:
    import skimage.data

    arr = getattr(skimage.data, name)()
    if isinstance(arr, tuple):  # stereo pairs return (left, right, disparity)
        arr = arr[0]
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    return Image.fromarray(arr[..., :3].astype(np.uint8), "RGB")


def exif_bytes(orientation: int = 1, model: str = "Test Camera") -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x0110] = model
    return exif.tobytes()


def make_photo(path: Path, name: str = "chelsea", fmt: str | None = None, orientation: int = 1,
               size: tuple[int, int] | None = None, quality: int = 90) -> Path:
    """Write sample photo `name` to `path` in the format its suffix names (JPEG gets EXIF)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = sample_image(name)
    if size:
        image = image.resize(size, Image.Resampling.BILINEAR)
    fmt = fmt or {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP",
                  ".tif": "TIFF", ".tiff": "TIFF", ".bmp": "BMP", ".gif": "GIF",
                  ".heic": "HEIF", ".heif": "HEIF"}[path.suffix.lower()]
    if fmt == "HEIF":
        import pillow_heif  # noqa: F401  (registers the HEIF writer)
    kwargs = {"quality": quality} if fmt in ("JPEG", "WEBP", "HEIF") else {}
    if fmt == "JPEG":
        kwargs["exif"] = exif_bytes(orientation)
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kwargs)
    path.write_bytes(buf.getvalue())
    return path


# How a camera stores a picture it shows upright under EXIF orientation 1-8: the inverse turn.
_STORED_TURN = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
                4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
                6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
                8: Image.Transpose.ROTATE_270}


def stored_turned(upright: Image.Image, orientation: int) -> Image.Image:
    """The pixels to store with EXIF `orientation` so that a viewer shows `upright`."""
    turn = _STORED_TURN.get(orientation)
    return upright.transpose(turn) if turn is not None else upright.copy()


def pad_to_same_size(*jpegs: Path) -> int:
    """Give JPEG files one size by appending zero bytes to the smaller ones (decoders stop at
    the end-of-image marker), so one can be rewritten over another keeping the file's size.
    Returns the size."""
    size = max(Path(p).stat().st_size for p in jpegs)
    for p in jpegs:
        with open(p, "ab") as f:
            f.write(b"\0" * (size - Path(p).stat().st_size))
    return size


def rewrite_keeping_size_and_time(path: Path, data: bytes) -> None:
    """Write `data` over `path` in place and set its times back, as exiftool -P, `cp -p` or
    `touch -r` do: only the inode change time tells that the file changed."""
    before = os.stat(path)
    assert len(data) == before.st_size
    wait_past_change_time(path)
    with open(path, "r+b") as f:
        f.write(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert after.st_ctime_ns != before.st_ctime_ns


def wait_past_change_time(path: Path) -> None:
    """File times come from a clock that ticks once a jiffy (up to 10 ms): wait until a change
    made now gets a later change time than the file has."""
    while time.time_ns() < os.stat(path).st_ctime_ns + 20_000_000:
        time.sleep(0.005)


def make_camera_raw(path: Path, name: str = "chelsea", orientation: int = 1,
                    preview_side: int | None = 1024, preview_orientation: int | None = None,
                    make: str = "Test Camera Co", model: str = "Test Raw 1",
                    size: tuple[int, int] | None = None, preview_bitmap: bool = False,
                    monochrome: bool = False) -> Path:
    """Write a camera raw file as a DNG (Adobe's documented raw format, which LibRaw reads as it
    reads a camera's): the sample photo's sensor data as a Bayer mosaic (RGGB, 16-bit, the photo's
    size, or `size` upright; with `monochrome`, one gray value a pixel, as a monochrome camera's)
    stored as the sensor lies for `orientation`, and, unless `preview_side` is None, the camera's
    embedded JPEG of the photo at that long side (with `preview_bitmap`, uncompressed 8-bit RGB
    instead: a bitmap thumbnail, as old cameras and Leica's M9 keep), stored the same way, with
    EXIF of its own saying `preview_orientation` when given (some cameras write one). Whatever
    the suffix of `path`: LibRaw knows a raw file by its contents."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    upright = sample_image(name)
    if size is not None:
        upright = upright.resize(size, Image.Resampling.BICUBIC)
    stored = stored_turned(upright, orientation)
    rgb = np.asarray(stored, dtype=np.uint16) * 257
    h, w = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2
    mosaic = np.empty((h, w), np.uint16)
    mosaic[0::2, 0::2] = rgb[0:h:2, 0:w:2, 0]
    mosaic[0::2, 1::2] = rgb[0:h:2, 1:w:2, 1]
    mosaic[1::2, 0::2] = rgb[1:h:2, 0:w:2, 1]
    mosaic[1::2, 1::2] = rgb[1:h:2, 1:w:2, 2]
    if monochrome:
        mosaic = np.asarray(stored.convert("L"), dtype=np.uint16)[:h, :w] * 257
    sensor = mosaic.astype("<u2").tobytes()
    camera = [(271, 2, make), (272, 2, model), (274, 3, [orientation]),
              (50706, 1, [1, 4, 0, 0]),  # DNGVersion
              (50708, 2, f"{make} {model}"),  # UniqueCameraModel
              (50721, 10, [(1, 1), (0, 1), (0, 1), (0, 1), (1, 1), (0, 1), (0, 1), (0, 1),
                           (1, 1)]),  # ColorMatrix1 (identity)
              (50778, 3, [21])]  # CalibrationIlluminant1: D65
    raw_tags = [(256, 4, [w]), (257, 4, [h]), (258, 3, [16]), (259, 3, [1]),
                (262, 3, [32803]),  # CFA
                (277, 3, [1]), (278, 4, [h]), (279, 4, [len(sensor)]), (284, 3, [1]),
                (33421, 3, [2, 2]), (33422, 1, [0, 1, 1, 2]),  # RGGB
                (50717, 4, [65535])]  # WhiteLevel
    if monochrome:  # LinearRaw, no colour filter
        raw_tags = [tag for tag in raw_tags if tag[0] not in (262, 33421, 33422)]
        raw_tags.append((262, 3, [34892]))
    if preview_side is None:
        # The sensor data in the first IFD, no preview at all.
        first = 8 + len(sensor)
        ifd = tiff_ifd(camera + raw_tags + [(254, 4, [0]), (273, 4, [8])], first)
        path.write_bytes(b"II*\0" + first.to_bytes(4, "little") + sensor + ifd)
        return path
    preview = stored.copy()
    preview.thumbnail((preview_side, preview_side), Image.Resampling.BILINEAR)
    if max(preview.size) < preview_side:  # thumbnail() only shrinks
        scale = preview_side / max(preview.size)
        preview = preview.resize((round(preview.width * scale), round(preview.height * scale)))
    if preview_bitmap:
        preview_data = np.asarray(preview.convert("RGB")).tobytes()
        compression, photometric = 1, 2  # uncompressed RGB
    else:
        buf = io.BytesIO()
        extra = {} if preview_orientation is None else {"exif": exif_bytes(preview_orientation)}
        preview.save(buf, "JPEG", quality=90, **extra)
        preview_data = buf.getvalue()
        compression, photometric = 7, 6  # JPEG, YCbCr
    jpeg = preview_data + b"\0" * (len(preview_data) % 2)
    # Layout: header, preview JPEG, sensor data, IFD0 (the preview), its SubIFD (the sensor).
    sensor_at, ifd0_at = 8 + len(jpeg), 8 + len(jpeg) + len(sensor)
    preview_tags = camera + [
        (254, 4, [1]), (256, 4, [preview.width]), (257, 4, [preview.height]),
        (258, 3, [8, 8, 8]), (259, 3, [compression]), (262, 3, [photometric]), (273, 4, [8]),
        (277, 3, [3]), (278, 4, [preview.height]), (279, 4, [len(jpeg)]), (284, 3, [1])]
    sub_at = ifd0_at + len(tiff_ifd(preview_tags + [(330, 4, [0])], ifd0_at))
    ifd0 = tiff_ifd(preview_tags + [(330, 4, [sub_at])], ifd0_at)  # SubIFDs
    sub = tiff_ifd(raw_tags + [(254, 4, [0]), (273, 4, [sensor_at])], sub_at)
    path.write_bytes(b"II*\0" + ifd0_at.to_bytes(4, "little") + jpeg + sensor + ifd0 + sub)
    return path


def damage_camera_raw_preview(path: Path, keep: int = 2000) -> Path:
    """Zero the embedded JPEG of a make_camera_raw file past its first `keep` bytes, as a bad
    card sector or a faulty copy would: its header still describes the picture, whose data is
    gone. The sensor data is left whole."""
    data = bytearray(Path(path).read_bytes())
    ifd = int.from_bytes(data[4:8], "little")
    values = {}
    for entry in range(ifd + 2, ifd + 2 + 12 * int.from_bytes(data[ifd:ifd + 2], "little"), 12):
        values[int.from_bytes(data[entry:entry + 2], "little")] = int.from_bytes(
            data[entry + 8:entry + 12], "little")
    start, length = values[273], values[279]  # the preview's StripOffsets, StripByteCounts
    data[start + keep:start + length] = bytes(length - keep)
    Path(path).write_bytes(data)
    return Path(path)


_TIFF_FORMATS = {1: "B", 2: "B", 3: "H", 4: "I"}


def tiff_ifd(tags: list, at: int) -> bytes:
    """A little-endian TIFF IFD written at offset `at`: (tag, type, values) entries, their
    values longer than 4 bytes after it; no next IFD. Types: 1 BYTE, 2 ASCII, 3 SHORT, 4 LONG,
    10 SRATIONAL (values as (numerator, denominator))."""
    import struct

    tags = sorted(tags)
    values_at = at + 2 + 12 * len(tags) + 4
    entries, values = [struct.pack("<H", len(tags))], b""
    for tag, kind, value in tags:
        if kind == 2:
            value = list(value.encode() + b"\0")
        if kind == 10:
            packed = b"".join(struct.pack("<ii", *pair) for pair in value)
        else:
            packed = struct.pack(f"<{len(value)}{_TIFF_FORMATS[kind]}", *value)
        if len(packed) <= 4:
            entries.append(struct.pack("<HHI", tag, kind, len(value)) + packed.ljust(4, b"\0"))
        else:
            entries.append(struct.pack("<HHII", tag, kind, len(value), values_at + len(values)))
            values += packed + b"\0" * (len(packed) % 2)
    return b"".join(entries) + struct.pack("<I", 0) + values
