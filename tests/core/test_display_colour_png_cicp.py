"""A PNG may describe its colours by ITU-T H.273 code points in a cICP chunk (PNG 3rd edition),
which Pillow does not read: a Display P3 or BT.2020 one is shown in sRGB, as viewers show it,
through the profile made for a HEIC's nclx box. cICP comes before an embedded profile (iCCP)
when understood; HDR ones (PQ, HLG) are tone-mapped (test_display_colour_hdr.py), unknown and
narrow-range ones leave the embedded profile to stand, and the codes never change.

Also home of the textbook maths (no LittleCMS) the other display-colour tests check against.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from desktop_app.core import display_colour, images

D65 = (0.3127, 0.3290)
SRGB_PRIMARIES = ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06))
P3_PRIMARIES = ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))
BT2020_PRIMARIES = ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046))
# Flat patches of colours these spaces hold, as in real photos, and a dark one: curves differ
# most in dark tones.
PATCHES = ((128, 200, 64), (200, 80, 60), (60, 90, 200), (32, 40, 28))


def srgb_linear(v) -> np.ndarray:
    v = np.asarray(v, float) / 255
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def _xyz(xy) -> np.ndarray:
    x, y = xy
    return np.array([x / y, 1.0, (1 - x - y) / y])


def _rgb_to_xyz(primaries) -> np.ndarray:
    columns = np.stack([_xyz(p) for p in primaries], axis=1)
    return columns * np.linalg.solve(columns, _xyz(D65))


def expected_srgb(rgb, primaries, linear=srgb_linear) -> np.ndarray:
    """The textbook conversion of a D65 space's colour to sRGB: to linear light by `linear`,
    to XYZ, to sRGB, clipped."""
    to_srgb = np.linalg.inv(_rgb_to_xyz(SRGB_PRIMARIES)) @ _rgb_to_xyz(primaries)
    out = np.clip(to_srgb @ linear(rgb), 0, 1)
    out = np.where(out <= 0.0031308, out * 12.92, 1.055 * out ** (1 / 2.4) - 0.055)
    return np.round(out * 255)


def patches() -> Image.Image:
    image = Image.new("RGB", (80 * len(PATCHES), 160))
    for i, colour in enumerate(PATCHES):
        image.paste(colour, (80 * i, 0, 80 * (i + 1), 160))
    return image


def shown(path, edge: int = 64) -> Image.Image:
    """The picture a thumbnail shows, as ui/thumbnails.make_thumbnail makes it (less Qt)."""
    picture, _, _ = images.decode(path.read_bytes(), path, min_size=(edge, edge),
                                  display_edge=edge)
    picture.thumbnail((edge, edge))
    return display_colour.to_srgb_for_display(picture)


def patch_colours(picture: Image.Image) -> np.ndarray:
    """The mean colour of the middle of each patch of a thumbnail of `patches()`."""
    arr = np.asarray(picture, float)
    w, h = picture.width / len(PATCHES), picture.height
    return np.array([arr[h // 4:3 * h // 4, round(w * (i + 0.3)):round(w * (i + 0.7))]
                     .mean(axis=(0, 1)) for i in range(len(PATCHES))])


def same_codes(path, other) -> bool:
    """Whether the pixels codes are made from are the same, byte for byte."""
    return all(np.array_equal(np.asarray(images.load_photo(path, min_size=size).image),
                              np.asarray(images.load_photo(other, min_size=size).image))
               for size in ((224, 224), None))


P3_ICC = display_colour.rgb_icc_profile("Display P3 (test)", P3_PRIMARIES, D65,
                                        display_colour.SRGB_CURVE)


def png(path, cicp: bytes | None = None, icc: bytes | None = None, picture=None):
    info = PngImagePlugin.PngInfo()
    if cicp is not None:
        info.add(b"cICP", cicp)
    options = {"icc_profile": icc} if icc is not None else {}
    (picture or patches()).save(path, pnginfo=info, **options)
    return path


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@pytest.mark.parametrize(("primaries", "transfer", "xy"), [
    (12, 13, P3_PRIMARIES), (9, 13, BT2020_PRIMARIES)], ids=["display-p3", "bt2020"])
def test_a_png_in_display_p3_or_bt2020_by_cicp_is_shown_in_srgb(tmp_path, primaries,
                                                                transfer, xy):
    path = png(tmp_path / "export.png", bytes([primaries, transfer, 0, 1]))
    plain = png(tmp_path / "plain.png")
    colours = patch_colours(shown(path))
    expected = np.array([expected_srgb(c, xy) for c in PATCHES])
    assert np.abs(colours - expected).max() <= 2, (colours.round(), expected)
    assert np.abs(patch_colours(shown(plain)) - np.array(PATCHES)).max() == 0
    assert np.abs(colours - np.array(PATCHES)).max() > 20  # what was shown before
    assert same_codes(path, plain)


def test_cicp_comes_before_an_embedded_profile(tmp_path):
    plain = np.asarray(shown(png(tmp_path / "plain.png")))
    # It says sRGB, the profile Display P3: sRGB, shown as stored.
    srgb = png(tmp_path / "srgb.png", bytes([1, 13, 0, 1]), P3_ICC)
    assert np.array_equal(np.asarray(shown(srgb)), plain)
    # It says Display P3, the profile sRGB: Display P3.
    srgb_icc = display_colour.rgb_icc_profile("sRGB (test)", SRGB_PRIMARIES, D65,
                                              display_colour.SRGB_CURVE)
    p3 = png(tmp_path / "p3.png", bytes([12, 13, 0, 1]), srgb_icc)
    expected = np.array([expected_srgb(c, P3_PRIMARIES) for c in PATCHES])
    assert np.abs(patch_colours(shown(p3)) - expected).max() <= 2
    assert same_codes(srgb, p3)


@pytest.mark.parametrize("cicp", [bytes([11, 13, 0, 1]), bytes([12, 2, 0, 1]),
                                  bytes([2, 13, 0, 1]), bytes([12, 13, 0, 0])],
                         ids=["dci-p3", "unspecified-curve", "unspecified-primaries",
                              "narrow-range"])
def test_a_cicp_chunk_not_understood_leaves_the_embedded_profile(tmp_path, cicp):
    """cICP comes first only "if understood by the decoder" (PNG 3rd edition), as in Chrome:
    narrow range and code points not known here are shown as stored without a profile, and
    through the embedded one with it (they were shown as stored, dull, with a P3 profile)."""
    plain = np.asarray(shown(png(tmp_path / "plain.png")))
    assert np.array_equal(np.asarray(shown(png(tmp_path / "bare.png", cicp))), plain)
    p3 = patch_colours(shown(png(tmp_path / "p3.png", icc=P3_ICC)))
    assert np.abs(p3 - np.array(PATCHES)).max() > 20
    tagged = png(tmp_path / "tagged.png", cicp, P3_ICC)
    assert np.array_equal(patch_colours(shown(tagged)), p3)
    assert same_codes(tagged, tmp_path / "plain.png")


def test_a_cicp_chunk_in_error_or_after_the_pixels_is_not_taken(tmp_path):
    """A YCbCr matrix (a PNG is RGB), a range flag other than 0 or 1, a chunk of the wrong
    length: the chunk is in error, and the embedded profile stands. One after the pixels
    (IDAT) is not where cICP may be, and is not read."""
    p3 = patch_colours(shown(png(tmp_path / "p3.png", icc=P3_ICC)))
    for cicp in (bytes([1, 13, 1, 1]), bytes([1, 13, 0, 2]), bytes([1, 13, 0, 1, 0])):
        path = png(tmp_path / "wrong.png", cicp, P3_ICC)
        assert np.array_equal(patch_colours(shown(path)), p3), cicp
    data = png(tmp_path / "late.png", icc=P3_ICC).read_bytes()
    end = data.rindex(b"IEND") - 4
    late = tmp_path / "late.png"
    late.write_bytes(data[:end] + _chunk(b"cICP", bytes([1, 13, 0, 1])) + data[end:])
    assert np.array_equal(patch_colours(shown(late)), p3)


def test_the_cicp_chunk_is_read_from_any_cut_of_the_file_without_error(tmp_path):
    data = png(tmp_path / "p3.png", bytes([12, 13, 0, 1]),
               picture=Image.new("RGB", (8, 8))).read_bytes()
    whole = display_colour._png_cicp(data)
    assert whole == {"color_primaries": 12, "transfer_characteristics": 13,
                     "matrix_coefficients": 0, "full_range_flag": 1}
    for end in range(len(data)):
        assert display_colour._png_cicp(data[:end]) in (None, whole)
    huge = data[:8] + b"\xff" * 4 + data[12:]  # IHDR's length past 2^31: not a PNG's
    assert display_colour._png_cicp(huge) is None


def test_a_palette_png_with_cicp_is_shown_in_srgb(tmp_path):
    path = png(tmp_path / "p3.png", bytes([12, 13, 0, 1]), picture=patches().quantize(8))
    expected = np.array([expected_srgb(c, P3_PRIMARIES) for c in PATCHES])
    assert np.abs(patch_colours(shown(path)) - expected).max() <= 2
