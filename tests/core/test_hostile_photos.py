"""Damaged and lying photos found by bench/fuzz_photos.py: each one gets the app's own message
naming the file, on the indexer's path and on the thumbnailer's, never a bare decoder exception
(recorded as "unexpected error, please report this file")."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, features

from desktop_app.core import heif_boxes, images
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


def _avif(mode: str = "RGB", size=(96, 60), **save) -> bytes:
    """A real AVIF with noise in it (a blank one codes too little to tell anything)."""
    pixels = np.random.default_rng(7).integers(0, 256, (size[1], size[0], len(mode)), np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels if len(mode) > 1 else pixels[..., 0], mode).save(out, "AVIF",
                                                                            speed=10, **save)
    return out.getvalue()


def _claiming_extent(data: bytes, width: int, height: int) -> bytes:
    """The AVIF with every ispe property (its picture's, and its alpha's) saying width x height,
    as in the file the fuzzer made: its AV1 data still codes the small frame."""
    data = bytearray(data)
    at = data.find(b"ispe")
    while at > 0:
        data[at + 8:at + 16] = struct.pack(">II", width, height)  # past version and flags
        at = data.find(b"ispe", at + 4)
    return bytes(data)


@pytest.mark.skipif(not features.check("avif"), reason="Pillow without AVIF")
@pytest.mark.parametrize(("mode", "width", "height"), [("RGB", 14142, 14142), ("RGB", 97, 60),
                                                       ("RGB", 96, 5000), ("RGBA", 9000, 9000)])
def test_an_avif_claiming_more_pixels_than_its_av1_data_codes_is_refused_before_decoding(
        tmp_path, monkeypatch, mode, width, height):
    # libavif made a picture of the claimed size: 1.8 GiB for a 1 KB file claiming 200 MP.
    path = tmp_path / "claims.avif"
    path.write_bytes(_claiming_extent(_avif(mode), width, height))
    monkeypatch.setattr(images, "_load", _no_decoding)
    _refused_before_decoding(path, f"says it is {width}x{height} pixels, but its picture data "
                             "is 96x60: the file is damaged")


@pytest.mark.skipif(not features.check("avif"), reason="Pillow without AVIF")
@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA"])
@pytest.mark.parametrize("size", [(1, 1), (7, 5), (333, 211), (65, 4097), (1001, 750)])
def test_a_real_avif_still_decodes_and_its_sizes_are_read(tmp_path, mode, size):
    path = tmp_path / f"real-{mode}.avif"
    path.write_bytes(_avif(mode, size, quality=50))
    # Read, not given up on: the check did run on it, and found the two sizes the same.
    assert heif_boxes.claimed_and_coded_size(path.read_bytes()) == (size, size)
    photo = images.load_photo(path, min_size=(224, 224))
    assert (photo.width, photo.height) == size


@pytest.mark.skipif(not features.check("avif"), reason="Pillow without AVIF")
def test_an_avif_sequence_and_a_turned_avif_still_decode(tmp_path):
    # A sequence's AV1 header is the long form (operating points), a still's the short one.
    second = Image.new("RGB", (96, 60), (30, 200, 30))
    sequence = _avif(save_all=True, append_images=[second], duration=100)
    exif = Image.Exif()
    exif[0x0112] = 6  # written as the file's irot: shown turned, coded as stored
    turned = _avif(exif=exif.tobytes())
    for name, data, shown in (("sequence", sequence, (96, 60)), ("turned", turned, (60, 96))):
        assert heif_boxes.claimed_and_coded_size(data) == ((96, 60), (96, 60))
        path = tmp_path / f"{name}.avif"
        path.write_bytes(data)
        photo = images.load_photo(path, min_size=(224, 224))
        assert (photo.width, photo.height) == shown


@pytest.mark.skipif(not features.check("avif"), reason="Pillow without AVIF")
def test_a_grid_avif_is_not_judged_by_its_tiles(tmp_path):
    # A grid's ispe is the whole picture, each tile's AV1 data a part of it: never compared.
    data = _claiming_extent(_avif(), 192, 120)
    assert heif_boxes.av1_size_lie(data) is not None
    as_grid = data.replace(b"av01Color", b"gridColor", 1)  # the primary item's infe
    assert as_grid != data
    assert heif_boxes.claimed_and_coded_size(as_grid) is None


@pytest.mark.skipif(not features.check("avif"), reason="Pillow without AVIF")
def test_an_avif_cut_short_in_its_boxes_is_left_to_the_decoder():
    # A doubt is no refusal: the decoder says what is wrong. Once the AV1 header is in, the
    # lie is plain however short the rest.
    data = _claiming_extent(_avif(), 14142, 14142)
    header = data.find(b"mdat") + 4 + 2 + 2  # past a temporal delimiter and the OBU's header
    assert data[header - 2:header] == b"\x0a\x09"  # a sequence header of 9 bytes, as written
    for cut in range(len(data)):
        lie = heif_boxes.av1_size_lie(data[:cut])
        if cut <= header:
            assert lie is None, cut
        elif cut >= header + 9:
            assert lie == ((14142, 14142), (96, 60)), cut


@pytest.mark.skipif(not images.HEIF_SUPPORTED, reason="no pillow-heif")
def test_an_iphone_like_heic_is_not_judged_and_decodes(tmp_path):
    # HEVC (hvcC) is left alone: only an AV1 item's size is checked.
    path = tmp_path / "IMG_0001.HEIC"
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Apple"
    pixels = np.random.default_rng(3).integers(0, 256, (300, 400, 3), np.uint8)
    Image.fromarray(pixels).save(path, "HEIF", quality=80, thumbnails=[128], exif=exif.tobytes())
    assert heif_boxes.claimed_and_coded_size(path.read_bytes()) is None
    photo = images.load_photo(path, min_size=(224, 224))
    assert (photo.width, photo.height) == (300, 400)


def test_a_sequence_header_running_past_its_extent_gives_no_size():
    """Bytes past the end of the item's first extent belong to something else: a size read
    across it could refuse a good photo."""
    data = _avif()
    at = data.index(b"\x12\x00\x0a")  # a temporal delimiter, then a sized sequence header
    size = data[at + 3]
    assert size < 0x80  # one leb128 byte
    whole = at + 4 + size
    assert heif_boxes._sequence_size(data, at, whole) == (96, 60)
    assert heif_boxes._sequence_size(data, at, whole - 2) is None
