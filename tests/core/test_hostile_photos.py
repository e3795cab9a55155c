"""Damaged and lying photos found by bench/fuzz_photos.py: each one gets the app's own message
naming the file, on the indexer's path and on the thumbnailer's, never a bare decoder exception
(recorded as "unexpected error, please report this file")."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, features

from desktop_app.core import images
from desktop_app.core.errors import PhotoReadError


def _both_paths_say_damaged(path) -> None:
    data = images.read_bytes(path)
    for kwargs in ({"min_size": (224, 224)}, {"min_size": (160, 160), "display_edge": 160}):
        with pytest.raises(PhotoReadError) as caught:
            images.decode(data, path, **kwargs)
        assert str(path) in str(caught.value)
        assert "damaged" in caught.value.reason


@pytest.mark.skipif(not features.check("avif"), reason="Pillow without AVIF")
def test_an_avif_whose_picture_data_is_zeroed_is_reported_as_damaged(tmp_path):
    # libavif's "Decoding of color planes failed" came out of Pillow as a bare RuntimeError.
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, "AVIF", quality=60)
    data = bytearray(out.getvalue())
    mdat = data.find(b"mdat")
    assert mdat > 0
    data[mdat + 4:] = bytes(len(data) - mdat - 4)  # the AV1 payload, all zeros
    path = tmp_path / "zeroed.avif"
    path.write_bytes(data)
    _both_paths_say_damaged(path)


def _png_claiming(tmp_path, width: int, height: int):
    """A real small PNG whose header (with a valid checksum) says it is width x height."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "PNG")
    data = bytearray(out.getvalue())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(data[12:29]))
    path = tmp_path / f"claims-{width}x{height}.png"
    path.write_bytes(data)
    return path


def _no_decoding(*_args, **_kwargs):
    raise AssertionError("decoded an image whose header cannot be true")


def _refused_before_decoding(path, words: str) -> None:
    data = images.read_bytes(path)
    for kwargs in ({"min_size": (224, 224)}, {"min_size": (160, 160), "display_edge": 160}):
        with pytest.raises(PhotoReadError) as caught:
            images.decode(data, path, **kwargs)
        assert str(path) in str(caught.value)
        assert words in caught.value.reason


@pytest.mark.parametrize(("width", "height"), [(10_000, 10_000), (100_000_000, 1)])
def test_a_png_claiming_more_pixels_than_its_bytes_hold_is_refused_before_decoding(
        tmp_path, monkeypatch, width, height):
    # Pillow allocated the whole image (300 MB here, up to 2 GB) before finding the data short.
    path = _png_claiming(tmp_path, width, height)
    monkeypatch.setattr(images, "_load", _no_decoding)
    _refused_before_decoding(path, f"{width}x{height} pixels, more than its")


@pytest.mark.parametrize("mode", ["1", "P", "RGBA"])
def test_a_big_png_that_compresses_well_still_decodes(tmp_path, mode):
    # The bound is deflate's best ratio: a real file of one colour, squeezed hardest, is within it.
    path = tmp_path / f"blank-{mode}.png"
    Image.new(mode, (6000, 4000)).save(path, compress_level=9)
    assert path.stat().st_size * images.DEFLATE_MAX_RATIO >= 4000 * (1 + 6000 // 8)
    photo = images.load_photo(path, min_size=(224, 224))
    assert (photo.width, photo.height) == (6000, 4000)


@pytest.mark.parametrize(("width", "height"), [(1, 100_000_000), (20_000, -10_000)])
def test_an_uncompressed_bmp_claiming_more_rows_than_it_holds_is_refused_before_decoding(
        tmp_path, monkeypatch, width, height):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "BMP")
    data = bytearray(out.getvalue())
    data[18:26] = struct.pack("<ii", width, height)  # a negative height: rows top down
    path = tmp_path / "claims.bmp"
    path.write_bytes(data)
    monkeypatch.setattr(images, "_load", _no_decoding)
    _refused_before_decoding(path, f"{width}x{abs(height)} pixels, more than its")


@pytest.mark.parametrize("mode", ["1", "P", "RGB"])
def test_a_whole_bmp_still_decodes(tmp_path, mode):
    path = tmp_path / f"whole-{mode}.bmp"
    Image.new(mode, (33, 7)).save(path)  # rows padded to 4 bytes
    photo = images.load_photo(path, min_size=(224, 224))
    assert (photo.width, photo.height) == (33, 7)


