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