def _animation(tmp_path, fmt: str, size=(96, 60)):
    """A real small three-frame animation (a red, a green and a blue frame)."""
    frames = [Image.new("RGB", size, colour) for colour in ((220, 30, 30), (30, 220, 30),
                                                           (30, 30, 220))]
    path = tmp_path / f"animated.{fmt.lower()}"
    frames[0].save(path, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return path


def _claiming_canvas(path, width: int, height: int) -> None:
    """Patches the animation's canvas (GIF logical screen, WebP VP8X canvas, APNG IHDR) to
    width x height: its frames stay small, as in the files the fuzzer made."""
    data = bytearray(path.read_bytes())
    if data[:3] == b"GIF":
        data[6:10] = struct.pack("<HH", width, height)
    elif data[:4] == b"RIFF":
        assert data[12:16] == b"VP8X"
        data[24:30] = struct.pack("<I", width - 1)[:3] + struct.pack("<I", height - 1)[:3]
    else:
        data[16:24] = struct.pack(">II", width, height)
        data[29:33] = struct.pack(">I", zlib.crc32(data[12:29]))
    path.write_bytes(data)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_an_animation_claiming_a_huge_canvas_is_refused_before_decoding(
        tmp_path, monkeypatch, fmt):
    # A 5 KB animated WebP claiming 200 MP took 3 GB to decode its first frame, a GIF 782 MB.
    path = _animation(tmp_path, fmt)
    _claiming_canvas(path, 7000, 7000)  # 49 MP: under the still photos' limit, over this one
    assert 7000 * 7000 < images.MAX_PIXELS
    monkeypatch.setattr(images, "_load", _no_decoding)
    _refused_before_decoding(path, "animation of 7000x7000 pixels, over the 40-megapixel limit")


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_an_animation_under_the_limit_decodes_its_first_frame(tmp_path, fmt):
    path = _animation(tmp_path, fmt)
    photo = images.load_photo(path, min_size=(224, 224))
    assert (photo.width, photo.height) == (96, 60)
    red, green, blue = photo.image.getpixel((48, 30))
    assert red > 180 and green < 80 and blue < 80


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_a_still_image_over_the_animations_limit_is_not_judged_as_one(
        tmp_path, monkeypatch, fmt):
    # The lower limit is for animations alone (lowered here so that the picture stays small).
    monkeypatch.setattr(images, "ANIMATED_MAX_PIXELS", 1000)
    path = tmp_path / f"still.{fmt.lower()}"
    Image.new("RGB", (96, 60), (220, 30, 30)).save(path, fmt)
    photo = images.load_photo(path, min_size=(224, 224))
    assert (photo.width, photo.height) == (96, 60)
    with pytest.raises(PhotoReadError, match="limit for animations"):
        images.load_photo(_animation(tmp_path, fmt), min_size=(224, 224))


def _jpeg_claiming(tmp_path, width: int, height: int, **save):
    """A real small JPEG whose frame header (SOF) says it is width x height."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(out, "JPEG", **save)
    data = bytearray(out.getvalue())
    pos = 2
    while data[pos + 1] not in (0xC0, 0xC2):
        pos += 2 + struct.unpack(">H", data[pos + 2:pos + 4])[0]
    data[pos + 5:pos + 9] = struct.pack(">HH", height, width)
    path = tmp_path / f"claims-{width}x{height}.jpg"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("save", [{"progressive": True}, {}])
def test_a_jpeg_claiming_more_blocks_than_its_bytes_hold_is_refused_before_decoding(
        tmp_path, monkeypatch, save):
    # libjpeg holds a progressive JPEG's coefficients whole, draft or not (577 MiB for a 2 KB
    # file claiming 196 MP), then fills the missing data blank with a warning Pillow ignores.
    path = _jpeg_claiming(tmp_path, 65000, 3000, **save)
    monkeypatch.setattr(images, "_load", _no_decoding)
    _refused_before_decoding(path, "65000x3000 pixels, more than its")


@pytest.mark.parametrize(("mode", "save"), [("L", {"progressive": True, "optimize": True}),
                                            ("RGB", {"progressive": True, "optimize": True}),
                                            ("RGB", {"optimize": True, "subsampling": 0})])
def test_a_big_jpeg_that_compresses_well_still_decodes(tmp_path, mode, save):
    # The bound is one bit a block; a blank picture squeezed hardest takes two (libjpeg's DC
    # scans in two passes, or a DC and an end-of-block code each).
    path = tmp_path / f"blank-{mode}.jpg"
    Image.new(mode, (6000, 4000)).save(path, quality=1, **save)
    assert path.stat().st_size * 8 >= images._jpeg_blocks(path.read_bytes())
    photo = images.load_photo(path, min_size=(224, 224))
    assert (photo.width, photo.height) == (6000, 4000)
